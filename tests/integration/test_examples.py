"""Every script in examples/ runs as a reader would run it, and writes what it says.

The scripts start together (two cores) in separate processes, each with its own
output folder given on the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import controlmap
from controlmap.render._style import day_text

pytestmark = [pytest.mark.integration, pytest.mark.examples, pytest.mark.render]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    assert {p.stem for p in SCRIPTS} >= {"turning_points", "area_curve", "ground_lost"}
    started = {}
    for script in SCRIPTS:
        folder = tmp_path_factory.mktemp(script.stem)
        process = subprocess.Popen(
            [sys.executable, str(script), str(folder / "out")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=folder,
        )
        started[script.stem] = (process, folder / "out")
    results = {}
    for name, (process, out) in started.items():
        # A guard against a hung script, not a speed test (benchmarks/ measure speed).
        stdout, stderr = process.communicate(timeout=300)
        results[name] = {"code": process.returncode, "stdout": stdout, "stderr": stderr, "out": out}
    return results


@pytest.mark.parametrize("script", [p.stem for p in SCRIPTS])
def test_example_runs(runs: dict, script: str) -> None:
    result = runs[script]
    assert result["code"] == 0, result["stderr"]
    assert "Traceback" not in result["stderr"]
    written = [p for p in result["out"].iterdir() if p.is_file()]
    assert written, "the example wrote nothing"
    assert all(p.stat().st_size > 0 for p in written)


def test_turning_points_output(runs: dict) -> None:
    out = runs["turning_points"]["out"]
    timeline = controlmap.load_dataset("islamic-state")
    text = " ".join(ET.parse(out / "turning_points.svg").getroot().itertext())
    for day in timeline.turning_points:
        assert day_text(day) in text
    image = np.asarray(Image.open(out / "turning_points.png").convert("L"), dtype=float)
    assert image.shape[1] >= 2000 and image.std() > 20
    page = (out / "timeline_map.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and page.count('"type":"Feature"') >= len(timeline)


def test_area_curve_output(runs: dict) -> None:
    out = runs["area_curve"]["out"]
    table = pd.read_csv(out / "area_monthly.csv", parse_dates=["date"], index_col="date")
    timeline = controlmap.load_dataset("islamic-state")
    check = timeline.area(["2016-06-01", "2018-01-01"])["Islamic State"]
    assert table.loc["2016-06-01", "Islamic State"] == pytest.approx(check.iloc[0], abs=0.1)
    assert table.loc["2018-01-01", "Islamic State"] == pytest.approx(check.iloc[1], abs=0.1)
    text = " ".join(ET.parse(out / "area_curve.svg").getroot().itertext())
    assert "Mosul lost" in text and "Raqqa lost" in text
    assert "peak" in runs["area_curve"]["stdout"]


def test_ground_lost_output(runs: dict) -> None:
    out = runs["ground_lost"]["out"]
    document = json.loads((out / "ground_lost.geojson").read_text(encoding="utf-8"))
    changes = {f["properties"]["change"] for f in document["features"]}
    assert "lost" in changes
    lost = next(f for f in document["features"] if f["properties"]["change"] == "lost")
    timeline = controlmap.load_dataset("islamic-state")
    expected = timeline.changes("2015-01-01", "2018-02-01")
    expected_lost = float(expected.loc[expected.change == "lost", "area_km2"].iloc[0])
    assert lost["properties"]["area_km2"] == pytest.approx(expected_lost, rel=1e-6)
    assert f"lost {expected_lost:,.0f} km²" in runs["ground_lost"]["stdout"]
    assert Image.open(out / "ground_lost.png").size[0] >= 1000
    assert "<script src=" not in (out / "ground_lost.html").read_text(encoding="utf-8")
