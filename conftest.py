"""Test selection for the whole repository (tests/ and the doctests in src/).

The core-only run (``CONTROLMAP_CORE_ONLY=1`` in a venv installed with the ``core-test``
extra, see ``tools/check.sh``) proves that the core imports nothing from render.
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
    "tests/browser",
    "tests/browser/*",
    "tests/integration/test_examples.py",
    "src/controlmap/render",
    "src/controlmap/render/*",
)
RENDER_MODULES = ("folium", "matplotlib", "playwright")
ROOT = Path(__file__).resolve().parent
CORE_ONLY = os.environ.get("CONTROLMAP_CORE_ONLY") == "1"


def _needs_render(path: Path) -> bool:
    """Whether a test file or module cannot even be imported without the render extra."""
    try:
        relative = PurePosixPath(path.resolve().relative_to(ROOT).as_posix())
    except ValueError:
        return False
    return any(relative.match(pattern) for pattern in RENDER_PATHS)


def pytest_configure(config: pytest.Config) -> None:
    """Check the core-only run is in a venv without the render extra; deselect render."""
    if not CORE_ONLY:
        return
    present = [name for name in RENDER_MODULES if importlib.util.find_spec(name)]
    if present:
        # Only a venv without the render extra proves the core never imports it.
        raise pytest.UsageError(f"CONTROLMAP_CORE_ONLY=1 but {present} are installed")
    config.option.markexpr = "not render"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """In the core-only run, do not import what needs the render extra."""
    return True if CORE_ONLY and _needs_render(collection_path) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of a render file ``render``."""
    for item in items:
        if _needs_render(Path(item.path)):
            item.add_marker(pytest.mark.render)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say, at the top of the run, what the core-only run leaves out."""
    if CORE_ONLY:
        return f"core-only run: render tests left out ({', '.join(RENDER_PATHS)}; -m 'not render')"
    return None
