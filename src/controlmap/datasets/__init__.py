"""The data sets and base-map layers bundled with controlmap.

In an installed wheel the files live in ``controlmap/_data``; in a source checkout
(editable install, tests) they are read from the repository's ``data/`` folder, so
there is exactly one copy of each file in the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, overload

import geopandas as gpd
import pandas as pd

from .errors import ControlMapError, UnknownDatasetError
from .model import Timeline, _check_events

__all__ = [
    "DATASETS",
    "LAYERS",
    "TABLES",
    "data_dir",
    "dataset_path",
    "load_dataset",
    "load_layer",
]

#: Bundled timelines: name -> (file under the data folder, description).
DATASETS: dict[str, tuple[str, str]] = {
    "islamic-state": (
        "polygons/islamic_state.geojson",
        "Islamic State territory in Iraq and Syria, 2013-2019 (reconstruction, see docs/data.md)",
    ),
}

#: Bundled data sets that are not timelines (one row per country, no dates):
#: name -> (file under the data folder, description). load_dataset returns a GeoDataFrame.
TABLES: dict[str, tuple[str, str]] = {
    "foreign-fighters": (
        "fighters/foreign_fighters.csv",
        "People from abroad who joined the Islamic State, and who returned, per country "
        "(see docs/fighters.md)",
    ),
}

#: Dated events of each bundled timeline (places that changed hands, turning points).
EVENTS: dict[str, str] = {"islamic-state": "polygons/islamic_state_events.csv"}

#: Bundled base-map layers: name -> (file under the data folder, description).
LAYERS: dict[str, tuple[str, str]] = {
    "countries": ("basemap/countries.geojson", "Iraq, Syria and neighbours (Natural Earth)"),
    "provinces": ("basemap/provinces.geojson", "Provinces of Iraq and Syria (Natural Earth)"),
    "places": ("basemap/places.geojson", "Towns and cities of Iraq and Syria (NE, GeoNames)"),
    "rivers": ("basemap/rivers.geojson", "Rivers of the region (Natural Earth)"),
}


@cache
def data_dir() -> Path:
    """The folder holding the bundled data.

    Examples
    --------
    >>> (data_dir() / "polygons").is_dir()
    True
    """
    packaged = Path(__file__).resolve().parent / "_data"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "data"
    if checkout.is_dir():
        return checkout
    raise ControlMapError(
        f"bundled data not found in {packaged} or {checkout}; reinstall controlmap"
    )


def dataset_key(name: str) -> str:
    """The registry key of a data-set or layer name: case, spaces and ``_`` forgiven.

    Examples
    --------
    >>> dataset_key(" Islamic_State ")
    'islamic-state'
    """
    if not isinstance(name, str):
        raise UnknownDatasetError(f"a data-set name is text, not {type(name).__name__}")
    return name.strip().lower().replace("_", "-")


def _lookup(table: dict[str, tuple[str, str]], name: str, kind: str) -> Path:
    key = dataset_key(name)
    if key not in table:
        known = ", ".join(sorted(table))
        raise UnknownDatasetError(f"unknown {kind} {name!r}; bundled {kind}s: {known}")
    return data_dir() / table[key][0]


def dataset_path(name: str) -> Path:
    """Path of a bundled data-set file (a timeline, or the table of a non-timeline set).

    Examples
    --------
    >>> dataset_path("islamic-state").name
    'islamic_state.geojson'
    >>> dataset_path("foreign-fighters").name
    'foreign_fighters.csv'
    """
    return _lookup({**DATASETS, **TABLES}, name, "data set")


@overload
def load_dataset(name: Literal["foreign-fighters"]) -> gpd.GeoDataFrame: ...
@overload
def load_dataset(name: str) -> Timeline: ...
def load_dataset(name: str) -> Timeline | gpd.GeoDataFrame:
    """Load a bundled data set by name.

    Parameters
    ----------
    name : str
        ``"islamic-state"``: the Islamic State's territory in Iraq and Syria,
        late 2013 to March 2019, reconstructed from public reporting (a Timeline).
        ``"foreign-fighters"``: people from abroad who joined the Islamic State and who
        returned, per country (a GeoDataFrame, see :func:`controlmap.fighters.load_fighters`).

    Returns
    -------
    Timeline or geopandas.GeoDataFrame

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> tl.actors
    ['Islamic State']
    """
    from .io import read

    key = dataset_key(name)
    if key in TABLES:
        # Imported here: fighters imports this module for data_dir().
        from .fighters import load_fighters

        return load_fighters(data_dir() / TABLES[key][0])
    # Both registries, so an unknown name's message lists every bundled data set.
    path = _lookup({**DATASETS, **TABLES}, name, "data set")
    timeline = read(path, name=key)
    if key in EVENTS:
        timeline.events = _check_events(pd.read_csv(data_dir() / EVENTS[key]))
    return timeline


def load_layer(name: str) -> gpd.GeoDataFrame:
    """Load a bundled base-map layer as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    name : {"countries", "provinces", "places", "rivers"}

    Examples
    --------
    >>> import controlmap
    >>> "Iraq" in set(controlmap.load_layer("countries")["name"])
    True
    """
    path = _lookup(LAYERS, name, "layer")
    return gpd.read_file(path, engine="pyogrio")
