"""Reading and writing timelines: GeoJSON, GeoPackage, GeoParquet and any GDAL format.

GeoJSON is parsed here rather than through GDAL so that every defect (a truncated
file, an unclosed ring, NaN, a duplicate id) is reported with the feature it is in;
GDAL silently closes rings and renumbers ids. Other formats go through geopandas
(pyogrio by default, ``engine="fiona"`` on request).

Every write goes to a temporary folder beside the target and is moved into place
with one ``os.replace``: a failed write leaves the old file untouched and no debris.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as _dt
import gc
import itertools
import json
import math
import os
import shutil
import stat
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from ._crs import check_crs, to_wgs84
from ._dates import format_date, iso_day, parse_date
from .area import EDGE_STEP_DEGREES
from .conventions import add_precision, with_date_conventions
from .errors import (
    ControlMapError,
    DataError,
    FormatError,
    GeometryError,
    OutputError,
    one_line,
    some,
    where,
)
from .model import Timeline, normalize_periods, repaired

__all__ = [
    "atomic_output",
    "geojson_chunks",
    "read",
    "read_frame",
    "validate",
    "write_periods",
    "write_snapshot",
]

GEOJSON_SUFFIXES = {".geojson", ".json"}
WRITERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".parquet": "Parquet"}
COORDINATE_DECIMALS = 6  # ~0.1 m: far finer than any front line is known


# ---------------------------------------------------------------------------- reading
def read(
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
    >>> tl = controlmap.read(controlmap.dataset_path("islamic-state"))
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
    )
    label = name if name is not None else Path(source).stem
    return Timeline._from_normalized(periods, name=label, source=source)


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
) -> tuple[gpd.GeoDataFrame, list[Any] | None]:
    """The normalised periods of a file and its features' ids: what read and validate share."""
    frame, ids = read_frame(source, layer=layer, engine=engine, crs=crs)
    frame, precision = with_date_conventions(
        frame, start=start, end=end, end_inclusive=end_inclusive
    )
    try:
        periods = normalize_periods(
            frame, actor=actor, start=start, end=end, status=status, file=source, ids=ids
        )
    except DataError as exc:
        hint = _layers_hint(Path(source)) if layer is None else ""
        if hint and "field for the" in str(exc):  # the wrong layer, not a bad feature
            raise type(exc)(f"{exc}{hint}") from None
        raise
    periods = add_precision(periods, precision)
    if layer is None and (hint := _layers_hint(Path(source))):
        warnings.warn(f"{source}: read the first layer{hint}", stacklevel=3)
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
    if len(layers) < 2:
        return ""
    named = [f"{name!r} ({kind or 'no geometry'})" for name, kind in layers]
    return f"; its layers are {some(named, show=str)}: choose one with layer= (--layer in the CLI)"


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
    if crs is not None:
        try:
            crs = CRS.from_user_input(crs)
        except CRSError:
            raise DataError(f"{path}: crs {crs!r} is not a coordinate reference system") from None
        check_crs(crs, path)
    if path.suffix.lower() in GEOJSON_SUFFIXES:
        frame, ids = _read_geojson(path, crs)
    else:
        frame, ids = _read_with_gdal(path, layer=layer, engine=engine), None
    return _to_wgs84(frame, path, crs), ids


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
                frame = gpd.read_parquet(path)
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


