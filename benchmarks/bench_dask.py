"""Partitioned timelines on dask: time, CPU and peak memory per worker, 1 and 2 workers.

Two synthetic archives, generated to disk piece by piece (nothing is downloaded,
and neither is ever whole in memory):

1. *pieces*: a grid of square cells (~1 km), each held by one of three actors in
   turn (with gaps), written by :func:`synthetic_archive` tile by tile into a
   partitioned folder (by year and 1° tile). The daily area series and the weekly
   change series are computed on a ``LocalCluster`` of 1 then 2 workers, each limited
   to ``--memory``. Before that, the dask graphs are checked: one task per file (or
   per file and the next year's), then a tree of sums with a few inputs each; no task
   sees the whole archive. Where the archive fits (``--single-max``), the same
   questions are answered on one machine (controlmap without dask) and by a plain
   geopandas baseline (read the files, keep the periods active on each date,
   dissolve by actor, project to an equal-area CRS, sum), each in a fresh child
   process of this benchmark so that their peak memories are their own.
2. *places*: one row per place per day with its controller (``--places`` x
   ``--days`` rows; the published example is 33,000 x 1,650 = 54.45 million),
   generated block of days by block on the workers, turned into periods by
   ``places_to_timeline`` in one call (run lengths per block, runs shuffled by place
   and joined) and written as a partitioned folder.

Peak memory is measured, not estimated: a thread in each worker (and in each child
process) samples the process's resident set size every 20 ms; the kernel's own high
water mark (``ru_maxrss``) is printed beside it. Times are wall clock; CPU is user +
system of the workers (or the child process).

    python benchmarks/bench_dask.py                      # quick: 200,000 pieces
    python benchmarks/bench_dask.py --pieces 20000000 --places 33000 --days 1650
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import shapely
from dask.core import get_dependencies
from dask.utils import key_split
from distributed import Client, LocalCluster

from controlmap import dask as engine
from controlmap.partition import (
    PartitionedTimeline,
    read_partitioned,
    write_marker,
    write_space_group,
)
from controlmap.place_rows import places_to_timeline

ACTORS = np.array(["A", "B", "C"], dtype=object)
FIRST = np.datetime64("2010-01-01", "D")
CELL = 0.01  # degrees: ~1 km cells
PIECES_PER_CELL = 20
TILE_PIECES = 200_000  # pieces drawn in one 1° tile (100 x 100 cells)
EQUAL_AREA = "EPSG:6933"  # WGS 84 / EASE-Grid 2.0: cylindrical equal-area on the ellipsoid
GIB = 1024**3


# ---------------------------------------------------------------------------- data
def make_tile(folder: str, tile: int, cells: int, years: int) -> int:
    """Write one tile's cells, each held in turn: ``PIECES_PER_CELL`` periods a cell."""
    rng = np.random.default_rng(tile)
    side = int(np.ceil(np.sqrt(cells)))
    col, row = divmod(tile, 10)
    i, j = np.divmod(np.arange(cells), side)
    # Neighbours share their edges' coordinates exactly (a tessellation): x0 + CELL
    # would make cells overlap or gap by ~1e-15 degrees wherever it rounds.
    xs, ys = 30 + col + np.arange(side + 1) * CELL, 30 + row + np.arange(side + 1) * CELL
    span = years * 365
    # Each cell's periods: between sorted random cut days, one actor each; one in
    # five is dropped, leaving the cell unheld for a while.
    cuts = np.sort(rng.integers(0, span, (cells, PIECES_PER_CELL + 1)), axis=1)
    starts, ends = cuts[:, :-1], cuts[:, 1:]
    cell = np.repeat(np.arange(cells), PIECES_PER_CELL)
    frame = gpd.GeoDataFrame(
        {
            "actor": ACTORS[rng.integers(0, 3, cells * PIECES_PER_CELL)],
            "start": (FIRST + starts.ravel()).astype("datetime64[s]"),
            "end": (FIRST + ends.ravel()).astype("datetime64[s]"),
            "status": "control",
            "period": np.arange(cells * PIECES_PER_CELL, dtype=np.int64) + (tile << 40),
        },
        geometry=shapely.box(xs[i][cell], ys[j][cell], xs[i + 1][cell], ys[j + 1][cell]),
        crs=4326,
    )
    frame = frame.loc[(frame["start"] < frame["end"]) & (rng.random(len(frame)) > 0.2)]
    write_space_group(frame, Path(folder), (f"t{tile}",), None)
    return len(frame)


