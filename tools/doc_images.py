"""Redraw the pictures of docs/maps.md (docs/img/) from the bundled data.

Runs examples/article_graphics.py into a temporary folder, then scales its figures to
the widths the page shows and screenshots the slider page in Debian's Chromium at a
phone's and a desktop's width (offline: every request but file:// is refused)::

    python tools/doc_images.py
"""

from __future__ import annotations

import runpy
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
#: Figure written by the example -> (picture in docs/img, width in pixels).
FIGURES = {
    "area.png": ("area_chart.png", 900),
    "changes.png": ("changes_figure.png", 700),
    "maps.png": ("small_multiples.png", 900),
}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    example = runpy.run_path(str(ROOT / "examples" / "article_graphics.py"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        example["main"](out)
        for name, (target, width) in FIGURES.items():
            image = Image.open(out / name).convert("RGB")
            height = round(image.height * width / image.width)
            small = image.resize((width, height), Image.LANCZOS)
            # 256 colours are plenty for flat fills and text, at a third of the size.
            small.quantize(256, dither=Image.Dither.NONE).save(IMG / target, optimize=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for target, width, height in (
                ("slider_phone.png", 390, 700),
                ("slider_desktop.png", 800, 509),
            ):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
                )
                page.goto((out / "timeline.html").as_uri() + "#2017-07-10")
                page.wait_for_function("window.controlmapMaps && window.controlmapMaps.length")
                page.wait_for_timeout(500)
                page.screenshot(path=str(IMG / target))
                page.close()
            browser.close()
    for path in sorted(IMG.iterdir()):
        print(f"{path.name:22s} {path.stat().st_size / 1e3:6.0f} KB")


if __name__ == "__main__":
    main()
