"""Statuses and a user's timeline in Chromium: each status drawn its own way, no foreign facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from test_render_layout import BESIEGED, km2, ukraine

import controlmap
from browser.offline import OfflinePage
from controlmap.render import changes_map, save, snapshot_map, timeline_map


def styles_by_status(page: Page) -> dict[str, list[dict[str, str | None]]]:
    """The drawn attributes of every shown control path, grouped by its status."""
    found = page.eval_on_selector_all(
        "path.cm-feature",
        """paths => paths.map(p => ({status: p.getAttribute('data-cm-status'),
            fill: p.getAttribute('fill'), fillOpacity: p.getAttribute('fill-opacity'),
            dash: p.getAttribute('stroke-dasharray')}))""",
    )
    grouped: dict[str, list[dict[str, str | None]]] = {}
    for row in found:
        grouped.setdefault(row.pop("status"), []).append(row)
    return grouped


def pattern_kind(page: Page, fill: str | None) -> str | None:
    """The kind of the SVG pattern a fill names (``url(#id)``), None for a colour."""
    if not fill or not fill.startswith("url(#"):
        return None
    return page.get_attribute(f"pattern#{fill[5:-1]}", "data-cm-kind")


def legend_rows(page: Page) -> dict[str, tuple[str, str]]:
    rows = {}
    for row in page.locator(".cm-legend-status").all():
        status = row.get_attribute("data-cm-status")
        fill = row.locator(".cm-swatch").get_attribute("data-cm-fill")
        rows[str(status)] = (str(fill), row.locator(".cm-legend-area").text_content() or "")
    return rows


def area_text(value: float) -> str:
    return f"{round(value):,} km²"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("statuses")
    tl = ukraine()
    return {
        "timeline": save(timeline_map(tl, date="2022-07-01"), folder / "t.html"),
        "snapshot": save(snapshot_map(tl, "2022-07-01"), folder / "s.html"),
        "changes": save(changes_map(tl, "2022-04-01", "2022-07-01"), folder / "c.html"),
    }


@pytest.mark.parametrize("kind", ["timeline", "snapshot"])
def test_each_status_is_drawn_its_own_way_and_explained(
    browser: Browser, made: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    tl = ukraine()
    session = OfflinePage(browser)
    page = session.open(made[kind])
    drawn = styles_by_status(page)
    assert set(drawn) == {"control", "contested", "support", "besieged"}
    control, contested = drawn["control"][0], drawn["contested"][0]
    support, besieged = drawn["support"][0], drawn["besieged"][0]
    assert control["fill"] == "#b2182b" and control["fillOpacity"] == "1"
    assert control["dash"] is None
    assert pattern_kind(page, contested["fill"]) == "hatch" and contested["dash"] == "4 3"
    assert support["fill"] == "#b2182b" and float(support["fillOpacity"] or 1) < 0.5
    assert pattern_kind(page, besieged["fill"]) == "cross" and besieged["dash"] == "6 2"
    # The legend has one row per status, swatch drawn the same way, with its km².
    rows = legend_rows(page)
    assert list(rows) == ["control", "contested", "support", "besieged"]
    assert [fill for fill, _ in rows.values()] == ["solid", "hatch", "light", "cross"]
    for status, (_, shown) in rows.items():
        expected = float(tl.area(["2022-07-01"], status=status).iloc[0, 0])
        assert shown == area_text(expected), status
    page.screenshot(path=str(tmp_path / f"{kind}.png"))
    session.check_clean()
    session.close()


def test_slider_updates_the_status_areas(browser: Browser, made: dict[str, Path]) -> None:
    tl = ukraine()
    session = OfflinePage(browser)
    page = session.open(made["timeline"])
    dates = [f"{d:%Y-%m-%d}" for d in tl.change_dates]
    page.locator("input.cm-range").fill(str(dates.index("2022-09-01")))
    rows = legend_rows(page)
    assert rows["contested"][1] == "0 km²"
    assert rows["besieged"][1] == area_text(km2(BESIEGED))
    assert "contested" not in styles_by_status(page)
    session.check_clean()
    session.close()


def test_changes_map_draws_the_status_of_each_layer(
    browser: Browser, made: dict[str, Path]
) -> None:
    session = OfflinePage(browser)
    page = session.open(made["changes"])
    drawn = styles_by_status(page)
    assert pattern_kind(page, drawn["besieged"][0]["fill"]) == "cross"
    names = page.locator(".cm-legend-name").all_text_contents()
    assert "ground gained (besieged)" in names
    session.check_clean()
    session.close()


def test_a_users_map_has_land_around_it_and_no_foreign_labels(
    browser: Browser, made: dict[str, Path], tmp_path: Path
) -> None:
    session = OfflinePage(browser)
    page = session.open(made["snapshot"])
    labels = page.locator(".cm-label").all_text_contents()
    assert labels == []
    text = page.locator("body").inner_text()
    for foreign in ("Mosul", "Baghdad", "Raqqa", "Iraq", "Syria", "reconstruction"):
        assert foreign not in text
    assert page.locator(".cm-credit").count() == 0
    # Land fills the view around the data: a pixel in each corner is land, not sea.
    assert page.locator(".leaflet-cmBase-pane path").count() >= 2
    shot = tmp_path / "land.png"
    page.screenshot(path=str(shot))
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    width, height = image.size
    sea = (0xD5, 0xE3, 0xEC)
    corners = [(5, height // 2), (width // 2, 5), (width // 2, height - 40)]
    assert all(image.getpixel(xy) != sea for xy in corners), [image.getpixel(xy) for xy in corners]
    session.check_clean()
    session.close()


def test_bundled_timeline_keeps_its_labels(browser: Browser, tmp_path: Path) -> None:
    timeline = controlmap.load_dataset("islamic-state")
    path = save(snapshot_map(timeline, "2016-01-01"), tmp_path / "is.html")
    session = OfflinePage(browser)
    page = session.open(path)
    assert {"Mosul", "Raqqa"} <= set(page.locator(".cm-label").all_text_contents())
    session.check_clean()
    session.close()


def test_contested_ground_is_drawn_over_governed_ground(
    browser: Browser, made: dict[str, Path]
) -> None:
    # From May the contested town is also governed: its hatching must stay on top,
    # after any step of the slider.
    tl = ukraine()
    session = OfflinePage(browser)
    page = session.open(made["timeline"])
    dates = [f"{d:%Y-%m-%d}" for d in tl.change_dates]
    for day in ("2022-05-01", "2022-03-01", "2022-06-01"):
        page.locator("input.cm-range").fill(str(dates.index(day)))
        order = page.eval_on_selector_all(
            "path.cm-feature", "paths => paths.map(p => p.getAttribute('data-cm-status'))"
        )
        if "contested" in order and "control" in order:
            assert order.index("contested") > max(
                i for i, s in enumerate(order) if s == "control"
            ), (day, order)
    session.check_clean()
    session.close()
