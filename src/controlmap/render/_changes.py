"""The layers of a changes map: ground kept, gained and lost, per actor, never overlapping."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from ..geodesic import SLIVER_KM2, geodesic_area_km2
from ..model import Timeline
from ._style import status_order

__all__ = ["change_layers"]

#: Drawing order: kept ground at the bottom, gains on top so none is hidden.
ORDER = ("kept", "lost", "gained")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    # Set operations on touching polygons leave lines and points where they meet.
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _by_status(
    geom: shapely.Geometry, actor: str, snap: gpd.GeoDataFrame, order: list[str]
) -> list[tuple[str, shapely.Geometry]]:
    """``geom`` cut by the status of the actor's ground in ``snap``, without overlaps.

    Where two statuses overlap the first in ``order`` (control before contested)
    takes the ground, so the pieces add up to the whole.
    """
    rows = snap.loc[snap["actor"].astype(str) == actor]
    pieces: list[tuple[str, shapely.Geometry]] = []
    rest = geom
    for status in order:
        if shapely.is_empty(rest):
            break
        held = rows.loc[rows["status"].astype(str) == status]
        if not len(held):
            continue
        area = shapely.union_all(held.geometry.values)
        piece = _polygonal(shapely.intersection(rest, area))
        if piece is not None:
            pieces.append((status, piece))
            rest = shapely.difference(rest, area)
    if not pieces:
        pieces.append((order[0] if order else "control", geom))
    return pieces


def change_layers(timeline: Timeline, first: pd.Timestamp, last: pd.Timestamp) -> gpd.GeoDataFrame:
    """One row per (actor, change, status), change in kept / gained / lost, in drawing order.

    The rows of :meth:`Timeline.changes` with ``kept=True`` (ground held on both
    dates, gained, lost): the three layers of an actor never overlap, so none hides
    another and their areas add up. Each is cut by
    status: lost ground by its status on ``first``, kept and gained ground by its
    status on ``last``.

    Examples
    --------
    >>> import controlmap, pandas as pd
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> layers = change_layers(tl, pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
    >>> sorted(set(layers.change))
    ['gained', 'kept', 'lost']
    """
    snap_first, snap_last = timeline.at(first), timeline.at(last)
    order = status_order(timeline._table["status"])
    changes = timeline.changes(first, last, kept=True)
    rows = []
    for actor, change, geom in zip(
        changes["actor"], changes["change"], changes.geometry, strict=True
    ):
        # Ground lost is told by what it was on the first date; kept and gained ground
        # by what it is on the last.
        snap = snap_first if change == "lost" else snap_last
        for status, piece in _by_status(geom, str(actor), snap, order):
            rows.append({"actor": actor, "change": change, "status": status, "geometry": piece})
    frame = gpd.GeoDataFrame(rows, columns=["actor", "change", "status", "geometry"], crs=4326)
    frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    # The library's one sliver rule, for the pieces cut by status too.
    frame = frame.loc[frame["area_km2"] >= SLIVER_KM2]
    frame = frame.assign(_order=frame["change"].map(ORDER.index))
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)
