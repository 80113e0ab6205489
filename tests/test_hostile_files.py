"""Hostile and malformed files and arguments (issue 14): kept faithfully or refused clearly.

Each test reproduces one defect found by an adversarial run: a value a writer dropped,
a date that could not be read back, a FIFO that hung the reader, an error that was not
a ControlMapError, bad input accepted silently, an error line without bound, or a file
left behind. Written files are re-read by another reader (sqlite3, pyarrow, json).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from pyproj import Transformer

import controlmap
from controlmap import cli
from controlmap import io as cio
from controlmap._dates import RANGE_TEXT
from controlmap.errors import MESSAGE_LIMIT

SQUARE = [[40.0, 34.0], [41.0, 34.0], [41.0, 35.0], [40.0, 35.0], [40.0, 34.0]]


def ring(i: int = 0) -> list[list[float]]:
    return [[x + 2 * i, y] for x, y in SQUARE]


def feature(properties: dict[str, Any], i: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring(i)]},
        **extra,
    }


def write(path: Path, *features: dict[str, Any]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8"
    )
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_process(
    argv: list[str], timeout: float = 120, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controlmap.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        **kw,
    )


def one_error_line(err: str, *words: str) -> str:
    """The CLI's stderr is one 'controlmap: error:' line of bounded length naming ``words``."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("controlmap: error: "), line
    assert "Traceback" not in err and "run with --debug" not in line, line
    assert len(line) <= MESSAGE_LIMIT + len("controlmap: error: "), len(line)
    for word in words:
        assert word in line, (word, line)
    return line


# ---------------------------------------------------------------------------- item 2
MIXED = [
    {"confidence": 0.8, "casualties": 12, "tags": ["a", "b"]},
    {"confidence": "high", "casualties": "unknown", "tags": [1]},
    {"confidence": 3, "casualties": 40, "tags": None},
    {"confidence": None, "casualties": 2**70, "tags": {"k": "v"}},
]
EXPECTED_TEXT = {
    "confidence": ["0.8", "high", "3", None],
    "casualties": ["12", "unknown", "40", str(2**70)],
    "tags": ['["a", "b"]', "[1]", None, '{"k": "v"}'],
}


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "mixed.geojson",
        *(feature({"actor": "A", "start": "2015-01-01", **p}, i) for i, p in enumerate(MIXED)),
    )


