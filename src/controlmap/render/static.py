"""Static figures for print and the web: small multiples of maps and the area chart.

Drawn by matplotlib on an Agg canvas of each figure's own (the user's pyplot
backend is left alone): no tiles, no network, the same picture on every machine.
Figures are returned as :class:`matplotlib.figure.Figure` and written with
:func:`save_figure` (PNG at 150 dpi or more, or SVG with text kept as text).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates
import matplotlib.patheffects as path_effects
import matplotlib.ticker
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from .._atomic import atomic_output
from .._dates import DateLike, parse_date
from .._text import printable
from ..errors import DataError, OutputError
from ..model import Timeline
from ._basemap import Basemap, clip_to_extent, focus_mask, key_places, map_extent
from ._changes import change_layers
from ._mpl import plain_text
from ._style import (
    BASE,
    CHANGE_COLOURS,
    FONT_FAMILY,
    actor_colours,
    change_label,
    changes_title,
    credit_line,
    day_text,
    display_name,
)

__all__ = [
    "area_chart",
    "changes_figure",
    "published_figures",
    "save_figure",
    "small_multiples",
]

#: Outlines are simplified to this tolerance (degrees, ~2 km) for small panels.
STATIC_TOLERANCE = 0.02
MIN_DPI = 150
MAX_DPI = 1200  # beyond a print shop's needs
MAX_PIXELS = 100_000_000  # a PNG's pixels: 400 MB of memory while drawing
MAX_NCOLS = 50


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


def _paths(geoms: Iterable[shapely.Geometry]) -> list[MplPath]:
    paths = []
    for geom in geoms:
        if geom is None or shapely.is_empty(geom):
            continue
        path = _path(geom)
        if path is not None:
            paths.append(path)
    return paths


def _lines(geoms: Iterable[shapely.Geometry]) -> list[np.ndarray]:
    return [
        shapely.get_coordinates(part)
        for geom in geoms
        if geom is not None and not shapely.is_empty(geom)
        for part in shapely.get_parts(shapely.boundary(geom))
    ]


def _add_polygons(ax: Any, paths: list[MplPath], **style: Any) -> None:
    # One collection per layer, limits fixed by the caller: add_patch per polygon
    # recomputes the data limits from every Bezier segment and is ten times slower.
    if paths:
        ax.add_collection(PathCollection(paths, **style), autolim=False)


def _add_lines(ax: Any, lines: list[np.ndarray], **style: Any) -> None:
    if lines:
        ax.add_collection(LineCollection(lines, **style), autolim=False)


class _Frame:
    """The base map prepared once and drawn into every panel."""

    def __init__(self, timeline: Timeline, basemap: Basemap) -> None:
        self.extent = map_extent(timeline, basemap, pad=0.03)
        margin = 2.0
        countries = clip_to_extent(basemap.countries, self.extent, margin=margin)
        provinces = clip_to_extent(basemap.provinces, self.extent, margin=margin)
        if countries is not None and len(countries):
            simple = self._clipped(countries)
            focus = focus_mask(countries)
            self.focus = _paths(simple[focus])
            self.neighbours = _paths(simple[~focus])
            self.borders = _lines(simple)
        else:
            self.focus, self.neighbours, self.borders = [], [], []
        self.provinces = (
            _lines(self._clipped(provinces)) if provinces is not None and len(provinces) else []
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
        _add_polygons(ax, self.neighbours, facecolor=BASE["neighbour"], edgecolor="none")
        _add_polygons(ax, self.focus, facecolor=BASE["land"], edgecolor="none")
        _add_lines(ax, self.provinces, color=BASE["province"], linewidth=0.35, zorder=1.5)
        _add_lines(ax, self.borders, color=BASE["border"], linewidth=0.6, zorder=1.6)
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


def _event_labels(timeline: Timeline, day: pd.Timestamp) -> str:
    events = timeline.events
    if events is None or not len(events):
        return ""
    today = events.loc[events["date"] == day]
    if "turning_point" in today.columns and today["turning_point"].astype(bool).any():
        today = today.loc[today["turning_point"].astype(bool)]
    return "; ".join(str(label) for label in today["label"].dropna())


def _progress(items: Sequence[Any], enabled: bool | None, description: str) -> Iterable[Any]:
    from ._progress import progress_bar

    return progress_bar(items, enabled=enabled, description=description)


# ---------------------------------------------------------------------------- public
@plain_text
def small_multiples(
    timeline: Timeline,
    dates: Sequence[DateLike] | pd.DatetimeIndex | None = None,
    *,
    ncols: int | None = None,
    panel_width: float = 3.0,
    title: str | None = None,
    basemap: Basemap | None = None,
    progress: bool | None = False,
) -> Figure:
    """A grid of maps at chosen dates with one extent, one legend and a credit line.

    Parameters
    ----------
    timeline : Timeline
    dates : sequence of dates, optional
        The dates to map (default: ``timeline.turning_points``).
    ncols : int, optional
        Panels per row (default: up to 5, as square a grid as possible).
    panel_width : float
        Width of one panel in inches.
    title : str, optional
        The figure title (default: the timeline's name).
    basemap : Basemap, optional
        Outlines and places (default: the bundled ones).
    progress : bool or None
        Show a progress bar (None: only on a terminal).

    Returns
    -------
    matplotlib.figure.Figure
        Each panel is titled with its date, the events of that day and the area held.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import small_multiples
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> fig = small_multiples(tl, ["2014-06-10", "2017-07-10"])
    >>> len(fig.axes)
    2
    """
    days = [parse_date(d) for d in (timeline.turning_points if dates is None else dates)]
    if not days:
        raise DataError("small_multiples: no dates to map")
    basemap = Basemap.or_bundled(basemap)
    frame = _Frame(timeline, basemap)
    count = len(days)
    if ncols is not None and not 1 <= ncols <= MAX_NCOLS:
        raise DataError(
            f"small_multiples: ncols must be at least 1 and at most {MAX_NCOLS}, not {ncols}"
        )
    cols = ncols if ncols is not None else min(5, max(1, math.ceil(math.sqrt(count * 1.3))))
    rows = math.ceil(count / cols)
    # Lay the panels out in inches, then convert: every map has the same size and
    # aspect, with a fixed band above it for the date and area lines.
    map_w = panel_width
    map_h = panel_width * frame.aspect
    band, gap, side = 0.42, 0.12, 0.2
    header, footer = 0.72, 0.36
    fig_w = side * 2 + cols * map_w + (cols - 1) * gap
    fig_h = header + rows * (band + map_h) + (rows - 1) * gap + footer
    fig = Figure(figsize=(fig_w, fig_h))
    FigureCanvasAgg(fig)  # a canvas of its own: no pyplot state, no display
    fig.patch.set_facecolor("white")
    axes = []
    for k in range(count):
        r, c = divmod(k, cols)
        left = side + c * (map_w + gap)
        top = header + r * (band + map_h + gap) + band
        axes.append(
            fig.add_axes((left / fig_w, 1 - (top + map_h) / fig_h, map_w / fig_w, map_h / fig_h))
        )
    height = fig_h
    colours = actor_colours(timeline.actors)
    for k, day in enumerate(_progress(days, progress, "maps")):
        ax = axes[k]
        frame.draw(ax)
        snap = timeline.at(day)
        for row in snap.itertuples(index=False):
            _add_polygons(
                ax,
                _paths([shapely.simplify(row.geometry, STATIC_TOLERANCE / 2)]),
                facecolor=colours[row.actor],
                edgecolor=colours[row.actor],
                linewidth=0.4,
                alpha=0.75,
                zorder=3,
            )
        frame.draw_places(ax)
        # Union per actor (Timeline.area): overlapping statuses are counted once.
        area = float(timeline.area([day]).sum(axis=1).iloc[0])
        label = _event_labels(timeline, day)
        ax.set_title(
            day_text(day) + (f" · {label}" if label else ""),
            fontsize=8.5,
            fontweight="bold",
            loc="left",
            pad=11,
            family=FONT_FAMILY.split(",")[0],
        )
        ax.text(
            0,
            1.012,
            f"{area:,.0f} km² held" if len(timeline.actors) == 1 else f"{area:,.0f} km² in all",
            transform=ax.transAxes,
            fontsize=7,
            color="#444444",
            va="bottom",
        )
    fig.suptitle(
        title if title is not None else display_name(timeline),
        x=side / fig_w,
        y=1 - 0.16 / height,
        ha="left",
        va="top",
        fontsize=13,
        fontweight="bold",
    )
    handles = [
        Patch(facecolor=colours[a], edgecolor=colours[a], alpha=0.75, label=a)
        for a in timeline.actors
    ]
    fig.legend(
        handles=handles,
        loc="upper right",
        bbox_to_anchor=(1 - side / fig_w, 1 - 0.12 / height),
        ncol=min(len(handles), 4),
        frameon=False,
        fontsize=8.5,
        handlelength=1.4,
    )
    fig.text(
        side / fig_w,
        0.12 / height,
        credit_line(timeline.name or timeline.source),
        fontsize=6.5,
        color="#555555",
        ha="left",
        va="bottom",
    )
    return fig


@plain_text
def changes_figure(
    timeline: Timeline,
    start: DateLike,
    end: DateLike,
    *,
    width: float = 7.5,
    title: str | None = None,
    basemap: Basemap | None = None,
) -> Figure:
    """One map of the ground gained and lost between two dates, and what was still held.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import changes_figure
    >>> fig = changes_figure(controlmap.load_dataset("islamic-state"), "2015-01-01", "2018-02-01")
    >>> len(fig.axes)
    1
    """
    first, last = parse_date(start, what="start"), parse_date(end, what="end")
    if last <= first:
        raise DataError(f"changes figure: end {last:%Y-%m-%d} is not after start {first:%Y-%m-%d}")
    basemap = Basemap.or_bundled(basemap)
    frame = _Frame(timeline, basemap)
    layers = change_layers(timeline, first, last)
    colours = actor_colours(timeline.actors)
    multi = len(timeline.actors) > 1
    map_h = width * frame.aspect
    header, footer = 0.7, 0.35
    fig = Figure(figsize=(width, map_h + header + footer))
    FigureCanvasAgg(fig)
    height = map_h + header + footer
    ax = fig.add_axes((0, footer / height, 1, map_h / height))
    frame.draw(ax)
    handles = []
    for row in layers.itertuples(index=False):
        label = change_label(str(row.actor), row.change, multi)
        colour = CHANGE_COLOURS.get(row.change) or colours[row.actor]
        geom, area = row.geometry, float(row.area_km2)
        _add_polygons(
            ax,
            _paths([shapely.simplify(geom, STATIC_TOLERANCE / 2)]),
            facecolor=colour,
            edgecolor=colour,
            linewidth=0.4,
            alpha=0.8,
            zorder=3,
        )
        handles.append(
            Patch(facecolor=colour, edgecolor=colour, alpha=0.8, label=f"{label}: {area:,.0f} km²")
        )
    frame.draw_places(ax, font_size=8)
    fig.suptitle(
        title if title is not None else f"{display_name(timeline)}\n{changes_title(first, last)}",
        x=0.02,
        y=1 - 0.08 / height,
        ha="left",
        va="top",
        fontsize=11,
        fontweight="bold",
    )
    fig.legend(
        handles=handles,
        loc="upper right",
        bbox_to_anchor=(0.98, 1 - (header + 0.1) / height),
        frameon=True,
        framealpha=0.92,
        fontsize=8,
    )
    fig.text(
        0.02,
        0.1 / height,
        credit_line(timeline.name or timeline.source),
        fontsize=6,
        color="#555555",
    )
    return fig


def published_figures(timeline: Timeline) -> pd.DataFrame | None:
    """The published area figures comparable with a bundled timeline, if any.

    For ``islamic-state``: the IHS Conflict Monitor estimates of the ground held in
    Iraq and Syria together (``data/sources/area_figures.csv`` in a source checkout).
    Returns columns ``date``, ``area_km2``, ``publisher`` or None.

    Examples
    --------
    >>> import controlmap
    >>> figures = published_figures(controlmap.load_dataset("islamic-state"))
    >>> figures is None or bool((figures.area_km2 > 0).all())
    True
    """
    from ..datasets import data_dir

    if timeline.name != "islamic-state":
        return None
    path = data_dir() / "sources" / "area_figures.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path)
    keep = (table["scope"] == "held:IRQ+SYR") & table["publisher"].str.contains("IHS")
    table = table.loc[keep, ["date", "area_km2", "publisher"]].copy()
    table["date"] = [parse_date(d) for d in table["date"]]
    return table.sort_values("date").reset_index(drop=True)


@plain_text
def area_chart(
    timeline: Timeline,
    *,
    annotate: bool = True,
    published: pd.DataFrame | bool | None = None,
    title: str | None = None,
    size: tuple[float, float] = (9.0, 4.8),
) -> Figure:
    """Area held over time (km²), with the turning points annotated.

    Parameters
    ----------
    timeline : Timeline
    annotate : bool
        Mark and label the turning points (``timeline.events``).
    published : DataFrame, bool or None
        Published figures to show as points: a frame with ``date`` and
        ``area_km2`` (and optionally ``publisher``); None or True for the bundled
        data set's own (see :func:`published_figures`); False for none.
    title : str, optional
        The chart title (default: the timeline's name).
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import area_chart
    >>> fig = area_chart(controlmap.load_dataset("islamic-state"))
    >>> fig.axes[0].get_ylabel()
    'km² held'
    """
    changes = timeline.change_dates
    series = timeline.area(changes)
    colours = actor_colours(timeline.actors)
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)  # measuring label sizes needs a renderer
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0.11, 0.14, 0.86, 0.7))
    first, last = timeline.span
    end = changes[-1] if pd.isna(last) else last
    margin = pd.Timedelta(days=30)
    right = end + margin
    # A post-step stops at the last change date: repeat the last values at the right
    # edge so the state after the last change (all of a single open period) is drawn.
    drawn = series
    if len(series) and series.index[-1] < right:
        drawn = pd.concat([series, series.iloc[[-1]].set_axis(pd.DatetimeIndex([right]))])
    for actor in drawn.columns:
        values = drawn[actor].to_numpy(dtype=float)
        ax.fill_between(
            drawn.index, values, step="post", color=colours[actor], alpha=0.22, linewidth=0
        )
        ax.step(drawn.index, values, where="post", color=colours[actor], linewidth=1.6, label=actor)
    total = series.sum(axis=1)
    top = float(total.max()) if len(total) else 1.0

    if published is None or published is True:
        published = published_figures(timeline)
    if isinstance(published, pd.DataFrame) and len(published):
        who = (
            ", ".join(pd.unique(published["publisher"].astype(str).str.split(" \\(").str[0]))
            if "publisher" in published.columns
            else "published"
        )
        ax.plot(
            pd.DatetimeIndex([parse_date(d) for d in published["date"]]).to_numpy(),
            published["area_km2"].astype(float),
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor="white",
            markeredgecolor="#222222",
            markeredgewidth=1.1,
            zorder=5,
            label=f"Published figures ({who})",
        )
        top = max(top, float(published["area_km2"].max()))

    ax.set_xlim(
        float(matplotlib.dates.date2num(first - margin)),
        float(matplotlib.dates.date2num(right)),
    )
    ax.set_ylim(0, top * 1.5)
    if annotate and timeline.events is not None and len(timeline.events):
        events = timeline.events
        if "turning_point" in events.columns:
            events = events.loc[events["turning_point"].astype(bool)]
        _annotate(ax, events, total, top)
    ax.set_ylabel("km² held")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper right", frameon=False, fontsize=8.5)
    fig.suptitle(
        title if title is not None else f"{display_name(timeline)}: area held",
        x=0.11,
        y=0.965,
        ha="left",
        fontsize=12,
        fontweight="bold",
    )
    fig.text(
        0.11, 0.025, credit_line(timeline.name or timeline.source), fontsize=6.5, color="#555555"
    )
    return fig


def _annotate(ax: Any, events: pd.DataFrame, total: pd.Series, top: float) -> None:
    """Label each turning point above the curve, lifting labels until none collide.

    Text sizes are measured with the figure's renderer, so the placement holds for
    any label length; a label near either end is aligned inward to stay inside.
    """
    renderer = ax.figure.canvas.get_renderer()
    x0, x1 = (float(v) for v in ax.get_xlim())
    placed: list[Any] = []
    for day, label in zip(events["date"], events["label"], strict=True):
        if pd.isna(day) or pd.isna(label) or not str(label).strip():
            continue  # a missing label is no annotation, not "nan"
        day = pd.Timestamp(day)
        held = total.loc[:day]
        value = float(held.iloc[-1]) if len(held) else 0.0
        where_x = (matplotlib.dates.date2num(day) - x0) / (x1 - x0) if x1 > x0 else 0.5
        align = "left" if where_x < 0.08 else "right" if where_x > 0.92 else "center"
        text = ax.text(
            day,
            value,
            # Escaped now, not only when the figure is done: the label is measured below.
            printable(str(label), keep="\n"),
            fontsize=7,
            ha=align,
            va="bottom",
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            zorder=6,
        )
        inverse = ax.transData.inverted()
        ceiling = ax.get_window_extent(renderer).y1
        y = value
        for step in range(40):
            y = value + top * (0.06 + 0.045 * step)
            text.set_position((day, y))
            box = text.get_window_extent(renderer).expanded(1.06, 1.2)
            (left, bottom), (right, _) = inverse.transform([(box.x0, box.y0), (box.x1, box.y1)])
            under = _curve_max(total, left, right)
            clear = bottom >= under + top * 0.02
            if box.y1 > ceiling or (clear and not any(box.overlaps(o) for o in placed)):
                break
        placed.append(box)
        ax.plot([day, day], [value, y], color="#777777", linewidth=0.6, zorder=5.5)
        ax.plot([day], [value], marker="o", markersize=3, color="#333333", zorder=6)


def _curve_max(total: pd.Series, left: float, right: float) -> float:
    """Highest value of the step curve between two matplotlib date numbers."""
    days = matplotlib.dates.date2num(total.index)
    inside = (days >= left) & (days <= right)
    before = np.flatnonzero(days < left)
    values = list(total.to_numpy(dtype=float)[inside])
    if len(before):
        values.append(float(total.iloc[before[-1]]))
    return max(values) if values else 0.0


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 200) -> Path:
    """Write a figure as PNG, SVG or PDF (by extension), replacing the file in one step.

    Parameters
    ----------
    fig : Figure
    path : path-like
        ``.png``, ``.svg`` (text kept as text) or ``.pdf``.
    dpi : int
        Resolution of a PNG (150 to 1200; at most 100 million pixels).

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> from controlmap.render import area_chart, save_figure
    >>> fig = area_chart(controlmap.load_dataset("islamic-state"))
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "area.svg").suffix
    '.svg'
    """
    target = Path(path)
    kind = target.suffix.lower().lstrip(".")
    if kind not in ("png", "svg", "pdf"):
        raise OutputError(
            f"{target}: figures are written as .png or .svg (or .pdf), not {kind or '(none)'}"
        )
    if dpi < MIN_DPI:
        raise OutputError(f"{target}: {dpi} dpi is below the {MIN_DPI} dpi print minimum")
    if dpi > MAX_DPI:
        raise OutputError(f"{target}: {dpi} dpi is above the {MAX_DPI} dpi maximum")
    width, height = (round(inches * dpi) for inches in fig.get_size_inches())
    if kind == "png" and width * height > MAX_PIXELS:
        raise OutputError(
            f"{target}: {width} x {height} pixels at {dpi} dpi is more than a PNG's"
            f" {MAX_PIXELS:,} pixels; lower the dpi or draw fewer maps"
        )
    with (
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "controlmap"}),
        atomic_output(target) as temporary,
    ):
        fig.savefig(temporary, format=kind, dpi=dpi, facecolor=fig.get_facecolor())
    return target
