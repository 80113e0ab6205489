"""Reprojection to longitude/latitude that refuses what it cannot map faithfully.

``GeoDataFrame.to_crs`` maps whatever it is given: a geocentric CRS (EPSG:4978) puts
every vertex at a pole, and an x beyond Web Mercator's edge comes out as some other
longitude. Here every coordinate is mapped there and back again; one that does not
return where it started lies outside its CRS's domain and is reported.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from .errors import GeometryError, where

__all__ = ["check_crs", "to_wgs84"]

# Units of the source CRS (metres or degrees): far below a wrap (360°, 40,000 km) and
# far above the round-off of a faithful round trip.
_ROUND_TRIP_TOLERANCE = 1e-3


def check_crs(crs: CRS, file: object | None = None) -> None:
    """Refuse a CRS that is not two-dimensional longitude/latitude or map coordinates.

    Examples
    --------
    >>> check_crs(CRS.from_epsg(4978), "a.gpkg")
    Traceback (most recent call last):
    ...
    controlmap.errors.GeometryError: a.gpkg: CRS EPSG:4978 (WGS 84) is geocentric ...
    """
    if crs.is_geographic or crs.is_projected:
        return
    code = crs.to_epsg()
    name = f"EPSG:{code} ({crs.name})" if code else repr(crs.name)
    kind = "geocentric (x, y, z from the Earth's centre)" if crs.is_geocentric else crs.type_name
    raise GeometryError(
        f"{where(file)}: CRS {name} is {kind}; a timeline needs longitude/latitude"
        " or a projected map CRS"
    )


def to_wgs84(frame: gpd.GeoDataFrame, file: object | None = None) -> gpd.GeoDataFrame:
    """``frame`` reprojected to EPSG:4326, every coordinate checked to map back.

    Examples
    --------
    >>> from shapely import box
    >>> f = gpd.GeoDataFrame(geometry=[box(4e6, 4e6, 4.1e6, 4.1e6)], crs=3857)
    >>> [round(float(v), 2) for v in to_wgs84(f).total_bounds]
    [35.93, 33.79, 36.83, 34.53]
    >>> f = gpd.GeoDataFrame(geometry=[box(3e7, 0, 3.1e7, 1e5)], crs=3857)
    >>> to_wgs84(f, "m.gpkg")
    Traceback (most recent call last):
    ...
    controlmap.errors.GeometryError: m.gpkg: feature 0: coordinate (3.1e+07, 0) is outside ...
    """
    source = frame.crs
    check_crs(source, file)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    forward = Transformer.from_crs(source, 4326, always_xy=True)
    with np.errstate(invalid="ignore", over="ignore"):
        lon, lat = forward.transform(coords[:, 0], coords[:, 1])
        x, y = forward.transform(lon, lat, direction="INVERSE")
        ok = (
            np.isfinite(lon)
            & np.isfinite(lat)
            & (np.abs(x - coords[:, 0]) <= _ROUND_TRIP_TOLERANCE)
            & (np.abs(y - coords[:, 1]) <= _ROUND_TRIP_TOLERANCE)
        )
    ok |= ~np.isfinite(coords).all(axis=1)  # NaN input: reported by check_geometries
    if not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        code = source.to_epsg()
        name = f"EPSG:{code}" if code else repr(source.name)
        raise GeometryError(
            f"{where(file, int(owner[k]))}: coordinate ({coords[k, 0]:g}, {coords[k, 1]:g})"
            f" is outside the domain of {name}: it maps to no single longitude/latitude"
        )
    lonlat = np.column_stack([lon, lat])
    # shapely.transform visits the coordinates in get_coordinates' order.
    moved = shapely.transform(geoms, lambda _: lonlat)
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(moved, index=frame.index, crs=4326)
    return out.set_crs(4326, allow_override=True)
