"""What needs an optional extra says so: one line naming the extra, in the CLI and the library.

Run in the core-only venv (no render or dask extra), the subprocesses below meet the real
absence. Run in the full venv, they hide the extras' modules with an import blocker on
``sys.meta_path``, which is how Python's import system itself reports a missing module.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

EXTRA_MODULES = (
    "folium",
    "branca",
    "matplotlib",
    "xstatic",
    "tqdm",
    "imageio_ffmpeg",
    "PIL",
    "dask",
    "dask_geopandas",
    "distributed",
)
INSTALLED = [m for m in ("folium", "matplotlib", "dask") if importlib.util.find_spec(m)]

BLOCKER = f"""
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRA_MODULES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

if {bool(INSTALLED)!r}:  # the full venv: hide the extras; the core venv lacks them anyway
    sys.meta_path.insert(0, Blocker())
"""

CLI_DRIVER = """
import contextlib, io, json
from controlmap.cli import main

results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    results.append({"code": code, "stderr": err.getvalue()})
print(json.dumps(results))
"""


def _python(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + script, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_commands_that_need_the_render_extra_say_so(tmp_path: Path) -> None:
    argvs = {
        "map": ["map", "islamic-state", "-o", "m.html"],
        "map --date": ["map", "islamic-state", "--date", "2015-06-01", "-o", "m.html"],
        "figure": ["figure", "islamic-state", "-o", "f.png"],
        "figure --kind area": ["figure", "islamic-state", "--kind", "area", "-o", "f.svg"],
        "animate": ["animate", "islamic-state", "-o", "a.gif"],
        "report": ["report", "islamic-state", "-o", "report"],
        "fighters-map html": ["fighters-map", "-o", "f.html"],
        "fighters-map png": ["fighters-map", "-o", "f.png"],
    }
    run = _python(CLI_DRIVER, json.dumps(list(argvs.values())), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for (label, argv), result in zip(argvs.items(), json.loads(run.stdout), strict=True):
        assert result["code"] == 2, label
        (line,) = result["stderr"].splitlines()  # one line, no traceback
        assert line.startswith(f"controlmap: error: controlmap {argv[0]} needs the render extra ")
        assert line.endswith(" is not installed): pip install 'controlmap[render]'"), line
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a folder


def test_the_core_commands_run_without_the_extras(tmp_path: Path) -> None:
    argvs = [
        ["info", "islamic-state"],
        ["validate", "islamic-state", "--strict"],
        ["area", "islamic-state", "--dates", "2015-01-01", "-o", "a.csv"],
        ["export", "islamic-state", "-o", "p.gpkg"],
    ]
    run = _python(CLI_DRIVER, json.dumps(argvs), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert [r["code"] for r in json.loads(run.stdout)] == [0, 0, 0, 0]


LIBRARY = """
import json, pathlib, controlmap
from controlmap.render._progress import progress_bar

out = {}
for name in ("timeline_map", "snapshot_map", "area_chart", "small_multiples", "animate",
             "write_report", "fighters_map", "fighters_figure"):
    try:
        getattr(__import__("controlmap.render", fromlist=[name]), name)
        out[name] = None
    except controlmap.ControlMapError as exc:
        out[name] = [type(exc).__name__, isinstance(exc, ImportError), exc.extra, str(exc)]
tl = controlmap.load_dataset("islamic-state")
lazy = controlmap.read(tl.to_file(pathlib.Path(sys.argv[1]) / "parts", partition_by=["year"]))
try:
    lazy.area(["2015-06-01"])
except controlmap.MissingExtraError as exc:
    out["dask"] = str(exc)
sys.stderr.isatty = lambda: True  # a terminal: a bar is wanted, if tqdm is there
out["bar"] = list(progress_bar([1, 2]))
try:
    progress_bar([1, 2], enabled=True)
except controlmap.MissingExtraError as exc:
    out["bar asked"] = str(exc)
print(json.dumps(out))
"""


def test_the_library_raises_missing_extra_error(tmp_path: Path) -> None:
    run = _python(LIBRARY, str(tmp_path), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    install = "pip install 'controlmap[render]'"
    for name in ("timeline_map", "snapshot_map", "fighters_map"):
        assert out[name] == [
            "MissingExtraError",
            True,
            "render",
            f"controlmap.render.{name} needs the render extra (folium is not installed): "
            + install,
        ]
    for name in ("area_chart", "small_multiples", "animate", "write_report", "fighters_figure"):
        assert out[name][3].startswith(f"controlmap.render.{name} needs the render extra ("), name
    assert out["dask"] == (
        "controlmap's dask engine needs the dask extra (dask is not installed):"
        " pip install 'controlmap[dask]'"
    )
    assert out["bar"] == [1, 2]  # no bar without tqdm unless asked for
    assert out["bar asked"].endswith("(tqdm is not installed): " + install)


@pytest.mark.skipif(not INSTALLED, reason="the core-only venv: nothing to import")
def test_with_the_extras_installed_nothing_is_refused() -> None:
    import controlmap.render

    assert callable(controlmap.render.timeline_map) and callable(controlmap.render.area_chart)
