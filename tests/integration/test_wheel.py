"""The built wheel carries the data and py.typed: bundled data sets load from it alone."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.wheel]

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import pathlib
import controlmap, controlmap.datasets as d
assert str(d.data_dir()).startswith(r"{site}"), d.data_dir()
tl = controlmap.load_dataset("islamic-state")
assert tl.events is not None and len(tl.turning_points) > 5
assert len(tl.attrs["published"]) >= 3 and tl.attrs["dates"]
assert len(d.load_fighters()) == 48
for layer in ("countries", "provinces", "places", "rivers"):
    assert len(controlmap.load_layer(layer)) > 0
assert (pathlib.Path(controlmap.__file__).parent / "py.typed").is_file()
print(controlmap.__file__)
"""


def test_wheel_holds_the_data(tmp_path: Path) -> None:
    # No build isolation: hatchling comes from the test environment, nothing is downloaded.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("controlmap-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "controlmap/_data/polygons/islamic_state.geojson",
        "controlmap/_data/polygons/islamic_state_events.csv",
        "controlmap/_data/basemap/countries.geojson",
        "controlmap/_data/fighters/foreign_fighters.csv",
        "controlmap/_data/sources/area_figures.csv",
        "controlmap/py.typed",  # PEP 561: type checkers use controlmap's own hints
    ):
        assert expected in names, expected
    # The page script of the maps, wherever render keeps its assets.
    assert any(n.startswith("controlmap/render/") and n.endswith("/controlmap.js") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # The unpacked wheel comes first on sys.path, ahead of the checkout's editable install.
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(site=site)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(site))