def _read_geojson(path: Path, crs: CRS | None = None) -> tuple[gpd.GeoDataFrame, list[Any] | None]:
    """Parse a GeoJSON file a feature at a time.

    The file is decoded in chunks and each feature is turned into a shapely
    geometry as soon as it is parsed, so peak memory stays near the size of the
    result rather than the several times the file size that ``json.loads`` of the
    whole document costs. Errors inside the ``features`` array name the feature.
    """
    collector = _FeatureCollector(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, whatever happens
    except OSError as exc:
        raise FormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        scanner = _JSONScanner(handle, path)
        head = _scan_document(scanner, collector)
    kind = head.get("type")
    if collector.streamed:
        if kind != "FeatureCollection":
            _reject_kind(kind, path)
        if not collector.count:
            raise DataError(f"{path}: has no features (empty FeatureCollection)")
    else:
        for index, feature in enumerate(_features_of(head, path)):
            collector.add(feature, index)
    # A 'crs' member in the file wins; otherwise the caller's crs= (a file written
    # projected by a tool that leaves the member out), otherwise RFC 7946's WGS84.
    member = _legacy_crs(head, path)
    return collector.frame(member if member is not None or "crs" in head else crs)


_CHUNK_CHARS = 1 << 20  # 1 Mi characters per read: a few MB of buffer at most


class _HugeNumber(ValueError):
    """An integer too long for Python to convert (its ``int_max_str_digits`` limit)."""


def _parse_int(text: str) -> int:
    limit = sys.get_int_max_str_digits()
    if limit and len(text.lstrip("-")) > limit:
        # Not its length: a number cut by the end of a chunk would give another count.
        raise _HugeNumber(f"a number has more than {limit:,} digits")
    return int(text)


def _nan_constant(name: str) -> float:
    # NaN/Infinity are not JSON, but GDAL writes them; parse them so the geometry
    # check can name the feature they are in.
    return float(name.replace("Infinity", "inf"))


class _JSONScanner:
    """A cursor over a JSON text read in chunks; values are decoded by the json module."""

    def __init__(self, handle: Any, path: Path) -> None:
        self.handle = handle
        self.path = path
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.json = json.JSONDecoder(parse_constant=_nan_constant, parse_int=_parse_int)
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.bytes_read = 0
        self.lines_before = 0  # newlines in text already dropped from the buffer

    def _more(self) -> bool:
        """Append the next chunk (at least doubling the buffer); False at end of file."""
        if self.eof:
            return False
        if self.pos:
            self.lines_before += self.buffer.count("\n", 0, self.pos)
            self.buffer = self.buffer[self.pos :]
            self.pos = 0
        raw = self.handle.read(max(_CHUNK_CHARS, len(self.buffer)))
        try:
            text = self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"{self.path}: is not UTF-8 text (byte {self.bytes_read + exc.start});"
                " not a GeoJSON file"
            ) from None
        self.bytes_read += len(raw)
        self.eof = not raw
        self.buffer += text
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at end of file), without consuming it."""
        while True:
            buffer, pos = self.buffer, self.pos
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < len(buffer):
                return buffer[pos]
            if not self._more():
                return ""

    def take(self, char: str, context: str) -> None:
        found = self.peek()
        if found != char:
            self.fail(f"expected {char!r} {context}, found {found!r}" if found else None)
        self.pos += 1

    def value(self, where_: str | None = None) -> Any:
        """Decode the JSON value at the cursor, reading more text as needed."""
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                # Read on only when the text may just be cut by the chunk: an error at the
                # very end, or an unterminated string. A syntax error in the middle of the
                # buffer is final (reading the rest of a 200 MB file would not mend it).
                cut = exc.msg.startswith("Unterminated") or exc.pos >= len(self.buffer) - 16
                if cut and self._more():
                    continue
                self.fail(exc.msg, exc.pos, where_)
            except RecursionError:
                self.fail("nested too deeply", None, where_)
            except _HugeNumber as exc:
                self.fail(str(exc), None, where_)
            # A number may continue in the next chunk: make sure something follows it.
            if end >= len(self.buffer) and self._more():
                continue
            self.pos = end
            return value

    def fail(self, problem: str | None, pos: int | None = None, where_: str | None = None) -> None:
        pos = self.pos if pos is None else pos
        line = self.lines_before + self.buffer.count("\n", 0, pos) + 1
        if problem is None or (self.eof and pos >= len(self.buffer.rstrip())):
            problem = "ends too early (truncated?)"
        raise FormatError(f"{where_ or self.path}: is not valid JSON: {problem} at line {line}")


def _scan_document(scanner: _JSONScanner, collector: _FeatureCollector) -> dict[str, Any]:
    """Walk the top-level object; stream ``features``, return the other members."""
    path = scanner.path
    first = scanner.peek()
    if not first:
        raise FormatError(f"{path}: is empty")
    if first != "{":
        if first == "[":
            raise FormatError(f"{path}: top level is a JSON array, not a GeoJSON object")
        document = scanner.value()
        raise FormatError(
            f"{path}: top level is a JSON {type(document).__name__}, not a GeoJSON object"
        )
    scanner.pos += 1
    head: dict[str, Any] = {}
    if scanner.peek() == "}":
        scanner.pos += 1
    else:
        while True:
            if scanner.peek() != '"':
                scanner.fail("expected a member name in double quotes")
            key = scanner.value()
            scanner.take(":", "after a member name")
            if key == "features" and scanner.peek() == "[":
                _scan_features(scanner, collector)
            else:
                head[key] = scanner.value()
            separator = scanner.peek()
            scanner.pos += 1
            if separator == "}":
                break
            if separator != ",":
                scanner.pos -= 1
                scanner.fail(
                    f"expected ',' or '}}' after member {key!r}, found {separator!r}"
                    if separator
                    else None
                )
    if scanner.peek():
        scanner.fail("extra data after the GeoJSON object")
    return head


def _scan_features(scanner: _JSONScanner, collector: _FeatureCollector) -> None:
    collector.streamed = True
    scanner.pos += 1  # the '['
    if scanner.peek() == "]":
        scanner.pos += 1
        return
    index = 0
    while True:
        here = where(scanner.path, index)
        feature = scanner.value(where_=here)  # a syntax error names the feature
        collector.add(feature, index)
        del feature
        separator = scanner.peek()
        scanner.pos += 1
        if separator == "]":
            return
        if separator != ",":
            scanner.pos -= 1
            scanner.fail(
                f"expected ',' or ']' after the feature, found {separator!r}"
                if separator
                else None,
                where_=here,
            )
        index += 1


def _reject_kind(kind: Any, path: Path) -> None:
    if kind == "Topology":
        raise FormatError(f"{path}: is TopoJSON (type 'Topology'), not GeoJSON; convert it first")
    if kind in {
        "Polygon",
        "MultiPolygon",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "GeometryCollection",
    }:
        raise FormatError(
            f"{path}: is a bare {kind} geometry; a timeline needs a FeatureCollection of "
            "features with actor and dates"
        )
    raise FormatError(f"{path}: GeoJSON type is {kind!r}, expected 'FeatureCollection'")


def _features_of(document: dict[str, Any], path: Path) -> list[Any]:
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise FormatError(f"{path}: FeatureCollection has no 'features' array")
        if not features:
            raise DataError(f"{path}: has no features (empty FeatureCollection)")
        return features
    if kind == "Feature":
        return [document]
    _reject_kind(kind, path)
    raise AssertionError("unreachable")


def _legacy_crs(document: dict[str, Any], path: Path) -> CRS | None:
    """The pre-RFC 7946 ``crs`` member, honoured as GDAL does."""
    member = document.get("crs")
    if member is None:
        return None
    try:
        name = member["properties"]["name"]
        crs = CRS.from_user_input(name)
    except (KeyError, TypeError, CRSError):
        raise FormatError(f"{path}: 'crs' member {str(member)[:80]} is not understood") from None
    return None if crs.equals(CRS.from_epsg(4326)) or crs.equals(CRS("OGC:CRS84")) else crs


class _FeatureCollector:
    """Check GeoJSON features one by one and keep their properties and geometries."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []
        self.geometries: list[shapely.Geometry] = []
        self.ids: list[Any] = []
        self.seen: dict[Any, int] = {}
        self.streamed = False
        # The first position outside lon/lat range; an error only if no 'crs' member
        # (which may come after the features) says the file is projected.
        self.outside: str | None = None

    @property
    def count(self) -> int:
        return len(self.geometries)

    def add(self, feature: Any, index: int) -> None:
        fid = feature.get("id") if isinstance(feature, dict) else None
        here = where(self.path, index, fid)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            kind = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
            raise FormatError(f"{here}: is a {kind!r}, not a GeoJSON Feature")
        if fid is not None:
            if not isinstance(fid, str | int | float) or isinstance(fid, bool):
                raise DataError(f"{here}: id must be a string or a number")
            if isinstance(fid, float) and not math.isfinite(fid):
                raise DataError(f"{here}: id must be a finite number, not {fid}")
            _check_text(fid, here, "id")
            if fid in self.seen:
                raise DataError(f"{here}: duplicate id (also feature {self.seen[fid]})")
            self.seen[fid] = index
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            raise FormatError(f"{here}: properties must be an object")
        if "geometry" in properties:
            raise DataError(
                f"{here}: a property is named 'geometry', the name kept for the shape;"
                " rename the property"
            )
        _check_text(properties, here, "properties")
        geometry = _parse_geometry(feature.get("geometry"), here)
        if self.outside is None:
            coords = shapely.get_coordinates(geometry)
            bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
            if bad.any():
                x, y = coords[np.flatnonzero(bad)[0]]
                self.outside = (
                    f"{here}: coordinate ({x:g}, {y:g}) is outside longitude/latitude range;"
                    " GeoJSON must be WGS84 (a projected file?)"
                )
        self.ids.append(fid)
        self.records.append(properties)
        self.geometries.append(geometry)

    def frame(self, crs: CRS | None) -> tuple[gpd.GeoDataFrame, list[Any] | None]:
        if crs is None and self.outside is not None:
            raise GeometryError(self.outside)
        frame = gpd.GeoDataFrame(
            pd.DataFrame.from_records(self.records),
            geometry=self.geometries,
            crs=crs if crs is not None else 4326,
        )
        ids = self.ids if any(i is not None for i in self.ids) else None
        return frame, ids


