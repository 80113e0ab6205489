"""The QGIS style written with exports of periods, checked without QGIS.

What QGIS makes of it is checked by QGIS itself in tests/integration/test_qgis.py;
here: the style is the fixed text whatever the data, it travels atomically with the
data file, and it changes nothing for controlmap's own reader.
"""

from __future__ import annotations

import sqlite3
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely import box

import controlmap
import controlmap.io as cio
from controlmap._qgis_style import QML

HOSTILE = ['"><temporal enabled="0"/>', 'end" OR 1=1 --', "&amp; ]]> ’ \u202e"]


@pytest.fixture
def hostile() -> controlmap.Timeline:
    frame = gpd.GeoDataFrame(
        {
            "actor": HOSTILE,
            "start": ["2020-01-01", "2020-02-01", "2020-03-01"],
            "end": ["2020-02-01", None, None],
            "status": ["control", "<b>contested</b>", "control"],
        },
        geometry=[box(40 + i, 34, 40.5 + i, 34.5) for i in range(3)],
        crs=4326,
    )
    return controlmap.Timeline(frame)


def _stored_styles(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column,"
            " useAsDefault, styleQML FROM layer_styles"
        ).fetchall()


def test_the_style_sets_time_from_controlmap_fields() -> None:
    root = ET.fromstring(QML.split("\n", 1)[1])  # past the DOCTYPE line
    temporal = root.find("temporal")
    assert temporal is not None
    assert temporal.attrib["enabled"] == "1"
    assert temporal.attrib["mode"] == "4"  # start and end from expressions
    assert temporal.attrib["limitMode"] == "0"  # include the beginning, exclude the end
    assert temporal.attrib["startExpression"] == 'to_datetime("start")'
    assert temporal.attrib["endExpression"] == (
        'coalesce(to_datetime("end"), make_datetime(9999,12,31,0,0,0))'
    )
    assert "Temporal" in root.attrib["styleCategories"].split("|")


@pytest.mark.parametrize("name", ["out.geojson", "out.json", "out.gpkg"])
def test_the_style_is_the_same_text_whatever_the_data(
    hostile: controlmap.Timeline, tmp_path: Path, name: str
) -> None:
    path = hostile.to_file(tmp_path / name)
    if name.endswith(".gpkg"):
        assert _stored_styles(path) == [("", "", "periods", "geom", 1, QML)]
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    else:
        assert path.with_suffix(".qml").read_text(encoding="utf-8") == QML
        assert sorted(p.name for p in tmp_path.iterdir()) == [name, "out.qml"]
    for text in HOSTILE:
        assert text not in QML
    back = controlmap.read(path)  # the style changes nothing for controlmap's reader
    assert back.periods["actor"].tolist() == HOSTILE


def test_snapshots_get_no_style(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    timeline.to_file(tmp_path / "s.geojson", date="2015-05-17")
    timeline.to_file(tmp_path / "s.gpkg", date="2015-05-17")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.geojson", "s.gpkg"]
    with sqlite3.connect(tmp_path / "s.gpkg") as db:
        tables = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
    assert tables == {"snapshot"}


def test_reading_an_export_with_snapshots_names_only_data_layers(
    timeline: controlmap.Timeline, tmp_path: Path
) -> None:
    plain = timeline.to_file(tmp_path / "is.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # layer_styles is no reason to warn "several layers"
        assert len(controlmap.read(plain)) == len(timeline)
    several = timeline.to_file(tmp_path / "more.gpkg", snapshots=["2015-05-17"])
    with pytest.warns(UserWarning, match="read the first layer") as caught:
        controlmap.read(several)
    (warning,) = caught
    assert "layer_styles" not in str(warning.message)
    assert "snapshot_2015_05_17" in str(warning.message)


def _dies_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    real = cio.geojson_chunks

    def chunks(frame: Any) -> Iterator[str]:
        it = real(frame)
        yield next(it)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cio.writing, "geojson_chunks", chunks)


def test_the_sidecar_travels_with_the_data(
    hostile: controlmap.Timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, sidecar = tmp_path / "out.geojson", tmp_path / "out.qml"
    # A failed first write leaves neither file.
    with monkeypatch.context() as patch:
        _dies_midway(patch)
        with pytest.raises(controlmap.ControlMapError, match="No space left"):
            hostile.to_file(data)
    assert list(tmp_path.iterdir()) == []
    # A failed write over older files keeps both as they were.
    data.write_text("old data")
    sidecar.write_text("old style")
    with monkeypatch.context() as patch:
        _dies_midway(patch)
        with pytest.raises(controlmap.ControlMapError, match="No space left"):
            hostile.to_file(data)
    assert (data.read_text(), sidecar.read_text()) == ("old data", "old style")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson", "out.qml"]
    # A write that succeeds replaces both, each by a complete file.
    sidecar_inode = sidecar.stat().st_ino
    hostile.to_file(data)
    assert sidecar.read_text(encoding="utf-8") == QML
    assert sidecar.stat().st_ino != sidecar_inode  # replaced, not rewritten in place
    assert len(controlmap.read(data)) == len(hostile)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson", "out.qml"]
