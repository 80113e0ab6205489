"""What the fighters map and the fighters figure share: scale, wording, lines, outlines.

Proportional symbols: each circle's *area* is proportional to its count (radius grows
with the square root), one scale for both flows so that departed and returned compare.
Returned circles are drawn over departed ones. Figures from national authorities or
researchers (``basis_group == "other"``) count different things from the Soufan Center's
2017 figures and are drawn hollow with a dashed outline. Countries the article names but
for which no figure was found are hatched (static) or dashed (interactive): missing stays
missing, it is never drawn as zero.

The web map is :func:`controlmap.render.maps.fighters.fighters_map`, the figure
:func:`controlmap.render.figures.fighters.fighters_figure`; both use one
:class:`SymbolScale`, so a legend's reference circles are exactly the size of the data
circles they explain.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from .._dates import parse_date
from .._text import printable
from ..datasets.fighters import FIGURES, GROUP_LABELS, load_fighters
from ..errors import DataError
from ._style import ACTOR_COLOURS

__all__ = [
    "COLOURS",
    "DEFAULT_TERRITORY_DATE",
    "REFERENCE_COUNTS",
    "REGIONS",
    "SymbolScale",
    "conflict_zone",
    "credit_of",
    "describe_figure",
    "great_circle",
    "symbol_scale",
]

#: Fill colours of the two flows and of the destination territory.
COLOURS: dict[str, str] = {
    "departed": "#e08214",
    "returned": "#2166ac",
    "territory": ACTOR_COLOURS[0],
    "no_figure": "#8c8c8c",
}

#: Counts of the reference circles in every legend.
REFERENCE_COUNTS: tuple[int, ...] = (100, 1_000, 3_000)

#: Named regions as (west, south, east, north) in degrees.
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "world": (-180.0, -58.0, 180.0, 84.0),
    "europe": (-20.0, 27.0, 50.0, 70.0),
    "middle-east": (20.0, 12.0, 65.0, 45.0),
    "central-asia": (40.0, 30.0, 90.0, 56.0),
    "europe-middle-east": (-15.0, 10.0, 75.0, 70.0),
}

#: The default date of the territory drawn with ``arcs=True``: the caliphate near its
#: largest extent, while most foreign fighters were travelling.
DEFAULT_TERRITORY_DATE = "2015-05-25"

_GEOD = Geod(ellps="WGS84")
_OTHER_NOTE = "dashed, hollow: national or research figures, not comparable"
CREDIT = (
    "Figures: The Soufan Center, 'Beyond the Caliphate' (Oct 2017), as quoted by news "
    "media; Washington Post, 22 Feb 2018; dashed: national authorities and researchers "
    "(2015-2019). Figures of different bases count different things and are not summed. "
    "Base map: Natural Earth."
)


# ------------------------------------------------------------------------ the scale
@dataclass(frozen=True)
class SymbolScale:
    """Circle sizes whose area is proportional to the count.

    Parameters
    ----------
    max_count : float
        The count drawn with ``max_radius``.
    max_radius : float
        Radius of that circle: screen pixels for folium, points for matplotlib.

    Examples
    --------
    >>> scale = SymbolScale(max_count=400, max_radius=20)
    >>> float(scale.radius(100)), float(scale.radius(400))
    (10.0, 20.0)
    >>> float(scale.area(400) / scale.area(100))
    4.0
    """

    max_count: float
    max_radius: float

    def __post_init__(self) -> None:
        if not (self.max_count > 0 and self.max_radius > 0):
            raise DataError("a symbol scale needs a positive largest count and radius")

    def radius(self, count: Any) -> np.ndarray:
        """Radius of the circle for each count (the square root keeps area proportional)."""
        values = np.asarray(count, dtype=float)
        if np.any(values < 0):
            raise DataError("a count drawn as a circle cannot be negative")
        return self.max_radius * np.sqrt(values / self.max_count)

    def area(self, count: Any) -> np.ndarray:
        """Area of the circle for each count, in squared radius units."""
        return np.pi * self.radius(count) ** 2

    def marker_size(self, count: Any) -> np.ndarray:
        """Matplotlib ``scatter`` size (points²: the square of the diameter) of each count."""
        return (2.0 * self.radius(count)) ** 2


def symbol_scale(data: pd.DataFrame, max_radius: float) -> SymbolScale:
    """One scale for both flows: the largest figure of either gets ``max_radius``.

    Examples
    --------
    >>> from controlmap.datasets import load_fighters
    >>> symbol_scale(load_fighters(), 30).max_count
    3417.0
    """
    counts = pd.concat([data[f] for f in FIGURES]).dropna()
    largest = float(counts.max()) if len(counts) else 1.0
    return SymbolScale(max_count=max(largest, 1.0), max_radius=max_radius)


# ------------------------------------------------------------------------ wording
def describe_figure(value: Any, qualifier: Any, high: Any = None) -> str:
    """A figure as a reader should see it: "about 1,500", "200-300", or "no figure".

    Examples
    --------
    >>> describe_figure(1500, "about"), describe_figure(200, "range", 300)
    ('about 1,500', '200–300')
    >>> describe_figure(pd.NA, None)
    'no figure'
    """
    if value is None or pd.isna(value):
        return "no figure"
    number = f"{int(value):,}"
    if qualifier == "range" and high is not None and not pd.isna(high):
        return f"{number}–{int(high):,}"
    if qualifier in ("about", "more than"):
        return f"{qualifier} {number}"
    return number


def _esc(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    # HTML cannot carry some control characters (NUL reads as U+FFFD, CR as LF):
    # they are shown as escapes, like everywhere else text from data is shown.
    return html.escape(printable(str(value)), quote=True)


def _titles(cell: Any) -> list[str]:
    """The " | "-joined titles of a source cell, without empties; none when missing."""
    if cell is None or (pd.api.types.is_scalar(cell) and pd.isna(cell)):
        return []
    return [t.strip() for t in str(cell).split(" | ") if t.strip()]


def _links(titles: Any, urls: Any) -> str:
    """Sources as HTML: a link only for plain http(s) addresses, text otherwise."""
    title_list = str(titles).split(" | ") if isinstance(titles, str) else []
    url_list = str(urls).split(" | ") if isinstance(urls, str) else []
    items = []
    for i, title in enumerate(title_list):
        url = url_list[i].strip() if i < len(url_list) else ""
        if url.lower().startswith(("https://", "http://")):
            items.append(
                f'<a href="{_esc(url)}" target="_blank" rel="noopener noreferrer">{_esc(title)}</a>'
            )
        else:
            items.append(_esc(title))
    return "<br>".join(items)


def _card(row: pd.Series, *, popup: bool) -> str:
    """The HTML of a country's tooltip (or, with sources and note, its popup)."""
    lines = [f"<b>{_esc(row['country'])}</b>"]
    for figure in FIGURES:
        text = describe_figure(row[figure], row[f"{figure}_qualifier"], row[f"{figure}_high"])
        lines.append(f"{figure.capitalize()}: {_esc(text)}")
    share = row.get("returned_share")
    if share is not None and not pd.isna(share):
        lines.append(f"Returned share: {float(share):.0%}")
    group = row.get("basis_group")
    if isinstance(group, str) and group in GROUP_LABELS:
        lines.append(f"<i>Basis: {_esc(GROUP_LABELS[group])}</i>")
    if popup:
        for figure in FIGURES:
            if not pd.isna(row[figure]):
                sources = _links(row.get(f"{figure}_source"), row.get(f"{figure}_url"))
                lines.append(f"<small><b>{figure.capitalize()} source:</b> {sources}</small>")
        if isinstance(row.get("note"), str):
            lines.append(f"<small><b>Note:</b> {_esc(row['note'])}</small>")
    else:
        # Each figure's source cell may join several titles with " | "; a title's own
        # details follow its first comma. Missing cells (None, NaN, NA) name nothing.
        cited = {
            title.split(",")[0].strip()
            for f in FIGURES
            if not pd.isna(row[f])
            for title in _titles(row.get(f"{f}_source"))
        }
        names = sorted(_esc(name) for name in cited if name)
        if names:
            lines.append(f"<small>Source: {'; '.join(names)} (click for details)</small>")
    return "<br>".join(lines)


