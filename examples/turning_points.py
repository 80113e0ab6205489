"""The Islamic State's territory at the turning points of the war, as an article shows it.

Writes, into the output folder (default: ./out):

- ``turning_points.png`` and ``.svg``: one map per turning point (Mosul falls,
  Ramadi, Mosul lost, Raqqa lost, ...) with a shared extent and legend;
- ``timeline_map.html``: the interactive map with a time slider, self-contained
  (works offline, can be pasted into a CMS).

Run: ``python examples/turning_points.py [OUTPUT_FOLDER]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import controlmap
from controlmap.render import save, small_multiples, timeline_map


def main(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    timeline = controlmap.load_dataset("islamic-state")
    print("turning points:", ", ".join(f"{d:%Y-%m-%d}" for d in timeline.turning_points))
    figure = small_multiples(timeline)  # dates default to timeline.turning_points
    written = [
        save(figure, folder / "turning_points.png", dpi=200),
        save(figure, folder / "turning_points.svg"),
        save(timeline_map(timeline, self_contained=True), folder / "timeline_map.html"),
    ]
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e3:,.0f} kB)")
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