def test_geopackage_keeps_every_value_of_mixed_and_list_columns(
    mixed_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mixed.gpkg"
    with pytest.warns(
        controlmap.OutputWarning, match="'confidence' holds decimal and integer and text"
    ):
        controlmap.read(mixed_file).to_file(out)
    with sqlite3.connect(out) as db:  # another reader than the one that wrote it
        rows = db.execute(
            "SELECT confidence, casualties, tags FROM periods ORDER BY fid"
        ).fetchall()
    assert [list(column) for column in zip(*rows, strict=True)] == list(EXPECTED_TEXT.values())


def test_geoparquet_keeps_every_value_of_mixed_columns(mixed_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "mixed.parquet"
    with pytest.warns(controlmap.OutputWarning, match="written as text"):
        controlmap.read(mixed_file).to_file(out)
    table = pq.read_table(out).to_pydict()
    assert {c: table[c] for c in EXPECTED_TEXT} == EXPECTED_TEXT


def test_nul_in_text_refused_by_geopackage_kept_by_the_others(tmp_path: Path) -> None:
    source = write(
        tmp_path / "nul.geojson",
        feature({"actor": "A", "start": "2015-01-01"}),
        feature({"actor": "B\x00C", "start": "2015-01-01"}, 1),
    )
    timeline = controlmap.read(source)
    out = tmp_path / "nul.gpkg"
    with pytest.raises(controlmap.OutputError, match=r"feature 1: actor 'B\\x00C' holds a NUL"):
        timeline.to_file(out)
    assert not out.exists()
    timeline.to_file(tmp_path / "nul.parquet")
    assert pq.read_table(tmp_path / "nul.parquet").to_pydict()["actor"] == ["A", "B\x00C"]
    timeline.to_file(tmp_path / "nul2.geojson")
    document = json.loads((tmp_path / "nul2.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["actor"] for f in document["features"]] == ["A", "B\x00C"]


def test_failed_geopackage_write_is_one_line_of_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A text 'fid' makes GDAL fail; it used to print a raw "ERROR 1: sqlite3_prepare_v2" too.
    source = write(tmp_path / "fid.geojson", feature({"actor": "A", "start": "2015", "fid": "x"}))
    result = run_process(["export", str(source), "-o", str(tmp_path / "fid.gpkg")])
    assert result.returncode == 2
    one_error_line(result.stderr, "fid.gpkg", "cannot write as GPKG")
    both = write(
        tmp_path / "case.geojson", feature({"actor": "A", "start": "2015", "Note": 1, "note": 2})
    )
    code, _, err = run(["export", str(both), "-o", str(tmp_path / "case.gpkg")], capsys)
    assert code == 2
    one_error_line(err, "'Note' and 'note' differ only in case")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.geojson", "fid.geojson"]


# ---------------------------------------------------------------------------- item 3
@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_every_supported_year_round_trips(tmp_path: Path, suffix: str) -> None:
    days = ["0001-01-01", "0999-06-01", "1000-01-01", "9999-12-30"]
    source = write(
        tmp_path / "old.geojson",
        *(
            feature({"actor": "A", "start": day, "end": "9999-12-31" if i == 3 else None}, i)
            for i, day in enumerate(days)
        ),
    )
    out = tmp_path / f"out{suffix}"
    controlmap.read(source).to_file(out)
    if suffix == ".geojson":
        written = [f["properties"]["start"] for f in json.loads(out.read_text())["features"]]
    elif suffix == ".gpkg":
        with sqlite3.connect(out) as db:
            written = [r[0] for r in db.execute("SELECT start FROM periods ORDER BY fid")]
    else:
        written = [d.isoformat() for d in pq.read_table(out).to_pydict()["start"]]
    assert written == days
    back = controlmap.validate(out)
    assert [f"{d.year:04d}-{d.month:02d}-{d.day:02d}" for d in back.periods.start] == days


EDGES = [
    ("9999-12-31T23:00:00-05:00", "+10000-01-01"),
    ("0001-01-01T01:00:00+05:00", "0000-12-31"),
    ("0000-06-01", "before 1 AD"),
    ("-0044-03-15", "before 1 AD"),
]


@pytest.mark.parametrize(("text", "shown"), EDGES)
def test_dates_outside_the_range_are_refused_by_every_entry_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, shown: str
) -> None:
    good = write(tmp_path / "good.geojson", feature({"actor": "A", "start": "2015-01-01"}))
    bad = write(tmp_path / "bad.geojson", feature({"actor": "A", "start": text}))
    timeline = controlmap.read(good)
    frame = gpd.GeoDataFrame(
        {"actor": ["A"], "start": [text]}, geometry=[shapely.Polygon(SQUARE)], crs=4326
    )
    calls = {
        "read": lambda: controlmap.read(bad),
        "validate": lambda: controlmap.validate(bad),
        "Timeline": lambda: controlmap.Timeline(frame),
        "at": lambda: timeline.at(text),
        "area": lambda: timeline.area([text]),
        "area start": lambda: timeline.area(start=text, freq="YS"),
        "changes": lambda: timeline.changes("2015-01-01", text),
        "from_snapshots": lambda: controlmap.Timeline.from_snapshots({text: frame}),
    }
    for name, call in calls.items():
        with pytest.raises(controlmap.DateError) as caught:
            call()
        assert RANGE_TEXT in str(caught.value) and shown in str(caught.value), name
    for argv in (["validate", str(bad)], ["snapshot", str(good), f"--date={text}"]):
        code, _, err = run(argv, capsys)
        assert code == 2
        one_error_line(err, RANGE_TEXT)


def test_datetime_fields_outside_the_range_are_refused(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"actor": ["A"], "start": np.array(["10000-01-01"], dtype="datetime64[s]")},
        geometry=[shapely.Polygon(SQUARE)],
        crs=4326,
    )
    with pytest.raises(
        controlmap.DateError, match=r"feature 0: start is day \+10000-01-01, after 9999-12-31: "
    ):
        controlmap.Timeline(frame)


def test_info_of_first_century_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "rome.geojson", feature({"actor": "Rome", "start": "0043-05-01"}))
    code, out, _ = run(["info", str(source)], capsys)
    assert code == 0
    assert "from:     0043-05-01" in out and "on 0043-05-01" in out


# ---------------------------------------------------------------------------- item 4
def _specials(folder: Path) -> Iterator[tuple[Path, str]]:
    for suffix in (".geojson", ".gpkg", ".shp", ".csv", ""):
        path = folder / f"fifo{suffix}"
        os.mkfifo(path)
        yield path, "FIFO"
    device = folder / "null.geojson"
    device.symlink_to("/dev/null")
    yield device, "device"
    folder_as_file = folder / "folder.gpkg"
    folder_as_file.mkdir()
    yield folder_as_file, "folder"


def test_non_regular_files_are_refused_at_once(tmp_path: Path) -> None:
    for path, kind in _specials(tmp_path):
        for command in ("validate", "info"):
            # A subprocess with a timeout: reading a FIFO used to wait forever.
            result = run_process([command, str(path)], timeout=60)
            assert result.returncode == 2, (path, result.stderr)
            one_error_line(result.stderr, str(path), kind)
    sock_path = tmp_path / "s.geojson"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(controlmap.FormatError, match="is a socket, not a regular file"):
            controlmap.read(sock_path)


# ---------------------------------------------------------------------------- item 5
def test_a_million_digit_number_names_file_and_feature(tmp_path: Path) -> None:
    path = tmp_path / "huge.geojson"
    text = json.dumps({"type": "FeatureCollection", "features": [feature({"actor": "A"})]})
    path.write_text(
        text.replace('"actor": "A"', '"actor": "A", "start": 2015, "n": ' + "9" * 10**6)
    )
    with pytest.raises(controlmap.FormatError) as caught:
        controlmap.read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: feature 0: ") and "more than 4,300 digits" in message
    assert len(message) <= MESSAGE_LIMIT


def test_tables_without_geometry(tmp_path: Path) -> None:
    table = pd.DataFrame({"actor": ["A"], "start": ["2015-01-01"]})
    csv = tmp_path / "t.csv"
    table.to_csv(csv, index=False)
    dbf = tmp_path / "lone.dbf"
    pyogrio.write_dataframe(table, dbf)
    aspatial = tmp_path / "aspatial.gpkg"
    pyogrio.write_dataframe(table, aspatial, layer="notes")
    for path in (csv, dbf, aspatial):
        with pytest.raises(controlmap.DataError, match=f"^{path}: has no geometry"):
            controlmap.read(path)


@pytest.mark.parametrize(
    ("properties", "fid", "named"),
    [
        ({"actor": "A\ud800", "start": "2015"}, None, "property 'actor'"),
        ({"actor": "A", "start": "2015", "note": ["x", "\udfff"]}, None, "property 'note'"),
        ({"actor": "A", "start": "2015", "n\udc00": 1}, None, "property name"),
        ({"actor": "A", "start": "2015"}, "id-\ud83d", "id"),
    ],
)
def test_lone_surrogates_name_the_feature(
    tmp_path: Path, properties: dict[str, Any], fid: str | None, named: str
) -> None:
    path = tmp_path / "surrogate.geojson"
    extra = {"id": fid} if fid is not None else {}
    # json.dumps writes a lone surrogate as a \u escape, as a hostile file would.
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature(properties, **extra)]}))  # fmt: skip
    with pytest.raises(controlmap.FormatError, match=f"feature 0.*: {named}.* lone surrogate"):
        controlmap.read(path)


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "good.geojson",
        feature({"actor": "A", "start": "2014-01-01", "end": "2015-01-01"}),
        feature({"actor": "B", "start": "2014-06-01"}, 1),
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--freq", "0D"], ["'0D'", "does not step forward"]),
        (["--freq=-1D"], ["'-1D'", "does not step forward"]),
        (["--freq", "s"], ["'s'", "more than 100,000 dates"]),
        (["--dates", ",,,"], ["--dates", "no dates"]),
    ],
)
def test_area_options_bounded(
    good_file: Path, capsys: pytest.CaptureFixture[str], options: list[str], words: list[str]
) -> None:
    code, out, err = run(["area", str(good_file), *options], capsys)
    assert code == 2 and out == ""
    one_error_line(err, *words)