# ------------------------------------------------------------------------ geometry
def great_circle(
    lon1: float, lat1: float, lon2: float, lat2: float, points: int = 64
) -> list[list[tuple[float, float]]]:
    """The great-circle line between two points, split where it crosses the antimeridian.

    Returns
    -------
    list of list of (lon, lat)
        One or two parts; each part's longitudes are continuous.

    Examples
    --------
    >>> parts = great_circle(2.35, 48.85, 38.99, 35.95, points=8)
    >>> len(parts), parts[0][0], parts[0][-1]
    (1, (2.35, 48.85), (38.99, 35.95))
    """
    middle = _GEOD.npts(lon1, lat1, lon2, lat2, max(points - 2, 0))
    line = [(lon1, lat1), *middle, (lon2, lat2)]
    parts: list[list[tuple[float, float]]] = [[line[0]]]
    for previous, current in itertools.pairwise(line):
        if abs(current[0] - previous[0]) > 180:
            # End this part on the antimeridian and start the next one there, at the
            # latitude where the segment crosses it, so no end point is ever lost.
            side = 1.0 if previous[0] > 0 else -1.0
            unwrapped = current[0] + 360.0 * side
            t = (180.0 * side - previous[0]) / (unwrapped - previous[0])
            crossing = previous[1] + t * (current[1] - previous[1])
            parts[-1].append((180.0 * side, crossing))
            parts.append([(-180.0 * side, crossing)])
        parts[-1].append(current)
    return [p for p in parts if len(p) > 1]


