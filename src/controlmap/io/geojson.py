"""The streaming GeoJSON reader: a feature at a time, every defect named by feature.

GeoJSON is parsed here rather than through GDAL because GDAL silently closes rings
and renumbers ids, and ``json.loads`` of a whole document costs several times the
file's size in memory.
"""

from __future__ import annotations

import codecs
import itertools
import json
import math
import sys
from array import array
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .._packed import PackedBuilder, PackedGeometry
from ..errors import DataError, FormatError, GeometryError, where

__all__ = ["GEOJSON_SUFFIXES", "read_geojson", "read_geojson_packed"]

GEOJSON_SUFFIXES = {".geojson", ".json"}


def read_geojson(path: Path, crs: CRS | None = None) -> tuple[gpd.GeoDataFrame, list[Any] | None]:
    """Parse a GeoJSON file a feature at a time.

    The file is decoded in chunks and each feature is turned into a shapely
    geometry as soon as it is parsed, so peak memory stays near the size of the
    result rather than the several times the file size that ``json.loads`` of the
    whole document costs. Errors inside the ``features`` array name the feature.
    """
    # The polygons kept as the batches make them: packing them only to make them again
    # would be work done twice.
    table, packed, file_crs, ids = read_geojson_packed(path, crs, objects=True)
    return gpd.GeoDataFrame(table, geometry=packed.objects, crs=file_crs), ids


def read_geojson_packed(
    path: Path, crs: CRS | None = None, *, objects: bool | None = None
) -> tuple[pd.DataFrame, PackedGeometry, CRS | int, list[Any] | None]:
    """:func:`read_geojson` with the geometry packed: columns, geometry, CRS and ids.

    No shapely object of every feature is made at once: the polygons are made and
    packed a batch at a time (see :mod:`controlmap._packed`); ``objects`` is the
    :class:`~controlmap._packed.PackedBuilder`'s choice of keeping them as objects.
    """
    collector = _FeatureCollector(path, objects)
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
            collector.settle()
    # A 'crs' member in the file wins; otherwise the caller's crs= (a file written
    # projected by a tool that leaves the member out), otherwise RFC 7946's WGS84.
    member = _legacy_crs(head, path)
    return collector.packed(member if member is not None or "crs" in head else crs)


