"""Every kind of malformed input: a specific ControlMapError in Python, exit 2 in the CLI.

Each case is a file written here; the Python check asserts the exception class and
that the message names the file, the feature (when one feature is at fault) and
the problem; the CLI check runs ``controlmap validate`` (and ``export`` for some)
in a subprocess and asserts exit code 2, one to three lines on stderr naming the
same things, and no traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

import controlmap
from controlmap import DataError, DateError, FormatError, GeometryError

SQUARE = [[40.0, 34.0], [41.0, 34.0], [41.0, 35.0], [40.0, 35.0], [40.0, 34.0]]


def feature(
    actor: Any = "Islamic State",
    start: Any = "2014-06-10",
    end: Any = "2015-01-01",
    geometry: Any = None,
    fid: Any = None,
    ring: list[list[float]] | None = None,
) -> dict[str, Any]:
    props = {"actor": actor, "start": start, "end": end}
    item: dict[str, Any] = {
        "type": "Feature",
        "properties": {k: v for k, v in props.items() if v is not ...},
        "geometry": geometry
        if geometry is not None
        else {"type": "Polygon", "coordinates": [ring or SQUARE]},
    }
    if fid is not None:
        item["id"] = fid
    return item


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def good(n: int = 1) -> list[dict[str, Any]]:
    return [feature(fid=f"ok-{i}") for i in range(n)]


@dataclass
class Case:
    """A bad file, the error it must raise, and words its message must hold."""

    content: bytes | Callable[[Path], Path]
    error: type[Exception]
    feature: str | None  # e.g. "feature 2" or "feature 1 (id 'b')"
    problem: str  # a regular expression


def _shapefile_without_prj(folder: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {"actor": ["A", "B"], "start": ["2014-01-01", "2015-01-01"]},
        geometry=[shapely.box(0.5, 0.5, 1, 1), shapely.box(400_000, 3_700_000, 420_000, 3_720_000)],
        crs=32638,
    )
    path = folder / "projected.shp"
    frame.to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    return path


def _gpkg(rows: list[dict[str, Any]], geometries: list[Any]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "bad.gpkg"
        gpd.GeoDataFrame(rows, geometry=geometries, crs=4326).to_file(path, engine="pyogrio")
        return path

    return make


def _nan_polygon() -> shapely.Polygon:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns about the NaN
        return shapely.Polygon([(40, 34), (41, 34), (41, np.nan), (40, 34)])


FULL = collection(*good(3))
CASES: dict[str, Case] = {
    "not json": Case(b"actor,start\nIS,2014\n", FormatError, None, "not valid JSON"),
    "truncated": Case(
        FULL[: len(FULL) // 2], FormatError, "feature 1", r"truncated|not valid JSON"
    ),
    "truncated at end": Case(
        FULL[:-3], FormatError, "feature 2", r"ends too early \(truncated\?\)"
    ),
    "empty file": Case(b"", FormatError, None, "is empty"),
    "blank file": Case(b"  \n\n", FormatError, None, "is empty"),
    "binary garbage": Case(bytes(range(256)) * 8, FormatError, None, "not UTF-8"),
    "topojson": Case(
        json.dumps({"type": "Topology", "objects": {}, "arcs": []}).encode(),
        FormatError,
        None,
        "TopoJSON",
    ),
    "bare geometry": Case(
        json.dumps({"type": "Polygon", "coordinates": [SQUARE]}).encode(),
        FormatError,
        None,
        "bare Polygon geometry",
    ),
    "array": Case(b"[1, 2, 3]", FormatError, None, "JSON array, not a GeoJSON object"),
    "no actor": Case(
        collection(*good(2), feature(actor=None, fid="c")),
        DataError,
        "feature 2 (id 'c')",
        r"actor .* missing",
    ),
    "no actor field at all": Case(
        collection(feature(actor=...)), DataError, None, "no 'actor' field"
    ),
    "unparsable date": Case(
        collection(*good(1), feature(start="14/06/2014")),
        DateError,
        "feature 1",
        "not an ISO 8601 date",
    ),
    "impossible date": Case(
        collection(feature(start="2014-02-30")), DateError, "feature 0", "not a valid date"
    ),
    "end before start": Case(
        collection(*good(1), feature(start="2015-01-01", end="2014-06-01", fid=7)),
        DateError,
        "feature 1 (id 7)",
        "end 2014-06-01 is not after start 2015-01-01",
    ),
    "point": Case(
        collection(*good(1), feature(geometry={"type": "Point", "coordinates": [40, 34]})),
        GeometryError,
        "feature 1",
        "geometry is a Point",
    ),
    "line": Case(
        collection(feature(geometry={"type": "LineString", "coordinates": SQUARE})),
        GeometryError,
        "feature 0",
        "geometry is a LineString",
    ),
    "null geometry": Case(
        collection(feature(geometry=None) | {"geometry": None}),
        GeometryError,
        "feature 0",
        "no geometry",
    ),
    "unclosed ring": Case(
        collection(*good(2), feature(ring=[*SQUARE[:-1], [40.0, 34.5]])),
        GeometryError,
        "feature 2",
        "exterior ring is not closed",
    ),
    "nan coordinate": Case(
        collection(*good(1), feature(ring=[SQUARE[0], [float("nan"), 34.0], *SQUARE[2:]])),
        GeometryError,
        "feature 1",
        "NaN or infinite",
    ),
    "infinite coordinate": Case(
        FULL.replace(b"[41.0, 35.0]", b"[1e999, 35.0]", 1),
        GeometryError,
        "feature 0 (id 'ok-0')",
        "NaN or infinite",
    ),
    "projected geojson": Case(
        collection(feature(ring=[[x * 1e5, y * 1e5] for x, y in SQUARE])),
        GeometryError,
        "feature 0",
        "outside longitude/latitude range",
    ),
    "projected shapefile without prj": Case(
        _shapefile_without_prj, GeometryError, "feature 1", r"no CRS .* \.prj"
    ),
    "duplicate ids": Case(
        collection(feature(fid="a"), feature(fid="b"), feature(fid="a")),
        DataError,
        "feature 2 (id 'a')",
        r"duplicate id \(also feature 0\)",
    ),
    "empty collection": Case(collection(), DataError, None, "has no features"),
    "not a feature": Case(
        json.dumps({"type": "FeatureCollection", "features": [feature(), SQUARE]}).encode(),
        FormatError,
        "feature 1",
        "not a GeoJSON Feature",
    ),
    "geopackage point": Case(
        _gpkg(
            [{"actor": "A", "start": "2014-01-01"}, {"actor": "B", "start": "2014-01-01"}],
            [shapely.box(40, 34, 41, 35), shapely.Point(40, 34)],
        ),
        GeometryError,
        "feature 1",
        "geometry is a Point",
    ),
    "geopackage nan coordinate": Case(
        _gpkg(
            [{"actor": "A", "start": "2014-01-01"}, {"actor": "B", "start": "2014-01-01"}],
            [shapely.box(40, 34, 41, 35), _nan_polygon()],
        ),
        GeometryError,
        "feature 1",
        r"coordinate \(41, nan\) is not a finite number",
    ),
    "geopackage end before start": Case(
        _gpkg(
            [{"actor": "A", "start": "2015-01-01", "end": "2014-01-01"}], [shapely.box(0, 0, 1, 1)]
        ),
        DateError,
        "feature 0",
        "is not after start",
    ),
}


def _write(case: Case, folder: Path) -> Path:
    if callable(case.content):
        return case.content(folder)
    path = folder / "bad.geojson"
    path.write_bytes(case.content)
    return path


def _check_message(message: str, path: Path, case: Case) -> None:
    assert str(path) in message, message
    assert "np." not in message and "Timestamp(" not in message, message  # no Python reprs
    if case.feature is not None:
        assert f"{case.feature}:" in message, message
    else:
        assert not re.search(r"feature \d", message), message
    assert re.search(case.problem, message), message


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("function", [controlmap.read, controlmap.validate])
def test_python_error(name: str, function: Callable[..., Any], tmp_path: Path) -> None:
    case = CASES[name]
    path = _write(case, tmp_path)
    with pytest.raises(case.error) as info:
        function(path)
    assert isinstance(info.value, controlmap.ControlMapError)
    message = str(info.value)
    assert "\n" not in message
    _check_message(message, path, case)


def _check_cli(code: int, stderr: str, path: Path, case: Case) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert 1 <= len(lines) <= 3, stderr
    assert lines[0].startswith("controlmap: error: "), stderr
    _check_message(stderr, path, case)


# Runs ``controlmap.cli.main`` for each argument list in one fresh interpreter (an
# interpreter per case would cost a second of imports each) and reports, per case,
# the exit code and what was printed, exactly as a shell would have seen them.
DRIVER = """
import contextlib, io, json, sys
from controlmap.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    results.append({"code": code, "stderr": err.getvalue(), "stdout": out.getvalue()})
print(json.dumps(results))
"""


def _cli_batch(argvs: list[list[str]]) -> list[dict[str, Any]]:
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(argvs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_cli_errors(tmp_path: Path) -> None:
    cases, argvs = [], []
    for i, (name, case) in enumerate(CASES.items()):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        path = _write(case, folder)
        for command in (["validate"], ["info"], ["export", "-o", str(folder / "out.gpkg")]):
            cases.append((name, path, case))
            argvs.append([command[0], str(path), *command[1:]])
    failures = []
    for (name, path, case), argv, result in zip(cases, argvs, _cli_batch(argvs), strict=True):
        try:
            _check_cli(result["code"], result["stderr"], path, case)
        except AssertionError as exc:
            failures.append(f"{name} ({argv[0]}): {exc}")
    assert not failures, "\n".join(failures)
    assert not list(tmp_path.rglob("out.gpkg"))


@pytest.mark.parametrize(
    "name", ["truncated", "topojson", "duplicate ids", "projected shapefile without prj"]
)
def test_cli_errors_from_the_installed_command(name: str, tmp_path: Path) -> None:
    # The real entry point, in its own process, for a few cases.
    case = CASES[name]
    path = _write(case, tmp_path)
    run = subprocess.run(
        [_controlmap(), "validate", str(path)], capture_output=True, text=True, check=False
    )
    _check_cli(run.returncode, run.stderr, path, case)


def _controlmap() -> str:
    script = Path(sys.executable).with_name("controlmap")
    assert script.exists(), f"the controlmap command is not installed beside {sys.executable}"
    return str(script)


# ---------------------------------------------------------------------------- repairable
BOWTIE = [[40.0, 34.0], [41.0, 35.0], [41.0, 34.0], [40.0, 35.0], [40.0, 34.0]]
# A square whose ring comes back on itself with a spike: invalid, area unchanged by repair.
SPIKE = [
    [40.0, 34.0],
    [41.0, 34.0],
    [41.0, 35.0],
    [42.0, 36.0],
    [41.0, 35.0],
    [40.0, 35.0],
    [40.0, 34.0],
]
CLOCKWISE = SQUARE[::-1]
HOLE_TOUCHING = None  # built below: shell with a hole crossing its edge


def _geodesic_km2(geom: shapely.Geometry) -> float:
    """Area of the shape as drawn (straight lon/lat edges), by pyproj on a fine densification."""
    geod = Geod(ellps="WGS84")
    parts = shapely.get_parts(shapely.segmentize(geom, 0.01))
    return sum(abs(geod.geometry_area_perimeter(p)[0]) for p in parts) / 1e6


def _repairable(folder: Path) -> Path:
    crossing_hole = {
        "type": "Polygon",
        "coordinates": [
            SQUARE,
            [[40.5, 34.5], [41.5, 34.5], [41.5, 34.8], [40.5, 34.8], [40.5, 34.5]],
        ],
    }
    path = folder / "drawn.geojson"
    path.write_bytes(
        collection(
            feature(fid="fine"),
            feature(ring=BOWTIE, fid="bowtie"),
            feature(ring=SPIKE, fid="spike"),
            feature(ring=CLOCKWISE, fid="clockwise"),
            feature(geometry=crossing_hole, fid="hole"),
        )
    )
    return path


def test_validate_reports_repairable_polygons(tmp_path: Path) -> None:
    path = _repairable(tmp_path)
    with pytest.raises(GeometryError, match=r"feature 1 \(id 'bowtie'\): invalid polygon: Self"):
        controlmap.validate(path)
    # A file whose only fault is winding is valid (RFC 7946 asks readers to accept it),
    # with a warning; strict validation refuses it.
    clockwise = tmp_path / "clockwise.geojson"
    clockwise.write_bytes(collection(feature(), feature(ring=CLOCKWISE)))
    with pytest.warns(controlmap.GeometryWarning, match=r"1 feature\(s\) with rings wound"):
        controlmap.validate(clockwise)
    with pytest.raises(GeometryError, match=r": feature 1; readers accept them"):
        controlmap.validate(clockwise, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(controlmap.read(clockwise)) == 2  # reading is lenient, as RFC 7946 asks


def test_repair_cli_writes_a_valid_copy_and_says_what_changed(tmp_path: Path) -> None:
    path = _repairable(tmp_path)
    out = tmp_path / "fixed.geojson"
    validate, repair, again = _cli_batch(
        [
            ["validate", str(path)],
            ["repair", str(path), "-o", str(out), "--verbose"],
            ["validate", str(out)],
        ]
    )
    assert validate["code"] == 2 and "Traceback" not in validate["stderr"]
    assert "bowtie" in validate["stderr"] and "controlmap repair" in validate["stderr"]
    assert repair["code"] == 0, repair["stderr"]
    assert again["code"] == 0, again["stderr"]
    stdout, stderr = repair["stdout"], repair["stderr"]
    lines = stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "feature 1 (id 'bowtie')",
        "feature 2 (id 'spike')",
        "feature 3 (id 'clockwise')",
        "feature 4 (id 'hole')",
    ]
    assert "Self-intersection" in lines[0] and "MultiPolygon of 2 parts" in lines[0]
    assert "rewound" in lines[2]
    assert stderr.strip() == (
        "made 3 invalid feature(s) valid; rewound 1 feature(s) (outer rings clockwise: 1);"
        f" wrote {out}"
    )

    fixed = controlmap.validate(out)  # the copy passes validation, winding included
    original = json.loads(path.read_text())["features"]
    assert len(fixed) == len(original)
    assert list(fixed.periods["actor"]) == [f["properties"]["actor"] for f in original]
    copy = json.loads(out.read_text())["features"]
    assert [f["id"] for f in copy] == [f["id"] for f in original]
    for got, given in zip(copy, original, strict=True):
        want = shapely.geometry.shape(given["geometry"])
        if not want.is_valid:
            want = shapely.make_valid(want)
        want = shapely.union_all([p for p in shapely.get_parts(want) if p.area > 0])
        geom = shapely.geometry.shape(got["geometry"])
        assert geom.is_valid
        # Same shape (the writer adds points along long edges, so not the same vertices)...
        assert shapely.hausdorff_distance(geom, want) < 0.01
        # ...and the same geodesic area.
        assert _geodesic_km2(geom) == pytest.approx(_geodesic_km2(want), rel=1e-6)
    # The bowtie is two triangles of a quarter square each; the spike loses only its line.
    assert _geodesic_km2(shapely.geometry.shape(copy[1]["geometry"])) == pytest.approx(
        _geodesic_km2(shapely.box(40, 34, 41, 35)) / 2, rel=1e-3
    )
    assert _geodesic_km2(shapely.geometry.shape(copy[2]["geometry"])) == pytest.approx(
        _geodesic_km2(shapely.box(40, 34, 41, 35)), rel=1e-6
    )


def test_repair_python_reports_each_change(tmp_path: Path) -> None:
    from controlmap.repair import repair

    path = _repairable(tmp_path)
    changes = repair(path, tmp_path / "fixed.gpkg")
    assert [(c.index, c.fid) for c in changes] == [
        (1, "bowtie"),
        (2, "spike"),
        (3, "clockwise"),
        (4, "hole"),
    ]
    frame = gpd.read_file(tmp_path / "fixed.gpkg")  # another reader: GDAL via pyogrio
    assert len(frame) == 5 and frame.geometry.is_valid.all()
    assert np.array_equal(frame["actor"], ["Islamic State"] * 5)


def test_repair_refuses_what_it_cannot_fix(tmp_path: Path) -> None:
    from controlmap.repair import repair

    sliver = tmp_path / "sliver.geojson"
    flat = [[40.0, 34.0], [41.0, 34.0], [42.0, 34.0], [40.0, 34.0]]
    sliver.write_bytes(collection(feature(), feature(ring=flat, fid="flat")))
    with pytest.raises(GeometryError, match=r"feature 1 \(id 'flat'\): polygon has no area"):
        repair(sliver, tmp_path / "out.geojson")
    case = CASES["unclosed ring"]
    path = _write(case, tmp_path)
    with pytest.raises(case.error, match="not closed"):
        repair(path, tmp_path / "out.geojson")
    assert not (tmp_path / "out.geojson").exists()


# ---------------------------------------------------------------------------- large input
def test_large_geojson_reads_in_bounded_memory(tmp_path: Path) -> None:
    """A 20 MB timeline: the reader's peak memory stays within 3x the file size.

    (Reading the whole document with json.load costs about 9x; the full-size figure,
    about 1.3x above the interpreter's baseline for 200 MB, comes from
    benchmarks/bench_read_memory.py.)
    """
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    try:
        from bench_read_memory import CHILD, write_timeline
    finally:
        sys.path.pop(0)
    path = tmp_path / "big.geojson"
    features = write_timeline(path, size_mb=20, vertices=2000)
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), "controlmap"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["periods"] == features
    grown = (result["peak_kib"] - result["baseline_kib"]) * 1024
    assert grown < 3 * path.stat().st_size, grown / path.stat().st_size
