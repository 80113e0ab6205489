"""Fuzzing the readers: broken GeoJSON may only ever raise ControlMapError.

Every kind of damage in :data:`controlmap.testing.strategies.DAMAGES` is tried
(by parametrisation, so none is left to chance), then random bytes and random
JSON documents. The examples per test are kept low enough for the suite to stay
fast; raise them with ``--hypothesis-seed`` / a profile for a long hunt.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from page_data import payload_of  # tests/ is on the path

import controlmap
from controlmap.testing.strategies import (
    DAMAGES,
    BrokenGeoJSON,
    broken_geojson,
    json_values,
    valid_geojson,
)

EXAMPLES = int(os.environ.get("CONTROLMAP_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _outcome(path: Path, function: Callable[[Path], Any]) -> controlmap.ControlMapError | None:
    """Call read/validate: a ControlMapError is returned, any other exception propagates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid polygons warn on read: not an error
        try:
            function(path)
        except controlmap.ControlMapError as exc:
            return exc
    return None


@pytest.mark.parametrize("damage", DAMAGES)
def test_broken_geojson_raises_only_controlmap_errors(folder: Path, damage: str) -> None:
    path = folder / f"{damage.replace(' ', '_')}.geojson"

    @FUZZ
    @given(broken=broken_geojson(damage))
    def check(broken: BrokenGeoJSON) -> None:
        path.write_bytes(broken.content)
        for function in (controlmap.read, controlmap.validate):
            error = _outcome(path, function)
            if broken.must_fail:
                assert error is not None, f"{damage}: {function.__name__} accepted it"
            if error is not None:
                message = str(error)
                assert message.startswith(f"{path}: "), message
                assert "\n" not in message, message
                if broken.must_fail and broken.feature is not None:
                    assert f"feature {broken.feature}" in message, message

    check()


@FUZZ
@given(content=st.binary(max_size=400))
def test_random_bytes_raise_only_controlmap_errors(folder: Path, content: bytes) -> None:
    path = folder / "bytes.geojson"
    path.write_bytes(content)
    error = _outcome(path, controlmap.read)
    assert error is not None  # no short byte string is a timeline
    assert str(error).startswith(f"{path}: ")


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(value=json_values(max_leaves=20))
def test_random_json_raises_only_controlmap_errors(folder: Path, value: object) -> None:
    path = folder / "value.geojson"
    path.write_text(json.dumps(value))
    error = _outcome(path, controlmap.validate)
    assert error is not None
    assert str(error).startswith(f"{path}: ")


@FUZZ
@given(broken=broken_geojson(), suffix=st.sampled_from([".gpkg", ".shp", ".fgb", ".parquet"]))
def test_geojson_bytes_under_other_extensions_raise_only_controlmap_errors(
    folder: Path, broken: BrokenGeoJSON, suffix: str
) -> None:
    # The GDAL path (pyogrio) must wrap its own errors too.
    path = folder / f"misnamed{suffix}"
    path.write_bytes(broken.content)
    _outcome(path, controlmap.read)


