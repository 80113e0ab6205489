"""Fixtures shared by the test modules (the browser's are in ``browser/conftest.py``)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import controlmap
import controlmap.cli
from controlmap.datasets import data_dir

ISLAMIC_STATE_TITLE = "Islamic State territory in Iraq and Syria, 2013–2019"


def islamic_state_attrs() -> dict[str, Any]:
    """The ``attrs`` of the bundled timeline as the registry gives them (ATTRS.md).

    Until ``Timeline.attrs`` lands (the datasets registry, issue 11 item 1), tests put
    them on the loaded timeline themselves; once ``load_dataset`` fills them this
    is not used (see :func:`_with_attrs`).
    """
    table = pd.read_csv(data_dir() / "sources" / "area_figures.csv")
    keep = (table["scope"] == "held:IRQ+SYR") & table["publisher"].str.contains("IHS")
    published = table.loc[keep, ["date", "area_km2", "publisher", "source_title"]].copy()
    published["date"] = pd.to_datetime(published["date"])
    return {
        "name": "islamic-state",
        "title": ISLAMIC_STATE_TITLE,
        "credit": "Data: controlmap reconstruction from public reporting (not IHS or ISW "
        "data). Borders: OpenStreetMap contributors (ODbL), Natural Earth. Places: "
        "GeoNames (CC BY 4.0).",
        "focus": ["IRQ", "SYR"],
        "basemap": "iraq-syria",
        "changes": ["2015-01-01", "2018-02-01"],
        "published": published.reset_index(drop=True),
        "published_statuses": ["control", "contested"],
    }


def _with_attrs(timeline: controlmap.Timeline) -> controlmap.Timeline:
    if timeline.name == "islamic-state" and not getattr(timeline, "attrs", None):
        timeline.attrs = islamic_state_attrs()  # type: ignore[attr-defined]
    return timeline


@pytest.fixture(autouse=True, scope="session")
def _bundled_attrs() -> Iterator[None]:
    """``load_dataset`` returns timelines with their registry ``attrs`` (see above)."""
    original = controlmap.load_dataset

    @functools.wraps(original)
    def load(*args: Any, **kwargs: Any) -> Any:
        loaded = original(*args, **kwargs)
        return _with_attrs(loaded) if isinstance(loaded, controlmap.Timeline) else loaded

    patch = pytest.MonkeyPatch()
    patch.setattr(controlmap, "load_dataset", load)
    patch.setattr(controlmap.datasets, "load_dataset", load)
    patch.setattr(controlmap.cli, "load_dataset", load)
    yield
    patch.undo()


@pytest.fixture(scope="module")
def timeline() -> controlmap.Timeline:
    """The bundled Islamic State timeline, loaded once per test module."""
    return _with_attrs(controlmap.load_dataset("islamic-state"))
