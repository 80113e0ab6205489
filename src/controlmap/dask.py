"""The dask engine: a partitioned timeline's questions answered file by file.

Each file of a partitioned folder (:mod:`controlmap.partition`) is a self-contained
piece of the archive: one year, one tile (and one actor when so partitioned), with
every period of an actor that overlaps another of its periods in the same file. So
each question is asked of each file's own :class:`~controlmap.Timeline` with the
single-machine code (``Timeline.area``, ``Timeline.changes``, ``Timeline.at``), one
dask task per file, and the answers are added up:

- ``area``: each date is answered by the files of its year; the areas of the tiles
  (and actors) add up, and each period is measured whole, as on one machine.
- ``change_series``: ground gained and lost between consecutive dates, per file
  (reading the files of the two years concerned), added up; only the periods that
  begin or end between two dates are dissolved, with the ground they meet.

Each file's task returns a small table (dates by actors), and the tables are added in
a tree, a few at a time: no task sees the whole archive.
- ``at``: the snapshot of each file of the date's year, dissolved across files.

The code builds a dask graph and computes it with the scheduler in force: a
``dask.distributed`` client if one was made (a ``LocalCluster`` or a cluster
elsewhere), else dask's default. Pass ``scheduler="synchronous"`` to run in the
calling thread.

Examples
--------
>>> import controlmap, tempfile, pathlib
>>> tl = controlmap.load_dataset("islamic-state")
>>> lazy = controlmap.read(tl.to_file(pathlib.Path(tempfile.mkdtemp()) / "is",
...                                   partition_by=["year", "tile"], tile_degrees=2))
>>> days = ["2015-06-01", "2017-06-01"]
>>> got = area(lazy, days, scheduler="synchronous")
>>> want = tl.area(days)
>>> bool(((got - want).abs() <= 1e-9 * want.abs().max().max()).all().all())
True
"""

from __future__ import annotations

import importlib
import itertools
import os
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._dates import DATE_DTYPE, DateLike, parse_date
from ._dissolve import DEFAULT_MIN_HOLE_KM2, check_km2, summarise_sources, tidy_rows
from ._extras import missing_extra
from .errors import DataError, some
from .geodesic import geodesic_area_km2
from .model import Timeline, asked_dates
from .partition import Part, PartitionedTimeline, read_part
from .periods import _polygonal, normalize_periods
from .union import union

__all__ = ["area", "at", "change_series", "require"]

Source = Timeline | PartitionedTimeline | str | os.PathLike[str]
CHANGE_COLUMNS = ["start", "end", "actor", "change", "area_km2"]
SLIVER_KM2 = 1e-6  # as Timeline.changes: under a square metre is no change of control


def require(module: str) -> ModuleType:
    """Import an optional dependency, or raise :class:`~controlmap.MissingExtraError`.

    Examples
    --------
    >>> require("dask").__name__
    'dask'
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise missing_extra("controlmap's dask engine", exc.name or module, "dask") from None


def _lazy(source: Source) -> PartitionedTimeline | Timeline:
    if isinstance(source, Timeline | PartitionedTimeline):
        return source
    return PartitionedTimeline(source)


# ---------------------------------------------------------------------------- area
def area(
    source: Source,
    dates: Iterable[DateLike] | pd.DatetimeIndex | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    freq: str | None = None,
    status: str | Iterable[str] | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Geodesic area held by each actor over time, computed file by file.

    Parameters
    ----------
    source : PartitionedTimeline, path of a partitioned folder, or Timeline
        A :class:`~controlmap.Timeline` is answered on this machine (same result).
    dates, start, end, freq, status
        As in :meth:`controlmap.Timeline.area`.
    scheduler : optional
        Passed to :func:`dask.compute` (default: the distributed client in force, if
        any, else dask's default scheduler).

    Returns
    -------
    DataFrame
        As :meth:`Timeline.area`, with the actor columns in sorted order.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> area(tl, ["2015-01-01"]).columns.tolist()
    ['Islamic State']
    """
    lazy = _lazy(source)
    if isinstance(lazy, Timeline):
        table = lazy.area(dates, start=start, end=end, freq=freq, status=status)
        return table.reindex(columns=sorted(table.columns))
    dask = require("dask")
    asked = _asked(lazy, dates, start, end, freq)
    actors = _actors(lazy, status)
    (total,) = dask.compute(_area_graph(lazy, asked, _wanted(status)), scheduler=scheduler)
    table = total.reindex(index=asked, columns=actors, fill_value=0.0).astype(float)
    table.index = pd.DatetimeIndex(asked, name="date")
    table.columns = pd.Index(actors, name="actor")
    return table


