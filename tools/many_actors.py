"""Draw every map and figure of a 400-actor world-borders timeline, to look at them.

    .venv/bin/python tools/many_actors.py OUT_FOLDER [--actors 400] [--docs]

Writes the area chart, small multiples, a changes figure, one animation frame (PNG),
the slider page and the one-date map (HTML) and screenshots of both pages (headless
Chromium, when playwright and /usr/bin/chromium are there), and prints every warning
raised while drawing. The timeline is synthetic (controlmap.testing.world): nothing
is downloaded. ``--docs`` also redraws the two pictures of docs/maps.md ("Many
actors") in docs/img/.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from controlmap.render import (
    area_chart,
    changes_figure,
    changes_map,
    save,
    small_multiples,
    snapshot_map,
    timeline_map,
)
from controlmap.render._basemap import Basemap
from controlmap.render._style import DEFAULT_STYLE
from controlmap.render.figures.animation import _Animator
from controlmap.testing.world import WORLD_DATES, world_timeline


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 800) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.goto(page.resolve().as_uri())
        tab.wait_for_function("window.controlmapMaps && window.controlmapMaps.length > 0")
        tab.wait_for_timeout(300)
        tab.screenshot(path=str(png))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--actors", type=int, default=400)
    parser.add_argument("--docs", action="store_true", help="redraw docs/img/many_actors_*")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tl = world_timeline(args.actors)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save(area_chart(tl), out / "area_chart.png")
        save(small_multiples(tl, ["1880-01-01", "1920-01-01", "1945-01-01", "2010-01-01"]),
             out / "small_multiples.png")  # fmt: skip
        animator = _Animator(
            tl,
            tl.change_dates,
            (1080, 1080),
            style=DEFAULT_STYLE,
            basemap=Basemap.for_timeline(tl),
            title=None,
            credit=None,
            event_frames=0,
        )
        animator.show(3)
        animator.fig.savefig(out / "animation_frame.png", dpi=animator.fig.dpi)
        save(timeline_map(tl, date=WORLD_DATES[3]), out / "timeline_map.html")
        save(snapshot_map(tl, WORLD_DATES[0]), out / "snapshot_map.html")
        save(changes_figure(tl, WORLD_DATES[2], WORLD_DATES[4]), out / "changes_figure.png")
        save(changes_map(tl, WORLD_DATES[2], WORLD_DATES[4]), out / "changes_map.html")
    for w in caught:
        print(f"warning: {w.category.__name__}: {w.message}")
    print(f"{len(caught)} warnings")
    try:
        screenshot(out / "timeline_map.html", out / "timeline_map.png")
        screenshot(out / "snapshot_map.html", out / "snapshot_map.png")
        screenshot(out / "changes_map.html", out / "changes_map.png")
    except ImportError:
        print("no playwright: no screenshots")
        return
    if args.docs:
        from PIL import Image

        img = Path(__file__).resolve().parents[1] / "docs" / "img"
        for source, target in (
            ("timeline_map.png", "many_actors_slider.png"),
            ("area_chart.png", "many_actors_area_chart.png"),
        ):
            picture = Image.open(out / source).convert("RGB")
            picture = picture.resize((900, round(picture.height * 900 / picture.width)))
            picture.save(img / target, optimize=True)
            print(f"wrote docs/img/{target}")


if __name__ == "__main__":
    main()
