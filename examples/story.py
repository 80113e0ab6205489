"""The rise and fall of the Islamic State, told with controlmap.

Prints the figures of the story (peak, share of the peak held at the article's date,
people under control, area by country) and, with ``--markdown PATH``, writes them as
the page ``docs/story.md``. A test regenerates the page and compares, so the page
always shows what the bundled data says.

Run: ``python examples/story.py [OUT_FOLDER] [--markdown docs/story.md]`` (with a
folder, the page is written there as ``story.md``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import controlmap
from controlmap.io import atomic_output

#: What the published figures count as held: ground governed or fought over, not the
#: desert the group roamed (``support``), which is shown beside (docs/calibration.md).
HELD = ["control", "contested"]
ARTICLE_DATE = "2018-02-01"  # the Washington Post's "rise and fall" graphic, February 2018
KEY_DATES = [
    "2014-01-15",
    "2014-06-15",
    "2015-01-01",
    "2015-12-14",
    "2016-12-31",
    "2017-07-10",
    "2017-10-17",
    ARTICLE_DATE,
    "2019-02-01",
    "2019-03-23",
]


def km2(value: float) -> str:
    return f"{value:,.0f} km²"


def story() -> str:
    tl = controlmap.load_dataset("islamic-state")
    actor = "Islamic State"
    daily = tl.area(start="2013-12-01", end="2019-04-01", freq="D", status=HELD)[actor]
    roamed = tl.area(KEY_DATES, status="support")[actor]
    peak_day, peak = daily.idxmax(), daily.max()
    countries = controlmap.load_layer("countries")
    focus = countries[countries["iso_a3"].isin(["IRQ", "SYR"])]
    by_country = tl.area(KEY_DATES, by=focus, by_column="name", status=HELD)
    places = controlmap.load_layer("places")
    people = tl.population(places, KEY_DATES)[actor]
    article = daily.loc[ARTICLE_DATE]

    rows = []
    for day in pd.DatetimeIndex(KEY_DATES):
        split = by_country.loc[day]
        iraq = split.get((actor, "Iraq"), 0.0)
        syria = split.get((actor, "Syria"), 0.0)
        rows.append(
            f"| {day.day} {day:%b %Y} | {km2(daily.loc[day])} | {daily.loc[day] / peak:.1%} "
            f"| {km2(iraq)} | {km2(syria)} | {km2(roamed.loc[day])} | {people.loc[day]:,.0f} |"
        )
    yearly = daily[daily.index.is_year_start]  # 1 January of each year in the series
    return "\n".join(
        [
            "# The rise and fall, told with controlmap",
            "",
            "Every figure on this page is computed from the bundled timeline by",
            "`examples/story.py` (a test regenerates the page, so it cannot drift from the",
            "data). The timeline is a **reconstruction from public reporting**, calibrated to",
            "published totals (see [data.md](data.md) and [calibration.md](calibration.md));",
            "areas are geodesic km² on the WGS84 ellipsoid. **Held** is ground of status",
            "`control` or `contested` (what the published figures count); the desert the group",
            "roamed but did not govern (`support`) is shown apart.",
            "",
            "```python",
            "import controlmap",
            'tl = controlmap.load_dataset("islamic-state")',
            'held = ["control", "contested"]',
            'daily = tl.area(start="2013-12-01", end="2019-04-01", freq="D", status=held)',
            'daily = daily["Islamic State"]',
            "peak_day, peak = daily.idxmax(), daily.max()",
            "```",
            "",
            f"- **Peak**: {km2(peak)} on {peak_day.day} {peak_day:%B %Y}. IHS Conflict Monitor's"
            " published series starts in January 2015 and shrinks from there, while the"
            " group still took Ramadi and Palmyra in May 2015.",
            f"- **The article's date** ({pd.Timestamp(ARTICLE_DATE):%B %Y}): {km2(article)},"
            f" **{article / peak:.1%} of the peak**; {1 - article / peak:.1%} of it had been lost.",
            f"- **The end**: {km2(daily.loc['2019-03-22'])} on 22 March 2019 (Baghouz),"
            f" {km2(daily.loc['2019-03-23'])} from 23 March 2019.",
            f"- **Days at more than 90% of the peak**: {int((daily > 0.9 * peak).sum())}.",
            "",
            "## At the turning points",
            "",
            "Area by country uses the bundled Natural Earth outlines"
            " (`tl.area(dates, by=countries, status=held)`); people under control is the summed"
            " population of the bundled towns inside the ground of any status"
            " (`tl.population(places, dates)`), an estimate that counts only listed towns.",
            "",
            "| date | held | share of peak | in Iraq | in Syria | desert roamed (support)"
            " | people in held towns |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "## On the first day of each year",
            "",
            "| year | held |",
            "| --- | ---: |",
            *[f"| {day:%Y} | {km2(value)} |" for day, value in yearly.items()],
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="write story.md into this folder")
    parser.add_argument("--markdown", type=Path, help="write the page to this file")
    args = parser.parse_args()
    text = story()
    targets = [args.markdown] if args.markdown else []
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
        targets.append(args.folder / "story.md")
    for target in targets:
        with atomic_output(target) as temporary:
            temporary.write_text(text, encoding="utf-8")
    if not targets:
        print(text)


if __name__ == "__main__":
    main()
