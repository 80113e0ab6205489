"""The largest area an actor held, found without measuring every date.

On heavily overlapping data (hundreds of large periods of one actor covering the same
ground at once) every date's area is the area of a large union, and a timeline of
thousands of change dates cannot afford one per date. The peak needs far fewer:

- The area only grows when a period starts and only shrinks when one ends, so the
  peak is on a date where some period starts and the next change ends one (a
  *candidate*); the dates in between are never larger.
- The actor's periods are laid once on a fixed grid of tiles, in numpy: where their
  edges cross the grid, and each period's planar area in each tile. A tile inside a
  period active on a date is held whole on that date; the other tiles hold the union
  of the pieces of the active periods clipped to them. Summing, per tile, the tile's
  area or the pieces' planar areas scaled to the ellipsoid bounds every candidate's
  area from above in one pass.
- Candidates are then measured exactly, the one with the largest bound first (a
  branch and bound). A measured date also bounds the dates near it more tightly
  (they hold its ground plus the pieces of periods it lacks); once a measured area
  is at least every remaining bound, it is the peak. A tile's union is computed once
  per set of pieces and reused by every date that has the same set.

The exact area of a date is the sum of its tiles' geodesic areas (the union of the
pieces inside each tile). The tile lines add vertices where the ground's edge crosses
them, and an edge split there is measured along other points: the sum differs from
the geodesic area of a plain union by a few millionths at most (as the tiled union
of :func:`controlmap.union.union` does).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from .geodesic import geodesic_area_km2

__all__ = ["peak_area"]

#: Threads measuring a date's tiles at once, at most.
_THREADS = 4
#: Open ends of periods, as in :mod:`controlmap.intervals`.
OPEN = np.iinfo(np.int64).max

#: About this many vertices of the actor's periods per tile.
_TILE_VERTICES = 150
#: At most this many tiles along a side of the grid.
_MAX_SIDE = 80
#: Cells of the (tiles x candidates) bound matrix, at most (a few copies are alive).
_MATRIX = 4_000_000
#: Periods whose edges are laid on the grid together (memory: periods x tiles), and
#: about how many of their vertices.
_CHUNK = 64
_CHUNK_VERTICES = 200_000

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
    """One actor's periods on a grid of tiles, with what is needed to measure any instant.

    Where each period's edges cross the grid is worked out in numpy once: the planar
    area of each period in each tile (Green's theorem on the edges, clamped to the
    tile's rows), and which tiles its edges pass through. A tile no edge passes
    through is wholly inside (*covered*) or wholly outside; the others get a *piece*,
    known by its area bound until an exact measure needs its polygon, which is then
    clipped out of the period.
    """

    def __init__(self, geoms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self.geoms = geoms
        self.instants = np.unique(np.concatenate([starts, ends[ends != OPEN]]))
        n = len(self.instants)
        # Each period is active on the instants [lo, hi).
        self.lo = np.searchsorted(self.instants, starts)
        self.hi = np.where(ends == OPEN, n, np.searchsorted(self.instants, ends))
        vertices = int(shapely.get_num_coordinates(geoms).sum())
        # The bounds are a (tiles x candidates) matrix: keep it to about _MATRIX cells.
        largest = int(np.sqrt(_MATRIX / max(1, len(self.candidates()))))
        side = int(np.clip(np.ceil(np.sqrt(vertices / _TILE_VERTICES)), 1, min(_MAX_SIDE, largest)))
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
        covers, pieces, planar = [], [], []
        # Periods in chunks of about _CHUNK_VERTICES vertices (edge arrays) and at most
        # _CHUNK periods (the periods x tiles arrays).
        sizes = shapely.get_num_coordinates(geoms)
        cuts = np.flatnonzero(np.diff(np.cumsum(sizes) // _CHUNK_VERTICES)) + 1
        cuts = np.union1d(cuts, np.arange(_CHUNK, len(geoms), _CHUNK))
        for chunk in np.split(np.arange(len(geoms)), cuts):
            cover, piece, area = self._cells(chunk)
            covers.append(cover)
            pieces.append(piece)
            planar.append(area)
        cover, piece = np.concatenate(covers), np.concatenate(pieces)
        self.cover_period, self.cover_tile = cover[:, 0], cover[:, 1]
        order = np.argsort(piece[:, 1], kind="stable")
        self.piece_period, self.piece_tile = piece[order, 0], piece[order, 1]
        # Planar area scaled by the largest area element in the tile bounds the
        # geodesic area of the piece (and of any union of pieces, by their sum).
        south, north = self.ys[:-1], self.ys[1:]
        nearest = np.where((south < 0) & (north > 0), 0.0, np.minimum(abs(south), abs(north)))
        element = _MARGIN * _km2_per_square_degree(nearest)
        self.piece_bound = np.concatenate(planar)[order] * element[self.piece_tile % side]
        self.tile_first = np.searchsorted(self.piece_tile, np.arange(len(self.tiles) + 1))
        self.cache: dict[tuple[int, tuple[int, ...]], float] = {}
        self.piece_km2 = np.full(len(self.piece_tile), np.nan)

    def _cell(self, edges: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The cell of ``edges`` holding each value (the last cell for the far edge)."""
        return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)

    def _cells(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(period, tile) pairs of the periods ``chunk``: covered, and pieces with their area."""
        side, xs, ys = self.side, self.xs, self.ys
        # Exteriors counter-clockwise, holes clockwise: then the area inside a band of
        # rows is minus the integral of the clamped latitude along the rings.
        parts, owner = shapely.get_parts(
            shapely.orient_polygons(self.geoms[chunk]), return_index=True
        )
        keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
        parts, owner = parts[keep], owner[keep]
        _, coords, (ring_offsets, polygon_offsets) = shapely.to_ragged_array(parts)
        ring_of = np.repeat(np.arange(len(ring_offsets) - 1), np.diff(ring_offsets))
        ring_owner = owner[np.repeat(np.arange(len(parts)), np.diff(polygon_offsets))]
        start = np.flatnonzero(ring_of[1:] == ring_of[:-1])
        xa, ya = coords[start, 0], coords[start, 1]
        xb, yb = coords[start + 1, 0], coords[start + 1, 1]
        period = ring_owner[ring_of[start]]
        n = len(chunk)
        area = np.zeros((n, side, side))  # minus the clamped integral, per (period, column, row)
        below = np.zeros((n, side, side))  # signed widths of edges above each row
        touched = np.zeros((n, side, side), dtype=bool)

        # Vertical edges add no area; inside a column they pass through its tiles.
        upright = xa == xb
        column = self._cell(xs, xa[upright])
        inside = xa[upright] > xs[column]
        self._touch(
            touched,
            period[upright][inside],
            column[inside],
            ya[upright][inside],
            yb[upright][inside],
        )

        # The other edges, cut at the column lines.
        slanted = ~upright
        xa, ya, xb, yb, period = xa[slanted], ya[slanted], xb[slanted], yb[slanted], period[slanted]
        left, right = np.minimum(xa, xb), np.maximum(xa, xb)
        first, last = self._cell(xs, left), self._cell(xs, right)
        count = last - first + 1
        edge = np.repeat(np.arange(len(xa)), count)
        column = first[edge] + np.arange(len(edge)) - np.repeat(np.cumsum(count) - count, count)
        u = np.maximum(left[edge], xs[column])
        v = np.minimum(right[edge], xs[column + 1])
        keep = v > u
        edge, column, u, v = edge[keep], column[keep], u[keep], v[keep]
        slope = (yb - ya) / (xb - xa)
        yu = ya[edge] + (u - xa[edge]) * slope[edge]
        yv = ya[edge] + (v - xa[edge]) * slope[edge]
        sign = np.where(xb > xa, 1.0, -1.0)[edge]
        p = period[edge]
        self._touch(touched, p, column, yu, yv)
        low_row = self._cell(ys, np.minimum(yu, yv))
        _add(below, (p, column, low_row), sign * (v - u))
        high_row = self._cell(ys, np.maximum(yu, yv))
        count = high_row - low_row + 1
        piece = np.repeat(np.arange(len(u)), count)
        row = low_row[piece] + np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count)
        integral = _clamped_integral(yu[piece], yv[piece], ys[row], ys[row + 1]) * (v - u)[piece]
        _add(area, (p[piece], column[piece], row), -sign[piece] * integral)
        # Rows below an edge get its whole height: sum the widths of the edges above.
        above = np.cumsum(below[:, :, ::-1], axis=2)[:, :, ::-1] - below
        area -= above * np.diff(ys)[None, None, :]
        cell = np.outer(np.diff(xs), np.diff(ys))[None, :, :]
        period_ix, column_ix, row_ix = np.nonzero(~touched & (area > cell / 2))
        cover = np.column_stack([chunk[period_ix], column_ix * side + row_ix])
        period_ix, column_ix, row_ix = np.nonzero(touched & (area > 0))
        pieces = np.column_stack([chunk[period_ix], column_ix * side + row_ix])
        return cover, pieces, area[period_ix, column_ix, row_ix]

    def _touch(
        self,
        touched: np.ndarray,
        period: np.ndarray,
        column: np.ndarray,
        ya: np.ndarray,
        yb: np.ndarray,
    ) -> None:
        """Mark the tiles of ``column`` whose inside a segment from ``ya`` to ``yb`` enters."""
        ys = self.ys
        low, high = np.minimum(ya, yb), np.maximum(ya, yb)
        first, last = self._cell(ys, low), self._cell(ys, high)
        count = last - first + 1
        segment = np.repeat(np.arange(len(low)), count)
        row = first[segment] + np.arange(len(segment)) - np.repeat(np.cumsum(count) - count, count)
        lo, hi = low[segment], high[segment]
        enters = np.maximum(lo, ys[row]) < np.minimum(hi, ys[row + 1])
        enters |= (lo == hi) & (ys[row] < lo) & (lo < ys[row + 1])
        touched[period[segment][enters], column[segment][enters], row[enters]] = True

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
        # Running counts of active covering periods, in place (the matrices are large).
        covered = _running(
            (n_tiles, m + 1),
            np.concatenate([self.cover_tile, self.cover_tile]),
            np.concatenate([clo[self.cover_period], chi[self.cover_period]]),
            np.repeat([1.0, -1.0], len(self.cover_tile)),
        )
        held = covered[:, :m] > 0.5
        del covered
        bound = self._summed(candidates, np.ones(len(self.piece_tile), dtype=bool))
        full = self.tile_km2[:, None] * _MARGIN
        np.minimum(bound, full, out=bound)
        np.copyto(bound, np.broadcast_to(full, bound.shape), where=held)
        return held, bound

    def _summed(self, candidates: np.ndarray, which: np.ndarray) -> np.ndarray:
        """Per (tile, candidate): the summed bounds of the pieces ``which`` active then."""
        m = len(candidates)
        clo, chi = self._in_candidates(candidates)
        p = self.piece_period[which]
        tiles, weights = self.piece_tile[which], self.piece_bound[which]
        return _running(
            (len(self.tiles), m + 1),
            np.concatenate([tiles, tiles]),
            np.concatenate([clo[p], chi[p]]),
            np.concatenate([weights, -weights]),
        )[:, :m]

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
        groups = np.split(live, np.flatnonzero(np.diff(self.piece_tile[live])) + 1)
        singles = np.array([g[0] for g in groups if len(g) == 1], dtype=np.int64)
        unknown = singles[np.isnan(self.piece_km2[singles])]
        todo = []
        for g in groups:
            key = (int(self.piece_tile[g[0]]), tuple(g.tolist()))
            if len(g) > 1 and key not in self.cache:
                todo.append((key, g))
        # Every piece this instant needs, clipped in one pass.
        needed = np.concatenate([unknown, *[g for _, g in todo]]).astype(np.int64)
        clipped = self._clip(needed)
        if len(unknown):
            self.piece_km2[unknown] = geodesic_area_km2(clipped[: len(unknown)])
        if todo:
            at = np.cumsum([len(unknown)] + [len(g) for _, g in todo])
            jobs = [(g, clipped[at[i] : at[i + 1]]) for i, (_, g) in enumerate(todo)]
            # The tiles' unions are most of the work; GEOS runs them without the GIL,
            # so they go to every core (info on a heavy file: 16 s of 30 s here).
            workers = min(_THREADS, os.cpu_count() or 1, len(jobs))
            if workers > 1:
                with ThreadPoolExecutor(workers) as pool:
                    unions = list(pool.map(lambda job: self._union(*job), jobs))
            else:
                unions = [self._union(*job) for job in jobs]
            measured = geodesic_area_km2(np.array(unions, dtype=object))
            for (key, _), km2 in zip(todo, measured, strict=True):
                self.cache[key] = float(km2)
        values[self.piece_tile[singles]] = self.piece_km2[singles]
        for g in groups:
            if len(g) > 1:
                values[int(self.piece_tile[g[0]])] = self.cache[
                    (int(self.piece_tile[g[0]]), tuple(g.tolist()))
                ]
        return values

    def _clip(self, index: np.ndarray) -> np.ndarray:
        """The polygon of each piece of ``index``: its period clipped to its tile.

        Each period is clipped to the row first (once per row), then to the tiles:
        clipping a whole polygon once per tile would go over all its vertices each time.
        """
        out = np.empty(len(index), dtype=object)
        rows = self.piece_tile[index] % self.side
        west, east = self.xs[0], self.xs[-1]
        bounds = shapely.bounds(self.tiles)
        for row in np.unique(rows):
            here = np.flatnonzero(rows == row)
            periods, which = np.unique(self.piece_period[index[here]], return_inverse=True)
            strips = shapely.clip_by_rect(
                self.geoms[periods], west, self.ys[row], east, self.ys[row + 1]
            )
            tiles = self.piece_tile[index[here]]
            for tile in np.unique(tiles):
                mine = tiles == tile
                out[here[mine]] = shapely.clip_by_rect(strips[which[mine]], *bounds[tile])
        return out

    def _union(self, group: np.ndarray, pieces: np.ndarray) -> shapely.Geometry:
        """The union of the pieces ``group`` (all in one tile), clipped as ``pieces``."""
        parts = shapely.get_parts(pieces)
        parts = parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]
        try:
            return shapely.union_all(parts)
        except shapely.errors.GEOSException:
            # clip_by_rect does not promise valid pieces; intersect instead (as union does).
            tile = self.tiles[self.piece_tile[group[0]]]
            exact = shapely.get_parts(
                shapely.intersection(self.geoms[self.piece_period[group]], tile)
            )
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
            beyond = self._summed(candidates, ~now[self.piece_period])
            beyond += values[:, None]
            beyond[held] = np.inf  # held tiles are exact already
            np.minimum(bound, beyond, out=bound)
            del beyond
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


def _add(target: np.ndarray, index: tuple[np.ndarray, ...], values: np.ndarray) -> None:
    """``np.add.at(target, index, values)`` for a float array, by ``np.bincount`` (faster)."""
    flat = np.ravel_multi_index(index, target.shape)
    added = np.bincount(flat, weights=values, minlength=target.size)
    target += added.astype(float, copy=False).reshape(target.shape)


def _running(
    shape: tuple[int, int], rows: np.ndarray, at: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Running sums along each row of ``values`` added at ``(rows, at)``: one matrix, in place."""
    flat = np.ravel_multi_index((rows, at), shape)
    out = np.bincount(flat, weights=values, minlength=shape[0] * shape[1])
    # float even when nothing is added (bincount of nothing gives integers)
    out = out.astype(float, copy=False).reshape(shape)
    return np.cumsum(out, axis=1, out=out)


def _clamped_integral(
    ya: np.ndarray, yb: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Mean over a straight segment from ``ya`` to ``yb`` of ``clip(y, low, high) - low``."""

    def antiderivative(y: np.ndarray) -> np.ndarray:
        inside = np.clip(y, low, high) - low
        return inside**2 / 2 + (high - low) * np.maximum(y - high, 0.0)

    flat = np.abs(yb - ya) <= 1e-12 * (high - low)
    rise = np.where(flat, 1.0, yb - ya)
    mean = (antiderivative(yb) - antiderivative(ya)) / rise
    middle = np.clip((ya + yb) / 2, low, high) - low
    return np.where(flat, middle, mean)


def _km2_per_square_degree(latitude: np.ndarray) -> np.ndarray:
    """The WGS84 area element at ``latitude`` (degrees), in km² per square degree."""
    phi = np.radians(latitude)
    s = np.sin(phi)
    element = _A**2 * (1 - _E2) * np.cos(phi) / (1 - _E2 * s**2) ** 2
    return element * np.radians(1.0) ** 2 / 1e6
