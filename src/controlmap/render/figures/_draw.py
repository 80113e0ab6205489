"""What controlmap's matplotlib figures share: paths, the base-map frame, status styles.

Figures are drawn by matplotlib on an Agg canvas of each figure's own (the user's
pyplot backend is left alone): no tiles, no network, the same picture on every
machine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from ..._text import printable
from ...model import Timeline
from .._basemap import Basemap, clip_to_extent, focus_mask, key_places, map_extent
from .._style import BASE, StatusStyle

__all__ = ["STATIC_TOLERANCE", "Frame", "gid", "ground_style", "status_handle"]

#: Outlines are simplified to this tolerance (degrees, ~2 km) for small panels.
STATIC_TOLERANCE = 0.02


# ---------------------------------------------------------------------------- drawing
def _path(geom: shapely.Geometry) -> MplPath | None:
    """A matplotlib path of a polygonal geometry (holes as further closed rings)."""
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        for ring in (part.exterior, *part.interiors):
            xy = shapely.get_coordinates(ring)
            if len(xy) < 4:
                continue
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0] = MplPath.MOVETO
            ring_codes[-1] = MplPath.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return None
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def paths(geoms: Iterable[shapely.Geometry]) -> list[MplPath]:
    paths = []
    for geom in geoms:
        if geom is None or shapely.is_empty(geom):
            continue
        path = _path(geom)
        if path is not None:
            paths.append(path)
    return paths


def lines(geoms: Iterable[shapely.Geometry]) -> list[np.ndarray]:
    return [
        shapely.get_coordinates(part)
        for geom in geoms
        if geom is not None and not shapely.is_empty(geom)
        for part in shapely.get_parts(shapely.boundary(geom))
    ]


def add_polygons(ax: Any, paths: list[MplPath], **style: Any) -> None:
    # One collection per layer, limits fixed by the caller: add_patch per polygon
    # recomputes the data limits from every Bezier segment and is ten times slower.
    if paths:
        ax.add_collection(PathCollection(paths, **style), autolim=False)


def add_lines(ax: Any, lines: list[np.ndarray], **style: Any) -> None:
    if lines:
        ax.add_collection(LineCollection(lines, **style), autolim=False)


class Frame:
    """The base map prepared once and drawn into every panel."""

    def __init__(self, timeline: Timeline, basemap: Basemap) -> None:
        self.extent = map_extent(timeline, basemap, pad=0.03)
        margin = 2.0
        countries = clip_to_extent(basemap.countries, self.extent, margin=margin)
        provinces = clip_to_extent(basemap.provinces, self.extent, margin=margin)
        if countries is not None and len(countries):
            simple = self._clipped(countries)
            focus = focus_mask(countries)
            self.focus = paths(simple[focus])
            self.neighbours = paths(simple[~focus])
            self.borders = lines(simple)
        else:
            self.focus, self.neighbours, self.borders = [], [], []
        self.provinces = (
            lines(self._clipped(provinces)) if provinces is not None and len(provinces) else []
        )
        self.places = [
            p
            for p in key_places(timeline, basemap, self.extent, largest=6, spacing=(1.4, 0.7, 0.35))
            if p.level == 0
        ]

    def _clipped(self, frame: Any) -> np.ndarray:
        # Only what the panel shows: the rest of Turkey or Iran would fill the SVG with
        # coastline no one sees. The margin keeps clip edges outside the frame.
        west, south, east, north = self.extent
        geoms = shapely.clip_by_rect(
            np.asarray(frame.geometry.values, dtype=object),
            west - 0.5,
            south - 0.5,
            east + 0.5,
            north + 0.5,
        )
        return np.asarray(shapely.simplify(geoms, STATIC_TOLERANCE), dtype=object)

    @property
    def aspect(self) -> float:
        """Height / width of the panel on an equirectangular view at mid-latitude."""
        west, south, east, north = self.extent
        stretch = 1 / math.cos(math.radians((south + north) / 2))
        return (north - south) * stretch / (east - west)

    def draw(self, ax: Any, *, label_places: bool = True, font_size: float = 6.5) -> None:
        west, south, east, north = self.extent
        ax.set_facecolor(BASE["background"])
        add_polygons(ax, self.neighbours, facecolor=BASE["neighbour"], edgecolor="none")
        add_polygons(ax, self.focus, facecolor=BASE["land"], edgecolor="none")
        add_lines(ax, self.provinces, color=BASE["province"], linewidth=0.35, zorder=1.5)
        add_lines(ax, self.borders, color=BASE["border"], linewidth=0.6, zorder=1.6)
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#999999")
            spine.set_linewidth(0.5)

    def draw_places(self, ax: Any, *, font_size: float = 6.5) -> None:
        halo = [path_effects.withStroke(linewidth=2, foreground=BASE["halo"])]
        for place in self.places:
            ax.plot(
                place.lon,
                place.lat,
                marker="o",
                markersize=2.6,
                markerfacecolor="white",
                markeredgecolor=BASE["place"],
                markeredgewidth=0.7,
                zorder=5,
            )
            ax.annotate(
                place.name,
                (place.lon, place.lat),
                xytext=(2.5, 1.5),
                textcoords="offset points",
                fontsize=font_size,
                color=BASE["label"],
                fontweight="bold" if place.event else "normal",
                path_effects=halo,
                zorder=6,
                clip_on=True,
            )


def event_labels(timeline: Timeline, day: pd.Timestamp) -> str:
    events = timeline.events
    if events is None or not len(events):
        return ""
    today = events.loc[events["date"] == day]
    if "turning_point" in today.columns and today["turning_point"].astype(bool).any():
        today = today.loc[today["turning_point"].astype(bool)]
    return "; ".join(str(label) for label in today["label"].dropna())


def progress(items: Sequence[Any], enabled: bool | None, description: str) -> Iterable[Any]:
    from .._progress import progress_bar

    return progress_bar(items, enabled=enabled, description=description)


def gid(*parts: object) -> str:
    r"""An artist's gid naming what it draws, safe in an SVG ``id`` attribute.

    Names come from data: control characters are written as escapes (see
    :func:`controlmap._text.printable`), or the SVG would not be well-formed XML.

    Examples
    --------
    >>> print(gid("ground", "A\x1b", "control"))
    ground:A\x1b:control
    """
    return printable(":".join(str(p) for p in parts))


def _dashes(dash: str | None) -> Any:
    # "4 3" (SVG dash array, as on the web map) as a matplotlib line style.
    if not dash:
        return "solid"
    return (0, tuple(float(v) for v in dash.split()))


def ground_style(colour: str, style: StatusStyle, *, alpha: float) -> dict[str, Any]:
    """Keyword arguments of a PathCollection (or Patch) drawing ground of one status.

    Solid ground is the colour at ``alpha``; light ground a faint fill; patterned
    ground a pale tint of the colour (covering what lies beneath) under hatching in
    the colour. The outline keeps the colour
    (dashed as the status's dash), so every status stays visible on the base map.

    Examples
    --------
    >>> from controlmap.render._style import STATUS_STYLES
    >>> ground_style("#b2182b", STATUS_STYLES["contested"], alpha=0.75)["hatch"]
    '////'
    """
    if style.mpl_hatch is None:
        face = to_rgba(colour, alpha * style.opacity if style.fill != "solid" else alpha)
    else:
        # An opaque tint under the hatching: over governed ground of the same colour
        # (a contested town inside held ground) the lines must still show.
        tint = np.add(np.multiply(to_rgba(colour)[:3], style.opacity), 1 - style.opacity)
        face = (*tint, alpha)
    return {
        "facecolor": face,
        "edgecolor": to_rgba(colour, 0.95),
        "hatch": style.mpl_hatch,
        "linestyle": _dashes(style.dash),
        "linewidth": 0.4 if style.fill == "solid" else 0.7,
    }


def status_handle(label: str, colour: str, style: StatusStyle, *, alpha: float) -> Patch:
    """A legend patch drawn as :func:`ground_style` draws the ground it explains."""
    kwargs = ground_style(colour, style, alpha=alpha)
    patch = Patch(label=label, **kwargs)
    patch.set_gid(gid("legend-status", label))
    return patch
