"""Peak memory of ``controlmap.read`` on a large GeoJSON timeline.

Writes a synthetic timeline of about ``--size-mb`` megabytes (default 200) into a
temporary folder, then reads it in a fresh Python process and reports that
process's peak resident set size (``ru_maxrss``), the baseline after importing
controlmap, and both as ratios to the file size. Nothing is downloaded.

    python benchmarks/bench_read_memory.py               # ~200 MB
    python benchmarks/bench_read_memory.py --size-mb 20  # quicker
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Runs in the child: import first (the baseline), then read and report.
CHILD = """
import json, resource, sys, time
import controlmap
import geopandas
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if sys.argv[2] == "controlmap":
    count = len(controlmap.read(sys.argv[1]))
elif sys.argv[2] == "pyogrio":  # GDAL's streaming GeoJSON reader, no per-feature checks
    count = len(geopandas.read_file(sys.argv[1], engine="pyogrio"))
else:  # the whole document with json.loads, as controlmap 0.1 did
    with open(sys.argv[1], encoding="utf-8") as stream:
        count = len(json.load(stream)["features"])
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_kib": base, "peak_kib": peak, "seconds": seconds,
                  "periods": count}))
"""


def write_timeline(path: Path, size_mb: float, vertices: int, seed: int = 0) -> int:
    """Write a FeatureCollection of jagged polygons until the file reaches ``size_mb``."""
    rng = np.random.default_rng(seed)
    target = size_mb * 1_000_000
    angles = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    written = 0
    count = 0
    with open(path, "w", encoding="utf-8") as stream:
        written += stream.write('{"type": "FeatureCollection", "features": [\n')
        while written < target:
            cx, cy = rng.uniform(36, 46), rng.uniform(30, 37)
            radius = rng.uniform(0.05, 0.8) * (1 + 0.15 * rng.standard_normal(vertices)).clip(0.5)
            # Counter-clockwise exterior (RFC 7946), closed by repeating the first vertex.
            ring = np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
            ring = np.vstack([ring, ring[:1]])
            coords = ",".join(f"[{x:.6f},{y:.6f}]" for x, y in ring)
            year = 2013 + count % 6
            properties = {
                "actor": ["Islamic State", "Iraqi government", "SDF"][count % 3],
                "start": f"{year}-{1 + count % 12:02d}-01",
                "end": f"{year + 1}-{1 + count % 12:02d}-01",
                "source": f"synthetic {count}",
            }
            separator = ",\n" if count else ""
            written += stream.write(
                f'{separator}{{"type": "Feature", "id": {count}, "properties": '
                f'{json.dumps(properties)}, "geometry": {{"type": "Polygon", '
                f'"coordinates": [[{coords}]]}}}}'
            )
            count += 1
        stream.write("\n]}\n")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200.0)
    parser.add_argument("--vertices", type=int, default=2000, help="vertices per polygon")
    parser.add_argument(
        "--reader",
        choices=["controlmap", "pyogrio", "json"],
        default="controlmap",
        help="what reads the file: controlmap.read (default), geopandas+pyogrio, json.load",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "timeline.geojson"
        t0 = time.perf_counter()
        features = write_timeline(path, args.size_mb, args.vertices)
        size = path.stat().st_size
        print(f"wrote {size / 1e6:.1f} MB, {features} features in {time.perf_counter() - t0:.1f} s")
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), args.reader],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode:
            sys.exit(f"read failed:\n{run.stderr}")
        result = json.loads(run.stdout.strip().splitlines()[-1])
    base, peak = result["baseline_kib"] * 1024, result["peak_kib"] * 1024
    print(f"{args.reader}: read {result['periods']} features in {result['seconds']:.1f} s")
    print(f"file size        {size / 1e6:8.1f} MB")
    print(f"baseline RSS     {base / 1e6:8.1f} MB  (Python + controlmap imported)")
    print(f"peak RSS         {peak / 1e6:8.1f} MB  = {peak / size:.2f} x file size")
    print(
        f"peak - baseline  {(peak - base) / 1e6:8.1f} MB  = {(peak - base) / size:.2f} x file size"
    )


if __name__ == "__main__":
    main()
