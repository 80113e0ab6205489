"""What controlmap writes, read back by GDAL's own tools (Debian's gdal-bin).

``ogrinfo`` must see the right feature counts and ``start``/``end`` (and a
snapshot's ``date``) as Date fields in GeoJSON and GeoPackage; SpatiaLite's
geodesic ``ST_Area(geometry, 1)``, run by ``ogrinfo -dialect SQLite``, must match
controlmap's ``area_km2`` within 0.1 %; a GeoPackage export holds the periods as a
layer and the snapshots at the turning points as more layers; ``ogr2ogr`` converts
the exports to other formats that controlmap reads back to the same timeline.
No GDAL tool is optional here: a missing ``ogrinfo`` fails these tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import controlmap
from controlmap.io import write_periods, write_snapshot
from controlmap.testing import assert_timeline_equal

pytestmark = [pytest.mark.integration, pytest.mark.gdal]

TOLERANCE = 1e-3  # 0.1 %


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (apt-get install gdal-bin)"
    return path


def _ogrinfo(*args: str | Path) -> str:
    run = subprocess.run(
        [_tool("ogrinfo"), "-ro", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr, run.stderr
    return run.stdout


def _layers(path: Path) -> list[str]:
    """Layer names as ogrinfo lists them ("1: periods (Multi Polygon)")."""
    return re.findall(r"^\d+: (\S+)", _ogrinfo("-q", path), flags=re.M)


def _summary(path: Path, layer: str | None = None) -> dict[str, tuple[int, dict[str, str]]]:
    """Feature count and field types of each layer, from one ``ogrinfo -so`` call."""
    text = _ogrinfo("-so", path, *([layer] if layer else ["-al"]))
    out: dict[str, tuple[int, dict[str, str]]] = {}
    for block in re.split(r"^Layer name: ", text, flags=re.M)[1:]:
        name = block.split("\n", 1)[0].strip()
        count = int(re.search(r"^Feature Count: (\d+)", block, flags=re.M).group(1))  # type: ignore[union-attr]
        fields = dict(re.findall(r"^(\w+): (\w+) \(", block, flags=re.M))
        geometry = re.search(r"^Geometry Column = (\w+)", block, flags=re.M)
        fields["<geometry>"] = geometry.group(1) if geometry else "geometry"
        out[name] = (count, fields)
    return out


def _sql(path: Path, sql: str) -> pd.DataFrame:
    """Rows of an SQLite-dialect query (SpatiaLite functions) as ogrinfo prints them."""
    text = _ogrinfo(path, "-dialect", "SQLite", "-sql", sql)
    rows: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("OGRFeature("):
            rows.append({})
        elif rows and (m := re.match(r"^  (\w+) \((\w+)\) = (.*)$", line)):
            rows[-1][m.group(1)] = m.group(3)
    assert rows, text[-2000:]
    return pd.DataFrame(rows)


def _gdal_areas(path: Path, layers: list[str], *columns: str) -> pd.DataFrame:
    """SpatiaLite's geodesic area of every feature of ``layers`` (one ogrinfo call)."""
    geom = _summary(path, layers[0])[layers[0]][1]["<geometry>"]
    selected = ", ".join([*columns, f"ST_Area({geom}, 1) / 1e6 AS gdal_km2"])
    sql = " UNION ALL ".join(f'SELECT {selected} FROM "{layer}"' for layer in layers)
    frame = _sql(path, sql)
    for column in ("gdal_km2", "area_km2"):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return frame


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> controlmap.Timeline:
    """Two actors, a hole, a MultiPolygon, far-north and near-equator shapes, open ends."""
    ring = shapely.Polygon(
        shapely.box(38, 33, 41, 36).exterior.coords, [shapely.box(39, 34, 40, 35).exterior.coords]
    )
    frame = gpd.GeoDataFrame(
        {
            "actor": ["A", "A", "B", "B", "C"],
            "start": ["2014-01-01", "2015-03-01", "2014-06-01", "2016-01-01", "2015-01-01"],
            "end": ["2015-03-01", None, "2016-01-01", None, "2017-01-01"],
            "source": ["s1", "s2", "s3", "s4", "s5"],
        },
        geometry=[
            ring,
            shapely.MultiPolygon([shapely.box(38, 33, 39, 34), shapely.box(45, 60, 47, 62)]),
            shapely.box(-1, 0.1, 1, 1.1),  # on the prime meridian (not the equator: see below)
            shapely.Polygon([(40, 36), (44, 36.5), (43, 39), (40.5, 38), (40, 36)]),
            shapely.box(170, 50, 179.5, 55),
        ],
        crs=4326,
    )
    return controlmap.Timeline(frame, name="synthetic")


