"""Every command and script in docs/gis.md runs as written, in an empty folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import controlmap

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "gis.md"


def _blocks() -> list[tuple[str, str]]:
    """The page's ```bash and ```python blocks, in order (others are sample output)."""
    return re.findall(r"```(bash|python)\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_every_snippet_of_the_gis_page_runs(tmp_path: Path) -> None:
    blocks = _blocks()
    assert [kind for kind, _ in blocks] == ["bash", "bash", "bash"]
    # The commands find `controlmap` in this interpreter's folder, as in an activated venv.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for kind, code in blocks:
        command = ["bash", "-euo", "pipefail", "-c", code] if kind == "bash" else [sys.executable]
        run = subprocess.run(
            command,
            input=code if kind == "python" else None,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, (code, run.stderr[-2000:])
        assert "ERROR" not in run.stderr and "Traceback" not in run.stderr, run.stderr[-2000:]
    made = {p.name for p in tmp_path.iterdir()}
    # What the page says is written: the periods with their QGIS style beside GeoJSON.
    assert {"is.geojson", "is.qml", "is.gpkg", "may2015.gpkg", "changes.geojson"} <= made
    assert {"is-kepler.geojson", "is.shp", "is.fgb"} <= made
    assert "changes.qml" not in made  # styles go with periods
    kepler = json.loads((tmp_path / "is-kepler.geojson").read_text(encoding="utf-8"))
    assert {"kepler_start", "kepler_end"} <= set(kepler["features"][0]["properties"])
    assert len(controlmap.read(tmp_path / "is.shp")) == len(
        controlmap.read(tmp_path / "is.gpkg", layer="periods")
    )
