"""Where the fighters went: the foreign-fighter flows as a table, an HTML map and figures.

Run from anywhere: ``python examples/fighters_map.py [OUTPUT_FOLDER]`` (default: ./fighters).
Writes fighters.csv, fighters.html (works offline), fighters-world.png,
fighters-europe.svg and fighters-arcs.png, and prints the totals per basis group.
"""

from __future__ import annotations

import sys
from pathlib import Path

import controlmap
from controlmap.datasets.fighters import fighters_table, fighters_totals
from controlmap.render import fighters_figure, fighters_map, save


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fighters = controlmap.datasets.load_fighters()

    # The table for writers: countries by number returned, then one total row per basis.
    fighters_table(fighters, sort="returned").to_csv(folder / "fighters.csv", index=False)

    # Totals per basis group: figures of different bases are never added together.
    for row in fighters_totals(fighters).itertuples():
        print(
            f"{row.label}: {row.figure} {row.total:,} from {row.countries} countries "
            f"({row.approximate} approximate, {row.lower_bounds} lower bounds)"
        )

    # The same map three ways: interactive, the world for print, a region with the arcs.
    save(fighters_map(fighters), folder / "fighters.html")
    save(fighters_figure(fighters), folder / "fighters-world.png")
    save(fighters_figure(fighters, region="europe"), folder / "fighters-europe.svg")
    arcs = fighters_figure(fighters, region="europe-middle-east", arcs=True, date="2015-05-25")
    save(arcs, folder / "fighters-arcs.png")
    print(f"wrote {folder}/fighters.csv, .html, -world.png, -europe.svg, -arcs.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("fighters"))
