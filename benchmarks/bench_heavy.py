"""Time and peak memory of the CLI on heavy inputs (issue 14, item 11).

Generates four synthetic GeoJSON timelines into a temporary folder (nothing is
downloaded):

- ``overlap``: about 200 MB of 2,000-vertex periods of three actors, large and
  heavily overlapping in space and time (4,500 periods at full scale);
- ``small``: about 118,000 small 12-vertex periods;
- ``huge``: one polygon of 5 million vertices (a wandering coastline);
- ``many``: 100,000 small periods, for the slider ``map``.

Each command runs in a fresh ``controlmap`` process; its wall time, CPU time (user +
system, from ``os.wait4``) and peak resident set size (the child's own ``VmHWM``,
which it reports as it exits) are printed, with the peak as a multiple of the file
size and above what the command's imports alone take (printed first: the part of
every peak no input changes). A plain geopandas baseline runs in this process on the
same file, and each command's wall and CPU time are also given as ratios to it: for
the area questions, read with pyogrio, filter the periods active on the date,
dissolve by actor, project to an equal-area CRS and sum the areas; for ``map``, read
with pyogrio and write the frame as GeoJSON text (what any page of the periods has to
carry). The machine load is printed too: on a shared machine wall times say little
alone.

Goals: on ``overlap``, ``info``, one ``snapshot`` and one ``area`` date each under
30 s and under 3x the file size; ``map`` of ``many`` under 5x the file size.

    python benchmarks/bench_heavy.py                 # full size (takes a while)
    python benchmarks/bench_heavy.py --scale 0.1     # a tenth of every input
    python benchmarks/bench_heavy.py --cases overlap --commands info,area
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

DATE = "2016-01-01"
ACTORS = ["Islamic State", "Iraqi government", "SDF"]


def _feature(index: int, ring: np.ndarray, properties: dict[str, str]) -> str:
    coords = ",".join(f"[{x:.6f},{y:.6f}]" for x, y in ring)
    props = ", ".join(f'"{k}": "{v}"' for k, v in properties.items())
    return (
        f'{{"type": "Feature", "id": {index}, "properties": {{{props}}}, '
        f'"geometry": {{"type": "Polygon", "coordinates": [[{coords}]]}}}}'
    )


def _write(path: Path, features: Iterator[str]) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write('{"type": "FeatureCollection", "features": [\n')
        for i, text in enumerate(features):
            stream.write((",\n" if i else "") + text)
        stream.write("\n]}\n")


def _star(
    rng: np.random.Generator, cx: float, cy: float, radius: float, vertices: int
) -> np.ndarray:
    """A jagged, valid star-shaped ring, counter-clockwise and closed."""
    angles = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    r = radius * (1 + 0.1 * rng.standard_normal(vertices)).clip(0.6, 1.4)
    ring = np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])
    return np.vstack([ring, ring[:1]])


def _dates(rng: np.random.Generator, days_min: int, days_max: int) -> dict[str, str]:
    start = pd.Timestamp("2013-01-01") + pd.Timedelta(days=int(rng.integers(0, 6 * 365)))
    end = start + pd.Timedelta(days=int(rng.integers(days_min, days_max)))
    return {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}


def overlapping(path: Path, periods: int, vertices: int = 2000, seed: int = 0) -> None:
    """Large jagged periods over Iraq/Syria: hundreds cover any place at any time."""
    rng = np.random.default_rng(seed)

    def features() -> Iterator[str]:
        for i in range(periods):
            x, y, radius = rng.uniform(38, 44), rng.uniform(31, 36), rng.uniform(0.5, 2.0)
            ring = _star(rng, x, y, radius, vertices)
            props = {"actor": ACTORS[i % 3], **_dates(rng, 60, 1500), "source": f"synthetic {i}"}
            yield _feature(i, ring, props)

    _write(path, features())


def small(path: Path, periods: int, seed: int = 1) -> None:
    """Many small 12-vertex periods scattered over the region, a few overlapping."""
    rng = np.random.default_rng(seed)

    def features() -> Iterator[str]:
        for i in range(periods):
            x, y, radius = rng.uniform(36, 46), rng.uniform(30, 37), rng.uniform(0.005, 0.03)
            ring = _star(rng, x, y, radius, 12)
            props = {"actor": ACTORS[i % 3], **_dates(rng, 30, 400), "source": f"s{i}"}
            yield _feature(i, ring, props)

    _write(path, features())


def _coast(
    rng: np.random.Generator, cx: float, cy: float, radius: float, vertices: int
) -> np.ndarray:
    """A long, wandering, valid ring like a detailed coastline: a star-shaped ring whose
    radius drifts by a random walk (10 % at most), so each edge is short.

    Not :func:`_star` for millions of vertices: independent jitter at every vertex makes
    a hairbrush of long radial spikes whose every edge's box overlaps tens of thousands
    of others, and GEOS's validity check on it grows with the square of the vertices
    (100,000 of them: 2.4 s; 5 million: over an hour), which no drawn map does.
    """
    angles = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    walk = np.cumsum(rng.standard_normal(vertices))
    walk -= np.linspace(0.0, walk[-1], vertices)  # ends where it starts
    r = radius * (1 + 0.1 * walk / np.abs(walk).max())
    ring = np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])
    return np.vstack([ring, ring[:1]])


def huge(path: Path, vertices: int, seed: int = 2) -> None:
    """One period whose polygon has ``vertices`` vertices."""
    rng = np.random.default_rng(seed)
    ring = _coast(rng, 41.0, 34.0, 3.0, vertices)
    _write(path, iter([_feature(0, ring, {"actor": ACTORS[0], "start": "2014-01-01"})]))


CASES: dict[str, tuple[Callable[[Path, int], None], int, list[str]]] = {
    # name: (writer, full-size argument, commands)
    "overlap": (overlapping, 4523, ["info", "snapshot", "area", "baseline"]),
    "small": (small, 118_405, ["info", "snapshot", "area", "baseline"]),
    "huge": (huge, 5_000_000, ["info", "snapshot", "area", "baseline"]),
    "many": (small, 100_000, ["map", "baseline"]),
}


# The child reports its own high-water mark (VmHWM, reset when a process execs) on
# exit. ``ru_maxrss`` from wait4 is not its own: Linux carries the parent's peak into a
# forked child, so every command seemed to use what the in-process baseline had used.
# The command runs as the installed ``controlmap`` script runs it (running the module
# with runpy instead added 7 MB to every peak).
_REPORT_PEAK = """
import atexit, sys
def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write(f"\\nVmHWM {kb}\\n")
atexit.register(peak)
"""
PEAK_WRAPPER = _REPORT_PEAK + "from controlmap.cli import main\nsys.exit(main(sys.argv[1:]))\n"
# What a command holds before it reads a byte: Python, pandas (with pyarrow), geopandas,
# shapely, pyproj; for ``map`` folium too. Printed so that a peak can be read against it.
IMPORTS_ONLY = {
    "core": _REPORT_PEAK + "import controlmap.cli\n",
    "map": _REPORT_PEAK + "import controlmap.cli\nfrom controlmap.render import timeline_map\n",
}


def command_line(command: str, path: Path, out: Path) -> list[str]:
    exe = [sys.executable, "-c", PEAK_WRAPPER]
    if command == "info":
        return [*exe, "info", str(path)]
    if command == "snapshot":
        return [*exe, "snapshot", str(path), "--date", DATE, "-o", str(out / "snap.geojson")]
    if command == "area":
        return [*exe, "area", str(path), "--dates", DATE, "-o", str(out / "area.csv")]
    if command == "map":
        return [*exe, "map", str(path), "-o", str(out / "map.html")]
    raise ValueError(command)


def run_child(argv: list[str], timeout: float) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS in bytes and exit code of one child process.

    The child is killed if it outlives ``timeout``, and also if this benchmark is
    interrupted or terminated while waiting (a child left running would load the
    machine under every later measurement).
    """
    started = time.perf_counter()
    # Its stderr goes to a file, not a pipe: a child writing more than a pipe holds
    # would wait for a reader that only reads once it has exited.
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)
    deadline = started + timeout
    try:
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if child.returncode is None:  # interrupted before the child ended
            child.kill()
            child.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
        errors.close()
    seconds = time.perf_counter() - started
    if child.returncode:
        print(f"    exit {child.returncode}: {message[-300:]}")
    marks = [line.split()[1] for line in message.splitlines() if line.startswith("VmHWM ")]
    peak = float(marks[-1]) * 1024.0 if marks else float("nan")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, peak, child.returncode