def synthetic_archive(
    folder: Path, pieces: int, years: int, tile_pieces: int = TILE_PIECES
) -> Iterator[int]:
    """Write an archive of about ``pieces`` drawn periods, one 1° tile at a time.

    A generator: each tile is made, written and dropped before the next, so the
    archive is never whole in memory; it yields the periods kept in each tile and
    marks the folder complete after the last.
    """
    tiles = max(1, round(pieces / tile_pieces))
    cells = max(1, pieces // (tiles * PIECES_PER_CELL))
    for tile in range(tiles):
        yield make_tile(str(folder), tile, cells, years)
    write_marker(folder, ["year", "tile"], 1.0, name="synthetic")


def place_cells(places: int) -> gpd.GeoDataFrame:
    side = int(np.ceil(np.sqrt(places)))
    i, j = np.divmod(np.arange(places), side)
    xs, ys = 36 + np.arange(side + 1) * 0.02, 30 + np.arange(side + 1) * 0.02
    return gpd.GeoDataFrame(
        {"place": np.arange(places)},
        geometry=shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]),
        crs=4326,
    )


def place_rows(places: int, first_day: int, last_day: int) -> pd.DataFrame:
    """Rows of days [first_day, last_day): each place changes hands about every 60 days."""
    rng = np.random.default_rng(first_day)
    days = last_day - first_day
    # The controller of a place on a day: a slow, place-dependent rotation, with noise.
    day = np.arange(first_day, last_day)
    phase = (np.arange(places)[:, None] * 7919 + day[None, :]) // 60
    who = (phase + (rng.random((places, days)) < 0.002)) % 4  # 3: nobody known
    return pd.DataFrame(
        {
            "place": np.repeat(np.arange(places, dtype=np.int32), days),
            "date": np.tile(FIRST + day, places).astype("datetime64[s]"),
            "actor": pd.Categorical.from_codes(
                np.where(who == 3, -1, who).ravel(), categories=pd.Index(list(ACTORS))
            ),
        }
    )


# ---------------------------------------------------------------------------- measuring
def _start_sampler(dask_worker: Any = None) -> None:
    """Sample this process's resident set size every 20 ms, keeping the largest."""
    process = psutil.Process()
    state = {"peak": process.memory_info().rss, "stop": False}

    def sample() -> None:
        while not state["stop"]:
            state["peak"] = max(state["peak"], process.memory_info().rss)
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    holder = dask_worker if dask_worker is not None else _start_sampler
    holder._bench_memory = state  # type: ignore[union-attr]


def _read_sampler(dask_worker: Any = None) -> dict[str, float]:
    holder = dask_worker if dask_worker is not None else _start_sampler
    state = holder._bench_memory  # type: ignore[union-attr]
    state["stop"] = True
    cpu = psutil.Process().cpu_times()
    return {
        "peak_gib": state["peak"] / GIB,
        "maxrss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "cpu_s": cpu.user + cpu.system,
    }