# ---------------------------------------------------------------------------- chunking
def _summary_of(path: Path) -> tuple[str, Any]:
    """What read() makes of a file: the periods as text, or the error message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            timeline = controlmap.read(path)
        except controlmap.ControlMapError as exc:
            return "error", (type(exc).__name__, str(exc).split(" at line ")[0])
    periods = timeline.periods
    return "ok", (
        periods.drop(columns="geometry").to_json(date_format="iso"),
        periods.geometry.to_wkb().tolist(),
    )


@settings(FUZZ, max_examples=EXAMPLES * 3)
@given(
    broken=broken_geojson(),
    chunk=st.integers(1, 200),
    padding=st.sampled_from(["", " ", "\n\t  "]),
    extra=st.booleans(),
)
def test_reading_in_chunks_changes_nothing(
    folder: Path, broken: BrokenGeoJSON, chunk: int, padding: str, extra: bool
) -> None:
    """The streaming reader gives the same periods or error whatever its chunk size.

    Features, numbers and multi-byte characters then straddle chunk boundaries.
    """
    import controlmap.io as cio

    content = broken.content
    if extra and content.startswith(b"{"):
        # Members before the features, a number that a chunk boundary could cut short.
        content = b'{"name": "\xd8\xaf\xd8\xa7\xd8\xb9\xd8\xb4", "count": 123456789,' + content[1:]
    content = content.replace(b", ", f",{padding}".encode())
    path = folder / "chunked.geojson"
    path.write_bytes(content)
    expected = _summary_of(path)
    original = cio.geojson._CHUNK_CHARS
    cio.geojson._CHUNK_CHARS = chunk
    try:
        assert _summary_of(path) == expected
    finally:
        cio.geojson._CHUNK_CHARS = original


def test_reading_valid_files_in_chunks(folder: Path) -> None:
    import controlmap.io as cio

    actors = ["داعش", "Peshmerga ✓", "Ejército"]
    features = [
        {
            "type": "Feature",
            "id": i,
            "properties": {"actor": actors[i % 3], "start": f"{2014 + i % 4}-01-01", "n": i * 1.5},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[40 + i, 34], [41 + i, 34], [41 + i, 35], [40 + i, 35], [40 + i, 34]]
                ],
            },
        }
        for i in range(12)
    ]
    path = folder / "valid.geojson"
    path.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )
    expected = _summary_of(path)
    assert expected[0] == "ok"
    original = cio.geojson._CHUNK_CHARS
    try:
        for chunk in (1, 2, 3, 5, 17, 64, 1000):
            cio.geojson._CHUNK_CHARS = chunk
            assert _summary_of(path) == expected, chunk
    finally:
        cio.geojson._CHUNK_CHARS = original
    timeline = controlmap.read(path)
    assert sorted(set(timeline.actors)) == sorted(actors)


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(broken=broken_geojson())
def test_repair_raises_only_controlmap_errors_and_writes_only_valid_copies(
    folder: Path, broken: BrokenGeoJSON
) -> None:
    from controlmap.repair import repair

    path = folder / "to_repair.geojson"
    out = folder / "repaired.geojson"
    out.unlink(missing_ok=True)
    path.write_bytes(broken.content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            repair(path, out)
        except controlmap.ControlMapError as exc:
            assert str(exc).startswith(f"{path}: ")
            assert not out.exists()
            return
    # Whatever repair accepted comes out with valid, RFC 7946-wound polygons.
    frame = controlmap.io.read_frame(out)[0]
    assert frame.geometry.is_valid.all()


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(
    document=valid_geojson(max_size=3),
    extra=st.dictionaries(st.sampled_from(["note", "id", "source", "n", "x y"]), json_values()),
    suffix=st.sampled_from([".geojson", ".gpkg", ".parquet"]),
)
def test_whatever_reads_can_be_exported(
    folder: Path, document: dict[str, Any], extra: dict[str, Any], suffix: str
) -> None:
    """Odd but readable properties (lists, objects, NaN, huge numbers) never crash a writer."""
    for feature in document["features"]:
        feature["properties"].update(extra)
    path = folder / "odd.geojson"
    path.write_text(json.dumps(document))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timeline = controlmap.read(path)
        out = folder / f"odd_export{suffix}"
        out.unlink(missing_ok=True)
        try:
            timeline.to_file(out)
        except controlmap.OutputError as exc:
            assert str(exc).startswith(f"{out}: ")
            assert not out.exists()
            return
        assert len(controlmap.read(out)) == len(timeline)


# ---------------------------------------------------------------------------- issue 14
def _one_feature(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    ring = [[40.0, 34.0], [41.0, 34.0], [41.0, 35.0], [40.0, 35.0], [40.0, 34.0]]
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        **extra,
    }


def _collection(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


SPECIAL_KINDS = ("fifo", "socket", "device", "folder")


@settings(FUZZ, max_examples=EXAMPLES * 2)
@given(
    kind=st.sampled_from(SPECIAL_KINDS),
    suffix=st.sampled_from([".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet", ".csv", ""]),
)
def test_non_regular_files_are_refused_whatever_the_suffix(kind: str, suffix: str) -> None:
    import socket
    import threading

    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / f"special{suffix}"
        server = None
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "socket":
            server = socket.socket(socket.AF_UNIX)
            server.bind(str(path))
        elif kind == "device":
            path.symlink_to("/dev/zero")  # endless: a reader that opened it would never stop
        else:
            path.mkdir()
        outcomes: list[Any] = []

        def attempt() -> None:
            for function in (controlmap.read, controlmap.validate):
                try:
                    outcomes.append(_outcome(path, function))
                except BaseException as exc:  # reported below, not lost in the thread
                    outcomes.append(exc)

        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(timeout=30)
        if worker.is_alive() and kind == "fifo":
            with open(path, "wb"):  # let a reader stuck on the FIFO go
                pass
        if server is not None:
            server.close()
        assert not worker.is_alive() or kind != "device", f"{kind}{suffix}: reading did not stop"
        assert len(outcomes) == 2, f"{kind}{suffix}: reading waited ({outcomes})"
        for error in outcomes:
            assert isinstance(error, controlmap.FormatError), (kind, suffix, error)
            assert str(error).startswith(f"{path}: is "), error


ISO_DAYS = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 30))


@settings(FUZZ, max_examples=EXAMPLES * 2)
@given(day=ISO_DAYS, suffix=st.sampled_from([".geojson", ".gpkg", ".parquet"]))
def test_every_accepted_day_round_trips(folder: Path, day: dt.date, suffix: str) -> None:
    import sqlite3

    import pyarrow.parquet as pq

    source = folder / "day.geojson"
    end = day + dt.timedelta(days=1)
    source.write_text(
        _collection(_one_feature({"actor": "A", "start": day.isoformat(), "end": end.isoformat()}))
    )
    out = folder / f"day_out{suffix}"
    out.unlink(missing_ok=True)
    controlmap.read(source).to_file(out)
    if suffix == ".geojson":
        written = json.loads(out.read_text())["features"][0]["properties"]
        days = [written["start"], written["end"]]
    elif suffix == ".gpkg":
        with sqlite3.connect(out) as db:
            days = list(db.execute('SELECT start, "end" FROM periods').fetchone())
    else:
        table = pq.read_table(out).to_pydict()
        days = [table["start"][0].isoformat(), table["end"][0].isoformat()]
    assert days == [day.isoformat(), end.isoformat()]
    back = controlmap.read(out).periods.iloc[0]
    assert (back.start.year, back.start.month, back.start.day) == (day.year, day.month, day.day)


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(
    moment=st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    minutes=st.integers(-(24 * 60 - 1), 24 * 60 - 1),
)
@example(moment=dt.datetime(1, 1, 1, 0, 30), minutes=60)  # 0000-12-31 in UTC
@example(moment=dt.datetime(9999, 12, 31, 23, 0), minutes=-120)  # 10000-01-01 in UTC
@example(moment=dt.datetime(1, 1, 1, 1, 0), minutes=60)  # exactly the first day
def test_edge_offsets_are_accepted_exactly_when_the_utc_day_is_in_range(
    folder: Path, moment: dt.datetime, minutes: int
) -> None:
    sign = "+" if minutes >= 0 else "-"
    offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    m = moment
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m:%H:%M:%S}{offset}"
    try:
        expected: dt.date | None = (moment - dt.timedelta(minutes=minutes)).date()
    except OverflowError:
        expected = None  # before 0001-01-01 or after 9999-12-31 in UTC
    path = folder / "offset.geojson"
    path.write_text(_collection(_one_feature({"actor": "A", "start": text})))
    plain = folder / "plain.geojson"
    plain.write_text(_collection(_one_feature({"actor": "A", "start": "0001-01-01"})))
    timeline = controlmap.read(plain)  # held from the first day on: at() always has a row
    entry_points = {
        "read": lambda: controlmap.read(path).periods.start.iloc[0],
        "at": lambda: timeline.at(text)["date"].iloc[0],
        "area": lambda: timeline.area([text]).index[0],
    }
    for name, call in entry_points.items():
        if expected is None:
            with pytest.raises(controlmap.DateError, match="0001-01-01 to 9999-12-31"):
                call()
        else:
            stamp = call()
            assert (stamp.year, stamp.month, stamp.day) == (
                expected.year,
                expected.month,
                expected.day,
            ), name


def _canonical(value: Any) -> Any:
    """What a faithful writer keeps of a value: missing as None, anything else comparable."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _same_value(written: Any, original: Any) -> bool:
    written, original = _canonical(written), _canonical(original)
    if original is None:
        return written is None
    if isinstance(written, str) and not isinstance(original, str):
        # Mixed columns hold text: numbers and lists as JSON, exactly.
        return json.loads(written) == original or (
            isinstance(original, float) and json.loads(written) == original
        )
    if isinstance(original, bool) or isinstance(written, bool):
        return bool(written) == original and isinstance(original, bool)
    if isinstance(original, int | float) and isinstance(written, int | float):
        return float(written) == float(original)
    return bool(written == original)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=8)
)


