"""The rules of a period, in one place: normalising, checking and repairing periods.

A *period* says that ``actor`` held ``geometry`` from ``start`` (inclusive) until
``end`` (exclusive; missing means still held), with a ``status`` (default
``"control"``). :func:`normalize_periods` turns any frame of periods into the canonical
form a :class:`~controlmap.Timeline` stores, refusing what breaks a rule with an error
naming the feature; :func:`check_geometries` and :func:`repaired` are the geometry rules.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._crs import to_wgs84
from ._dates import DATE_DTYPE, check_range, iso_day, outside_text, parse_date, parse_dates
from ._packed import PackedGeometry
from .errors import DataError, DateError, GeometryError, some, where

__all__ = [
    "CORE_COLUMNS",
    "DEFAULT_STATUS",
    "PackedPeriods",
    "check_geometries",
    "normalize_packed",
    "normalize_periods",
    "repaired",
]

CORE_COLUMNS = ("actor", "start", "end", "status")


DEFAULT_STATUS = "control"


_OPEN = np.iinfo(np.int64).max


_POLYGONAL = {"Polygon", "MultiPolygon"}


def _seconds(values: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Seconds since the epoch as int64, NaT as the open-ended sentinel."""
    index = pd.DatetimeIndex(values).as_unit("s")
    out = index.asi8.copy()
    out[index.isna()] = _OPEN
    return out


