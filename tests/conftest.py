"""Fixtures shared by the test modules (the browser's are in ``browser/conftest.py``), and
the one hypothesis profile of the suite."""

from __future__ import annotations

import os

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
