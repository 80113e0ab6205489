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
import json
import math
import os
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from ._dates import DATE_DTYPE, DateLike, parse_date
from ._dissolve import DEFAULT_MIN_HOLE_KM2, check_km2, summarise_sources, tidy_rows
from ._extras import missing_extra
from .errors import DataError, some
from .geodesic import DEBRIS_DEG2, geodesic_area_km2
from .model import Timeline, _one_name, asked_dates
from .partition import Part, PartitionedTimeline, read_columns, read_part
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
    if not tables:
        return pd.DataFrame()
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
    min_change_km2: float = 0.0,
    min_area_km2: float | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Area each actor gained and lost between each date and the next.

    Parameters
    ----------
    source : PartitionedTimeline, path of a partitioned folder, or Timeline
    dates, start, end, freq, status
        The dates, as in :meth:`controlmap.Timeline.area` (e.g. ``freq="W"``).
    min_change_km2 : float, default 0
        Slivers: leave out gained or lost parts (connected polygons) under this
        geodesic area, as :meth:`Timeline.changes` does. A part is judged whole,
        not file by file: the pieces of a part that crosses files are joined first.
    min_area_km2 : float, optional
        Another name for ``min_change_km2``; give one of the two.
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
    >>> large = change_series(tl, ["2015-01-01", "2016-01-01"], min_change_km2=100)
    >>> bool(large.area_km2.sum() < series.area_km2.iloc[:2].sum())
    True
    """
    min_km2 = check_km2("min_change_km2", _one_name(min_change_km2, min_area_km2))
    lazy = _lazy(source)
    if isinstance(lazy, Timeline):
        asked = lazy._dates_for(dates, start, end, freq)
        lazy._status_mask(status)  # the same error for a status matching nothing
        local = _part_timeline_of(lazy, _wanted(status))
        found = [] if local is None else [_held_changes(local, asked, min_km2)]
        return _finish_changes(_add_changes(*found), min_km2)
    dask = require("dask")
    asked = _asked(lazy, dates, start, end, freq)
    _actors(lazy, status)
    graph = _changes_graph(lazy, asked, _wanted(status), min_km2)
    (total,) = dask.compute(graph, scheduler=scheduler)
    return _finish_changes(total, min_km2)


def _changes_graph(
    lazy: PartitionedTimeline,
    asked: pd.DatetimeIndex,
    wanted: list[str] | None,
    min_km2: float = 0.0,
) -> Any:
    """The dask graph of :func:`change_series`.

    One task per place and year of first dates, then a tree of sums.
    """
    dask = require("dask")
    spaces: dict[tuple[str, ...], dict[int, Part]] = {}
    for part in lazy.parts:
        spaces.setdefault(part.space, {})[part.year] = part
    years = np.array([_year(lazy, d) for d in asked])
    jobs = []
    for space, by_year in spaces.items():
        # One task per year of first dates: it reads that year's file and the next
        # date's (the files of one place in two years join without overlap).
        for year in np.unique(years[:-1]) if len(asked) > 1 else []:
            index = np.flatnonzero(years[:-1] == year)
            chunk = asked[np.append(index, index[-1] + 1)]
            needed = {years[i] for i in (*index, index[-1] + 1)}
            parts = [by_year[y] for y in sorted(needed) if y in by_year]
            if parts:
                jobs.append((space, int(year), parts, chunk))
    neighbours = _neighbour_boxes(jobs) if min_km2 else [_NO_BOXES] * len(jobs)
    tasks = [
        dask.delayed(_part_changes)(parts, chunk, wanted, min_km2, boxes)
        for (_, _, parts, chunk), boxes in zip(jobs, neighbours, strict=True)
    ]
    return _tree(dask, tasks, _add_changes)


_NO_BOXES = np.empty((0, 4))
# A change split over files is judged whole: its pieces are joined by the final step.
_Changes = tuple[pd.DataFrame, gpd.GeoDataFrame]


def _neighbour_boxes(jobs: list[tuple[tuple[str, ...], int, list[Part], Any]]) -> list[np.ndarray]:
    """For each task, the boxes of the other tasks' files whose ground may touch its own.

    Tasks of one year of dates compare the same dates; a gained or lost part of one
    can join a part of another only where their files' ground meets, so inside the
    box of that other task's files. Files of two different actors never join.
    """
    boxes = np.array([_files_box(parts) for _, _, parts, _ in jobs]).reshape(-1, 4)
    years = np.array([year for _, year, _, _ in jobs])
    actors = np.array([space[1] for space, _, _, _ in jobs], dtype=object)
    out = []
    for k, (box, year, actor) in enumerate(zip(boxes, years, actors, strict=True)):
        meets = (
            (years == year)
            & ((actors == actor) | (actors == "") | (actor == ""))
            & (boxes[:, 0] <= box[2])
            & (boxes[:, 2] >= box[0])
            & (boxes[:, 1] <= box[3])
            & (boxes[:, 3] >= box[1])
        )
        meets[k] = False
        out.append(boxes[meets])
    return out


def _files_box(parts: list[Part]) -> tuple[float, float, float, float]:
    """The box of the ground of some files, from their GeoParquet metadata (no rows read)."""
    found = []
    for part in parts:
        try:
            meta = pq.read_schema(part.path).metadata or {}
            box = json.loads(meta[b"geo"])["columns"]["geometry"]["bbox"]
            found.append([float(v) for v in box[:4]])
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            # Unknown: take the whole world (every piece is then joined at the end).
            found.append([-math.inf, -math.inf, math.inf, math.inf])
    box = np.array(found)
    return (box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max())


def _part_changes(
    parts: list[Part],
    dates: pd.DatetimeIndex,
    wanted: list[str] | None,
    min_km2: float = 0.0,
    neighbours: np.ndarray = _NO_BOXES,
) -> _Changes:
    local = _part_timeline(parts, (dates[0], dates[-1]), wanted)
    if local is None:
        return _add_changes()
    return _held_changes(local, dates, min_km2, neighbours)


def _held_changes(
    timeline: Timeline,
    dates: pd.DatetimeIndex,
    min_km2: float = 0.0,
    neighbours: np.ndarray = _NO_BOXES,
) -> _Changes:
    """The areas ``Timeline.changes`` gives for each consecutive pair of dates.

    Only the periods that begin or end between two dates are dissolved, not all the
    ground held: what an actor gained is the ground of its periods active on the
    second date and not the first, less what it held on the first date there (its
    periods near them); what it lost, the other way round. The same region as
    differencing the two dates' dissolved ground, so the same area (the measure is
    additive: the other vertices a smaller overlay leaves do not move it). When the
    moving periods do not overlap each other (cells, pieces of a decomposed archive),
    nothing is dissolved: each is measured less the periods overlapping it.

    With ``min_km2``, each row's ``kept_km2`` is the area of its parts of at least
    ``min_km2``; parts meeting one of the ``neighbours`` boxes (other files' ground)
    are not judged here but returned whole, to be joined with the other files' pieces.
    """
    geoms = timeline._geoms
    tree = shapely.STRtree(geoms)
    owner = timeline._table["actor"].to_numpy()
    active = [timeline._active(day) for day in dates]
    keys: list[tuple[Any, ...]] = []
    shapes: list[Any] = []  # each row's region, or None when measured by pieces
    by_piece: list[tuple[int, Any]] = []  # (row, region of one period less its neighbours)
    by_period: list[tuple[int, np.ndarray]] = []  # (row, periods counted whole)
    for (a, before), (b, after) in itertools.pairwise(zip(dates, active, strict=True)):
        for who in timeline.actors:
            mine = owner == who
            old, new = before & mine, after & mine
            for change, moved, other in (("gained", new & ~old, old), ("lost", old & ~new, new)):
                if not moved.any():
                    continue
                index = np.flatnonzero(moved)
                # Period by period (the box of the whole region would take them all),
                # boxes first: the tree holds every date's periods, and only those
                # held on the other date (or moving too) are worth an exact test.
                mover, near = tree.query(geoms[index])
                mover = index[mover]
                pick = other[near] | (moved[near] & (near != mover))
                mover, near = mover[pick], near[pick]
                # Neighbours that only touch (cells of a grid) take nothing away.
                meet = _interiors_meet(geoms[mover], geoms[near])
                mover, near = mover[meet], near[meet]
                row = len(keys)
                keys.append((a, b, who, change))
                if not min_km2 and not moved[near].any():
                    # The moving periods do not overlap each other: the region is
                    # theirs side by side, each less its own neighbours, and the
                    # measure adds up (no union of the whole region).
                    shapes.append(None)
                    by_period.append((row, np.setdiff1d(index, mover)))
                    by_piece.extend((row, cut) for cut in _cut_pieces(geoms, mover, near))
                    continue
                near = np.unique(near[other[near]])
                region = union(geoms[index])
                raw = shapely.difference(region, union(geoms[near])) if len(near) else region
                shapes.append(_polygonal(raw))
    if not keys:
        return _add_changes()
    table = pd.DataFrame(keys, columns=CHANGE_COLUMNS[:-1])
    measured = np.array([shape is not None for shape in shapes])
    area = np.zeros(len(keys))
    area[measured] = geodesic_area_km2(np.array(shapes, dtype=object)[measured])
    if by_period:
        rows = np.concatenate([np.full(len(i), r) for r, i in by_period])
        whole = np.concatenate([i for _, i in by_period])
        area += np.bincount(rows, geodesic_area_km2(geoms[whole]), minlength=len(keys))
    if by_piece:
        rows = np.array([r for r, _ in by_piece])
        cuts = np.array([cut for _, cut in by_piece], dtype=object)
        area += np.bincount(rows, geodesic_area_km2(cuts), minlength=len(keys))
    table["area_km2"] = area
    table["kept_km2"] = area
    keep = area >= SLIVER_KM2
    table = table.loc[keep].reset_index(drop=True)
    if not min_km2:
        return table, _NO_PIECES
    parts, of = shapely.get_parts(np.array(shapes, dtype=object)[keep], return_index=True)
    areas = geodesic_area_km2(parts)
    edge = np.zeros(len(parts), dtype=bool)
    if len(neighbours):
        boxes = shapely.STRtree(shapely.box(*neighbours.T))
        edge[boxes.query(parts, predicate="intersects")[0]] = True
    large = ~edge & _large(parts, areas, min_km2)
    table["kept_km2"] = np.bincount(of, weights=np.where(large, areas, 0.0), minlength=len(table))
    pieces = pd.DataFrame(
        table[CHANGE_COLUMNS[:-1]].to_numpy()[of[edge]], columns=CHANGE_COLUMNS[:-1]
    )
    return table, gpd.GeoDataFrame(pieces, geometry=parts[edge], crs=4326)


def _interiors_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each pair of polygons shares ground, not only a boundary."""
    meet = shapely.intersects(a, b)
    meet[meet] = ~shapely.touches(a[meet], b[meet])
    return meet


def _cut_pieces(geoms: np.ndarray, mover: np.ndarray, near: np.ndarray) -> list[Any]:
    """Each period in ``mover`` less the union of its ``near`` periods (pairs)."""
    order = np.argsort(mover, kind="stable")
    mover, near = mover[order], near[order]
    each, first, count = np.unique(mover, return_index=True, return_counts=True)
    one = count == 1  # the common case, done in one call
    cuts = list(shapely.difference(geoms[each[one]], geoms[near[first[one]]]))
    for m, f, c in zip(each[~one], first[~one], count[~one], strict=True):
        cuts.append(shapely.difference(geoms[m], shapely.union_all(geoms[near[f : f + c]])))
    return cuts


def _large(parts: np.ndarray, areas: np.ndarray, min_km2: float) -> np.ndarray:
    """The parts ``Timeline.changes(min_change_km2=...)`` keeps (float debris never)."""
    return (areas >= min_km2) & (shapely.area(parts) > DEBRIS_DEG2)


_NO_PIECES = gpd.GeoDataFrame(columns=CHANGE_COLUMNS[:-1], geometry=[], crs=4326)


def _add_changes(*found: _Changes) -> _Changes:
    # Each file's gains and losses of one actor between two dates are disjoint from
    # the other files' (their ground never overlaps), so their areas add up.
    tables = [table for table, _ in found if len(table)]
    pieces = [piece for _, piece in found if len(piece)]
    if not tables:
        table = pd.DataFrame(columns=[*CHANGE_COLUMNS, "kept_km2"])
    else:
        keys = ["start", "end", "actor", "change"]
        table = (
            pd.concat(tables, ignore_index=True)
            .groupby(keys, as_index=False, sort=False)
            .agg(area_km2=("area_km2", "sum"), kept_km2=("kept_km2", "sum"))
        )
    if not pieces:
        return table, _NO_PIECES
    return table, pd.concat(pieces, ignore_index=True)


def _finish_changes(found: _Changes, min_km2: float) -> pd.DataFrame:
    table, pieces = found
    keys = ["start", "end", "actor", "change"]
    if len(pieces):
        # Pieces of parts that cross files: joined, then judged as whole parts.
        joined = []
        for key, index in pieces.groupby(keys, sort=False).indices.items():
            parts = shapely.get_parts(shapely.union_all(pieces.geometry.values[index]))
            areas = geodesic_area_km2(parts)
            joined.append((*key, float(areas[_large(parts, areas, min_km2)].sum())))
        extra = pd.DataFrame(joined, columns=[*keys, "kept_km2"])
        table = table.merge(extra, on=keys, how="left", suffixes=("", "_joined"))
        table["kept_km2"] = table["kept_km2"] + table.pop("kept_km2_joined").fillna(0.0)
    # A change is dropped as float debris by its whole area, as Timeline.changes does,
    # and (with min_km2) when no part of it is left.
    keep = table["area_km2"] >= SLIVER_KM2
    if min_km2:
        keep &= table["kept_km2"] > 0
        table["area_km2"] = table["kept_km2"]
    if not keep.any():
        empty = pd.DataFrame(columns=CHANGE_COLUMNS)
        return empty.astype({"start": DATE_DTYPE, "end": DATE_DTYPE, "area_km2": float})
    table = table.loc[keep, CHANGE_COLUMNS].sort_values(keys).reset_index(drop=True)
    table["area_km2"] = table["area_km2"].astype(float)
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
    if "source" not in timeline._table.columns:
        return snapshot, None
    active = timeline._active(day)
    cited = timeline._table.loc[active, ["actor", "status", "source"]].copy()
    cited["km2"] = geodesic_area_km2(timeline._packed.take(active))
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
    """Every actor (of the wanted statuses), sorted; the same error as Timeline's.

    File by file, each reduced to its distinct pairs at once: the client never holds
    a column of the whole archive (15.9 million rows of it took ~1 GiB).
    """
    pairs: set[tuple[str, str]] = set()
    for part in lazy.parts:
        found = read_columns(part, ["actor", "status"]).group_by(["actor", "status"]).aggregate([])
        pairs.update(zip(found["actor"].to_pylist(), found["status"].to_pylist(), strict=True))
    table = pd.DataFrame(sorted(pairs), columns=["actor", "status"])
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
        return dask.delayed(combine)()
    while len(tasks) > 1:
        tasks = [dask.delayed(combine)(*tasks[i : i + width]) for i in range(0, len(tasks), width)]
    return tasks[0]