def test_library_date_ranges_bounded(good_file: Path) -> None:
    timeline = controlmap.read(good_file)
    for freq in ("0D", "-1D", "0MS", "-2YS"):
        with pytest.raises(controlmap.DataError, match="does not step forward"):
            timeline.area(freq=freq)
    with pytest.raises(controlmap.DataError, match="more than 100,000 dates"):
        timeline.area(start="2014-01-01", end="2024-01-01", freq="min")
    days = timeline.area(start="1900-01-01", end="2100-01-01", freq="D")  # 73,049 dates
    assert len(days) == (pd.Timestamp("2100-01-01") - pd.Timestamp("1900-01-01")).days + 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--ncols", "1000000"], ["ncols must be at least 1 and at most 50"]),
        (["--dpi", "10000"], ["10000 dpi is above the 1200 dpi maximum"]),
    ],
)
@pytest.mark.render
def test_figure_options_bounded(
    good_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    words: list[str],
) -> None:
    out = tmp_path / "f.png"
    code, _, err = run(["figure", str(good_file), "-o", str(out), *options], capsys)
    assert code == 2
    one_error_line(err, *words)
    assert not out.exists()


@pytest.mark.render
def test_figure_pixels_bounded(good_file: Path, tmp_path: Path) -> None:
    from controlmap.render import save, small_multiples

    timeline = controlmap.read(good_file)
    fig = small_multiples(timeline, ["2014-07-01"] * 60, ncols=50)
    with pytest.raises(controlmap.OutputError, match="more than a PNG's 100,000,000 pixels"):
        save(fig, tmp_path / "big.png", dpi=1200)
    assert list(tmp_path.glob("big*")) == []


