"""Benchmark: a 65-month animation of the bundled data (Nov 2013 to Mar 2019).

Prints, for a GIF and an MP4 at 1080 x 1080 and an MP4 at 1920 x 1080, the file
size against its budget (issue 12: GIF at most 8 MB, MP4 at most 3 MB), the time
to write it, and the time per frame against a plain geopandas baseline run in this
process: for each month ``timeline.at(day).plot()`` on a fresh figure saved as a
PNG of the same size (what a user would write; no base map, no text).

Exits 1 when a file is over its budget.

Run: ``python benchmarks/bench_animation.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import controlmap
from controlmap.render import animate
from controlmap.render.figures.animation import animation_dates

BUDGET_MB = {".gif": 8.0, ".mp4": 3.0, ".webm": 3.0}


def baseline(timeline: controlmap.Timeline, folder: Path, frames: int) -> float:
    """Seconds per frame of a plain geopandas + matplotlib loop writing PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dates = animation_dates(timeline, start="2013-11-01", end="2019-03-01")[:frames]
    t = time.perf_counter()
    for k, day in enumerate(dates):
        fig, ax = plt.subplots(figsize=(10.8, 10.8), dpi=100)
        timeline.at(day).plot(ax=ax, color="#b2182b")
        ax.set_title(f"{day:%Y-%m-%d}")
        fig.savefig(folder / f"{k:03d}.png")
        plt.close(fig)
    return (time.perf_counter() - t) / len(dates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="keep the files in this folder")
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    timeline = controlmap.load_dataset("islamic-state")
    count = len(animation_dates(timeline, start="2013-11-01", end="2019-03-01"))
    per_frame_base = baseline(timeline, folder, 12)
    print(f"{count} monthly frames; baseline (geopandas plot + PNG): {per_frame_base:.2f} s/frame")
    over = False
    for name, size in (("social.gif", "social"), ("social.mp4", "social"), ("video.mp4", "video")):
        path = folder / name
        t = time.perf_counter()
        animate(timeline, path, start="2013-11-01", end="2019-03-01", size=size, progress=False)
        seconds = time.perf_counter() - t
        mb = path.stat().st_size / 1e6
        budget = BUDGET_MB[path.suffix]
        over |= mb > budget
        per_frame = seconds / count
        print(
            f"{name:11s} {size:6s} {mb:6.2f} MB (budget {budget:.0f} MB, "
            f"{'ok' if mb <= budget else 'OVER'}); {seconds:5.1f} s, {per_frame:.2f} s/frame, "
            f"{per_frame / per_frame_base:.2f}x the baseline's time per frame"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
