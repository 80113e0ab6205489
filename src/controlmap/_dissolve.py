"""What a dissolved snapshot shows: small holes filled, small parts dropped, sources summarised.

Dissolving the periods an actor holds on a day (:meth:`Timeline.at`) leaves the gaps
between sectors that sources drew separately as holes (in the bundled data, 19 holes
under 1 km² in one day's map, the smallest 138 m²), and the ``source`` of every period
merged into one text of several KB. Both are tidied here, for :meth:`Timeline.at` and
the dask engine alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from . import geodesic
from .errors import DataError
from .geodesic import DEBRIS_DEG2

__all__ = [
    "DEFAULT_MIN_HOLE_KM2",
    "SOURCES_SHOWN",
    "check_km2",
    "summarise_sources",
    "tidy_rows",
]

#: Holes under this area (km²) are filled in snapshots unless another row holds that
#: ground: a gap between two sectors drawn apart, not ground anyone holds.
DEFAULT_MIN_HOLE_KM2 = 1.0
#: Distinct sources named in a snapshot's ``source`` text; the rest are counted.
SOURCES_SHOWN = 5


def tidy_rows(
    geoms: Sequence[Any] | np.ndarray, *, min_hole_km2: float, min_part_km2: float
) -> np.ndarray:
    """One snapshot's row geometries with small holes filled and small parts dropped.

    A hole (interior ring) under ``min_hole_km2`` is filled unless another row of the
    snapshot (another actor or status) holds part of it: then it is that row's ground
    and stays a hole. Then parts (connected polygons) under ``min_part_km2`` are
    dropped. Areas are geodesic; ``0`` keeps every hole or part.

    Parameters
    ----------
    geoms : array of Polygon/MultiPolygon
        The rows of one snapshot (valid polygons).
    min_hole_km2, min_part_km2 : float

    Returns
    -------
    ndarray
        The tidied geometries (a row can become empty when every part is dropped).

    Examples
    --------
    >>> ring = shapely.box(0, 0, 1, 1).difference(shapely.box(0.5, 0.5, 0.501, 0.501))
    >>> [len(g.interiors) for g in tidy_rows([ring], min_hole_km2=1.0, min_part_km2=0.0)]
    [0]
    """
    geoms = np.array(geoms, dtype=object)
    tree: shapely.STRtree | None = None
    for i, geom in enumerate(geoms):
        if geom is None or shapely.is_empty(geom):
            continue
        polys = shapely.get_parts(geom)
        changed = False
        if min_hole_km2 > 0 and shapely.get_num_interior_rings(polys).any():
            if tree is None:
                tree = shapely.STRtree(geoms)
            polys, changed = _fill_holes(polys, i, geoms, tree, min_hole_km2)
        if min_part_km2 > 0:
            small = geodesic.geodesic_area_km2(polys) < min_part_km2
            changed |= bool(small.any())
            polys = polys[~small]
        if changed:
            geoms[i] = _joined(polys)
    return geoms


def _fill_holes(
    polys: np.ndarray, row: int, geoms: np.ndarray, tree: shapely.STRtree, min_km2: float
) -> tuple[np.ndarray, bool]:
    """The polygons without their small holes that nobody else holds; whether any was."""
    rings, owner = shapely.get_rings(polys, return_index=True)
    # Each polygon's rings come exterior first (``owner`` ascending): the others are holes.
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    interior = np.ones(len(rings), dtype=bool)
    interior[first] = False
    holes = np.asarray(shapely.polygons(rings[interior]), dtype=object)
    fill = geodesic.geodesic_area_km2(holes) < min_km2
    if fill.any():
        candidates = np.flatnonzero(fill)
        held = _held_area(holes[candidates], row, geoms, tree)
        fill[candidates[held > DEBRIS_DEG2]] = False
    if not fill.any():
        return polys, False
    keep = np.ones(len(rings), dtype=bool)
    keep[np.flatnonzero(interior)[fill]] = False
    out = polys.copy()
    for k, (lo, hi) in enumerate(zip(first, [*first[1:], len(rings)], strict=True)):
        if not keep[lo:hi].all():
            kept_holes = [rings[j] for j in range(lo + 1, hi) if keep[j]]
            out[k] = shapely.Polygon(rings[lo], kept_holes)
    return out, True


def _held_area(holes: np.ndarray, row: int, geoms: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Planar area (square degrees) of each hole that the snapshot's other rows hold."""
    held = np.zeros(len(holes))
    hole_tree = shapely.STRtree(holes)
    # Other rows whose bounding boxes meet any hole's: the only ones that can hold one.
    others = np.unique(tree.query(holes)[1])
    for other_row in others[others != row]:
        other = geoms[other_row]
        if other is None or shapely.is_empty(other):
            continue
        # The other row is prepared and tested against thousands of small holes at once:
        # testing each hole against an unprepared polygon of 10,000s of vertices walked
        # its every edge per hole (a heavy overlapping snapshot spent 30 s there).
        was_prepared = shapely.is_prepared(other)
        shapely.prepare(other)
        try:
            hit = hole_tree.query(other, predicate="intersects")
            inside = shapely.contains_properly(other, holes[hit])
        finally:
            if not was_prepared:
                shapely.destroy_prepared(other)
        held[hit[inside]] += shapely.area(holes[hit[inside]])
        # Holes the other row only partly covers (or touches): one overlay for them all.
        partly = hit[~inside]
        if not len(partly):
            continue
        shared = shapely.get_parts(shapely.intersection(shapely.union_all(holes[partly]), other))
        shared = shared[shapely.area(shared) > 0]
        if not len(shared):
            continue
        # Which hole each shared part lies in (holes' interiors are disjoint).
        part_ix, in_hole = shapely.STRtree(holes[partly]).query(
            shapely.point_on_surface(shared), predicate="intersects"
        )
        np.add.at(held, partly[in_hole], shapely.area(shared[part_ix]))
    return held


