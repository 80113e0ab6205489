"""The slider page of an archive of daily maps (issue 9, item 5), in headless Chromium.

A synthetic archive (a front redrawn every day with vertex jitter, as traced maps
are, moving in bulges; a second actor's enclave with a hole that grows) is
decomposed into pieces; its page is stepped across the days, and what is drawn on
each day is read back from the page and compared with that day's own map.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from playwright.sync_api import Browser, Page

import controlmap
from browser.offline import OfflinePage
from controlmap.render import Basemap, save, timeline_map
from controlmap.render._assets import controlmap_css, controlmap_js, leaflet_css, leaflet_js
from controlmap.render.maps._leaflet import DECIMALS, screen_geometry

DAYS = 24
FIRST = pd.Timestamp("2023-05-01")
#: Drawn coordinates are on a grid of 10^-DECIMALS degrees: each vertex moves at
#: most half a cell in x and in y.
SNAP = 0.5 * 10**-DECIMALS * np.sqrt(2)

DRAWN = """() => {
  const api = window.controlmapMaps[0];
  return api.layers.filter(l => api.map.hasLayer(l))
    .map(l => ({id: l.cmProps.id, actor: l.cmProps.actor, geometry: l.toGeoJSON().geometry}));
}"""


def daily_maps() -> dict[pd.Timestamp, gpd.GeoDataFrame]:
    """``DAYS`` maps: A's front of 600 vertices, jittered daily; B's enclave with a hole."""
    rng = np.random.default_rng(7)
    ys = np.linspace(47.0, 49.0, 600)
    drift = np.zeros_like(ys)
    maps = {}
    for d in range(DAYS):
        if d % 5 != 4:  # every fifth day repeats the day before (a day with no new map)
            centre = rng.uniform(47.0, 49.0)
            drift += rng.normal(0, 0.03) * np.exp(-(((ys - centre) / 0.15) ** 2))
            xs = 36.0 + 0.1 * np.sin(ys * 8) + drift + rng.normal(0, 3e-4, len(ys))
            front = shapely.Polygon([(34.0, 47.0), *zip(xs, ys, strict=True), (34.0, 49.0)])
            enclave = shapely.Point(35.0, 48.0).buffer(0.3 + 0.01 * d, 64)
            hole = shapely.Point(35.0, 48.0).buffer(0.05 + 0.005 * d, 32)
            held_b = enclave.difference(hole)
            held_a = front.difference(enclave)
        maps[FIRST + pd.Timedelta(days=d)] = gpd.GeoDataFrame(
            {"actor": ["A", "B"]}, geometry=[held_a, held_b], crs=4326
        )
    return maps


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, controlmap.Timeline, Path]:
    maps = daily_maps()
    timeline = controlmap.Timeline.from_snapshots(maps)
    page = save(
        timeline_map(timeline, basemap=Basemap.empty(), title="Synthetic front"),
        tmp_path_factory.mktemp("archive") / "archive.html",
    )
    return maps, timeline, page


def polygon(geometry: dict) -> shapely.Geometry:
    """A drawn GeoJSON polygon as shapely; rounding to the grid may make a sliver
    self-touching, which the browser fills all the same, so it is made valid."""
    return shapely.make_valid(shapely.geometry.shape(geometry))


def drawn(page: Page) -> dict[str, shapely.Geometry]:
    """The polygons the page draws now, per actor, as shapely geometries."""
    by_actor: dict[str, list[shapely.Geometry]] = {}
    for layer in page.evaluate(DRAWN):
        by_actor.setdefault(layer["actor"], []).append(polygon(layer["geometry"]))
    return {who: shapely.union_all(geoms) for who, geoms in by_actor.items()}


def test_each_day_drawn_is_that_days_map(browser: Browser, archive: tuple) -> None:
    maps, timeline, path = archive
    session = OfflinePage(browser)
    page = session.open(path)
    dates = [f"{d:%Y-%m-%d}" for d in timeline.change_dates]
    # Pieces are written once: far fewer than days × actors whole maps.
    assert len(timeline) < len(maps) * 2 * 8
    slider = page.locator("input.cm-range")
    slider.focus()
    page.keyboard.press("Home")
    checked = 0
    for day, own in maps.items():
        iso = f"{day:%Y-%m-%d}"
        index = max(i for i, d in enumerate(dates) if d <= iso)
        # Step as a reader does: the arrow key to the change in force on the day.
        while int(slider.input_value()) < index:
            page.keyboard.press("ArrowRight")
        assert int(slider.input_value()) == index
        if day.day % 3:  # every third day is compared (each comparison is slow)
            continue
        shown = drawn(page)
        assert set(shown) == {"A", "B"}
        for who, geom in zip(own["actor"], own.geometry.values, strict=True):
            # Drawn and own map differ only by the rounding of vertices to the grid.
            apart = shapely.symmetric_difference(shown[who], geom).area
            assert apart <= SNAP * geom.length, (iso, who, apart, SNAP * geom.length)
        checked += 1
    assert checked == len([day for day in maps if not day.day % 3])
    session.check_clean()
    session.close()


def test_slider_toggles_pieces_drawn_once(browser: Browser, archive: tuple) -> None:
    _maps, timeline, path = archive
    session = OfflinePage(browser)
    page = session.open(path)
    periods = timeline.periods
    dates = [f"{d:%Y-%m-%d}" for d in timeline.change_dates]
    # Pieces thinner than the page's grid are not written (they collapse when rounded).
    written = set(page.evaluate("window.controlmapMaps[0].layers.map(l => l.cmProps.id)"))
    for i in set(range(len(periods))) - written:
        geom = periods.geometry.iloc[i]
        assert geom.area <= SNAP * geom.length, (i, geom.area)
    assert len(written) > 0.8 * len(periods)
    for index in (0, len(dates) // 3, len(dates) - 1, 1):
        page.evaluate(f"window.controlmapMaps[0].showIndex({index})")
        ids = sorted(layer["id"] for layer in page.evaluate(DRAWN))
        day = pd.Timestamp(dates[index])
        active = (periods.start <= day) & (periods.end.isna() | (periods.end > day))
        assert ids == sorted(written & {int(i) for i in np.flatnonzero(active.to_numpy())})
        # The pieces drawn never overlap: the map is not painted twice anywhere.
        pieces = [polygon(layer["geometry"]) for layer in page.evaluate(DRAWN)]
        overlap = sum(g.area for g in pieces) - shapely.union_all(pieces).area
        assert overlap <= SNAP * sum(g.length for g in pieces)
    # The legend's km² on the date shown are the timeline's, not the drawn geometry's.
    km2 = float(page.locator(".cm-legend-area").first.text_content().replace(",", "").split()[0])
    assert km2 == pytest.approx(float(timeline.area([dates[1]])["A"].iloc[0]), abs=1)
    session.check_clean()
    session.close()


def test_archive_page_stays_small(archive: tuple) -> None:
    _maps, timeline, path = archive
    geoms = timeline.periods.geometry.values
    stored = int(shapely.get_num_coordinates(geoms).sum())
    assets = sum(
        len(text.encode())
        for text in (leaflet_js(), leaflet_css(), controlmap_js(), controlmap_css())
    )
    data = path.stat().st_size - assets
    # The pieces once, in at most 4 bytes a vertex stored, plus 20 kB for the page
    # around them; a third of the same pieces as GeoJSON rounded alike.
    assert data < 4 * stored + 20_000, (data, stored)
    geojson = sum(
        len(json.dumps(g, separators=(",", ":")))
        for geom in geoms
        if (g := screen_geometry(geom)) is not None
    )
    assert data < geojson / 3, (data, geojson)