# SpatiaLite 5.0.1 / librttopo 1.1 is 0.45 % high on polygons that cross the equator
# (box(-1, -0.5, 1, 0.5)); controlmap's area matches pyproj's Karney algorithm
# there. The synthetic timeline stays north of the equator; see docs/gis.md.


def _check_areas(gdal: pd.DataFrame, expected: np.ndarray) -> float:
    """Assert GDAL's areas match; return the largest relative difference."""
    got = gdal["gdal_km2"].to_numpy(dtype=float)
    assert len(got) == len(expected)
    assert (expected > 0).all()
    np.testing.assert_allclose(got, expected, rtol=TOLERANCE)
    return float(np.max(np.abs(got / expected - 1)))


def _spread(days: pd.DatetimeIndex, n: int = 4) -> pd.DatetimeIndex:
    """A few turning points (first, last, evenly between): SpatiaLite's area is slow."""
    picks = np.unique(np.linspace(0, len(days) - 1, num=min(n, len(days))).round().astype(int))
    return days[picks]


@pytest.mark.parametrize(
    "which,suffix",
    [("timeline", ".gpkg"), ("synthetic", ".gpkg"), ("synthetic", ".geojson")],
)
def test_periods_export(
    which: str, suffix: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    tl: controlmap.Timeline = request.getfixturevalue(which)
    path = write_periods(tl, tmp_path / f"periods{suffix}")
    # A GeoPackage also holds QGIS's layer_styles table: the default style of the periods.
    assert _layers(path) == ["periods", "layer_styles"][: 2 if suffix == ".gpkg" else 1]
    count, fields = _summary(path)["periods"]
    assert count == len(tl)
    assert fields["start"] == "Date" and fields["end"] == "Date", fields
    assert fields["actor"] == "String"
    gdal = _gdal_areas(path, ["periods"], "actor", "start", "end")
    assert list(gdal["actor"]) == list(tl.periods["actor"])
    # Dates come back as the same days, and open ends as null.
    starts = pd.to_datetime(gdal["start"].str.replace("/", "-"))
    assert (starts.to_numpy() == tl.periods["start"].to_numpy()).all()
    ends = gdal["end"].where(gdal["end"] != "(null)")
    assert (ends.isna().to_numpy() == tl.periods["end"].isna().to_numpy()).all()
    worst = _check_areas(gdal, tl.period_area_km2)
    print(f"periods {which} {suffix}: largest ST_Area vs area_km2 difference {worst:.2e}")


def test_bundled_geojson_export_field_types(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    path = write_periods(timeline, tmp_path / "periods.geojson")
    count, fields = _summary(path)["periods"]
    assert count == len(timeline)
    assert fields["start"] == "Date" and fields["end"] == "Date", fields


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
@pytest.mark.parametrize("which", ["timeline", "synthetic"])
def test_snapshot_area_km2_matches_spatialite(
    which: str, suffix: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    tl: controlmap.Timeline = request.getfixturevalue(which)
    # Several dates' snapshots in one file: one ogrinfo call for all of them.
    snaps = pd.concat([tl.at(day) for day in _spread(tl.turning_points)], ignore_index=True)
    snaps = gpd.GeoDataFrame(snaps, geometry="geometry", crs=4326)
    assert len(snaps)
    path = write_snapshot(snaps, tmp_path / f"snap{suffix}")
    (layer,) = _layers(path)
    count, fields = _summary(path)[layer]
    assert count == len(snaps)
    assert fields["date"] == "Date", fields
    gdal = _gdal_areas(path, [layer], "actor", "date", "area_km2")
    assert list(gdal["date"]) == list(snaps["date"].dt.strftime("%Y/%m/%d"))
    # The area_km2 GDAL reads from the file is the one controlmap computed...
    np.testing.assert_allclose(gdal["area_km2"], snaps["area_km2"], rtol=1e-9)
    # ...and SpatiaLite's own geodesic area of the written polygons agrees.
    worst = _check_areas(gdal, snaps["area_km2"].to_numpy())
    print(f"snapshots {which} {suffix}: largest ST_Area vs area_km2 difference {worst:.2e}")


def test_changes_area_km2_matches_spatialite(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    changes = timeline.changes("2015-01-01", "2018-02-01")
    path = write_snapshot(changes, tmp_path / "changes.gpkg")
    count, fields = _summary(path)["snapshot"]
    assert count == len(changes) and fields["start"] == fields["end"] == "Date"
    gdal = _gdal_areas(path, ["snapshot"], "actor", "change", "area_km2", "start", "end")
    assert list(gdal["change"]) == list(changes["change"])
    assert set(gdal["start"]) == {"2015/01/01"} and set(gdal["end"]) == {"2018/02/01"}
    _check_areas(gdal, changes["area_km2"].to_numpy())


def test_geopackage_with_snapshot_layers_from_the_cli(
    timeline: controlmap.Timeline, tmp_path: Path
) -> None:
    days = timeline.turning_points
    out = tmp_path / "islamic_state.gpkg"
    run = subprocess.run(
        [sys.executable, "-m", "controlmap.cli", "export", "islamic-state", "-o", str(out),
         "--snapshots", ",".join(days.strftime("%Y-%m-%d"))],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    names = [f"snapshot_{d:%Y_%m_%d}" for d in days]
    assert _layers(out) == ["periods", *names, "layer_styles"]
    summary = _summary(out)
    assert summary["periods"][0] == len(timeline)
    for day, layer in zip(days, names, strict=True):
        count, fields = summary[layer]
        assert count == len(timeline.at(day)), layer
        assert fields["date"] == "Date", layer  # typed even when empty (nothing held)
    checked = [f"snapshot_{d:%Y_%m_%d}" for d in _spread(days) if len(timeline.at(d))]
    gdal = _gdal_areas(out, checked, "date", "area_km2")
    expected = pd.concat([timeline.at(d) for d in _spread(days)], ignore_index=True)
    assert list(gdal["date"]) == list(expected["date"].dt.strftime("%Y/%m/%d"))
    _check_areas(gdal, expected["area_km2"].to_numpy())


@pytest.mark.parametrize("driver,suffix", [("ESRI Shapefile", ".shp"), ("FlatGeobuf", ".fgb")])
def test_ogr2ogr_round_trip(
    synthetic: controlmap.Timeline, driver: str, suffix: str, tmp_path: Path
) -> None:
    """GDAL converts the GeoPackage; controlmap reads the result as the same timeline."""
    source = write_periods(synthetic, tmp_path / "periods.gpkg")
    converted = tmp_path / f"converted{suffix}"
    run = subprocess.run(
        [_tool("ogr2ogr"), "-f", driver, str(converted), str(source), "periods"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    back = controlmap.read(converted)
    order = np.argsort(back.periods["source"].to_numpy())  # FlatGeobuf sorts spatially
    back = controlmap.Timeline(back.periods.iloc[order].reset_index(drop=True))
    assert_timeline_equal(synthetic, back, tolerance=1e-6, area_rtol=1e-6)
    for day in ["2014-07-01", "2015-06-01", "2016-06-01"]:
        np.testing.assert_allclose(
            back.at(day)["area_km2"], synthetic.at(day)["area_km2"], rtol=1e-6
        )


def test_geojson_export_is_read_by_gdal_as_wgs84(
    timeline: controlmap.Timeline, tmp_path: Path
) -> None:
    path = write_periods(timeline, tmp_path / "periods.geojson")
    text = _ogrinfo("-so", path, "periods")
    assert 'ID["EPSG",4326]' in text or "WGS 84" in text, text
    extent = re.search(r"^Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)", text, re.M)
    assert extent, text
    west, south, east, north = map(float, extent.groups())
    bounds = timeline.periods.total_bounds
    np.testing.assert_allclose([west, south, east, north], bounds, atol=1e-6)