def _json_kind(kind: type) -> str:
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(
        kind, kind.__name__
    )


def _check_text(value: Any, here: str, what: str) -> None:
    r"""Refuse text holding half of a UTF-16 surrogate pair (``"\ud800"``): not Unicode.

    JSON's ``\u`` escapes can spell one; no UTF-8 file (nor GDAL) can hold it.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = value[exc.start]
            raise FormatError(
                f"{here}: {what} holds a lone surrogate {bad!r} (half of a \\u escape pair),"
                " which is not Unicode text"
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, here, f"property name {key!r}" if what == "properties" else what)
            _check_text(item, here, f"property {key!r}" if what == "properties" else what)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, here, what)


def _parse_geometry(geometry: Any, here: str) -> shapely.Geometry:
    if geometry is None:
        raise GeometryError(f"{here}: has no geometry (null)")
    if not isinstance(geometry, dict):
        raise GeometryError(f"{here}: geometry is not a GeoJSON object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return _polygon(coordinates, here)
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError(f"{here}: MultiPolygon has no polygons")
        return shapely.MultiPolygon([_polygon(p, here) for p in coordinates])
    if kind in {"Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection"}:
        raise GeometryError(
            f"{here}: geometry is a {kind}; a control period needs a Polygon or MultiPolygon"
        )
    raise GeometryError(f"{here}: unknown geometry type {kind!r}")


def _polygon(rings: Any, here: str) -> shapely.Polygon:
    if not isinstance(rings, list) or not rings:
        raise GeometryError(f"{here}: polygon has no rings")
    arrays = []
    for r, ring in enumerate(rings):
        what = "exterior ring" if r == 0 else f"hole {r}"
        try:
            coords = np.asarray(ring, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise GeometryError(f"{here}: {what} has coordinates that are not numbers") from None
        if coords.ndim != 2 or coords.shape[1] not in (2, 3):
            raise GeometryError(f"{here}: {what} is not a list of [longitude, latitude] positions")
        # numpy turns "40" and true into numbers: the JSON must hold numbers themselves.
        kinds = set(map(type, itertools.chain.from_iterable(ring))) - {float, int}
        if kinds:
            name = "true/false" if bool in kinds else f"a JSON {_json_kind(kinds.pop())}"
            raise GeometryError(f"{here}: {what} has a coordinate that is {name}, not a number")
        if not np.isfinite(coords).all():
            raise GeometryError(f"{here}: {what} has a coordinate that is NaN or infinite")
        if len(coords) < 4:
            raise GeometryError(
                f"{here}: {what} has {len(coords)} positions; a ring needs 4 or more"
            )
        if not np.array_equal(coords[0], coords[-1]):
            raise GeometryError(
                f"{here}: {what} is not closed (first position {coords[0].tolist()} "
                f"differs from last {coords[-1].tolist()})"
            )
        arrays.append(coords[:, :2])
    return shapely.Polygon(arrays[0], arrays[1:])


# ---------------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; on success move it onto ``path`` in one step.

    The temporary file lives in a hidden folder beside the target (same file system,
    so the final ``os.replace`` is atomic); the folder and anything a writer left in
    it (GeoPackage journals) are removed whatever happens.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    _check_name_length(target, folder)  # first: a stat of too long a name fails
    if target.is_dir():
        raise OutputError(f"{target}: is a folder")
    try:
        # A short name of our own: the target's name may already be as long as allowed.
        workdir = Path(tempfile.mkdtemp(prefix=".controlmap-", suffix=".tmp", dir=folder))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        temporary = workdir / target.name
        try:
            yield temporary
        except ControlMapError:
            raise
        except OSError as exc:  # a full disk, a quota, an I/O error while writing
            reason = exc.strerror or one_line(exc)
            kept = " (the existing file is kept)" if target.exists() else ""
            raise OutputError(f"{target}: cannot write: {reason}{kept}") from None
        if not temporary.exists():
            raise OutputError(f"{target}: the writer produced no file")
        _keep_mode(target, temporary)
        try:
            os.replace(temporary, target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot replace: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_name_length(target: Path, folder: Path) -> None:
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):  # no such query on this system: let the OS decide
        return
    size = len(os.fsencode(target.name))
    if size > limit:
        raise OutputError(
            f"{target}: the file name is {size} bytes; the file system allows {limit}"
        )


def _keep_mode(target: Path, temporary: Path) -> None:
    """Give the new file the permissions of the one it replaces (a 0600 file stays 0600)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{target}: cannot read its permissions: {exc.strerror}") from None
    os.chmod(temporary, mode)