def conflict_zone(
    date: Any = None, territory: gpd.GeoDataFrame | None = None
) -> tuple[gpd.GeoDataFrame, shapely.Point]:
    """The Islamic State's territory on a date and the point lines lead to.

    Parameters
    ----------
    date : date-like, optional
        Default :data:`DEFAULT_TERRITORY_DATE`.
    territory : GeoDataFrame, optional
        Use these polygons instead of the bundled ``islamic-state`` timeline.

    Returns
    -------
    (GeoDataFrame, shapely.Point)
        The territory (EPSG:4326) and a point inside it.

    Examples
    --------
    >>> zone, point = conflict_zone("2015-05-25")
    >>> bool(zone.union_all().contains(point))
    True
    """
    if territory is None:
        from ..datasets import load_dataset

        day = parse_date(date if date is not None else DEFAULT_TERRITORY_DATE, what="date")
        territory = load_dataset("islamic-state").at(day)
    if territory.crs is not None and not territory.crs.equals("EPSG:4326"):
        territory = territory.to_crs("EPSG:4326")
    shape = territory.union_all() if len(territory) else shapely.Polygon()
    if shape.is_empty:
        raise DataError(f"no Islamic State territory on {date}; choose another date for arcs")
    # Lines meet in the largest part, which is where the fighters went (Raqqa to Mosul).
    parts = list(getattr(shape, "geoms", [shape]))
    largest = max(parts, key=lambda g: g.area)
    return territory, shapely.point_on_surface(largest)


def _arcs(data: pd.DataFrame, destination: shapely.Point) -> list[tuple[pd.Series, list[Any]]]:
    arcs = []
    rows = data[data["departed"].notna()].sort_values("departed", ascending=False)
    for _, row in rows.iterrows():
        parts = great_circle(float(row["lon"]), float(row["lat"]), destination.x, destination.y)
        arcs.append((row, parts))
    return arcs


def _region_bbox(region: str | Sequence[float] | None) -> tuple[float, float, float, float]:
    if region is None:
        return REGIONS["world"]
    if isinstance(region, str):
        key = region.strip().lower().replace("_", "-").replace(" ", "-")
        if key not in REGIONS:
            raise DataError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
        return REGIONS[key]
    values = tuple(float(v) for v in region)
    if len(values) != 4:
        raise DataError(f"a region box is (west, south, east, north), not {region!r}")
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise DataError(f"region box {values} is not (west, south, east, north) in degrees")
    return west, south, east, north


def _data(data: pd.DataFrame | None) -> gpd.GeoDataFrame:
    return load_fighters() if data is None else data


def credit_of(data: pd.DataFrame | None, credit: str | None) -> str | None:
    """The credit of a fighters map: ``credit``, else the table's own.

    The bundled table (``data`` None) is credited to its sources; a table of the
    user's gets the credit in its ``attrs["credit"]``, else none.

    Examples
    --------
    >>> credit_of(None, None).startswith("Figures: The Soufan Center")
    True
    >>> credit_of(pd.DataFrame(), None) is None
    True
    """
    if credit is not None:
        return str(credit) if str(credit).strip() else None
    if data is None:
        return CREDIT
    given = data.attrs.get("credit")
    return str(given) if given else None


def _draw_order(data: pd.DataFrame, figure: str) -> pd.DataFrame:
    # Larger circles first so smaller ones stay on top and can be hovered.
    rows = data[data[figure].notna()]
    return rows.sort_values(figure, ascending=False, kind="stable")


def _world() -> gpd.GeoDataFrame:
    from ..datasets import data_dir

    return gpd.read_file(data_dir() / "fighters/world_countries_110m.geojson", engine="pyogrio")


def _country_status(data: pd.DataFrame, world: gpd.GeoDataFrame) -> np.ndarray:
    """For each outline: "data" (a figure), "none" (named, no figure) or "other"."""
    iso = world["iso3"].astype(str).str.upper().to_numpy() if "iso3" in world else None
    if iso is None:
        return np.full(len(world), "other", dtype=object)
    has_figure = data[FIGURES[0]].notna() | data[FIGURES[1]].notna()
    with_data = set(data.loc[has_figure, "iso3"].astype(str))
    without = set(data.loc[~has_figure, "iso3"].astype(str))
    return np.where(
        np.isin(iso, list(with_data)),
        "data",
        np.where(np.isin(iso, list(without)), "none", "other"),
    )
