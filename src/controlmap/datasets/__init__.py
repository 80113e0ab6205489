"""The data sets and base-map layers bundled with controlmap, and what is known about them.

- :mod:`controlmap.datasets.registry`: one entry per data set and base map (files, title,
  credit, focus countries, base map, dates, published figures);
- :mod:`controlmap.datasets.fighters`: the foreign-fighter table (its own loader,
  :func:`load_fighters`, and its totals).

:func:`load_dataset` returns a :class:`~controlmap.Timeline` whose ``attrs`` hold the
registry's facts; maps and figures read those, never a data set's name.

Examples
--------
>>> import controlmap
>>> tl = controlmap.load_dataset("islamic-state")
>>> tl.attrs["focus"], tl.attrs["basemap"]
(['IRQ', 'SYR'], 'iraq-syria')
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Literal, overload

import geopandas as gpd
import pandas as pd

from .._dates import parse_dates
from ..errors import ControlMapDeprecationWarning, UnknownDatasetError
from ..io import read_file
from ..model import Timeline
from ._files import data_dir, dataset_key
from .fighters import fighters_table, fighters_totals, load_fighters
from .registry import BASEMAPS, DEFAULT_BASEMAP, REGISTRY, Dataset

__all__ = [
    "BASEMAPS",
    "DATASETS",
    "LAYERS",
    "REGISTRY",
    "TABLES",
    "data_dir",
    "dataset_attrs",
    "dataset_key",
    "dataset_path",
    "fighters_table",
    "fighters_totals",
    "load_dataset",
    "load_fighters",
    "load_layer",
    "published_figures",
]

#: Bundled timelines: name -> (file under the data folder, description).
DATASETS: dict[str, tuple[str, str]] = {
    key: (entry.file, entry.description)
    for key, entry in REGISTRY.items()
    if entry.kind == "timeline"
}

#: Bundled data sets that are not timelines (one row per country, no dates).
TABLES: dict[str, tuple[str, str]] = {
    key: (entry.file, entry.description) for key, entry in REGISTRY.items() if entry.kind == "table"
}

#: Layers of the default base map: name -> (file under the data folder, description).
LAYERS: dict[str, tuple[str, str]] = BASEMAPS[DEFAULT_BASEMAP].layers


def _entry(name: str) -> Dataset:
    key = dataset_key(name)
    if key not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownDatasetError(f"unknown data set {name!r}; bundled data sets: {known}")
    return REGISTRY[key]


def dataset_path(name: str) -> Path:
    """Path of a bundled data-set file (a timeline, or the table of a non-timeline set).

    Examples
    --------
    >>> dataset_path("islamic-state").name
    'islamic_state.geojson'
    >>> dataset_path("foreign-fighters").name
    'foreign_fighters.csv'
    """
    return data_dir() / _entry(name).file


def published_figures(name: str) -> pd.DataFrame | None:
    """The published area figures a bundled timeline is compared with, if any.

    Returns
    -------
    pandas.DataFrame or None
        Columns ``date`` (Timestamp), ``area_km2``, ``publisher``, ``source_title``,
        sorted by date; comparable with ``area(status=<the entry's statuses>)``.

    Examples
    --------
    >>> figures = published_figures("islamic-state")
    >>> figures["date"].iloc[0], int(figures["area_km2"].iloc[0])
    (Timestamp('2015-01-01 00:00:00'), 90800)
    """
    spec = _entry(name).published
    if spec is None:
        return None
    table = pd.read_csv(data_dir() / spec.file)
    keep = (table["scope"] == spec.scope) & table["publisher"].str.contains(spec.publisher)
    table = table.loc[keep, ["date", "area_km2", "publisher", "source_title"]].copy()
    table["date"] = parse_dates(table["date"], what="published figure date")
    return table.sort_values("date", kind="stable").reset_index(drop=True)


def dataset_attrs(name: str, timeline: Timeline | None = None) -> dict[str, Any]:
    """The ``attrs`` of a bundled data set (see ``ATTRS`` in :class:`~controlmap.Timeline`).

    Parameters
    ----------
    name : str
        A bundled data set.
    timeline : Timeline, optional
        The loaded timeline, whose turning points are the default ``dates``.

    Examples
    --------
    >>> dataset_attrs("islamic-state")["changes"]
    ['2015-01-01', '2018-02-01']
    """
    entry = _entry(name)
    attrs: dict[str, Any] = {"name": entry.name, "title": entry.title, "credit": entry.credit}
    if entry.focus:
        attrs["focus"] = list(entry.focus)
    if entry.basemap is not None:
        attrs["basemap"] = entry.basemap
    if entry.dates is not None:
        attrs["dates"] = list(entry.dates)
    elif timeline is not None and timeline.events is not None:
        attrs["dates"] = [f"{day:%Y-%m-%d}" for day in timeline.turning_points]
    if entry.changes is not None:
        attrs["changes"] = list(entry.changes)
    if entry.published is not None:
        attrs["published"] = published_figures(entry.name)
        attrs["published_statuses"] = list(entry.published.statuses)
    return attrs


@overload
def load_dataset(name: Literal["foreign-fighters"]) -> gpd.GeoDataFrame: ...
@overload
def load_dataset(name: str) -> Timeline: ...
def load_dataset(name: str) -> Timeline | gpd.GeoDataFrame:
    """Load a bundled timeline by name, with what is known about it in ``attrs``.

    Parameters
    ----------
    name : str
        ``"islamic-state"``: the Islamic State's territory in Iraq and Syria,
        late 2013 to March 2019, reconstructed from public reporting.
        (``"foreign-fighters"`` still returns the fighters table, with a
        :class:`~controlmap.ControlMapDeprecationWarning`, for one release: use
        :func:`controlmap.datasets.load_fighters`.)

    Returns
    -------
    Timeline
        Its ``events`` are the data set's events, its ``attrs`` the registry's facts
        (``title``, ``credit``, ``focus``, ``basemap``, ``dates``, ``changes``,
        ``published``, ``published_statuses``).

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> tl.actors
    ['Islamic State']
    >>> tl.attrs["published_statuses"]
    ['control', 'contested']
    """
    entry = _entry(name)
    if entry.kind == "table":
        warnings.warn(
            f"load_dataset({name!r}) returning a table is deprecated and will be removed in "
            "the next release; use controlmap.datasets.load_fighters()",
            ControlMapDeprecationWarning,
            stacklevel=2,
        )
        return load_fighters()
    timeline = read_file(data_dir() / entry.file, name=entry.name)
    if entry.events is not None:
        timeline.events = pd.read_csv(data_dir() / entry.events)
    timeline.attrs = dataset_attrs(entry.name, timeline)
    return timeline


def load_layer(name: str, *, basemap: str = DEFAULT_BASEMAP) -> gpd.GeoDataFrame:
    """Load a layer of a bundled base map as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    name : {"countries", "provinces", "places", "rivers"}
    basemap : str
        The bundled base map (``Timeline.attrs["basemap"]`` of a bundled data set).

    Examples
    --------
    >>> import controlmap
    >>> "Iraq" in set(controlmap.load_layer("countries")["name"])
    True
    """
    key = dataset_key(basemap)
    if key not in BASEMAPS:
        known = ", ".join(sorted(BASEMAPS))
        raise UnknownDatasetError(f"unknown base map {basemap!r}; bundled base maps: {known}")
    layers = BASEMAPS[key].layers
    layer = dataset_key(name)
    if layer not in layers:
        known = ", ".join(sorted(layers))
        raise UnknownDatasetError(f"unknown layer {name!r}; bundled layers: {known}")
    return gpd.read_file(data_dir() / layers[layer][0], engine="pyogrio")
