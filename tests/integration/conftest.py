"""Fixtures shared by the GIS client tests."""

from __future__ import annotations

import pytest
from time_checks import open_periods_timeline  # tests/integration is on the path

import controlmap


@pytest.fixture(scope="module")
def open_periods() -> controlmap.Timeline:
    """A small timeline with open periods, one-day periods and changes on shared days."""
    return open_periods_timeline()
