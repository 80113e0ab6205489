"""The slider page as a reader uses it, on a phone and a desktop (issue 12, item 2).

Measured in headless Chromium: label boxes, the time axis, the keyboard, the
latest event, short source lists, a date in the address and an iframe embed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect
from shapely import box

import controlmap
from browser.offline import OfflinePage
from controlmap.render import Style, save, timeline_map

LABEL_BOXES = """() => [...document.querySelectorAll(
    '.leaflet-tooltip.cm-label, .leaflet-tooltip.cm-country')]
  .filter(e => !e.classList.contains('cm-hidden'))
  .map(e => { const r = e.getBoundingClientRect();
              return {text: e.textContent, l: r.left, t: r.top, r: r.right, b: r.bottom}; })"""
PANEL_BOXES = """() => [...document.querySelectorAll('.cm-legend, .cm-panel')]
  .map(e => { const r = e.getBoundingClientRect();
              return {text: e.className, l: r.left, t: r.top, r: r.right, b: r.bottom}; })"""


def _meet(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def _overlaps(labels: list[dict[str, Any]], panels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = [
        (a["text"], b["text"]) for i, a in enumerate(labels) for b in labels[i + 1 :] if _meet(a, b)
    ]
    return found + [(a["text"], p["text"]) for a in labels for p in panels if _meet(a, p)]


def _date_of(text: str) -> str:
    return f"{pd.to_datetime(text, format='%d %b %Y'):%Y-%m-%d}"


@pytest.fixture(scope="module")
def page_file(timeline: controlmap.Timeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(timeline_map(timeline), tmp_path_factory.mktemp("slider") / "timeline.html")


@pytest.mark.parametrize(("width", "height"), [(390, 760), (1280, 800)])
def test_labels_do_not_overlap(browser: Browser, page_file: Path, width: int, height: int) -> None:
    session = OfflinePage(browser, width=width, height=height)
    page = session.open(page_file)
    for zoom_steps in (0, 1):
        if zoom_steps:
            page.evaluate(
                "(m => m.setZoom(m.getZoom() + 1, {animate: false}))(window.controlmapMaps[0].map)"
            )
        labels = page.evaluate(LABEL_BOXES)
        panels = page.evaluate(PANEL_BOXES)
        texts = {label["text"] for label in labels}
        assert _overlaps(labels, panels) == [], (width, zoom_steps)
        assert len(texts) >= (6 if width < 600 else 12), texts
        if not zoom_steps:  # the opening view: the labels that matter survive
            assert {"Iraq", "Syria", "Mosul", "Raqqa"} <= texts, texts
    session.check_clean()
    session.close()


#: Descendants of a panel drawn outside its box, by more than half a pixel, per side.
STICKING_OUT = """() => [...document.querySelectorAll('.cm-legend, .cm-panel')].flatMap(p => {
    const box = p.getBoundingClientRect();
    return [...p.querySelectorAll('*')].flatMap(e => {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return [];
        const out = {left: box.left - r.left, right: r.right - box.right,
                     top: box.top - r.top, bottom: r.bottom - box.bottom};
        return Object.entries(out).filter(([, by]) => by > 0.5)
            .map(([side, by]) => `${e.className || e.tagName} ${side} by ${by.toFixed(1)}px`);
    });
})"""


@pytest.mark.parametrize(("width", "height"), [(390, 760), (320, 640), (1280, 800)])
def test_controls_stay_inside_their_panels(
    browser: Browser, page_file: Path, width: int, height: int
) -> None:
    # At 390 px the slider (210 px) once stuck out of its panel (190 px at most).
    session = OfflinePage(browser, width=width, height=height)
    page = session.open(page_file)
    assert page.evaluate(STICKING_OUT) == []
    session.check_clean()
    session.close()


def test_time_axis(browser: Browser, page_file: Path, timeline: controlmap.Timeline) -> None:
    session = OfflinePage(browser, width=390, height=760)
    page = session.open(page_file)
    first, last = timeline.change_dates[0], timeline.change_dates[-1]
    assert _date_of(page.locator(".cm-start").text_content() or "") == f"{first:%Y-%m-%d}"
    assert _date_of(page.locator(".cm-end").text_content() or "") == f"{last:%Y-%m-%d}"
    years = page.locator(".cm-tick").count()
    assert years == last.year - first.year  # a tick at each new year after the first
    labels = page.evaluate(
        """() => [...document.querySelectorAll('.cm-tick-label')].map(e => {
             const r = e.getBoundingClientRect();
             return {text: e.textContent, l: r.left, t: r.top, r: r.right, b: r.bottom}; })"""
    )
    assert {label["text"] for label in labels} >= {"2014", "2017"}
    assert _overlaps(labels, []) == []
    # A year's tick sits where the slider shows that year's first change.
    dates = [f"{d:%Y-%m-%d}" for d in timeline.change_dates]
    k = next(i for i, d in enumerate(dates) if d >= "2017-01-01")
    page.locator("input.cm-range").fill(str(k))
    thumb_share = k / (len(dates) - 1)
    tick_share = page.evaluate(
        """() => { const t = [...document.querySelectorAll('.cm-tick-label')]
                     .find(e => e.textContent === '2017');
                   return parseFloat(t.style.left) / 100; }"""
    )
    assert tick_share == pytest.approx(thumb_share, abs=1e-6)
    session.close()


def test_keyboard_and_accessible_names(
    browser: Browser, page_file: Path, timeline: controlmap.Timeline
) -> None:
    session = OfflinePage(browser)
    page = session.open(page_file)
    dates = [f"{d:%Y-%m-%d}" for d in timeline.change_dates]
    slider = page.get_by_role("slider", name="date shown")
    play = page.get_by_role("button", name="play")
    assert play.count() == 1
    assert page.get_by_role("button", name="previous change").count() == 1
    assert page.get_by_role("button", name="next change").count() == 1
    slider.focus()
    before = int(slider.input_value())
    page.keyboard.press("ArrowRight")
    assert int(slider.input_value()) == before + 1
    assert _date_of(page.locator(".cm-date").text_content() or "") == dates[before + 1]
    assert slider.get_attribute("aria-valuetext") == page.locator(".cm-date").text_content()
    page.keyboard.press("ArrowLeft")
    assert int(slider.input_value()) == before
    # Space plays and pauses; the button's name says what it will do.
    page.keyboard.press(" ")
    page.wait_for_function(f"document.querySelector('input.cm-range').value > {before + 1}")
    assert page.locator("button.cm-play").get_attribute("aria-label") == "pause"
    page.keyboard.press(" ")
    assert page.locator("button.cm-play").get_attribute("aria-label") == "play"
    stopped = slider.input_value()
    page.wait_for_timeout(800)
    assert slider.input_value() == stopped
    # With nothing focused, the arrow keys step too.
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    assert int(slider.input_value()) == int(stopped) + 1
    session.check_clean()
    session.close()


def test_latest_event_stays_until_the_next(
    browser: Browser, page_file: Path, timeline: controlmap.Timeline
) -> None:
    session = OfflinePage(browser)
    page = session.open(page_file)
    stops = timeline.change_dates
    dates = [f"{d:%Y-%m-%d}" for d in stops]
    events = timeline.events
    assert events is not None
    # The slider stop each event falls on (the change in force on its day).
    on = {}
    for day, label in zip(events["date"], events["label"], strict=True):
        k = int(stops.searchsorted(pd.Timestamp(day), side="right")) - 1
        if k >= 0:
            on.setdefault(k, []).append(str(label))
    checked = 0
    for k in range(0, len(dates), 7):
        latest = max((j for j in on if j <= k), default=None)
        page.locator("input.cm-range").fill(str(k))
        shown = page.locator(".cm-event").text_content()
        assert shown == ("; ".join(on[latest]) if latest is not None else ""), dates[k]
        checked += latest is not None and latest != k
    assert checked > 5  # dates between events were among those checked
    session.close()


def test_date_in_the_address(browser: Browser, page_file: Path) -> None:
    session = OfflinePage(browser)
    page = session.page
    page.goto(page_file.resolve().as_uri() + "#2017-07-10")
    page.wait_for_function("window.controlmapMaps && window.controlmapMaps.length > 0")
    assert page.locator(".cm-date").text_content() == "10 Jul 2017"
    assert page.locator(".cm-event").text_content() == "Mosul lost"
    page.locator("button.cm-forward").click()
    shown = _date_of(page.locator(".cm-date").text_content() or "")
    assert page.evaluate("window.location.hash") == f"#{shown}"
    # A day between changes opens on the change in force then; a new hash moves the map.
    page.evaluate("window.location.hash = '#2015-05-20'")
    page.wait_for_function("document.querySelector('.cm-date').textContent.endsWith('2015')")
    assert _date_of(page.locator(".cm-date").text_content() or "") <= "2015-05-20"
    session.check_clean()
    session.close()


def test_inside_an_iframe(browser: Browser, page_file: Path) -> None:
    parent = page_file.parent / "article.html"
    parent.write_text(
        "<!doctype html><html><body style='margin:0'><p>Article text</p>"
        f"<iframe id='map' title='map' src='{page_file.name}#2016-03-01'"
        " style='width:100%;height:300px;border:0'></iframe>"
        "<script>window.addEventListener('message', function (e) {"
        " if (e.data && e.data.controlmap === 'height') {"
        "  document.getElementById('map').style.height = e.data.height + 'px';"
        "  window.told = e.data.height; } });</script></body></html>",
        encoding="utf-8",
    )
    for width in (390, 1280):
        session = OfflinePage(browser, width=width, height=900)
        page = session.page
        page.goto(parent.resolve().as_uri())
        page.wait_for_function("window.told > 0")
        height = page.evaluate("window.told")
        # Math.round in the page: halves round up.
        assert height == max(420, math.floor(width * (1.35 if width < 600 else 0.62) + 0.5))
        assert page.evaluate("document.getElementById('map').offsetHeight") == height
        frame = page.frame_locator("#map")
        assert frame.locator(".cm-date").text_content() == "26 Feb 2016"
        inner = page.frames[1]
        assert inner.evaluate("document.querySelector('.cm-map').offsetHeight") == height
        inner.evaluate("window.controlmapMaps[0].declutter()")
        assert _overlaps(inner.evaluate(LABEL_BOXES), inner.evaluate(PANEL_BOXES)) == []
        session.check_clean()
        session.close()


#: True once the open popup has kept its place on the screen for two frames.
POPUP_AT_REST = """() => new Promise(done => {
    const at = () => document.querySelector(".leaflet-popup").getBoundingClientRect();
    const before = at();
    requestAnimationFrame(() => requestAnimationFrame(() => {
        const after = at();
        done(before.x === after.x && before.y === after.y);
    }));
})"""


def test_popup_lists_few_sources(browser: Browser, tmp_path: Path) -> None:
    sources = [f"Report number {k} on the fighting, {'long words ' * 20}" for k in range(12)]
    periods = gpd.GeoDataFrame(
        {
            "actor": ["A"],
            "start": ["2020-01-01"],
            "end": ["2020-06-01"],
            "source": ["; ".join(sources)],
        },
        geometry=[box(40, 33, 42, 35)],
        crs="EPSG:4326",
    )
    out = save(timeline_map(controlmap.Timeline(periods)), tmp_path / "sources.html")
    session = OfflinePage(browser, width=390, height=700)
    page = session.open(out)
    page.locator(".leaflet-overlay-pane path[data-cm-id]").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-pane")
    items = popup.locator(".cm-source-list li")
    assert items.count() == 3
    assert all(len(items.nth(i).text_content() or "") <= 90 for i in range(3))
    assert popup.locator("summary").text_content() == "all 12 sources"
    full = popup.locator(".cm-source-full")
    assert not full.is_visible()
    assert popup.evaluate("e => e.getBoundingClientRect().height") < 330
    # Twice, in CI runs under load, the list did not open on a pointer click: the
    # popup was still panning the map to fit on the phone, so the pointer landed on
    # the polygon under it, whose click opens the popup afresh (list closed). The
    # click is dispatched to the summary itself, as the polygon's is above, once the
    # popup has come to rest: what is tested is that a click on the summary opens
    # the list inside a Leaflet popup (which stops clicks from reaching the map).
    page.wait_for_function(POPUP_AT_REST, polling="raf")
    popup.locator("summary").dispatch_event("click")
    expect(full).to_be_visible()
    assert (full.text_content() or "") == "; ".join(sources)
    session.check_clean()
    session.close()


def test_style_reaches_the_page(
    browser: Browser, timeline: controlmap.Timeline, tmp_path: Path
) -> None:
    house = Style(
        font_family="Georgia, serif",
        accent="#0000ff",
        date_format="%B %-d, %Y",
        credit="Graphic: The Daily",
        actor_colours=("#00aa00",),
    )
    out = save(timeline_map(timeline, date="2017-07-10", style=house), tmp_path / "house.html")
    session = OfflinePage(browser)
    page: Page = session.open(out)
    assert page.locator(".cm-date").text_content() == "July 10, 2017"
    assert page.locator(".cm-start").text_content() == "July 1, 2013"
    assert "Georgia" in page.evaluate(
        "getComputedStyle(document.querySelector('.cm-map')).fontFamily"
    )
    colour = page.evaluate("getComputedStyle(document.querySelector('.cm-event')).color")
    assert colour == "rgb(0, 0, 255)"
    assert "Graphic: The Daily" in (page.locator(".cm-credit").text_content() or "")
    strokes = page.eval_on_selector_all(
        ".leaflet-overlay-pane path[data-cm-id]", "els => els.map(e => e.getAttribute('stroke'))"
    )
    assert strokes and set(strokes) == {"#00aa00"}
    session.check_clean()
    session.close()
