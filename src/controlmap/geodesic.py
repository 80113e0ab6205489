"""The geodesic measure: areas on the WGS84 ellipsoid, edges as drawn.

Areas are computed on the WGS84 ellipsoid with :class:`pyproj.Geod` (Karney's
algorithm), never in a projected CRS, so a polygon in Anbar and one in Norway are
measured alike. A polygon's edges are taken as straight lines in longitude/latitude,
as RFC 7946 defines them and as every map draws them: edges are followed with a point
every :data:`EDGE_STEP_DEGREES` before the ellipsoidal computation (a lone geodesic
between two vertices 100 km apart would bulge up to ~0.2 km off the drawn line).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from pyproj import Geod

__all__ = ["EDGE_STEP_DEGREES", "SLIVER_KM2", "geodesic_area_km2"]

_GEOD = Geod(ellps="WGS84")


#: Longest edge measured as one geodesic (degrees, ~11 km); longer edges are split
#: along the straight lon/lat line first. The geodesic then departs from the drawn
#: line by under 2 m, an area difference below 0.01 %.
EDGE_STEP_DEGREES = 0.1

#: Ground smaller than this (km², one square metre) left by a set operation on nearly
#: equal shapes is floating-point noise, not a change of control: the one sliver rule
#: of the library (gains, losses and kept ground of :meth:`Timeline.changes`).
SLIVER_KM2 = 1e-6


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
    parts, owner = _polygon_parts(geoms)
    if not len(parts):
        return out
    # In slices of about _SLICE_COORDS coordinates: the coordinates of a large
    # timeline all at once (and densified) would cost several times its own size.
    sizes = shapely.get_num_coordinates(parts)
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(_SLICE_COORDS, sizes.sum(), _SLICE_COORDS))
    for chunk in np.split(np.arange(len(parts)), np.unique(cuts + 1)):
        if len(chunk):
            np.add.at(out, owner[chunk], _polygon_areas_m2(parts[chunk]))
    return out / 1e6


_SLICE_COORDS = 1 << 21


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
    coords, ring_of = _densified(*shapely.get_coordinates(rings, return_index=True))
    bounds = np.searchsorted(ring_of, np.arange(1, len(rings)))
    signed = np.zeros(len(rings), dtype=float)
    polygon_area = _GEOD.polygon_area_perimeter
    for r, ring in enumerate(np.split(coords, bounds)):
        if len(ring) >= 4:
            signed[r] = polygon_area(ring[:, 0], ring[:, 1])[0]
    ring_area = _enclosed(signed, coords, ring_of, len(rings))
    per_polygon = np.bincount(
        ring_polygon, weights=np.where(exterior, ring_area, -ring_area), minlength=len(parts)
    )
    return np.maximum(per_polygon, 0.0)


def _densified(coords: np.ndarray, ring_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ring coordinates with edges longer than :data:`EDGE_STEP_DEGREES` split evenly.

    The same points as ``shapely.segmentize`` (``ceil(length / step)`` equal pieces),
    without copying the geometries whose edges are all short already.
    """
    same_ring = ring_of[1:] == ring_of[:-1]
    length = np.hypot(*(coords[1:] - coords[:-1]).T)
    pieces = np.ones(len(coords), dtype=np.int64)
    pieces[:-1] = np.where(same_ring, np.maximum(np.ceil(length / EDGE_STEP_DEGREES), 1), 1)
    if (pieces == 1).all():
        return coords, ring_of
    source = np.repeat(np.arange(len(coords)), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    fraction = ((np.arange(len(source)) - first) / pieces[source])[:, None]
    following = coords[np.minimum(source + 1, len(coords) - 1)]
    return coords[source] + fraction * (following - coords[source]), ring_of[source]


#: Area of the whole WGS84 ellipsoid in m² (closed form).
_ECCENTRICITY = float(np.sqrt(_GEOD.es))


_EARTH_M2 = float(
    2 * np.pi * _GEOD.b**2 * (1 / (1 - _GEOD.es) + np.arctanh(_ECCENTRICITY) / _ECCENTRICITY)
)


def _enclosed(
    signed: np.ndarray, coords: np.ndarray, ring_of: np.ndarray, n_rings: int
) -> np.ndarray:
    """The area each ring encloses in the lon/lat plane, from Karney's signed area.

    Karney's algorithm gives a ring's area only up to a multiple of the ellipsoid's
    area (it returns a value in ``(-earth/2, earth/2]``): a ring around more than a
    hemisphere comes back as minus its complement. The region a ring encloses in the
    lon/lat plane is never ambiguous, and a rough area of it on the authalic sphere
    (Green's theorem, the integral of sin(latitude) along the ring) picks the right
    multiple: it errs by well under 1 % of the ellipsoid's area, the multiples are
    a whole ellipsoid apart.
    """
    same_ring = ring_of[1:] == ring_of[:-1]
    lon, sin_lat = np.radians(coords[:, 0]), np.sin(np.radians(coords[:, 1]))
    step = np.where(same_ring, (lon[1:] - lon[:-1]) * (sin_lat[1:] + sin_lat[:-1]) / 2, 0.0)
    # Counter-clockwise in the plane (interior on the left) gives a positive integral.
    green = -np.bincount(ring_of[:-1], weights=step, minlength=n_rings) * _EARTH_M2 / (4 * np.pi)
    oriented = np.where(green < 0, -signed, signed)
    turns = np.round((np.abs(green) - oriented) / _EARTH_M2)
    return np.abs(oriented + turns * _EARTH_M2)
