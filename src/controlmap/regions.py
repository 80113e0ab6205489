"""Splitting a timeline's ground by regions (countries, provinces): ``area(by=...)``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import DataError
from .periods import _polygonal, check_geometries, repaired

__all__ = ["split_by_regions"]


def _region_geometries(by: gpd.GeoDataFrame) -> np.ndarray:
    """Regions in EPSG:4326, valid; without a CRS they must be longitude/latitude."""
    if by.crs is not None:
        by = by.to_crs(4326)
    geoms = np.asarray(by.geometry.values, dtype=object)
    # Always: a region with a NaN coordinate would silently intersect nothing.
    check_geometries(gpd.GeoSeries(geoms), file="regions (by=)")
    return repaired(geoms)


def _region_names(by: gpd.GeoDataFrame, by_column: str | None) -> np.ndarray:
    if by_column is None:
        if "name" in by.columns:
            by_column = "name"
        else:
            text = [
                c
                for c in by.columns
                if c != by.geometry.name
                and pd.api.types.infer_dtype(by[c], skipna=True) == "string"
            ]
            if not text:
                return by.index.astype(str).to_numpy(dtype=object)
            by_column = text[0]
    if by_column not in by.columns:
        raise DataError(f"area: by_column {by_column!r} is not a column of the regions")
    return by[by_column].astype(str).to_numpy(dtype=object)


def split_by_regions(
    geoms: np.ndarray, actors: np.ndarray, by: gpd.GeoDataFrame, by_column: str | None
) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray]:
    """Cut each period's geometry by the regions it meets.

    Parameters
    ----------
    geoms : array of geometries
        The periods' (valid) geometries in EPSG:4326.
    actors : array of str
        The actor of each period.
    by : GeoDataFrame
        The regions; without a CRS they must be longitude/latitude.
    by_column : str, optional
        Column naming the regions (default ``name`` if present, else the first text
        column, else the index).

    Returns
    -------
    pieces : array of geometries
        The polygonal part of each (period, region) intersection.
    labels : list of (actor, region)
        The label of each piece.
    period : array of int
        The period each piece comes from.

    Examples
    --------
    >>> import shapely
    >>> regions = gpd.GeoDataFrame({"name": ["W", "E"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    >>> pieces, labels, period = split_by_regions(
    ...     np.array([shapely.box(0.5, 0, 1.5, 1)]), np.array(["A"]), regions, None)
    >>> [(str(actor), region) for actor, region in labels]
    [('A', 'W'), ('A', 'E')]
    """
    names = _region_names(by, by_column)
    regions = _region_geometries(by)
    left, right = shapely.STRtree(regions).query(geoms, predicate="intersects")
    pieces = shapely.intersection(geoms[left], regions[right])
    pieces = np.array([_polygonal(p) for p in pieces], dtype=object)
    labels = list(zip(actors[left], names[right], strict=True))
    return pieces, labels, left
