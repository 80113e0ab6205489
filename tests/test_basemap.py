"""The bundled base-map layers: present, valid, RFC 7946, with the fields maps need."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import controlmap

ROOT = Path(__file__).resolve().parents[1]
BASEMAP = ROOT / "data" / "basemap"
LAYERS = ["countries", "provinces", "places", "rivers"]


@pytest.mark.parametrize("name", LAYERS)
def test_layer_file_is_rfc7946(name: str) -> None:
    raw = json.loads((BASEMAP / f"{name}.geojson").read_text(encoding="utf-8"))
    assert raw["type"] == "FeatureCollection"
    assert "crs" not in raw
    assert raw["features"]


@pytest.mark.parametrize("name", LAYERS)
def test_layer_loads_valid_in_wgs84(name: str) -> None:
    frame = controlmap.load_layer(name)
    assert frame.crs.to_epsg() == 4326
    assert shapely.is_valid(frame.geometry.values).all()
    polygons = shapely.get_parts(frame.geometry.values)
    polygons = polygons[shapely.get_type_id(polygons) == 3]
    assert shapely.is_ccw(shapely.get_exterior_ring(polygons)).all()


def test_countries_are_iraq_syria_and_neighbours() -> None:
    countries = gpd.read_file(BASEMAP / "countries.geojson")
    assert {"IRQ", "SYR", "TUR", "IRN", "JOR", "SAU", "LBN", "ISR", "KWT", "PSE"} == set(
        countries["iso_a3"]
    )
    assert set(countries.loc[countries.role == "focus", "iso_a3"]) == {"IRQ", "SYR"}
    assert {"name", "iso_a3", "role", "name_long", "pop_est"} <= set(countries.columns)


def test_provinces_of_iraq_and_syria() -> None:
    provinces = gpd.read_file(BASEMAP / "provinces.geojson")
    assert len(provinces) == 33
    assert {"name_en", "iso_3166_2_official", "adm0_a3", "country"} <= set(provinces.columns)
    names = set(provinces["name_en"])
    assert {"Al Anbar", "Nineveh", "Deir ez-Zor", "Al-Raqqah"} <= names


def test_places_name_the_towns_of_the_story() -> None:
    places = gpd.read_file(BASEMAP / "places.geojson")
    assert {"name", "country", "population", "source"} <= set(places.columns)
    assert places["source"].notna().all()
    names = set(places["name"])
    for town in ["Mosul", "Raqqa", "Fallujah", "Ramadi", "Hajīn", "Al-Baghuz Fawqani", "Dabiq"]:
        assert town in names, town
    assert set(places["country"]) == {"IRQ", "SYR"}


def test_rivers_include_euphrates_and_tigris() -> None:
    rivers = gpd.read_file(BASEMAP / "rivers.geojson")
    assert {"Euphrates", "Tigris"} <= set(rivers["name_common"].dropna())


def test_geonames_attribution_is_shipped() -> None:
    sources = (BASEMAP / "SOURCES.md").read_text(encoding="utf-8")
    assert "Contains data from GeoNames (www.geonames.org), CC BY 4.0" in sources
