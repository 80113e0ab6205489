"""Writing timelines and snapshots: GeoJSON (RFC 7946), GeoPackage and GeoParquet.

Every write goes through :func:`controlmap._atomic.atomic_output`: a failed write
leaves the old file untouched and no debris.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import json
import math
import os
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

from .._dates import format_date, iso_day, parse_date
from .._qgis_style import styled_output
from ..errors import ControlMapError, OutputError, OutputWarning, one_line
from ..geodesic import EDGE_STEP_DEGREES
from ..model import Timeline
from ..periods import repaired

__all__ = [
    "COORDINATE_DECIMALS",
    "KEPLER_FIELDS",
    "WRITERS",
    "geojson_chunks",
    "kepler_times",
    "write_periods",
    "write_snapshot",
]

WRITERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".parquet": "Parquet"}
COORDINATE_DECIMALS = 6  # ~0.1 m: far finer than any front line is known
# What ``write_periods(..., kepler=True)`` adds: kepler.gl's time filter takes these as
# its field and its End time (docs/gis.md).
KEPLER_FIELDS = ("kepler_start", "kepler_end")


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
    kepler: bool = False,
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
    kepler : bool, default False
        GeoJSON only: add the fields :func:`kepler_times` computes, which kepler.gl's
        time filter reads as a period's first and last day held.

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
    target = Path(path)
    kind = _driver_for(target, driver)
    if kepler:
        if kind != "GeoJSON":
            raise OutputError(f"{target}: kepler.gl's fields are for GeoJSON (.geojson)")
        frame = kepler_times(frame)
    layers = {"periods": frame}
    if snapshots:
        if kind != "GPKG":
            raise OutputError(f"{target}: snapshot layers need a GeoPackage (.gpkg)")
        for day in snapshots:
            snap = timeline.at(day)
            stamp = snap["date"].iloc[0] if len(snap) else parse_date(day)
            layers[f"snapshot_{iso_day(stamp).replace('-', '_')}"] = snap
    return _write_layers(layers, target, kind)


def kepler_times(periods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``periods`` with the fields kepler.gl's interval time filter needs.

    ``kepler_start`` is noon (UTC) of a period's first day and ``kepler_end`` noon of
    its last day held (the day before ``end``, which is exclusive); both are ISO 8601
    date-times, which kepler.gl types as timestamps in UTC. kepler.gl shows a row while
    its time window overlaps ``[kepler_start, kepler_end]``, both ends included: noon
    keeps half a day between a period and a window that only touches its first or last
    day's midnight, so a window covering one day's noon and no other's (the whole day,
    or a one-day step from midnight to midnight) shows exactly the periods held that day.

    A period still held (no ``end``) gets noon of the day after the last date on which
    any period starts or ends. kepler.gl's time axis spans only the values of these two
    fields: this puts the state after the last change on it, and kepler.gl's map (which
    would hide a period without an end past the axis) and its counts agree on it.
    Existing fields of these names are replaced.

    Examples
    --------
    >>> from shapely import box
    >>> f = gpd.GeoDataFrame(
    ...     {"start": pd.to_datetime(["2017-01-01", "2017-03-01"]),
    ...      "end": pd.to_datetime(["2017-03-01", None])},
    ...     geometry=[box(40, 34, 41, 35)] * 2, crs=4326)
    >>> for row in kepler_times(f)[["kepler_start", "kepler_end"]].values.tolist():
    ...     print(row)
    ['2017-01-01T12:00:00Z', '2017-02-28T12:00:00Z']
    ['2017-03-01T12:00:00Z', '2017-03-02T12:00:00Z']
    """
    frame = periods.copy()
    ends = frame["end"].dropna()
    last_change = frame["start"].max() if ends.empty else max(frame["start"].max(), ends.max())
    last_day = (frame["end"] - pd.Timedelta(days=1)).fillna(last_change + pd.Timedelta(days=1))
    frame[KEPLER_FIELDS[0]] = [f"{iso_day(day)}T12:00:00Z" for day in frame["start"]]
    frame[KEPLER_FIELDS[1]] = [f"{iso_day(day)}T12:00:00Z" for day in last_day]
    return frame


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
    with styled_output(target, kind, layers) as temporary:  # + QGIS style for periods
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
                warnings.warn(f"{target}: GDAL: {line}", OutputWarning, stacklevel=3)
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
    The lists of :data:`LIST_COLUMNS` become JSON text without a warning. Text a
    GeoPackage would cut short (a NUL character) is refused.
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
        if column in LIST_COLUMNS and values.dtype == object and all(map(_text_list, values)):
            # controlmap's own list of text (a snapshot's sources): JSON text, as documented.
            values = frame[column] = values.map(_as_text).astype(object)
        elif values.dtype == object:
            kinds = {_value_kind(v) for v in values} - {"missing"}
            numbers = kinds == {"int", "float"}  # a float column holds both exactly
            if (len(kinds) > 1 and not numbers) or kinds & {"other", "huge"}:
                named = " and ".join(sorted(_KIND_NAMES[k] for k in kinds))
                warnings.warn(
                    f"{target}: column {column!r} holds {named} values; written as text"
                    " (numbers as written, lists and objects as JSON)",
                    OutputWarning,
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


#: Columns controlmap itself fills with lists of text (``Timeline.at``'s ``sources``):
#: GeoJSON keeps them as arrays; GeoPackage and GeoParquet get JSON text, without the
#: warning other list columns give.
LIST_COLUMNS = frozenset({"sources"})


def _text_list(value: Any) -> bool:
    """A list of text (or nothing): what a LIST_COLUMNS column may hold."""
    if _value_kind(value) == "missing":
        return True
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


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


def _on_grid(geoms: np.ndarray, grid: float) -> np.ndarray:
    """Valid polygons with their vertices on the grid, still valid.

    Rounding each vertex (and dropping the repeats it makes) leaves nearly every
    polygon valid, and is what GEOS's snap-rounding gives then; only the polygons it
    breaks are snap-rounded, which is far slower (6.4 s for one polygon of 1 million
    vertices, against 0.2 s).
    """
    try:
        rounded = shapely.remove_repeated_points(
            shapely.set_precision(geoms, grid, mode="pointwise")
        )
    except shapely.errors.GEOSException:  # a ring rounded to fewer than four points
        return shapely.set_precision(geoms, grid)
    broken = ~shapely.is_valid(rounded) | (shapely.is_empty(rounded) & ~shapely.is_empty(geoms))
    rounded[broken] = shapely.set_precision(geoms[broken], grid)
    return rounded


def _rfc7946_geometries(geoms: np.ndarray) -> np.ndarray:
    """Split long edges, snap to a 1e-6° grid, orient exteriors counter-clockwise.

    Edges longer than ``EDGE_STEP_DEGREES`` get points along their straight
    longitude/latitude line: the shape drawn is unchanged, and tools that measure
    each edge as a geodesic (SpatiaLite's ``ST_Area(geom, 1)``) then measure the
    area controlmap reports (see :mod:`controlmap.geodesic`).
    """
    geoms = np.asarray(geoms, dtype=object)
    # A hair over the step, so edges already split (then rounded) are not split again.
    dense = shapely.segmentize(geoms, EDGE_STEP_DEGREES + 1e-6)
    ok = shapely.is_valid(geoms)
    # New points can pinch a hole thinner than the grid; snapping a valid polygon to the
    # grid (GEOS snap-rounding) keeps it valid, where plain rounding may not.
    dense[ok] = repaired(dense[ok])
    snapped = dense.copy()
    snapped[ok] = _on_grid(dense[ok], 10.0**-COORDINATE_DECIMALS)
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
    [[40.05, 34.0], [40.05, 34.05]]
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
