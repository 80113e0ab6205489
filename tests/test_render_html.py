"""The HTML of the interactive maps, read as text: assets, size, data written once."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from page_data import payload_of  # tests/ is on the path
from pyproj import Geod

import controlmap
from controlmap.errors import OutputError
from controlmap.render import Basemap, save, snapshot_map, timeline_map
from controlmap.render._assets import leaflet_css, leaflet_js, script_safe
from controlmap.render.maps._leaflet import DECIMALS, DIGITS, encoded_geometry, screen_geometry
from controlmap.render.maps._leaflet import text_value as _text

MAX_PAGE_BYTES = 2_000_000
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def pages(timeline: controlmap.Timeline, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("html")
    return {
        sc: save(timeline_map(timeline, self_contained=sc), folder / f"t{int(sc)}.html")
        for sc in (True, False)
    }


def external_urls(html_text: str) -> list[str]:
    scripts = re.findall(r"<script[^>]*\bsrc=[\"']?([^\"' >]+)", html_text, re.IGNORECASE)
    links = re.findall(r"<link[^>]*\bhref=[\"']?([^\"' >]+)", html_text, re.IGNORECASE)
    css = re.findall(r"url\((?![\"']?data:|#)([^)]+)\)", html_text)
    imports = re.findall(r"@import", html_text)
    return scripts + links + css + imports


def test_self_contained_page_loads_nothing(pages: dict) -> None:
    text = pages[True].read_text(encoding="utf-8")
    assert external_urls(text) == []
    assert "Leaflet 1.9.3" in text  # the inlined library's banner
    assert "data:image/png;base64," in text  # leaflet.css images inlined
    for unwanted in ("jquery", "bootstrap", "awesome-markers", "font-awesome", "fontawesome"):
        assert unwanted not in text.lower()


def test_linked_page_loads_only_leaflet(pages: dict) -> None:
    urls = external_urls(pages[False].read_text(encoding="utf-8"))
    assert sorted(urls) == sorted(
        [
            "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
            "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
        ]
    )


def test_pages_stay_small(pages: dict) -> None:
    for path in pages.values():
        assert path.stat().st_size < MAX_PAGE_BYTES, (path, path.stat().st_size)
    # Inlining adds Leaflet (~150 kB of script, ~15 kB of style plus images), no more:
    # the two pages differ by Leaflet's files less the two tags that linked them.
    extra = pages[True].stat().st_size - pages[False].stat().st_size
    inlined = len(leaflet_js().encode()) + len(leaflet_css().encode())
    assert abs(extra - inlined) < 500


def test_each_period_written_once(pages: dict, timeline: controlmap.Timeline) -> None:
    payload = payload_of(pages[True].read_text(encoding="utf-8"))
    ids = [f["properties"]["id"] for f in payload["features"]["features"]]
    assert sorted(ids) == list(range(len(timeline)))
    periods = timeline.periods
    for feature in payload["features"]["features"]:
        row = periods.iloc[feature["properties"]["id"]]
        assert feature["properties"]["start"] == f"{row.start:%Y-%m-%d}"
        assert feature["properties"]["end"] == (None if pd.isna(row.end) else f"{row.end:%Y-%m-%d}")
    assert payload["dates"] == [f"{d:%Y-%m-%d}" for d in timeline.change_dates]


def decode_geometry(text: str, grid: int) -> list[list[list[list[float]]]]:
    """The page's compact geometry read back, written here from its description."""
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    values, value, shift = [], 0, 0
    for char in text:
        digit = digits.index(char)
        value |= (digit & 31) << shift
        shift += 5
        if not digit & 32:
            values.append(value)
            value, shift = 0, 0
    assert shift == 0, "the text ends inside a number"
    numbers = iter(values)

    def signed() -> int:
        u = next(numbers)
        return -(u + 1) // 2 if u % 2 else u // 2

    x = y = 0
    polygons = []
    for _ in range(next(numbers)):
        rings = []
        for _ in range(next(numbers)):
            ring = []
            for _ in range(next(numbers)):
                x += signed()
                y += signed()
                ring.append([x / grid, y / grid])
            rings.append([*ring, ring[0]])
        polygons.append(rings)
    assert next(numbers, None) is None, "numbers left over"
    return polygons


