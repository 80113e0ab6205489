"""The interval engine behind ``Timeline.area`` and ``Timeline.population``.

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

from ._packed import Rows, bounds_of, made, tree_items
from .geodesic import geodesic_area_km2
from .union import union

__all__ = [
    "active_at",
    "crowded",
    "factorize",
    "interval_series",
    "overlapping_pairs",
    "union_table",
]


def active_at(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each half-open interval ``[start, end)`` holds one of the instants ``at``.

    Examples
    --------
    >>> active_at(np.array([0, 5]), np.array([5, 9]), np.array([5])).tolist()
    [False, True]
    """
    instants = np.unique(at)
    following = np.searchsorted(instants, starts, side="left")
    active = following < len(instants)
    active[active] = instants[following[active]] < ends[active]
    return active


def overlapping_pairs(
    geometries: np.ndarray | Rows,
    groups: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    at: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs of periods of one group that overlap in space (positive area) and in time.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries, or Rows
        Rows of packed geometry are made into shapely objects only for the pairs
        whose boxes meet.
    groups : numpy.ndarray of int
        Group code of each period (e.g. the actor).
    starts, ends : numpy.ndarray of int64
        Half-open intervals ``[start, end)``; open ends as the largest int64.
    at : numpy.ndarray of int64, optional
        Only pairs of periods both active at one of these instants (on the scale of
        ``starts``): a series of a few dates then never looks at the others.

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
    if at is not None:
        # A period matters only if active at an instant asked for; a pair, only if
        # both are (they then coexist at that instant).
        keep = np.flatnonzero(active_at(starts, ends, at))
        found = overlapping_pairs(geometries[keep], groups[keep], starts[keep], ends[keep])
        return keep[found] if len(found) else found
    if len(geometries) < 2:
        return np.empty((0, 2), dtype=np.int64)
    left, right = _candidate_pairs(geometries, starts, ends)
    # The cheap filters first (same group, overlapping in time, boxes overlapping in
    # area: neighbouring tiles only share an edge), the exact test last.
    keep = (left < right) & (groups[left] == groups[right])
    keep &= np.maximum(starts[left], starts[right]) < np.minimum(ends[left], ends[right])
    left, right = left[keep], right[keep]
    bounds = bounds_of(geometries)
    width = np.minimum(bounds[left, 2], bounds[right, 2]) - np.maximum(
        bounds[left, 0], bounds[right, 0]
    )
    height = np.minimum(bounds[left, 3], bounds[right, 3]) - np.maximum(
        bounds[left, 1], bounds[right, 1]
    )
    left, right = left[(width > 0) & (height > 0)], right[(width > 0) & (height > 0)]
    if len(left):
        # Interiors meet: a shared edge or corner is not an overlap.
        inner = _interiors_meet(geometries, left, right)
        left, right = left[inner], right[inner]
    return np.column_stack([left, right]).astype(np.int64)


def _interiors_meet(
    geometries: np.ndarray | Rows, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Whether each pair of polygons overlaps, as far as a union is needed.

    A point inside one polygon lying strictly inside the other settles it at once;
    with prepared polygons that costs a point-in-polygon lookup, where the full
    DE-9IM relate of two 2,000-vertex polygons costs milliseconds. Small pairs the
    points leave open get the exact relate (a shared edge is no overlap); large ones
    count as overlapping as soon as they intersect: at worst two neighbours that
    only touch are unioned, which gives the same area.
    """
    members = len(np.unique(np.concatenate([left, right])))
    # A point and a prepared polygon of each member take ~600 bytes: in slices of
    # pairs with about _MEMBERS_AT_ONCE members each (36,000 members of 100,000 small
    # periods added 21 MB at once). Few members (large polygons, heavily overlapping)
    # stay one slice: each would be prepared again in every slice.
    step = max(1, len(left) * _MEMBERS_AT_ONCE // max(members, _MEMBERS_AT_ONCE))
    found = [
        _slice_meets(geometries, left[at : at + step], right[at : at + step])
        for at in range(0, len(left), step)
    ]
    return np.concatenate(found) if found else np.zeros(0, dtype=bool)


def _slice_meets(geometries: np.ndarray | Rows, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """:func:`_interiors_meet` of one slice of pairs."""
    members = np.unique(np.concatenate([left, right]))
    # The slice's members alone, made once (from packed rows) and numbered 0, 1, ...
    left, right = np.searchsorted(members, left), np.searchsorted(members, right)
    geometries = made(geometries, members)
    inside = shapely.point_on_surface(geometries)
    shapely.prepare(geometries)
    try:
        sure = shapely.contains_properly(geometries[right], inside[left])
        sure |= shapely.contains_properly(geometries[left], inside[right])
        open_ = np.flatnonzero(~sure)
        size = shapely.get_num_coordinates(geometries)
        large = size[left[open_]] + size[right[open_]] > _RELATE_VERTICES
        big, small = open_[large], open_[~large]
        sure[big] = shapely.intersects(geometries[left[big]], geometries[right[big]])
    finally:
        shapely.destroy_prepared(geometries)
    sure[small] = shapely.relate_pattern(
        geometries[left[small]], geometries[right[small]], "T********"
    )
    return sure


#: Pairs with more vertices than this between them are not put through the relate.
_RELATE_VERTICES = 500
#: Polygons given a point and prepared at once by :func:`_interiors_meet`.
_MEMBERS_AT_ONCE = 4096


_CHUNK = 512
#: Coexisting periods asked of a chunk's tree at once (boxes of packed rows: 1.4 MB).
_ASKED_AT_ONCE = 4096


def _candidate_pairs(
    geometries: np.ndarray | Rows, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs whose bounding boxes meet, among periods that can coexist in time.

    Periods are taken in chunks of consecutive starts. A chunk is compared only with
    the periods active during its time span: with a spatial index of those alone when
    they are few (a chain of daily snapshots of the same ground would otherwise pair
    every day with every other), with one index of everything when most coexist.
    """
    n = len(geometries)
    order = np.argsort(starts, kind="stable")
    everything: shapely.STRtree | None = None
    lefts, rights = [], []
    for chunk in np.array_split(order, max(1, -(-n // _CHUNK))):
        first, last = starts[chunk].min(), ends[chunk].max()
        coexisting = np.flatnonzero((starts < last) & (ends > first))
        if len(coexisting) > n // 2:
            if everything is None:
                everything = shapely.STRtree(tree_items(geometries))
            at, right = everything.query(tree_items(geometries[chunk]))
        else:
            # A tree of the chunk, asked with the coexisting periods a slice at a time:
            # for packed rows their boxes are made a slice at a time, not all at once.
            tree = shapely.STRtree(tree_items(geometries[chunk]))
            ats, found = [], []
            for first in range(0, len(coexisting), _ASKED_AT_ONCE):
                part = coexisting[first : first + _ASKED_AT_ONCE]
                other, mine = tree.query(tree_items(geometries[part]))
                ats.append(mine)
                found.append(part[other])
            at, right = np.concatenate(ats), np.concatenate(found)
        left = chunk[at]
        keep = left < right  # each pair once: from the chunk of its first member
        lefts.append(left[keep])
        rights.append(right[keep])
    return np.concatenate(lefts), np.concatenate(rights)


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
    >>> t = d.as_unit("s").asi8[0]
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
        # Corrections added then taken back leave residues (±1e-18): held nothing is 0.
        level[active == 0] = 0.0
        np.maximum(level, 0.0, out=level)
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
    """Replace the summed value by the union's value where overlapping periods coexist.

    Overlapping periods that coexist form connected clusters. A sweep over the change
    instants keeps the clusters up to date as pairs begin and end, touching only the
    cluster a pair belongs to, and computes each distinct cluster's union once. The
    cost therefore follows the number of changes, not the number of dates.
    """
    level = level.copy()
    # A pair coexists on the intervals [max(first), min(stop)).
    lo = np.maximum(brk.first[pairs[:, 0]], brk.first[pairs[:, 1]])
    hi = np.minimum(brk.stop[pairs[:, 0]], brk.stop[pairs[:, 1]])
    begins: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for p, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        if a < b:
            begins.setdefault(a, []).append(p)
            ends.setdefault(b, []).append(p)
    neighbours: dict[int, set[int]] = {}
    cluster_of: dict[int, frozenset[int]] = {}
    pending: set[frozenset[int]] = set()  # current clusters not yet in `correction`
    counted: set[frozenset[int]] = set()  # current clusters included in `correction`
    excess: dict[frozenset[int], float] = {}  # union value minus summed values, per cluster
    correction = np.zeros(level.shape[1], dtype=float)

    last_needed = int(needed.max()) if len(needed) else -1
    wanted = np.zeros(last_needed + 1, dtype=bool)
    wanted[needed] = True
    for k in range(last_needed + 1):
        touched: set[int] = set()
        for p in ends.get(k, ()):
            i, j = int(pairs[p, 0]), int(pairs[p, 1])
            neighbours[i].discard(j)
            neighbours[j].discard(i)
            touched.update((i, j))
        for p in begins.get(k, ()):
            i, j = int(pairs[p, 0]), int(pairs[p, 1])
            neighbours.setdefault(i, set()).add(j)
            neighbours.setdefault(j, set()).add(i)
            touched.update((i, j))
        if touched:
            # Retire the clusters the changed pairs belonged to, then rebuild them.
            stale = {cluster_of[n] for n in touched if n in cluster_of}
            for cluster in stale:
                if cluster in counted:
                    counted.discard(cluster)
                    correction[groups[next(iter(cluster))]] -= excess[cluster]
                pending.discard(cluster)
            region = touched.union(*stale)
            for node in region:
                cluster_of.pop(node, None)
            for cluster in _components(region, neighbours):
                if len(cluster) > 1:
                    pending.add(cluster)
                    for node in cluster:
                        cluster_of[node] = cluster
        if wanted[k]:
            # Unions are computed lazily: only for clusters present on a date asked for.
            for cluster in pending:
                if cluster not in excess:
                    index = np.fromiter(sorted(cluster), dtype=np.int64)
                    excess[cluster] = union_value(index) - float(values[index].sum())
                correction[groups[next(iter(cluster))]] += excess[cluster]
            counted |= pending
            pending.clear()
            level[k] += correction
    return level


def _components(nodes: set[int], neighbours: dict[int, set[int]]) -> list[frozenset[int]]:
    """Connected components reachable from ``nodes`` in the overlap graph."""
    seen: set[int] = set()
    found: list[frozenset[int]] = []
    for start in nodes:
        if start in seen:
            continue
        stack, component = [start], {start}
        while stack:
            for other in neighbours.get(stack.pop(), ()):
                if other not in component:
                    component.add(other)
                    stack.append(other)
        seen |= component
        found.append(frozenset(component))
    return found


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


def crowded(geoms: np.ndarray | Rows, starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> bool:
    """Whether the periods active on some instant of ``at`` pile up on the same ground.

    Judged from bounding boxes: where their summed area exceeds
    :data:`_CROWDED` times the area of the box around them all, most periods overlap
    many others, and the overlapping pairs outnumber the periods by far.
    """
    every = bounds_of(geoms)
    for instant in np.unique(at):
        bounds = every[(starts <= instant) & (instant < ends)]
        if len(bounds) < max(2, _CROWDED):  # one period alone needs no union
            continue
        boxes = ((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])).sum()
        west, south = bounds[:, :2].min(axis=0)
        east, north = bounds[:, 2:].max(axis=0)
        if boxes > _CROWDED * (east - west) * (north - south):
            return True
    return False


#: Periods stacked this many deep on average count as crowded (see :func:`crowded`).
_CROWDED = 8


def union_table(
    geoms: np.ndarray | Rows,
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    at: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Area of the union of each group's periods active at each instant, ``(len(at), n)``."""
    instants, row_of = np.unique(at, return_inverse=True)
    table = np.zeros((len(instants), n_groups), dtype=float)
    for row, instant in enumerate(instants):
        active = (starts <= instant) & (instant < ends)
        for code in range(n_groups):
            index = np.flatnonzero(active & (codes == code))
            if len(index):
                shapes = made(geoms, index)
                held = union(shapes) if len(index) > 1 else shapes[0]
                table[row, code] = geodesic_area_km2([held])[0]
    return table[row_of]