@pytest.mark.parametrize("size", [242, 250, 255])
def test_long_legal_names_are_written(good_file: Path, tmp_path: Path, size: int) -> None:
    out = tmp_path / ("n" * (size - len(".geojson")) + ".geojson")
    controlmap.read(good_file).to_file(out)
    assert len(controlmap.read(out)) == 2


def test_names_over_the_limit_are_refused(
    good_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("n" * 256 + ".geojson", "é" * 124 + ".geojson"):  # 264 and 256 bytes
        code, _, err = run(["export", str(good_file), "-o", str(tmp_path / name)], capsys)
        assert code == 2
        one_error_line(err, "bytes; the file system allows 255")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.geojson"]


@pytest.mark.render
def test_report_into_an_unwritable_parent(
    good_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # sysfs refuses new folders to everyone, root included (chmod would not stop root).
    assert Path("/sys").is_dir()
    code, _, err = run(["report", str(good_file), "-o", "/sys/controlmap-report"], capsys)
    assert code == 2
    one_error_line(err, "/sys/controlmap-report: cannot create the folder")


def _no_space(*_: Any, **__: Any) -> Iterator[str]:
    yield '{"type": "FeatureCollection", "features": [\n'
    raise OSError(28, "No space left on device")


def test_full_disk_keeps_the_old_file(
    good_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    out = tmp_path / "out.geojson"
    out.write_text("old")
    monkeypatch.setattr(cio.writing, "geojson_chunks", _no_space)
    code, _, err = run(["export", str(good_file), "-o", str(out)], capsys)
    assert code == 2
    one_error_line(err, f"{out}: cannot write: No space left on device (the existing file is kept)")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.geojson", "out.geojson"]


def test_a_real_write_error_from_the_kernel(good_file: Path, tmp_path: Path) -> None:
    """A file-size limit makes the kernel fail the write (EFBIG), as a full disk would."""
    out = tmp_path / "out.geojson"
    out.write_text("old")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    result = run_process(["export", "islamic-state", "-o", str(out)], preexec_fn=limit)
    assert result.returncode == 2
    one_error_line(result.stderr, f"{out}: cannot write: File too large")
    assert out.read_text() == "old"


# ---------------------------------------------------------------------------- item 6
@pytest.mark.parametrize(
    ("position", "kind"), [(["40", "34"], "a JSON string"), ([40, True], "true/false")]
)
def test_coordinates_must_be_numbers(tmp_path: Path, position: list[Any], kind: str) -> None:
    path = tmp_path / "coords.geojson"
    bad = [position, [41, 34], [41, 35], [40, 35], position]
    document = feature({"actor": "A", "start": "2015"})
    document["geometry"]["coordinates"] = [bad]
    write(path, feature({"actor": "A", "start": "2015"}, 1), document)
    with pytest.raises(controlmap.GeometryError, match=f"feature 1: exterior ring .* {kind}"):
        controlmap.read(path)


def test_coordinates_outside_the_crs_domain(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"actor": ["A", "A"], "start": ["2015", "2016"]},
        geometry=[shapely.box(4e6, 4e6, 4.1e6, 4.1e6), shapely.box(3e7, 4e6, 3.1e7, 4.1e6)],
        crs=3857,
    )
    path = tmp_path / "mercator.gpkg"
    frame.to_file(path)
    with pytest.raises(controlmap.GeometryError, match=r"feature 1: .* outside the domain of EPSG"):
        controlmap.read(path)
    with pytest.raises(controlmap.GeometryError, match=r"feature 1: .* outside the domain"):
        controlmap.Timeline(frame)
    inside = controlmap.Timeline(frame.iloc[:1])
    # The one inside lands where pyproj alone puts it.
    expected = Transformer.from_crs(3857, 4326, always_xy=True).transform(4.1e6, 4e6)
    assert inside.periods.geometry.iloc[0].exterior.coords[0] == pytest.approx(expected)


def test_geocentric_crs_refused(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"actor": ["A"], "start": ["2015"]},
        geometry=[shapely.box(4e6, 3e6, 4.1e6, 3.1e6)],
        crs=4978,
    )
    path = tmp_path / "geocentric.gpkg"
    frame.to_file(path)
    with pytest.raises(controlmap.GeometryError, match=r"EPSG:4978 .* is geocentric"):
        controlmap.read(path)
    plain = tmp_path / "plain.geojson"
    write(plain, feature({"actor": "A", "start": "2015"}))
    with pytest.raises(controlmap.GeometryError, match="geocentric"):
        controlmap.read(plain, crs=4978)


def test_property_named_geometry_and_nan_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "g.geojson", feature({"actor": "A", "start": "2015", "geometry": 1}))
    with pytest.raises(controlmap.DataError, match="feature 0: a property is named 'geometry'"):
        controlmap.read(path)
    twice = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                feature({"actor": "A", "start": "2015"}, 0, id=float("nan")),
                feature({"actor": "A", "start": "2015"}, 1, id=float("nan")),
            ],
        }
    )
    nan_ids = tmp_path / "nan.geojson"
    nan_ids.write_text(twice)  # json.dumps writes NaN, as GDAL does
    with pytest.raises(controlmap.DataError, match=r"feature 0 .*id must be a finite number"):
        controlmap.read(nan_ids)


