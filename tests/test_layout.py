"""The package's layout keeps its promises: the core loads without render, modules import
only public names of one another where the issue asks, the old paths still work."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import controlmap

PACKAGE = Path(controlmap.__file__).resolve().parent

CORE_RUN = """
import json, sys, tempfile, pathlib
import controlmap, controlmap.io, controlmap.datasets, controlmap.cli, controlmap.verify
import controlmap.repair, controlmap.testing
tl = controlmap.load_dataset("islamic-state")
tl.area(freq="YS"); tl.changes("2015-01-01", "2018-02-01")
folder = pathlib.Path(tempfile.mkdtemp())
tl.to_file(folder / "t.gpkg")
controlmap.cli.main(["info", "islamic-state"])
out = str(folder / "s.geojson")
controlmap.cli.main(["snapshot", "islamic-state", "--date", "2015-01-01", "-o", out])
controlmap.datasets.load_fighters()
render = {"folium", "matplotlib", "playwright", "tqdm", "branca"}
loaded = sorted({m.split(".")[0] for m in sys.modules} & render)
loaded += sorted(m for m in sys.modules if m.startswith("controlmap.render"))
print(json.dumps(loaded))
"""


def test_the_core_loads_nothing_of_render() -> None:
    """Reading, measuring, writing and the CLI's core commands, in a fresh interpreter."""
    run = subprocess.run(
        [sys.executable, "-c", CORE_RUN], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from X import name`` in a file, relative modules resolved."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(PACKAGE.parent).parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            out.extend((module, alias.name) for alias in node.names)
    return out


def test_datasets_use_only_public_names_of_the_model() -> None:
    for path in (PACKAGE / "datasets").glob("*.py"):
        private = [
            (m, n) for m, n in _imports(path) if m.startswith("controlmap.") and n.startswith("_")
        ]
        assert private == [], f"{path.name} imports private names {private}"


def test_datasets_and_the_old_fighters_module_do_not_import_each_other() -> None:
    for path in (PACKAGE / "datasets").glob("*.py"):
        assert all(m != "controlmap.fighters" for m, _ in _imports(path)), path.name


def test_io_is_split_by_job_and_old_imports_work() -> None:
    names = sorted(p.stem for p in (PACKAGE / "io").glob("*.py"))
    assert names == ["__init__", "geojson", "reading", "validation", "writing"]
    from controlmap._atomic import atomic_output
    from controlmap.io import atomic_output as old_atomic
    from controlmap.io import read, read_frame, validate, write_periods, write_snapshot

    assert old_atomic is atomic_output
    assert read is controlmap.read and validate is controlmap.validate
    assert callable(read_frame) and callable(write_periods) and callable(write_snapshot)


def test_py_typed_is_in_the_package() -> None:
    assert (PACKAGE / "py.typed").is_file()
