"""The layers of a changes map: ground kept, gained and lost, per actor, never overlapping."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from ..area import geodesic_area_km2
from ..model import Timeline

__all__ = ["MIN_CHANGE_KM2", "change_layers"]

#: Gains and losses smaller than this (km²) are slivers of geometry, left out.
MIN_CHANGE_KM2 = 1.0
#: Drawing order: kept ground at the bottom, gains on top so none is hidden.
ORDER = ("kept", "lost", "gained")


def _held(timeline: Timeline, day: pd.Timestamp) -> dict[str, shapely.Geometry]:
    snap = timeline.at(day)
    return {
        str(actor): shapely.union_all(group.geometry.values)
        for actor, group in snap.groupby("actor", sort=False)
    }


def change_layers(timeline: Timeline, first: pd.Timestamp, last: pd.Timestamp) -> gpd.GeoDataFrame:
    """One row per (actor, change) with change in kept / gained / lost, in drawing order.

    "kept" is ground an actor held on both dates (held on ``last`` and on
    ``first``); with the gains (held on ``last`` only) and losses (held on
    ``first`` only) from :meth:`Timeline.changes` the three layers of an actor
    never overlap, so none hides another and their areas add up.

    Examples
    --------
    >>> import controlmap, pandas as pd
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> layers = change_layers(tl, pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
    >>> sorted(set(layers.change))
    ['gained', 'kept', 'lost']
    """
    before, after = _held(timeline, first), _held(timeline, last)
    rows = []
    for actor in timeline.actors:
        kept = shapely.intersection(
            after.get(str(actor), shapely.Polygon()), before.get(str(actor), shapely.Polygon())
        )
        parts = [p for p in shapely.get_parts(kept) if p.geom_type in ("Polygon", "MultiPolygon")]
        if parts:
            rows.append({"actor": actor, "change": "kept", "geometry": shapely.union_all(parts)})
    changes = timeline.changes(first, last)
    for row in changes.itertuples(index=False):
        rows.append({"actor": row.actor, "change": row.change, "geometry": row.geometry})
    frame = gpd.GeoDataFrame(rows, columns=["actor", "change", "geometry"], crs=4326)
    frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    # Slivers left by set operations on neighbouring polygons are not news.
    frame = frame.loc[frame["area_km2"] >= MIN_CHANGE_KM2]
    frame = frame.assign(_order=frame["change"].map(ORDER.index))
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)
