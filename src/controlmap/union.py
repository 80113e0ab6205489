"""The union of many overlapping polygons, tiled so that it stays fast."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["union"]


def union(geometries: np.ndarray) -> shapely.Geometry:
    """The union of polygonal geometries, fast when they overlap heavily.

    ``shapely.union_all`` slows down sharply when hundreds of large polygons cover
    the same ground: every merge carries long boundaries that end up inside the
    result. Here the ground is cut into tiles first. A tile inside any one polygon
    is taken whole without looking at the others; the rest are unions of the pieces
    clipped to the tile, which are small. The tiles are then merged, so the result
    is the same region as ``union_all`` (with extra vertices on the tile lines).

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        Valid Polygons or MultiPolygons.

    Returns
    -------
    shapely.Geometry
        Their union (possibly empty).

    Examples
    --------
    >>> from shapely import box
    >>> union(np.array([box(0, 0, 2, 2), box(1, 1, 3, 3)])).area
    7.0
    """
    geoms = np.asarray(geometries, dtype=object)
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if len(geoms) < 3 or vertices < _TILE_VERTICES * 4:
        return shapely.union_all(geoms)
    side = int(min(64, np.ceil(np.sqrt(vertices / _TILE_VERTICES))))
    west, south, east, north = shapely.total_bounds(geoms)
    xs, ys = np.linspace(west, east, side + 1), np.linspace(south, north, side + 1)
    tiles = shapely.box(
        np.repeat(xs[:-1], side),
        np.tile(ys[:-1], side),
        np.repeat(xs[1:], side),
        np.tile(ys[1:], side),
    )
    tree = shapely.STRtree(geoms)
    # The query prepares each polygon in turn and lets it go: preparing them all at
    # once held an edge index for every vertex of the group (about 1 GB for 1,500
    # polygons of 2,000 vertices).
    _, whole = shapely.STRtree(tiles).query(geoms, predicate="contains_properly")
    inside = np.zeros(len(tiles), dtype=bool)
    inside[whole] = True
    merged = list(tiles[inside])
    for t in np.flatnonzero(~inside):
        near = tree.query(tiles[t])
        if len(near):
            merged.append(_tile_union(geoms[near], tiles[t]))
    return shapely.union_all(np.array(merged, dtype=object))


def _tile_union(geoms: np.ndarray, tile: shapely.Geometry) -> shapely.Geometry:
    """Union of the parts of ``geoms`` inside a rectangle."""
    # clip_by_rect is several times faster than a general intersection, but GEOS
    # does not promise a valid result (the clip itself may fail on a thin sliver that
    # doubles back along the rectangle, as archive pieces do): then, intersect.
    try:
        pieces = shapely.get_parts(shapely.clip_by_rect(geoms, *shapely.bounds(tile)))
        # A polygon meeting the tile along a line or a point leaves that behind.
        pieces = pieces[(shapely.get_type_id(pieces) == 3) & ~shapely.is_empty(pieces)]
        return shapely.union_all(pieces)
    except shapely.errors.GEOSException:
        pieces = shapely.get_parts(shapely.intersection(geoms, tile))
        return shapely.union_all(pieces[shapely.get_type_id(pieces) == 3])


#: About this many vertices per tile in :func:`union` (and four tiles' worth before
#: tiling pays off).
_TILE_VERTICES = 1000