def _driver_for(path: Path, driver: str | None) -> str:
    if driver is not None:
        # Single-file formats only: the atomic move carries one file, not a shapefile's four.
        if driver not in set(WRITERS.values()):
            known = ", ".join(sorted(set(WRITERS.values())))
            raise OutputError(f"{path}: driver {driver!r} is not one controlmap writes ({known})")
        return driver
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        known = ", ".join(sorted(WRITERS))
        raise OutputError(f"{path}: unknown output extension {suffix or '(none)'!r}; use {known}")
    return WRITERS[suffix]


def write_periods(
    timeline: Timeline,
    path: str | os.PathLike[str],
    *,
    driver: str | None = None,
    snapshots: list[Any] | None = None,
) -> Path:
    """Write every period of a timeline.

    Parameters
    ----------
    timeline : Timeline
    path : path-like
        ``.geojson`` / ``.json``, ``.gpkg`` or ``.parquet``.
    driver : str, optional
        Override the format chosen by extension ("GeoJSON", "GPKG", "Parquet").
    snapshots : list of dates, optional
        GeoPackage only: also write ``at(date)`` of each date as a layer
        ``snapshot_YYYY_MM_DD`` beside the ``periods`` layer.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> write_periods(tl, pathlib.Path(tempfile.mkdtemp()) / "is.gpkg").suffix
    '.gpkg'
    """
    frame = timeline.periods
    layers = {"periods": frame}
    target = Path(path)
    kind = _driver_for(target, driver)
    if snapshots:
        if kind != "GPKG":
            raise OutputError(f"{target}: snapshot layers need a GeoPackage (.gpkg)")
        for day in snapshots:
            snap = timeline.at(day)
            stamp = snap["date"].iloc[0] if len(snap) else parse_date(day)
            layers[f"snapshot_{iso_day(stamp).replace('-', '_')}"] = snap
    return _write_layers(layers, target, kind)


