"""Test selection for the whole repository (tests/ and the doctests in src/).

The core-only run (``CONTROLMAP_CORE_ONLY=1`` in a venv installed with the ``core-test``
extra, see ``tools/check.sh``) proves that the core imports nothing from render, nor
from the dask extra.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path, PurePosixPath

import pytest

# Test files and modules that need the render extra (folium, matplotlib, playwright) to
# be imported at all. They are marked ``render``; the core-only run (CONTROLMAP_CORE_ONLY=1
# in a venv without the render extra, see tools/check.sh) does not collect them and
# deselects every other ``render`` test with ``-m "not render"``.
RENDER_PATHS = (
    "tests/test_render_*.py",
    "tests/test_fighters_render.py",
    "tests/test_animation.py",
    "tests/test_figures_layout.py",
    "tests/test_many_actors.py",
    "tests/browser",
    "tests/browser/*",
    "tests/integration/test_examples.py",
    "tests/integration/test_kepler_app.py",
    "src/controlmap/render",
    "src/controlmap/render/*",
)
RENDER_MODULES = ("folium", "matplotlib", "playwright")
# What needs the dask extra (dask, dask-geopandas, distributed), marked ``dask``: the
# core-only venv has no dask, so these are left out of it (and run in the main run).
# controlmap.dask imports dask only when called, so its module imports without it; its
# doctests, PartitionedTimeline.to_dask's and tests/test_dask.py (which imports
# dask.dataframe at the top) cannot run without it.
DASK_PATHS = ("tests/test_dask.py", "src/controlmap/dask.py")
DASK_DOCTESTS = ("controlmap.partition.PartitionedTimeline.to_dask",)
ROOT = Path(__file__).resolve().parent
CORE_ONLY = os.environ.get("CONTROLMAP_CORE_ONLY") == "1"


def _matches(path: Path, patterns: tuple[str, ...]) -> bool:
    try:
        relative = PurePosixPath(path.resolve().relative_to(ROOT).as_posix())
    except ValueError:
        return False
    return any(relative.match(pattern) for pattern in patterns)


def _needs_render(path: Path) -> bool:
    """Whether a test file or module cannot even be imported without the render extra."""
    return _matches(path, RENDER_PATHS)


def _needs_dask(item: pytest.Item) -> bool:
    """Whether a test or doctest needs the dask extra to run."""
    return _matches(Path(item.path), DASK_PATHS) or item.name in DASK_DOCTESTS


def pytest_configure(config: pytest.Config) -> None:
    """Check the core-only run is in a venv without the render and dask extras; deselect them."""
    if not CORE_ONLY:
        return
    present = [name for name in (*RENDER_MODULES, "dask") if importlib.util.find_spec(name)]
    if present:
        # Only a venv without the extras proves the core never imports them.
        raise pytest.UsageError(f"CONTROLMAP_CORE_ONLY=1 but {present} are installed")
    config.option.markexpr = "not render and not dask"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """In the core-only run, do not import what needs the render extra (or dask's tests)."""
    if not CORE_ONLY:
        return None
    # controlmap/dask.py itself is collected: importing it without dask is part of the proof.
    needs_dask = _matches(collection_path, ("tests/test_dask.py",))
    return True if _needs_render(collection_path) or needs_dask else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of a render file ``render``, every test that needs dask ``dask``."""
    for item in items:
        if _needs_render(Path(item.path)):
            item.add_marker(pytest.mark.render)
        if _needs_dask(item):
            item.add_marker(pytest.mark.dask)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say, at the top of the run, what the core-only run leaves out."""
    if CORE_ONLY:
        left_out = ", ".join(RENDER_PATHS + DASK_PATHS + DASK_DOCTESTS)
        marks = "-m 'not render and not dask'"
        return f"core-only run: render and dask tests left out ({left_out}; {marks})"
    return None
