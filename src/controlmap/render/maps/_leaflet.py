"""What every controlmap web page shares: the Leaflet-only map, its data and base map.

Each map's geometry is written once into the page as GeoJSON; a small script
(``assets/controlmap.js``) draws it, with the slider, legend and tooltips. Only
Leaflet and that script are loaded: no jQuery, Bootstrap or icon fonts, so a
self-contained page (the default) inlines everything and works offline.
"""

from __future__ import annotations

import html
import itertools
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely

from ...model import Timeline
from .. import _assets
from .._basemap import (
    Basemap,
    clip_to_extent,
    country_labels,
    focus_mask,
    key_places,
    map_extent,
)
from .._page import Page, PagePart, Verbatim
from .._style import (
    StatusStyle,
    Style,
    display_name,
    status_order,
    status_styles,
    style_or_default,
)

__all__ = ["ControlMap", "encoded_geometry", "screen_geometry"]

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

    def __init__(self, *, self_contained: bool = True, **options: Any) -> None:
        super().__init__(**options)
        # A page that streams the map's data when saved (folium made a plain Figure).
        Page().add_child(self)
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
    :mod:`._page`), never compiled as a template, and written into the page only
    as it is saved (:meth:`Page.defer`).
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "ControlLayer"
        self.payload = payload
        # Stands for the data in the rendered page; random, so no text can spell it.
        self.token = f"controlmap-data-{secrets.token_hex(16)}"

    def script(self) -> str:
        """The call that draws the map; the data goes where its token is."""
        page = self.get_root()
        if self._parent is None or not isinstance(page, Page):
            raise TypeError("the map layer must be added to a ControlMap before it is rendered")
        page.defer(self.token, self.data)
        return f"controlmap.init({self._parent.get_name()}, {self.token});\n"

    def data(self) -> Iterator[str]:
        """The data as a JavaScript literal, in pieces."""
        for piece in payload_chunks(self.payload):
            yield _assets.script_safe(piece)


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text (no NaN: the page's parser would refuse it)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class FeatureTexts:
    """Features written as JSON text when the page is, one at a time.

    ``make`` yields the features (GeoJSON dicts) and is called each time the page
    is written: a slider page of 100,000 periods held its features as text (20 MB)
    from the moment it was made; now only the piece being written is in memory.

    Examples
    --------
    >>> texts = FeatureTexts(lambda: iter([{"type": "Feature", "properties": {}}]))
    >>> list(texts)
    ['{"type":"Feature","properties":{}}']
    """

    def __init__(self, make: Callable[[], Iterator[dict[str, Any]]]) -> None:
        self.make = make

    def __iter__(self) -> Iterator[str]:
        for feature in self.make():
            yield compact_json(feature)


#: Features joined into one piece of a page's data (a few hundred kB).
_FEATURES_A_PIECE = 1000


def payload_chunks(payload: dict[str, Any]) -> Iterator[str]:
    """The page's data as JSON text in pieces, :class:`FeatureTexts` written as they are.

    Examples
    --------
    >>> texts = FeatureTexts(lambda: iter([{"type": "Feature", "properties": {"id": 0}}]))
    >>> "".join(payload_chunks({"features": {"type": "FeatureCollection", "features": texts}}))
    '{"features":{"type":"FeatureCollection","features":[{"type":"Feature",\
"properties":{"id":0}}]}}'
    """
    # Each list of texts is stood in for by a token no data can spell (random, and
    # JSON text of data cannot hold an unescaped quote inside a string); the text is
    # cut at the tokens' JSON strings and the features written in their place.
    raw: dict[str, FeatureTexts] = {}

    def stand_in(value: Any) -> Any:
        if isinstance(value, FeatureTexts):
            token = f"features-{secrets.token_hex(16)}"
            raw[token] = value
            return token
        if isinstance(value, dict):
            return {k: stand_in(v) for k, v in value.items()}
        return value

    text = compact_json(stand_in(payload))
    places = sorted((text.index(f'"{token}"'), token) for token in raw)
    done = 0
    for at, token in places:
        yield text[done:at]
        yield "["
        texts = iter(raw[token])
        piece = ",".join(itertools.islice(texts, _FEATURES_A_PIECE))
        while piece:
            yield piece
            piece = ",".join(itertools.islice(texts, _FEATURES_A_PIECE))
            if piece:
                piece = "," + piece
        yield "]"
        done = at + len(token) + 2
    yield text[done:]


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


#: The 64 digits of :func:`encoded_geometry` (base64url's): none needs escaping in
#: JSON, HTML or a script element, so the text is data the page only does arithmetic on.
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_DIGIT_BYTES = np.frombuffer(DIGITS.encode("ascii"), dtype=np.uint8)


def _varints(values: np.ndarray) -> str:
    """Unsigned integers as base-64 digits: 5 bits a digit, low bits first, 32 = more."""
    values = values.astype(np.uint64)
    # Digits each value needs: one per 5 bits of its highest set bit (at least one).
    width = np.ones(len(values), dtype=np.int64)
    rest = values >> np.uint64(5)
    while rest.any():
        width += rest > 0
        rest >>= np.uint64(5)
    ends = np.cumsum(width)
    out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    starts = ends - width
    for k in range(int(width.max()) if len(width) else 0):
        has = width > k
        group = (values[has] >> np.uint64(5 * k)) & np.uint64(31)
        more = (width[has] > k + 1).astype(np.uint64) << np.uint64(5)
        out[starts[has] + k] = _DIGIT_BYTES[(group | more).astype(np.int64)]
    return out.tobytes().decode("ascii")


def _zigzag(values: np.ndarray) -> np.ndarray:
    """Signed integers as unsigned ones, small magnitudes small: 0, -1, 1, -2 -> 0, 1, 2, 3."""
    values = values.astype(np.int64)
    return np.where(values < 0, -2 * values - 1, 2 * values)


def _quantised_ring(coords: np.ndarray) -> np.ndarray | None:
    """A ring on the page's grid of 10^-DECIMALS degrees, repeated points and closure dropped."""
    grid = np.round(coords[:, :2] * 10**DECIMALS).astype(np.int64)
    keep = np.ones(len(grid), dtype=bool)
    keep[1:] = np.any(grid[1:] != grid[:-1], axis=1)
    grid = grid[keep]
    if len(grid) > 1 and (grid[0] == grid[-1]).all():
        grid = grid[:-1]
    return grid if len(grid) >= 3 else None  # fewer: collapsed below screen resolution


def encoded_geometry(geom: shapely.Geometry) -> str | None:
    """A polygonal geometry as compact text: integer coordinates, delta-encoded.

    Coordinates are rounded to :data:`DECIMALS` places (as :func:`screen_geometry`)
    and written as integers of 10^-DECIMALS degrees. The text is a series of
    unsigned integers, each in :data:`DIGITS` (5 bits a digit, lowest first; a digit
    of 32 or more says another follows): the number of polygons; for each, the
    number of rings; for each ring, the number of points, then each point's
    longitude and latitude as the difference from the point before (the first from
    0, 0), zigzag-signed. Rings are not closed (the last point is the first). A
    GeoJSON ring is 4 to 5 times longer. Returns None when every ring collapses.

    Examples
    --------
    >>> from shapely import box
    >>> encoded_geometry(box(0, 0, 0.0001, 0.0002))
    'BBECAAEBAAD'
    """
    if geom is None or shapely.is_empty(geom):
        return None
    numbers: list[np.ndarray] = []
    polygons = 0
    previous = np.zeros(2, dtype=np.int64)
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon":
            continue
        shell = _quantised_ring(shapely.get_coordinates(part.exterior))
        if shell is None:
            continue
        rings = [shell] + [
            r
            for h in part.interiors
            if (r := _quantised_ring(shapely.get_coordinates(h))) is not None
        ]
        polygons += 1
        numbers.append(np.array([len(rings)], dtype=np.uint64))
        for ring in rings:
            # Deltas run on across rings, so a ring's first point is small too.
            steps = np.diff(ring, axis=0, prepend=previous[None, :])
            previous = ring[-1]
            numbers.append(np.array([len(ring)], dtype=np.uint64))
            numbers.append(_zigzag(steps.ravel()).astype(np.uint64))
    if not polygons:
        return None
    return _varints(np.concatenate([np.array([polygons], dtype=np.uint64), *numbers]))


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def text_value(value: Any) -> str | None:
    """A data value as text for the page, None when it is missing or blank."""
    # pd.isna covers None, NaN, NaT and pd.NA (whose str() would be "<NA>").
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    text = str(value)
    return text if text.strip() else None


def iso_date(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD``, None when it is missing (an open end)."""
    if value is None or pd.isna(value):
        return None
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def base_payload(
    timeline: Timeline,
    basemap: Basemap,
    *,
    tiles: Any,
    credit: str | None,
    style: Style | None = None,
) -> tuple[dict[str, Any], tuple[float, float, float, float]]:
    """The base map, places, country names, frame, style and credit of a page, and its extent."""
    look = style_or_default(style)
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
        "countries": [
            {"name": name, "lon": lon, "lat": lat, "focus": focus}
            for name, lon, lat, focus in country_labels(basemap.countries, extent)
        ],
        "bounds": [[south, west], [north, east]],
        "colours": dict(look.base),
        "style": look.page_json(),
        "tiles": tiles is not None,
        "credit": look.credit_of(timeline, credit),
    }
    return payload, extent


def status_payload(statuses: Iterable[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The statuses of a map in legend order and how the page draws each.

    Examples
    --------
    >>> order, styles = status_payload(["contested", "control"])
    >>> order, styles["contested"]["fill"]
    (['control', 'contested'], 'hatch')
    """
    order = status_order(statuses)
    styles = status_styles(order)
    return order, {s: _style_json(styles[s]) for s in order}


def _style_json(style: StatusStyle) -> dict[str, Any]:
    return {"fill": style.fill, "opacity": style.opacity, "dash": style.dash}


def events_payload(
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
        label = text_value(raw)
        if label is None or pd.isna(when):
            continue
        day = pd.Timestamp(when)
        k = int(stops.searchsorted(day, side="right")) - 1
        if k >= 0 and (not exact or stops[k] == day):
            events.append({"date": f"{stops[k]:%Y-%m-%d}", "label": label})
    return events


def make_map(
    payload: dict[str, Any],
    extent: tuple[float, float, float, float],
    *,
    title: str,
    tiles: Any,
    self_contained: bool,
    width: str | int,
    height: str | int,
) -> ControlMap:
    """The page: a :class:`ControlMap` framed on ``extent`` carrying ``payload``."""
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
        # Labels of places hidden on zooming out go at once: a label fading out for
        # 200 ms would overlap the ones placed beside it.
        fade_animation=False,
    )
    payload["title"] = title
    fmap.get_root().title = html.escape(title)  # type: ignore[attr-defined]
    fmap.add_child(_ControlLayer(payload))
    return fmap


def map_title(
    timeline: Timeline, title: str | None, suffix: str, style: Style | None = None
) -> str:
    """``title``, else the style's title, else the timeline's name followed by ``suffix``."""
    if title is not None:
        return title
    if style is not None and style.title is not None:
        return style.title
    name = display_name(timeline)
    return f"{name}: {suffix}" if suffix else name