def _area_graph(
    lazy: PartitionedTimeline, asked: pd.DatetimeIndex, wanted: list[str] | None
) -> Any:
    """The dask graph of :func:`area`: one task per file, then a tree of sums."""
    dask = require("dask")
    tasks = []
    for part in lazy.parts:
        inside = asked[_in_year(asked, part.year, lazy)]
        if len(inside):
            tasks.append(dask.delayed(_part_area)(part, inside, wanted))
    return _tree(dask, tasks, _add_tables)


def _part_area(part: Part, dates: pd.DatetimeIndex, wanted: list[str] | None) -> pd.DataFrame:
    local = _part_timeline([part], (dates[0], dates[-1]), wanted)
    if local is None:
        return pd.DataFrame(index=dates)
    return local.area(dates)


def _add_tables(*tables: pd.DataFrame) -> pd.DataFrame:
    # Missing columns (actors absent from a file) are NaN in the concatenation; a
    # sum skips them, which counts them as nothing held.
    return pd.concat(tables, axis=0).groupby(level=0, sort=True).sum()


# ---------------------------------------------------------------------------- changes
def change_series(
    source: Source,
    dates: Iterable[DateLike] | pd.DatetimeIndex | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    freq: str | None = None,
    status: str | Iterable[str] | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Area each actor gained and lost between each date and the next.

    Parameters
    ----------
    source : PartitionedTimeline, path of a partitioned folder, or Timeline
    dates, start, end, freq, status
        The dates, as in :meth:`controlmap.Timeline.area` (e.g. ``freq="W"``).
    scheduler : optional
        As in :func:`area`.

    Returns
    -------
    DataFrame
        Columns ``start``, ``end``, ``actor``, ``change`` (``"gained"``/``"lost"``)
        and ``area_km2``: the rows of :meth:`Timeline.changes` for each consecutive
        pair of dates without their geometry, sorted by ``start``, ``actor``,
        ``change``.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> series = change_series(tl, ["2015-01-01", "2016-01-01", "2017-01-01"])
    >>> sorted(set(series.change))
    ['gained', 'lost']
    """
    lazy = _lazy(source)
    if isinstance(lazy, Timeline):
        asked = lazy._dates_for(dates, start, end, freq)
        lazy._status_mask(status)  # the same error for a status matching nothing
        local = _part_timeline_of(lazy, _wanted(status))
        return _finish_changes([] if local is None else [_held_changes(local, asked)])
    dask = require("dask")
    asked = _asked(lazy, dates, start, end, freq)
    _actors(lazy, status)
    graph = _changes_graph(lazy, asked, _wanted(status))
    (total,) = dask.compute(graph, scheduler=scheduler)
    return _finish_changes([total])


def _changes_graph(
    lazy: PartitionedTimeline, asked: pd.DatetimeIndex, wanted: list[str] | None
) -> Any:
    """The dask graph of :func:`change_series`.

    One task per place and year of first dates, then a tree of sums.
    """
    dask = require("dask")
    tasks = []
    spaces: dict[tuple[str, ...], dict[int, Part]] = {}
    for part in lazy.parts:
        spaces.setdefault(part.space, {})[part.year] = part
    years = np.array([_year(lazy, d) for d in asked])
    for by_year in spaces.values():
        # One task per year of first dates: it reads that year's file and the next
        # date's (the files of one place in two years join without overlap).
        for year in np.unique(years[:-1]) if len(asked) > 1 else []:
            index = np.flatnonzero(years[:-1] == year)
            chunk = asked[np.append(index, index[-1] + 1)]
            needed = {years[i] for i in (*index, index[-1] + 1)}
            parts = [by_year[y] for y in sorted(needed) if y in by_year]
            if parts:
                tasks.append(dask.delayed(_part_changes)(parts, chunk, wanted))
    return _tree(dask, tasks, _add_changes)


def _part_changes(
    parts: list[Part], dates: pd.DatetimeIndex, wanted: list[str] | None
) -> pd.DataFrame:
    local = _part_timeline(parts, (dates[0], dates[-1]), wanted)
    if local is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    return _held_changes(local, dates)


def _held_changes(timeline: Timeline, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The areas ``Timeline.changes`` gives for each consecutive pair of dates.

    Only the periods that begin or end between two dates are dissolved, not all the
    ground held: what an actor gained is the ground of its periods active on the
    second date and not the first, less what it held on the first date there (its
    periods near them); what it lost, the other way round. The same region as
    differencing the two dates' dissolved ground, so the same area (the measure is
    additive: the other vertices a smaller overlay leaves do not move it).
    """
    geoms = timeline._geoms
    tree = shapely.STRtree(geoms)
    owner = timeline.periods["actor"].to_numpy()
    active = [timeline._active(day) for day in dates]
    rows = []
    for (a, before), (b, after) in itertools.pairwise(zip(dates, active, strict=True)):
        for who in timeline.actors:
            mine = owner == who
            old, new = before & mine, after & mine
            for change, moved, other in (("gained", new & ~old, old), ("lost", old & ~new, new)):
                if not moved.any():
                    continue
                index = np.flatnonzero(moved)
                region = union(geoms[index])
                # Period by period: the box of the whole region would take them all.
                mover, near = tree.query(geoms[index], predicate="intersects")
                pick = other[near]
                mover, near = index[mover[pick]], near[pick]
                # Neighbours that only touch (cells of a grid) take nothing away.
                near = np.unique(near[~shapely.touches(geoms[mover], geoms[near])])
                raw = shapely.difference(region, union(geoms[near])) if len(near) else region
                geom = _polygonal(raw)
                if not shapely.is_empty(geom):
                    rows.append((a, b, who, change, geom))
    if not rows:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    table = pd.DataFrame(rows, columns=[*CHANGE_COLUMNS[:-1], "geometry"])
    table["area_km2"] = geodesic_area_km2(table.pop("geometry").to_numpy())
    return table.loc[table["area_km2"] >= SLIVER_KM2]


def _add_changes(*frames: pd.DataFrame) -> pd.DataFrame:
    # Each file's gains and losses of one actor between two dates are disjoint from
    # the other files' (their ground never overlaps), so their areas add up.
    frames = tuple(f for f in frames if len(f))
    if not frames:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    table = pd.concat(frames, ignore_index=True)[CHANGE_COLUMNS]
    keys = ["start", "end", "actor", "change"]
    return table.groupby(keys, as_index=False, sort=False).agg(area_km2=("area_km2", "sum"))


def _finish_changes(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        empty = pd.DataFrame(columns=CHANGE_COLUMNS)
        return empty.astype({"start": DATE_DTYPE, "end": DATE_DTYPE, "area_km2": float})
    table = pd.concat(frames, ignore_index=True)[CHANGE_COLUMNS]
    table = table.groupby(["start", "end", "actor", "change"], as_index=False, sort=True).agg(
        area_km2=("area_km2", "sum")
    )
    table = table.loc[table["area_km2"] >= SLIVER_KM2].reset_index(drop=True)
    for column in ("start", "end"):
        table[column] = table[column].astype("datetime64[s]")
    return table


# ---------------------------------------------------------------------------- at
def at(
    source: Source,
    date: DateLike,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    scheduler: Any = None,
    min_hole_km2: float = DEFAULT_MIN_HOLE_KM2,
    min_part_km2: float = 0.0,
) -> gpd.GeoDataFrame:
    """What each actor held on ``date``: one dissolved row per actor and status.

    Parameters
    ----------
    source : PartitionedTimeline, path of a partitioned folder, or Timeline
    date : date
    bbox : (minx, miny, maxx, maxy), optional
        Only periods whose bounding box meets this window are read (whole, not
        clipped); files and row groups outside it are skipped unread.
    scheduler : optional
        As in :func:`area`.
    min_hole_km2, min_part_km2 : float
        As in :meth:`Timeline.at`: applied once the partitions' rows are merged.

    Returns
    -------
    GeoDataFrame
        As :meth:`Timeline.at`, rows sorted by actor and status.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> sorted(at(tl, "2015-05-25").status)
    ['contested', 'control', 'support']
    """
    holes = check_km2("min_hole_km2", min_hole_km2)
    parts = check_km2("min_part_km2", min_part_km2)
    lazy = _lazy(source)
    day = parse_date(date)
    if isinstance(lazy, Timeline):
        if bbox is not None:
            keep = shapely.intersects(lazy._geoms, shapely.box(*bbox))
            periods = lazy.periods.loc[keep]
            if not len(periods):
                return _dissolve([], day, holes, parts)
            lazy = Timeline._from_normalized(
                periods.reset_index(drop=True), name=lazy.name, source=lazy.source
            )
        return _dissolve([_untidy_at(lazy, day)], day, holes, parts)
    dask = require("dask")
    year = lazy.year_for(day)
    tasks = [dask.delayed(_part_at)(part, day, bbox) for part in lazy.parts_for(year)]
    (frames,) = dask.compute(tasks, scheduler=scheduler)
    return _dissolve(frames, day, holes, parts)


_Snapshot = tuple[gpd.GeoDataFrame, pd.DataFrame | None]


def _part_at(
    part: Part, day: pd.Timestamp, bbox: tuple[float, float, float, float] | None
) -> _Snapshot | None:
    frame = read_part(part, active=(day, day), bbox=bbox)
    if not len(frame):
        return None
    return _untidy_at(_wrap(frame, part), day)


def _untidy_at(timeline: Timeline, day: pd.Timestamp) -> _Snapshot:
    """``at(day)`` with every hole, and the km² of each active period's ``source``.

    Holes are filled only once the partitions are merged (a gap between two
    partitions' ground is a hole of neither); the km² rank the merged sources.
    """
    snapshot = timeline.at(day, min_hole_km2=0, min_part_km2=0)
    if "source" not in timeline._periods.columns:
        return snapshot, None
    active = timeline._active(day)
    cited = timeline._periods.loc[active, ["actor", "status", "source"]].copy()
    cited["km2"] = geodesic_area_km2(timeline._geoms[active])
    return snapshot, cited


def _dissolve(
    given: Sequence[_Snapshot | None], day: pd.Timestamp, holes: float, parts: float
) -> gpd.GeoDataFrame:
    found = [g for g in given if g is not None and len(g[0])]
    frames = [frame for frame, _ in found]
    cited = [table for _, table in found if table is not None]
    texts = ["source", "sources"] if cited else []
    texts += ["confidence"] if any("confidence" in f.columns for f in frames) else []
    columns = ["actor", "status", "date", "periods", *texts, "area_km2", "geometry"]
    if not frames:
        empty = gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
        return empty.astype({"date": DATE_DTYPE, "periods": np.int64, "area_km2": float})
    rows = []
    table = pd.concat(frames, ignore_index=True)
    sources = pd.concat(cited, ignore_index=True) if cited else None
    for (who, status), index in table.groupby(["actor", "status"], sort=True).indices.items():
        group = table.iloc[index]
        geoms = np.asarray(group.geometry.values, dtype=object)
        row: dict[str, Any] = {
            "actor": who,
            "status": status,
            "date": day,
            "periods": int(group["periods"].sum()),
        }
        if sources is not None:
            mine = sources.loc[(sources["actor"] == who) & (sources["status"] == status)]
            row["source"], row["sources"] = summarise_sources(
                mine["source"].tolist(), mine["km2"].to_numpy()
            )
        if "confidence" in texts:
            values = group["confidence"].dropna().astype(str).str.split("; ").explode()
            row["confidence"] = "; ".join(pd.unique(values[values != ""]))
        row["geometry"] = geoms[0] if len(geoms) == 1 else _polygonal(shapely.union_all(geoms))
        rows.append(row)
    result = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    if holes or parts:
        tidy = tidy_rows(result.geometry.values, min_hole_km2=holes, min_part_km2=parts)
        result["geometry"] = tidy
        result = result.loc[~shapely.is_empty(tidy)].reset_index(drop=True)
    result.insert(len(columns) - 2, "area_km2", geodesic_area_km2(result.geometry.values))
    result["date"] = result["date"].astype(DATE_DTYPE)
    result["periods"] = result["periods"].astype(np.int64)
    return result[columns]


# ---------------------------------------------------------------------------- shared
def _part_timeline(
    parts: list[Part], active: tuple[pd.Timestamp, pd.Timestamp], wanted: list[str] | None
) -> Timeline | None:
    """The periods of some files active in ``active`` (of the wanted statuses), or None."""
    frames = [read_part(p, active=active) for p in parts]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if wanted is not None:
        frame = frame.loc[frame["status"].isin(wanted)]
    if not len(frame):
        return None
    return _wrap(gpd.GeoDataFrame(frame, geometry="geometry", crs=4326), parts[0])


def _part_timeline_of(timeline: Timeline, wanted: list[str] | None) -> Timeline | None:
    """A timeline's periods of the wanted statuses, or None if there are none."""
    if wanted is None:
        return timeline
    periods = timeline._periods.loc[timeline._status_mask(wanted)]
    if not len(periods):
        return None
    return Timeline._from_normalized(periods.reset_index(drop=True), name=None, source=None)


def _wrap(frame: gpd.GeoDataFrame, part: Part) -> Timeline:
    periods = normalize_periods(frame.reset_index(drop=True), file=part.path)
    return Timeline._from_normalized(periods, name=None, source=part.path)


def _wanted(status: str | Iterable[str] | None) -> list[str] | None:
    if status is None:
        return None
    return [status] if isinstance(status, str) else list(status)


def _actors(lazy: PartitionedTimeline, status: str | Iterable[str] | None) -> list[str]:
    """Every actor (of the wanted statuses), sorted; the same error as Timeline's."""
    table = lazy.columns(["actor", "status"]).drop_duplicates()
    wanted = _wanted(status)
    if wanted is not None:
        known = set(table["status"])
        if not known.intersection(wanted):
            raise DataError(
                f"status [{some(wanted)}] matches no period; statuses are [{some(sorted(known))}]"
            )
        table = table.loc[table["status"].isin(wanted)]
    return sorted(set(table["actor"]))


def _asked(
    lazy: PartitionedTimeline,
    dates: Iterable[DateLike] | pd.DatetimeIndex | None,
    start: DateLike | None,
    end: DateLike | None,
    freq: str | None,
) -> pd.DatetimeIndex:
    """The dates asked for, as Timeline.area makes them (change dates read lazily)."""
    return asked_dates(dates, start, end, freq, lazy.change_dates)


def _year(lazy: PartitionedTimeline, day: pd.Timestamp) -> int:
    year = lazy.year_for(day)
    return lazy.first_year - 1 if year is None else year


def _in_year(dates: pd.DatetimeIndex, year: int, lazy: PartitionedTimeline) -> np.ndarray:
    years = np.asarray(dates.year)
    if year == lazy.last_year:
        return years >= year
    return years == year


def _tree(dask: ModuleType, tasks: list[Any], combine: Any, width: int = 8) -> Any:
    """Add task results up in a tree, ``width`` at a time: no task holds them all."""
    if not tasks:
        return dask.delayed(pd.DataFrame)()
    while len(tasks) > 1:
        tasks = [dask.delayed(combine)(*tasks[i : i + width]) for i in range(0, len(tasks), width)]
    return tasks[0]
