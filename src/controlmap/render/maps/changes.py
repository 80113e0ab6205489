"""The map of the ground each actor gained and lost between two dates."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..._dates import DateLike, parse_date
from ...errors import DataError
from ...model import Timeline
from .._basemap import Basemap
from .._changes import change_layers
from .._style import (
    CHANGE_COLOURS,
    Style,
    change_label,
    changes_title,
    legend_actors,
    others_label,
    style_or_default,
)
from ._leaflet import (
    ControlMap,
    base_payload,
    make_map,
    map_title,
    screen_geometry,
    status_payload,
)

__all__ = ["changes_map"]


def changes_map(
    timeline: Timeline,
    start: DateLike,
    end: DateLike,
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
    """A map of the ground each actor gained and lost between two dates.

    Gained and lost ground are drawn in two colours (see
    :data:`controlmap.render._style.CHANGE_COLOURS`), kept ground in the actor's;
    each is drawn in the style of its status (lost ground: its status on ``start``;
    kept and gained ground: on ``end``). The legend gives each layer's km², for the
    third of ``style.legend_actors`` actors with the most ground changing hands (the
    rest as one row). Other parameters are as in :func:`controlmap.render.timeline_map`.

    Examples
    --------
    >>> import controlmap
    >>> from controlmap.render import changes_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> fmap = changes_map(tl, "2015-01-01", "2018-02-01")
    >>> type(fmap).__name__
    'ControlMap'
    """
    basemap = Basemap.for_timeline(timeline, basemap)
    first, last = parse_date(start, what="start"), parse_date(end, what="end")
    if last <= first:
        raise DataError(f"changes map: end {last:%Y-%m-%d} is not after start {first:%Y-%m-%d}")
    frame = change_layers(timeline, first, last)
    multi = len(timeline.actors) > 1
    look = style_or_default(style)
    colours = look.colours(timeline)
    _, styles = status_payload(timeline._table["status"])
    # A status is named in the legend only when the timeline has more than control.
    plain = set(styles) == {"control"}
    features = []
    legend = []
    for i, row in enumerate(frame.itertuples(index=False)):
        colour = CHANGE_COLOURS.get(row.change) or colours[row.actor]
        label = change_label(str(row.actor), row.change, multi)
        if not plain:
            label = f"{label} ({row.status})"
        geometry = screen_geometry(row.geometry)
        if geometry is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "id": i,
                        "actor": str(row.actor),
                        "change": str(row.change),
                        "status": str(row.status),
                        "label": label,
                        "start": f"{first:%Y-%m-%d}",
                        "end": f"{last:%Y-%m-%d}",
                        "area_km2": round(float(row.area_km2), 1),
                        "color": colour,
                    },
                    "geometry": geometry,
                }
            )
        legend.append(
            {
                "key": f"change:{i}",
                "label": label,
                "color": colour,
                "status": str(row.status),
                "area_km2": float(row.area_km2),
            }
        )
    legend = _fewer_rows(legend, frame, max(1, look.legend_actors // 3))
    payload, extent = base_payload(timeline, basemap, tiles=tiles, credit=credit, style=look)
    payload.update(
        {
            "mode": "changes",
            "features": {"type": "FeatureCollection", "features": features},
            "dates": [],
            "date": f"{last:%Y-%m-%d}",
            "start": f"{first:%Y-%m-%d}",
            "end": f"{last:%Y-%m-%d}",
            "status_styles": styles,
            "legend": legend,
            "events": [],
        }
    )
    return make_map(
        payload,
        extent,
        title=map_title(timeline, title, changes_title(first, last, look), look),
        tiles=tiles,
        self_contained=self_contained,
        width=width,
        height=height,
    )


def _fewer_rows(legend: list[dict[str, Any]], frame: Any, limit: int) -> list[dict[str, Any]]:
    """The legend rows of the ``limit`` actors with the most ground changing hands.

    The rest are one "N others" row (their layers' km² summed).
    """
    actors = [str(a) for a in frame["actor"]]
    # Ranked by ground gained and lost (kept ground only breaks ties).
    changed = [
        row["area_km2"] * (1 if c != "kept" else 1e-6)
        for row, c in zip(legend, frame["change"], strict=True)
    ]
    by_actor = pd.Series(changed, dtype=float).groupby(actors, sort=False).sum()
    listed, others, _ = legend_actors(by_actor, limit)
    km2 = sum(
        row["area_km2"] for row, actor in zip(legend, actors, strict=True) if actor not in listed
    )
    keep = set(listed)
    rows = [row for row, actor in zip(legend, actors, strict=True) if actor in keep]
    if others:
        rows.append(
            {"key": "others", "kind": "others", "label": others_label(others),
             "color": "#bdbdbd", "area_km2": km2}
        )  # fmt: skip
    return rows
