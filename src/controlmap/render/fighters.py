"""Maps of the foreign-fighter flows: who left to join the Islamic State, who came back.

Proportional symbols: each circle's *area* is proportional to its count (radius grows
with the square root), one scale for both flows so that departed and returned compare.
Returned circles are drawn over departed ones. Figures from national authorities or
researchers (``basis_group == "other"``) count different things from the Soufan Center's
2017 figures and are drawn hollow with a dashed outline. Countries the article names but
for which no figure was found are hatched (static) or dashed (interactive): missing stays
missing, it is never drawn as zero.

Two outputs share one scale function (:class:`SymbolScale`), so a legend's reference
circles are exactly the size of the data circles they explain:

- :func:`fighters_map`: an interactive folium/Leaflet map, self-contained by default (Leaflet
  inlined, no CDN, no tiles: the world outlines are the base map);
- :func:`fighters_figure`: a static matplotlib figure of the world or a region, for PNG/SVG.

Both can add great-circle lines from each country to the Islamic State's territory on a
chosen date (``arcs=True``), the destination drawn from the bundled timeline.

Examples
--------
>>> from controlmap.render.fighters import fighters_map, fighters_figure
>>> m = fighters_map()                       # folium.Map, Leaflet inlined
>>> fig = fighters_figure(region="europe")   # matplotlib Figure
"""

from __future__ import annotations

import html
import itertools
import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from .._atomic import atomic_output
from .._dates import parse_date
from .._text import printable
from ..datasets.fighters import FIGURES, GROUP_LABELS, load_fighters
from ..errors import DataError, OutputError
from ._assets import script_safe
from ._mpl import plain_text
from ._style import ACTOR_COLOURS, BASE, FONT_FAMILY

if TYPE_CHECKING:
    import folium
    from matplotlib.figure import Figure

