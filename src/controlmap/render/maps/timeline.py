"""The time-slider map: every change date of a timeline on one web page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from ..._dates import DateLike, parse_date
from ...model import Timeline
from .._basemap import Basemap
from .._style import Style, held_area, style_or_default
from ._leaflet import (
    DECIMALS,
    TEXT_FIELDS,
    ControlMap,
    FeatureTexts,
    base_payload,
    encoded_geometry,
    events_payload,
    iso_date,
    make_map,
    map_title,
    status_payload,
    text_value,
)

__all__ = ["timeline_map"]


def status_rows(
    timeline: Timeline, dates: pd.DatetimeIndex, statuses: list[str]
) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """Legend rows of the statuses and their km² (all actors) on each of ``dates``.

    None when the timeline has only the default status: its legend is the actors'.
    """
    if statuses == ["control"]:
        return [], []
    columns = [timeline.area(dates, status=s).sum(axis=1).to_numpy(dtype=float) for s in statuses]
    km2 = np.round(np.column_stack(columns)).astype(int).tolist() if columns else []
    rows = [
        {"key": f"status:{k}", "label": s, "status": s, "kind": "status"}
        for k, s in enumerate(statuses)
    ]
    return rows, km2


def _features(timeline: Timeline) -> Iterator[dict[str, Any]]:
    """Each period with a shape on the page as a feature: its encoded geometry and text."""
    periods = timeline._table
    area = timeline.period_area_km2
    fields = [field for field in TEXT_FIELDS if field in periods.columns]
    # The user's geometry a slice at a time: the page never needs every polygon at once.
    for rows, shapes in timeline._given.slices():
        part = periods.iloc[rows[0] : rows[-1] + 1].itertuples(index=False)
        for i, row, shape in zip(rows.tolist(), part, shapes, strict=True):
            geometry = encoded_geometry(shape)
            if geometry is not None:
                yield _feature(i, row, geometry, area[i], fields)


def _feature(i: int, row: Any, geometry: str, area: float, fields: list[str]) -> dict[str, Any]:
    """One period's page feature: its encoded geometry, dates, km² and text fields."""
    properties: dict[str, Any] = {
        "id": i,
        "actor": str(row.actor),
        "start": iso_date(row.start),
        "end": iso_date(row.end),
        "area_km2": round(float(area), 1),
    }
    for field in fields:
        properties[field] = text_value(getattr(row, field))
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def timeline_map(
    timeline: Timeline,
    *,
    date: DateLike | None = None,
    title: str | None = None,
    credit: str | None = None,
    self_contained: bool = True,
    tiles: Any = None,
    basemap: Basemap | None = None,
    interval_ms: int = 600,
    width: str | int = "100%",
    height: str | int = "100%",
    style: Style | None = None,
) -> ControlMap:
    """A map with a time slider over every change date of a timeline.

    The slider has a time axis (year ticks, first and last date) and steps with
    the arrow keys; the space bar plays. The latest event stays shown until the
    next. ``page.html#2017-07-10`` opens on that date (the change in force then),
    and the hash follows the slider, so an article can link to a moment. Place
    and country labels that would overlap each other or the panels are hidden,
    the less important first. Inside an iframe the page tells its parent the
    height it wants (see ``docs/maps.md``).

    Each status is drawn its own way (control solid, contested hatched, support a
    light fill; other statuses in further patterns) and has a legend row with its
    km² on the date shown. The legend lists the actors holding ground on the date
    shown, the largest first, at most ``style.legend_actors`` (default 10) of them;
    the rest are one "N others" row with their km². Each actor keeps one colour
    in every map and figure of the timeline (see :meth:`Style.colours`).

    Parameters
    ----------
    timeline : Timeline
    date : date, optional
        The date shown when the page opens (default: the date of the largest
        total area).
    title : str, optional
        Shown in the legend and as the page title (default: ``timeline.attrs["title"]``,
        else the timeline's name).
    credit : str, optional
        The credit line (default: ``timeline.attrs["credit"]``, else none).
    self_contained : bool, default True
        Inline Leaflet and its images so the page needs no network; False links
        Leaflet from a CDN (a smaller file that needs the network).
    tiles : str or folium.TileLayer, optional
        A tile layer under the outlines (default none: the map is drawn from the
        bundled outlines and needs no tile server).
    basemap : Basemap, optional
        Outlines and places to draw (default: the base map ``timeline.attrs`` names,
        else a neutral one fitted to the data; see :meth:`Basemap.for_timeline`).
    interval_ms : int
        Milliseconds per step when playing.
    width, height : str or int
        Size of the map element.
    style : Style, optional
        Fonts, colours, date format, title and credit (default: controlmap's).

    Returns
    -------
    ControlMap
        A ``folium.Map``; :func:`controlmap.render.save` writes the page.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import timeline_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> page = timeline_map(tl).get_root().render()
    >>> "cdn.jsdelivr" in page
    False
    """
    basemap = Basemap.for_timeline(timeline, basemap)
    dates = timeline.change_dates
    areas = held_area(timeline, dates)
    total = areas.sum(axis=1)
    shown = parse_date(date) if date is not None else dates[int(np.argmax(total.to_numpy()))]
    if shown not in dates:
        # Snap to the change date in force on the day asked for.
        earlier = dates[dates <= shown]
        shown = earlier[-1] if len(earlier) else dates[0]
    look = style_or_default(style)
    colours = look.colours(timeline)
    periods = timeline._table
    features = FeatureTexts(lambda: _features(timeline))
    payload, extent = base_payload(timeline, basemap, tiles=tiles, credit=credit, style=look)
    actors = [str(a) for a in areas.columns]
    statuses, styles = status_payload(periods["status"])
    status_legend, status_km2 = status_rows(timeline, dates, statuses)
    payload.update(
        {
            "mode": "timeline",
            # Geometries are compact text (see encoded_geometry): integers of 1/grid degrees.
            "grid": 10**DECIMALS,
            "features": {"type": "FeatureCollection", "features": features},
            "dates": [f"{d:%Y-%m-%d}" for d in dates],
            "date": f"{shown:%Y-%m-%d}",
            "areas": {
                "actors": actors,
                "km2": np.round(areas.to_numpy(dtype=float)).astype(int).tolist(),
                "colours": [colours[a] for a in actors],
                "statuses": statuses if status_legend else [],
                "status_km2": status_km2,
            },
            # Each actor's colour once, not in every piece (an archive has thousands).
            "actor_colours": [[str(a), colours[a]] for a in timeline.actors],
            "status_styles": styles,
            # The actor rows are the page's to choose on each date (the largest
            # style.legend_actors holding ground, the rest summed in one row).
            "legend": status_legend,
            "events": events_payload(timeline),
            "interval": int(interval_ms),
        }
    )
    return make_map(
        payload,
        extent,
        title=map_title(timeline, title, "", look),
        tiles=tiles,
        self_contained=self_contained,
        width=width,
        height=height,
    )
