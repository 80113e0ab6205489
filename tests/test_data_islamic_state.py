"""The bundled Islamic State timeline: schema, geometry, calibration, ledger, reproducibility.

Everything here is recomputed from the shipped GeoJSON with shapely / pyproj, not taken
from the build script's own numbers; only the reproducibility test runs the script.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import controlmap

ROOT = Path(__file__).resolve().parents[1]
POLYGONS = ROOT / "data" / "polygons" / "islamic_state.geojson"
SOURCES = ROOT / "data" / "sources"
COUNTRIES = ROOT / "data" / "basemap" / "countries.geojson"
LAST_DAY = "2019-03-23"  # Baghouz falls: nothing is held from this day on
GEOD = Geod(ellps="WGS84")


def km2(geom: shapely.Geometry) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(POLYGONS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def periods(raw: dict) -> gpd.GeoDataFrame:
    # Built from the JSON itself: GDAL would turn the ISO dates into timestamps.
    frame = gpd.GeoDataFrame.from_features(raw["features"], crs=4326)
    frame["id"] = [f["id"] for f in raw["features"]]
    return frame


@pytest.fixture(scope="module")
def countries() -> dict[str, shapely.Geometry]:
    frame = gpd.read_file(COUNTRIES)
    return {iso: frame.loc[frame.iso_a3 == iso].geometry.iloc[0] for iso in ("IRQ", "SYR")}


def active(periods: gpd.GeoDataFrame, day: str) -> gpd.GeoDataFrame:
    return periods[(periods["start"] <= day) & (periods["end"] > day)]


def change_days(periods: gpd.GeoDataFrame) -> list[str]:
    return sorted(set(periods["start"]) | set(periods["end"]))


# ------------------------------------------------------------------------ schema
def test_file_is_an_rfc7946_feature_collection(raw: dict) -> None:
    assert raw["type"] == "FeatureCollection"
    assert "crs" not in raw
    ids = [f["id"] for f in raw["features"]]
    assert len(ids) == len(set(ids)), "feature ids must be unique"
    assert POLYGONS.stat().st_size < 2_000_000


def test_every_feature_has_its_provenance(periods: gpd.GeoDataFrame) -> None:
    assert set(periods["actor"]) == {"Islamic State"}
    assert set(periods["status"]) == {"control"}
    assert set(periods["confidence"]) <= {"high", "medium", "low"}
    for column in ("source", "note", "confidence"):
        assert periods[column].notna().all(), column
    assert (periods["source"].str.len() > 20).all()


def test_dates_are_iso_days_and_end_by_baghouz(periods: gpd.GeoDataFrame) -> None:
    iso_day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    assert periods["start"].map(lambda s: bool(iso_day.match(s))).all()
    assert periods["end"].map(lambda s: bool(iso_day.match(s))).all(), "no open-ended period"
    assert (periods["start"] < periods["end"]).all()
    assert periods["end"].max() == LAST_DAY
    assert periods["start"].min() <= "2013-12-31", "the timeline begins in late 2013"


def test_coordinates_are_rounded(raw: dict) -> None:
    text = json.dumps([f["geometry"] for f in raw["features"]])
    assert not re.search(r"\d\.\d{7,}", text)


# ---------------------------------------------------------------------- geometry
def test_geometries_valid_polygonal_and_ccw(periods: gpd.GeoDataFrame) -> None:
    geoms = periods.geometry.values
    assert shapely.is_valid(geoms).all()
    assert set(periods.geom_type) <= {"Polygon", "MultiPolygon"}
    parts = shapely.get_parts(geoms)
    assert shapely.is_ccw(shapely.get_exterior_ring(parts)).all(), "exteriors counter-clockwise"
    holes = [r for p in parts for r in p.interiors]
    assert not any(shapely.is_ccw(holes)), "holes clockwise"


def test_inside_iraq_and_syria(
    periods: gpd.GeoDataFrame, countries: dict[str, shapely.Geometry]
) -> None:
    both = shapely.union(countries["IRQ"], countries["SYR"])
    for row in periods.itertuples():
        # Tolerance: a few grid-rounding slivers along the border, far below 1 km².
        assert km2(shapely.difference(row.geometry, both)) < 0.5, row.id


def test_actor_never_overlaps_itself(periods: gpd.GeoDataFrame) -> None:
    geoms = periods.geometry.values
    for day in change_days(periods):
        idx = np.flatnonzero(((periods["start"] <= day) & (periods["end"] > day)).to_numpy())
        tree = shapely.STRtree(geoms[idx])
        left, right = tree.query(geoms[idx], predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i < j:
                shared = km2(shapely.intersection(geoms[idx[i]], geoms[idx[j]]))
                assert shared < 0.01, (day, periods.id.iloc[idx[i]], periods.id.iloc[idx[j]])


def test_every_month_has_ground_until_baghouz(periods: gpd.GeoDataFrame) -> None:
    for day in pd.date_range("2013-12-01", "2019-03-01", freq="MS").strftime("%Y-%m-%d"):
        assert len(active(periods, day)) > 0, day
    assert active(periods, LAST_DAY).empty
    assert active(periods, "2020-01-01").empty


# ------------------------------------------------------------------- calibration
def _figures() -> pd.DataFrame:
    return pd.read_csv(SOURCES / "area_figures.csv", dtype={"date": str})


def _day(date: str) -> str:
    return date if len(date) == 10 else f"{date}-15"


CALIBRATION_ROWS = [
    (r.date, r.scope, r.area_km2, r.publisher)
    for r in _figures().itertuples()
    if r.scope.startswith("held:") and not r.publisher.startswith("Syrian Observatory")
]


@pytest.mark.parametrize(("date", "scope", "published", "publisher"), CALIBRATION_ROWS)
def test_area_within_15_percent_of_published(
    periods: gpd.GeoDataFrame,
    countries: dict[str, shapely.Geometry],
    date: str,
    scope: str,
    published: float,
    publisher: str,
) -> None:
    held = shapely.union_all(active(periods, _day(date)).geometry.values)
    region = scope.split(":", 1)[1].split(" ", 1)[0]
    if region != "IRQ+SYR":
        held = shapely.intersection(held, countries[region])
    area = km2(held)
    if published == 0:
        assert area == 0
    else:
        assert abs(area / published - 1) <= 0.15, (date, scope, round(area), published)


def test_calibration_page_lists_every_figure() -> None:
    page = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    assert page.count("\n| ") - 1 == len(_figures())
    assert "FAIL" not in page


# ------------------------------------------------------------------------ ledger
@pytest.fixture(scope="module")
def timeline() -> controlmap.Timeline:
    return controlmap.load_dataset("islamic-state")


LEDGER_SAMPLE = [
    ("Mosul", 43.11889, 36.335, "2015-01-01", True),
    ("Mosul", 43.11889, 36.335, "2017-08-01", False),
    ("Raqqa", 39.00788, 35.95283, "2016-06-01", True),
    ("Raqqa", 39.00788, 35.95283, "2017-11-01", False),
    ("Kobani", 38.35347, 36.89095, "2015-06-01", False),
    ("Palmyra", 38.28402, 34.5624, "2015-06-01", True),
    ("Palmyra", 38.28402, 34.5624, "2016-06-01", False),
    ("Palmyra", 38.28402, 34.5624, "2017-01-01", True),
    ("Palmyra", 38.28402, 34.5624, "2017-06-01", False),
    ("Fallujah", 43.78599, 33.34913, "2014-03-01", True),
    ("Fallujah", 43.78599, 33.34913, "2016-07-01", False),
    ("Ramadi", 43.30778, 33.42056, "2015-06-01", True),
    ("Ramadi", 43.30778, 33.42056, "2016-02-01", False),
    ("Sinjar", 41.87656, 36.3209, "2014-07-01", False),
    ("Sinjar", 41.87656, 36.3209, "2015-01-01", True),
    ("Tikrit", 43.67861, 34.61581, "2014-12-01", True),
    ("Tikrit", 43.67861, 34.61581, "2015-05-01", False),
    ("Manbij", 37.95495, 36.52815, "2016-08-20", False),
    ("Hajin", 40.83138, 34.69508, "2018-12-01", True),
    ("Hajin", 40.83138, 34.69508, "2018-12-20", False),
    ("Baghouz", 40.95056, 34.45861, "2019-02-01", True),
    ("Baghouz", 40.95056, 34.45861, "2019-03-23", False),
    ("Baghouz", 40.95056, 34.45861, "2019-06-01", False),
    ("Baghdad", 44.401, 33.341, "2014-08-01", False),
]


@pytest.mark.parametrize(("place", "lon", "lat", "day", "held"), LEDGER_SAMPLE)
def test_ledger_sample_agrees_with_at(
    timeline: controlmap.Timeline, place: str, lon: float, lat: float, day: str, held: bool
) -> None:
    snapshot = timeline.at(day)
    ground = shapely.union_all(snapshot.geometry.values)
    assert shapely.Point(lon, lat).intersects(ground) is held, (place, day)


def test_every_turning_point_moves_the_map(periods: gpd.GeoDataFrame) -> None:
    events = pd.read_csv(SOURCES / "events.csv", dtype={"date": str})
    located = events[
        events["lat"].notna()
        & (
            events["from_actor"].str.contains("Islamic State")
            | events["to_actor"].str.contains("Islamic State")
        )
    ]
    for e in located.itertuples():
        day = _month_start(e.date)
        near = shapely.Point(e.lon, e.lat).buffer(0.1)  # ~10 km: town centre vs drawn zone
        changing = periods[(periods["start"] == day) | (periods["end"] == day)]
        assert changing.geometry.intersects(near).any(), (e.date, e.place)


def _month_start(date: str) -> str:
    return date if len(date) == 10 else f"{date}-01"


# -------------------------------------------------------------- reproducibility
def test_shipped_file_is_the_build_scripts_output(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_islamic_state", ROOT / "tools" / "build_islamic_state.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, page = tmp_path / "islamic_state.geojson", tmp_path / "calibration.md"
    module.build(out, page)
    assert out.read_bytes() == POLYGONS.read_bytes(), "re-run tools/build_islamic_state.py"
    assert page.read_bytes() == (ROOT / "docs" / "calibration.md").read_bytes()
