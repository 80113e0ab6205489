"""The change chart: km² gained and lost in each step (a week, a month), per actor."""

from __future__ import annotations

from typing import Any

import matplotlib.colors
import matplotlib.dates
import matplotlib.ticker
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..._dates import DateLike
from ...model import Timeline
from .._mpl import CHART_LEFT, CHART_SIZE, chart_size, fit_chart, headline, plain_text
from .._style import Style, style_or_default
from ._draw import gid

__all__ = ["change_chart"]

#: How a step of a frequency is named in the axis label.
STEP_NAMES = {"D": "day", "W": "week", "MS": "month", "M": "month", "ME": "month", "QS": "quarter"}


def _step_name(freq: str) -> str:
    """``"W-SUN"`` -> ``"week"``; an unusual frequency is named as it is written."""
    head = freq.split("-")[0].upper()
    return STEP_NAMES.get(head, STEP_NAMES.get(freq, f"step ({freq})"))


@plain_text
def change_chart(
    timeline: Timeline,
    freq: str = "W",
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    title: str | None = None,
    credit: str | None = None,
    style: Style | None = None,
    size: tuple[float, float] = CHART_SIZE,
) -> Figure:
    """Ground gained (bars up) and lost (bars down) in each step, and the net as a line.

    The figure trackers publish ("km² taken this week"), from
    :meth:`Timeline.change_series`: one bar up and one down per actor and step, the
    actors side by side, and each actor's net change as a line with dots. The bars
    of a step span the dates it compares.

    Parameters
    ----------
    timeline : Timeline
    freq : str
        pandas frequency of the steps (``"W"`` weeks, ``"D"`` days, ``"MS"`` months).
    start, end : date, optional
        The range (default: the first and last change date).
    title : str, optional
        The chart title (default: the timeline's title, then "ground gained and lost").
    credit : str, optional
        The credit line (default: ``timeline.attrs["credit"]``, else none).
    style : Style, optional
        Fonts, colours, title and credit (default: controlmap's).
    size : (float, float)
        Width and height in inches, each 2 to 40 (default 9 x 4.8). The title,
        legend and credit wrap to the width: 4 x 5 fits a phone's column.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry gids ``gained:<actor>`` and ``lost:<actor>``, net lines ``net:<actor>``.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import change_chart
    >>> fig = change_chart(controlmap.load_dataset("islamic-state"), "QS")
    >>> fig.axes[0].get_ylabel()
    'km² per quarter: gained (+), lost (−)'
    """
    series = timeline.change_series(freq, start=start, end=end)
    look = style_or_default(style)
    actors = list(pd.unique(series["actor"]))
    colours = look.colours(timeline.actors)
    fig = Figure(figsize=chart_size(size, "change_chart"))
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((CHART_LEFT, 0.24, 0.86, 0.65))
    top = 0.0
    for k, actor in enumerate(actors):
        rows = series.loc[series["actor"] == actor]
        left = matplotlib.dates.date2num(pd.DatetimeIndex(rows["start"]))
        right = matplotlib.dates.date2num(pd.DatetimeIndex(rows["end"]))
        # The actors' bars side by side within the step, a small gap between steps.
        share = (right - left) * 0.86 / len(actors)
        x = left + (right - left) * 0.07 + k * share
        gained = rows["gained_km2"].to_numpy(dtype=float)
        lost = rows["lost_km2"].to_numpy(dtype=float)
        net = rows["net_km2"].to_numpy(dtype=float)
        colour = colours[actor]
        pale = _mixed(colour, 0.45, 0.55)
        many = len(actors) > 1
        ax.bar(
            x,
            gained,
            width=share,
            align="edge",
            color=colour,
            linewidth=0,
            label=f"{actor}: gained" if many else "gained",
            gid=gid("gained", actor),
        )
        ax.bar(
            x,
            -lost,
            width=share,
            align="edge",
            color=pale,
            edgecolor=colour,
            linewidth=0.4,
            label=f"{actor}: lost" if many else "lost",
            gid=gid("lost", actor),
        )
        ax.plot(
            (left + right) / 2,
            net,
            color=_darker(colour),
            linewidth=1.1,
            marker="o",
            markersize=2.2 if len(rows) > 60 else 3.5,
            label=f"{actor}: net" if many else "net",
            gid=gid("net", actor),
        )
        top = max(top, float(gained.max(initial=0)), float(lost.max(initial=0)))
    ax.axhline(0, color="#333333", linewidth=0.8)
    top = top or 1.0
    ax.set_ylim(-top * 1.08, top * 1.08)
    ax.set_ylabel(f"km² per {_step_name(freq)}: gained (+), lost (\u2212)")
    ax.yaxis.set_major_formatter(
        # A true minus sign (U+2212), as in the axis label: a hyphen reads as a dash.
        matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:+,.0f}".replace("-", "\u2212") if v else "0"
        )
    )
    locator = matplotlib.dates.AutoDateLocator(maxticks=9)
    ax.xaxis.set_major_locator(locator)
    dates = matplotlib.dates.ConciseDateFormatter(locator)
    dates.formats[1] = "%b %Y"  # the year on every month tick: a range may start mid-year
    ax.xaxis.set_major_formatter(dates)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    # Bars before lines, in the order drawn: each actor's gained, lost, then net.
    order = sorted(range(len(labels)), key=lambda i: (labels[i].endswith("net"), i))
    headline(
        fig,
        title if title is not None else f"{look.title_of(timeline)}: ground gained and lost",
        look.credit_of(timeline, credit),
    )

    def legend_in(ncol: int) -> Any:
        legend = ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="upper left",
            bbox_to_anchor=(0, -0.1),
            ncol=ncol,
            frameon=False,
            fontsize=8,
        )
        legend.set_gid("legend")
        return legend

    # Each actor's gained, lost and net in a row when the width allows.
    widest = 3 * min(len(actors), 2)
    fit_chart(fig, ax, legend_in, sorted({widest, 3, 2, 1}, reverse=True))
    return fig


def _darker(colour: str) -> str:
    """The colour at 60 % brightness: the net line reads over its own bars."""
    return _mixed(colour, 0.6, 0.0)


def _mixed(colour: str, share: float, white: float) -> str:
    """``share`` of ``colour`` plus ``white`` of white (the lost bars' pale tint).

    Examples
    --------
    >>> _mixed("#ff0000", 0.5, 0.5)
    '#ff8080'
    """
    r, g, b = (share * c + white for c in matplotlib.colors.to_rgb(colour))
    return matplotlib.colors.to_hex((r, g, b))
