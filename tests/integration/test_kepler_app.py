"""kepler.gl's app, built offline and run in headless Chromium, draws the periods held.

``kepler/build.mjs`` bundles kepler.gl 3.3.0-alpha.11's app (its ``KeplerGl`` component,
reducers and layers, with React) from the pinned npm packages; no basemap, no token,
every request that is not a local file is refused. The test opens it in Debian's
Chromium (WebGL by SwiftShader), uploads an ``export --for kepler`` file through the
app's own "Add Data" dialog, makes the time filter on ``kepler_start`` with End time
``kepler_end`` with the actions the filter panel dispatches, and for every change date
and the days either side sets the window (the whole UTC day, and a one-day step) and
reads the screen: each period is a square of its own, and a square is drawn exactly
when its period is held that day.

Only a small timeline is drawn (its squares do not overlap); the bundled data is checked
on kepler.gl's filter code in ``test_kepler.py``. kepler.gl missing: fails in CI, skips
with the reason elsewhere (as ``test_kepler.py``).
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_kepler import (  # tests/integration is on the path, as for every test file there
    DAY_MS,
    INSTALL,
    KEPLER_DIR,
    SPANS,
    _kepler_missing,
    _ms,
)
from time_checks import active_positions, days_around_changes

import controlmap

pytestmark = [pytest.mark.integration, pytest.mark.kepler, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
# As tests/browser/ uses it, but with WebGL: kepler.gl draws with deck.gl, and Chromium
# without a GPU gives WebGL only through SwiftShader.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEW = {"latitude": 33.2, "longitude": 42.75, "zoom": 6.5}  # the squares well above the timeline


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kepler.gl's app bundled from the pinned packages; fail in CI if they are missing."""
    missing = _kepler_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"kepler.gl is required in CI: {missing}; install it with {INSTALL}")
        pytest.skip(f"kepler.gl is not installed ({missing}); install it with {INSTALL}")
    out = tmp_path_factory.mktemp("kepler-app")
    built = subprocess.run(
        ["node", "build.mjs", str(out)],
        cwd=KEPLER_DIR, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    return out / "index.html"


@pytest.fixture
def page(app: Path, playwright_driver: Any) -> Iterator[Page]:
    """The app open in Chromium, offline: what is not a local file is refused and noted."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    # The session's driver (tests/conftest.py): only one may run in a process at a time.
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    opened = browser.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
    )
    opened.goto(app.as_uri())
    opened.wait_for_function("() => document.querySelectorAll('canvas').length > 0")
    yield opened
    browser.close()
    assert not errors, errors


def _upload(page: Page, path: Path) -> None:
    """Add the file as a user does, in the "Add Data To Map" dialog's file input.

    kepler.gl opens that dialog by itself when it has no data; else its button does.
    """
    dialog = page.get_by_text("Add Data To Map")
    try:
        dialog.wait_for(timeout=5000)
    except PlaywrightTimeout:
        page.get_by_role("button", name="Add Data").click()
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.wait_for_function("() => Object.keys(window.kepler.state().visState.datasets).length")


def _drawn(
    page: Page, points: list[list[float]], window: list[int], colour: list[float]
) -> set[int]:
    """The squares (by their centre's pixel) drawn in the layer's colour for a window."""
    page.evaluate(
        "w => window.kepler.dispatch(window.kepler.actions.setFilter(0, 'value', w))", window
    )
    # deck.gl draws on the next animation frames.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(200)
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    drawn = set()
    for i, (x, y) in enumerate(points):
        pixel = shot.getpixel((round(x), round(y)))
        assert isinstance(pixel, tuple)
        # The layer's colour, more or less dimmed by its opacity over the black map.
        if all(0.7 * c <= p <= c + 3 for p, c in zip(pixel, colour, strict=True)):
            drawn.add(i)
        else:
            assert max(pixel) <= 12, (i, pixel, colour)  # nothing else but the black map
    return drawn


def test_the_app_draws_exactly_the_periods_held(
    page: Page, open_periods: controlmap.Timeline, tmp_path: Path
) -> None:
    path = open_periods.to_file(tmp_path / "open.geojson", kepler=True)
    _upload(page, path)
    made: dict[str, Any] = page.evaluate(
        """view => {
          const k = window.kepler, a = k.actions;
          const dataId = Object.keys(k.state().visState.datasets)[0];
          k.dispatch(a.toggleSidePanel(null));  // the map alone on the page
          k.dispatch(a.updateMap(view));
          k.dispatch(a.addFilter(dataId));
          k.dispatch(a.setFilter(0, 'name', 'kepler_start'));
          k.dispatch(a.setFilter(0, 'endName', 'kepler_end'));
          const {filters, layers} = k.state().visState;
          const layer = layers[0];
          return {version: k.version, type: filters[0].type, endName: filters[0].endName,
                  gpu: filters[0].gpu, layers: layers.map(l => l.type),
                  colour: layer.config.color, opacity: layer.config.visConfig.opacity};
        }""",
        VIEW,
    )
    assert made["version"] == "3.3.0-alpha.11" and made["layers"] == ["geojson"], made
    assert made["type"] == "timeRange" and made["endName"] == ["kepler_end"] and made["gpu"]
    page.wait_for_timeout(500)
    # Each period is a 0.5° square at longitude 40 + i: its centre on the screen.
    points: list[list[float]] = page.evaluate(
        """() => {
          const m = window.kepler.state().mapState;
          const view = new window.kepler.WebMercatorViewport({
            latitude: m.latitude, longitude: m.longitude, zoom: m.zoom,
            width: m.width, height: m.height
          });
          return [0, 1, 2, 3, 4, 5].map(i => view.project([40.25 + i, 34.25]));
        }"""
    )
    periods = open_periods.periods
    assert len(points) == len(periods)
    wrong = []
    days = days_around_changes(open_periods)
    for day in days:
        for span_name, span in SPANS.items():
            drawn = _drawn(page, points, [_ms(day), _ms(day) + span], made["colour"])
            if drawn != active_positions(periods, day):
                wrong.append((f"{day:%Y-%m-%d}", span_name, sorted(drawn)))
    assert not wrong, wrong
    # Before the first period nothing is drawn: the check can see an empty map.
    before = days[0] - pd.Timedelta(days=1)
    assert _drawn(page, points, [_ms(before), _ms(before) + DAY_MS], made["colour"]) == set()
