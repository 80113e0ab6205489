"""Check a timeline against dated point observations ("who held this town that day").

An observation is a place, a point, a date and the actor that held the place that day
(empty for "none of the timeline's actors"), optionally with a status. :func:`verify`
answers, for each one, what the timeline says there and then, whether the two agree,
how far the point is from the ground the observation expects, and how many days the
date is from the nearest change of control at that point: a disagreement a few days
from a change is a dating question, one far from any change a drawing question.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from ._dates import parse_date
from .errors import DataError, FormatError, where

if TYPE_CHECKING:
    from .model import Timeline

__all__ = ["read_observations", "verify"]

_GEOD = Geod(ellps="WGS84")
#: The columns :func:`verify` adds to the observations.
RESULT_COLUMNS = [
    "held_by",
    "held_status",
    "agrees",
    "distance_km",
    "nearest_change",
    "days_to_change",
]


def read_observations(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    lon: str = "lon",
    lat: str = "lat",
    date: str = "date",
    actor: str = "actor",
    status: str = "status",
) -> gpd.GeoDataFrame:
    """Read observations from a CSV file, a vector file or a (Geo)DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        A CSV with longitude/latitude columns, any point file GDAL reads, or a frame.
    lon, lat, date, actor, status : str
        Column names. ``actor`` empty means held by none of the timeline's actors;
        ``status`` is optional (empty: any status).

    Returns
    -------
    GeoDataFrame
        The observations with a point geometry in EPSG:4326, ``date`` as Timestamps,
        ``actor`` and ``status`` as text or None.

    Raises
    ------
    DataError
        Naming the file, the row and the problem (no such column, a bad date, a
        coordinate out of range).

    Examples
    --------
    >>> import pandas as pd
    >>> obs = read_observations(pd.DataFrame(
    ...     {"place": ["Raqqa"], "lon": [39.01], "lat": [35.95],
    ...      "date": ["2015-06-01"], "actor": ["Islamic State"]}))
    >>> obs.geometry.iloc[0].x
    39.01
    """
    name = None if isinstance(source, pd.DataFrame) else str(source)
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    elif str(source).lower().endswith((".csv", ".txt")):
        try:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise FormatError(f"{source}: cannot read as CSV: {exc}") from None
    else:
        try:
            frame = gpd.read_file(source)
        except Exception as exc:  # GDAL's errors are of many types
            raise FormatError(f"{source}: cannot read: {' '.join(str(exc).split())}") from None
    has_points = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame
    missing = [c for c in ([date] if has_points else [lon, lat, date]) if c not in frame]
    if missing:
        raise DataError(
            f"{where(name)}: no column {missing[0]!r}; columns are {list(frame.columns)[:20]}"
        )
    if has_points:
        located = cast(gpd.GeoDataFrame, frame)
        located = located.to_crs(4326) if located.crs is not None else located.set_crs(4326)
        kinds = located.geom_type
        if not (kinds == "Point").all():
            i = int(np.flatnonzero(kinds != "Point")[0])
            raise DataError(f"{where(name, i)}: observations must be points, not {kinds.iloc[i]}")
        points = located.geometry.to_numpy()
        frame = pd.DataFrame(located.drop(columns=located.geometry.name))
    else:
        xs = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
        ys = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(xs) & np.isfinite(ys) & (np.abs(xs) <= 180) & (np.abs(ys) <= 90))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where(name, i)}: {lon}/{lat} {frame[lon].iloc[i]!r}, {frame[lat].iloc[i]!r} "
                "is not a longitude/latitude"
            )
        points = shapely.points(xs, ys)
    dates = []
    for i, value in enumerate(frame[date]):
        try:
            dates.append(parse_date(value, what=date))
        except DataError as exc:
            raise type(exc)(f"{where(name, i)}: {exc}") from None
    out = gpd.GeoDataFrame(frame, geometry=points, crs=4326)
    out["date"] = pd.DatetimeIndex(dates)
    # Object columns: under pandas 3 a text column would turn None into NaN.
    for column, name_in in (("actor", actor), ("status", status)):
        values = _text_or_none(frame[name_in]) if name_in in frame else [None] * len(frame)
        out[column] = pd.Series(values, index=out.index, dtype=object)
    return out.reset_index(drop=True)


def _text_or_none(values: Iterable[Any]) -> list[str | None]:
    out: list[str | None] = []
    for v in values:
        blank = v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""
        out.append(None if blank else str(v).strip())
    return out


def verify(timeline: Timeline, observations: Any, **columns: str) -> gpd.GeoDataFrame:
    """Compare a timeline with dated point observations.

    Parameters
    ----------
    timeline : Timeline
        The timeline to check.
    observations : path or DataFrame
        Observations as :func:`read_observations` reads them: a point, a ``date``,
        the ``actor`` holding the point that day (empty: none of the timeline's
        actors) and optionally a ``status``.
    **columns
        Column names passed to :func:`read_observations` (``lon=``, ``actor=``...).

    Returns
    -------
    GeoDataFrame
        The observations with ``held_by`` and ``held_status`` (what the timeline
        holds at the point that day, ``"; "``-joined when several, None when
        nothing), ``agrees``, ``distance_km`` (geodesic distance from the point to the
        nearest ground that day of the observation's actor and status, or of any actor
        when the observation names none; 0 inside it, NaN when there is none),
        ``nearest_change`` (the change of control at the point nearest the date) and
        ``days_to_change`` (signed: negative when that change came before the date).

    Examples
    --------
    >>> import controlmap, pandas as pd
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> obs = pd.DataFrame({"place": ["Baghdad", "Raqqa"], "lon": [44.40, 39.01],
    ...                     "lat": [33.34, 35.95], "date": ["2015-06-01"] * 2,
    ...                     "actor": ["", "Islamic State"]})
    >>> tl.verify(obs)["agrees"].tolist()
    [True, True]
    """
    obs = read_observations(observations, **columns)
    periods = timeline.periods
    geoms = np.asarray(timeline._geoms, dtype=object)
    starts = periods["start"].to_numpy()
    ends = periods["end"].to_numpy()
    actors = periods["actor"].astype(str).to_numpy()
    statuses = periods["status"].astype(str).to_numpy()
    # Every (observation, period) pair whose geometry covers the point, whatever the date.
    pairs = shapely.STRtree(geoms).query(obs.geometry.to_numpy(), predicate="intersects")
    covering: list[list[int]] = [[] for _ in range(len(obs))]
    for o, p in zip(*pairs, strict=True):
        covering[int(o)].append(int(p))

    held_by, held_status, agrees, distance, nearest, days = [], [], [], [], [], []
    for i, row in enumerate(obs.itertuples(index=False)):
        day = np.datetime64(row.date)
        here = np.array(covering[i], dtype=int)
        active = here[(starts[here] <= day) & (pd.isna(ends[here]) | (ends[here] > day))]
        who = sorted(set(actors[active]))
        held_by.append("; ".join(who) if who else None)
        held_status.append("; ".join(sorted(set(statuses[active]))) if who else None)
        expected, status = row.actor, row.status
        if expected is None:
            ok = not who
            wanted = _active_mask(starts, ends, day)
        else:
            match = actors[active] == expected
            if status is not None:
                match &= statuses[active] == status
            ok = bool(match.any())
            wanted = _active_mask(starts, ends, day) & (actors == expected)
            if status is not None:
                wanted &= statuses == status
        agrees.append(ok)
        distance.append(_distance_km(row.geometry, geoms[wanted]))
        change, delta = _nearest_change(starts[here], ends[here], day)
        nearest.append(change)
        days.append(delta)
    out = obs.copy()
    out["held_by"] = pd.Series(held_by, index=out.index, dtype=object)
    out["held_status"] = pd.Series(held_status, index=out.index, dtype=object)
    out["agrees"] = np.array(agrees, dtype=bool)
    out["distance_km"] = np.array(distance, dtype=float)
    out["nearest_change"] = pd.DatetimeIndex(nearest)
    out["days_to_change"] = pd.array(days, dtype="Int64")
    return out


def _active_mask(starts: np.ndarray, ends: np.ndarray, day: np.datetime64) -> np.ndarray:
    return (starts <= day) & (pd.isna(ends) | (ends > day))


def _distance_km(point: shapely.Point, geoms: np.ndarray) -> float:
    """Geodesic km from ``point`` to the nearest of ``geoms`` (0 inside, NaN if none).

    The nearest point is found in longitude/latitude and the distance to it measured on
    the WGS84 ellipsoid: exact enough for the tens of kilometres this is read at.
    """
    geoms = geoms[~shapely.is_empty(geoms)]
    if len(geoms) == 0:
        return float("nan")
    # The distance to a union is the least distance to its parts: no union needed.
    planar = shapely.distance(point, geoms)
    nearest = geoms[int(np.argmin(planar))]
    if planar.min() == 0.0:
        return 0.0
    line = shapely.shortest_line(point, nearest)
    (x0, y0), (x1, y1) = line.coords
    return float(_GEOD.inv(x0, y0, x1, y1)[2]) / 1000.0


def _nearest_change(
    starts: np.ndarray, ends: np.ndarray, day: np.datetime64
) -> tuple[pd.Timestamp | None, int | None]:
    """The change date at a point nearest ``day`` and the signed days to it."""
    changes = np.concatenate([starts, ends[~pd.isna(ends)]]).astype("datetime64[D]")
    if len(changes) == 0:
        return None, None
    deltas = (changes - day.astype("datetime64[D]")).astype(int)
    k = int(np.argmin(np.abs(deltas)))
    return pd.Timestamp(changes[k]), int(deltas[k])
