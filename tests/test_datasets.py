"""The datasets package: the registry's facts reach Timeline.attrs; old names warn."""

from __future__ import annotations

import ast
import csv
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import controlmap
from controlmap.datasets import REGISTRY, data_dir, dataset_attrs, published_figures

ATTRS_KEYS = {
    "name",
    "title",
    "credit",
    "focus",
    "basemap",
    "dates",
    "changes",
    "published",
    "published_statuses",
}


def test_load_dataset_attaches_the_registry_facts() -> None:
    tl = controlmap.load_dataset("islamic-state")
    assert set(tl.attrs) == ATTRS_KEYS
    assert tl.attrs["name"] == "islamic-state"
    assert tl.attrs["title"] == "Islamic State territory in Iraq and Syria, 2013–2019"
    assert tl.attrs["credit"].startswith("Data: controlmap reconstruction from public reporting")
    assert tl.attrs["focus"] == ["IRQ", "SYR"]
    assert tl.attrs["basemap"] == "iraq-syria"
    assert tl.attrs["changes"] == ["2015-01-01", "2018-02-01"]
    assert tl.attrs["published_statuses"] == ["control", "contested"]
    # The dates are the turning points the events file marks, read here by the csv module.
    with open(data_dir() / "polygons" / "islamic_state_events.csv", newline="") as handle:
        marked = sorted(
            {row["date"] for row in csv.DictReader(handle) if row["turning_point"] == "True"}
        )
    assert tl.attrs["dates"] == marked and len(marked) > 5


def test_published_figures_are_the_ihs_rows_of_the_sources_table() -> None:
    figures = controlmap.load_dataset("islamic-state").attrs["published"]
    assert list(figures.columns) == ["date", "area_km2", "publisher", "source_title"]
    assert figures["date"].is_monotonic_increasing
    with open(data_dir() / "sources" / "area_figures.csv", newline="") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["scope"] == "held:IRQ+SYR" and "IHS" in r["publisher"]
        ]
    assert len(figures) == len(rows) >= 3
    expected = sorted((pd.Timestamp(r["date"]), float(r["area_km2"])) for r in rows)
    assert [(d, float(a)) for d, a in zip(figures["date"], figures["area_km2"], strict=True)] == (
        expected
    )
    # Comparable with the area of the counted statuses: the same order of magnitude.
    tl = controlmap.load_dataset("islamic-state")
    first = figures.iloc[0]
    ours = tl.area([first["date"]], status=tl.attrs["published_statuses"]).iloc[0].sum()
    assert 0.5 < ours / first["area_km2"] < 2


def test_a_users_timeline_has_empty_attrs(tmp_path: Path) -> None:
    periods = gpd.GeoDataFrame(
        {"actor": ["A"], "start": ["2015-01-01"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326
    )
    assert controlmap.Timeline(periods).attrs == {}
    path = tmp_path / "mine.geojson"
    controlmap.Timeline(periods).to_file(path)
    assert controlmap.read(path).attrs == {}
    assert controlmap.Timeline(periods, attrs={"title": "Mine"}).attrs == {"title": "Mine"}


def test_copy_deep_copies_attrs() -> None:
    tl = controlmap.load_dataset("islamic-state")
    other = tl.copy()
    other.attrs["focus"].append("TUR")
    other.attrs["published"].loc[0, "area_km2"] = -1
    assert tl.attrs["focus"] == ["IRQ", "SYR"]
    assert tl.attrs["published"].loc[0, "area_km2"] > 0
    assert len(other) == len(tl) and other.events is tl.events


def test_events_are_checked_when_set() -> None:
    tl = controlmap.load_dataset("islamic-state")
    with pytest.raises(controlmap.DataError, match="missing column"):
        tl.events = pd.DataFrame({"date": ["2015-01-01"]})
    with pytest.raises(controlmap.DateError):
        tl.events = pd.DataFrame({"date": ["not a date"], "label": ["x"]})


def test_every_registered_file_exists() -> None:
    for entry in REGISTRY.values():
        for name in [entry.file, entry.events, *entry.extra.values()]:
            if name is not None:
                assert (data_dir() / name).is_file(), name
        if entry.published is not None:
            assert published_figures(entry.name) is not None
    assert dataset_attrs("foreign-fighters")["title"].startswith("Foreign fighters")


def test_fighters_have_their_own_loader_and_attrs() -> None:
    fighters = controlmap.datasets.load_fighters()
    assert len(fighters) == 48
    assert fighters.attrs["credit"] == REGISTRY["foreign-fighters"].credit
    assert controlmap.load_fighters is controlmap.datasets.load_fighters


def test_old_names_warn_for_one_release() -> None:
    with pytest.warns(controlmap.ControlMapDeprecationWarning, match="load_fighters"):
        old = controlmap.load_dataset("foreign-fighters")
    assert isinstance(old, gpd.GeoDataFrame) and len(old) == 48
    fighters = importlib.import_module("controlmap.fighters")
    with pytest.warns(DeprecationWarning, match=r"controlmap\.datasets\.fighters\.load_fighters"):
        load = fighters.load_fighters
    assert load is controlmap.datasets.load_fighters
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        controlmap.datasets.fighters.fighters_totals()  # the new home is silent
    with pytest.raises(AttributeError):
        _ = fighters.no_such_name


def test_datasets_and_fighters_import_without_a_cycle() -> None:
    """Each module imports alone, in a fresh interpreter, in either order."""
    for first, second in [
        ("controlmap.datasets.fighters", "controlmap.datasets"),
        ("controlmap.datasets", "controlmap.fighters"),
        ("controlmap.fighters", "controlmap.datasets"),
    ]:
        code = f"import {first}, {second}"
        subprocess.run([sys.executable, "-W", "error::ImportWarning", "-c", code], check=True)
    # The fighters module imports the registry and the file finder, never the package.
    tree = ast.parse((Path(controlmap.__file__).parent / "datasets" / "fighters.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported >= {"_files", "registry"} and None not in imported
