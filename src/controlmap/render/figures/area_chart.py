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
from .._mpl import (
    CHART_LEFT,
    CHART_SIZE,
    chart_size,
    drawable_texts,
    fit_chart,
    headline,
    plain_text,
)
from .._style import (
    StatusStyle,
    Style,
    attrs_of,
    legend_actors,
    others_label,
    short_name,
    status_order,
    status_styles,
    style_or_default,
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
    style: Style | None = None,
    size: tuple[float, float] = CHART_SIZE,
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
    style : Style, optional
        Fonts, colours, date format, title and credit (default: controlmap's).
    size : (float, float)
        Width and height in inches, each 2 to 40 (default 9 x 4.8). The title,
        legend and credit wrap to the width: 4 x 5 fits a phone's column.

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
    colours = style_or_default(style).colours(timeline)
    fig = Figure(figsize=chart_size(size, "area_chart"))
    FigureCanvasAgg(fig)  # measuring label sizes needs a renderer
    fig.patch.set_facecolor("white")
    # Room under the axes for the legend and the credit: the legend sits beside the
    # chart it explains, never over the curve or the labels.
    ax = fig.add_axes((CHART_LEFT, 0.27, 0.86, 0.62))
    first, last = timeline.span
    end = changes[-1] if pd.isna(last) else last
    margin = pd.Timedelta(days=30)
    right = end + margin
    # A post-step stops at the last change date: repeat the last values at the right
    # edge so the state after the last change (all of a single open period) is drawn.
    drawn = series
    if len(series) and series.index[-1] < right:
        drawn = pd.concat([series, series.iloc[[-1]].set_axis(pd.DatetimeIndex([right]))])
    order = status_order(timeline._table["status"])
    styles = status_styles(order)
    look = style_or_default(style)
    if len(drawn.columns) == 1 and order != ["control"]:
        _status_bands(ax, timeline, drawn, order, styles, colours, changes, right)
        curve = series.sum(axis=1)
    else:
        # The largest actors (their peak area) each a line, at most
        # style.legend_actors of them; of the rest, the largest on each date as one
        # grey line (their sum would dwarf every actor drawn and squash the chart).
        listed, others, _ = legend_actors(series.max(), look.legend_actors)
        lines = drawn[listed] if listed else drawn.iloc[:, :0]
        if others:
            rest = drawn.drop(columns=listed).max(axis=1).rename(OTHERS)
            lines = pd.concat([lines, rest], axis=1)
        for actor in lines.columns:
            values = lines[actor].to_numpy(dtype=float)
            # Not drawn where the actor holds nothing: a dozen lines lying on the
            # axis would hide it; a line starts and ends with the actor's ground.
            values = np.where(values > 0, values, np.nan)
            is_rest = bool(others) and actor == OTHERS
            colour = OTHERS_INK if is_rest else colours[actor]
            if len(lines.columns) <= 3:  # more fills would pile into a muddy blur
                ax.fill_between(
                    lines.index, values, step="post", color=colour, alpha=0.22, linewidth=0
                )
            ax.step(
                lines.index,
                values,
                where="post",
                color=colour,
                linewidth=1.2 if is_rest else 1.6,
                linestyle=(0, (3, 1.5)) if is_rest else "solid",
                label=f"the largest of {others_label(others)}" if is_rest else _legend_label(actor),
                gid=gid("line", "others" if is_rest else actor),
            )
        if order != ["control"]:
            note = f"statuses counted together: {', '.join(order)}"
            ax.plot([], [], linestyle="none", label=note)
        # The axis is scaled to what is drawn: the highest line, not the sum of all.
        curve = lines.loc[series.index].max(axis=1) if len(lines.columns) else series.sum(axis=1)
    total = curve
    top = float(total.max()) if len(total) and float(total.max()) > 0 else 1.0

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
    events = None
    if annotate and timeline.events is not None and len(timeline.events):
        events = timeline.events
        if "turning_point" in events.columns:
            events = events.loc[events["turning_point"].astype(bool)]
    # Headroom fitted to the labels: start a little above the data and raise the
    # top only while a label does not fit under it.
    tries = (1.12, 1.2, 1.3, 1.42, 1.56, 1.72, 1.9, 2.1)
    for headroom in tries:
        ax.set_ylim(0, top * headroom)
        if events is None or _annotate(ax, events, total, top) or headroom == tries[-1]:
            break
        _clear_annotations(ax)
    _km2_axis(ax, float(ax.get_ylim()[1]))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    headline(
        fig,
        title if title is not None else f"{look.title_of(timeline)}: area held",
        look.credit_of(timeline, credit),
    )

    def legend_in(ncol: int) -> Any:
        legend = ax.legend(
            loc="upper left",
            bbox_to_anchor=(0, -0.09),
            ncol=ncol,
            frameon=False,
            fontsize=8,
            handlelength=1.8,
            columnspacing=1.4,
        )
        for text in legend.get_texts():
            text.set_text(short_name(text.get_text()))
        legend.set_gid("legend")
        return legend

    fit_chart(fig, ax, legend_in, (3, 2, 1))  # as many legend columns as fit the width
    return fig


#: The name of the line summing the actors a chart does not draw one by one.
OTHERS = "\x00others"
#: Its colour: a grey no actor has.
OTHERS_INK = "#8a8a8a"


def _number(value: float) -> str:
    """A tick value with no needless decimals: 2.5, 5, 10, 1,250."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _km2_axis(ax: Any, top: float) -> None:
    """Label the y axis in km², in millions when the axis goes past two million.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> _km2_axis(ax, 25e6)
    >>> ax.get_ylabel(), ax.yaxis.get_major_formatter()(20e6, 0)
    ('million km² held', '20')
    """
    if top >= 2e6:
        ax.set_ylabel("million km² held")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _number(v / 1e6)))
    else:
        ax.set_ylabel("km² held")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


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


def _clear_annotations(ax: Any) -> None:
    for artist in [*ax.texts, *ax.lines]:
        if str(artist.get_gid() or "").startswith("event-"):
            artist.remove()


def _annotate(ax: Any, events: pd.DataFrame, total: pd.Series, top: float) -> bool:
    """Label each turning point above the curve; True when every label fits.

    Each label tries heights from just above the curve upward, and at each height
    three alignments (centred, then to the right or left of its point). A place is
    taken when the label clears the curve, every label placed before, and every
    leader line drawn before, and its own leader crosses no label: leaders never
    cut through text. Sizes are measured with the figure's renderer, so this holds
    for any label length. Returns False when a label would rise above the axes.
    """
    renderer = ax.figure.canvas.get_renderer()
    x0, x1 = (float(v) for v in ax.get_xlim())
    inverse = ax.transData.inverted()
    ceiling = ax.get_window_extent(renderer).y1
    boxes: list[Any] = []
    leaders: list[tuple[float, float, float]] = []  # x, bottom, top (pixels)
    fits = True
    kept = [
        (pd.Timestamp(day), label)
        for day, label in zip(events["date"], events["label"], strict=True)
        if not (pd.isna(day) or pd.isna(label) or not str(label).strip())
    ]  # a missing label is no annotation, not "nan"
    # Events a few pixels apart share one label (stacked lines, one leader from the
    # later point): two leaders that close would run into each other's text.
    merged: list[tuple[pd.Timestamp, str]] = []
    for day, label in sorted(kept, key=lambda item: item[0]):
        x = float(ax.transData.transform((matplotlib.dates.date2num(day), 0))[0])
        if merged:
            last_x = float(ax.transData.transform((matplotlib.dates.date2num(merged[-1][0]), 0))[0])
            if x - last_x < 6:
                merged[-1] = (day, f"{merged[-1][1]}\n{label}")
                continue
        merged.append((day, str(label)))
    kept = merged
    points_x = [
        float(ax.transData.transform((matplotlib.dates.date2num(d), 0))[0]) for d, _ in kept
    ]
    for k, (day, label) in enumerate(kept):
        later = points_x[k + 1 :]
        held = total.loc[:day]
        value = float(held.iloc[-1]) if len(held) else 0.0
        where_x = (matplotlib.dates.date2num(day) - x0) / (x1 - x0) if x1 > x0 else 0.5
        aligns = (
            ["left"]
            if where_x < 0.08
            else ["right"]
            if where_x > 0.92
            else ["center", "left", "right"]
        )
        text = ax.text(
            day,
            value,
            # Escaped now, not only when the figure is done: the label is measured below.
            printable(str(label), keep="\n"),
            fontsize=7,
            ha=aligns[0],
            va="bottom",
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            zorder=6,
            gid="event-label",
        )
        drawable_texts(text)  # measured below: in the fonts it will be drawn in
        point_x, point_y = ax.transData.transform((matplotlib.dates.date2num(day), value))
        y, box, found = value, None, False
        # First keep clear of the points still to be labelled (their leaders will
        # rise there); then, when no place is left, only of what is drawn.
        for strict_pass, step in [(True, i) for i in range(60)] + [(False, i) for i in range(60)]:
            y = value + top * (0.05 + 0.03 * step)
            for align in aligns:
                text.set_position((day, y))
                text.set_horizontalalignment(align)
                box = text.get_window_extent(renderer).expanded(1.06, 1.25)
                (left, bottom), (right, _) = inverse.transform([(box.x0, box.y0), (box.x1, box.y1)])
                if bottom < _curve_max(total, left, right) + top * 0.02:
                    continue
                if any(box.overlaps(b) for b in boxes):
                    continue
                if any(
                    box.x0 <= lx <= box.x1 and lb < box.y1 and box.y0 < lt for lx, lb, lt in leaders
                ):
                    continue
                if any(b.x0 <= point_x <= b.x1 and point_y < b.y1 and b.y0 < box.y0 for b in boxes):
                    continue  # this label's leader would cut through a label below it
                if strict_pass and any(box.x0 - 2 <= x <= box.x1 + 2 for x in later):
                    continue
                found = True
                break
            if found:
                break
            if box is not None and box.y1 > ceiling:
                if strict_pass:
                    continue  # try the plain pass from the bottom
                break
        if box is None or box.y1 > ceiling or not found:
            fits = False
        if box is not None:
            boxes.append(box)
            leaders.append((point_x, point_y, box.y0))
        ax.plot(
            [day, day], [value, y], color="#777777", linewidth=0.6, zorder=5.5, gid="event-leader"
        )
        ax.plot(
            [day], [value], marker="o", markersize=3, color="#333333", zorder=6, gid="event-point"
        )
    return fits


def _curve_max(total: pd.Series, left: float, right: float) -> float:
    """Highest value of the step curve between two matplotlib date numbers."""
    days = matplotlib.dates.date2num(total.index)
    inside = (days >= left) & (days <= right)
    before = np.flatnonzero(days < left)
    values = list(total.to_numpy(dtype=float)[inside])
    if len(before):
        values.append(float(total.iloc[before[-1]]))
    return max(values) if values else 0.0