def test_coordinates_rounded(pages: dict, timeline: controlmap.Timeline) -> None:
    # Each period's geometry is written as compact text; read back, it is the GeoJSON
    # rounded to DECIMALS places that screen_geometry makes.
    payload = payload_of(pages[True].read_text(encoding="utf-8"))
    assert payload["grid"] == 10**DECIMALS
    vertices = 0
    geojson_chars = text_chars = 0
    for feature in payload["features"]["features"]:
        text = feature["geometry"]
        assert isinstance(text, str)
        decoded = decode_geometry(text, payload["grid"])
        expected = screen_geometry(timeline.periods.geometry.iloc[feature["properties"]["id"]])
        assert expected is not None
        assert decoded == expected["coordinates"]
        vertices += sum(len(ring) for polygon in decoded for ring in polygon)
        geojson_chars += len(json.dumps(expected["coordinates"], separators=(",", ":")))
        text_chars += len(text)
    assert vertices > 100
    assert text_chars < geojson_chars / 3  # what the encoding is for


def test_embedded_areas_match_independent_union(pages: dict, timeline: controlmap.Timeline) -> None:
    """The area table in the page against shapely union + pyproj on the active periods.

    The headline km² are the ground held as the data set counts it (its
    ``published_statuses``: control and contested), not the desert it roamed.
    """
    payload = payload_of(pages[True].read_text(encoding="utf-8"))
    periods = timeline.periods
    counted = periods.status.isin(timeline.attrs["published_statuses"])
    for day in ("2015-01-26", "2017-07-10", "2017-10-17"):
        d = pd.Timestamp(day)
        on = (periods.start <= d) & (periods.end.isna() | (periods.end > d))
        active = periods[on & counted]
        union = shapely.make_valid(shapely.union_all(active.geometry.values))
        expected = abs(GEOD.geometry_area_perimeter(union)[0]) / 1e6
        row = payload["dates"].index(day)
        assert payload["areas"]["km2"][row][0] == pytest.approx(expected, rel=1e-3, abs=1)


def test_default_date_is_the_peak(pages: dict, timeline: controlmap.Timeline) -> None:
    payload = payload_of(pages[True].read_text(encoding="utf-8"))
    totals = [sum(r) for r in payload["areas"]["km2"]]
    assert payload["date"] == payload["dates"][int(np.argmax(totals))]


def test_title_and_places(pages: dict, timeline: controlmap.Timeline) -> None:
    text = pages[True].read_text(encoding="utf-8")
    # The title is the data set's own (attrs), not its key.
    assert f"<title>{html.escape(timeline.attrs['title'])}</title>" in text
    payload = payload_of(text)
    names = {p["name"] for p in payload["places"] if p["level"] == 0}
    assert {"Baghdad", "Mosul", "Raqqa"} <= names
    (south, west), (north, east) = payload["bounds"]
    assert west < 36.5 and east > 48 and south < 30 and north > 37  # Iraq and Syria in view


