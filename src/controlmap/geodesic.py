"""The geodesic measure: areas on the WGS84 ellipsoid, edges as drawn.

Areas are computed on the WGS84 ellipsoid, never in a projected CRS, so a polygon in
Anbar and one in Norway are measured alike. A polygon's edges are straight lines in
longitude/latitude, as RFC 7946 defines them and as every map draws them, and the
area is that of the region so drawn, integrated exactly (Green's theorem in the
lon/lat plane, with the ellipsoid's area element): no edge is replaced by a geodesic.
So the measure is additive: ground cut into pieces (by a union's noding, a tile line,
a file boundary) adds up to the ground whole, to the rounding of doubles, however the
edges were split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from pyproj import Geod

__all__ = ["EDGE_STEP_DEGREES", "SLIVER_KM2", "geodesic_area_km2"]

_GEOD = Geod(ellps="WGS84")


#: Longest edge written as one segment to files whose readers take edges as geodesics
#: (degrees, ~11 km); longer edges get points along their straight lon/lat line. A
#: geodesic that long departs from the drawn line by under 2 m, an area difference
#: below 0.01 %. (The measure here needs no such points: it follows the drawn line.)
EDGE_STEP_DEGREES = 0.1

#: Ground smaller than this (km², one square metre) left by a set operation on nearly
#: equal shapes is floating-point noise, not a change of control: the one sliver rule
#: of the library (gains, losses and kept ground of :meth:`Timeline.changes`).
SLIVER_KM2 = 1e-6
#: Planar area (square degrees, about 0.01 m²) under which a piece an overlay of nearly
#: equal shapes leaves is float debris, dropped before anything is measured.
DEBRIS_DEG2 = 1e-12


def geodesic_area_km2(geometries: Sequence[shapely.Geometry | None] | np.ndarray) -> np.ndarray:
    """Geodesic area of each geometry on the WGS84 ellipsoid, in km².

    A polygon is the region its rings enclose in the longitude/latitude plane, with
    straight edges (RFC 7946), so a ring may enclose more than a hemisphere:
    ``box(-180, -90, 180, 10)`` is everything south of 10° N and the whole-world box
    is the whole ellipsoid. Ring orientation is not needed to tell which side is
    inside and is ignored.

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
    >>> round(float(geodesic_area_km2([box(-180, -90, 180, 90)])[0]) / 1e6, 3)  # million km²
    510.066
    """
    geoms = np.asarray(geometries, dtype=object)
    out = np.zeros(len(geoms), dtype=float)
    if not len(geoms):
        return out
    # Geometries in slices of about _SLICE_COORDS coordinates: their parts are copies,
    # and the arrays of a large timeline's coordinates all at once would cost several
    # times its own size (the edges of one huge polygon are sliced further below).
    sizes = shapely.get_num_coordinates(geoms)
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(_SLICE_COORDS, sizes.sum(), _SLICE_COORDS))
    for chunk in np.split(np.arange(len(geoms)), np.unique(cuts + 1)):
        if not len(chunk):
            continue
        parts, owner = _polygon_parts(geoms[chunk])
        if len(parts):
            np.add.at(out, chunk[owner], _polygon_areas_m2(parts))
    return out / 1e6


#: Each coordinate of a slice takes about 400 bytes of temporaries (six quadrature
#: nodes per edge, a dozen arrays): 2**14 keeps a slice near 7 MB (2**21 made a
#: heavy snapshot peak at 1.5 GB for a 200 MB file; 2**16 added 25 MB to a slider
#: page's peak), and is faster than larger slices (100,000 small periods: 0.36 s
#: against 0.45 s at 2**16), the arrays staying in cache.
_SLICE_COORDS = 1 << 14


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-empty Polygons inside each geometry and the index of their owner."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    while len(parts) and (shapely.get_type_id(parts) == 7).any():  # GeometryCollections
        nested = shapely.get_type_id(parts) == 7
        inner, inner_owner = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][inner_owner]])
    if len(parts):
        multi = shapely.get_type_id(parts) == 6
        if multi.any():
            inner, inner_owner = shapely.get_parts(parts[multi], return_index=True)
            parts = np.concatenate([parts[~multi], inner])
            owner = np.concatenate([owner[~multi], owner[multi][inner_owner]])
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    return parts[keep], owner[keep]


def _polygon_areas_m2(parts: np.ndarray) -> np.ndarray:
    """Area of each Polygon in m²: exterior minus holes, each ring's enclosed region."""
    rings, ring_polygon = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_polygon[1:] != ring_polygon[:-1]
    ring_area = _ring_areas_m2(*shapely.get_coordinates(rings, return_index=True), len(rings))
    per_polygon = np.bincount(
        ring_polygon, weights=np.where(exterior, ring_area, -ring_area), minlength=len(parts)
    )
    return np.maximum(per_polygon, 0.0)