def _reset_high_water(dask_worker: Any = None) -> None:
    """Reset the kernel's high-water mark of this process's RSS (Linux), if allowed."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _high_water_gib(dask_worker: Any = None) -> float:
    """The kernel's high-water mark of this process's RSS since the last reset (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def _cpu(dask_worker: Any = None) -> float:
    cpu = psutil.Process().cpu_times()
    return cpu.user + cpu.system


class LoadWatch:
    """The machine's 1-minute load average, sampled every 5 s while a job runs."""

    def __enter__(self) -> LoadWatch:
        self.samples = [os.getloadavg()[0]]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.stop.wait(5.0):
            self.samples.append(os.getloadavg()[0])

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.samples.append(os.getloadavg()[0])

    def __str__(self) -> str:
        return f"load {np.mean(self.samples):.1f} (max {max(self.samples):.1f})"


def on_cluster(workers: int, memory: str, jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run ``jobs`` in turn on a fresh LocalCluster; wall and CPU time of each, peak memory."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_start_sampler)
        out: dict[str, Any] = {}
        for name, job in jobs.items():
            client.run(_reset_high_water)
            cpu0, here0 = sum(client.run(_cpu).values()), _cpu()
            t0 = time.perf_counter()
            with LoadWatch() as load:
                out[name] = job()
            wall = time.perf_counter() - t0
            cpu, here = sum(client.run(_cpu).values()) - cpu0, _cpu() - here0
            high = [round(v, 2) for v in client.run(_high_water_gib).values()]
            out[f"{name} time"] = (
                f"{wall:.1f} s wall, {cpu:.1f} s CPU in the workers + {here:.1f} s in the client,"
                f" {load}, kernel's peak RSS per worker {high} GiB"
            )
            out[f"{name} cpu"] = cpu + here
            print(f"    ({workers} worker(s)) {name}: {out[f'{name} time']}", flush=True)
            out[f"{name} wall"] = wall
        memory_by_worker = client.run(_read_sampler)
    out["peaks"] = [round(m["peak_gib"], 2) for m in memory_by_worker.values()]
    out["maxrss"] = [round(m["maxrss_gib"], 2) for m in memory_by_worker.values()]
    return out


def _in_child(queue: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _start_sampler()
    t0, cpu0 = time.perf_counter(), _cpu()
    result = function(*args)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    queue.put({"result": result, "wall": wall, "cpu": cpu, **_read_sampler()})


def in_child(function: Callable[..., Any], *args: Any, limit_s: float) -> dict[str, Any] | str:
    """Run ``function(*args)`` in a fresh process: its result, wall, CPU and peak memory."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue, function, args))
    child.start()
    try:
        with LoadWatch() as load:
            got = queue.get(timeout=limit_s)
        got["load"] = str(load)
        return got
    except Exception:  # the queue's Empty: stopped unfinished
        return f"stopped unfinished after {limit_s:.0f} s"
    finally:
        child.kill()
        child.join()


def graph_shape(graph: Any, kind: str) -> str:
    """Check a dask graph is per-file reductions then a small tree; describe it."""
    tasks = dict(graph.__dask_graph__())
    names = Counter(key_split(k) for k in tasks)
    inputs = {k: len(get_dependencies(tasks, k)) for k in tasks}
    leaves = [k for k in tasks if "part_" in key_split(k)]
    combines = [k for k in tasks if "add_" in key_split(k)]
    # A leaf reads its own file(s): no other task feeds it.
    assert all(inputs[k] == 0 for k in leaves), f"{kind}: a per-file task has inputs"
    fan_in = max((inputs[k] for k in combines), default=0)
    assert fan_in <= 8, f"{kind}: a combine task adds {fan_in} results"
    return (
        f"{kind} graph: {len(leaves)} per-file tasks, {len(combines)} combine tasks"
        f" (at most {fan_in} inputs each), {dict(names)}"
    )


# ---------------------------------------------------------------------------- one machine
def daily_weekly(start: str, end: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The dates of the daily area series and of the weekly change series (Sundays)."""
    return pd.date_range(start, end, freq="D"), pd.date_range(start, end, freq="W")


def one_machine_pieces(folder: str, start: str, end: str) -> dict[str, Any]:
    days, weeks = daily_weekly(start, end)
    t0 = time.perf_counter()
    timeline = read_partitioned(folder).to_timeline()
    loaded = time.perf_counter()
    engine.area(timeline, days)
    daily = time.perf_counter()
    weekly = engine.area(timeline, weeks)
    weekly_t = time.perf_counter()
    changes = engine.change_series(timeline, weeks)
    done = time.perf_counter()
    return {
        "read s": loaded - t0,
        "daily area s": daily - loaded,
        "weekly area s": weekly_t - daily,
        "weekly changes s": done - weekly_t,
        "weekly km2": weekly.sum(axis=1).to_numpy(),
        "changes km2": changes["area_km2"].sum(),
    }


def geopandas_baseline(folder: str, start: str, end: str) -> dict[str, Any]:
    """Plain geopandas: read every file, per date keep the active periods, dissolve by
    actor, project to an equal-area CRS and sum; the change series by differences of
    consecutive dates' dissolved ground."""
    t0 = time.perf_counter()
    frame = pd.concat(
        [gpd.read_parquet(path) for path in sorted(Path(folder).glob("year=*/*/*.parquet"))],
        ignore_index=True,
    )
    loaded = time.perf_counter()
    _, weeks = daily_weekly(start, end)
    held = []
    totals = []
    for day in weeks:
        active = frame.loc[(frame["start"] <= day) & ~(frame["end"] <= day)]
        dissolved = active[["actor", "geometry"]].dissolve("actor")
        held.append(dissolved.geometry)
        totals.append(dissolved.geometry.to_crs(EQUAL_AREA).area.sum() / 1e6)
    area_t = time.perf_counter()
    changed = 0.0
    nothing = shapely.Polygon()
    for before, after in itertools.pairwise(held):
        # An actor holding nothing on one of the dates gains or loses all it holds.
        actors = before.index.union(after.index)
        old = gpd.GeoSeries([before.get(a, nothing) for a in actors], crs=4326)
        new = gpd.GeoSeries([after.get(a, nothing) for a in actors], crs=4326)
        gained = new.difference(old, align=False).to_crs(EQUAL_AREA).area
        lost = old.difference(new, align=False).to_crs(EQUAL_AREA).area
        changed += (gained.fillna(0).sum() + lost.fillna(0).sum()) / 1e6
    done = time.perf_counter()
    return {
        "read s": loaded - t0,
        "weekly area s": area_t - loaded,
        "weekly changes s": done - area_t,
        "weekly km2": np.array(totals),
        "changes km2": changed,
    }


def archive_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet"))


# ---------------------------------------------------------------------------- main
def pieces_part(args: argparse.Namespace, counts: list[int], work: Path) -> None:
    folder = work / "pieces"
    start, end = str(FIRST), str(FIRST + args.years * 365)
    t0, cpu0 = time.perf_counter(), _cpu()
    written = sum(synthetic_archive(folder, args.pieces, args.years, args.tile_pieces))
    lazy = read_partitioned(folder)
    print(
        f"pieces: {args.pieces:,} drawn, {written:,} kept, {args.years} years:"
        f" {len(lazy.parts)} files, {archive_bytes(folder) / 1024**2:.1f} MiB on disk,"
        f" generated in {time.perf_counter() - t0:.1f} s wall, {_cpu() - cpu0:.1f} s CPU"
        f" (streamed, one tile at a time)"
    )
    days, weeks = daily_weekly(start, end)
    print("  " + graph_shape(engine._area_graph(lazy, days, None), "daily area"))
    print("  " + graph_shape(engine._changes_graph(lazy, weeks, None), "weekly changes"))
    results = {}
    for n in counts:
        got = on_cluster(
            n,
            args.memory,
            {
                "daily area": lambda: engine.area(lazy, days),
                "weekly changes": lambda: engine.change_series(lazy, weeks),
            },
        )
        results[n] = got
        total = got["daily area wall"] + got["weekly changes wall"]
        cpu = got["daily area cpu"] + got["weekly changes cpu"]
        print(
            f"  {n} worker(s): daily area ({len(days)} dates) {got['daily area time']};"
            f" weekly changes ({len(weeks) - 1} steps) {got['weekly changes time']};"
            f" {written / total:,.0f} periods/s wall, {written / cpu:,.0f} periods per CPU s;"
            f" peak GiB per worker {got['peaks']} (sampled RSS), {got['maxrss']} (ru_maxrss)"
        )
    if args.pieces > args.tile_pieces * 4:
        n = max(counts)
        rate = written / (results[n]["daily area wall"] + results[n]["weekly changes wall"])
        cpu_rate = written / (results[n]["daily area cpu"] + results[n]["weekly changes cpu"])
        kept = 20e6 * written / args.pieces
        print(
            f"  extrapolation (not measured): 20,000,000 drawn pieces (~{kept:,.0f} kept)"
            f" at this rate would take ~{kept / cpu_rate:,.0f} CPU s,"
            f" ~{kept / rate / 3600:.1f} h on {n} worker(s) of this shared machine;"
            f" memory per worker follows the file, not the archive"
        )
    if written > args.single_max:
        print(f"  one machine: not run ({written:,} > --single-max {args.single_max:,})")
        return
    mine = in_child(one_machine_pieces, str(folder), start, end, limit_s=args.limit)
    theirs = in_child(geopandas_baseline, str(folder), start, end, limit_s=args.limit)
    for label, outcome in (("controlmap, one machine", mine), ("geopandas baseline", theirs)):
        if isinstance(outcome, str):
            print(f"  {label}: {outcome}")
            continue
        steps = ", ".join(f"{k} {v:.1f}" for k, v in outcome["result"].items() if k.endswith(" s"))
        print(
            f"  {label}: {outcome['wall']:.1f} s wall, {outcome['cpu']:.1f} s CPU,"
            f" {outcome['load']} ({steps}); peak {outcome['peak_gib']:.2f} GiB (sampled RSS),"
            f" {outcome['maxrss_gib']:.2f} (ru_maxrss)"
        )
    if isinstance(mine, dict) and isinstance(theirs, dict):
        a, b = mine["result"], theirs["result"]
        print(
            f"  ratios geopandas / controlmap one machine: weekly area"
            f" {b['weekly area s'] / a['weekly area s']:.1f}x, weekly changes"
            f" {b['weekly changes s'] / a['weekly changes s']:.1f}x, peak memory"
            f" {theirs['peak_gib'] / mine['peak_gib']:.2f}x"
        )
        n = max(counts)
        dask_total = results[n]["daily area wall"] + results[n]["weekly changes wall"]
        one_total = a["daily area s"] + a["weekly changes s"]
        print(
            f"  ratio one machine / {n} dask worker(s), daily area + weekly changes:"
            f" {one_total / dask_total:.2f}x"
        )
        relative = np.abs(b["weekly km2"] - a["weekly km2"]).max() / a["weekly km2"].max()
        print(
            f"  agreement: weekly ground held within {relative:.1e} of the largest"
            f" (projected vs lon/lat-straight edges), total change {a['changes km2']:,.2f}"
            f" vs {b['changes km2']:,.2f} km²"
        )


def places_part(args: argparse.Namespace, counts: list[int], work: Path) -> None:
    import dask.dataframe as dd

    rows = args.places * args.days
    print(f"places: {args.places:,} places x {args.days:,} days = {rows:,} rows")
    cells = place_cells(args.places)
    blocks = list(range(0, args.days, 50))
    for n in counts:
        target = work / f"places-{n}"

        def job(target: Path = target) -> str:
            frame = dd.from_map(
                lambda d: place_rows(args.places, d, min(d + 50, args.days)), blocks
            )
            lazy = places_to_timeline(frame, cells, folder=target, tile_degrees=1)
            assert isinstance(lazy, PartitionedTimeline)  # written to a folder: read lazily
            periods = len(lazy.columns(["actor"]))
            return f"{periods:,} periods in {len(lazy.parts)} files"

        got = on_cluster(n, args.memory, {"rows to periods": job})
        print(
            f"  {n} worker(s): one call, {got['rows to periods']}:"
            f" {got['rows to periods time']},"
            f" {rows / got['rows to periods wall']:,.0f} rows/s wall;"
            f" peak GiB per worker {got['peaks']} (sampled RSS), {got['maxrss']} (ru_maxrss)"
        )
        shutil.rmtree(target, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--pieces", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument(
        "--tile-pieces", type=int, default=TILE_PIECES, help="pieces drawn per tile (file size)"
    )
    parser.add_argument("--places", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--memory", default="2GB", help="memory limit of each worker")
    parser.add_argument("--single-max", type=int, default=3_000_000)
    parser.add_argument("--limit", type=float, default=3600, help="seconds for a child run")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--only", choices=["pieces", "places"])
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    print(f"machine: {psutil.cpu_count()} cores, load {psutil.getloadavg()[0]:.1f} (shared)")
    try:
        if args.only != "places":
            pieces_part(args, counts, work)
        if args.only != "pieces":
            places_part(args, counts, work)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
