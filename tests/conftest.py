"""Fixtures shared by the test modules (the browser's are in ``browser/conftest.py``), and
the one hypothesis profile of the suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import controlmap

# Geometry work makes example times vary with the machine's load: no deadline. Loaded
# for every test and doctest; HYPOTHESIS_PROFILE=<name> picks another registered profile.
settings.register_profile("controlmap", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "controlmap"))


@pytest.fixture(scope="module")
def timeline() -> controlmap.Timeline:
    """The bundled Islamic State timeline, loaded once per test module."""
    return controlmap.load_dataset("islamic-state")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright's sync driver, started once: a second one in the same process fails
    ("Sync API inside the asyncio loop") while the first is running, so the browser
    tests and the kepler.gl app test launch their Chromiums from this one."""
    from playwright.sync_api import sync_playwright  # the render extra; imported on use

    with sync_playwright() as driver:
        yield driver
