"""What both GIS clients' tests (QGIS, kepler.gl) expect of a timeline's time fields.

Computed here from the periods alone (start <= day < end, a missing end open), not
with controlmap's own functions, so a client's answer is compared with an independent
reading of the file's dates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import box

import controlmap


def open_periods_timeline() -> controlmap.Timeline:
    """A small timeline with open periods, one-day periods and changes on shared days."""
    rows = [
        # actor, start, end, status
        ("Alpha", "2020-01-01", "2020-03-01", "control"),
        ("Alpha", "2020-03-01", None, "control"),  # opens the day the first one ends
        ("Beta", "2020-02-15", "2020-02-16", "contested"),  # held for one day
        ("Beta", "2020-02-16", None, "control"),
        ('Gamma "<&>" ’', "2020-02-29", "2020-03-02", "control"),  # a leap day; odd text
        ("Delta", "2019-12-31", None, "contested"),  # open from before every other
    ]
    frame = gpd.GeoDataFrame(
        {
            "actor": [r[0] for r in rows],
            "start": [r[1] for r in rows],
            "end": [r[2] for r in rows],
            "status": [r[3] for r in rows],
        },
        geometry=[box(40 + i, 34, 40.5 + i, 34.5) for i in range(len(rows))],
        crs=4326,
    )
    return controlmap.Timeline(frame)


def days_around_changes(timeline: controlmap.Timeline) -> list[pd.Timestamp]:
    """Every change date and the days either side of it."""
    changes = timeline.change_dates
    days = changes.union(changes - pd.Timedelta(days=1)).union(changes + pd.Timedelta(days=1))
    return list(days)


def active_positions(periods: gpd.GeoDataFrame, day: pd.Timestamp) -> set[int]:
    """Positions of the periods held on ``day``: start <= day < end, a missing end open."""
    held = (periods["start"] <= day) & (periods["end"].isna() | (periods["end"] > day))
    return set(np.flatnonzero(held.to_numpy()).tolist())
