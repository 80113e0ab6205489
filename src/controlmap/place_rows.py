"""Place-level control data to periods: one row per place per day becomes runs.

Large academic data sets publish control as a table: for each place and day, who
controlled it. A *run* is a stretch of consecutive days on which one place had one
controller; each run becomes a period whose geometry is the place's cell in a
tessellation the user gives (one polygon per place).

The run-length pass is vectorised (a sort and a comparison of neighbours), and it
composes: runs of runs are runs. On dask the table is cut into runs partition by
partition as it was read (by days, say), the runs, far fewer than the rows, are
shuffled by place, and the runs that meet at a partition's edge are joined; each
place's periods are then written, whole, into a partitioned folder
(:mod:`controlmap.partition`) in the tile of its cell.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import DataError, DateError, one_line
from .intervals import overlapping_pairs
from .model import Timeline
from .partition import (
    DEFAULT_TILE_DEGREES,
    PartitionedTimeline,
    _atomic_folder,
    tile_names,
    write_marker,
    write_space_group,
)
from .periods import check_geometries

__all__ = ["merge_runs", "places_to_timeline", "run_lengths"]

_DAY = np.timedelta64(1, "D")
RUN_COLUMNS = ["place", "actor", "start", "end"]


def run_lengths(
    rows: pd.DataFrame, *, place: str = "place", date: str = "date", actor: str = "actor"
) -> pd.DataFrame:
    """Runs of consecutive days on which a place had one controller.

    Parameters
    ----------
    rows : DataFrame
        One row per place and day: ``place``, ``date`` and ``actor`` columns. A
        missing or blank actor means nobody is known to hold the place that day.
    place, date, actor : str
        The column names.

    Returns
    -------
    DataFrame
        Columns ``place``, ``actor``, ``start``, ``end`` (exclusive: the day after
        the last day of the run), sorted by place and start.

    Raises
    ------
    DataError
        A place has two rows for one day.

    Examples
    --------
    >>> rows = pd.DataFrame({"place": [1, 1, 1, 1], "actor": ["A", "A", "B", "A"],
    ...                      "date": ["2014-01-01", "2014-01-02", "2014-01-03", "2014-01-05"]})
    >>> [(r.actor, f"{r.start:%d}", f"{r.end:%d}") for r in run_lengths(rows).itertuples()]
    [('A', '01', '03'), ('B', '03', '04'), ('A', '05', '06')]
    """
    for role, name in (("place", place), ("date", date), ("actor", actor)):
        if name not in rows.columns:
            raise DataError(f"place rows: no {name!r} column for the {role}")
    try:
        days = pd.to_datetime(rows[date]).to_numpy(dtype="datetime64[D]")
    except (ValueError, TypeError) as exc:
        raise DateError(f"place rows: {date} is not a date: {one_line(exc)}") from None
    who = rows[actor]
    held = who.notna().to_numpy().copy()
    if who.dtype == object:
        held &= who.map(lambda v: not isinstance(v, str) or bool(v.strip())).to_numpy(dtype=bool)
    if np.isnat(days[held]).any():
        raise DateError(f"place rows: {date} is missing in a row that names a controller")
    runs = pd.DataFrame(
        {
            "place": rows[place].to_numpy()[held],
            "actor": who.to_numpy()[held],
            "start": days[held],
            "end": days[held] + _DAY,
        }
    )
    return merge_runs(runs, one_day=True)


def merge_runs(runs: pd.DataFrame, *, one_day: bool = False) -> pd.DataFrame:
    """Join runs of one place and controller that follow each other without a gap.

    Examples
    --------
    >>> runs = pd.DataFrame({"place": ["p", "p"], "actor": ["A", "A"],
    ...                      "start": pd.to_datetime(["2014-01-01", "2014-02-01"]),
    ...                      "end": pd.to_datetime(["2014-02-01", "2014-03-01"])})
    >>> merge_runs(runs)[["start", "end"]].astype(str).values.tolist()
    [['2014-01-01', '2014-03-01']]
    """
    if not len(runs):
        return _typed(runs[RUN_COLUMNS].iloc[:0])
    place_code = pd.factorize(runs["place"])[0]
    start = runs["start"].to_numpy(dtype="datetime64[D]")
    end = runs["end"].to_numpy(dtype="datetime64[D]")
    order = np.lexsort((start, place_code))
    place_code, start, end = place_code[order], start[order], end[order]
    actor_code = pd.factorize(runs["actor"])[0][order]
    same_place = place_code[1:] == place_code[:-1]
    clash = same_place & (start[1:] < end[:-1])
    if clash.any():
        i = int(order[np.flatnonzero(clash)[0] + 1])
        what = "two rows for" if one_day else "two runs overlapping on"
        raise DataError(
            f"place rows: place {_shown(runs['place'].iloc[i])} has {what}"
            f" {np.datetime_as_string(start[np.flatnonzero(clash)[0] + 1])}"
        )
    new = np.ones(len(start), dtype=bool)
    new[1:] = ~same_place | (actor_code[1:] != actor_code[:-1]) | (start[1:] != end[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(start)) - 1
    rows = order[first]
    merged = pd.DataFrame(
        {
            "place": runs["place"].to_numpy()[rows],
            "actor": runs["actor"].to_numpy()[rows],
            "start": start[first],
            "end": end[last],
        }
    )
    return _typed(merged)


def _shown(value: Any) -> str:
    """A place key as a person wrote it: 3 or 'Mosul', not np.int64(3)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _typed(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.copy()
    for column in ("start", "end"):
        runs[column] = runs[column].astype("datetime64[s]")
    return runs


def places_to_timeline(
    rows: Any,
    cells: gpd.GeoDataFrame,
    *,
    place: str = "place",
    date: str = "date",
    actor: str = "actor",
    cell_place: str = "place",
    folder: str | os.PathLike[str] | None = None,
    tile_degrees: float = DEFAULT_TILE_DEGREES,
    scheduler: Any = None,
) -> Timeline | PartitionedTimeline:
    """Periods from place-level control data, each run drawn as its place's cell.

    Parameters
    ----------
    rows : DataFrame or dask DataFrame
        One row per place per day (``place``, ``date``, ``actor``). A dask DataFrame
        (larger than memory) is processed on the cluster and needs ``folder``.
    cells : GeoDataFrame
        The tessellation: one polygon per place, its key in column ``cell_place``.
        The cells must not overlap (a tessellation), so runs of different places
        never double-count ground.
    place, date, actor : str
        Columns of ``rows``.
    cell_place : str
        Column of ``cells`` holding the place key.
    folder : path-like, optional
        Write a partitioned folder (by year and tile of each cell) and return it
        opened lazily; required for a dask DataFrame.
    tile_degrees : float
        Tile size of the folder.
    scheduler : optional
        Passed to dask's ``compute``.

    Returns
    -------
    Timeline or PartitionedTimeline

    Examples
    --------
    >>> from shapely import box
    >>> cells = gpd.GeoDataFrame({"place": ["a", "b"]},
    ...                          geometry=[box(40, 34, 40.1, 34.1), box(40.1, 34, 40.2, 34.1)],
    ...                          crs=4326)
    >>> rows = pd.DataFrame({"place": ["a", "a", "b"], "actor": ["X", "X", "X"],
    ...                      "date": pd.to_datetime(["2014-01-01", "2014-01-02", "2014-01-02"])})
    >>> tl = places_to_timeline(rows, cells)
    >>> len(tl), round(float(tl.area(["2014-01-02"]).iloc[0, 0]), 1)
    (2, 204.8)
    """
    geoms = _cell_geometries(cells, cell_place)
    if isinstance(rows, pd.DataFrame):
        runs = run_lengths(rows, place=place, date=date, actor=actor)
        periods = _with_cells(runs, geoms)
        timeline = Timeline(periods)
        if folder is None:
            return timeline
        return PartitionedTimeline(
            timeline.to_file(folder, partition_by=["year", "tile"], tile_degrees=tile_degrees)
        )
    if folder is None:
        raise DataError("places_to_timeline: a dask DataFrame needs folder= to write into")
    return _dask_places(
        rows, geoms, place, date, actor, Path(folder), tile_degrees, scheduler=scheduler
    )


def _cell_geometries(cells: gpd.GeoDataFrame, key: str) -> pd.Series:
    if key not in cells.columns:
        raise DataError(f"cells: no {key!r} column naming each cell's place")
    if cells.crs is not None:
        cells = cells.to_crs(4326)
    keys = cells[key]
    if keys.duplicated().any():
        raise DataError(f"cells: place {_shown(keys[keys.duplicated()].iloc[0])} has two cells")
    geoms = np.asarray(cells.geometry.values, dtype=object)
    check_geometries(gpd.GeoSeries(geoms), file="cells")
    # Overlapping cells would count shared ground twice once the places are spread
    # over files (and are not a tessellation): refused, naming the first pair.
    n = len(geoms)
    pairs = overlapping_pairs(
        geoms, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
    )
    if len(pairs):
        a, b = (_shown(keys.iloc[int(i)]) for i in pairs[0])
        raise DataError(f"cells: the cells of places {a} and {b} overlap; cells must tile")
    return pd.Series(np.asarray(cells.geometry.values, dtype=object), index=keys.to_numpy())


def _with_cells(runs: pd.DataFrame, geoms: pd.Series) -> gpd.GeoDataFrame:
    missing = ~runs["place"].isin(geoms.index)
    if missing.any():
        raise DataError(f"place rows: place {_shown(runs['place'][missing].iloc[0])} has no cell")
    runs = runs.assign(actor=runs["actor"].astype(str))
    return gpd.GeoDataFrame(runs, geometry=geoms.loc[runs["place"].to_numpy()].to_numpy(), crs=4326)


def _dask_places(
    rows: Any,
    geoms: pd.Series,
    place: str,
    date: str,
    actor: str,
    folder: Path,
    tile_degrees: float,
    *,
    scheduler: Any,
) -> PartitionedTimeline:
    from .dask import require

    dask = require("dask")
    meta = _typed(pd.DataFrame({c: pd.Series(dtype=object) for c in RUN_COLUMNS}))
    runs = rows.map_partitions(run_lengths, place=place, date=date, actor=actor, meta=meta)
    # Runs are few; shuffling them (not the rows) by place puts each place's runs in
    # one partition, where those cut at the partitions' edges are joined.
    runs = runs.shuffle(on="place", npartitions=max(1, rows.npartitions))
    cells = dask.delayed(geoms, traverse=False)
    with _atomic_folder(folder) as temporary:
        writes = [
            dask.delayed(_write_runs)(piece, cells, temporary, tile_degrees, i)
            for i, piece in enumerate(runs.to_delayed())
        ]
        (counts,) = dask.compute(writes, scheduler=scheduler)
        if not sum(counts):
            raise DataError("place rows: no place is held on any day")
        write_marker(temporary, ["year", "tile"], tile_degrees, name=folder.name)
    return PartitionedTimeline(folder)


def _write_runs(
    runs: pd.DataFrame, geoms: pd.Series, folder: Path, tile_degrees: float, index: int
) -> int:
    runs = merge_runs(runs)
    if not len(runs):
        return 0
    periods = _with_cells(runs, geoms)
    periods["status"] = "control"
    box = shapely.bounds(np.asarray(periods.geometry.values, dtype=object))
    tiles = tile_names((box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2, tile_degrees)
    # Within one place's runs, `period` numbers each run: unique with the partition's index.
    periods["period"] = np.arange(len(periods), dtype=np.int64) + (index << 40)
    for tile, where in periods.groupby(tiles, sort=True).indices.items():
        write_space_group(periods.iloc[where], folder, (str(tile),), None, part=f"part-{index}")
    return len(periods)
