"""The registry: one entry per bundled data set and base map, holding every fact about it.

A fact about a bundled data set (its title, its credit line, the countries it is about,
its base map, the dates an article shows, the published figures it is compared with)
lives here and nowhere else. :func:`controlmap.load_dataset` hands the facts to the
timeline as :attr:`Timeline.attrs <controlmap.Timeline.attrs>`; maps and figures read
``attrs`` and never a data set's name.

Examples
--------
>>> from controlmap.datasets.registry import BASEMAPS, REGISTRY
>>> REGISTRY["islamic-state"].focus
('IRQ', 'SYR')
>>> sorted(BASEMAPS["iraq-syria"].layers)
['countries', 'places', 'provinces', 'rivers']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["BASEMAPS", "REGISTRY", "Basemap", "Dataset", "PublishedFigures"]


@dataclass(frozen=True)
class PublishedFigures:
    """Where the published figures comparable with a timeline are, and which rows count.

    Parameters
    ----------
    file : str
        A CSV under the data folder with columns ``date``, ``area_km2``, ``scope``,
        ``publisher`` and ``source_title``.
    scope : str
        The ``scope`` of the rows that measure the same ground as the timeline.
    publisher : str
        Text the ``publisher`` of those rows contains (one consistent series).
    statuses : tuple of str
        The statuses of the timeline whose area the figures count.
    """

    file: str
    scope: str
    publisher: str
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    """A bundled data set: its files and what is known about it.

    Parameters
    ----------
    name : str
        The key :func:`controlmap.load_dataset` takes.
    kind : {"timeline", "table"}
        A timeline of control periods, or a table of one row per country.
    file : str
        The data file, relative to the data folder.
    description : str
        One line for ``controlmap datasets`` and listings.
    title, credit : str
        The title and the credit line maps and figures print.
    focus : tuple of str
        ISO 3166 alpha-3 codes of the countries the data is about.
    basemap : str, optional
        The bundled base map (a key of :data:`BASEMAPS`) drawn under the data.
    events : str, optional
        The events file (dates, places, turning points), relative to the data folder.
    dates : tuple of str, optional
        The dates an article shows (small multiples, report snapshots); None: the
        turning points marked in ``events``.
    changes : (str, str), optional
        The two dates of the article's gains-and-losses map.
    published : PublishedFigures, optional
        Published figures the timeline's area is compared with.
    extra : dict
        Other files of the data set by role (e.g. the outlines a table is joined to).
    """

    name: str
    kind: Literal["timeline", "table"]
    file: str
    description: str
    title: str
    credit: str
    focus: tuple[str, ...] = ()
    basemap: str | None = None
    events: str | None = None
    dates: tuple[str, ...] | None = None
    changes: tuple[str, str] | None = None
    published: PublishedFigures | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Basemap:
    """A bundled base map: layer name -> (file under the data folder, description)."""

    name: str
    layers: dict[str, tuple[str, str]]


REGISTRY: dict[str, Dataset] = {
    "islamic-state": Dataset(
        name="islamic-state",
        kind="timeline",
        file="polygons/islamic_state.geojson",
        description=(
            "Islamic State territory in Iraq and Syria, 2013-2019 "
            "(reconstruction, see docs/data.md)"
        ),
        title="Islamic State territory in Iraq and Syria, 2013–2019",
        credit=(
            "Data: controlmap reconstruction from public reporting (not IHS or ISW data). "
            "Borders: OpenStreetMap contributors (ODbL), Natural Earth. "
            "Places: GeoNames (CC BY 4.0)."
        ),
        focus=("IRQ", "SYR"),
        basemap="iraq-syria",
        events="polygons/islamic_state_events.csv",
        # What the Islamic State held in January 2015 and had lost by February 2018.
        changes=("2015-01-01", "2018-02-01"),
        published=PublishedFigures(
            file="sources/area_figures.csv",
            scope="held:IRQ+SYR",
            publisher="IHS",
            # IHS counts the ground held and the ground fought over, not support zones.
            statuses=("control", "contested"),
        ),
    ),
    "foreign-fighters": Dataset(
        name="foreign-fighters",
        kind="table",
        file="fighters/foreign_fighters.csv",
        description=(
            "People from abroad who joined the Islamic State, and who returned, per country "
            "(see docs/fighters.md)"
        ),
        title="Foreign fighters of the Islamic State: who left, who returned",
        credit=(
            "Figures: The Soufan Center, 'Beyond the Caliphate' (Oct 2017), as quoted by news "
            "media; Washington Post, 22 Feb 2018; dashed: national authorities and researchers "
            "(2015-2019). Figures of different bases count different things and are not "
            "summed. Base map: Natural Earth."
        ),
        extra={"countries": "fighters/world_countries_110m.geojson"},
    ),
}

BASEMAPS: dict[str, Basemap] = {
    "iraq-syria": Basemap(
        name="iraq-syria",
        layers={
            "countries": (
                "basemap/countries.geojson",
                "Iraq, Syria and neighbours (Natural Earth)",
            ),
            "provinces": (
                "basemap/provinces.geojson",
                "Provinces of Iraq and Syria (Natural Earth)",
            ),
            "places": (
                "basemap/places.geojson",
                "Towns and cities of Iraq and Syria (NE, GeoNames)",
            ),
            "rivers": ("basemap/rivers.geojson", "Rivers of the region (Natural Earth)"),
        },
    ),
}

#: The base map :func:`controlmap.load_layer` reads when none is named.
DEFAULT_BASEMAP = "iraq-syria"
