"""The largest area an actor held, found without measuring every date.

On heavily overlapping data (hundreds of large periods of one actor covering the same
ground at once) every date's area is the area of a large union, and a timeline of
thousands of change dates cannot afford one per date. The peak needs far fewer:

- The area only grows when a period starts and only shrinks when one ends, so the
  peak is on a date where some period starts and the next change ends one (a
  *candidate*); the dates in between are never larger.
- The actor's ground is cut once into tiles on a fixed grid. A tile inside a period
  active on a date is held whole on that date; the other tiles hold the union of the
  pieces of the active periods clipped to them. Summing, per tile, the tile's area or
  the pieces' planar areas scaled to the ellipsoid gives an upper bound of every
  candidate's area in one pass of numpy.
- Candidates are then measured exactly, the one with the largest bound first (a
  branch and bound): once a measured area is at least every remaining bound, it is
  the peak. A tile's union is computed once per set of pieces and reused by every
  date that has the same set.

The exact area of a date is the sum of its tiles' geodesic areas (the union of the
pieces inside each tile). The tile lines add vertices where the ground's edge crosses
them, which moves the geodesic measure by about 1e-7 of the area compared with a
plain union (see :func:`controlmap.union.union`).
"""

from __future__ import annotations

import heapq
import numpy as np
import shapely

from .geodesic import geodesic_area_km2

__all__ = ["peak_area"]

#: Open ends of periods, as in :mod:`controlmap.intervals`.
OPEN = np.iinfo(np.int64).max

#: About this many vertices of the actor's periods per tile.
_TILE_VERTICES = 150
#: At most this many tiles along a side of the grid.
_MAX_SIDE = 160
#: Tiles handled together when bounding every candidate (memory: tiles x candidates).
_TILE_CHUNK = 2048

# WGS84, for the bound of the area element (km² per square degree).
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
#: Margin of the planar bound over the geodesic measure: edges are measured as
#: geodesics, which depart from the straight lon/lat edges by far less than this.
_MARGIN = 1.001