__all__ = [
    "COLOURS",
    "DEFAULT_TERRITORY_DATE",
    "REFERENCE_COUNTS",
    "REGIONS",
    "SymbolScale",
    "conflict_zone",
    "describe_figure",
    "fighters_figure",
    "fighters_map",
    "great_circle",
    "save_fighters_map",
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
    >>> from controlmap.fighters import load_fighters
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


def _draw_order(data: pd.DataFrame, figure: str) -> pd.DataFrame:
    # Larger circles first so smaller ones stay on top and can be hovered.
    rows = data[data[figure].notna()]
    return rows.sort_values(figure, ascending=False, kind="stable")


# ------------------------------------------------------------------------ folium
_SYMBOLS_JS = """
(function () {
    var group = %(group)s;
    var items = %(items)s;
    window.controlmapFighters = window.controlmapFighters || {markers: []};
    items.forEach(function (d) {
        var marker = L.circleMarker([d.lat, d.lon], d.style);
        marker.bindTooltip(d.tooltip, {sticky: true, direction: "top"});
        marker.bindPopup(d.popup, {maxWidth: 380});
        marker.addTo(group);
        window.controlmapFighters.markers.push(
            {marker: marker, iso3: d.iso3, flow: d.flow, count: d.count,
             radius: d.style.radius, weight: d.style.weight});
    });
})();
"""


def _folium_classes() -> tuple[Any, Any]:
    # Built on first use: folium is an optional dependency (the render extra).
    from ._page import PagePart

    class _Symbols(PagePart):
        """Circle markers from a JSON array; texts are escaped HTML inside JSON strings.

        The JSON is placed verbatim, never compiled as a template (see ``_page``).
        """

        def __init__(self, items: list[dict[str, Any]]) -> None:
            super().__init__()
            self._name = "FighterSymbols"
            self.items = items
            self.payload = script_safe(json.dumps(items, ensure_ascii=False))

        def script(self) -> str:
            if self._parent is None:
                raise TypeError("the circles must be added to a layer before rendering")
            return _SYMBOLS_JS % {"group": self._parent.get_name(), "items": self.payload}

    class _Overlay(PagePart):
        """Legend and credit: HTML built from constants and escaped text only."""

        def __init__(self, css: str, body: str) -> None:
            super().__init__()
            self._name = "FighterLegend"
            self.css = css
            self.markup = body
            self.title = "Foreign fighters of the Islamic State: who left, who returned"

        def header(self) -> str:
            return f"<title>{html.escape(self.title)}</title>\n<style>{self.css}</style>"

        def body(self) -> str:
            return self.markup

    return _Symbols, _Overlay


def _symbol_items(
    data: pd.DataFrame, scale: SymbolScale, figure: str, weight: float
) -> list[dict[str, Any]]:
    items = []
    for _, row in _draw_order(data, figure).iterrows():
        other = row.get("basis_group") == "other"
        count = int(row[figure])
        style = {
            "radius": float(scale.radius(count)),
            "color": COLOURS[figure],
            "weight": weight,
            "opacity": 1.0,
            "fillColor": COLOURS[figure],
            # Hollow and dashed: a figure of another basis must not read as comparable.
            "fillOpacity": 0.0 if other else (0.55 if figure == "departed" else 0.85),
            "dashArray": "4 3" if other else None,
        }
        items.append(
            {
                "lat": float(row["lat"]),
                "lon": float(row["lon"]),
                "iso3": str(row["iso3"]),
                "flow": figure,
                "count": count,
                "style": style,
                "tooltip": _card(row, popup=False),
                "popup": _card(row, popup=True),
            }
        )
    return items


def _legend_html(scale: SymbolScale, arcs_date: str | None) -> tuple[str, str]:
    css = (
        f".cm-fighters-legend{{position:absolute;z-index:1000;left:10px;bottom:24px;"
        f"background:rgba(255,255,255,.93);padding:8px 10px;border-radius:4px;"
        f"font:12px/1.35 {FONT_FAMILY};color:#222;max-width:300px;"
        f"box-shadow:0 1px 4px rgba(0,0,0,.3)}}"
        ".cm-fighters-legend h4{margin:0 0 4px;font-size:14px}"
        ".cm-fighters-legend svg{display:block}"
        f".cm-fighters-credit{{position:absolute;z-index:1000;right:0;bottom:18px;"
        f"background:rgba(255,255,255,.85);padding:2px 6px;font:10px/1.3 {FONT_FAMILY};"
        f"color:#333;max-width:60%}}"
        f".leaflet-container{{background:{BASE['background']}}}"
    )
    largest = float(scale.radius(max(REFERENCE_COUNTS)))
    width, height = 2 * largest + 70, 2 * largest + 6
    base_y = height - 3
    circles = []
    for count in REFERENCE_COUNTS:
        r = float(scale.radius(count))
        circles.append(
            f'<circle class="cm-ref" data-count="{count}" cx="{largest + 2:.2f}" '
            f'cy="{base_y - r:.2f}" r="{r:.4f}" fill="none" stroke="#444" stroke-width="1"/>'
            f'<line x1="{largest + 2:.2f}" y1="{base_y - 2 * r:.2f}" x2="{2 * largest + 10:.2f}"'
            f' y2="{base_y - 2 * r:.2f}" stroke="#888" stroke-width=".6"/>'
            f'<text x="{2 * largest + 12:.2f}" y="{base_y - 2 * r + 4:.2f}" '
            f'font-size="11">{count:,}</text>'
        )
    sizes = (
        f'<svg width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.2f} {height:.2f}">{"".join(circles)}</svg>'
    )

    def swatch(fill: str, stroke: str, dashed: bool = False) -> str:
        dash = ' stroke-dasharray="3 2" stroke-width="1.5"' if dashed else ""
        return (
            f'<svg width="16" height="14" style="display:inline;vertical-align:middle">'
            f'<circle cx="8" cy="7" r="6" fill="{fill}" stroke="{stroke}"{dash}/></svg>'
        )

    rows = [
        "<h4>Foreign fighters of the Islamic State</h4>",
        f"{swatch(COLOURS['departed'], COLOURS['departed'])} left for Iraq and Syria",
        f"<br>{swatch(COLOURS['returned'], COLOURS['returned'])} returned home",
        f"<br>{swatch('none', '#222', dashed=True)} {_OTHER_NOTE}",
        '<br><svg width="16" height="12" style="display:inline;vertical-align:middle">'
        f'<rect x="1" y="1" width="14" height="10" fill="{BASE["land"]}" '
        f'stroke="{COLOURS["no_figure"]}" stroke-dasharray="3 2"/></svg> named, no figure found',
        "<br>Circle area is proportional to the number of people:",
        sizes,
    ]
    if arcs_date is not None:
        rows.append(
            f'<svg width="16" height="12" style="display:inline;vertical-align:middle">'
            f'<rect x="1" y="1" width="14" height="10" fill="{COLOURS["territory"]}"/></svg> '
            f"Islamic State territory, {_esc(arcs_date)}; line width: people who left"
        )
    body = (
        f'<div class="cm-fighters-legend">{"".join(rows)}</div>'
        f'<div class="cm-fighters-credit">{_esc(CREDIT)}</div>'
    )
    return css, body


def fighters_map(
    data: pd.DataFrame | None = None,
    *,
    arcs: bool = False,
    date: Any = None,
    territory: gpd.GeoDataFrame | None = None,
    region: str | Sequence[float] | None = None,
    self_contained: bool = True,
    max_radius: float = 30.0,
    countries: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """An interactive map of the two flows (folium/Leaflet, no tiles).

    Parameters
    ----------
    data : GeoDataFrame, optional
        The output of :func:`controlmap.fighters.load_fighters` (default: bundled data).
    arcs : bool, default False
        Add great-circle lines from each country (width by people who left) to the
        Islamic State territory on ``date``, which is drawn as the destination.
    date : date-like, optional
        Date of the territory (default :data:`DEFAULT_TERRITORY_DATE`).
    territory : GeoDataFrame, optional
        Destination polygons to use instead of the bundled timeline.
    region : str or (west, south, east, north), optional
        Initial view: a name of :data:`REGIONS` or a box (default: the world).
    self_contained : bool, default True
        Inline Leaflet's script and style so the page works offline; ``False`` links
        them from a CDN (smaller file, needs the network).
    max_radius : float, default 30
        Radius in screen pixels of the largest figure's circle.
    countries : GeoDataFrame, optional
        The world base map (default: the bundled Natural Earth 1:110m outlines).

    Returns
    -------
    folium.Map
        Save with ``.save(path)`` or :func:`save_fighters_map`.

    Examples
    --------
    >>> m = fighters_map()
    >>> "leaflet" in m.get_root().render().lower()
    True
    """
    import folium

    from .interactive import ControlMap

    frame = _data(data)
    symbols_class, overlay_class = _folium_classes()
    west, south, east, north = _region_bbox(region)
    # ControlMap loads Leaflet only (no jQuery/Bootstrap/fonts), inlined when self-contained.
    fmap = ControlMap(
        self_contained=self_contained,
        tiles=None,
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=2,
        min_zoom=1,
        max_zoom=8,
        world_copy_jump=False,
    )
    fmap.fit_bounds([[south, west], [north, east]])

    # The base map: the world outlines, with no text properties (nothing to escape).
    world = countries if countries is not None else _world()
    status = _country_status(frame, world)
    # Snapped to a 0.01° grid (about 1 km, far below what 1:110m outlines show): the page
    # carries half the bytes and shapely keeps every outline valid.
    outlines = shapely.set_precision(world.geometry.values, 0.01)
    base = gpd.GeoDataFrame({"status": status}, geometry=outlines, crs=world.crs)
    styles = {
        "data": {"fillColor": BASE["land"], "color": BASE["border"], "weight": 0.6},
        "none": {
            "fillColor": BASE["land"],
            "color": COLOURS["no_figure"],
            "weight": 1.2,
            "dashArray": "3 3",
        },
        "other": {"fillColor": BASE["neighbour"], "color": "#b8b4ac", "weight": 0.4},
    }
    folium.GeoJson(
        base.to_json(),
        name="Countries",
        style_function=lambda f: {**styles[f["properties"]["status"]], "fillOpacity": 1.0},
        interactive=False,
        control=False,
    ).add_to(fmap)

    arcs_date = None
    if arcs:
        zone, destination = conflict_zone(date, territory)
        arcs_date = str(parse_date(date or DEFAULT_TERRITORY_DATE, what="date").date())
        shapes = gpd.GeoDataFrame(geometry=zone.geometry.values, crs="EPSG:4326")
        folium.GeoJson(
            shapes.to_json(),
            name=f"Islamic State territory, {arcs_date}",
            style_function=lambda f: {
                "fillColor": COLOURS["territory"],
                "color": COLOURS["territory"],
                "weight": 0.5,
                "fillOpacity": 0.85,
            },
            interactive=False,
        ).add_to(fmap)
        lines = folium.FeatureGroup(name="Lines to the Islamic State", show=True)
        largest = float(frame["departed"].max())
        for row, parts in _arcs(frame, destination):
            weight = 0.5 + 5.5 * float(row["departed"]) / largest
            dash = "6 4" if row.get("basis_group") == "other" else None
            for part in parts:
                folium.PolyLine(
                    [(lat, lon) for lon, lat in part],
                    color=COLOURS["departed"],
                    weight=weight,
                    opacity=0.45,
                    dash_array=dash,
                    interactive=False,
                ).add_to(lines)
        lines.add_to(fmap)

    scale = symbol_scale(frame, max_radius)
    for figure, label in (("departed", "Left"), ("returned", "Returned")):
        group = folium.FeatureGroup(name=label)
        group.add_child(symbols_class(_symbol_items(frame, scale, figure, 1.2)))
        group.add_to(fmap)
    css, body = _legend_html(scale, arcs_date)
    fmap.add_child(overlay_class(css, body))
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.symbol_scale = scale  # type: ignore[attr-defined]  # for callers and tests: the scale the circles were drawn with
    return fmap


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


# ------------------------------------------------------------------------ matplotlib
def _projection(bbox: tuple[float, float, float, float]) -> str:
    west, south, east, north = bbox
    if east - west > 200:
        return "EPSG:8857"  # Equal Earth: the world with true relative areas
    lon0, lat0 = (west + east) / 2, (south + north) / 2
    return f"+proj=laea +lat_0={lat0:.3f} +lon_0={lon0:.3f} +datum=WGS84 +units=m +no_defs"


@plain_text
def fighters_figure(
    data: pd.DataFrame | None = None,
    *,
    region: str | Sequence[float] | None = "world",
    arcs: bool = False,
    date: Any = None,
    territory: gpd.GeoDataFrame | None = None,
    max_radius: float = 22.0,
    figsize: tuple[float, float] | None = None,
    title: str | None = "Where the Islamic State's foreign fighters came from, and who returned",
    countries: gpd.GeoDataFrame | None = None,
) -> Figure:
    """A static map of the two flows for print (matplotlib; no tiles).

    Parameters
    ----------
    data : GeoDataFrame, optional
        The output of :func:`controlmap.fighters.load_fighters` (default: bundled data).
    region : str or (west, south, east, north), default "world"
        A name of :data:`REGIONS` or a box in degrees. The world is drawn in Equal Earth,
        regions in a Lambert azimuthal equal-area projection centred on the box.
    arcs, date, territory :
        As in :func:`fighters_map`.
    max_radius : float, default 22
        Radius in points of the largest figure's circle.
    figsize : (float, float), optional
        Inches; default 11 wide for the world, 9 for regions, as tall as the map needs.
    title : str or None
        Printed above the map.
    countries : GeoDataFrame, optional
        The world base map (default: the bundled Natural Earth 1:110m outlines).

    Returns
    -------
    matplotlib.figure.Figure
        The symbol collections carry gids ``"departed"``, ``"returned"`` (and
        ``"-other"`` for hollow ones) and the legend circles ``"legend-sizes"``; their
        ``get_sizes()`` are :meth:`SymbolScale.marker_size` of the counts.

    Examples
    --------
    >>> fig = fighters_figure(region="europe")
    >>> fig.symbol_scale.max_radius
    22.0
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    frame = _data(data)
    bbox = _region_bbox(region)
    world_region = bbox[2] - bbox[0] > 200
    crs = _projection(bbox)
    west, south, east, north = bbox
    pad = 0 if world_region else 25
    clip = (
        max(west - pad, -180),
        max(south - pad, -90),
        min(east + pad, 180),
        min(north + pad, 90),
    )

    world = countries if countries is not None else _world()
    status = _country_status(frame, world)
    base = gpd.GeoDataFrame({"status": status}, geometry=world.geometry.values, crs="EPSG:4326")
    base = base.assign(geometry=base.geometry.clip_by_rect(*clip))
    base = base[~base.geometry.is_empty].to_crs(crs)

    # The frame: the box's outline in the projection (densified so curved edges are true).
    frame_box = shapely.segmentize(shapely.box(*bbox), 1.0)
    frame_xy = gpd.GeoSeries([frame_box], crs="EPSG:4326").to_crs(crs).total_bounds
    # Bands in inches: title on top; legends and the credit line below the map, so that
    # no key hides a country. The default height fits the map's own proportions.
    title_in = 0.75 if title else 0.1
    credit_in = 0.38
    strip_in = max(2 * max_radius / 72 + 0.5, 1.1)
    if figsize is None:
        width = 11.0 if world_region else 9.0
        ratio = (frame_xy[3] - frame_xy[1]) / (frame_xy[2] - frame_xy[0])
        size = (width, title_in + credit_in + strip_in + width * float(ratio))
    else:
        size = figsize
    bottom = (credit_in + strip_in) / size[1]
    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)  # a canvas of its own: the user's pyplot backend is left alone
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0.0, bottom, 1.0, 1 - bottom - title_in / size[1]), gid="map")
    ax.set_facecolor(BASE["background"])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)

    colours = {"data": BASE["land"], "none": BASE["land"], "other": BASE["neighbour"]}
    for key, colour in colours.items():
        part = base[base["status"] == key]
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor="#a8a49c", linewidth=0.35, zorder=1)
    unknown = base[base["status"] == "none"]
    if len(unknown):
        unknown.plot(
            ax=ax,
            facecolor="none",
            edgecolor=COLOURS["no_figure"],
            hatch="////",
            linewidth=0.0,
            zorder=1.5,
        )

    ax.set_xlim(frame_xy[0], frame_xy[2])
    ax.set_ylim(frame_xy[1], frame_xy[3])
    ax.set_aspect("equal")
    ax.set_autoscale_on(False)

    arcs_date = None
    if arcs:
        zone, destination = conflict_zone(date, territory)
        arcs_date = str(parse_date(date or DEFAULT_TERRITORY_DATE, what="date").date())
        gpd.GeoSeries(zone.geometry.values, crs="EPSG:4326").to_crs(crs).plot(
            ax=ax, color=COLOURS["territory"], linewidth=0, zorder=3
        )
        largest = float(frame["departed"].max())
        from pyproj import Transformer

        to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        for row, parts in _arcs(frame, destination):
            width = 0.3 + 3.2 * float(row["departed"]) / largest
            style = "--" if row.get("basis_group") == "other" else "-"
            for part in parts:
                lons, lats = zip(*part, strict=True)
                xs, ys = to_map.transform(lons, lats)
                ax.plot(
                    xs,
                    ys,
                    color=COLOURS["departed"],
                    alpha=0.5,
                    linewidth=width,
                    linestyle=style,
                    zorder=2,
                    solid_capstyle="round",
                )

    scale = symbol_scale(frame, max_radius)
    points = gpd.GeoSeries(
        shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)),
        index=frame.index,
        crs="EPSG:4326",
    ).to_crs(crs)
    for order, figure in enumerate(FIGURES):
        rows = _draw_order(frame, figure)
        other = (rows["basis_group"] == "other").to_numpy()
        for hollow in (False, True):
            part = rows[other == hollow]
            if not len(part):
                continue
            xy = points.loc[part.index]
            sizes = scale.marker_size(part[figure].astype(float).to_numpy())
            alpha = 0.6 if figure == "departed" else 0.9
            collection = ax.scatter(
                xy.x,
                xy.y,
                s=sizes,
                facecolors="none" if hollow else COLOURS[figure],
                edgecolors=COLOURS[figure] if hollow else "white",
                linewidths=1.1 if hollow else 0.5,
                linestyles="--" if hollow else "-",
                alpha=1.0 if hollow else alpha,
                zorder=4 + order,
                clip_on=True,
            )
            collection.set_gid(f"{figure}-other" if hollow else figure)

    # Legend of sizes in its own axes below the map: the same scale function, so the
    # reference circles are exactly the size of the data circles they stand for.
    width_in, height_in = size
    lax = fig.add_axes(
        (0.01, credit_in / height_in, 2.4 / width_in, strip_in / height_in), gid="legend-axes"
    )
    lax.set_xlim(0, 2.4)  # axes units are inches: positions in points divide by 72
    lax.set_ylim(0, strip_in)
    lax.axis("off")
    refs = np.asarray(REFERENCE_COUNTS, dtype=float)
    radii_in = scale.radius(refs) / 72
    centre_x = 0.1 + float(radii_in.max())
    legend_sizes = lax.scatter(
        np.full(len(refs), centre_x),
        0.08 + radii_in,
        s=scale.marker_size(refs),
        facecolors="none",
        edgecolors="#444444",
        linewidths=0.8,
        clip_on=False,
    )
    legend_sizes.set_gid("legend-sizes")
    label_x = centre_x + float(radii_in.max()) + 0.12
    for ref, top in zip(refs, 0.08 + 2 * radii_in, strict=True):
        lax.plot([centre_x, label_x - 0.04], [top, top], color="#888888", linewidth=0.5)
        lax.text(label_x, top, f"{int(ref):,}", va="center", fontsize=7.5)
    lax.text(
        0.02, 0.16 + 2 * float(radii_in.max()), "People (circle area)", fontsize=8, va="bottom"
    )

    handles: list[Any] = [
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=COLOURS["departed"],
               markeredgecolor="white", alpha=0.7, label="left for Iraq and Syria"),
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=COLOURS["returned"],
               markeredgecolor="white", label="returned home"),
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor="none",
               markeredgecolor="#444444", label="hollow, dashed: national or research\n"
               "figure, not comparable with the others"),
        Patch(facecolor=BASE["land"], edgecolor=COLOURS["no_figure"], hatch="////",
              label="named in the article, no figure found"),
    ]  # fmt: skip
    if arcs_date is not None:
        handles.append(
            Patch(color=COLOURS["territory"], label=f"Islamic State territory, {arcs_date}")
        )
        handles.append(
            Line2D([], [], color=COLOURS["departed"], linewidth=2, alpha=0.6,
                   label="line width: people who left")
        )  # fmt: skip
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(2.5 / width_in, credit_in / height_in),
        ncol=2,
        fontsize=8,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.5,
    )
    if title:
        fig.text(0.01, 1 - 0.12 / height_in, title, fontsize=13, weight="bold", va="top")
        fig.text(
            0.01,
            1 - 0.42 / height_in,
            "Circle area proportional to the number of people; blue drawn over orange.",
            fontsize=8.5,
            va="top",
            color="#444444",
        )
    # geopandas labels projected axes ("Easting [metre]"); a map needs no axis labels.
    ax.set_xlabel("")
    ax.set_ylabel("")
    credit = textwrap.fill(CREDIT, width=int(width_in * 16))
    fig.text(0.01, 0.06 / height_in, credit, fontsize=6.5, color="#444444", va="bottom")
    fig.symbol_scale = scale  # type: ignore[attr-defined]
    return fig


# ------------------------------------------------------------------------ saving
def save_fighters_map(
    path: str | PathLike[str],
    data: pd.DataFrame | None = None,
    *,
    region: str | Sequence[float] | None = None,
    arcs: bool = False,
    date: Any = None,
    territory: gpd.GeoDataFrame | None = None,
    self_contained: bool = True,
    dpi: int = 200,
) -> Path:
    """Write the map: ``.html`` (interactive), ``.png`` or ``.svg`` (static), atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = save_fighters_map(pathlib.Path(tempfile.mkdtemp()) / "fighters.svg")
    >>> out.read_text()[:5]
    '<?xml'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".html", ".htm"):
        fmap = fighters_map(
            data,
            arcs=arcs,
            date=date,
            territory=territory,
            region=region,
            self_contained=self_contained,
        )
        page = fmap.get_root().render()
        with atomic_output(target) as temporary:
            temporary.write_text(page, encoding="utf-8")
    elif suffix in (".png", ".svg", ".pdf"):
        from .static import save_figure

        figure = fighters_figure(
            data, region=region or "world", arcs=arcs, date=date, territory=territory
        )
        # One writer for every figure: the dpi minimum, SVG text kept as text, atomic.
        save_figure(figure, target, dpi=dpi)
    else:
        raise OutputError(f"{target}: write the map as .html, .png, .svg or .pdf")
    return target
