"""From data to the article's graphics: the slider page, the figures and the animation.

One :class:`~controlmap.render.Style` gives every output the newsroom's look (here
controlmap's default, with the paper's credit line and date format), so the page,
the print figures and the social video agree.

Run: ``python examples/article_graphics.py [OUT_FOLDER]`` (default ``article/``).
Writes ``timeline.html`` (open ``timeline.html#2017-07-10`` to link to a moment),
``area.png``, ``maps.png``, ``changes.png``, ``social.gif`` and ``video.mp4``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import controlmap
from controlmap.render import (
    Style,
    animate,
    area_chart,
    changes_figure,
    save,
    small_multiples,
    timeline_map,
)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    timeline = controlmap.load_dataset("islamic-state")
    attrs = getattr(timeline, "attrs", None) or {}
    # The house style: only what differs from controlmap's is given.
    data_credit = attrs.get("credit")
    house = Style(
        credit=f"{data_credit} Graphic: The Daily." if data_credit else "Graphic: The Daily.",
        date_format="%B %-d, %Y",
    )

    save(timeline_map(timeline, style=house), out / "timeline.html")
    save(area_chart(timeline, style=house), out / "area.png", dpi=150)
    dates = ["2014-01-15", "2014-06-15", "2015-05-20", "2016-06-01", "2017-07-10", "2018-12-01"]
    save(small_multiples(timeline, dates, style=house), out / "maps.png", dpi=150)
    save(
        changes_figure(timeline, "2015-01-01", "2018-02-01", style=house),
        out / "changes.png",
        dpi=150,
    )
    # A short loop for social media (the first year of the caliphate) and the whole
    # story as a 16:9 video.
    animate(timeline, out / "social.gif", start="2014-01-01", end="2015-06-01", style=house)
    animate(timeline, out / "video.mp4", size="video", style=house)
    for path in sorted(out.iterdir()):
        print(f"{path.name:15s} {path.stat().st_size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("article"))
