"""Small multiples: a grid of maps of one timeline at chosen dates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..._dates import DateLike, parse_date
from ...errors import DataError
from ...model import Timeline
from .._basemap import Basemap
from .._mpl import plain_text
from .._style import (
    FONT_FAMILY,
    Style,
    attrs_of,
    day_text,
    held_area,
    legend_actors,
    others_label,
    short_name,
    status_order,
    status_styles,
    style_or_default,
)
from ._draw import (
    STATIC_TOLERANCE,
    Frame,
    add_polygons,
    event_labels,
    gid,
    ground_style,
    paths,
    status_handle,
)
from ._draw import progress as show_progress

__all__ = ["MAX_NCOLS", "small_multiples"]

MAX_NCOLS = 50
#: Opacity of solid ground: the base map's borders show through.
ALPHA = 0.75
#: The ink of status swatches in a legend of several actors (a status is not an actor).
NEUTRAL_INK = "#555555"
#: The swatch of the "N others" row: a grey no actor colour is.
OTHERS_INK = "#bdbdbd"


def _default_dates(timeline: Timeline) -> list[Any]:
    """The dates a timeline's article shows (``attrs["dates"]``), else its turning points."""
    dates = attrs_of(timeline).get("dates")
    return list(dates) if dates else list(timeline.turning_points)


@plain_text
def small_multiples(
    timeline: Timeline,
    dates: Sequence[DateLike] | pd.DatetimeIndex | None = None,
    *,
    ncols: int | None = None,
    panel_width: float = 3.0,
    title: str | None = None,
    credit: str | None = None,
    style: Style | None = None,
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
        The figure title (default: ``timeline.attrs["title"]``, else its name).
    credit : str, optional
        The credit line (default: ``timeline.attrs["credit"]``, else none).
    style : Style, optional
        Fonts, colours, date format, title and credit (default: controlmap's).
    basemap : Basemap, optional
        Outlines and places (default: the base map ``timeline.attrs`` names, else a
        neutral one fitted to the data).
    progress : bool or None
        Show a progress bar (None: only on a terminal).

    Returns
    -------
    matplotlib.figure.Figure
        Each panel is titled with its date, the events of that day and the area held
        (per status when there are several). Each status is drawn its own way
        (see :func:`controlmap.render.figures._draw.ground_style`); the ground's
        collections carry gids ``ground:<actor>:<status>``.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import small_multiples
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> fig = small_multiples(tl, ["2014-06-10", "2017-07-10"])
    >>> len(fig.axes)
    2
    """
    days = [parse_date(d) for d in (_default_dates(timeline) if dates is None else dates)]
    if not days:
        raise DataError("small_multiples: no dates to map")
    basemap = Basemap.for_timeline(timeline, basemap)
    frame = Frame(timeline, basemap)
    order = status_order(timeline._table["status"])
    styles = status_styles(order)
    several = order != ["control"]
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
    # A second line under the total gives the km² of each status, when there are several.
    band, gap, side = (0.56 if several else 0.42), 0.12, 0.2
    fig_w = side * 2 + cols * map_w + (cols - 1) * gap
    # The actors of the legend: those holding ground on some panel, largest first
    # (their most on any panel), at most style.legend_actors; the rest one row.
    # The band above the maps grows with the legend's rows (about 2.3 inches a
    # column: long names take two lines of NAME_LINE characters).
    look = style_or_default(style)
    listed, others, _ = legend_actors(held_area(timeline, days).max(), look.legend_actors)
    entries = len(listed) + bool(others) + (len(order) if several else 0)
    legend_cols = max(1, min(4, entries, int((fig_w - 2 * side) // 2.3)))
    row = 0.33 if any("\n" in short_name(a) for a in listed) else 0.19
    header, footer = max(0.9, 0.55 + math.ceil(entries / legend_cols) * row), 0.36
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
    colours = style_or_default(style).colours(timeline)
    for k, day in enumerate(show_progress(days, progress, "maps")):
        ax = axes[k]
        frame.draw(ax)
        snap = timeline.at(day)
        # Known statuses first, so hatching of contested ground lies over control.
        snap = snap.assign(_order=snap["status"].astype(str).map(order.index))
        for row in snap.sort_values("_order", kind="stable").itertuples(index=False):
            add_polygons(
                ax,
                paths([shapely.simplify(row.geometry, STATIC_TOLERANCE / 2)]),
                **ground_style(colours[row.actor], styles[str(row.status)], alpha=ALPHA),
                zorder=3,
                gid=gid("ground", row.actor, row.status),
            )
        frame.draw_countries(ax, font_size=5.5)
        frame.draw_places(ax)
        # Union per actor (Timeline.area): overlapping statuses are counted once.
        area = float(held_area(timeline, [day]).sum(axis=1).iloc[0])
        held = f"{area:,.0f} km² held" if len(timeline.actors) == 1 else f"{area:,.0f} km² in all"
        if several:
            parts = [
                f"{float(timeline.area([day], status=s).sum(axis=1).iloc[0]):,.0f} {s}"
                for s in order
            ]
            held = f"{held}\n{' · '.join(parts)}"
        label = event_labels(timeline, day)
        ax.set_title(
            day_text(day, style) + (f" · {label}" if label else ""),
            fontsize=8.5,
            fontweight="bold",
            loc="left",
            pad=19 if several else 11,
            family=FONT_FAMILY.split(",")[0],
        )
        ax.text(
            0,
            1.012,
            held,
            transform=ax.transAxes,
            fontsize=6.5 if several else 7,
            linespacing=1.25,
            color="#444444",
            va="bottom",
        )
    fig.suptitle(
        title if title is not None else style_or_default(style).title_of(timeline),
        x=side / fig_w,
        y=1 - 0.16 / height,
        ha="left",
        va="top",
        fontsize=13,
        fontweight="bold",
    )
    handles: list[Any] = [
        Patch(facecolor=colours[a], edgecolor=colours[a], alpha=ALPHA, label=short_name(a))
        for a in listed
    ]
    if others:
        handles.append(
            Patch(
                facecolor=OTHERS_INK, edgecolor=OTHERS_INK, alpha=ALPHA, label=others_label(others)
            )
        )
    if several:
        ink = colours[timeline.actors[0]] if len(timeline.actors) == 1 else NEUTRAL_INK
        handles += [status_handle(s, ink, styles[s], alpha=ALPHA) for s in order]
    # The legend directly above the first row of maps, not beside the title.
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(side / fig_w - 0.01, 1 - (header - 0.02) / height),
        ncol=legend_cols,
        frameon=False,
        fontsize=8.5,
        handlelength=1.4,
    )
    credit_text = style_or_default(style).credit_of(timeline, credit)
    if credit_text:
        fig.text(
            side / fig_w,
            0.12 / height,
            credit_text,
            fontsize=6.5,
            color="#555555",
            ha="left",
            va="bottom",
            wrap=True,
        )
    return fig
