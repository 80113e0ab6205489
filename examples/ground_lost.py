"""The ground the Islamic State lost between January 2015 and February 2018.

Writes, into the output folder (default: ./out):

- ``ground_lost.png``: one map of the ground lost (and gained) between the two
  dates, with what was held on both dates;
- ``ground_lost.html``: the same as an interactive, self-contained page;
- ``ground_lost.geojson``: the gained/lost polygons with their areas, for QGIS.

Run: ``python examples/ground_lost.py [OUTPUT_FOLDER]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import controlmap
from controlmap.io import write_snapshot
from controlmap.render import changes_figure, changes_map, save

START, END = "2015-01-01", "2018-02-01"


def main(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    timeline = controlmap.load_dataset("islamic-state")
    changes = timeline.changes(START, END)
    for row in changes.itertuples():
        print(f"{row.actor}: {row.change} {row.area_km2:,.0f} km² between {START} and {END}")
    written = [
        save(changes_figure(timeline, START, END), folder / "ground_lost.png"),
        save(changes_map(timeline, START, END, self_contained=True), folder / "ground_lost.html"),
        write_snapshot(changes, folder / "ground_lost.geojson"),
    ]
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