_E = float(np.sqrt(_GEOD.es))


def _authalic_between(lat: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Area of the ellipsoid between latitudes ``base`` and ``lat``, per radian of longitude.

    The integral of M(φ) N(φ) cos φ from ``base`` to ``lat`` (radians), written as
    differences that lose no digits when the two latitudes are close (or near a pole,
    where the area between two parallels is a tiny part of a large one).
    """
    s, s0 = np.sin(lat), np.sin(base)
    ds = 2 * np.cos((lat + base) / 2) * np.sin((lat - base) / 2)  # s - s0, exactly
    es = _GEOD.es
    rational = ds * (1 + es * s * s0) / ((1 - es * s * s) * (1 - es * s0 * s0))
    logarithmic = np.arctanh(_E * ds / (1 - es * s * s0)) / _E
    return _GEOD.b**2 / 2 * (rational + logarithmic)


# Gauss-Legendre nodes and weights on [0, 1]. The integrand is analytic and nearly
# linear over a piece of edge at most _PIECE_LAT tall: six nodes leave an error far
# below the rounding of a double.
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(6)
_NODES, _WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2
_PIECE_LAT = np.radians(1.0)


def _ring_areas_m2(coords: np.ndarray, ring_of: np.ndarray, n_rings: int) -> np.ndarray:
    """The area each ring encloses in the lon/lat plane, measured on the ellipsoid.

    Green's theorem in the lon/lat plane: the area is minus the integral, along the
    ring, of the area from a fixed latitude to ``lat`` (:func:`_authalic_between`),
    with ``lat`` linear in ``lon`` along each straight edge. This is the exact area
    of the region the map draws, and it is additive: an edge split at a point of its
    own (a vertex a union or a clip adds) contributes the same as the edge whole, so
    ground cut into pieces in any way adds up to the ground whole (to the rounding
    of doubles). A ring around a pole or more than a hemisphere needs no special
    case: the integral is that of the region the ring encloses in the plane.
    """
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    first = lat[np.searchsorted(ring_of, ring_of)]  # each ring's first latitude
    edges = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    signed = np.zeros(n_rings)
    for at in range(0, len(edges), _SLICE_COORDS):
        signed += _edge_integrals(lon, lat, first, ring_of, edges[at : at + _SLICE_COORDS], n_rings)
    return np.abs(signed)


def _edge_integrals(
    lon: np.ndarray,
    lat: np.ndarray,
    first: np.ndarray,
    ring_of: np.ndarray,
    edge: np.ndarray,
    n_rings: int,
) -> np.ndarray:
    """Per ring, the signed integral along the edges ``edge`` (see :func:`_ring_areas_m2`)."""
    rise = lat[edge + 1] - lat[edge]
    # Long edges in latitude are integrated in pieces (each piece's quadrature is
    # exact to rounding, so the pieces add up to the edge's integral).
    pieces = np.maximum(np.ceil(np.abs(rise) / _PIECE_LAT), 1).astype(np.int64)
    if (pieces == 1).all():
        piece_edge, share, offset = edge, np.ones(len(edge)), np.zeros(len(edge))
        piece_rise = rise
    else:
        owner = np.repeat(np.arange(len(edge)), pieces)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        share = 1.0 / pieces[owner]
        offset, piece_edge, piece_rise = k * share, edge[owner], rise[owner]
    # Relative to each ring's first latitude: the longitudes of a closed ring add up
    # to zero, so a constant changes nothing but the rounding of large terms.
    base = first[piece_edge][:, None]
    at = lat[piece_edge][:, None] + piece_rise[:, None] * (
        offset[:, None] + share[:, None] * _NODES[None, :]
    )
    mean = _authalic_between(at, base) @ _WEIGHTS
    run = (lon[piece_edge + 1] - lon[piece_edge]) * share
    return np.bincount(ring_of[piece_edge], weights=-run * mean, minlength=n_rings)
