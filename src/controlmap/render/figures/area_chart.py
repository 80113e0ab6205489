"""The area chart: km² held over time, by status, with the turning points annotated."""

from __future__ import annotations

from typing import Any

import matplotlib.dates
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..._dates import parse_date
from ..._text import printable
from ...model import Timeline
from .._mpl import plain_text
from .._style import (
    StatusStyle,
    actor_colours,
    attrs_of,
    credit_line,
    display_name,
    status_order,
    status_styles,
)
from ._draw import gid, ground_style

__all__ = ["area_chart", "published_figures"]


def published_figures(timeline: Timeline) -> pd.DataFrame | None:
    """The published area figures a timeline carries (``attrs["published"]``), if any.

    A bundled data set's registry entry gives them (for ``islamic-state``: the IHS
    Conflict Monitor's estimates); they count the statuses in
    ``attrs["published_statuses"]``. Returns a copy with columns ``date``,
    ``area_km2`` and ``publisher`` (when known), or None.

    Examples
    --------
    >>> import controlmap, geopandas, shapely
    >>> periods = geopandas.GeoDataFrame(
    ...     {"actor": ["A"], "start": ["2020-01-01"]}, geometry=[shapely.box(0, 0, 1, 1)]
    ... )
    >>> published_figures(controlmap.Timeline(periods)) is None
    True
    """
    table = attrs_of(timeline).get("published")
    if not isinstance(table, pd.DataFrame) or not len(table):
        return None
    table = table.copy()
    table["date"] = [parse_date(d) for d in table["date"]]
    return table.sort_values("date").reset_index(drop=True)


@plain_text
def area_chart(
    timeline: Timeline,
    *,
    annotate: bool = True,
    published: pd.DataFrame | bool | None = None,
    title: str | None = None,
    credit: str | None = None,
    size: tuple[float, float] = (9.0, 4.8),
) -> Figure:
    """Area held over time (km²), by status, with the turning points annotated.

    One actor with several statuses is drawn as stacked bands, one per status in
    its style (control at the bottom; each band is the ground of that status not
    already counted below it, so the top is the total held); several actors as one
    curve each, with a note that their statuses are counted together.

    Parameters
    ----------
    timeline : Timeline
    annotate : bool
        Mark and label the turning points (``timeline.events``).
    published : DataFrame, bool or None
        Published figures to show as points: a frame with ``date`` and
        ``area_km2`` (and optionally ``publisher``); None or True for the
        timeline's own (see :func:`published_figures`); False for none.
    title : str, optional
        The chart title (default: ``timeline.attrs["title"]``, else its name).
    credit : str, optional
        The credit line (default: ``timeline.attrs["credit"]``, else none).
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The status bands carry gids ``band:<actor>:<status>``.

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
    order = status_order(timeline.periods["status"])
    styles = status_styles(order)
    if len(drawn.columns) == 1 and order != ["control"]:
        _status_bands(ax, timeline, drawn, order, styles, colours, changes, right)
    else:
        for actor in drawn.columns:
            values = drawn[actor].to_numpy(dtype=float)
            ax.fill_between(
                drawn.index, values, step="post", color=colours[actor], alpha=0.22, linewidth=0
            )
            ax.step(
                drawn.index,
                values,
                where="post",
                color=colours[actor],
                linewidth=1.6,
                label=_legend_label(actor),
            )
        if order != ["control"]:
            note = f"statuses counted together: {', '.join(order)}"
            ax.plot([], [], linestyle="none", label=note)
    total = series.sum(axis=1)
    top = float(total.max()) if len(total) else 1.0

    own = published is None or published is True
    if own:
        published = published_figures(timeline)
    if isinstance(published, pd.DataFrame) and len(published):
        counted = attrs_of(timeline).get("published_statuses") if own else None
        if counted and set(counted) != set(order) and set(counted) & set(order):
            # What the published figures count, drawn so the points compare like with like.
            comparable = timeline.area(changes, status=[s for s in counted if s in order])
            held = comparable.sum(axis=1)
            held = pd.concat([held, held.iloc[[-1]].set_axis(pd.DatetimeIndex([right]))])
            ax.step(
                held.index,
                held.to_numpy(dtype=float),
                where="post",
                color="#222222",
                linewidth=0.9,
                linestyle=(0, (2, 2)),
                label=" + ".join(counted) + " (as the published figures count)",
                gid="published-statuses",
            )
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
    credit_text = credit_line(timeline, credit)
    if credit_text:
        fig.text(0.11, 0.025, credit_text, fontsize=6.5, color="#555555")
    return fig


def _legend_label(text: str) -> str:
    """A legend label shown whatever it is: matplotlib hides labels that begin with "_".

    Examples
    --------
    >>> _legend_label("_pocket"), _legend_label("control")
    (' _pocket', 'control')
    """
    text = str(text)
    return f" {text}" if text.startswith("_") else text


def _status_bands(
    ax: Any,
    timeline: Timeline,
    drawn: pd.DataFrame,
    order: list[str],
    styles: dict[str, StatusStyle],
    colours: dict[str, str],
    changes: pd.DatetimeIndex,
    right: pd.Timestamp,
) -> None:
    """Stacked bands of one actor's ground by status, and the total as a line.

    Statuses may overlap (a contested district inside governed ground): band k is
    the union of the first k statuses minus that of the first k - 1, so the bands
    add up to the total and no ground is counted twice.
    """
    actor = drawn.columns[0]
    colour = colours[actor]
    below = np.zeros(len(drawn))
    for k, status in enumerate(order):
        cumulative = timeline.area(changes, status=order[: k + 1])[actor]
        cumulative = pd.concat(
            [cumulative, cumulative.iloc[[-1]].set_axis(pd.DatetimeIndex([right]))]
        ).reindex(drawn.index, method="ffill")
        upper = cumulative.to_numpy(dtype=float)
        style = ground_style(colour, styles[status], alpha=0.45)
        ax.fill_between(
            drawn.index,
            below,
            upper,
            step="post",
            facecolor=style["facecolor"],
            edgecolor=style["edgecolor"],
            hatch=style["hatch"],
            linewidth=0,
            label=_legend_label(status),
            gid=gid("band", actor, status),
        )
        below = upper
    ax.step(
        drawn.index,
        drawn[actor].to_numpy(dtype=float),
        where="post",
        color=colour,
        linewidth=1.6,
        label=f"all statuses: {actor}",
    )


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
