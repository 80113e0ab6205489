"""The change chart (issue 9, item 4): bars read back against areas, and its command."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import matplotlib.dates
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

import controlmap
from controlmap.cli import main
from controlmap.render import change_chart


def two_actors() -> controlmap.Timeline:
    """A takes ground from B over a month of daily maps; B holds a second block throughout."""
    maps = {}
    for d in range(30):
        x = 36.0 + 0.02 * d + (0.05 if d % 7 == 3 else 0.0)  # a push one day, lost again
        maps[pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)] = gpd.GeoDataFrame(
            {"actor": ["A", "B", "B"]},
            geometry=[
                shapely.box(35.0, 47.0, x, 48.0),
                shapely.box(x, 47.0, 38.0, 48.0),
                shapely.box(35.0, 49.0, 36.0, 50.0),
            ],
            crs=4326,
        )
    return controlmap.Timeline.from_snapshots(maps)


def bars(fig: object, kind: str, actor: str) -> list[float]:
    patches = [p for p in fig.axes[0].patches if p.get_gid() == f"{kind}:{actor}"]  # type: ignore[attr-defined]
    return [p.get_height() for p in sorted(patches, key=lambda p: p.get_x())]


def test_bars_are_the_ground_gained_and_lost_each_week() -> None:
    timeline = two_actors()
    fig = change_chart(timeline, "W")
    series = timeline.change_series("W")
    steps = series.loc[series.actor == "A", ["start", "end"]]
    # Independent of change_series: the net of each step is the change of the area held.
    held = timeline.area(pd.DatetimeIndex([*steps.start, steps.end.iloc[-1]]))
    for actor in ("A", "B"):
        gained, lost = bars(fig, "gained", actor), bars(fig, "lost", actor)
        assert len(gained) == len(lost) == len(steps) == 5
        net_line = next(line for line in fig.axes[0].lines if line.get_gid() == f"net:{actor}")
        net = np.asarray(net_line.get_ydata(), dtype=float)
        expected = np.diff(held[actor].to_numpy())
        assert np.allclose(np.array(gained) + np.array(lost), net, atol=1e-6)
        assert np.allclose(net, expected, atol=1.0)  # km²: the bound
        assert all(g >= 0 for g in gained) and all(v <= 0 for v in lost)
    # A's push on day 4 was lost again within the week: not a gain of that week.
    rows = series.loc[series.actor == "A"]
    assert bars(fig, "gained", "A") == pytest.approx(rows.gained_km2.tolist())
    assert bars(fig, "lost", "B") == pytest.approx((-rows.gained_km2).tolist(), rel=1e-6)
    # Each actor's bars lie within the dates their step compares.
    for patch in fig.axes[0].patches:
        if str(patch.get_gid()).startswith(("gained:", "lost:")):
            left = matplotlib.dates.num2date(patch.get_x()).replace(tzinfo=None)
            assert steps.start.min() <= left <= steps.end.max()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["A: gained", "A: lost", "B: gained", "B: lost", "A: net", "B: net"]
    assert fig.axes[0].get_ylabel() == "km² per week: gained (+), lost (\u2212)"
    # Tick labels sign their values as the label does: "+", and a true minus, not "-".
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert any(t.startswith("\u2212") for t in ticks) and not any("-" in t for t in ticks)


def test_command_writes_the_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "periods.gpkg"
    two_actors().to_file(source)
    out = tmp_path / "weekly.svg"
    argv = ["figure", str(source), "--kind", "changes", "--freq", "W", "-o", str(out)]
    assert main(argv) == 0
    text = " ".join(ET.parse(out).getroot().itertext())
    assert "ground gained and lost" in text and "km² per week" in text
    png = tmp_path / "monthly.png"
    quarterly = ["figure", "islamic-state", "--kind", "changes", "--freq", "QS", "-o", str(png)]
    assert main(quarterly) == 0
    assert Image.open(png).size[0] >= 9 * 150
    # --freq belongs to the change chart: elsewhere it is an error, and nothing is written.
    capsys.readouterr()
    bad = tmp_path / "area.png"
    assert main(["figure", "islamic-state", "--kind", "area", "--freq", "W", "-o", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--kind changes" in err and "Traceback" not in err
    assert not bad.exists()
