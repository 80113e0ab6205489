"""The foreign-fighter flows as a figure for print: proportional circles (matplotlib).

The world in Equal Earth, a region in a Lambert azimuthal equal-area projection; no
tiles. Scale, wording and lines are shared with the web map (see
:mod:`controlmap.render._fighters`).

Examples
--------
>>> from controlmap.render import fighters_figure
>>> fig = fighters_figure(region="europe")   # matplotlib Figure
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._dates import parse_date
from ...datasets.fighters import FIGURES
from .._fighters import (
    COLOURS,
    DEFAULT_TERRITORY_DATE,
    REFERENCE_COUNTS,
    _arcs,
    _country_status,
    _data,
    _draw_order,
    _region_bbox,
    _world,
    conflict_zone,
    credit_of,
    symbol_scale,
)
from .._mpl import plain_text
from .._style import BASE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["fighters_figure"]


def _projection(bbox: tuple[float, float, float, float]) -> str:
    west, south, east, north = bbox
    if east - west > 200:
        return "EPSG:8857"  # Equal Earth: the world with true relative areas
    lon0, lat0 = (west + east) / 2, (south + north) / 2
    return f"+proj=laea +lat_0={lat0:.3f} +lon_0={lon0:.3f} +datum=WGS84 +units=m +no_defs"


@plain_text
def fighters_figure(
    data: pd.DataFrame | None = None,
    *,
    region: str | Sequence[float] | None = "world",
    arcs: bool = False,
    date: Any = None,
    territory: gpd.GeoDataFrame | None = None,
    max_radius: float = 22.0,
    figsize: tuple[float, float] | None = None,
    title: str | None = "Where the Islamic State's foreign fighters came from, and who returned",
    countries: gpd.GeoDataFrame | None = None,
    credit: str | None = None,
) -> Figure:
    """A static map of the two flows for print (matplotlib; no tiles).

    Parameters
    ----------
    data : GeoDataFrame, optional
        The output of :func:`controlmap.datasets.load_fighters` (default: bundled data).
    region : str or (west, south, east, north), default "world"
        A name of :data:`REGIONS` or a box in degrees. The world is drawn in Equal Earth,
        regions in a Lambert azimuthal equal-area projection centred on the box.
    arcs, date, territory :
        As in :func:`fighters_map`.
    max_radius : float, default 22
        Radius in points of the largest figure's circle.
    figsize : (float, float), optional
        Inches; default 11 wide for the world, 9 for regions, as tall as the map needs.
    title : str or None
        Printed above the map.
    countries : GeoDataFrame, optional
        The world base map (default: the bundled Natural Earth 1:110m outlines).
    credit : str, optional
        As in :func:`controlmap.render.fighters_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The symbol collections carry gids ``"departed"``, ``"returned"`` (and
        ``"-other"`` for hollow ones) and the legend circles ``"legend-sizes"``; their
        ``get_sizes()`` are :meth:`SymbolScale.marker_size` of the counts.

    Examples
    --------
    >>> fig = fighters_figure(region="europe")
    >>> fig.symbol_scale.max_radius
    22.0
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    frame = _data(data)
    bbox = _region_bbox(region)
    world_region = bbox[2] - bbox[0] > 200
    crs = _projection(bbox)
    west, south, east, north = bbox
    pad = 0 if world_region else 25
    clip = (
        max(west - pad, -180),
        max(south - pad, -90),
        min(east + pad, 180),
        min(north + pad, 90),
    )

    world = countries if countries is not None else _world()
    status = _country_status(frame, world)
    base = gpd.GeoDataFrame({"status": status}, geometry=world.geometry.values, crs="EPSG:4326")
    base = base.assign(geometry=base.geometry.clip_by_rect(*clip))
    base = base[~base.geometry.is_empty].to_crs(crs)

    # The frame: the box's outline in the projection (densified so curved edges are true).
    frame_box = shapely.segmentize(shapely.box(*bbox), 1.0)
    frame_xy = gpd.GeoSeries([frame_box], crs="EPSG:4326").to_crs(crs).total_bounds
    # Bands in inches: title on top; legends and the credit line below the map, so that
    # no key hides a country. The default height fits the map's own proportions.
    title_in = 0.75 if title else 0.1
    credit_in = 0.38
    strip_in = max(2 * max_radius / 72 + 0.5, 1.1)
    if figsize is None:
        width = 11.0 if world_region else 9.0
        ratio = (frame_xy[3] - frame_xy[1]) / (frame_xy[2] - frame_xy[0])
        size = (width, title_in + credit_in + strip_in + width * float(ratio))
    else:
        size = figsize
    bottom = (credit_in + strip_in) / size[1]
    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)  # a canvas of its own: the user's pyplot backend is left alone
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0.0, bottom, 1.0, 1 - bottom - title_in / size[1]), gid="map")
    ax.set_facecolor(BASE["background"])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)

    colours = {"data": BASE["land"], "none": BASE["land"], "other": BASE["neighbour"]}
    for key, colour in colours.items():
        part = base[base["status"] == key]
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor="#a8a49c", linewidth=0.35, zorder=1)
    unknown = base[base["status"] == "none"]
    if len(unknown):
        unknown.plot(
            ax=ax,
            facecolor="none",
            edgecolor=COLOURS["no_figure"],
            hatch="////",
            linewidth=0.0,
            zorder=1.5,
        )

    ax.set_xlim(frame_xy[0], frame_xy[2])
    ax.set_ylim(frame_xy[1], frame_xy[3])
    ax.set_aspect("equal")
    ax.set_autoscale_on(False)

    arcs_date = None
    if arcs:
        zone, destination = conflict_zone(date, territory)
        arcs_date = str(parse_date(date or DEFAULT_TERRITORY_DATE, what="date").date())
        gpd.GeoSeries(zone.geometry.values, crs="EPSG:4326").to_crs(crs).plot(
            ax=ax, color=COLOURS["territory"], linewidth=0, zorder=3
        )
        largest = float(frame["departed"].max())
        from pyproj import Transformer

        to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        for row, parts in _arcs(frame, destination):
            width = 0.3 + 3.2 * float(row["departed"]) / largest
            style = "--" if row.get("basis_group") == "other" else "-"
            for part in parts:
                lons, lats = zip(*part, strict=True)
                xs, ys = to_map.transform(lons, lats)
                ax.plot(
                    xs,
                    ys,
                    color=COLOURS["departed"],
                    alpha=0.5,
                    linewidth=width,
                    linestyle=style,
                    zorder=2,
                    solid_capstyle="round",
                )

    scale = symbol_scale(frame, max_radius)
    points = gpd.GeoSeries(
        shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)),
        index=frame.index,
        crs="EPSG:4326",
    ).to_crs(crs)
    for order, figure in enumerate(FIGURES):
        rows = _draw_order(frame, figure)
        other = (rows["basis_group"] == "other").to_numpy()
        for hollow in (False, True):
            part = rows[other == hollow]
            if not len(part):
                continue
            xy = points.loc[part.index]
            sizes = scale.marker_size(part[figure].astype(float).to_numpy())
            alpha = 0.6 if figure == "departed" else 0.9
            collection = ax.scatter(
                xy.x,
                xy.y,
                s=sizes,
                facecolors="none" if hollow else COLOURS[figure],
                edgecolors=COLOURS[figure] if hollow else "white",
                linewidths=1.1 if hollow else 0.5,
                linestyles="--" if hollow else "-",
                alpha=1.0 if hollow else alpha,
                zorder=4 + order,
                clip_on=True,
            )
            collection.set_gid(f"{figure}-other" if hollow else figure)

    # Legend of sizes in its own axes below the map: the same scale function, so the
    # reference circles are exactly the size of the data circles they stand for.
    width_in, height_in = size
    lax = fig.add_axes(
        (0.01, credit_in / height_in, 2.4 / width_in, strip_in / height_in), gid="legend-axes"
    )
    lax.set_xlim(0, 2.4)  # axes units are inches: positions in points divide by 72
    lax.set_ylim(0, strip_in)
    lax.axis("off")
    refs = np.asarray(REFERENCE_COUNTS, dtype=float)
    radii_in = scale.radius(refs) / 72
    centre_x = 0.1 + float(radii_in.max())
    legend_sizes = lax.scatter(
        np.full(len(refs), centre_x),
        0.08 + radii_in,
        s=scale.marker_size(refs),
        facecolors="none",
        edgecolors="#444444",
        linewidths=0.8,
        clip_on=False,
    )
    legend_sizes.set_gid("legend-sizes")
    label_x = centre_x + float(radii_in.max()) + 0.12
    for ref, top in zip(refs, 0.08 + 2 * radii_in, strict=True):
        lax.plot([centre_x, label_x - 0.04], [top, top], color="#888888", linewidth=0.5)
        lax.text(label_x, top, f"{int(ref):,}", va="center", fontsize=7.5)
    lax.text(
        0.02, 0.16 + 2 * float(radii_in.max()), "People (circle area)", fontsize=8, va="bottom"
    )

    handles: list[Any] = [
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=COLOURS["departed"],
               markeredgecolor="white", alpha=0.7, label="left for Iraq and Syria"),
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=COLOURS["returned"],
               markeredgecolor="white", label="returned home"),
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor="none",
               markeredgecolor="#444444", label="hollow, dashed: national or research\n"
               "figure, not comparable with the others"),
        Patch(facecolor=BASE["land"], edgecolor=COLOURS["no_figure"], hatch="////",
              label="named in the article, no figure found"),
    ]  # fmt: skip
    if arcs_date is not None:
        handles.append(
            Patch(color=COLOURS["territory"], label=f"Islamic State territory, {arcs_date}")
        )
        handles.append(
            Line2D([], [], color=COLOURS["departed"], linewidth=2, alpha=0.6,
                   label="line width: people who left")
        )  # fmt: skip
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(2.5 / width_in, credit_in / height_in),
        ncol=2,
        fontsize=8,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.5,
    )
    if title:
        fig.text(0.01, 1 - 0.12 / height_in, title, fontsize=13, weight="bold", va="top")
        fig.text(
            0.01,
            1 - 0.42 / height_in,
            "Circle area proportional to the number of people; blue drawn over orange.",
            fontsize=8.5,
            va="top",
            color="#444444",
        )
    # geopandas labels projected axes ("Easting [metre]"); a map needs no axis labels.
    ax.set_xlabel("")
    ax.set_ylabel("")
    credit_text = credit_of(data, credit)
    if credit_text:
        wrapped = textwrap.fill(credit_text, width=int(width_in * 16))
        fig.text(0.01, 0.06 / height_in, wrapped, fontsize=6.5, color="#444444", va="bottom")
    fig.symbol_scale = scale  # type: ignore[attr-defined]
    return fig
