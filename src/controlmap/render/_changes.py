"""The layers of a changes map: ground kept, gained and lost, per actor, never overlapping."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ..model import Timeline

__all__ = ["change_layers"]

#: Drawing order: kept ground at the bottom, gains on top so none is hidden.
ORDER = ("kept", "lost", "gained")


def change_layers(timeline: Timeline, first: pd.Timestamp, last: pd.Timestamp) -> gpd.GeoDataFrame:
    """One row per (actor, change) with change in kept / gained / lost, in drawing order.

    The rows of :meth:`Timeline.changes` with ``kept=True``: an actor's three layers
    never overlap, so none hides another and their areas add up.

    Examples
    --------
    >>> import controlmap, pandas as pd
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> layers = change_layers(tl, pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
    >>> list(layers.change)
    ['kept', 'lost', 'gained']
    """
    frame = timeline.changes(first, last, kept=True)
    frame = frame[["actor", "change", "geometry", "area_km2"]]
    frame = frame.assign(_order=frame["change"].map(ORDER.index))
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)
