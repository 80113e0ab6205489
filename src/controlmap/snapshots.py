"""Building periods from dated maps ("who held what on this date"): ``from_snapshots``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._dates import DateLike, iso_day, parse_date, parse_dates
from .errors import DataError, DateError
from .periods import DEFAULT_STATUS, _is_blank, _polygonal, check_geometries, repaired
from .union import union

__all__ = ["periods_from_snapshots"]


def periods_from_snapshots(
    snapshots: Mapping[DateLike, gpd.GeoDataFrame] | gpd.GeoDataFrame,
    *,
    date: str = "date",
    actor: str = "actor",
    status: str = "status",
    end: DateLike | None = None,
) -> gpd.GeoDataFrame:
    """Periods from dated maps, each valid until the next one.

    One period per actor (and status) and run of identical snapshots: a geometry
    repeated unchanged across snapshots becomes a single period. The parameters are
    those of :meth:`Timeline.from_snapshots <controlmap.Timeline.from_snapshots>`.

    Examples
    --------
    >>> from shapely import box
    >>> held = gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> periods = periods_from_snapshots({"2014-01-01": held, "2014-06-01": held})
    >>> len(periods), f"{periods.start[0]:%Y-%m-%d}", periods.end[0] is pd.NaT
    (1, '2014-01-01', True)
    """
    if isinstance(snapshots, gpd.GeoDataFrame):
        if date not in snapshots.columns:
            raise DataError(f"snapshots: no {date!r} column saying when each map was true")
        stamps = parse_dates(snapshots[date], what=date)
        frames = {
            stamp: snapshots.loc[stamps == stamp].drop(columns=date) for stamp in stamps.unique()
        }
    else:
        frames = {parse_date(k, what="snapshot date"): v for k, v in snapshots.items()}
    if not frames:
        raise DataError("snapshots: no snapshots given")
    order = sorted(frames)
    final = parse_date(end, what="end") if end is not None else pd.NaT
    if not pd.isna(final) and final <= order[-1]:
        raise DateError(f"snapshots: end {iso_day(final)} is not after the last snapshot")
    valid_until = [*order[1:], final]
    rows: list[dict[str, Any]] = []
    open_runs: dict[tuple[str, str], dict[str, Any]] = {}
    for stamp, until in zip(order, valid_until, strict=True):
        frame = frames[stamp]
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs(4326)
        if actor not in frame.columns:
            raise DataError(f"snapshot {iso_day(stamp)}: no {actor!r} column")
        seen: set[tuple[str, str]] = set()
        blank = frame[actor].map(_is_blank).to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise DataError(f"snapshot {iso_day(stamp)}: row {i} has no actor")
        geoms = np.asarray(frame.geometry.values, dtype=object)
        check_geometries(gpd.GeoSeries(geoms), file=f"snapshot {iso_day(stamp)}")
        geoms = repaired(geoms)  # a union needs valid polygons; as for periods
        keys = frame[actor].astype(str).str.strip()
        stats = (
            frame[status]
            .astype(object)
            .map(lambda v: DEFAULT_STATUS if _is_blank(v) else str(v).strip())
            if status in frame.columns
            else None
        )
        for key_actor in keys.unique():
            mask = (keys == key_actor).to_numpy()
            for key_status in stats[mask].unique() if stats is not None else [DEFAULT_STATUS]:
                sub = mask if stats is None else mask & (stats == key_status).to_numpy()
                geom = _polygonal(union(geoms[sub]))
                key = (key_actor, key_status)
                seen.add(key)
                run = open_runs.get(key)
                if (
                    run is not None
                    and run["end"] == stamp
                    and shapely.equals(run["geometry"], geom)
                ):
                    run["end"] = until  # unchanged: extend the period
                    continue
                run = {
                    "actor": key_actor,
                    "status": key_status,
                    "start": stamp,
                    "end": until,
                    "geometry": geom,
                }
                rows.append(run)
                open_runs[key] = run
        for key in list(open_runs):
            if key not in seen:
                del open_runs[key]
    rows = [r for r in rows if not r["geometry"].is_empty]
    if not rows:
        raise DataError("snapshots: no ground is held in any snapshot")
    periods = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    return periods