def write_snapshot(
    snapshot: gpd.GeoDataFrame, path: str | os.PathLike[str], *, driver: str | None = None
) -> Path:
    """Write a GeoDataFrame (a snapshot, a changes frame) with controlmap's conventions.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> snap = controlmap.load_dataset("islamic-state").at("2016-01-01")
    >>> write_snapshot(snap, pathlib.Path(tempfile.mkdtemp()) / "s.geojson").name
    's.geojson'
    """
    target = Path(path)
    return _write_layers({"snapshot": snapshot}, target, _driver_for(target, driver))


def _write_layers(layers: dict[str, gpd.GeoDataFrame], target: Path, kind: str) -> Path:
    with atomic_output(target) as temporary:
        if kind == "GeoJSON":
            (frame,) = layers.values()
            with open(temporary, "w", encoding="utf-8") as stream:
                for chunk in geojson_chunks(frame):
                    stream.write(chunk)
        else:  # GPKG or Parquet (_driver_for admits nothing else)
            columns = {
                layer: _faithful_columns(frame, target, kind) for layer, frame in layers.items()
            }
            # GDAL prints some failures straight to stderr ("ERROR 1: ..."), even while
            # a failed dataset is closed: they are caught and told in our own message.
            failure = None
            with _gdal_messages() as messages:
                try:
                    if kind == "GPKG":
                        for layer, frame in columns.items():
                            _write_gpkg_layer(_rfc7946_frame(frame), temporary, layer)
                    else:
                        (frame,) = columns.values()
                        _for_columns(_rfc7946_frame(frame)).to_parquet(temporary)
                except (ImportError, KeyboardInterrupt, ControlMapError):
                    raise
                except Exception as exc:  # fiona/pyogrio/pyarrow raise many types
                    failure = one_line(exc)  # only the text: the traceback holds the dataset
                gc.collect()  # close what the failed writer left open, inside the capture
            if failure is not None:
                said = f" (GDAL: {one_line(Exception(messages[-1]))})" if messages else ""
                raise OutputError(f"{target}: cannot write as {kind}: {failure}{said}")
            for line in messages:
                warnings.warn(f"{target}: GDAL: {line}", stacklevel=3)
    return target


