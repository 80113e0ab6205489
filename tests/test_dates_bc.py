"""Years before 1 AD are refused up front, with one message, wherever a date comes in.

controlmap does not support them (docs/api.md, "Dates before 1 AD" says why); what
matters is that no entry point reads one as something else (``-100`` as "not a date",
``-0100`` as AD 100) and that every one says the same thing, naming the file, the
feature or the option.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

import controlmap
from controlmap._dates import RANGE_TEXT
from controlmap.cli import main

SQUARE = shapely.box(12, 41, 13, 42)
# Every way a file or a person writes a year before 1 AD, as stored in a GeoJSON property.
SPELLINGS: list[Any] = [
    "-0044-03-15",  # ISO 8601 astronomical year -44 (45 BC)
    "0000-06-01",  # year 0 = 1 BC
    "-0044",
    "-44",
    "-000044-03-15",  # ISO 8601 expanded years
    "44 BC",
    "44 BCE",
    "44 B.C.",
    -44,  # a number field
    0,
    -44.0,
]


def _file(folder: Path, start: Any) -> Path:
    features = [
        {
            "type": "Feature",
            "id": fid,
            "properties": {"actor": "Rome", "start": value, "end": "0100-01-01"},
            "geometry": shapely.geometry.mapping(SQUARE),
        }
        for fid, value in (("ok", "0010-01-01"), ("old", start))
    ]
    path = folder / "rome.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.mark.parametrize("start", SPELLINGS, ids=str)
def test_read_and_validate_name_the_file_feature_and_reason(tmp_path: Path, start: Any) -> None:
    path = _file(tmp_path, start)
    expected = f"{path}: feature 1 (id 'old'): start {start!r} is before 1 AD: {RANGE_TEXT}"
    for call in (controlmap.read, controlmap.validate):
        with pytest.raises(controlmap.DateError) as caught:
            call(path)
        assert str(caught.value) == expected


def test_the_cli_says_the_same_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _file(tmp_path, "-0044-03-15")
    for command in ("validate", "info", "export"):
        assert (
            main(
                [command, str(bad), "-o", str(tmp_path / "x.gpkg")][: 2 + 2 * (command == "export")]
            )
            == 2
        )
        err = capsys.readouterr().err
        assert err == (
            f"controlmap: error: {bad}: feature 1 (id 'old'): start '-0044-03-15' is before"
            f" 1 AD: {RANGE_TEXT}\n"
        )
    (tmp_path / "good").mkdir()
    good = _file(tmp_path / "good", "0001-01-01")
    # Each date option is named as typed, before any file is read.
    cases = {
        ("snapshot", str(good), "--date=-0044-03-15"): "--date '-0044-03-15'",
        ("area", str(good), "--dates", "0010-01-01,44 BC"): "--dates '44 BC'",
        ("changes", str(good), "--from", "0000-12-31", "--to", "0010-01-01"): "--from '0000-12-31'",
        ("export", str(good), "-o", str(tmp_path / "x.gpkg"), "--snapshots", "-1"): (
            "--snapshots '-1'"
        ),
        ("from-snapshots", str(tmp_path), "-o", str(tmp_path / "t.gpkg"), "--end=-5"): (
            "--end '-5'"
        ),
    }
    capsys.readouterr()
    for argv, named in cases.items():
        assert main(list(argv)) == 2, argv
        err = capsys.readouterr().err
        assert err == f"controlmap: error: {named} is before 1 AD: {RANGE_TEXT}\n", argv
    assert not (tmp_path / "x.gpkg").exists() and not (tmp_path / "t.gpkg").exists()


def test_the_library_entry_points_say_the_same(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"actor": ["Rome"], "start": ["-0044-03-15"]}, geometry=[SQUARE], crs=4326
    )
    timeline = controlmap.Timeline(frame.assign(start=["0010-01-01"]))
    calls = {
        "Timeline": (
            lambda: controlmap.Timeline(frame),
            "<data>: feature 0: start '-0044-03-15'",
        ),
        "at": (lambda: timeline.at("44 BC"), "date '44 BC'"),
        "area": (lambda: timeline.area(["-0044"]), "date '-0044'"),
        "changes": (lambda: timeline.changes("-0044-01-01", "0020-01-01"), "'-0044-01-01'"),
        "from_snapshots": (
            lambda: controlmap.Timeline.from_snapshots(
                {"-0044-03-15": frame[["actor", "geometry"]]}
            ),
            "'-0044-03-15'",
        ),
        "parse_date": (lambda: controlmap.parse_date(-44), "date -44"),
    }
    for name, (call, shown) in calls.items():
        with pytest.raises(controlmap.DateError) as caught:
            call()
        message = str(caught.value)
        assert message.endswith(f"is before 1 AD: {RANGE_TEXT}"), name
        assert shown in message, (name, message)


def test_a_date_field_before_1_ad_is_refused(tmp_path: Path) -> None:
    """GeoParquet date32 holds negative years; the value is refused, not misread."""
    days = np.array(["0010-01-01", "-0044-03-15"], dtype="datetime64[D]")
    table = pa.table(
        {
            "actor": ["Rome", "Rome"],
            "start": pa.array(days.astype("datetime64[D]").astype(np.int32), pa.date32()),
            "geometry": [SQUARE.wkb, SQUARE.wkb],
        }
    )
    metadata = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"]}},
    }
    table = table.replace_schema_metadata({b"geo": json.dumps(metadata).encode()})
    path = tmp_path / "rome.parquet"
    pq.write_table(table, path)
    stored = pq.read_table(path).column("start").cast(pa.int32()).to_pylist()
    assert stored == days.astype(np.int32).tolist()  # days since 1970: the year -44 is there
    with pytest.raises(controlmap.DateError) as caught:
        controlmap.read(path)
    assert str(caught.value) == (
        f"{path}: feature 1: start is day -0044-03-15, before 1 AD: {RANGE_TEXT}"
    )


def test_a_minus_sign_in_a_file_name_is_not_read_as_a_separator(tmp_path: Path) -> None:
    # "front_-0100-01-01" is 100 BC; once it was silently read as AD 100.
    square = gpd.GeoDataFrame({"actor": ["Rome"]}, geometry=[SQUARE], crs="EPSG:4326")
    folder = tmp_path / "maps"
    folder.mkdir()
    square.to_file(folder / "front_-0100-01-01.geojson")
    square.to_file(folder / "front_0100-01-02.geojson")
    with pytest.raises(controlmap.ControlMapError, match="before 1 AD") as caught:
        controlmap.read_snapshots(folder)
    assert "front_-0100-01-01.geojson" in str(caught.value)
    # A hyphen after a letter or digit is a separator: these are AD dates.
    (folder / "front_-0100-01-01.geojson").rename(folder / "front-0100-01-01.geojson")
    timeline = controlmap.read_snapshots(folder)
    assert [d.year for d in timeline.change_dates][:1] == [100]
