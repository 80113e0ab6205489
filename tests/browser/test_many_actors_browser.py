"""The slider page and the one-date map of a 400-actor world, as a reader sees them.

The legend lists the largest actors holding ground on the date shown and one
"N others (X km²)" row, follows the slider, never lists an actor holding
nothing, keeps to at most half the map's height, and shows each actor in the
colour its ground is drawn in (and the figures use).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

import controlmap
from browser.offline import OfflinePage
from controlmap.render import Style, save, snapshot_map, timeline_map
from controlmap.render._style import DEFAULT_STYLE
from controlmap.testing.world import world_timeline

ROWS = """() => [...document.querySelectorAll(
    '.cm-legend-actors .cm-legend-row, .cm-legend > .cm-legend-row')]
  .filter(r => !r.classList.contains('cm-legend-status'))
  .map(r => ({name: r.querySelector('.cm-legend-name').textContent,
              area: r.querySelector('.cm-legend-area').textContent,
              actor: r.getAttribute('data-cm-actor'),
              colour: getComputedStyle(r.querySelector('.cm-swatch')).backgroundColor}))"""


@pytest.fixture(scope="module")
def world() -> controlmap.Timeline:
    return world_timeline(400)


@pytest.fixture(scope="module")
def pages(world: controlmap.Timeline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("world")
    return {
        "slider": save(timeline_map(world, date="1920-01-01"), folder / "slider.html"),
        "snapshot": save(snapshot_map(world, "1880-01-01"), folder / "snapshot.html"),
        "six": save(timeline_map(world, style=Style(legend_actors=6)), folder / "six.html"),
    }


def rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def expected(world: controlmap.Timeline, day: str, limit: int) -> tuple[list[str], int, int]:
    """Actors, "others" count and their km² as the page should list them on ``day``."""
    km2 = world.area([day]).iloc[0].round().astype(int)
    order = list(world.actors)
    held = sorted((a for a in order if km2[a] > 0), key=lambda a: (-km2[a], order.index(a)))
    if len(held) <= limit + 1:
        return held, 0, 0
    return held[:limit], len(held) - limit, int(sum(km2[a] for a in held[limit:]))


def km2_text(value: int) -> str:
    return f"{value:,} km²"


def check_legend(page: Page, world: controlmap.Timeline, day: str, limit: int) -> None:
    rows: list[dict[str, Any]] = page.evaluate(ROWS)
    listed, others, others_km2 = expected(world, day, limit)
    colours = DEFAULT_STYLE.colours(world)
    km2 = world.area([day]).iloc[0].round().astype(int)
    assert [r["actor"] for r in rows[: len(listed)]] == listed
    for row in rows[: len(listed)]:
        assert row["name"] == row["actor"]
        assert row["area"] == km2_text(int(km2[row["actor"]])) != "0 km²"
        assert row["colour"] == rgb(colours[row["actor"]])
    assert len(rows) == len(listed) + 1
    assert rows[-1]["name"] == f"{others} others" and others > 20
    # Their km² summed (from rounded or from exact figures: off by rounding at most).
    shown = int(rows[-1]["area"].removesuffix(" km²").replace(",", ""))
    assert abs(shown - others_km2) <= others / 2 + 1


def test_slider_legend_lists_the_largest_and_follows_the_date(
    browser: Browser, pages: dict[str, Path], world: controlmap.Timeline
) -> None:
    session = OfflinePage(browser, width=1280, height=800)
    page = session.open(pages["slider"])
    check_legend(page, world, "1920-01-01", 10)
    # One step on: the legend is that date's.
    page.locator(".cm-forward").click()
    assert page.locator(".cm-date").text_content() == "1 Jan 1938"
    check_legend(page, world, "1938-01-01", 10)
    # The ground of each listed actor is drawn in its legend colour.
    first = page.evaluate(ROWS)[0]
    strokes = page.eval_on_selector_all(
        ".leaflet-overlay-pane path[data-cm-id]",
        "els => els.map(e => [e.getAttribute('data-cm-id'), e.getAttribute('stroke')])",
    )
    ids = {str(k) for k, actor in enumerate(world.periods["actor"]) if actor == first["actor"]}
    assert {rgb(stroke) for k, stroke in strokes if k in ids} == {first["colour"]}
    session.check_clean()
    session.close()


def test_legend_size_is_the_styles(
    browser: Browser, pages: dict[str, Path], world: controlmap.Timeline
) -> None:
    session = OfflinePage(browser, width=1280, height=800)
    page = session.open(pages["six"])
    day = page.evaluate("window.controlmapMaps[0].date")
    check_legend(page, world, day, 6)
    session.close()


def test_snapshot_legend_lists_the_largest(
    browser: Browser, pages: dict[str, Path], world: controlmap.Timeline
) -> None:
    session = OfflinePage(browser, width=1280, height=800)
    page = session.open(pages["snapshot"])
    check_legend(page, world, "1880-01-01", 10)
    session.check_clean()
    session.close()


@pytest.mark.parametrize(("width", "height"), [(390, 760), (1280, 800), (800, 420)])
def test_legend_never_covers_most_of_the_map(
    browser: Browser, pages: dict[str, Path], width: int, height: int
) -> None:
    session = OfflinePage(browser, width=width, height=height)
    page = session.open(pages["slider"])
    legend = page.locator(".cm-legend").bounding_box()
    frame = page.locator(".cm-map").bounding_box()
    assert legend is not None and frame is not None
    assert legend["height"] <= 0.5 * frame["height"] + 1
    assert legend["width"] * legend["height"] <= 0.3 * frame["width"] * frame["height"]
    # A phone lists six actors at most (and the others' row).
    rows = page.evaluate(ROWS)
    assert len(rows) == (7 if width < 600 else 11) and rows[-1]["name"].endswith(" others")
    # Long names take two lines at most; the full name is the row's title.
    names = page.locator(".cm-legend-name")
    for k in range(names.count()):
        box = names.nth(k).bounding_box()
        assert box is not None and box["height"] <= 2 * 17
    session.close()


def test_names_in_other_scripts_are_drawn_by_the_browser(
    browser: Browser, pages: dict[str, Path], tmp_path: Path
) -> None:
    # The page names actors as the data does (no transliteration): the browser has
    # its own fonts. A name of CJK, Arabic and Devanagari letters is laid out with
    # real glyph widths (a missing glyph would be one box the width of every other).
    session = OfflinePage(browser, width=1280, height=800)
    page = session.open(pages["snapshot"])
    widths = page.evaluate(
        """() => ['大清帝國', 'الدولة', 'भारत', 'ኢትዮጵያ'].map(t => {
             const s = document.createElement('span'); s.textContent = t;
             s.style.fontSize = '20px';
             document.querySelector('.cm-legend').appendChild(s);
             const w = s.getBoundingClientRect().width; s.remove(); return w; })"""
    )
    assert all(w > 20 for w in widths)
    names = page.locator(".cm-legend-name").all_text_contents()
    assert "大清帝國" in names
    session.close()
