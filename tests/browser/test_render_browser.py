"""The interactive maps opened in a real headless Chromium, offline.

Each page is loaded from a file:// URL with every other request aborted, so a map
that needed a CDN would fail here. Screenshots go to $CONTROLMAP_SCREENSHOTS when
set (to look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from page_data import payload_of
from playwright.sync_api import Browser, Page
from shapely import box

import controlmap
from browser.offline import OfflinePage
from controlmap.render import Basemap, changes_map, save, snapshot_map, timeline_map
from controlmap.render._changes import change_layers
from controlmap.render._style import CHANGE_COLOURS

HOSTILE = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "\"'><svg onload=window.__pwned=1>",
]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("CONTROLMAP_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


FIND_VISIBLE_POINT = """(el) => {
  const r = el.getBoundingClientRect();
  for (let i = 1; i < 24; i++) {
    for (let j = 1; j < 24; j++) {
      const x = r.left + (r.width * i) / 24, y = r.top + (r.height * j) / 24;
      if (document.elementFromPoint(x, y) === el) { return [x, y]; }
    }
  }
  return null;
}"""


def pointer_on(page: Page, path: Any) -> tuple[float, float] | None:
    """A point of the page where ``path`` is the element under the pointer, if any."""
    point = path.evaluate(FIND_VISIBLE_POINT)
    return None if point is None else (point[0], point[1])


def hover_and_click(page: Page, path: Any) -> tuple[str, str]:
    """Hover then click a polygon as a reader would; returns the tooltip and popup text."""
    point = pointer_on(page, path)
    if point is None:  # wholly covered by another polygon: send the events to it directly
        path.dispatch_event("mouseover")
        tip = page.locator(".leaflet-tooltip-pane").text_content()
        path.dispatch_event("click")
    else:
        page.mouse.move(*point)
        tip = page.locator(".leaflet-tooltip-pane").text_content()
        page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-pane").text_content()
    page.keyboard.press("Escape")
    return tip, popup


def overlay_paths(page: Page) -> int:
    return page.locator(".leaflet-overlay-pane path").count()


def visible_ids(page: Page) -> list[int]:
    return sorted(
        page.eval_on_selector_all(
            ".leaflet-overlay-pane path[data-cm-id]",
            "els => els.map(e => parseInt(e.getAttribute('data-cm-id'), 10))",
        )
    )


def expected_ids(timeline: controlmap.Timeline, day: str) -> list[int]:
    """Periods active on ``day``, computed here from the periods table."""
    periods = timeline.periods
    d = pd.Timestamp(day)
    active = (periods["start"] <= d) & (periods["end"].isna() | (periods["end"] > d))
    return sorted(int(i) for i in periods.index[active])


def label_date(text: str) -> str:
    return f"{pd.Timestamp(pd.to_datetime(text, format='%d %b %Y')):%Y-%m-%d}"


# ---------------------------------------------------------------------------- bundled maps
@pytest.fixture(scope="module")
def pages(timeline: controlmap.Timeline, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("pages")
    return {
        "timeline": save(timeline_map(timeline, self_contained=True), folder / "timeline.html"),
        "snapshot": save(
            snapshot_map(timeline, "2017-07-10", self_contained=True), folder / "snapshot.html"
        ),
        "changes": save(
            changes_map(timeline, "2015-01-01", "2018-02-01", self_contained=True),
            folder / "changes.html",
        ),
    }


def test_timeline_slider_changes_what_is_drawn(
    browser: Browser, pages: dict, timeline: controlmap.Timeline, shots: Path
) -> None:
    session = OfflinePage(browser)
    page = session.open(pages["timeline"])
    assert overlay_paths(page) > 0
    first_label = page.locator(".cm-date").text_content()
    shown = label_date(first_label)
    # What is drawn is exactly the periods active on the date shown.
    assert visible_ids(page) == expected_ids(timeline, shown)
    area_at_open = page.locator(".cm-legend-area").first.text_content()
    page.screenshot(path=str(shots / "timeline_open.png"))

    # Drive the slider with the keyboard, as a reader would.
    page.locator("input.cm-range").focus()
    page.keyboard.press("End")
    last = f"{timeline.change_dates[-1]:%Y-%m-%d}"
    assert label_date(page.locator(".cm-date").text_content()) == last
    assert visible_ids(page) == expected_ids(timeline, last)

    # Feb 2018: the slider to the change in force then.
    dates = [f"{d:%Y-%m-%d}" for d in timeline.change_dates]
    feb = max(i for i, d in enumerate(dates) if d <= "2018-02-01")
    page.locator("input.cm-range").fill(str(feb))
    assert label_date(page.locator(".cm-date").text_content()) == dates[feb]
    assert visible_ids(page) == expected_ids(timeline, dates[feb])
    assert visible_ids(page) != expected_ids(timeline, shown)
    area_feb = page.locator(".cm-legend-area").first.text_content()
    assert area_feb != area_at_open
    km2 = float(area_feb.replace(",", "").split()[0])
    # The headline counts what the data set counts as held (control and contested).
    held = timeline.attrs["published_statuses"]
    expected_km2 = float(timeline.area([dates[feb]], status=held).iloc[0, 0])
    assert km2 == pytest.approx(expected_km2, abs=1)
    page.screenshot(path=str(shots / "timeline_feb2018.png"))

    # Step buttons move one change date.
    page.locator("button.cm-back").click()
    assert label_date(page.locator(".cm-date").text_content()) == dates[feb - 1]
    page.locator("button.cm-forward").click()
    page.locator("button.cm-forward").click()
    assert label_date(page.locator(".cm-date").text_content()) == dates[feb + 1]

    # Play advances by itself; pause stops it.
    page.locator("button.cm-play").click()
    page.wait_for_function(
        f"document.querySelector('input.cm-range').value > {feb + 2}", timeout=5000
    )
    page.locator("button.cm-play").click()
    stopped = page.locator("input.cm-range").input_value()
    page.wait_for_timeout(1000)
    assert page.locator("input.cm-range").input_value() == stopped
    session.check_clean()
    session.close()


def test_timeline_peak_shows_event_and_legend(
    browser: Browser, pages: dict, timeline: controlmap.Timeline
) -> None:
    session = OfflinePage(browser)
    page = session.open(pages["timeline"])
    dates = [f"{d:%Y-%m-%d}" for d in timeline.change_dates]
    page.locator("input.cm-range").fill(str(dates.index("2017-07-10")))
    assert page.locator(".cm-event").text_content() == "Mosul lost"
    legend = page.locator(".cm-legend").text_content()
    assert timeline.attrs["title"] in legend and timeline.attrs["credit"] in legend
    # Key cities are labelled; the base map is drawn in its own pane.
    labels = page.locator(".cm-label").all_text_contents()
    assert {"Mosul", "Raqqa", "Baghdad"} <= set(labels)
    assert page.locator(".leaflet-cmBase-pane path").count() > 10
    session.check_clean()
    session.close()


@pytest.mark.parametrize("kind", ["snapshot", "changes"])
def test_snapshot_and_changes_pages_draw(
    browser: Browser, pages: dict, timeline: controlmap.Timeline, shots: Path, kind: str
) -> None:
    session = OfflinePage(browser)
    page = session.open(pages[kind])
    count = overlay_paths(page)
    if kind == "snapshot":
        assert count == len(timeline.at("2017-07-10"))
        assert page.locator(".cm-date").text_content() == "10 Jul 2017"
        assert page.locator("input.cm-range").count() == 0
    else:
        # One drawn layer per actor, change and status: kept, gained and lost ground
        # split by status (the bundled data has control, contested and support).
        layers = change_layers(timeline, pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
        assert count == len(layers)
        assert {"kept", "gained", "lost"} <= set(layers["change"])
        assert set(layers["status"]) == {"control", "contested", "support"}
        assert page.locator(".cm-date").text_content() == "1 Jan 2015 → 1 Feb 2018"
        assert "ground lost" in page.locator(".cm-legend").text_content()
    # Hovering a polygon shows its tooltip with the area; clicking opens the popup.
    path = page.locator(".leaflet-overlay-pane path").first
    assert pointer_on(page, path) is not None
    tip, popup = hover_and_click(page, path)
    assert "km²" in tip and "km²" in popup
    page.screenshot(path=str(shots / f"{kind}.png"))
    session.check_clean()
    session.close()


# ---------------------------------------------------------------------------- hostile data
@pytest.fixture(scope="module")
def hostile_pages(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("hostile")
    rows = []
    for k, text in enumerate(HOSTILE):
        rows.append(
            {
                "actor": f"Group {text}",
                "start": f"201{k}-01-01",
                "end": "2018-01-01" if k else None,
                "source": f"Report {text}",
                "note": f"Note {text}",
                "confidence": text,
                "geometry": box(38 + 1.5 * k, 34, 39 + 1.5 * k, 35.5),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    path = folder / "hostile.geojson"
    frame.to_file(path, driver="GeoJSON")
    timeline = controlmap.read(path, name=f"Hostile {HOSTILE[0]}")
    timeline.events = pd.DataFrame(
        {
            "date": ["2011-01-01", "2012-01-01"],
            "place": [HOSTILE[1], HOSTILE[2]],
            "lat": [34.5, 35.0],
            "lon": [39.0, 41.0],
            "label": [HOSTILE[0], HOSTILE[1]],
            "turning_point": [True, True],
        }
    ).assign(date=lambda e: pd.to_datetime(e["date"]))
    return {
        "timeline": save(
            timeline_map(timeline, self_contained=True, date="2012-06-01"), folder / "t.html"
        ),
        "snapshot": save(
            snapshot_map(timeline, "2012-06-01", self_contained=True), folder / "s.html"
        ),
        "changes": save(
            changes_map(timeline, "2010-06-01", "2019-01-01", self_contained=True),
            folder / "c.html",
        ),
        "texts": HOSTILE,
    }


@pytest.mark.parametrize("kind", ["timeline", "snapshot", "changes"])
def test_hostile_text_never_runs(browser: Browser, hostile_pages: dict, kind: str) -> None:
    html_text = hostile_pages[kind].read_text(encoding="utf-8")
    # Raw markup from the data appears nowhere in the page source.
    for text in HOSTILE:
        assert text not in html_text
    session = OfflinePage(browser)
    page = session.open(hostile_pages[kind])
    if kind != "changes":
        # On the date shown (2012-06-01) three actors hold ground: three legend rows,
        # three colours (computed by the browser). The slider's legend lists only the
        # actors holding ground on the date shown, so this is read before moving on.
        swatches = page.eval_on_selector_all(
            ".cm-legend .cm-swatch", "els => els.map(e => getComputedStyle(e).backgroundColor)"
        )
        assert len(swatches) == 3 and len(set(swatches)) == 3
    if kind == "timeline":
        page.locator("input.cm-range").fill("1")
    paths = page.locator(".leaflet-overlay-pane path")
    assert paths.count() >= 1
    seen = []
    for i in range(paths.count()):
        seen.extend(hover_and_click(page, paths.nth(i)))
    if kind == "timeline":
        page.locator("button.cm-play").click()
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('[onerror],[onload]').length") == 0
    # The hostile strings are shown to the reader as text.
    shown = " ".join(seen) + page.locator(".cm-legend").text_content()
    assert any(text in shown for text in HOSTILE)
    title = page.title()
    assert title.startswith("Hostile") and "<script>" in title  # escaped into <title> as text
    session.check_clean()
    session.close()


def test_payload_survives_script_end_tag(hostile_pages: dict) -> None:
    # The map data parses back to the hostile strings: escaped, not mangled.
    html_text = hostile_pages["timeline"].read_text(encoding="utf-8")
    payload = payload_of(html_text)
    actors = {f["properties"]["actor"] for f in payload["features"]["features"]}
    assert actors == {f"Group {t}" for t in HOSTILE}


def test_changes_map_gain_is_on_top(browser: Browser, tmp_path: Path) -> None:
    # Actor A holds a square throughout (partly also "contested") and gains a square east.
    periods = gpd.GeoDataFrame(
        {
            "actor": ["A", "A", "A"],
            "start": ["2020-01-01", "2020-01-01", "2020-06-01"],
            "end": [None, None, None],
            "status": ["control", "contested", "control"],
        },
        geometry=[box(40, 33, 42, 35), box(40, 33, 41, 34), box(42, 33, 43, 34)],
        crs=4326,
    )
    tl = controlmap.Timeline(periods, name="growing")
    page_path = save(
        changes_map(tl, "2020-03-01", "2020-09-01", self_contained=True, basemap=Basemap.empty()),
        tmp_path / "growing.html",
    )
    session = OfflinePage(browser)
    page = session.open(page_path)
    legend = page.locator(".cm-legend-name").all_text_contents()
    # The timeline has two statuses: each layer names the status it is drawn in.
    assert legend == ["held on both dates (control)", "ground gained (control)"]
    colour = CHANGE_COLOURS["gained"]
    gained = page.locator(f'.leaflet-overlay-pane path[fill="{colour}"]')
    assert gained.count() == 1
    box_ = gained.bounding_box()
    assert box_ is not None
    x, y = box_["x"] + box_["width"] / 2, box_["y"] + box_["height"] / 2
    top = page.evaluate(
        "([x, y]) => document.elementsFromPoint(x, y)"
        ".filter(e => e.hasAttribute('data-cm-id'))[0].getAttribute('fill')",
        [x, y],
    )
    assert top == colour
    session.check_clean()
    session.close()


def test_events_between_change_dates_show_on_the_slider(browser: Browser, tmp_path: Path) -> None:
    periods = gpd.GeoDataFrame(
        {"actor": ["A", "A"], "start": ["2020-01-01", "2020-06-01"], "end": [None, None]},
        geometry=[box(40, 33, 41, 34), box(41, 33, 42, 34)],
        crs=4326,
    )
    tl = controlmap.Timeline(periods, name="events")
    tl.events = pd.DataFrame(
        {
            # Neither day is a change date; the first comes before any change.
            "date": pd.to_datetime(["2019-06-01", "2020-03-15", "2020-07-04"]),
            "label": ["too early", "spring offensive", pd.NA],
        }
    )
    page_path = save(
        timeline_map(tl, self_contained=True, basemap=Basemap.empty(), date="2020-06-01"),
        tmp_path / "events.html",
    )
    session = OfflinePage(browser)
    page = session.open(page_path)
    page.locator("input.cm-range").fill("0")  # 1 Jan 2020: the map in force on 15 March
    assert page.locator(".cm-event").text_content() == "spring offensive"
    # 1 Jun 2020: the event without a label adds nothing; the latest event stays shown
    # until the next one (issue 12).
    page.locator("input.cm-range").fill("1")
    assert page.locator(".cm-event").text_content() == "spring offensive"
    assert "too early" not in page_path.read_text(encoding="utf-8")
    session.check_clean()
    session.close()