def _joined(polys: np.ndarray) -> Any:
    """One (Multi)Polygon of the parts; an island inside a filled hole merges into it."""
    if not len(polys):
        return shapely.Polygon()
    if len(polys) == 1:
        return polys[0]
    multi = shapely.multipolygons(polys)
    if shapely.is_valid(multi):
        return multi
    merged = shapely.union_all(polys)
    if shapely.get_type_id(merged) in (3, 6):
        return merged
    parts = [p for p in shapely.get_parts(merged) if shapely.get_type_id(p) in (3, 6)]
    return shapely.multipolygons(parts) if len(parts) > 1 else parts[0]


def summarise_sources(
    texts: Sequence[Any], weights: Sequence[float] | np.ndarray, shown: int = SOURCES_SHOWN
) -> tuple[str, list[str]]:
    """The distinct sources of some periods: a short text and the full list.

    Each period's ``source`` may cite several sources separated by ``"; "``. Sources
    are ranked by the area (``weights``) of the periods citing them, largest first
    (ties: first cited first); the text names the first ``shown`` and counts the rest.

    Examples
    --------
    >>> text, full = summarise_sources(["a; b", "c", "a", None], [1.0, 5.0, 1.0, 9.0], shown=2)
    >>> text, full
    ('c; a and 1 more', ['c', 'a', 'b'])
    """
    totals: dict[str, float] = {}
    for text, weight in zip(texts, weights, strict=True):
        if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
            continue
        for name in str(text).split("; "):
            name = name.strip()
            if name:
                totals[name] = totals.get(name, 0.0) + float(weight)
    # sorted() is stable: equal areas keep the order they were first cited in.
    ranked = sorted(totals, key=lambda name: -totals[name])
    head = "; ".join(ranked[:shown])
    more = len(ranked) - shown
    return (f"{head} and {more} more" if more > 0 else head), ranked


def check_km2(name: str, value: Any) -> float:
    """A threshold in km²: a non-negative finite number, else a one-line error.

    Examples
    --------
    >>> check_km2("min_hole_km2", 1)
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise DataError(f"{name} {value!r} is not a number of km²")
    if not (math.isfinite(value) and value >= 0):
        raise DataError(f"{name} {value!r} is not a non-negative number of km²")
    return float(value)
