"""The foreign-fighter flows as a web page: proportional circles over the world (Leaflet).

Self-contained by default (Leaflet inlined, no CDN, no tiles: the world outlines are
the base map). Scale, wording and lines are shared with the figure (see
:mod:`controlmap.render._fighters`).

Examples
--------
>>> from controlmap.render import fighters_map
>>> m = fighters_map()                       # folium.Map, Leaflet inlined
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from ..._dates import parse_date
from .._assets import script_safe
from .._fighters import (
    _OTHER_NOTE,
    COLOURS,
    DEFAULT_TERRITORY_DATE,
    REFERENCE_COUNTS,
    SymbolScale,
    _arcs,
    _card,
    _country_status,
    _data,
    _draw_order,
    _esc,
    _region_bbox,
    _world,
    conflict_zone,
    credit_of,
    symbol_scale,
)
from .._style import BASE, FONT_FAMILY

if TYPE_CHECKING:
    import folium

__all__ = ["fighters_map"]


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
    from .._page import PagePart

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


def _legend_html(scale: SymbolScale, arcs_date: str | None, credit: str | None) -> tuple[str, str]:
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
    body = f'<div class="cm-fighters-legend">{"".join(rows)}</div>' + (
        f'<div class="cm-fighters-credit">{_esc(credit)}</div>' if credit else ""
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
    credit: str | None = None,
) -> folium.Map:
    """An interactive map of the two flows (folium/Leaflet, no tiles).

    Parameters
    ----------
    data : GeoDataFrame, optional
        The output of :func:`controlmap.datasets.load_fighters` (default: bundled data).
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
    credit : str, optional
        The credit line (default: the bundled table's sources; for a table of your
        own, its ``attrs["credit"]``, else none).

    Returns
    -------
    folium.Map
        Write it with :func:`controlmap.render.save`.

    Examples
    --------
    >>> m = fighters_map()
    >>> "leaflet" in m.get_root().render().lower()
    True
    """
    import folium

    from ._leaflet import ControlMap

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
    css, body = _legend_html(scale, arcs_date, credit_of(data, credit))
    fmap.add_child(overlay_class(css, body))
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.symbol_scale = scale  # type: ignore[attr-defined]  # for callers and tests: the scale the circles were drawn with
    return fmap
