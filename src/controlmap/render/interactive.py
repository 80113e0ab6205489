"""Interactive maps: folium (Leaflet) pages with a time slider, legend and tooltips.

Each period's geometry is written once into the page as GeoJSON with its
``start``/``end``; a small script (``static/controlmap.js``) shows the periods
active on the date the slider points at. Only Leaflet and that script are
loaded: no jQuery, Bootstrap or icon fonts, so ``self_contained=True`` can inline
everything and the page works offline.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely

from .._atomic import atomic_output
from .._dates import DateLike, parse_date
from ..errors import DataError, OutputError
from ..model import Timeline
from . import _assets
from ._basemap import Basemap, clip_to_extent, focus_mask, key_places, map_extent
from ._changes import change_layers
from ._page import PagePart, Verbatim
from ._style import (
    BASE,
    CHANGE_COLOURS,
    actor_colours,
    change_label,
    changes_title,
    credit_line,
    day_text,
    display_name,
)

__all__ = ["ControlMap", "changes_map", "save_map", "snapshot_map", "timeline_map"]

#: Decimal places of coordinates in a page: 1e-4 degrees is about 10 m, finer than
#: a screen pixel at any zoom a whole-country map is read at.
DECIMALS = 4
#: Base-map outlines are simplified to this tolerance (degrees, ~300 m): they frame
#: the map and need not follow every bend of a border.
BASE_TOLERANCE = 0.003
#: Text properties of a period shown in tooltips and popups, when present.
TEXT_FIELDS = ("status", "source", "confidence", "note")


class ControlMap(folium.Map):
    """A folium Map that loads only Leaflet (linked, or inlined when self-contained).

    folium's default page also loads jQuery, Bootstrap and icon fonts from CDNs;
    controlmap's maps need none of them.
    """

    def __init__(self, *, self_contained: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.self_contained = self_contained
        # Inlined by render() when self-contained; otherwise Leaflet's CDN, nothing else.
        self.default_js = [] if self_contained else [("leaflet", _assets.LEAFLET_JS_URL)]
        self.default_css = [] if self_contained else [("leaflet_css", _assets.LEAFLET_CSS_URL)]

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add Leaflet and controlmap's script and style to the page, then render."""
        figure: Any = self.get_root()
        if self.self_contained:
            figure.header.add_child(
                Verbatim(
                    f"<style>{_assets.leaflet_css()}</style>\n"
                    f"<script>{_assets.leaflet_js()}</script>"
                ),
                name="leaflet_inline",
            )
        figure.header.add_child(
            Verbatim(
                f"<style>{_assets.controlmap_css()}</style>\n"
                f"<script>{_assets.controlmap_js()}</script>"
            ),
            name="controlmap_assets",
        )
        super().render(**kwargs)


