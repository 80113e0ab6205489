"""The map of one date: what each actor held, by status."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..._dates import DateLike, parse_date
from ...model import Timeline
from .._basemap import Basemap
from .._style import Style, day_text, held_area, legend_actors, others_label, style_or_default
from ._leaflet import (
    ControlMap,
    base_payload,
    events_payload,
    make_map,
    map_title,
    screen_geometry,
    status_payload,
    text_value,
)
from .timeline import status_rows

__all__ = ["snapshot_map"]


def snapshot_map(
    timeline: Timeline,
    date: DateLike,
    *,
    title: str | None = None,
    credit: str | None = None,
    self_contained: bool = True,
    tiles: Any = None,
    basemap: Basemap | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
    style: Style | None = None,
) -> ControlMap:
    """A map of what each actor held on one date, each status drawn its own way.

    Parameters are as in :func:`controlmap.render.timeline_map`; ``date`` is the day
    shown. The legend gives the km² of the largest actors holding ground on the day
    (at most ``style.legend_actors``, default 10; the rest as one "N others" row)
    and, when the timeline has statuses other than ``control``, each status's km²
    (``Timeline.area(status=...)``).

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import snapshot_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> fmap = snapshot_map(tl, "2017-07-10")
    >>> "10 Jul 2017" in fmap.get_root().render()  # the title names the date
    True
    """
    basemap = Basemap.for_timeline(timeline, basemap)
    day = parse_date(date)
    snap = timeline.at(day)
    look = style_or_default(style)
    colours = look.colours(timeline)
    features = []
    for i, row in enumerate(snap.itertuples(index=False)):
        geometry = screen_geometry(row.geometry)
        if geometry is None:
            continue
        properties: dict[str, Any] = {
            "id": i,
            "actor": str(row.actor),
            "start": f"{day:%Y-%m-%d}",
            "end": None,
            "on": f"{day:%Y-%m-%d}",
            "area_km2": round(float(row.area_km2), 1),
            "color": colours[row.actor],
            "status": text_value(row.status),
        }
        for field in ("source", "confidence"):
            if field in snap.columns:
                properties[field] = text_value(getattr(row, field))
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    payload, extent = base_payload(timeline, basemap, tiles=tiles, credit=credit, style=look)
    # Timeline.area counts ground held under two statuses (control and contested)
    # once; summing the snapshot's rows would count the overlap twice.
    totals = held_area(timeline, [day])
    by_actor = totals.iloc[0] if len(totals) else pd.Series(dtype=float)
    # The largest actors on the day, then the rest in one row; none holding nothing.
    listed, others, others_km2 = legend_actors(by_actor, look.legend_actors)
    actors = [str(a) for a in timeline.actors]
    actor_rows: list[dict[str, Any]] = [
        {
            "key": f"actor:{actors.index(a)}",
            "kind": "actor",
            "actor": a,
            "label": a,
            "color": colours[a],
            "area_km2": float(by_actor.get(a, 0.0)),
        }
        for a in listed
    ]
    if others:
        actor_rows.append(
            {
                "key": "others",
                "kind": "others",
                "label": others_label(others),
                "color": "#bdbdbd",
                "area_km2": others_km2,
            }
        )
    # The legend explains every status of the timeline, held on this day or not.
    statuses, styles = status_payload(timeline._table["status"])
    status_legend, status_km2 = status_rows(timeline, pd.DatetimeIndex([day]), statuses)
    for row, km2 in zip(status_legend, status_km2[0] if status_km2 else [], strict=False):
        row["area_km2"] = float(km2)
    payload.update(
        {
            "mode": "snapshot",
            "features": {"type": "FeatureCollection", "features": features},
            "dates": [f"{day:%Y-%m-%d}"],
            "date": f"{day:%Y-%m-%d}",
            "status_styles": styles,
            "legend": actor_rows + status_legend,
            "events": events_payload(timeline, pd.DatetimeIndex([day]), exact=True),
        }
    )
    return make_map(
        payload,
        extent,
        title=map_title(timeline, title, day_text(day, look), look),
        tiles=tiles,
        self_contained=self_contained,
        width=width,
        height=height,
    )
