"""Geodesic areas and the interval engine behind ``Timeline.area``.

Areas are computed on the WGS84 ellipsoid with :class:`pyproj.Geod` (Karney's
algorithm), never in a projected CRS, so a polygon in Anbar and one in Norway are
measured alike.

The series engine works on *change dates*, not on requested dates: between two
consecutive starts or ends the set of active periods is constant, so each actor's area
is a running sum of the areas of periods that start and end (each geometry measured
once). Only where two periods of one actor overlap in space *and* time is a union
computed, and only for the stretches of time where both are active.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

__all__ = ["geodesic_area_km2", "interval_series", "overlapping_pairs"]

_GEOD = Geod(ellps="WGS84")


def _ring_area_m2(ring: shapely.LinearRing) -> float:
    coords = shapely.get_coordinates(ring)
    if len(coords) < 4:
        return 0.0
    area, _ = _GEOD.polygon_area_perimeter(coords[:, 0], coords[:, 1])
    return abs(area)


def _polygon_area_m2(polygon: shapely.Polygon) -> float:
    # Orientation-free: exterior minus holes, each taken in absolute value, so a file
    # with clockwise exteriors (legal before RFC 7946) is measured the same.
    area = _ring_area_m2(polygon.exterior)
    for hole in polygon.interiors:
        area -= _ring_area_m2(hole)
    return max(area, 0.0)


def geodesic_area_km2(geometries: Sequence[shapely.Geometry | None] | np.ndarray) -> np.ndarray:
    """Geodesic area of each geometry on the WGS84 ellipsoid, in km².

    Parameters
    ----------
    geometries : array_like of shapely geometries
        Longitude/latitude geometries (EPSG:4326). Non-polygonal parts, empty
        geometries and None count as 0.

    Returns
    -------
    numpy.ndarray
        One float per geometry.

    Examples
    --------
    >>> from shapely import box
    >>> round(float(geodesic_area_km2([box(40, 34, 41, 35)])[0]), 1)
    10187.8
    """
    geoms = np.asarray(geometries, dtype=object)
    out = np.zeros(len(geoms), dtype=float)
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        parts = shapely.get_parts(geom)
        if geom.geom_type == "GeometryCollection":
            parts = np.array([p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")])
            parts = shapely.get_parts(parts) if len(parts) else parts
        out[i] = sum(_polygon_area_m2(p) for p in parts if p.geom_type == "Polygon")
    return out / 1e6


def overlapping_pairs(
    geometries: np.ndarray,
    groups: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """Pairs of periods of one group that overlap in space (positive area) and in time.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
    groups : numpy.ndarray of int
        Group code of each period (e.g. the actor).
    starts, ends : numpy.ndarray of int64
        Half-open intervals ``[start, end)``; open ends as the largest int64.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` int array of index pairs ``i < j``.

    Examples
    --------
    >>> from shapely import box
    >>> g = np.array([box(0, 0, 2, 2), box(1, 1, 3, 3), box(2, 0, 3, 1)])
    >>> overlapping_pairs(g, np.zeros(3, int), np.zeros(3, int), np.ones(3, int)).tolist()
    [[0, 1]]
    """
    if len(geometries) < 2:
        return np.empty((0, 2), dtype=np.int64)
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = (left < right) & (groups[left] == groups[right])
    keep &= np.maximum(starts[left], starts[right]) < np.minimum(ends[left], ends[right])
    left, right = left[keep], right[keep]
    if len(left):
        # Interiors meet: a shared edge or corner is not an overlap.
        inner = shapely.relate_pattern(geometries[left], geometries[right], "T********")
        left, right = left[inner], right[inner]
    return np.column_stack([left, right]).astype(np.int64)


@dataclass(frozen=True)
class _Breaks:
    """The sorted change instants and each period's [first, last) interval index."""

    instants: np.ndarray  # int64 days, sorted, unique
    first: np.ndarray  # interval index where each period becomes active
    stop: np.ndarray  # interval index where it stops (len(instants) when open)


def _breaks(starts: np.ndarray, ends: np.ndarray, open_end: int) -> _Breaks:
    finite_ends = ends[ends != open_end]
    instants = np.unique(np.concatenate([starts, finite_ends]))
    first = np.searchsorted(instants, starts)
    stop = np.where(ends == open_end, len(instants), np.searchsorted(instants, ends))
    return _Breaks(instants, first, stop)


def interval_series(
    dates: pd.DatetimeIndex,
    groups: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    values: np.ndarray,
    pairs: np.ndarray,
    union_value: Callable[[np.ndarray], float],
    n_groups: int,
) -> np.ndarray:
    """Value held by each group at each date, counting overlapping periods once.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        The dates asked for.
    groups : numpy.ndarray of int
        Group code of each period, in ``range(n_groups)``.
    starts, ends : numpy.ndarray of int64
        Period bounds as integers on the same scale as ``dates.asi8`` after
        conversion by the caller; open ends as ``np.iinfo(np.int64).max``.
    values : numpy.ndarray of float
        The value of each period alone (its area, its population).
    pairs : numpy.ndarray
        Periods of one group overlapping in space and time (:func:`overlapping_pairs`).
    union_value : callable
        Value of the union of a set of period indices, used only where they overlap.
    n_groups : int
        Number of groups (columns of the result).

    Returns
    -------
    numpy.ndarray
        ``(len(dates), n_groups)`` array.

    Examples
    --------
    >>> d = pd.DatetimeIndex(["2000-01-01"])
    >>> t = d.asi8[0]
    >>> interval_series(d, np.array([0]), np.array([t]), np.array([t + 1]), np.array([2.0]),
    ...                 np.empty((0, 2), int), lambda ix: 0.0, 1).tolist()
    [[2.0]]
    """
    open_end = np.iinfo(np.int64).max
    out = np.zeros((len(dates), n_groups), dtype=float)
    if len(starts) == 0 or len(dates) == 0:
        return out
    brk = _breaks(starts, ends, open_end)
    n_int = len(brk.instants)
    # Running sums over change instants: +value where a period starts, -value where it ends.
    delta = np.zeros((n_int + 1, n_groups), dtype=float)
    count = np.zeros((n_int + 1, n_groups), dtype=np.int64)
    np.add.at(delta, (brk.first, groups), values)
    np.add.at(delta, (brk.stop, groups), -values)
    np.add.at(count, (brk.first, groups), 1)
    np.add.at(count, (brk.stop, groups), -1)
    level = np.cumsum(delta[:n_int], axis=0)
    active = np.cumsum(count[:n_int], axis=0)
    # Float sums leave residues such as 1e-12 once everything has ended; nothing held is 0.
    level[active == 0] = 0.0
    np.maximum(level, 0.0, out=level)

    asked = np.searchsorted(brk.instants, dates.as_unit("s").asi8, side="right") - 1
    needed = np.unique(asked[asked >= 0])
    if len(pairs):
        level = _correct_overlaps(level, needed, brk, groups, values, pairs, union_value)
    valid = asked >= 0
    out[valid] = level[asked[valid]]
    return out


def _correct_overlaps(
    level: np.ndarray,
    needed: np.ndarray,
    brk: _Breaks,
    groups: np.ndarray,
    values: np.ndarray,
    pairs: np.ndarray,
    union_value: Callable[[np.ndarray], float],
) -> np.ndarray:
    """Replace the summed value by the union's value where overlapping periods coexist."""
    level = level.copy()
    # A pair coexists on the intervals [max(first), min(stop)).
    lo = np.maximum(brk.first[pairs[:, 0]], brk.first[pairs[:, 1]])
    hi = np.minimum(brk.stop[pairs[:, 0]], brk.stop[pairs[:, 1]])
    members: dict[tuple[int, int], set[int]] = {}
    needed_set = set(needed.tolist())
    for (i, j), a, b in zip(pairs.tolist(), lo.tolist(), hi.tolist(), strict=True):
        for k in range(a, b):
            if k in needed_set:
                members.setdefault((k, int(groups[i])), set()).update((i, j))
    cache: dict[frozenset[int], float] = {}
    for (k, g), idx in members.items():
        key = frozenset(idx)
        if key not in cache:
            cache[key] = union_value(np.fromiter(sorted(key), dtype=np.int64))
        level[k, g] += cache[key] - values[list(key)].sum()
    return level


def factorize(labels: Sequence[Hashable] | np.ndarray | pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and unique labels, in order of first appearance.

    Examples
    --------
    >>> codes, uniques = factorize(["b", "a", "b"])
    >>> codes.tolist(), list(uniques)
    ([0, 1, 0], ['b', 'a'])
    """
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object), sort=False)
    return codes.astype(np.int64), pd.Index(uniques)
