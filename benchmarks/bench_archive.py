"""Benchmark: an archive of one map a day (issue 9), against the loop a tracker writes.

Input: the real archive ``../shared/data/frontline/ukraine_daily_changes.parquet``
when present (1,641 days; the ground held is ``nochange`` and ``gains``), else a
synthetic archive of the same shape written to a temporary GeoParquet: a front of
~7,000 vertices that moves a little each day and is redrawn with vertex jitter.

Each side runs in its own forked process, so its peak memory (ru_maxrss) is its own:

- controlmap: ``read_snapshots`` (streamed), then ``area(freq="D")`` and
  ``change_series(freq="W")``, and a year of ``change_series(freq="D")``;
- baseline: read the file with geopandas, then for each day the union of its
  features, projected to an equal-area CRS (EPSG:6933), area; and for each week the
  ground gained and lost (differences of the two days' unions, projected).

It also checks, on every 10th day, the timeline's area against pyproj's geodesic area
of that day's own map, and reports both series' largest disagreement.

Two more measurements (issue 9, items 3 and 5), each in its own process too:

- memory: peak RSS of streaming the archive into a timeline and answering two dates
  (``at`` and ``area``), against the file's size and the sizes (WKB) of the timeline's
  pieces and of two days' maps: "the timeline plus two days";
- the slider page of the first ``--page-days`` days (769: the issue's case; a
  synthetic archive of 769 days of a 2,940-vertex front when the real one is absent):
  its size, the time it takes to open in headless Chromium (``/usr/bin/chromium``,
  through playwright, offline), and the time of each slider step (script, style,
  layout and paint: until the frame after the step); against the size of every day's
  map as GeoJSON (what a page of one folium layer a day carries).

Goals: the whole archive built in under 60 s and 4 GB on 2 cores; a year of daily
changes in under 1 s once built. The machine may be shared: read the ratios too.

Run: ``python benchmarks/bench_archive.py [--days N] [--synthetic] [--min-change-km2 X]
[--page-days N] [--no-page]``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

import controlmap

# ../shared beside the main checkout; a worktree sits deeper, so look up the parents.
REAL = next(
    (
        folder / "shared" / "data" / "frontline" / "ukraine_daily_changes.parquet"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "data" / "frontline").is_dir()
    ),
    Path("/nonexistent"),
)
GEOD = Geod(ellps="WGS84")


def synthetic_archive(path: Path, days: int, seed: int = 0, vertices: int = 7000) -> None:
    """A front moving a little each day, redrawn each day with 30 m of vertex jitter."""
    rng = np.random.default_rng(seed)
    ys = np.linspace(45.5, 51.5, vertices)
    base = 36.5 + 0.6 * np.sin(ys * 3.0) + 0.05 * np.sin(ys * 50.0)
    drift = np.zeros_like(ys)
    rows = []
    start = pd.Timestamp("2022-02-24")
    for d in range(days):
        # A few bulges of the front move each day; the rest stays but is redrawn.
        centre = rng.uniform(45.5, 51.5)
        drift += rng.normal(0, 0.01) * np.exp(-(((ys - centre) / 0.1) ** 2))
        xs = base + drift + rng.normal(0, 3e-4, len(ys))
        ring = [(31.0, 45.5), *zip(xs, ys, strict=True), (31.0, 51.5)]
        rows.append(
            {
                "date": (start + pd.Timedelta(days=d)).date(),
                "kind": "nochange",
                "geometry": shapely.Polygon(ring),
            }
        )
    gpd.GeoDataFrame(rows, crs=4326).to_parquet(path)


def held_mask(frame: pd.DataFrame) -> Any:
    return frame["kind"] != "losses"


def run_controlmap(path: str, days: int | None, min_change: float) -> dict[str, Any]:
    from controlmap.archive import iter_snapshots, timeline_from_snapshots

    t0 = time.perf_counter()
    stream = iter_snapshots(path, where=held_mask, progress=False)
    if days:
        stream = itertools.islice(stream, days)
    tl = timeline_from_snapshots(stream, default_actor="held", min_change_km2=min_change)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    daily = tl.area(freq="D")["held"]
    area_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    weekly = tl.change_series("W")
    weekly_s = time.perf_counter() - t0
    first = tl.change_dates[0]
    t0 = time.perf_counter()
    year = tl.change_series(
        "D", start=first, end=min(first + pd.Timedelta(days=365), tl.change_dates[-1])
    )
    year_s = time.perf_counter() - t0
    report = tl.snapshot_report
    assert report is not None
    return {
        "build_s": build,
        "area_s": area_s,
        "weekly_s": weekly_s,
        "year_daily_s": year_s,
        "year_rows": len(year),
        "daily": daily,
        "weekly": weekly.set_index("end")["net_km2"],
        "pieces": len(tl),
        "summary": report.summary(),
        "stored": report.stored_vertices,
        "read": report.input_vertices,
        "deviation_pct": report.largest_deviation_percent,
        "own": report.days.set_index("date")["own_km2"],
    }


def run_baseline(path: str, days: int | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    frame = gpd.read_parquet(path)
    frame = frame.loc[held_mask(frame)]
    frame["date"] = pd.to_datetime(frame["date"])
    dates = sorted(frame["date"].unique())[: days or None]
    unions = {}
    areas = {}
    for day in dates:
        geom = shapely.union_all(frame.loc[frame["date"] == day].geometry.values)
        unions[day] = geom
        areas[day] = gpd.GeoSeries([geom], crs=4326).to_crs(6933).area.iloc[0] / 1e6
    daily_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    weeks = pd.date_range(dates[0], dates[-1], freq="W")
    bounds = sorted({dates[0], *weeks, dates[-1]})
    net = {}
    for a, b in itertools.pairwise(bounds):
        gained = gpd.GeoSeries([unions[b].difference(unions[a])], crs=4326).to_crs(6933)
        lost = gpd.GeoSeries([unions[a].difference(unions[b])], crs=4326).to_crs(6933)
        net[b] = (gained.area.iloc[0] - lost.area.iloc[0]) / 1e6
    weekly_s = time.perf_counter() - t0
    # Independent check of the geodesic areas: pyproj on every 10th day's own map.
    check = {
        day: abs(GEOD.geometry_area_perimeter(shapely.segmentize(unions[day], 0.1))[0]) / 1e6
        for day in dates[::10]
    }
    return {
        "build_s": daily_s,
        "weekly_s": weekly_s,
        "daily": pd.Series(areas),
        "weekly": pd.Series(net),
        "geodesic": pd.Series(check),
        "read": int(sum(shapely.get_num_coordinates(frame.geometry.values))),
    }


def _rss_mb() -> float:
    """This process's resident memory now (MB), from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def write_day_files(path: str, days: int | None, folder: str) -> dict[str, Any]:
    """The archive as a folder of one GeoParquet file a day (a temporary copy)."""
    from controlmap.archive import iter_snapshots

    stream = iter_snapshots(path, progress=False)
    for stamp, frame, _file in itertools.islice(stream, days):
        frame.to_parquet(Path(folder) / f"{stamp:%Y-%m-%d}.parquet")
    return {"bytes": sum(f.stat().st_size for f in Path(folder).iterdir())}