def peak_area(geoms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[int, float]:
    """The largest area held by one actor's periods, and the first instant it is held.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Valid polygonal geometries of one actor's periods (longitude/latitude).
    starts, ends : numpy.ndarray of int64
        Half-open intervals ``[start, end)`` on any integer time scale; open ends as
        the largest int64.

    Returns
    -------
    tuple of (int, float)
        The instant (a start of some period) and the area in km² of the union of the
        periods active then. Of instants holding the same area (within 1e-9), the
        first.

    Examples
    --------
    >>> from shapely import box
    >>> g = np.array([box(40, 34, 41, 35), box(40.5, 34, 41.5, 35), box(40, 34, 40.1, 34.1)])
    >>> instant, km2 = peak_area(g, np.array([0, 5, 20]), np.array([10, 30, OPEN]))
    >>> instant, round(km2)
    (5, 15282)
    """
    if not len(geoms):
        raise ValueError("peak_area needs at least one period")
    grid = _Grid(geoms, starts, ends)
    return grid.peak()


class _Grid:
    """One actor's periods cut into tiles, with what is needed to measure any instant.

    Each period is clipped to the grid's rows first (*strips*), and each strip to the
    tiles of its row: clipping a strip touches only its own vertices, not the whole
    polygon's for every tile. A (period, tile) pair whose clip is the whole tile
    *covers* it; the others are *pieces*, kept as their strip and an area bound.
    """

    def __init__(self, geoms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self.geoms = geoms
        self.instants = np.unique(np.concatenate([starts, ends[ends != OPEN]]))
        n = len(self.instants)
        # Each period is active on the instants [lo, hi).
        self.lo = np.searchsorted(self.instants, starts)
        self.hi = np.where(ends == OPEN, n, np.searchsorted(self.instants, ends))
        vertices = int(shapely.get_num_coordinates(geoms).sum())
        side = int(np.clip(np.ceil(np.sqrt(vertices / _TILE_VERTICES)), 1, _MAX_SIDE))
        self.side = side
        west, south, east, north = shapely.total_bounds(geoms)
        self.xs, self.ys = np.linspace(west, east, side + 1), np.linspace(south, north, side + 1)
        self.tiles = shapely.box(
            np.repeat(self.xs[:-1], side),
            np.tile(self.ys[:-1], side),
            np.repeat(self.xs[1:], side),
            np.tile(self.ys[1:], side),
        )  # tile index: column * side + row
        self.tile_km2 = geodesic_area_km2(self.tiles)
        self._strips(geoms)
        self._pairs()
        self.cache: dict[tuple[int, tuple[int, ...]], float] = {}
        self.piece_km2 = np.full(len(self.piece_strip), np.nan)

    def _span(self, edges: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last cell of ``edges`` that each [low, high] overlaps."""
        last = len(edges) - 2
        first = np.clip(np.searchsorted(edges, low, side="right") - 1, 0, last)
        final = np.clip(np.searchsorted(edges, high, side="left") - 1, 0, last)
        return first, np.maximum(first, final)

    def _strips(self, geoms: np.ndarray) -> None:
        bounds = shapely.bounds(geoms)
        first, last = self._span(self.ys, bounds[:, 1], bounds[:, 3])
        periods, rows, strips = [], [], []
        west, east = self.xs[0], self.xs[-1]
        for row in range(self.side):
            index = np.flatnonzero((first <= row) & (row <= last))
            if len(index):
                clipped = shapely.clip_by_rect(geoms[index], west, self.ys[row], east, self.ys[row + 1])
                keep = ~shapely.is_empty(clipped)
                periods.append(index[keep])
                rows.append(np.full(int(keep.sum()), row))
                strips.append(clipped[keep])
        self.strip_period = np.concatenate(periods)
        self.strip_row = np.concatenate(rows)
        self.strips = np.concatenate(strips)

    def _pairs(self) -> None:
        """Which strips cover which tiles, and the pieces of the others with their bounds."""
        bounds = shapely.bounds(self.strips)
        first, last = self._span(self.xs, bounds[:, 0], bounds[:, 2])
        count = last - first + 1
        strip = np.repeat(np.arange(len(self.strips)), count)
        column = first[strip] + np.arange(len(strip)) - np.repeat(np.cumsum(count) - count, count)
        tile = column * self.side + self.strip_row[strip]
        order = np.argsort(tile, kind="stable")
        strip, tile = strip[order], tile[order]
        planar = np.zeros(len(strip))
        tile_bounds = shapely.bounds(self.tiles)
        cuts = np.searchsorted(tile, np.arange(len(self.tiles) + 1))
        for t in np.flatnonzero(cuts[1:] > cuts[:-1]):
            part = slice(cuts[t], cuts[t + 1])
            planar[part] = shapely.area(shapely.clip_by_rect(self.strips[strip[part]], *tile_bounds[t]))
        whole = planar >= shapely.area(self.tiles)[tile] * (1 - 1e-12)
        self.cover_period = self.strip_period[strip[whole]]
        self.cover_tile = tile[whole]
        partial = ~whole & (planar > 0)
        self.piece_strip, self.piece_tile = strip[partial], tile[partial]
        self.piece_period = self.strip_period[self.piece_strip]
        # Planar area scaled by the largest area element in the tile bounds the
        # geodesic area of the piece (and of any union of pieces, by their sum).
        south, north = tile_bounds[:, 1], tile_bounds[:, 3]
        nearest = np.where((south < 0) & (north > 0), 0.0, np.minimum(abs(south), abs(north)))
        element = _MARGIN * _km2_per_square_degree(nearest)
        self.piece_bound = planar[partial] * element[self.piece_tile]
        self.tile_first = np.searchsorted(self.piece_tile, np.arange(len(self.tiles) + 1))

    # -------------------------------------------------------------- bounds
    def candidates(self) -> np.ndarray:
        """Instants where some period starts and the next instant ends one (or none follows)."""
        n = len(self.instants)
        starting = np.zeros(n, dtype=bool)
        starting[self.lo] = True
        ending = np.zeros(n + 1, dtype=bool)
        ending[self.hi] = True
        ending[n] = True
        return np.flatnonzero(starting & ending[1:])

    def _in_candidates(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each period's active candidates [clo, chi) (active when lo <= instant < hi)."""
        return np.searchsorted(candidates, self.lo), np.searchsorted(candidates, self.hi)

    def tile_bounds(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per (tile, candidate): whether a period covers the tile, and a bound of its area."""
        m, n_tiles = len(candidates), len(self.tiles)
        clo, chi = self._in_candidates(candidates)
        covered = np.zeros((n_tiles, m + 1), dtype=np.int32)
        np.add.at(covered, (self.cover_tile, clo[self.cover_period]), 1)
        np.add.at(covered, (self.cover_tile, chi[self.cover_period]), -1)
        held = np.cumsum(covered, axis=1)[:, :m] > 0
        del covered
        bound = self._summed(candidates, np.ones(len(self.piece_tile), dtype=bool))
        full = self.tile_km2[:, None] * _MARGIN
        np.minimum(bound, full, out=bound)
        bound[held] = full.repeat(m, axis=1)[held]
        return held, bound

    def _summed(self, candidates: np.ndarray, which: np.ndarray) -> np.ndarray:
        """Per (tile, candidate): the summed bounds of the pieces ``which`` active then."""
        m = len(candidates)
        clo, chi = self._in_candidates(candidates)
        p = self.piece_period[which]
        summed = np.zeros((len(self.tiles), m + 1))
        np.add.at(summed, (self.piece_tile[which], clo[p]), self.piece_bound[which])
        np.add.at(summed, (self.piece_tile[which], chi[p]), -self.piece_bound[which])
        return np.cumsum(summed, axis=1)[:, :m]

    # -------------------------------------------------------------- exact
    def area_at(self, k: int) -> np.ndarray:
        """The exact area held in each tile at instant index ``k``."""
        active = (self.lo <= k) & (k < self.hi)
        held = np.zeros(len(self.tiles), dtype=bool)
        held[self.cover_tile[active[self.cover_period]]] = True
        values = np.where(held, self.tile_km2, 0.0)
        live = np.flatnonzero(active[self.piece_period] & ~held[self.piece_tile])
        if not len(live):
            return values
        tiles = self.piece_tile[live]
        cuts = np.flatnonzero(np.diff(tiles)) + 1
        singles: list[int] = []
        keys: list[tuple[int, tuple[int, ...]]] = []
        unions: list[shapely.Geometry] = []
        for group in np.split(live, cuts):
            if len(group) == 1:
                singles.append(int(group[0]))
                continue
            key = (int(self.piece_tile[group[0]]), tuple(group.tolist()))
            if key in self.cache:
                values[key[0]] = self.cache[key]
            else:
                keys.append(key)
                unions.append(self._union(group))
        if singles:
            index = np.array(singles)
            unknown = index[np.isnan(self.piece_km2[index])]
            if len(unknown):
                self.piece_km2[unknown] = geodesic_area_km2(self._each_piece(unknown))
            values[self.piece_tile[index]] = self.piece_km2[index]
        if unions:
            measured = geodesic_area_km2(np.array(unions, dtype=object))
            for key, km2 in zip(keys, measured, strict=True):
                self.cache[key] = float(km2)
                values[key[0]] = km2
        return values

    def _pieces(self, group: np.ndarray) -> np.ndarray:
        """The polygons of the pieces ``group`` (all in one tile)."""
        tile = int(self.piece_tile[group[0]])
        clipped = shapely.clip_by_rect(self.strips[self.piece_strip[group]], *self.tiles[tile].bounds)
        parts = shapely.get_parts(clipped)
        return parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]

    def _each_piece(self, index: np.ndarray) -> np.ndarray:
        """Each piece of ``index`` as one geometry (any tiles)."""
        out = np.empty(len(index), dtype=object)
        order = np.argsort(self.piece_tile[index], kind="stable")
        tiles = self.piece_tile[index][order]
        bounds = shapely.bounds(self.tiles)
        for chunk in np.split(np.arange(len(index)), np.flatnonzero(np.diff(tiles)) + 1):
            t = int(tiles[chunk[0]])
            out[order[chunk]] = shapely.clip_by_rect(
                self.strips[self.piece_strip[index[order[chunk]]]], *bounds[t]
            )
        return out

    def _union(self, group: np.ndarray) -> shapely.Geometry:
        """The union of the pieces ``group`` (all in one tile)."""
        try:
            return shapely.union_all(self._pieces(group))
        except shapely.errors.GEOSException:
            # clip_by_rect does not promise valid pieces; intersect instead (as union does).
            tile = self.tiles[self.piece_tile[group[0]]]
            exact = shapely.get_parts(shapely.intersection(self.geoms[self.piece_period[group]], tile))
            return shapely.union_all(exact[shapely.get_type_id(exact) == 3])

    # -------------------------------------------------------------- search
    def peak(self) -> tuple[int, float]:
        """The first instant of the largest area, and that area (a branch and bound)."""
        candidates = self.candidates()
        held, bound = self.tile_bounds(candidates)
        open_ = np.ones(len(candidates), dtype=bool)
        best, best_at = -1.0, -1
        while True:
            totals = np.where(open_, bound.sum(axis=0), -np.inf)
            c = int(np.argmax(totals))
            if totals[c] < best or not open_[c]:
                break
            open_[c] = False
            k = int(candidates[c])
            values = self.area_at(k)
            area = float(values.sum())
            if area > best or (area == best and k < best_at):
                best, best_at = area, k
            # Whatever a candidate holds beyond this instant's ground in a tile comes
            # from pieces active then and not now: a tighter bound near this instant.
            now = (self.lo <= k) & (k < self.hi)
            beyond = values[:, None] + self._summed(candidates, ~now[self.piece_period])
            np.minimum(bound, np.where(held, bound, beyond), out=bound)
        k = best_at
        # Within a run of starts the area never falls: an earlier instant of the run
        # may hold as much (a period starting inside ground already held).
        ending = np.zeros(len(self.instants) + 1, dtype=bool)
        ending[self.hi] = True
        while k > 0 and not ending[k] and self.area_at(k - 1).sum() >= best * (1 - _TIE):
            k -= 1
        return int(self.instants[k]), best


#: Areas closer than this (relative) are the same peak; the first date is reported.
_TIE = 1e-9


def _km2_per_square_degree(latitude: np.ndarray) -> np.ndarray:
    """The WGS84 area element at ``latitude`` (degrees), in km² per square degree."""
    phi = np.radians(latitude)
    s = np.sin(phi)
    element = _A**2 * (1 - _E2) * np.cos(phi) / (1 - _E2 * s**2) ** 2
    return element * np.radians(1.0) ** 2 / 1e6
