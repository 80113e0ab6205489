"""How much ground the Islamic State held, month by month, with the turning points.

Writes, into the output folder (default: ./out):

- ``area_curve.png`` and ``.svg``: km² held over time, annotated with the turning
  points (Mosul lost in July 2017, Raqqa in October 2017, ...) and, as points, the
  published IHS Conflict Monitor estimates for comparison;
- ``area_monthly.csv``: the km² held on the first day of every month.

Run: ``python examples/area_curve.py [OUTPUT_FOLDER]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import controlmap
from controlmap.render import area_chart, save


def main(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    timeline = controlmap.load_dataset("islamic-state")
    monthly = timeline.area(start="2014-01-01", end="2019-04-01", freq="MS")
    peak = monthly["Islamic State"].idxmax()
    print(f"peak (first of month): {monthly['Islamic State'].max():,.0f} km² on {peak:%B %Y}")
    table = folder / "area_monthly.csv"
    monthly.round(1).to_csv(table, date_format="%Y-%m-%d")
    figure = area_chart(timeline)
    written = [
        save(figure, folder / "area_curve.png"),
        save(figure, folder / "area_curve.svg"),
        table,
    ]
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
