"""The foreign-fighter map in headless Chromium, offline: drawn, sized, safe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import controlmap
from browser.offline import OfflinePage
from controlmap.datasets import load_fighters
from controlmap.render import fighters_map, save
from controlmap.render._fighters import REFERENCE_COUNTS

# Screenshots for a person to look at; kept in the test's tmp folder unless asked for.
SHOTS = os.environ.get("CONTROLMAP_SHOTS")


READY = "window.controlmapFighters && window.controlmapFighters.markers.length"


def _open(browser: Browser, path: Path) -> OfflinePage:
    opened = OfflinePage(browser, width=1400, height=850)
    opened.open(path, ready=READY)
    return opened


MARKERS_JS = """() => window.controlmapFighters.markers.map(m => {
    const box = m.marker._path.getBoundingClientRect();
    return {iso3: m.iso3, flow: m.flow, count: m.count, radius: m.marker.getRadius(),
            weight: m.weight, width: box.width, height: box.height,
            inDom: document.body.contains(m.marker._path)};
})"""

SCREEN_JS = """([iso3, flow]) => {
    const m = window.controlmapFighters.markers.find(x => x.iso3 === iso3 && x.flow === flow);
    const box = m.marker._path.getBoundingClientRect();
    const centre = [box.left + box.width / 2, box.top + box.height / 2];
    // A neighbour's circle may cover the centre: take a point where this one is on top.
    for (let i = 0; i <= 16; i++) {
        for (let j = 0; j <= 16; j++) {
            const x = centre[0] + (box.width * (i % 2 ? -i : i)) / 40;
            const y = centre[1] + (box.height * (j % 2 ? -j : j)) / 40;
            if (document.elementFromPoint(x, y) === m.marker._path) { return [x, y]; }
        }
    }
    return centre;
}"""


def _shot(opened: OfflinePage, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=str(folder / name))


@pytest.fixture(scope="module")
def fighters() -> Any:
    return controlmap.datasets.load_fighters()


def test_map_draws_every_circle_offline(browser: Browser, tmp_path: Path, fighters: Any) -> None:
    html = save(fighters_map(), tmp_path / "fighters.html")
    opened = _open(browser, html)
    markers = opened.page.evaluate(MARKERS_JS)
    expected = {
        (iso3, flow)
        for flow in ("departed", "returned")
        for iso3 in fighters.loc[fighters[flow].notna(), "iso3"]
    }
    assert {(m["iso3"], m["flow"]) for m in markers} == expected
    assert all(m["inDom"] for m in markers)

    # Drawn sizes: Leaflet draws whole-pixel radii (at least 1), so each circle's box
    # (geometry, without the stroke) is 2 * round(r); the radii themselves give a constant
    # area per person.
    for m in markers:
        drawn = max(round(m["radius"]), 1)
        assert m["width"] == pytest.approx(2 * drawn, abs=0.5), m
    counts = np.array([m["count"] for m in markers], float)
    radii = np.array([m["radius"] for m in markers])
    assert np.allclose(np.pi * radii**2 / counts, np.pi * radii[0] ** 2 / counts[0])
    # Circles of 1,500 people and more (radius 20 px and up): drawn area per person
    # agrees within what whole-pixel radii allow.
    big = [m for m in markers if m["count"] >= 1500]
    measured = np.array([m["width"] / 2 for m in big]) ** 2
    ratio = measured / np.array([m["count"] for m in big])
    assert len(big) >= 5 and ratio.max() / ratio.min() < 1.12

    # The legend's reference circles, as the browser lays them out.
    legend = opened.page.eval_on_selector_all(
        "circle.cm-ref", "els => els.map(e => [+e.dataset.count, e.r.baseVal.value])"
    )
    assert [c for c, _ in legend] == list(REFERENCE_COUNTS)
    per_person = [r * r / c for c, r in legend] + list(radii**2 / counts)
    assert np.allclose(per_person, per_person[0], rtol=1e-4)

    # Hover: the tooltip gives the figures and says "no figure" for a missing one.
    opened.page.mouse.move(*opened.page.evaluate(SCREEN_JS, ["UZB", "departed"]))
    tooltip = opened.page.wait_for_selector(".leaflet-tooltip").inner_text()
    assert "Uzbekistan" in tooltip and "about 1,500" in tooltip and "no figure" in tooltip
    opened.page.mouse.move(*opened.page.evaluate(SCREEN_JS, ["TUR", "returned"]))
    opened.page.wait_for_function(
        "document.querySelector('.leaflet-tooltip') &&"
        " document.querySelector('.leaflet-tooltip').innerText.includes('Turkey')"
    )
    _shot(opened, tmp_path, "fighters-world.png")
    assert opened.errors == []
    assert opened.blocked == []


def test_map_with_arcs_and_territory(browser: Browser, tmp_path: Path, fighters: Any) -> None:
    html = save(
        fighters_map(arcs=True, date="2015-05-25", region="europe-middle-east"),
        tmp_path / "arcs.html",
    )
    opened = _open(browser, html)
    territory = opened.page.eval_on_selector_all(
        "path.leaflet-interactive, path", "els => els.filter(e => e.getAttribute('fill') ="
        "== '#b2182b' && e.getAttribute('stroke') === '#b2182b').length"
    )  # fmt: skip
    assert territory >= 1
    lines = opened.page.eval_on_selector_all(
        "path", "els => els.filter(e => e.getAttribute('fill') === 'none').length"
    )
    assert lines >= int(fighters["departed"].notna().sum())
    _shot(opened, tmp_path, "fighters-arcs.png")
    assert opened.errors == [] and opened.blocked == []


HOSTILE = (
    "<script>window.__pwned = 1</script>"
    '<img src=x onerror="window.__pwned = 2">'
    "`${window.__pwned = 3}`</script><script>window.__pwned = 4</script>"
)


def test_hostile_text_runs_nothing(browser: Browser, tmp_path: Path, fighters: Any) -> None:
    # France's hostile text comes through the CSV reader, Turkey's straight into the frame.
    table = pd.read_csv(controlmap.dataset_path("foreign-fighters"), dtype=str)
    france = table["iso3"] == "FRA"
    table.loc[france, "country"] = "FRA" + HOSTILE
    table.loc[france, "source_title"] = "Source" + HOSTILE + " | Second" + HOSTILE
    table.loc[france, "source_url"] = "javascript:window.__pwned = 5 | https://example.org/?a=<b>"
    table.loc[france, "note"] = HOSTILE
    table.to_csv(tmp_path / "hostile.csv", index=False)
    frame = load_fighters(tmp_path / "hostile.csv")
    assert frame.set_index("iso3").loc["FRA", "country"] == "FRA" + HOSTILE
    turkey = frame["iso3"] == "TUR"
    frame.loc[turkey, "country"] = "TUR" + HOSTILE
    frame.loc[turkey, "departed_source"] = "Source" + HOSTILE
    frame.loc[turkey, "returned_source"] = "Source" + HOSTILE
    frame.loc[turkey, "departed_url"] = "javascript:window.__pwned = 6"
    frame.loc[turkey, "note"] = HOSTILE
    html = save(fighters_map(frame), tmp_path / "hostile.html")
    opened = _open(browser, html)
    page = opened.page
    scripts_before = page.evaluate("document.scripts.length")
    for iso3 in ("FRA", "TUR"):
        for flow in ("departed", "returned"):
            # Leave first: the two flows share a centre, and a pointer that does not move
            # fires no mouseover.
            page.mouse.move(1, 1)
            page.mouse.move(*page.evaluate(SCREEN_JS, [iso3, flow]))
            page.wait_for_function(
                "(iso3) => { const t = document.querySelector('.leaflet-tooltip');"
                " return t && t.innerText.startsWith(iso3); }",
                arg=iso3,
            )
            tip = page.inner_text(".leaflet-tooltip")
            assert "<script>window.__pwned = 1</script>" in tip  # shown as text
            popup = _click_for_popup(page, [iso3, flow])
            assert '<img src=x onerror="window.__pwned = 2">' in popup
            page.keyboard.press("Escape")
    # Every marker's tooltip and popup opened programmatically as well.
    page.evaluate(
        "() => window.controlmapFighters.markers.forEach(m => {"
        " m.marker.openTooltip(); m.marker.openPopup(); })"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.scripts.length") == scripts_before
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    _shot(opened, tmp_path, "fighters-hostile.png")
    assert opened.errors == [] and opened.blocked == []


def _click_for_popup(page: Any, marker: list[str]) -> str:
    """Click a marker with the mouse and return its popup's text.

    The position is read again before each try: a popup opened before may have panned
    the map (an animation), and a click computed mid-pan misses the marker. Three
    tries, then the last one's timeout fails the test.
    """
    for attempt in range(3):
        page.mouse.click(*page.evaluate(SCREEN_JS, marker))
        try:
            found = page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)  # let a pan settle
            continue
        return str(found.inner_text())
    raise AssertionError("unreachable")
