"""Places inside periods: the spatial join behind ``Timeline.population``."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["places_in_periods"]


def _shared_place_pairs(
    period_ix: np.ndarray,
    place_ix: np.ndarray,
    groups: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """Pairs ``i < j`` of one group's periods, coexisting in time, holding a common place."""
    by_place = np.argsort(place_ix, kind="stable")
    place_sorted, period_sorted = place_ix[by_place], period_ix[by_place]
    bounds = np.flatnonzero(np.diff(place_sorted)) + 1
    pairs: list[tuple[int, int]] = []
    for holders in np.split(period_sorted, bounds):
        if len(holders) < 2:
            continue
        # In start order, the periods coexisting with holder a are those starting before
        # a ends: a chain of consecutive periods yields no pair at all.
        holders = holders[np.argsort(starts[holders], kind="stable")]
        reach = np.searchsorted(starts[holders], ends[holders], side="left")
        for a in np.flatnonzero(reach > np.arange(len(holders)) + 1):
            for b in range(a + 1, int(reach[a])):
                i, j = sorted((int(holders[a]), int(holders[b])))
                if groups[i] == groups[j]:
                    pairs.append((i, j))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.array(pairs, dtype=np.int64), axis=0)


def places_in_periods(
    geoms: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Which places lie in which period: one spatial join, reused for every date.

    Returns
    -------
    period_ix, place_ix : arrays of int
        The (period, place) pairs of places inside (or on the edge of) a period,
        sorted by period.
    contains : list of arrays of int
        For each period, the places inside it.

    Examples
    --------
    >>> import shapely
    >>> period_ix, place_ix, contains = places_in_periods(
    ...     np.array([shapely.box(0, 0, 1, 1)]), shapely.points([[0.5, 0.5], [2, 2]]))
    >>> [c.tolist() for c in contains]
    [[0]]
    """
    period_ix, place_ix = shapely.STRtree(points).query(geoms, predicate="intersects")
    order = np.argsort(period_ix, kind="stable")
    period_ix, place_ix = period_ix[order], place_ix[order]
    cuts = np.searchsorted(period_ix, np.arange(1, len(geoms)))
    contains: list[np.ndarray] = np.split(place_ix, cuts)
    return period_ix, place_ix, contains