def test_regions_with_nan_coordinates_are_refused(good_file: Path) -> None:
    timeline = controlmap.read(good_file)
    nan_box = shapely.Polygon([(40, 34), (41, np.nan), (41, 35), (40, 35), (40, 34)])
    regions = gpd.GeoDataFrame({"name": ["ok", "bad"]}, geometry=[shapely.box(39, 33, 45, 36),
                                                                  nan_box], crs=4326)  # fmt: skip
    with pytest.raises(controlmap.GeometryError, match=r"regions \(by=\): feature 1: .*finite"):
        timeline.area(["2014-07-01"], by=regions)


# ---------------------------------------------------------------------------- item 10
def test_error_lines_are_bounded(
    good_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["snapshot", str(good_file), "--date", "9" * 100_000], capsys)
    assert code == 2
    line = one_error_line(err, "characters left out")
    timeline = controlmap.read(good_file)
    statuses = [f"status {i}" for i in range(100_000)]
    with pytest.raises(controlmap.DataError) as caught:
        timeline.area(["2014-07-01"], status=statuses)
    message = str(caught.value)
    assert len(message) <= MESSAGE_LIMIT and "and 99994 more" in message, message
    fields = {f"field {i}": i for i in range(5000)}
    many = write(tmp_path / "fields.geojson", feature({"start": "2015", **fields}))
    with pytest.raises(controlmap.DataError, match="and 4995 more") as caught:
        controlmap.read(many)
    assert len(str(caught.value)) <= MESSAGE_LIMIT
    assert "\n" not in line


