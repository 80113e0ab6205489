"""The changes figure: one map of the ground gained, lost and kept between two dates."""

from __future__ import annotations

from typing import Any

import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..._dates import DateLike, parse_date
from ...errors import DataError
from ...model import Timeline
from .._basemap import Basemap
from .._changes import change_layers
from .._mpl import plain_text
from .._style import (
    CHANGE_COLOURS,
    Style,
    change_label,
    changes_title,
    legend_actors,
    others_label,
    status_order,
    status_styles,
    style_or_default,
)
from ._draw import STATIC_TOLERANCE, Frame, add_polygons, gid, ground_style, paths, status_handle

__all__ = ["changes_figure"]

#: Opacity of solid ground.
ALPHA = 0.8


@plain_text
def changes_figure(
    timeline: Timeline,
    start: DateLike,
    end: DateLike,
    *,
    width: float = 7.5,
    title: str | None = None,
    credit: str | None = None,
    style: Style | None = None,
    basemap: Basemap | None = None,
) -> Figure:
    """One map of the ground gained and lost between two dates, and what was still held.

    Each layer is drawn in the style of its status (lost ground: its status on
    ``start``; kept and gained ground: on ``end``), with its km² in the legend.
    ``title``, ``credit`` and ``basemap`` are as in
    :func:`controlmap.render.small_multiples`; the layers' collections carry gids
    ``change:<actor>:<change>:<status>``.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import changes_figure
    >>> fig = changes_figure(controlmap.load_dataset("islamic-state"), "2015-01-01", "2018-02-01")
    >>> len(fig.axes)  # the map and its locator inset
    2
    """
    first, last = parse_date(start, what="start"), parse_date(end, what="end")
    if last <= first:
        raise DataError(f"changes figure: end {last:%Y-%m-%d} is not after start {first:%Y-%m-%d}")
    basemap = Basemap.for_timeline(timeline, basemap)
    frame = Frame(timeline, basemap)
    layers = change_layers(timeline, first, last)
    colours = style_or_default(style).colours(timeline)
    multi = len(timeline.actors) > 1
    styles = status_styles(status_order(timeline._table["status"]))
    plain = set(styles) == {"control"}
    map_h = width * frame.aspect
    header, footer = 0.7, 0.35
    fig = Figure(figsize=(width, map_h + header + footer))
    FigureCanvasAgg(fig)
    height = map_h + header + footer
    ax = fig.add_axes((0, footer / height, 1, map_h / height))
    frame.draw(ax)
    handles = []
    # The legend names the actors with the most ground changing hands (up to three
    # layers each: kept, gained, lost), the rest in one "N others" row.
    look = style_or_default(style)
    listed, others, _ = legend_actors(_changed_km2(layers), max(1, look.legend_actors // 3))
    for row in layers.itertuples(index=False):
        label = change_label(str(row.actor), row.change, multi)
        if not plain:
            label = f"{label} ({row.status})"
        colour = CHANGE_COLOURS.get(row.change) or colours[row.actor]
        geom, area = row.geometry, float(row.area_km2)
        drawn_as = styles[str(row.status)]
        add_polygons(
            ax,
            paths([shapely.simplify(geom, STATIC_TOLERANCE / 2)]),
            **ground_style(colour, drawn_as, alpha=ALPHA),
            zorder=3,
            gid=gid("change", row.actor, row.change, row.status),
        )
        if str(row.actor) in listed:
            handles.append(
                status_handle(f"{label}: {area:,.0f} km²", colour, drawn_as, alpha=ALPHA)
            )
    if others:
        rest = layers.loc[~layers["actor"].astype(str).isin(listed), "area_km2"].sum()
        handles.append(
            Patch(facecolor="#bdbdbd", edgecolor="#bdbdbd", alpha=ALPHA,
                  label=f"{others_label(others)}: {float(rest):,.0f} km²")
        )  # fmt: skip
    frame.draw_countries(ax, font_size=8)
    frame.draw_places(ax, font_size=8)
    # Where the map is: a small locator in the top corner, away from the legend.
    # A map of a continent or the world needs none (its locator would be a dot).
    west, _, east, _ = frame.extent
    if east - west < 60:
        inset_h = 0.19 * width / height
        frame.draw_locator(fig, (0.8, (footer + map_h) / height - inset_h - 0.012, 0.19, inset_h))
    fig.suptitle(
        title
        if title is not None
        else f"{style_or_default(style).title_of(timeline)}\n{changes_title(first, last)}",
        x=0.02,
        y=1 - 0.08 / height,
        ha="left",
        va="top",
        fontsize=11,
        fontweight="bold",
    )
    # The legend on the map, beside the ground it explains, where the map's data
    # leaves room (the south-west desert of a map framed on the data).
    legend = ax.legend(handles=handles, loc="best", frameon=True, framealpha=0.92, fontsize=8)
    legend.set_gid("legend")
    credit_text = style_or_default(style).credit_of(timeline, credit)
    if credit_text:
        fig.text(0.02, 0.1 / height, credit_text, fontsize=6, color="#555555", wrap=True)
    return fig


def _changed_km2(layers: Any) -> Any:
    """km² gained and lost per actor (kept ground counts only for an actor with no change)."""
    changed = layers["change"].astype(str) != "kept"
    weight = layers["area_km2"].astype(float).where(changed, layers["area_km2"] * 1e-6)
    return weight.groupby(layers["actor"].astype(str), sort=False).sum()
