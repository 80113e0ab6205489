"""Fuzzing the readers: broken GeoJSON may only ever raise ControlMapError.

Every kind of damage in :data:`controlmap.testing.strategies.DAMAGES` is tried
(by parametrisation, so none is left to chance), then random bytes and random
JSON documents. The examples per test are kept low enough for the suite to stay
fast; raise them with ``--hypothesis-seed`` / a profile for a long hunt.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    deadline=None,
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
    original = cio._CHUNK_CHARS
    cio._CHUNK_CHARS = chunk
    try:
        assert _summary_of(path) == expected
    finally:
        cio._CHUNK_CHARS = original


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
    original = cio._CHUNK_CHARS
    try:
        for chunk in (1, 2, 3, 5, 17, 64, 1000):
            cio._CHUNK_CHARS = chunk
            assert _summary_of(path) == expected, chunk
    finally:
        cio._CHUNK_CHARS = original
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


def _page_payload(page: str) -> dict[str, Any]:
    start = page.index("controlmap.init(")
    call = page[start : page.index(");\n", start)]
    return json.loads(call[call.index(", ") + 2 :])


@FUZZ
@given(
    names=st.lists(hostile_text, min_size=1, max_size=3, unique=True).filter(
        lambda names: all(n.strip() for n in names)
    ),
    note=hostile_text,
    title=hostile_text,
)
def test_hostile_text_reaches_a_page_as_the_same_text(
    names: list[str], note: str, title: str
) -> None:
    from controlmap.render import snapshot_map, timeline_map

    timeline = _hostile_timeline(names, note)
    for fmap in (timeline_map(timeline, title=title), snapshot_map(timeline, "2015-06-01")):
        page = fmap.get_root().render()
        payload = _page_payload(page)  # the data parses back from the page
        actors = {f["properties"]["actor"] for f in payload["features"]["features"]}
        assert actors == set(timeline.actors)
        assert "</script" not in page.split("controlmap.init(", 1)[1].split(");\n", 1)[0]
    assert _page_payload(timeline_map(timeline, title=title).get_root().render())["title"] == title


@FUZZ
@given(name=hostile_text.filter(lambda n: bool(n.strip())), title=hostile_text)
def test_hostile_text_makes_well_formed_svg(folder: Path, name: str, title: str) -> None:
    import xml.etree.ElementTree as ET

    from controlmap._text import printable
    from controlmap.render import area_chart, save_figure

    timeline = _hostile_timeline([name], "note")
    path = save_figure(area_chart(timeline, title=title), folder / "fuzz.svg")
    shown = "".join(ET.parse(path).getroot().itertext())  # well-formed, or this raises
    assert printable(timeline.actors[0], keep="\n").replace("\n", "") in shown.replace("\n", "")


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