#: A property a feature does not have: NaN, as pandas makes it of a list of dicts
#: (a property given as null stays None).
_ABSENT = float("nan")
#: Distinct texts a property column may have and still be stored once per text.
_MOST_SHARED = 4096
#: x and y values (1 MB: 65,536 positions) after which the polygons of a batch are made
#: and packed (the batch's shapely polygons and WKB are the reading's largest temporaries).
_BATCH_COORDS = 1 << 17
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
        # Plain UTF-8 (the BOM is dropped by hand): with "utf-8-sig" the byte offsets of
        # a decoding error are counted from after the BOM on some chunkings, not others.
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.json = json.JSONDecoder(parse_constant=_nan_constant, parse_int=_parse_int)
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.bytes_read = 0
        self.text_seen = False  # whether the first character (perhaps a BOM) came yet
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
        # Bytes of a character cut by the last chunk wait in the decoder; an error's
        # offset counts from them, so they are taken off to name the byte in the file.
        pending = len(self.decoder.getstate()[0])
        try:
            text = self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"{self.path}: is not UTF-8 text (byte {self.bytes_read - pending + exc.start});"
                " not a GeoJSON file"
            ) from None
        if not self.text_seen and text:
            self.text_seen = True
            text = text.removeprefix("\ufeff")
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
        collector.settle()
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

    def __init__(self, path: Path, objects: bool | None = None) -> None:
        self.path = path
        # Properties by column, not a dict per feature, and a text a column repeats
        # (a date, an actor) kept once (see _shared): reading 100,000 small periods
        # peaked 60 MB lower than with their dicts.
        self.columns: dict[str, list[Any]] = {}
        self.repeats: dict[str, dict[Any, Any] | None] = {}
        # Geometries are kept as flat coordinates and counts and made into shapely
        # polygons a batch at a time (_BATCH_COORDS): a Polygon made per feature lands
        # among the freed coordinate lists of the JSON parse and keeps their memory
        # from being given back (100,000 small periods held 180 MB after reading
        # instead of 90 MB), and all coordinates kept to the end added 21 MB to the
        # peak, beside the polygons made of them.
        self._new_batch()
        self.made = PackedBuilder(objects=objects)
        self.ids: list[Any] = []
        self.seen: dict[Any, int] = {}
        self.streamed = False
        # The first position outside lon/lat range; an error only if no 'crs' member
        # (which may come after the features) says the file is projected.
        self.outside: str | None = None

    def _new_batch(self) -> None:
        self.coords = array("d")
        self.ring_sizes = array("q")
        self.polygon_rings = array("q")
        self.feature_polygons = array("q")
        self.multi = array("b")

    @property
    def count(self) -> int:
        return len(self.ids)

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
        multi, polygons = _parse_geometry(feature.get("geometry"), here)
        for rings in polygons:
            for coords in rings:
                if self.outside is None:
                    self._check_range(coords, here)
                self.coords.frombytes(np.ascontiguousarray(coords).tobytes())
                self.ring_sizes.append(len(coords))
            self.polygon_rings.append(len(rings))
        self.feature_polygons.append(len(polygons))
        self.multi.append(multi)
        self.ids.append(fid)
        count = len(self.ids)  # features kept, this one included
        for key, value in properties.items():
            column = self.columns.get(key)
            if column is None:
                column = self.columns[key] = [_ABSENT] * (count - 1)
            column.append(self._shared(key, value))
        if len(properties) < len(self.columns):
            for column in self.columns.values():
                if len(column) < count:
                    column.append(_ABSENT)

    def settle(self) -> None:
        """Make the polygons of the batch if it is full.

        Called once the parsed feature is let go: its coordinate lists (about 120
        bytes a vertex) and the polygons made of them are not held at once.
        """
        if len(self.coords) > _BATCH_COORDS:
            self.made.add(self._polygons())
            self._new_batch()

    def _shared(self, key: str, value: Any) -> Any:
        """``value``, or an equal text already kept in its column (one object, not two)."""
        if not isinstance(value, str):
            return value
        seen = self.repeats.setdefault(key, {})
        if seen is None:
            return value
        kept = seen.setdefault(value, value)
        if len(seen) > _MOST_SHARED:  # a column of distinct texts (names, notes)
            self.repeats[key] = None
        return kept

    def _check_range(self, coords: np.ndarray, here: str) -> None:
        bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if bad.any():
            x, y = coords[np.flatnonzero(bad)[0]]
            self.outside = (
                f"{here}: coordinate ({x:g}, {y:g}) is outside longitude/latitude range;"
                " GeoJSON must be WGS84 (a projected file?)"
            )

    def geometries(self) -> PackedGeometry:
        """The features' Polygons and MultiPolygons, packed."""
        if len(self.multi):
            self.made.add(self._polygons())
            self._new_batch()
        return self.made.build()

    def _polygons(self) -> np.ndarray:
        """The Polygons and MultiPolygons of the batch, made in one pass."""
        coords = np.frombuffer(self.coords, dtype=float).reshape(-1, 2)
        ring_offsets = np.r_[0, np.cumsum(np.frombuffer(self.ring_sizes, dtype=np.int64))]
        polygon_offsets = np.r_[0, np.cumsum(np.frombuffer(self.polygon_rings, dtype=np.int64))]
        polygons = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, coords, (ring_offsets, polygon_offsets)
        )
        counts = np.frombuffer(self.feature_polygons, dtype=np.int64)
        multi = np.frombuffer(self.multi, dtype=np.int8).astype(bool)
        if not multi.any():
            return polygons
        out = np.empty(len(counts), dtype=object)
        owner = np.repeat(np.arange(len(counts)), counts)
        out[~multi] = polygons[~multi[owner]]
        in_multi = multi[owner]
        _, rank = np.unique(owner[in_multi], return_inverse=True)  # 0, 1, ... per feature
        out[multi] = shapely.multipolygons(polygons[in_multi], indices=rank)
        return out

    def packed(
        self, crs: CRS | None
    ) -> tuple[pd.DataFrame, PackedGeometry, CRS | int, list[Any] | None]:
        if crs is None and self.outside is not None:
            raise GeometryError(self.outside)
        table = pd.DataFrame(self.columns, index=pd.RangeIndex(self.count))
        ids = self.ids if any(i is not None for i in self.ids) else None
        return table, self.geometries(), crs if crs is not None else 4326, ids


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


def _parse_geometry(geometry: Any, here: str) -> tuple[bool, list[list[np.ndarray]]]:
    """Whether a feature's geometry is a MultiPolygon, and its polygons' rings (checked)."""
    if geometry is None:
        raise GeometryError(f"{here}: has no geometry (null)")
    if not isinstance(geometry, dict):
        raise GeometryError(f"{here}: geometry is not a GeoJSON object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return False, [_polygon(coordinates, here)]
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError(f"{here}: MultiPolygon has no polygons")
        return True, [_polygon(p, here) for p in coordinates]
    if kind in {"Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection"}:
        raise GeometryError(
            f"{here}: geometry is a {kind}; a control period needs a Polygon or MultiPolygon"
        )
    raise GeometryError(f"{here}: unknown geometry type {kind!r}")


def _polygon(rings: Any, here: str) -> list[np.ndarray]:
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
    return arrays