@contextlib.contextmanager
def _gdal_messages() -> Iterator[list[str]]:
    """Collect what is written on file descriptor 2 meanwhile (GDAL's own error printer).

    The lines are in the yielded list once the block has ended, even by an exception.
    """
    lines: list[str] = []
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read(1 << 16).decode("utf-8", errors="replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())


def _faithful_columns(frame: gpd.GeoDataFrame, target: Path, kind: str) -> gpd.GeoDataFrame:
    """Columns a GeoPackage or GeoParquet holds without losing a value.

    A column mixing kinds of value (0.8, "high", 3) or holding lists and objects
    becomes a text column of every value (numbers as written, lists and objects as
    JSON), with a warning; writers would otherwise keep one kind and drop the rest.
    Text a GeoPackage would cut short (a NUL character) is refused.
    """
    frame = frame.copy()
    seen: dict[str, str] = {}
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        if kind == "GPKG":
            # SQLite's column names ignore case: "Note" and "note" cannot both be fields.
            folded = str(column).casefold()
            if folded in seen:
                raise OutputError(
                    f"{target}: columns {seen[folded]!r} and {column!r} differ only in case;"
                    " a GeoPackage cannot hold both"
                )
            seen[folded] = str(column)
        values = frame[column]
        if values.dtype == object:
            kinds = {_value_kind(v) for v in values} - {"missing"}
            numbers = kinds == {"int", "float"}  # a float column holds both exactly
            if (len(kinds) > 1 and not numbers) or kinds & {"other", "huge"}:
                named = " and ".join(sorted(_KIND_NAMES[k] for k in kinds))
                warnings.warn(
                    f"{target}: column {column!r} holds {named} values; written as text"
                    " (numbers as written, lists and objects as JSON)",
                    stacklevel=4,
                )
                values = frame[column] = values.map(_as_text).astype(object)
            elif kinds in ({"bool"}, {"int"}, {"int", "float"}, {"float"}):
                # One kind with gaps (None): a typed column, or fiona writes every value
                # of an object column as text, which drops the numbers.
                dtype = {"bool": "boolean", "int": "Int64"}.get(min(kinds), "float64")
                values = frame[column] = values.astype(dtype)
            elif kinds == {"date"} and not all(
                type(v) is _dt.date for v in values if _value_kind(v) != "missing"
            ):
                values = frame[column] = values.map(_as_text).astype(object)
        if kind == "GPKG" and values.dtype in (object, "string", "str"):
            _refuse_nul(values, column, target)
    return frame


_KIND_NAMES = {
    "text": "text",
    "int": "integer",
    "huge": "huge integer",
    "float": "decimal",
    "bool": "true/false",
    "date": "date",
    "other": "list or object",
}


def _value_kind(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return "missing"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        # Beyond int64 no column type holds it; beyond 2**53 a float column would round it.
        return "int" if abs(int(value)) < 2**53 else "huge"
    if isinstance(value, float | np.floating):
        return "missing" if np.isnan(value) else "float"
    if isinstance(value, _dt.date | np.datetime64):  # dates, datetimes, Timestamps
        return "date"
    return "other"


def _as_text(value: Any) -> Any:
    if _value_kind(value) == "missing":
        return None
    if isinstance(value, str):
        return value
    # NaN and infinities inside lists are written as JSON's extension (as GDAL does).
    return json.dumps(_plain(value), ensure_ascii=False)


def _plain(value: Any) -> Any:
    """Python values json can write: numpy scalars and arrays unwrapped, dates as text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _refuse_nul(values: pd.Series, column: Any, target: Path) -> None:
    for index, value in enumerate(values):
        if isinstance(value, str) and "\x00" in value:
            raise OutputError(
                f"{target}: feature {index}: {column} {value!r} holds a NUL character, which"
                " a GeoPackage cuts the text at; write GeoJSON or GeoParquet instead"
            )


def _rfc7946_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)  # edges are split in degrees: never in metres
    frame = frame.copy()
    frame.geometry = _rfc7946_geometries(np.asarray(frame.geometry.values, dtype=object))
    return frame


def _rfc7946_geometries(geoms: np.ndarray) -> np.ndarray:
    """Split long edges, snap to a 1e-6° grid, orient exteriors counter-clockwise.

    Edges longer than ``EDGE_STEP_DEGREES`` get points along their straight
    longitude/latitude line: the shape drawn is unchanged, and tools that measure
    each edge as a geodesic (SpatiaLite's ``ST_Area(geom, 1)``) then measure the
    area controlmap reports (see :mod:`controlmap.area`).
    """
    geoms = np.asarray(geoms, dtype=object)
    # A hair over the step, so edges already split (then rounded) are not split again.
    dense = shapely.segmentize(geoms, EDGE_STEP_DEGREES + 1e-6)
    ok = shapely.is_valid(geoms)
    # New points can pinch a hole thinner than the grid; snapping a valid polygon to the
    # grid (GEOS snap-rounding) keeps it valid, where plain rounding may not.
    dense[ok] = repaired(dense[ok])
    snapped = dense.copy()
    snapped[ok] = shapely.set_precision(dense[ok], 10.0**-COORDINATE_DECIMALS)
    # Rounding the (already on-grid) values makes each print as its shortest decimal;
    # invalid input is rounded as given (``validate``/``repair`` deal with it).
    rounded = shapely.transform(snapped, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    # A polygon thinner than the grid would vanish (or, merely rounded, turn into a
    # degenerate ring): keep it at full precision instead, the one exception.
    vanished = shapely.is_empty(snapped) & ~shapely.is_empty(dense)
    rounded[vanished] = dense[vanished]
    return shapely.orient_polygons(rounded, exterior_cw=False)


def _for_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dates as ``datetime.date`` so writers make Date (not DateTime) fields."""
    frame = frame.copy()
    for column in frame.columns:
        if column != frame.geometry.name and pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = pd.Series(
                [None if pd.isna(v) else v.date() for v in frame[column]],
                index=frame.index,
                dtype=object,
            )
    return frame


def _write_gpkg_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    # Date columns: datetime64 ones (even when all missing, like the ends of periods
    # still open) and object columns holding only dates.
    typed = [
        c
        for c in frame.columns
        if c != frame.geometry.name and pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    frame = _for_columns(frame)
    dates = [
        c
        for c in frame.columns
        if c != frame.geometry.name
        and frame[c].map(lambda v: v is None or type(v).__name__ == "date").all()
        and (c in typed or frame[c].notna().any())
    ]
    # pyogrio writes datetime.date objects as text; fiona can declare Date fields,
    # which is what QGIS's Temporal Controller and ogrinfo want to see.
    frame.to_file(
        path, layer=layer, driver="GPKG", engine="fiona", schema=_fiona_schema(frame, dates)
    )


def _fiona_schema(frame: gpd.GeoDataFrame, dates: list[str]) -> dict[str, Any]:
    from geopandas.io.file import infer_schema

    schema = infer_schema(frame)
    for column in dates:
        schema["properties"][column] = "date"
    return schema


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return format_date(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.ndarray):  # list columns read from Parquet
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if pd.isna(value):
        return None
    return str(value)


def _geometry_json(geom: Any) -> str:
    """GeoJSON text of one geometry with each coordinate as its shortest decimal.

    GEOS's writer (``shapely.to_geojson``) prints 17 significant digits, which
    turns 33.928172 into 33.928172000000004; Python's float repr does not.
    """
    if geom is None or shapely.is_missing(geom):
        return "null"
    return json.dumps(geom.__geo_interface__, separators=(", ", ": "))


def geojson_chunks(frame: gpd.GeoDataFrame) -> Iterator[str]:
    """Serialise a frame as RFC 7946 GeoJSON text, a feature at a time.

    WGS84 longitude/latitude, no ``crs`` member, exteriors counter-clockwise,
    coordinates rounded to 6 decimals, dates as ``YYYY-MM-DD`` text (which GDAL
    and QGIS read as Date fields). The frame's ``id`` column, if unique, becomes
    the feature ``id``.

    Examples
    --------
    >>> from shapely import box
    >>> f = gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(40, 34, 40.05, 34.05)], crs=4326)
    >>> text = "".join(geojson_chunks(f))
    >>> json.loads(text)["features"][0]["geometry"]["coordinates"][0][:2]
    [[40.0, 34.0], [40.05, 34.0]]
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    geoms = _rfc7946_geometries(np.asarray(frame.geometry.values, dtype=object))
    texts = (_geometry_json(g) for g in geoms)  # one at a time: bounded memory
    columns = [c for c in frame.columns if c != frame.geometry.name]
    # Only plain, unique strings or integers make feature ids (RFC 7946 section 3.2).
    use_id = (
        "id" in columns
        and bool(
            frame["id"]
            .map(lambda v: isinstance(v, str | int | np.integer) and not isinstance(v, bool))
            .all()
        )
        and frame["id"].is_unique
    )
    yield '{"type": "FeatureCollection", "features": [\n'
    rows = frame[columns].itertuples(index=False, name=None)
    for n, (values, geometry) in enumerate(zip(rows, texts, strict=True)):
        properties = {c: _json_value(v) for c, v in zip(columns, values, strict=True)}
        head = '{"type": "Feature", '
        if use_id:
            head += f'"id": {json.dumps(properties["id"])}, '
        body = json.dumps(properties, ensure_ascii=False)
        geometry_text = geometry
        separator = ",\n" if n else ""
        yield f'{separator}{head}"properties": {body}, "geometry": {geometry_text}}}'
    yield "\n]}\n"


# ---------------------------------------------------------------------------- checking
def validate(
    source: str | os.PathLike[str], *, name: str | None = None, **options: Any
) -> Timeline:
    """Read a timeline and check every polygon is valid (OGC simple features).

    Parameters
    ----------
    source : path-like
        A file :func:`read` accepts.
    name : str, optional
        The timeline's label (default: the file name without extension).
    **options
        As in :func:`read`: field names, ``layer``, ``engine``, ``crs``.

    Returns
    -------
    Timeline
        The timeline, when nothing is wrong.

    Raises
    ------
    ControlMapError
        The first problem found, naming the feature. Invalid but repairable polygons
        (self-intersections, bowties) raise :class:`GeometryError`; ``controlmap
        repair`` fixes them.

    Examples
    --------
    >>> import controlmap
    >>> len(validate(controlmap.dataset_path("islamic-state"))) > 0
    True
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the invalid polygons are reported below instead
        periods, ids = _read_periods(source, **options)
    geoms = np.asarray(periods.geometry.values, dtype=object)
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        i = int(invalid[0])
        reason = shapely.is_valid_reason(geoms[i])
        more = f" ({len(invalid) - 1} more invalid)" if len(invalid) > 1 else ""
        raise GeometryError(
            f"{where(source, i, ids[i] if ids else None)}: invalid polygon: {reason}{more};"
            " `controlmap repair` writes a fixed copy"
        )
    if Path(source).suffix.lower() in GEOJSON_SUFFIXES:
        # RFC 7946 section 3.1.6: exteriors counter-clockwise, holes clockwise.
        wound = shapely.orient_polygons(geoms, exterior_cw=False)
        wrong = np.flatnonzero(~shapely.equals_exact(wound, geoms, tolerance=0.0))
        if len(wrong):
            i = int(wrong[0])
            more = f" ({len(wrong) - 1} more)" if len(wrong) > 1 else ""
            raise GeometryError(
                f"{where(source, i, ids[i] if ids else None)}: rings wound against RFC 7946"
                f" (exterior clockwise or hole counter-clockwise){more};"
                " `controlmap repair` writes a fixed copy"
            )
    return Timeline._from_normalized(periods, name=name or Path(source).stem, source=source)
