"""Animations: files read back by imageio (frames, size, that frames differ), errors."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio_v2
import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import controlmap
from controlmap.cli import main
from controlmap.errors import OutputError
from controlmap.render import Style, animate
from controlmap.render.figures.animation import _event_texts, animation_dates

SMALL = (240, 240)


def _video_frames(path: Path) -> np.ndarray:
    # imageio's own ffmpeg reader: it decodes the file, independently of the writer.
    return np.stack(imageio_v2.mimread(path, format="FFMPEG", memtest=False))


def test_gif_frames_size_and_change(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    out = animate(
        timeline, tmp_path / "a.gif", start="2014-01-01", end="2014-09-01", size=SMALL, hold=2
    )
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 9  # nine months
    assert frames.shape[1:3] == (240, 240)
    # Ground spread between January and September 2014: the map's pixels changed.
    assert np.abs(frames[0].astype(int) - frames[8].astype(int)).sum() > 0
    with Image.open(out) as gif:
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
        assert gif.info.get("loop") == 0
    # 4 frames a second; the last date held for two more frames.
    assert durations == [250] * 8 + [750]


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_video_frames_size_and_change(
    timeline: controlmap.Timeline, tmp_path: Path, suffix: str
) -> None:
    out = animate(
        timeline,
        tmp_path / f"a{suffix}",
        freq=None,
        start="2014-06-01",
        end="2014-07-15",
        size=(320, 180),
        hold=0,
    )
    changes = timeline.change_dates
    expected = int(((changes >= "2014-06-01") & (changes <= "2014-07-15")).sum())
    frames = _video_frames(out)
    assert frames.shape[0] == expected
    assert frames.shape[1:3] == (180, 320)
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 0.05


def test_social_and_video_sizes(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    dates = ["2015-05-20", "2015-06-01"]
    social = _video_frames(animate(timeline, tmp_path / "s.mp4", dates=dates, hold=0))
    video = _video_frames(animate(timeline, tmp_path / "v.mp4", dates=dates, size="video", hold=0))
    assert social.shape[1:3] == (1080, 1080)
    assert video.shape[1:3] == (1080, 1920)


def test_frames_per_change_date_and_frequency(timeline: controlmap.Timeline) -> None:
    monthly = animation_dates(timeline, start="2013-11-01", end="2019-03-01")
    assert len(monthly) == 65 and (monthly.day == 1).all()
    changes = animation_dates(timeline, freq=None)
    assert changes.equals(pd.DatetimeIndex(timeline.change_dates))


def test_event_shows_for_a_few_frames(timeline: controlmap.Timeline) -> None:
    dates = pd.date_range("2014-03-01", "2014-12-01", freq="MS")
    texts = _event_texts(timeline, dates, 3)
    mosul = [k for k, t in enumerate(texts) if "Mosul" in t]
    # The fall of Mosul (10 June 2014) shows from the 1 July frame for three frames.
    assert mosul == [4, 5, 6]
    assert _event_texts(timeline, dates, 0) == [""] * len(dates)


def test_style_reaches_the_frames(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    house = Style(actor_colours=("#00ff00",), credit="Graphic: The Daily")
    out = animate(
        timeline, tmp_path / "g.gif", dates=["2015-06-01"], size=SMALL, hold=0, style=house
    )
    frame = iio.imread(out, index=0)[..., :3].astype(int)
    green = (frame[..., 1] > 150) & (frame[..., 0] < 120) & (frame[..., 2] < 120)
    red = (frame[..., 0] > 150) & (frame[..., 1] < 60) & (frame[..., 2] < 80)
    assert green.sum() > 100 and red.sum() < green.sum() / 10


def test_bad_output_keeps_old_file(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"\.mp4, \.webm or \.gif"):
        animate(timeline, tmp_path / "a.avi")
    old = tmp_path / "old.gif"
    old.write_bytes(b"old")
    with pytest.raises(OutputError, match="3840"):
        animate(timeline, old, size=(100_000, 100))
    assert old.read_bytes() == b"old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_hostile_title_is_text(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    out = animate(
        timeline, tmp_path / "h.gif", dates=["2015-06-01"], size=SMALL, hold=0,
        title="$\\frac{1}{0}$ {{ 7*7 }} \x1b[2J",
    )  # fmt: skip
    assert iio.imread(out, index=None).shape[0] == 1


def test_cli_animate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.gif"
    code = main(
        ["animate", "islamic-state", "-o", str(out), "--from", "2014-01-01", "--to", "2014-03-01"]
    )
    assert code == 0
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (3, 1080, 1080)
    assert "wrote" in capsys.readouterr().err
    assert main(["animate", "islamic-state", "-o", str(tmp_path / "c.avi")]) == 2
    assert main(["animate", "islamic-state", "-o", str(out), "--freq", "nonsense"]) == 2
    assert "not a pandas frequency" in capsys.readouterr().err