class _ControlLayer(PagePart):
    """The map's data (JSON, escaped for a script element) and the call that draws it.

    The JSON holds text from the data file; it is placed verbatim (see
    :mod:`._page`), never compiled as a template.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "ControlLayer"
        self.payload = _assets.script_safe(
            json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        )

    def script(self) -> str:
        """The call that draws the map, with the data as a JavaScript literal."""
        if self._parent is None:
            raise TypeError("the map layer must be added to a map before it is rendered")
        return f"controlmap.init({self._parent.get_name()}, {self.payload});\n"


# ---------------------------------------------------------------------------- geometry
def _ring(coords: np.ndarray) -> list[list[float]] | None:
    rounded = np.round(coords[:, :2], DECIMALS)
    keep = np.ones(len(rounded), dtype=bool)
    keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)
    rounded = rounded[keep]
    if len(rounded) < 4:  # collapsed below screen resolution
        return None
    return rounded.tolist()


def screen_geometry(geom: shapely.Geometry, tolerance: float = 0.0) -> dict[str, Any] | None:
    """A polygonal geometry as a GeoJSON dict rounded to :data:`DECIMALS` places.

    Rings that collapse at that precision are dropped; returns None when nothing is left.

    Examples
    --------
    >>> from shapely import box
    >>> screen_geometry(box(40.123456, 34, 41, 35))["coordinates"][0][0]
    [[41.0, 34.0], [41.0, 35.0], [40.1235, 35.0], [40.1235, 34.0], [41.0, 34.0]]
    """
    if geom is None or shapely.is_empty(geom):
        return None
    if tolerance > 0:
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
    polygons = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon":
            continue
        shell = _ring(shapely.get_coordinates(part.exterior))
        if shell is None:
            continue
        holes = [_ring(shapely.get_coordinates(r)) for r in part.interiors]
        polygons.append([shell, *[h for h in holes if h is not None]])
    if not polygons:
        return None
    return {"type": "MultiPolygon", "coordinates": polygons}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _text(value: Any) -> str | None:
    # pd.isna covers None, NaN, NaT and pd.NA (whose str() would be "<NA>").
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    text = str(value)
    return text if text.strip() else None


def _iso(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _base_payload(
    timeline: Timeline, basemap: Basemap, *, tiles: Any
) -> tuple[dict[str, Any], tuple[float, float, float, float]]:
    extent = map_extent(timeline, basemap)
    margin = max(extent[2] - extent[0], extent[3] - extent[1]) * 0.5
    base: dict[str, Any] = {}
    countries = clip_to_extent(basemap.countries, extent, margin=margin)
    if countries is not None and len(countries):
        focus = focus_mask(countries)
        base["countries"] = _collection(
            [
                {"type": "Feature", "properties": {"focus": bool(f)}, "geometry": g}
                for f, geom in zip(focus, countries.geometry.values, strict=True)
                if (g := screen_geometry(geom, BASE_TOLERANCE)) is not None
            ]
        )
    provinces = clip_to_extent(basemap.provinces, extent, margin=margin)
    if provinces is not None and len(provinces):
        base["provinces"] = _collection(
            [
                {"type": "Feature", "properties": {}, "geometry": g}
                for geom in provinces.geometry.values
                if (g := screen_geometry(geom, BASE_TOLERANCE)) is not None
            ]
        )
    places = [
        {
            "name": p.name,
            "lat": round(p.lat, DECIMALS),
            "lon": round(p.lon, DECIMALS),
            "event": p.event,
            "level": p.level,
        }
        for p in key_places(timeline, basemap, extent, largest=12)
    ]
    west, south, east, north = extent
    payload = {
        "base": base,
        "places": places,
        "bounds": [[south, west], [north, east]],
        "colours": BASE,
        "tiles": tiles is not None,
        "credit": credit_line(timeline.name or timeline.source),
    }
    return payload, extent


def _events(
    timeline: Timeline, dates: pd.DatetimeIndex | None = None, *, exact: bool = False
) -> list[dict[str, str]]:
    """Events keyed by the slider date they show on.

    The slider stops only at ``dates`` (default: the change dates), so an event falls
    on the last of them on or before its day (the map in force then); events before
    the first are left out. ``exact``: only events on one of ``dates`` (a snapshot).
    """
    if timeline.events is None:
        return []
    stops = timeline.change_dates if dates is None else pd.DatetimeIndex(dates)
    if not len(stops):
        return []
    events = []
    days = pd.DatetimeIndex(timeline.events["date"])
    for when, raw in zip(days, timeline.events["label"], strict=True):
        label = _text(raw)
        if label is None or pd.isna(when):
            continue
        day = pd.Timestamp(when)
        k = int(stops.searchsorted(day, side="right")) - 1
        if k >= 0 and (not exact or stops[k] == day):
            events.append({"date": f"{stops[k]:%Y-%m-%d}", "label": label})
    return events


def _make_map(
    payload: dict[str, Any],
    extent: tuple[float, float, float, float],
    *,
    title: str,
    tiles: Any,
    self_contained: bool,
    width: str | int,
    height: str | int,
) -> ControlMap:
    west, south, east, north = extent
    fmap = ControlMap(
        self_contained=self_contained,
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=6,
        tiles=tiles,
        width=width,
        height=height,
        control_scale=True,
        # Quarter zoom steps let the opening view fit Iraq and Syria snugly.
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    payload["title"] = title
    fmap.get_root().title = html.escape(title)  # type: ignore[attr-defined]
    fmap.add_child(_ControlLayer(payload))
    return fmap


def _title(timeline: Timeline, title: str | None, suffix: str) -> str:
    if title is not None:
        return title
    name = display_name(timeline)
    return f"{name}: {suffix}" if suffix else name


# ---------------------------------------------------------------------------- public
def timeline_map(
    timeline: Timeline,
    *,
    date: DateLike | None = None,
    title: str | None = None,
    self_contained: bool = False,
    tiles: Any = None,
    basemap: Basemap | None = None,
    interval_ms: int = 600,
    width: str | int = "100%",
    height: str | int = "100%",
) -> ControlMap:
    """A map with a time slider over every change date of a timeline.

    Parameters
    ----------
    timeline : Timeline
    date : date, optional
        The date shown when the page opens (default: the date of the largest
        total area).
    title : str, optional
        Shown in the legend and as the page title (default: the timeline's name).
    self_contained : bool
        Inline Leaflet and its images so the page needs no network.
    tiles : str or folium.TileLayer, optional
        A tile layer under the outlines (default none: the map is drawn from the
        bundled outlines and needs no tile server).
    basemap : Basemap, optional
        Outlines and places to draw (default: the bundled ones).
    interval_ms : int
        Milliseconds per step when playing.
    width, height : str or int
        Size of the map element.

    Returns
    -------
    ControlMap
        A ``folium.Map``; ``.save(path)`` or :func:`save_map` writes the page.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import timeline_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> page = timeline_map(tl, self_contained=True).get_root().render()
    >>> "cdn.jsdelivr" in page
    False
    """
    basemap = Basemap.or_bundled(basemap)
    dates = timeline.change_dates
    areas = timeline.area(dates)
    total = areas.sum(axis=1)
    shown = parse_date(date) if date is not None else dates[int(np.argmax(total.to_numpy()))]
    if shown not in dates:
        # Snap to the change date in force on the day asked for.
        earlier = dates[dates <= shown]
        shown = earlier[-1] if len(earlier) else dates[0]
    colours = actor_colours(timeline.actors)
    periods = timeline.periods
    area = timeline.period_area_km2
    features = []
    for i, row in enumerate(periods.itertuples(index=False)):
        geometry = screen_geometry(row.geometry)
        if geometry is None:
            continue
        properties: dict[str, Any] = {
            "id": i,
            "actor": str(row.actor),
            "start": _iso(row.start),
            "end": _iso(row.end),
            "area_km2": round(float(area[i]), 1),
            "color": colours[row.actor],
        }
        for field in TEXT_FIELDS:
            if field in periods.columns:
                properties[field] = _text(getattr(row, field))
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    payload, extent = _base_payload(timeline, basemap, tiles=tiles)
    actors = [str(a) for a in areas.columns]
    payload.update(
        {
            "mode": "timeline",
            "features": _collection(features),
            "dates": [f"{d:%Y-%m-%d}" for d in dates],
            "date": f"{shown:%Y-%m-%d}",
            "areas": {
                "actors": actors,
                "km2": np.round(areas.to_numpy(dtype=float)).astype(int).tolist(),
            },
            "legend": [
                {"key": f"actor:{k}", "label": a, "color": colours[a]} for k, a in enumerate(actors)
            ],
            "events": _events(timeline),
            "interval": int(interval_ms),
        }
    )
    return _make_map(
        payload,
        extent,
        title=_title(timeline, title, ""),
        tiles=tiles,
        self_contained=self_contained,
        width=width,
        height=height,
    )


def snapshot_map(
    timeline: Timeline,
    date: DateLike,
    *,
    title: str | None = None,
    self_contained: bool = False,
    tiles: Any = None,
    basemap: Basemap | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
) -> ControlMap:
    """A map of what each actor held on one date.

    Parameters are as in :func:`timeline_map`; ``date`` is the day shown.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import snapshot_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> fmap = snapshot_map(tl, "2017-07-10")
    >>> "10 Jul 2017" in fmap.get_root().render()  # the title names the date
    True
    """
    basemap = Basemap.or_bundled(basemap)
    day = parse_date(date)
    snap = timeline.at(day)
    colours = actor_colours(timeline.actors)
    features = []
    for i, row in enumerate(snap.itertuples(index=False)):
        geometry = screen_geometry(row.geometry)
        if geometry is None:
            continue
        properties: dict[str, Any] = {
            "id": i,
            "actor": str(row.actor),
            "start": f"{day:%Y-%m-%d}",
            "end": None,
            "on": f"{day:%Y-%m-%d}",
            "area_km2": round(float(row.area_km2), 1),
            "color": colours[row.actor],
            "status": _text(row.status),
        }
        for field in ("source", "confidence"):
            if field in snap.columns:
                properties[field] = _text(getattr(row, field))
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    payload, extent = _base_payload(timeline, basemap, tiles=tiles)
    # Timeline.area counts ground held under two statuses (control and contested)
    # once; summing the snapshot's rows would count the overlap twice.
    totals = timeline.area([day])
    by_actor = totals.iloc[0] if len(totals) else pd.Series(dtype=float)
    payload.update(
        {
            "mode": "snapshot",
            "features": _collection(features),
            "dates": [f"{day:%Y-%m-%d}"],
            "date": f"{day:%Y-%m-%d}",
            "legend": [
                {
                    "key": f"actor:{k}",
                    "label": str(a),
                    "color": colours[a],
                    "area_km2": float(by_actor.get(a, 0.0)),
                }
                for k, a in enumerate(timeline.actors)
            ],
            "events": _events(timeline, pd.DatetimeIndex([day]), exact=True),
        }
    )
    return _make_map(
        payload,
        extent,
        title=_title(timeline, title, day_text(day)),
        tiles=tiles,
        self_contained=self_contained,
        width=width,
        height=height,
    )


def changes_map(
    timeline: Timeline,
    start: DateLike,
    end: DateLike,
    *,
    title: str | None = None,
    self_contained: bool = False,
    tiles: Any = None,
    basemap: Basemap | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
) -> ControlMap:
    """A map of the ground each actor gained and lost between two dates.

    Gained and lost ground are drawn in two colours (see
    :data:`controlmap.render._style.CHANGE_COLOURS`); the legend gives each area.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import changes_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> fmap = changes_map(tl, "2015-01-01", "2018-02-01")
    >>> type(fmap).__name__
    'ControlMap'
    """
    basemap = Basemap.or_bundled(basemap)
    first, last = parse_date(start, what="start"), parse_date(end, what="end")
    if last <= first:
        raise DataError(f"changes map: end {last:%Y-%m-%d} is not after start {first:%Y-%m-%d}")
    frame = change_layers(timeline, first, last)
    multi = len(timeline.actors) > 1
    colours = actor_colours(timeline.actors)
    features = []
    legend = []
    for i, row in enumerate(frame.itertuples(index=False)):
        colour = CHANGE_COLOURS.get(row.change) or colours[row.actor]
        label = change_label(str(row.actor), row.change, multi)
        geometry = screen_geometry(row.geometry)
        if geometry is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "id": i,
                        "actor": str(row.actor),
                        "change": str(row.change),
                        "label": label,
                        "start": f"{first:%Y-%m-%d}",
                        "end": f"{last:%Y-%m-%d}",
                        "area_km2": round(float(row.area_km2), 1),
                        "color": colour,
                    },
                    "geometry": geometry,
                }
            )
        legend.append(
            {
                "key": f"change:{i}",
                "label": label,
                "color": colour,
                "area_km2": float(row.area_km2),
            }
        )
    payload, extent = _base_payload(timeline, basemap, tiles=tiles)
    payload.update(
        {
            "mode": "changes",
            "features": _collection(features),
            "dates": [],
            "date": f"{last:%Y-%m-%d}",
            "start": f"{first:%Y-%m-%d}",
            "end": f"{last:%Y-%m-%d}",
            "legend": legend,
            "events": [],
        }
    )
    return _make_map(
        payload,
        extent,
        title=_title(timeline, title, changes_title(first, last)),
        tiles=tiles,
        self_contained=self_contained,
        width=width,
        height=height,
    )


def save_map(fmap: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write a map's page to ``path`` (``.html``) in one step.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> from controlmap.render import snapshot_map, save_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "m.html"
    >>> save_map(snapshot_map(tl, "2016-01-01"), out).stat().st_size > 0
    True
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{target}: a map is a web page; name the file .html")
    page = fmap.get_root().render()
    with atomic_output(target) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return target