# ---------------------------------------------------------------------------- item 12
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signals_unwind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any, signum: int
) -> None:
    target = tmp_path / "snap.geojson"
    target.write_text("old")
    real = cio.geojson_chunks

    def stopped_midway(frame: Any) -> Iterator[str]:
        chunks = real(frame)
        yield next(chunks)
        os.kill(os.getpid(), signum)
        yield from chunks

    monkeypatch.setattr(cio.writing, "geojson_chunks", stopped_midway)
    argv = ["snapshot", "islamic-state", "--date", "2015-01-01", "-o", str(target)]
    code, _, err = run(argv, capsys)
    assert code == 128 + signum
    assert err.strip() == "controlmap: terminated"
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.geojson"]
    assert signal.getsignal(signum) is signal.SIG_DFL


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_replacing_a_file_keeps_its_mode(good_file: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"private{suffix}"
    out.write_text("old")
    out.chmod(0o600)
    command = ["area", str(good_file)] if suffix == ".csv" else ["export", str(good_file)]
    assert cli.main([*command, "-o", str(out)]) == 0
    assert out.read_bytes() != b"old"
    assert out.stat().st_mode & 0o777 == 0o600


def test_ascii_terminal_gets_escapes_not_a_stop(tmp_path: Path) -> None:
    source = write(tmp_path / "uni.geojson", feature({"actor": "Ejército ✓", "start": "2015"}))
    result = run_process(["info", str(source)], env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "Ej\\xe9rcito \\u2713: peak" in result.stdout and "km\\xb2" in result.stdout


def test_layers_named_and_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.gpkg"
    box = [shapely.Polygon(SQUARE)]
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"label": ["x"]}, geometry=box, crs=4326), path, layer="outlines"
    )
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"actor": ["A"], "start": ["2015-01-01"]}, geometry=box, crs=4326),
        path,
        layer="periods",
        append=True,
    )
    with pytest.raises(controlmap.DataError, match=r"'outlines' .*, 'periods' .*layer=$"):
        controlmap.read(path)
    assert controlmap.read(path, layer="periods").actors == ["A"]
    first = tmp_path / "first.gpkg"
    pyogrio.write_dataframe(controlmap.read(path, layer="periods").periods, first, layer="a")
    pyogrio.write_dataframe(pyogrio.read_dataframe(path, layer="outlines"), first, layer="b")
    with pytest.warns(controlmap.LayerWarning, match="read the first layer; its layers are 'a'"):
        assert controlmap.read(first).actors == ["A"]
    code, _, err = run(["validate", str(path), "--layer", "periods"], capsys)
    assert code == 0, err
    code, _, err = run(["info", str(path)], capsys)
    assert code == 2
    one_error_line(err, "its layers are 'outlines' (Polygon), 'periods' (Polygon)")
    assert err.rstrip().endswith("choose one with --layer NAME")  # the CLI's own flag


def test_no_warning_escapes_the_capture_of_gdal(good_file: Path, tmp_path: Path) -> None:
    """Writing works with fd 2 captured: a plain GeoPackage export prints nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        controlmap.read(good_file).to_file(tmp_path / "plain.gpkg")
    assert len(controlmap.read(tmp_path / "plain.gpkg")) == 2


def test_one_kind_with_gaps_keeps_its_values_in_geopackage(tmp_path: Path) -> None:
    # Found by the fuzz test: an object column (None, None, True) was written as text
    # by fiona, which then dropped the True.
    columns = {"flag": [None, None, True], "count": [None, 5, None], "share": [0.5, None, 2]}
    source = write(
        tmp_path / "gaps.geojson",
        *(
            feature({"actor": "A", "start": "2015", **{k: v[i] for k, v in columns.items()}}, i)
            for i in range(3)
        ),
    )
    out = tmp_path / "gaps.gpkg"
    controlmap.read(source).to_file(out)
    with sqlite3.connect(out) as db:
        rows = db.execute("SELECT flag, count, share FROM periods ORDER BY fid").fetchall()
    assert [list(c) for c in zip(*rows, strict=True)] == [[None, None, 1], [None, 5, None],
                                                          [0.5, None, 2.0]]  # fmt: skip
    # (GeoJSON numbers with gaps are read as floats: 5 comes back as 5.0, still equal.)
    assert pyogrio.read_info(out, layer="periods")["dtypes"].tolist()[-3:] == [
        "bool",
        "float64",
        "float64",
    ]