def check_geometries(
    geometries: gpd.GeoSeries,
    *,
    file: object | None = None,
    ids: Sequence[Any] | None = None,
    name: Callable[[int], str] | None = None,
    first: int = 0,
) -> None:
    """Raise :class:`GeometryError` for the first geometry a timeline cannot hold.

    A geometry must be a non-empty Polygon or MultiPolygon with finite coordinates
    in longitude/latitude range. Invalid (self-intersecting) polygons pass here:
    they are reported by :func:`controlmap.validate` and fixed by ``repair``.
    ``name(i)`` names the ``i``-th feature in messages (e.g. ``"index label 179"`` for
    a frame whose index is not its positions); default ``feature i``. ``first`` is the
    feature number of the first geometry given (a slice of a larger file).

    Examples
    --------
    >>> from shapely import box, Point
    >>> check_geometries(gpd.GeoSeries([box(0, 0, 1, 1), Point(0, 0)]), file="a.geojson")
    Traceback (most recent call last):
    ...
    controlmap.errors.GeometryError: a.geojson: feature 1: geometry is a Point; ...
    """
    geoms = np.asarray(getattr(geometries, "values", geometries), dtype=object)

    def fail(i: int, problem: str) -> GeometryError:
        i += first
        if name is not None:
            return GeometryError(f"{where(file)}: {name(i)}: {problem}")
        fid = ids[i] if ids is not None else None
        return GeometryError(f"{where(file, i, fid)}: {problem}")

    missing = shapely.is_missing(geoms)
    if missing.any():
        raise fail(int(np.flatnonzero(missing)[0]), "has no geometry")
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, [3, 6])  # Polygon, MultiPolygon
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise fail(
            i,
            f"geometry is a {geoms[i].geom_type}; a control period needs a Polygon or MultiPolygon",
        )
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise fail(int(np.flatnonzero(empty)[0]), "geometry is empty")
    # In slices: all coordinates of a large timeline at once would cost about as much
    # memory as the timeline itself.
    for first in range(0, len(geoms), 256):
        coords, owner = shapely.get_coordinates(geoms[first : first + 256], return_index=True)
        owner += first
        finite = np.isfinite(coords).all(axis=1)
        if not finite.all():
            k = int(np.flatnonzero(~finite)[0])
            x, y = coords[k, 0], coords[k, 1]
            raise fail(int(owner[k]), f"coordinate ({x:g}, {y:g}) is not a finite number")
        outside = (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
        if outside.any():
            k = int(np.flatnonzero(outside)[0])
            raise fail(
                int(owner[k]),
                f"coordinate ({coords[k, 0]:g}, {coords[k, 1]:g}) is outside"
                " longitude/latitude range",
            )


@dataclass(frozen=True)
class PackedPeriods:
    """Normalised periods: their columns and their geometry, packed (see controlmap._packed)."""

    table: pd.DataFrame
    geometry: PackedGeometry

    @classmethod
    def of(cls, periods: gpd.GeoDataFrame) -> PackedPeriods:
        """The columns and packed geometry of a normalised periods frame."""
        geometry = np.asarray(periods.geometry.values, dtype=object)
        return cls(
            pd.DataFrame(periods.drop(columns=periods.geometry.name)),
            PackedGeometry.pack(geometry),
        )


def normalize_packed(
    table: pd.DataFrame,
    geometry: PackedGeometry,
    *,
    actor: str = "actor",
    start: str = "start",
    end: str = "end",
    status: str = "status",
    file: object | None = None,
    ids: Sequence[Any] | None = None,
) -> PackedPeriods:
    """:func:`normalize_periods` of columns and packed EPSG:4326 geometry (a reader's).

    The geometries are checked a slice at a time: no shapely object of every period
    is made at once.
    """
    if table.empty:
        raise DataError(f"{where(file)}: has no features")
    _check_fields(table, list(table.columns), actor=actor, start=start, file=file)
    for rows, geoms in geometry.slices():
        check_geometries(geoms, file=file, ids=ids, first=int(rows[0]))
    data = _columns(table, list(table.columns), actor, start, end, status, file, ids)
    return PackedPeriods(pd.DataFrame(data), geometry)


def _check_fields(
    frame: pd.DataFrame, fields: list[str], *, actor: str, start: str, file: object | None
) -> None:
    for role, name in (("actor", actor), ("start", start)):
        if name not in frame.columns:
            raise DataError(
                f"{where(file)}: no {name!r} field for the {role}; fields are [{some(fields)}]"
                f" (pass {role}='<field>' to use another)"
            )


def normalize_periods(
    frame: gpd.GeoDataFrame | pd.DataFrame,
    *,
    actor: str = "actor",
    start: str = "start",
    end: str = "end",
    status: str = "status",
    file: object | None = None,
    ids: Sequence[Any] | None = None,
) -> gpd.GeoDataFrame:
    """Return ``frame`` as a periods GeoDataFrame with the canonical columns.

    Renames the actor/start/end/status fields, parses dates, fills a missing status
    with ``"control"``, checks every feature and returns a new frame in EPSG:4326
    with a fresh RangeIndex. Errors name ``file``, the feature and the problem.

    Examples
    --------
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame({"who": ["A"], "from": ["2014-06"]}, geometry=[box(40, 34, 41, 35)],
    ...                      crs=4326)
    >>> row = normalize_periods(g, actor="who", start="from").loc[0]
    >>> row[["actor", "start", "status"]].tolist()
    ['A', Timestamp('2014-06-01 00:00:00'), 'control']
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        if "geometry" not in frame.columns:
            raise DataError(f"{where(file)}: no geometry column")
        frame = gpd.GeoDataFrame(frame, geometry="geometry")
    if frame.empty:
        raise DataError(f"{where(file)}: has no features")
    fields = [c for c in frame.columns if c != frame.geometry.name]
    _check_fields(frame, fields, actor=actor, start=start, file=file)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = to_wgs84(frame, file)
    geometry = frame.geometry
    ids = list(ids) if ids is not None else (list(frame["id"]) if "id" in frame.columns else None)
    check_geometries(geometry, file=file, ids=ids)
    data = _columns(frame, fields, actor, start, end, status, file, ids)
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(geometry.to_numpy(), crs=4326).values, crs=4326
    )


def _columns(
    frame: pd.DataFrame,
    fields: list[str],
    actor: str,
    start: str,
    end: str,
    status: str,
    file: object | None,
    ids: Sequence[Any] | None,
) -> dict[str, Any]:
    """The canonical columns of checked periods (actor, start, end, status, the rest)."""
    if ids is None and "id" in frame.columns:
        ids = list(frame["id"])

    def fail(i: int, problem: str, kind: type[DataError] = DataError) -> DataError:
        return kind(f"{where(file, i, ids[i] if ids is not None else None)}: {problem}")

    actors = frame[actor]
    for i, value in enumerate(actors):
        if not isinstance(value, str) or not value.strip():
            shown = "missing" if value is None or value is pd.NA or value != value else repr(value)
            raise fail(i, f"actor ({actor!r}) is {shown}; every period needs a named actor")

    starts = _column_dates(frame[start], start, allow_missing=False, fail=fail)
    if end in frame.columns:
        ends = _column_dates(frame[end], end, allow_missing=True, fail=fail)
    else:
        ends = pd.DatetimeIndex([pd.NaT] * len(frame), dtype=DATE_DTYPE)
    reversed_ = np.asarray(ends.notna() & (ends <= starts))
    if reversed_.any():
        i = int(np.flatnonzero(reversed_)[0])
        raise fail(
            i,
            f"end {iso_day(ends[i])} is not after start {iso_day(starts[i])} "
            "(end is exclusive: a one-day period ends the next day)",
            DateError,
        )
    if status in frame.columns:
        # Missing or blank means the default; other values (status codes from a
        # shapefile, say) are kept as text.
        statuses = (
            frame[status]
            .astype(object)
            .map(lambda v: DEFAULT_STATUS if _is_blank(v) else str(v).strip())
        )
    else:
        statuses = pd.Series([DEFAULT_STATUS] * len(frame), index=frame.index, dtype=object)

    extra = [c for c in fields if c not in {actor, start, end, status, *CORE_COLUMNS}]
    # Columns as pandas arrays, not object arrays: text columns of 100,000 periods
    # would each become 100,000 Python strings for a moment (6 MB a column).
    data: dict[str, Any] = {
        "actor": actors.astype(str).str.strip().array,
        "start": starts,
        "end": ends,
        "status": statuses.astype(str).array,
    }
    for column in extra:
        data[column] = frame[column].array
    return data


def _column_dates(
    values: pd.Series, name: str, *, allow_missing: bool, fail: Any
) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        index = pd.DatetimeIndex(values)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        index = index.normalize().as_unit("s")
        if not allow_missing and index.isna().any():
            raise fail(int(np.flatnonzero(index.isna())[0]), f"{name} is missing", DateError)
        outside = check_range(index)
        if outside is not None:
            raise fail(outside, f"{name} {outside_text(index[outside])}", DateError)
        return index
    try:
        return parse_dates(values, allow_missing=allow_missing, what=name)
    except DateError:
        pass
    # Find the first bad value again to name its feature.
    for i, value in enumerate(values):
        try:
            parse_date(value, allow_missing=allow_missing, what=name)
        except DateError as exc:
            raise fail(i, str(exc), DateError) from None
    raise AssertionError("unreachable: a date failed as a column but not alone")


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def valid_mask(geoms: np.ndarray) -> np.ndarray:
    """``shapely.is_valid`` of each geometry, on several threads for large arrays.

    Checking validity is the costliest step of building a large timeline (about a
    microsecond per vertex). shapely releases the GIL while it runs, so slices of the
    array are checked side by side on the machine's cores.

    Examples
    --------
    >>> valid_mask(np.array([shapely.box(0, 0, 1, 1)])).tolist()
    [True]
    """
    geoms = np.asarray(geoms, dtype=object)
    workers = min(_VALID_THREADS, os.cpu_count() or 1)
    if workers < 2 or int(shapely.get_num_coordinates(geoms).sum()) < _VALID_THREADED_COORDS:
        return shapely.is_valid(geoms)
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(shapely.is_valid, np.array_split(geoms, 4 * workers)))
    return np.concatenate(parts)


#: Validity is checked on up to this many threads, for arrays of this many vertices.
_VALID_THREADS = 4
_VALID_THREADED_COORDS = 1_000_000


def repaired(geoms: np.ndarray) -> np.ndarray:
    """The geometries, with invalid ones made valid (polygonal parts only), as a copy.

    Valid geometries are returned as they are; the input array is never modified.

    Examples
    --------
    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> repaired(np.array([bowtie]))[0].geom_type
    'MultiPolygon'
    """
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~valid_mask(geoms)
    if not invalid.any():
        return geoms
    geoms = geoms.copy()
    geoms[invalid] = [_polygonal(shapely.make_valid(g)) for g in geoms[invalid]]
    return geoms


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry (set operations may add slivers)."""
    if geom is None or shapely.is_empty(geom):
        return shapely.Polygon()
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]