def test_works_without_base_map(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    page = save(
        snapshot_map(timeline, "2016-01-01", basemap=Basemap.empty()), tmp_path / "bare.html"
    )
    payload = payload_of(page.read_text(encoding="utf-8"))
    assert payload["base"] == {}
    # Without a places layer only the timeline's own event places are labelled.
    assert payload["places"] and all(p["event"] for p in payload["places"])
    assert "Baghdad" not in {p["name"] for p in payload["places"]}
    # One feature per status held that day (control, contested, support).
    assert len(payload["features"]["features"]) == len(timeline.at("2016-01-01")) == 3


def test_save_map_wants_html(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"\.html"):
        save(snapshot_map(timeline, "2016-01-01"), tmp_path / "map.png")
    assert list(tmp_path.iterdir()) == []


def test_tiles_are_optional(timeline: controlmap.Timeline) -> None:
    html_text = timeline_map(timeline, tiles="OpenStreetMap").get_root().render()
    assert "tile.openstreetmap.org" in html_text
    assert "tile.openstreetmap" not in timeline_map(timeline).get_root().render()


@given(st.text())
def test_script_safe_round_trips_and_cannot_close_a_script(text: str) -> None:
    encoded = script_safe(json.dumps({"t": text}, ensure_ascii=False))
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert json.loads(encoded)["t"] == text


@given(
    st.floats(-179, 170),
    st.floats(-80, 80),
    st.floats(0.001, 5),
    st.floats(0.001, 5),
)
def test_screen_geometry_is_rounded_and_close(x: float, y: float, w: float, h: float) -> None:
    geom = shapely.box(x, y, x + w, y + h)
    out = screen_geometry(geom)
    assert out is not None
    ring = np.array(out["coordinates"][0][0])
    assert np.allclose(ring, np.round(ring, DECIMALS), atol=1e-12)
    # A box wider than the rounding step keeps its five corners, each rounded.
    expected = np.round(shapely.get_coordinates(shapely.orient_polygons(geom).exterior), DECIMALS)
    assert np.array_equal(ring, expected)
    assert ring.min(axis=0)[0] == pytest.approx(x, abs=5e-5)
    assert ring.max(axis=0)[1] == pytest.approx(y + h, abs=5e-5)


def test_snapshot_legend_counts_overlapping_statuses_once(tmp_path: Path) -> None:
    # Ground both controlled and contested by A is A's once, as in Timeline.area.
    periods = gpd.GeoDataFrame(
        {
            "actor": ["A", "A"],
            "start": ["2020-01-01", "2020-01-01"],
            "end": [None, None],
            "status": ["control", "contested"],
        },
        geometry=[shapely.box(40, 33, 42, 35), shapely.box(40, 33, 41, 34)],
        crs=4326,
    )
    tl = controlmap.Timeline(periods, name="overlap")
    page = save(snapshot_map(tl, "2020-02-01", basemap=Basemap.empty()), tmp_path / "s.html")
    legend = payload_of(page.read_text(encoding="utf-8"))["legend"]
    geod = Geod(ellps="WGS84")
    union = abs(geod.geometry_area_perimeter(shapely.box(40, 33, 42, 35))[0]) / 1e6
    contested = abs(geod.geometry_area_perimeter(shapely.box(40, 33, 41, 34))[0]) / 1e6
    actors = [row for row in legend if row["key"].startswith("actor:")]
    assert [row["label"] for row in actors] == ["A"]
    assert actors[0]["area_km2"] == pytest.approx(union, rel=1e-3)
    # Then one row per status with its own km² (Timeline.area(status=...)).
    statuses = {row["label"]: row["area_km2"] for row in legend if row.get("kind") == "status"}
    assert statuses == {
        "control": pytest.approx(union, rel=1e-3),
        "contested": pytest.approx(contested, rel=1e-3),
    }


def test_missing_text_is_left_out_not_shown_as_na(tmp_path: Path) -> None:
    periods = gpd.GeoDataFrame(
        {
            "actor": ["A", "A"],
            "start": ["2020-01-01", "2020-06-01"],
            "end": ["2020-06-01", None],
            "source": pd.array(["Report", pd.NA], dtype="string"),
        },
        geometry=[shapely.box(40, 33, 41, 34), shapely.box(40, 33, 42, 34)],
        crs=4326,
    )
    tl = controlmap.Timeline(periods, name="missing")
    page = save(timeline_map(tl, basemap=Basemap.empty()), tmp_path / "t.html")
    features = payload_of(page.read_text(encoding="utf-8"))["features"]["features"]
    assert [f["properties"]["source"] for f in features] == ["Report", None]
    # Whatever missing marker a caller's frame carries, none is shown as text.
    for missing in (None, float("nan"), pd.NA, pd.NaT, np.nan, "  "):
        assert _text(missing) is None
    assert _text("Reuters") == "Reuters"


@given(
    st.lists(
        st.tuples(
            st.floats(-180, 179, allow_nan=False),
            st.floats(-85, 84, allow_nan=False),
            st.floats(1e-4, 1, allow_nan=False),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_encoded_geometry_reads_back_as_the_rounded_geojson(
    squares: list[tuple[float, float, float, bool]],
) -> None:
    # Anywhere on the globe (negative steps, 7-digit integers), with and without holes,
    # and squares small enough to collapse at the page's precision.
    polygons = []
    for x, y, side, holed in squares:
        outer = shapely.box(x, y, x + side, y + side)
        if holed:
            outer = outer.difference(
                shapely.box(x + side / 4, y + side / 4, x + side / 2, y + side / 2)
            )
        polygons.append(outer)
    geom = shapely.MultiPolygon(
        [p for g in polygons for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    )
    text = encoded_geometry(geom)
    expected = screen_geometry(geom)
    if expected is None:
        assert text is None
        return
    assert text is not None and set(text) <= set(DIGITS)
    assert decode_geometry(text, 10**DECIMALS) == expected["coordinates"]


def test_a_saved_page_is_the_page_rendered_whole(tmp_path: Path) -> None:
    # save() writes a page's data in pieces after the rest (render._page.Page), a
    # thousand features a piece: 2,345 periods make three pieces and a short one.
    boxes = [
        shapely.box(
            40 + (i % 50) * 0.1,
            34 + (i // 50) * 0.1,
            40.05 + (i % 50) * 0.1,
            34.05 + (i // 50) * 0.1,
        )
        for i in range(2345)
    ]
    periods = gpd.GeoDataFrame(
        {"actor": ["A", "B"] * 1172 + ["A"], "start": "2015-01-01", "source": "s"},
        geometry=boxes,
        crs=4326,
    )
    fmap = timeline_map(controlmap.Timeline(periods))
    written = save(fmap, tmp_path / "many.html").read_text(encoding="utf-8")
    assert written == fmap.get_root().render()
    features = payload_of(written)["features"]["features"]
    assert [f["properties"]["id"] for f in features] == list(range(2345))
    assert "controlmap-data-" not in written  # no token left where the data goes
