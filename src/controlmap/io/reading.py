"""Reading a timeline from a file: the file's kind, its CRS, its fields.

GeoJSON goes to the streaming reader of :mod:`controlmap.io.geojson`, so that every
defect is reported with the feature it is in; other formats go through geopandas
(pyogrio by default, ``engine="fiona"`` on request). Everything ends in EPSG:4326.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .._crs import check_crs, to_wgs84
from ..conventions import add_precision, with_date_conventions
from ..errors import (
    ControlMapError,
    DataError,
    FormatError,
    GeometryError,
    LayerWarning,
    one_line,
    some,
    where,
)
from ..model import Timeline
from ..periods import PackedPeriods, normalize_packed, normalize_periods
from .geojson import GEOJSON_SUFFIXES, read_geojson, read_geojson_packed

if TYPE_CHECKING:
    from ..partition import PartitionedTimeline

__all__ = ["read", "read_file", "read_frame"]


def read(source: str | os.PathLike[str], **options: Any) -> Timeline | PartitionedTimeline:
    """Read a timeline from a vector file, or open a partitioned folder lazily.

    This is ``controlmap.read``: a folder written by ``Timeline.to_file(folder,
    partition_by=...)`` becomes a :class:`~controlmap.partition.PartitionedTimeline`
    (nothing but its description and file names is read); anything else goes to
    :func:`read_file`, with ``options``.

    Parameters
    ----------
    source : path-like
        A vector file (see :func:`read_file`) or a partitioned folder.
    **options
        Passed to :func:`read_file` (``actor``, ``start``, ``end``, ``status``,
        ``layer``, ``engine``, ``crs``, ``name``); a partitioned folder takes none.

    Returns
    -------
    Timeline or PartitionedTimeline

    Raises
    ------
    DataError
        Options given with a partitioned folder, or any error of :func:`read_file`.

    Examples
    --------
    >>> import controlmap
    >>> controlmap.read(controlmap.dataset_path("islamic-state")).actors
    ['Islamic State']
    """
    if Path(source).is_dir():
        # Imported only for a folder: the partitioned layout's module loads pyarrow's
        # Parquet and dataset libraries, 12 MB a file read does not need.
        from ..partition import PartitionedTimeline, is_partitioned

        if is_partitioned(source):
            if options:
                raise DataError(
                    f"{source}: a partitioned folder takes no options ({some(options)})"
                )
            return PartitionedTimeline(source)
    return read_file(source, **options)


def read_file(
    source: str | os.PathLike[str],
    *,
    actor: str = "actor",
    start: str = "start",
    end: str = "end",
    status: str = "status",
    layer: str | int | None = None,
    engine: str | None = None,
    crs: Any = None,
    name: str | None = None,
    end_inclusive: bool = False,
) -> Timeline:
    """Read a timeline from a vector file.

    Parameters
    ----------
    source : path-like
        GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet or any format GDAL
        reads. One feature per control period.
    actor, start, end, status : str
        The fields holding each role (``end`` and ``status`` may be absent).
        Dates may be ISO 8601 text at year, month or day precision, or date /
        datetime fields.
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage); default the first.
    engine : {"pyogrio", "fiona"}, optional
        The geopandas reader for non-GeoJSON files (default pyogrio).
    crs : CRS-like, optional
        The CRS of a file that does not declare one (e.g. a Shapefile without .prj).
        Data in another CRS is reprojected to EPSG:4326.
    name : str, optional
        The timeline's label (default: the file name without extension).
    end_inclusive : bool, default False
        The file's end dates are the last day held (CShapes, GeoEPR,
        OpenHistoricalMap): each is moved to the next day, month or year at its own
        precision, controlmap's exclusive end. Partial dates (``2015``, ``2015-06``)
        keep their precision in ``start_precision``/``end_precision`` columns
        either way (see :mod:`controlmap.conventions`).

    Returns
    -------
    Timeline

    Raises
    ------
    FormatError
        The file cannot be read as a vector file (not JSON, truncated, TopoJSON...).
    DataError
        A feature lacks an actor, has a bad date, a non-polygonal or non-finite
        geometry, a duplicate id; or the file is empty.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.io.read_file(controlmap.dataset_path("islamic-state"))
    >>> tl.actors
    ['Islamic State']
    """
    periods, _ = _read_periods(
        source,
        actor=actor,
        start=start,
        end=end,
        status=status,
        layer=layer,
        engine=engine,
        crs=crs,
        end_inclusive=end_inclusive,
        packed=True,
    )
    label = name if name is not None else Path(source).stem
    return Timeline._from_normalized(periods, name=label, source=source)


@overload
def _read_periods(
    source: str | os.PathLike[str],
    *,
    actor: str = ...,
    start: str = ...,
    end: str = ...,
    status: str = ...,
    layer: str | int | None = ...,
    engine: str | None = ...,
    crs: Any = ...,
    end_inclusive: bool = ...,
    packed: Literal[False] = ...,
) -> tuple[gpd.GeoDataFrame, list[Any] | None]: ...


@overload
def _read_periods(
    source: str | os.PathLike[str],
    *,
    actor: str = ...,
    start: str = ...,
    end: str = ...,
    status: str = ...,
    layer: str | int | None = ...,
    engine: str | None = ...,
    crs: Any = ...,
    end_inclusive: bool = ...,
    packed: Literal[True],
) -> tuple[gpd.GeoDataFrame | PackedPeriods, list[Any] | None]: ...


def _read_periods(
    source: str | os.PathLike[str],
    *,
    actor: str = "actor",
    start: str = "start",
    end: str = "end",
    status: str = "status",
    layer: str | int | None = None,
    engine: str | None = None,
    crs: Any = None,
    end_inclusive: bool = False,
    packed: bool = False,
) -> tuple[gpd.GeoDataFrame | PackedPeriods, list[Any] | None]:
    """The normalised periods of a file and its features' ids: what read and validate share.

    With ``packed``, a GeoJSON file in longitude/latitude comes back as
    :class:`~controlmap.periods.PackedPeriods`: its polygons are never all shapely
    objects at once (100,000 small periods: 22 MB packed against 59 MB).
    """
    path = Path(source)
    names = {"actor": actor, "start": start, "end": end, "status": status}
    if packed and path.suffix.lower() in GEOJSON_SUFFIXES:
        _check_regular(path)
        wanted = _checked_crs(crs, path)
        table, geometry, file_crs, ids = read_geojson_packed(path, wanted)
        if CRS.from_user_input(file_crs).equals("EPSG:4326"):
            table, precision = with_date_conventions(
                table, start=start, end=end, end_inclusive=end_inclusive
            )
            packed_periods = normalize_packed(table, geometry, **names, file=source, ids=ids)
            add_precision(packed_periods.table, precision)
            return packed_periods, ids
        frame = gpd.GeoDataFrame(table, geometry=geometry.take(), crs=file_crs)
        frame = _to_wgs84(frame, path, wanted)
    else:
        frame, ids = read_frame(source, layer=layer, engine=engine, crs=crs)
    frame, precision = with_date_conventions(
        frame, start=start, end=end, end_inclusive=end_inclusive
    )
    try:
        periods = normalize_periods(frame, **names, file=source, ids=ids)
    except DataError as exc:
        hint = _layers_hint(Path(source)) if layer is None else ""
        if hint and "field for the" in str(exc):  # the wrong layer, not a bad feature
            raise type(exc)(f"{exc}{hint}") from None
        raise
    periods = add_precision(periods, precision)
    if layer is None and (hint := _layers_hint(Path(source))):
        warnings.warn(f"{source}: read the first layer{hint}", LayerWarning, stacklevel=3)
    return periods, ids


def _layers_hint(path: Path) -> str:
    """``; layers are ...`` for a file with several layers (else ''), to say how to pick one."""
    if path.suffix.lower() in GEOJSON_SUFFIXES | {".parquet"}:
        return ""
    try:
        import pyogrio

        layers = pyogrio.list_layers(path)
    except Exception:  # the hint is a courtesy; the error it decorates is what matters
        return ""
    layers = [(name, kind) for name, kind in layers if name != "layer_styles"]  # QGIS styles
    if len(layers) < 2:
        return ""
    named = [f"{name!r} ({kind or 'no geometry'})" for name, kind in layers]
    return f"; its layers are {some(named, show=str)}: choose one with layer="


def read_frame(
    source: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    engine: str | None = None,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, list[Any] | None]:
    """Read a vector file into an EPSG:4326 GeoDataFrame, checking its structure.

    Returns the frame and the features' ids (GeoJSON ``id`` members) if any.

    Examples
    --------
    >>> import controlmap
    >>> frame, ids = read_frame(controlmap.dataset_path("islamic-state"))
    >>> frame.crs.to_epsg()
    4326
    """
    path = Path(source)
    _check_regular(path)
    crs = _checked_crs(crs, path)
    if path.suffix.lower() in GEOJSON_SUFFIXES:
        frame, ids = read_geojson(path, crs)
    else:
        frame, ids = _read_with_gdal(path, layer=layer, engine=engine), None
    return _to_wgs84(frame, path, crs), ids


def _checked_crs(crs: Any, path: Path) -> CRS | None:
    """The caller's ``crs=`` as a CRS (None if not given), refused if not one controlmap takes."""
    if crs is None:
        return None
    try:
        checked = CRS.from_user_input(crs)
    except CRSError:
        raise DataError(f"{path}: crs {crs!r} is not a coordinate reference system") from None
    check_crs(checked, path)
    return checked