def baseline(path: Path, kind: str) -> tuple[float, float]:
    """Wall and CPU seconds of the plain geopandas version of ``kind`` ("area" or "map")."""
    started, cpu = time.perf_counter(), time.process_time()
    # GDAL refuses a GeoJSON feature over 200 MB unless told otherwise (``huge``).
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": "0"})
    frame = gpd.read_file(path, engine="pyogrio")
    if kind == "map":
        with tempfile.TemporaryFile("w") as stream:
            stream.write(frame.to_json(default=str))  # dates read as timestamps
        return time.perf_counter() - started, time.process_time() - cpu
    day = pd.Timestamp(DATE)
    start = pd.to_datetime(frame["start"])
    end = pd.to_datetime(frame["end"]) if "end" in frame.columns else pd.Series(pd.NaT, frame.index)
    active = frame[(start <= day) & (end.isna() | (end > day))]
    dissolved = active.dissolve(by="actor")
    _ = dissolved.to_crs("EPSG:6933").area / 1e6
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of every input size")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument("--commands", help="comma-separated commands (default: all of each case)")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per command")
    parser.add_argument("--keep", help="write the inputs into this folder and keep them")
    args = parser.parse_args()
    # SIGTERM and SIGHUP unwind like Ctrl-C, so that run_child kills a running command.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: sys.exit(128 + number))
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_heavy_"))
    folder.mkdir(parents=True, exist_ok=True)
    floors = {
        k: run_child([sys.executable, "-c", code], args.timeout)[2]
        for k, code in IMPORTS_ONLY.items()
    }
    print(
        f"imports alone: peak {floors['core'] / 1e6:.0f} MB (controlmap.cli),"
        f" {floors['map'] / 1e6:.0f} MB (and the maps, with folium)"
    )
    try:
        for name in args.cases.split(","):
            writer, size, commands = CASES[name]
            if args.commands:
                commands = [c for c in commands if c in args.commands.split(",")]
            path = folder / f"{name}-{args.scale:g}.geojson"
            if not path.exists():
                started = time.perf_counter()
                writer(path, max(1, round(size * args.scale)))
                print(f"{name}: wrote {path.name} in {time.perf_counter() - started:.0f} s")
            megabytes = path.stat().st_size / 1e6
            print(f"{name}: {megabytes:.1f} MB")
            kind = "map" if "map" in commands else "area"
            base = baseline(path, kind) if "baseline" in commands else None
            if base is not None:
                what = "read + GeoJSON text" if kind == "map" else "one date"
                print(
                    f"  geopandas baseline ({what}, in process): {base[0]:8.1f} s"
                    f"  cpu {base[1]:7.1f} s  (load {os.getloadavg()[0]:.1f})"
                )
            for command in commands:
                if command == "baseline":
                    continue
                load = os.getloadavg()[0]
                seconds, cpu, peak, _ = run_child(command_line(command, path, folder), args.timeout)
                ratio = (
                    f"  {seconds / base[0]:5.1f}x / {cpu / base[1]:5.1f}x baseline wall / cpu"
                    if base
                    else ""
                )
                print(
                    f"  {command:9s} {seconds:8.1f} s  cpu {cpu:7.1f} s  peak {peak / 1e6:7.0f} MB"
                    f" ({(peak - floors['map' if command == 'map' else 'core']) / 1e6:.0f}"
                    " above the imports)"
                    f"  {peak / 1e6 / megabytes:5.2f}x file{ratio}  (load {load:.1f})",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
