"""What every map draws under the control polygons: outlines, extent and key places.

Shared by the interactive and the static maps so both show the same cities and
the same frame. Which base map a timeline gets is read from its ``attrs``
(``basemap``, ``focus``): a bundled data set names its own; any other timeline gets
a neutral one, the world's land fitted to its extent with no place labels.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from ._style import attrs_of

if TYPE_CHECKING:
    from ..model import Timeline

__all__ = ["Basemap", "Place", "country_labels", "key_places", "map_extent"]

_POPULATION_FIELDS = ("population", "pop_max", "pop", "pop_est")
_NAME_FIELDS = ("name", "name_en", "place", "label")
# "iso3" first: Natural Earth's iso_a3 is -99 for a few countries (France, Norway).
_CODE_FIELDS = ("iso3", "iso_a3", "adm0_a3", "id")
#: The world's outlines (Natural Earth 1:110m) under a neutral base map.
WORLD_OUTLINES = "fighters/world_countries_110m.geojson"


@dataclass(frozen=True)
class Basemap:
    """Base-map layers: country and province outlines and places (any may be None).

    Examples
    --------
    >>> Basemap.empty().countries is None
    True
    """

    countries: gpd.GeoDataFrame | None = None
    provinces: gpd.GeoDataFrame | None = None
    places: gpd.GeoDataFrame | None = None

    #: Widen the map's frame to the whole of each focus country the data touches (a
    #: bundled base map); a neutral base map frames the data alone.
    fit_focus: bool = True

    @classmethod
    def bundled(cls) -> Basemap:
        """The outlines and places shipped with controlmap (Iraq, Syria and neighbours)."""
        return cls.named("iraq-syria")

    @classmethod
    def named(cls, name: str) -> Basemap:
        """A bundled base map by name: the layers :func:`controlmap.load_layer` returns.

        Examples
        --------
        >>> len(Basemap.named("iraq-syria").places) > 0
        True
        """
        from ..datasets import load_layer

        return cls(
            *(load_layer(layer, basemap=name) for layer in ("countries", "provinces", "places"))
        )

    @classmethod
    def neutral(cls) -> Basemap:
        """The world's land and borders, no provinces and no place labels.

        The base map of every timeline that names no bundled one: it fits a front in
        Ukraine as well as one in the Andes and labels no foreign city.

        Examples
        --------
        >>> base = Basemap.neutral()
        >>> base.places is None and len(base.countries) > 150
        True
        """
        return cls(_world(), None, None, fit_focus=False)

    @classmethod
    def empty(cls) -> Basemap:
        """No base map at all (the polygons alone, e.g. over tiles)."""
        return cls()

    @classmethod
    def or_bundled(cls, basemap: Basemap | None) -> Basemap:
        """``basemap``, or the bundled outlines when it is None.

        Examples
        --------
        >>> Basemap.or_bundled(Basemap.empty()).countries is None
        True
        """
        return cls.bundled() if basemap is None else basemap

    @classmethod
    def for_timeline(cls, timeline: Timeline, basemap: Basemap | None = None) -> Basemap:
        """The base map of a timeline: ``basemap`` if given, else what its ``attrs`` name.

        ``attrs["basemap"]`` names a bundled base map, ``attrs["focus"]`` (ISO alpha-3
        codes) the countries drawn as land in focus. With no ``basemap`` key the
        timeline gets :meth:`neutral`, with the countries its ground touches in focus.

        Examples
        --------
        >>> import controlmap, geopandas, shapely
        >>> periods = geopandas.GeoDataFrame(
        ...     {"actor": ["A"], "start": ["2022-03-01"]}, geometry=[shapely.box(36, 47, 38, 48.5)]
        ... )
        >>> base = Basemap.for_timeline(controlmap.Timeline(periods))
        >>> base.places is None
        True
        >>> sorted(base.countries.loc[focus_mask(base.countries), "iso3"])
        ['UKR']
        """
        attrs = attrs_of(timeline)
        focus = attrs.get("focus")
        if basemap is None:
            name = attrs.get("basemap")
            basemap = cls.named(str(name)) if name else cls.neutral()
            if not name and focus is None and basemap.countries is not None:
                touched = _touched(basemap.countries, timeline._packed.bounds)
                return replace(basemap, countries=_with_roles(basemap.countries, touched))
        if focus is not None and basemap.countries is not None:
            code = _field(basemap.countries, _CODE_FIELDS)
            if code is not None:
                wanted = {str(f).upper() for f in focus}
                chosen = basemap.countries[code].astype(str).str.upper().isin(wanted).to_numpy()
                return replace(basemap, countries=_with_roles(basemap.countries, chosen))
        return basemap


def _touched(countries: gpd.GeoDataFrame, bounds: np.ndarray) -> np.ndarray:
    """Which countries meet one of the bounding boxes ``bounds`` (``(n, 4)``).

    A tree of the countries asked with the boxes a slice at a time, not the union of
    the geometries (100,000 periods: 3.7 s and 160 MB) nor a box for each at once
    (40 MB of boxes).
    """
    tree = shapely.STRtree(np.asarray(countries.geometry.values, dtype=object))
    touched = np.zeros(len(countries), dtype=bool)
    for first in range(0, len(bounds), _BOXES_A_SLICE):
        boxes = shapely.box(*bounds[first : first + _BOXES_A_SLICE].T)
        touched[tree.query(boxes, predicate="intersects")[1]] = True
    return touched


_BOXES_A_SLICE = 8192


def _with_roles(countries: gpd.GeoDataFrame, focus: np.ndarray) -> gpd.GeoDataFrame:
    return countries.assign(role=np.where(focus, "focus", "neighbour"))


@functools.cache
def _world_cached() -> gpd.GeoDataFrame:
    from ..datasets import data_dir

    # A small GeoJSON file (0.45 MB), read without GDAL: with GDAL's libraries loaded
    # for it alone, reading it took 40 MB, without them 13 MB (a timeline's own file
    # is read by controlmap, so a page of one need not load GDAL at all).
    path = data_dir() / WORLD_OUTLINES
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    world = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    # Outlines only: names and figures of the file are not drawn.
    keep = [c for c in ("name", "iso3", "iso_a3") if c in world.columns]
    return world[[*keep, "geometry"]]


def _world() -> gpd.GeoDataFrame:
    return _world_cached().copy()


def _field(frame: gpd.GeoDataFrame, candidates: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in candidates:
        if name in lower:
            return str(lower[name])
    return None


def focus_mask(countries: gpd.GeoDataFrame) -> np.ndarray:
    """Which countries are drawn as "focus" land: ``role == "focus"``, else all of them.

    Examples
    --------
    >>> focus_mask(Basemap.bundled().countries).sum()  # Iraq and Syria
    np.int64(2)
    """
    if "role" in countries.columns:
        return (countries["role"].astype(str) == "focus").to_numpy()
    return np.ones(len(countries), dtype=bool)


def map_extent(
    timeline: Timeline, basemap: Basemap, *, pad: float = 0.04
) -> tuple[float, float, float, float]:
    """The frame of a map: the timeline's ground (and the focus countries it touches).

    The focus countries count only for a base map that asks for it
    (``basemap.fit_focus``): a neutral base map frames the data alone. Returns
    ``(west, south, east, north)`` in degrees, padded by ``pad`` of its size.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> west, south, east, north = map_extent(tl, Basemap.bundled())
    >>> west < 38 < 44 < east
    True
    """
    bounds = timeline._packed.bounds
    west, south = bounds[:, :2].min(axis=0)
    east, north = bounds[:, 2:].max(axis=0)
    if basemap.fit_focus and basemap.countries is not None and len(basemap.countries):
        focus = basemap.countries.loc[focus_mask(basemap.countries)]
        ground = shapely.union_all(shapely.box(*bounds.T))
        for geom in focus.geometry.values:
            if geom is not None and geom.intersects(ground):
                w, s, e, n = geom.bounds
                west, south, east, north = min(west, w), min(south, s), max(east, e), max(north, n)
    dx, dy = (east - west) * pad, (north - south) * pad
    return (
        max(-180.0, west - dx),
        max(-90.0, south - dy),
        min(180.0, east + dx),
        min(90.0, north + dy),
    )


def clip_to_extent(
    frame: gpd.GeoDataFrame | None, extent: tuple[float, float, float, float], *, margin: float
) -> gpd.GeoDataFrame | None:
    """Rows of ``frame`` that reach into the extent widened by ``margin`` degrees."""
    if frame is None or frame.empty:
        return frame
    west, south, east, north = extent
    window = shapely.box(west - margin, south - margin, east + margin, north + margin)
    keep = shapely.intersects(np.asarray(frame.geometry.values, dtype=object), window)
    return frame.loc[keep]


@dataclass(frozen=True)
class Place:
    """A labelled place on a map.

    ``level`` says how crowded the map may be for the label to show: 0 always,
    1 and up only when zoomed in (interactive) or never (static figures).
    """

    name: str
    lon: float
    lat: float
    event: bool
    level: int
    side: str = "right"


def key_places(
    timeline: Timeline,
    basemap: Basemap,
    extent: tuple[float, float, float, float],
    *,
    largest: int = 8,
    spacing: tuple[float, ...] = (0.8, 0.4, 0.2),
) -> list[Place]:
    """The cities worth a label: the largest places and the places in the timeline's events.

    Places are taken in order of importance (the largest cities, then turning-point
    places, then other event places, then smaller cities) and each gets the first
    ``level`` at which it is at least ``spacing[max(level, other.level)]`` degrees
    from every label already placed, so at any zoom the labels shown keep apart.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> base = Basemap.bundled()
    >>> names = [p.name for p in key_places(tl, base, map_extent(tl, base)) if p.level == 0]
    >>> "Mosul" in names and "Raqqa" in names
    True
    """
    west, south, east, north = extent
    candidates: list[tuple[int, str, float, float, bool]] = []  # priority, name, lon, lat, event
    big: list[tuple[str, float, float]] = []
    if basemap.places is not None and len(basemap.places):
        places = basemap.places
        name_field = _field(places, _NAME_FIELDS)
        pop_field = _field(places, _POPULATION_FIELDS)
        if name_field is not None:
            points = places.geometry.values
            people = (
                pd.to_numeric(places[pop_field], errors="coerce").fillna(0).to_numpy()
                if pop_field
                else np.zeros(len(places))
            )
            order = np.argsort(-people, kind="stable")
            for i in order:
                point = points[i]
                if point is None or point.is_empty:
                    continue
                x, y = point.x, point.y
                if west <= x <= east and south <= y <= north:
                    big.append((str(places[name_field].iloc[i]), x, y))
    for rank, (name, x, y) in enumerate(big[:largest]):
        candidates.append((0 if rank < 4 else 3, name, x, y, False))
    events = timeline.events
    if events is not None and {"lat", "lon"} <= set(events.columns):
        located = events.dropna(subset=["lat", "lon"])
        turning = (
            located["turning_point"].astype(bool)
            if "turning_point" in located.columns
            else pd.Series(False, index=located.index)
        )
        for (_, row), is_turning in zip(located.iterrows(), turning, strict=True):
            name = str(row["place"]) if "place" in row and pd.notna(row["place"]) else ""
            if name:
                candidates.append((1 if is_turning else 2, name, row["lon"], row["lat"], True))
    candidates.sort(key=lambda c: c[0])

    chosen: list[Place] = []
    for _, name, x, y, event in candidates:
        x, y = float(x), float(y)
        if not (west <= x <= east and south <= y <= north):
            continue
        # Same place under another name (an event at a city already labelled): skip.
        if any(_distance(p, x, y) < 0.06 for p in chosen) or any(p.name == name for p in chosen):
            if event:
                chosen = [
                    Place(p.name, p.lon, p.lat, True, p.level, p.side)
                    if _distance(p, x, y) < 0.06
                    else p
                    for p in chosen
                ]
            continue
        for level in range(len(spacing)):
            # Once both labels show (at the larger of the two levels) they must be
            # that level's spacing apart: a new always-shown label may not land on
            # one that appears only when zoomed in.
            if all(
                _distance(p, x, y) >= spacing[max(level, p.level)]
                for p in chosen
                if p.level < len(spacing)
            ):
                chosen.append(Place(name, x, y, event, level))
                break
        else:
            chosen.append(Place(name, x, y, event, len(spacing)))
    return chosen


def _distance(place: Place, lon: float, lat: float) -> float:
    # Degrees on an equirectangular view: longitude shrinks with the cosine of latitude.
    dx = (place.lon - lon) * math.cos(math.radians((place.lat + lat) / 2))
    return math.hypot(dx, place.lat - lat)


def country_labels(
    countries: gpd.GeoDataFrame | None,
    extent: tuple[float, float, float, float],
    *,
    min_share: float = 0.02,
) -> list[tuple[str, float, float, bool]]:
    """Names of the countries a map shows, placed inside the part of each in the frame.

    Returns ``(name, lon, lat, focus)`` for each country whose part inside ``extent``
    is at least ``min_share`` of the frame, at the pole of inaccessibility of its
    largest piece there (the label sits well inside the visible land, not at a
    centroid beyond the frame's edge). Focus countries come first.

    Examples
    --------
    >>> base = Basemap.bundled()
    >>> [(n, f) for n, _, _, f in country_labels(base.countries, (36, 30, 48, 38))][:2]
    [('Iraq', True), ('Syria', True)]
    """
    if countries is None or not len(countries):
        return []
    name_field = _field(countries, _NAME_FIELDS)
    if name_field is None:
        return []
    west, south, east, north = extent
    frame_area = (east - west) * (north - south)
    focus = focus_mask(countries)
    labels = []
    for name, geom, is_focus in zip(
        countries[name_field], countries.geometry.values, focus, strict=True
    ):
        if geom is None or shapely.is_empty(geom) or not isinstance(name, str) or not name.strip():
            continue
        inside = shapely.clip_by_rect(geom, west, south, east, north)
        parts = [p for p in shapely.get_parts(inside) if p.geom_type == "Polygon"]
        if not parts:
            continue
        largest = max(parts, key=lambda p: p.area)
        if largest.area < min_share * frame_area:
            continue
        point = shapely.ops.polylabel(largest, tolerance=0.05)
        labels.append((name, round(point.x, 4), round(point.y, 4), bool(is_focus)))
    labels.sort(key=lambda item: not item[3])
    return labels