def _check_regular(path: Path) -> None:
    """Refuse what is not a regular file before opening it: reading a FIFO waits forever."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        if path.suffix.lower() == ".gdb":  # a File Geodatabase is a folder
            return
        raise FormatError(f"{path}: is a folder, not a vector file")
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )
        raise FormatError(f"{path}: is {kind}, not a regular file; controlmap reads files only")


def _read_with_gdal(path: Path, *, layer: str | int | None, engine: str | None) -> gpd.GeoDataFrame:
    if engine not in (None, "pyogrio", "fiona"):
        raise DataError(f"{path}: unknown engine {engine!r} (use 'pyogrio' or 'fiona')")
    try:
        with warnings.catch_warnings():
            # NaN coordinates make shapely warn; check_geometries reports them by feature.
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            # Which layer was read, of how many, is said by controlmap (_read_periods).
            warnings.filterwarnings("ignore", "More than one layer found", UserWarning)
            if path.suffix.lower() == ".parquet":
                frame = _read_parquet(path)
            else:
                frame = gpd.read_file(path, layer=layer, engine=engine)
    except ImportError:
        raise
    except Exception as exc:  # GDAL/pyarrow raise many types; all mean "cannot read"
        message = one_line(exc)
        hint = _layers_hint(path) if layer is not None else ""
        raise FormatError(f"{path}: cannot read as a vector file: {message}{hint}") from None
    if not isinstance(frame, gpd.GeoDataFrame):  # GDAL read a table without geometry
        which = f" layer {layer!r}" if layer is not None else ""
        raise DataError(
            f"{path}:{which} has no geometry (a table, not a map layer){_layers_hint(path)}"
        )
    return frame


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "out of range" not in str(exc):
            raise
    # A date32 value Python's date cannot hold (a year before 1 AD): read dates as
    # datetime64 instead, so that the period checks name the feature and the reason.
    return gpd.read_parquet(path, to_pandas_kwargs={"date_as_object": False})


def _to_wgs84(frame: gpd.GeoDataFrame, path: Path, crs: Any) -> gpd.GeoDataFrame:
    if frame.empty:
        raise DataError(f"{path}: has no features")
    if frame.crs is None and crs is not None:
        frame = frame.set_crs(crs)
    if frame.crs is None:
        coords, owner = shapely.get_coordinates(
            np.asarray(frame.geometry.values, dtype=object), return_index=True
        )
        with np.errstate(invalid="ignore"):
            outside = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if outside.any():
            k = int(np.flatnonzero(outside)[0])
            x, y = coords[k]
            raise GeometryError(
                f"{where(path, int(owner[k]))}: file has no CRS and coordinate ({x:g}, {y:g})"
                " is not longitude/latitude (a projected file without its .prj?);"
                " pass crs= to say what it is"
            )
        return frame.set_crs(4326)
    if not frame.crs.equals("EPSG:4326"):
        try:
            frame = to_wgs84(frame, path)
        except ControlMapError:
            raise
        except Exception as exc:
            raise GeometryError(
                f"{path}: cannot reproject from {frame.crs}: {one_line(exc)}"
            ) from None
    return frame