@settings(FUZZ, max_examples=EXAMPLES * 3)
@given(
    columns=st.lists(
        st.lists(SCALARS | st.lists(SCALARS, max_size=3), min_size=3, max_size=3),
        min_size=1,
        max_size=3,
    ),
    suffix=st.sampled_from([".gpkg", ".parquet"]),
)
def test_mixed_type_fields_keep_every_value(
    folder: Path, columns: list[list[Any]], suffix: str
) -> None:
    import sqlite3

    import pyarrow.parquet as pq

    names = [f"field{i}" for i in range(len(columns))]
    features = [
        _one_feature(
            {
                "actor": "A",
                "start": "2015",
                **{n: c[i] for n, c in zip(names, columns, strict=True)},
            }
        )
        for i in range(3)
    ]
    source = folder / "mixed.geojson"
    source.write_text(_collection(*features))
    out = folder / f"mixed_out{suffix}"
    out.unlink(missing_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "written as text" is expected here
        controlmap.read(source).to_file(out)
    if suffix == ".gpkg":
        with sqlite3.connect(out) as db:
            rows = db.execute(f"SELECT {', '.join(names)} FROM periods ORDER BY fid").fetchall()
        written = [list(column) for column in zip(*rows, strict=True)]
    else:
        table = pq.read_table(out).to_pydict()
        written = [table[n] for n in names]
    for name, column, back in zip(names, columns, written, strict=True):
        for original, value in zip(column, back, strict=True):
            assert _same_value(value, original), (name, column, back)


# ---------------------------------------------------------------------------- hostile text
# Text from a file is shown, never run: Jinja syntax, markup and control characters
# in names and titles reach pages and figures as the same text (issue 14).
_TEMPLATE_PIECES = ["{{", "}}", "{%", "%}", "{#", "#}", "</script>", "<!--", "<svg onload=x>"]
_HOSTILE_CHARS = st.one_of(
    st.sampled_from(list("{}%#<>&\"'\\/` \x00\x01\x0b\x1b\x1f\x7f\x85\x9b\u2028\u202e\ufffe")),
    st.characters(codec="utf-8"),  # anything encodable (no lone surrogates)
)
hostile_text = st.lists(
    st.one_of(_HOSTILE_CHARS, st.sampled_from(_TEMPLATE_PIECES)), min_size=1, max_size=24
).map("".join)


def _hostile_timeline(names: list[str], note: str) -> controlmap.Timeline:
    import geopandas as gpd
    from shapely import box

    frame = gpd.GeoDataFrame(
        {
            "actor": names,
            "start": pd.to_datetime(["2015-01-01"] * len(names)),
            "end": [None] * len(names),
            "note": [note] * len(names),
        },
        geometry=[box(40 + 1.5 * k, 34, 41 + 1.5 * k, 35) for k in range(len(names))],
        crs=4326,
    )
    return controlmap.Timeline(frame, name="fuzz")


@FUZZ
@given(
    names=st.lists(hostile_text, min_size=1, max_size=3, unique=True).filter(
        lambda names: all(n.strip() for n in names)
    ),
    note=hostile_text,
    title=hostile_text,
)
@pytest.mark.render
def test_hostile_text_reaches_a_page_as_the_same_text(
    names: list[str], note: str, title: str
) -> None:
    from controlmap.render import snapshot_map, timeline_map

    timeline = _hostile_timeline(names, note)
    for fmap in (timeline_map(timeline, title=title), snapshot_map(timeline, "2015-06-01")):
        page = fmap.get_root().render()
        payload = payload_of(page)  # the data parses back from the page
        actors = {f["properties"]["actor"] for f in payload["features"]["features"]}
        assert actors == set(timeline.actors)
        assert "</script" not in page.split("controlmap.init(", 1)[1].split(");\n", 1)[0]
    assert payload_of(timeline_map(timeline, title=title).get_root().render())["title"] == title


@pytest.mark.render
@FUZZ
@given(name=hostile_text.filter(lambda n: bool(n.strip())), title=hostile_text)
def test_hostile_text_makes_well_formed_svg(folder: Path, name: str, title: str) -> None:
    import xml.etree.ElementTree as ET

    from controlmap._text import printable
    from controlmap.render import area_chart, save
    from controlmap.render._mpl import drawable
    from controlmap.render._style import short_name

    timeline = _hostile_timeline([name], "note")
    path = save(area_chart(timeline, title=title), folder / "fuzz.svg")
    shown = "".join(ET.parse(path).getroot().itertext())  # well-formed, or this raises
    # The legend shows the name as text: a long one on two lines (short_name), letters
    # no installed font has in Latin letters (drawable). Lines are text elements of
    # their own, so whitespace is left out of the comparison.
    label = drawable(short_name(printable(timeline.actors[0], keep="\n")), ["sans-serif"])[0]
    assert "".join(label.split()) in "".join(shown.split())


@FUZZ
@given(
    text=st.text(st.characters(codec="utf-8"), max_size=40)
    | hostile_text
    | st.sampled_from(["\ud800", "a\udfffb\x1b"])  # lone surrogates: not encodable raw
)
def test_printable_leaves_no_control_character(text: str) -> None:
    from controlmap._text import CONTROL, printable

    shown = printable(text)
    assert CONTROL.search(shown) is None
    shown.encode("utf-8")  # no lone surrogate left
    if CONTROL.search(text) is None:
        assert shown == text  # text with nothing to escape is left alone