def run_memory(path: str, days: int | None, min_change: float) -> dict[str, Any]:
    """Peak memory of streaming the archive into a timeline and answering two dates."""
    # The readers' libraries are loaded first: their code is not the data's memory.
    import pyarrow.parquet  # noqa: F401
    import pyogrio  # noqa: F401

    from controlmap.archive import iter_snapshots, timeline_from_snapshots
    from controlmap.io import reading  # noqa: F401

    start_mb = _rss_mb()
    stream = iter_snapshots(path, where=held_mask, progress=False)
    if days and not Path(path).is_dir():
        stream = itertools.islice(stream, days)
    tl = timeline_from_snapshots(stream, default_actor="held", min_change_km2=min_change)
    dates = tl.change_dates
    a, b = dates[len(dates) // 3], dates[-1]
    maps = [tl.at(a), tl.at(b)]
    km2 = tl.area([a, b])
    wkb = shapely.to_wkb(tl.periods.geometry.values)
    two_days = sum(len(w) for m in maps for w in shapely.to_wkb(m.geometry.values))
    return {
        "start_mb": start_mb,
        "end_mb": _rss_mb(),
        "timeline_mb": sum(len(w) for w in wkb) / 2**20,
        "two_days_mb": two_days / 2**20,
        "km2": km2,
    }


def page_archive(path: str, days: int, min_change: float) -> Any:
    """The timeline of the first ``days`` days, and every day's map as GeoJSON bytes."""
    from controlmap.archive import iter_snapshots, timeline_from_snapshots

    geojson = 0

    def counted(stream: Any) -> Any:
        nonlocal geojson
        for stamp, frame, file in stream:
            geojson += len(frame.loc[held_mask(frame)].geometry.to_json().encode())
            yield stamp, frame, file

    stream = itertools.islice(iter_snapshots(path, progress=False), days)
    tl = timeline_from_snapshots(
        ((d, f.loc[held_mask(f)], n) for d, f, n in counted(stream)),
        default_actor="held",
        min_change_km2=min_change,
    )
    return tl, geojson


STEP_SCRIPT = """async (passes) => {
  const api = window.controlmapMaps[0];
  const n = api.data.dates.length, times = [], best = [];
  // Until the frame after the step is painted: rAF runs before the paint, the
  // timeout after it.
  const painted = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  for (let pass = 0; pass < passes; pass++) {
    api.showIndex(0); await painted();
    for (let i = 1; i < n; i++) {
      const t0 = performance.now();
      api.showIndex(i);
      await painted();
      const took = performance.now() - t0;
      times.push(took);
      best[i - 1] = pass ? Math.min(best[i - 1], took) : took;
    }
  }
  return {all: times, best: best};
}"""
#: Passes over the slider: each step's best of them is its time on a quiet machine.
PASSES = 3


def run_page(path: str, days: int, min_change: float) -> dict[str, Any]:
    """Write the slider page of ``days`` days, open it in Chromium, step the slider."""
    from playwright.sync_api import sync_playwright

    from controlmap.render import save, timeline_map

    tl, geojson = page_archive(path, days, min_change)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        page_path = save(timeline_map(tl), Path(tmp) / "archive.html")
        write_s = time.perf_counter() - t0
        size = page_path.stat().st_size
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            asked: list[str] = []

            def route(r: Any) -> None:
                if r.request.url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    asked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            t0 = time.perf_counter()
            page.goto(page_path.as_uri())
            page.wait_for_function("window.controlmapMaps && window.controlmapMaps.length > 0")
            load_s = time.perf_counter() - t0
            stepped = page.evaluate(STEP_SCRIPT, PASSES)
            browser.close()
    stored = int(shapely.get_num_coordinates(tl.periods.geometry.values).sum())
    return {
        "days": days,
        "pieces": len(tl),
        "stops": len(tl.change_dates),
        "stored": stored,
        "page_mb": size / 1e6,
        "geojson_mb": geojson / 1e6,
        "write_s": write_s,
        "load_s": load_s,
        "step_ms": np.array(stepped["all"]),
        "best_step_ms": np.array(stepped["best"]),
        "load_average": os.getloadavg()[0],
        "network": asked,
        "deviation_pct": tl.snapshot_report.largest_deviation_percent,
    }


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    """Run ``target`` in a forked process; return its result and its own peak memory."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def work() -> None:
        cpu = time.process_time()
        result = target(*args)
        result["cpu_s"] = time.process_time() - cpu
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child.send(result)

    process = ctx.Process(target=work)
    process.start()
    result = parent.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, help="only the first N days")
    parser.add_argument("--synthetic", action="store_true", help="even if the real one exists")
    parser.add_argument("--synthetic-days", type=int, default=1641)
    parser.add_argument("--min-change-km2", type=float, default=0.0)
    parser.add_argument("--page-days", type=int, default=769, help="days of the slider page")
    parser.add_argument(
        "--page-min-change-km2",
        type=float,
        help="min_change_km2 of the page's timeline (default: --min-change-km2 on the real"
        " archive, 0.05 on the synthetic one, whose jitter would otherwise be kept)",
    )
    parser.add_argument("--no-page", action="store_true", help="skip the slider page")
    parser.add_argument(
        "--only-page", action="store_true", help="only the slider page (no build comparison)"
    )
    parser.add_argument("--only-memory", action="store_true", help="only the memory figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if REAL.exists() and not args.synthetic:
            path, label = str(REAL), f"real archive {REAL.name}"
            page_path, page_label = path, label
            page_min = args.min_change_km2
        else:
            path = str(Path(tmp) / "synthetic.parquet")
            synthetic_archive(Path(path), args.synthetic_days)
            label = f"synthetic archive ({args.synthetic_days} days, jittered front)"
            page_path = str(Path(tmp) / "synthetic_page.parquet")
            if not args.no_page:
                synthetic_archive(Path(page_path), args.page_days, vertices=2940)
            page_label = f"synthetic archive ({args.page_days} days, 2,940-vertex jittered front)"
            page_min = 0.05
        if args.page_min_change_km2 is not None:
            page_min = args.page_min_change_km2
        print(f"input: {label}; controlmap {controlmap.__version__}")
        file_mb = Path(path).stat().st_size / 2**20
        page = None if args.no_page else in_child(run_page, page_path, args.page_days, page_min)
        if page is not None:
            print_page(page, page_label, page_min)
        if args.only_page:
            return
        memory = in_child(run_memory, path, args.days, args.min_change_km2)
        # The same days as a folder of day files: read one file at a time.
        folder = Path(tmp) / "days"
        folder.mkdir()
        folder_mb = in_child(write_day_files, path, args.days, str(folder))["bytes"] / 2**20
        by_day = in_child(run_memory, str(folder), None, args.min_change_km2)
        print_memory(memory, by_day, file_mb, folder_mb)
        if args.only_memory:
            return
        ours = in_child(run_controlmap, path, args.days, args.min_change_km2)
        base = in_child(run_baseline, path, args.days)
    print(ours["summary"])
    days = len(ours["daily"])
    print(f"{'':32}{'controlmap':>12}{'baseline':>12}{'ratio':>9}")
    rows = [
        ("build / daily areas (s)", ours["build_s"] + ours["area_s"], base["build_s"]),
        ("  of which build (s)", ours["build_s"], None),
        ("  of which area(freq='D') (s)", ours["area_s"], None),
        ("weekly change series (s)", ours["weekly_s"], base["weekly_s"]),
        ("peak memory (MB)", ours["peak_mb"], base["peak_mb"]),
    ]
    for name, mine, theirs in rows:
        ratio = f"{theirs / mine:8.1f}x" if theirs else ""
        print(f"{name:32}{mine:12.2f}{theirs if theirs else float('nan'):12.2f}{ratio}")
    print(
        f"a year of daily changes once built: {ours['year_daily_s']:.3f} s"
        f" ({ours['year_rows']} rows)"
    )
    print(
        f"vertices read {ours['read']:,}, stored {ours['stored']:,}"
        f" ({ours['stored'] / ours['read']:.3f} of the input); pieces {ours['pieces']:,};"
        f" {days} days"
    )
    daily_ours = ours["daily"]
    daily_base = base["daily"].reindex(daily_ours.index).dropna()
    rel = ((daily_ours.loc[daily_base.index] - daily_base) / daily_base).abs()
    print(f"daily area vs baseline (EPSG:6933): largest difference {100 * rel.max():.3f} %")
    geodesic = base["geodesic"]
    rel = ((daily_ours.reindex(geodesic.index) - geodesic) / geodesic).abs()
    print(
        f"daily area vs pyproj geodesic of the day's own map ({len(geodesic)} days):"
        f" largest difference {100 * rel.max():.5f} % (must be under 0.05 %)"
    )
    weekly_base = base["weekly"]
    weekly_ours = ours["weekly"].reindex(weekly_base.index)
    print(
        f"weekly net change vs baseline ({len(weekly_base)} weeks): largest difference"
        f" {(weekly_ours - weekly_base).abs().max():.2f} km²"
        f" (equal-area projection vs geodesic; mean |net| {weekly_base.abs().mean():.1f} km²)"
    )
    print(f"largest deviation from a day's own map: {ours['deviation_pct']:.5f} %")
    print(
        f"CPU (user+sys) of each process: controlmap {ours['cpu_s']:.1f} s,"
        f" baseline {base['cpu_s']:.1f} s (wall times above; the machine may be shared)"
    )


def print_memory(
    memory: dict[str, Any], by_day: dict[str, Any], file_mb: float, folder_mb: float
) -> None:
    """Peak memory of the timeline and two days, from one file and from a folder."""
    print(
        f"timeline + two days: peak memory {memory['peak_mb']:.0f} MB"
        f" ({memory['start_mb']:.0f} MB before reading: Python and the libraries;"
        f" {memory['end_mb']:.0f} MB at the end);"
        f" the file {file_mb:.1f} MB, the timeline's pieces {memory['timeline_mb']:.1f} MB"
        f" of WKB, two days' maps {memory['two_days_mb']:.1f} MB"
    )
    print(
        f"  the same days as a folder of day files ({folder_mb:.1f} MB): peak memory"
        f" {by_day['peak_mb']:.0f} MB ({by_day['start_mb']:.0f} MB before reading,"
        f" {by_day['end_mb']:.0f} MB at the end)"
    )


def print_page(page: dict[str, Any], page_label: str, page_min: float) -> None:
    """The slider page's figures."""
    steps = page["step_ms"]
    print(
        f"slider page of {page['days']} days ({page_label};"
        f" min_change_km2={page_min:g}, largest deviation {page['deviation_pct']:.4f} %):"
        f" {page['pieces']:,} pieces, {page['stored']:,} vertices, {page['stops']} slider"
        f" stops"
    )
    print(
        f"  page {page['page_mb']:.2f} MB (goal 2 MB) vs every day's map as GeoJSON"
        f" {page['geojson_mb']:.1f} MB ({page['geojson_mb'] / page['page_mb']:.0f}x);"
        f" written in {page['write_s']:.2f} s"
    )
    best = page["best_step_ms"]
    print(
        f"  opens in {page['load_s']:.2f} s (goal 2 s); a slider step (until the next"
        f" frame is painted; goal 50 ms), {PASSES} passes: median {np.median(steps):.1f} ms,"
        f" 95th percentile {np.percentile(steps, 95):.1f} ms, slowest {steps.max():.1f} ms;"
        f" each step's best of the passes: median {np.median(best):.1f} ms, slowest"
        f" {best.max():.1f} ms (load average {page['load_average']:.1f} on"
        f" {os.cpu_count()} cores)"
    )
    print(f"  network requests: {len(page['network'])}")


if __name__ == "__main__":
    main()
