"""The core commands give what the library gives, formatted."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import controlmap
from controlmap import cli
from controlmap.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_area_csv_equals_the_library(
    capsys: pytest.CaptureFixture[str], timeline: controlmap.Timeline
) -> None:
    code, out, _ = run(
        ["area", "islamic-state", "--from", "2014-01-01", "--to", "2019-04-01", "--freq", "MS"],
        capsys,
    )
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == ["date", "Islamic State"]
    expected = timeline.area(start="2014-01-01", end="2019-04-01", freq="MS")["Islamic State"]
    assert table["date"].tolist() == list(expected.index.strftime("%Y-%m-%d"))
    assert table["Islamic State"].to_numpy() == pytest.approx(expected.to_numpy(), abs=0.001)
    code, out, _ = run(["area", "islamic-state", "--dates", "2015-01-01,2018-02-01"], capsys)
    assert pd.read_csv(io.StringIO(out))["date"].tolist() == ["2015-01-01", "2018-02-01"]


def test_snapshot_to_stdout_is_the_snapshot(
    capsys: pytest.CaptureFixture[str], timeline: controlmap.Timeline
) -> None:
    code, out, err = run(["snapshot", "islamic-state", "--date", "2017-07-10"], capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    expected = timeline.at("2017-07-10")
    assert len(doc["features"]) == len(expected) == 3  # control, contested, support
    for feature, row in zip(doc["features"], expected.itertuples(), strict=True):
        assert feature["properties"]["actor"] == row.actor == "Islamic State"
        assert feature["properties"]["status"] == row.status
        assert feature["properties"]["area_km2"] == pytest.approx(row.area_km2)


def test_changes_and_export_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], timeline: controlmap.Timeline
) -> None:
    code, _, err = run(
        [
            "changes",
            "islamic-state",
            "--from",
            "2015-01-01",
            "--to",
            "2018-02-01",
            "-o",
            str(tmp_path / "lost.gpkg"),
        ],
        capsys,
    )
    assert code == 0 and "wrote" in err
    import geopandas as gpd

    lost = gpd.read_file(tmp_path / "lost.gpkg")
    expected = timeline.changes("2015-01-01", "2018-02-01")
    assert sorted(lost.change) == sorted(expected.change)
    assert lost.area_km2.sum() == pytest.approx(expected.area_km2.sum())
    code, _, _ = run(["export", "islamic-state", "-o", str(tmp_path / "all.geojson")], capsys)
    assert code == 0
    assert len(controlmap.read(tmp_path / "all.geojson")) == len(timeline)


def test_info_and_validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    code, out, _ = run(["info", "islamic-state"], capsys)
    daily = timeline.area()["Islamic State"]
    assert code == 0
    assert f"peak {daily.max():,.0f} km² on {daily.idxmax():%Y-%m-%d}" in out
    assert f"periods:  {len(timeline)}" in out
    path = timeline.to_file(tmp_path / "copy.geojson")
    code, out, _ = run(["validate", str(path)], capsys)
    assert code == 0 and "valid" in out


def test_info_of_an_open_timeline_says_still_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import geopandas as gpd
    import shapely

    periods = gpd.GeoDataFrame(
        {"actor": ["A", "A"], "start": ["2014-01-01", "2015-01-01"], "end": ["2015-01-01", None]},
        geometry=[shapely.box(40, 34, 41, 35), shapely.box(40, 34, 40.5, 35)],
        crs=4326,
    )
    path = controlmap.Timeline(periods).to_file(tmp_path / "open.geojson")
    code, out, _ = run(["info", str(path)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert "from:     2014-01-01" in lines and "until:    open (still held)" in lines
    closed = controlmap.Timeline(periods.assign(end=["2015-01-01", "2016-03-01"]))
    code, out, _ = run(["info", str(closed.to_file(tmp_path / "closed.geojson"))], capsys)
    assert "until:    2016-03-01" in out.splitlines()


def test_console_script_is_installed(tmp_path: Path) -> None:
    # The script installed beside this interpreter (a venv's bin/), else the one on PATH.
    beside = Path(sys.executable).parent / "controlmap"
    exe = str(beside) if beside.exists() else shutil.which("controlmap")
    assert exe is not None, "the controlmap console script is not installed"
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.strip() == f"controlmap {controlmap.__version__}"
    missing = subprocess.run(
        [exe, "area", str(tmp_path / "nope.geojson")], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr


def test_sigterm_mid_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import signal

    import controlmap.io as cio

    target = tmp_path / "snap.geojson"
    target.write_text("old")
    real = cio.geojson_chunks

    def killed_midway(frame):  # the writer is stopped by SIGTERM after its first chunk
        chunks = real(frame)
        yield next(chunks)
        os.kill(os.getpid(), signal.SIGTERM)
        yield from chunks

    monkeypatch.setattr(cio.writing, "geojson_chunks", killed_midway)
    code, _, err = run(
        ["snapshot", "islamic-state", "--date", "2015-01-01", "-o", str(target)], capsys
    )
    assert code == 128 + signal.SIGTERM
    assert err.strip() == "controlmap: terminated"
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.geojson"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored after the command


def test_warnings_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bowtie = [[[40, 34], [41, 35], [41, 34], [40, 35], [40, 34]]]
    feature = {
        "type": "Feature",
        "properties": {"actor": "A", "start": "2014"},
        "geometry": {"type": "Polygon", "coordinates": bowtie},
    }
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    code, _, err = run(["area", str(path)], capsys)
    assert code == 0
    assert err.count("\n") == 1 and err.startswith("controlmap: warning: ")
    assert "invalid polygon" in err


# ---------------------------------------------------------------------- validate --strict
def _square(x: float, clockwise: bool, fid: str | None = None) -> dict[str, object]:
    ring = [[x, 34.0], [x + 1, 34.0], [x + 1, 35.0], [x, 35.0], [x, 34.0]]
    feature: dict[str, object] = {
        "type": "Feature",
        "properties": {"actor": "A", "start": "2014-01-01"},
        "geometry": {"type": "Polygon", "coordinates": [ring[::-1] if clockwise else ring]},
    }
    if fid is not None:
        feature["id"] = fid
    return feature


def _wound_file(folder: Path, count: int) -> Path:
    """A GeoJSON whose only fault is ``count`` of its 10 squares wound clockwise."""
    features = [_square(40 + 2 * i, i < count, fid=f"sq{i}") for i in range(10)]
    path = folder / "wound.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_validate_warns_about_winding_and_strict_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _wound_file(tmp_path, count=5)
    code, out, err = run(["validate", str(path)], capsys)
    assert code == 0, err
    assert out.strip() == f"{path}: valid (10 periods, 1 actors; 1 warning(s))"
    (line,) = err.splitlines()  # one line: how many, the first few, what fixes it
    assert line.startswith(f"controlmap: warning: {path}: 5 feature(s) with rings wound")
    assert "feature 0 (id 'sq0'), feature 1 (id 'sq1'), feature 2 (id 'sq2') and 2 more" in line
    assert "`controlmap repair` rewinds them" in line

    code, out, err = run(["validate", "--strict", str(path)], capsys)
    assert code == 1 and out == ""
    assert err.splitlines()[-1] == (
        f"controlmap: error: {path}: 1 warning(s), and --strict makes warnings fail"
    )
    # The library: a warning by default, the same text as an error when strict.
    with pytest.warns(controlmap.GeometryWarning, match="5 feature"):
        assert len(controlmap.validate(path)) == 10
    with pytest.raises(controlmap.GeometryError, match=r"5 feature.*strict: warnings fail"):
        controlmap.validate(path, strict=True)
    # Once repaired, nothing is left to warn about, strict or not.
    fixed = tmp_path / "fixed.geojson"
    assert run(["repair", str(path), "-o", str(fixed)], capsys)[0] == 0
    code, out, err = run(["validate", "--strict", str(fixed)], capsys)
    assert code == 0 and err == "" and out.strip().endswith("(10 periods, 1 actors)")


def test_validate_strict_covers_the_layer_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], timeline: controlmap.Timeline
) -> None:
    import geopandas as gpd

    path = tmp_path / "two.gpkg"
    timeline.to_file(path)
    gpd.GeoDataFrame({"x": [1]}, geometry=[None], crs=4326).to_file(path, layer="extra")
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 0 and "read the first layer" in err
    code, _, err = run(["validate", "--strict", str(path)], capsys)
    assert code == 1 and "--strict makes warnings fail" in err
    with pytest.raises(controlmap.DataError, match=r"read the first layer.*strict"):
        controlmap.validate(path, strict=True)
    # Naming the layer is what the warning asks for: then strict passes.
    code, _, err = run(["validate", "--strict", "--layer", "periods", str(path)], capsys)
    assert code == 0, err


def test_repair_prints_a_summary_not_a_line_per_feature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    features = [_square(40 + 2 * i, clockwise=i < 30) for i in range(40)]
    outer = [[10.0, 10.0], [14.0, 10.0], [14.0, 14.0], [10.0, 14.0], [10.0, 10.0]]
    hole = [[11.0, 11.0], [12.0, 11.0], [12.0, 12.0], [11.0, 12.0], [11.0, 11.0]]  # CCW
    for k in range(4):  # outer rings right, holes counter-clockwise
        moved = [[[x, y + 5 * k] for x, y in ring] for ring in (outer, hole)]
        features.append(
            {
                "type": "Feature",
                "properties": {"actor": "A", "start": "2014-01-01"},
                "geometry": {"type": "Polygon", "coordinates": moved},
            }
        )
    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    features.append({**features[0], "geometry": {"type": "Polygon", "coordinates": [bowtie]}})
    path = tmp_path / "drawn.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    out = tmp_path / "fixed.geojson"
    code, stdout, stderr = run(["repair", str(path), "-o", str(out)], capsys)
    assert code == 0 and stdout == ""
    assert stderr.splitlines() == [
        "made 1 invalid feature(s) valid; rewound 34 feature(s) (outer rings clockwise: 30,"
        f" holes counter-clockwise: 4); wrote {out}"
    ]
    # The counts are the file's: checked by shapely's own ring orientation on the input.
    import shapely.geometry

    shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
    assert sum(not s.exterior.is_ccw for s in shapes if s.is_valid) == 30
    assert sum(any(r.is_ccw for r in s.interiors) for s in shapes if s.is_valid) == 4
    code, stdout, _ = run(["repair", str(path), "-o", str(out), "--verbose"], capsys)
    assert code == 0 and len(stdout.splitlines()) == 35
    assert controlmap.validate(out, strict=True) is not None


# ------------------------------------------------------------ hints: flags in the CLI
PYTHON_HINT = re.compile(r"\b[a-z_][a-z0-9_]*=('<|[\s);]|$)")


def test_hints_are_flags_in_the_cli_and_keywords_in_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import geopandas as gpd
    import shapely

    square = gpd.GeoDataFrame(
        {"who": ["A"], "start": ["2014"]}, geometry=[shapely.box(40, 34, 41, 35)], crs=4326
    )
    plain = tmp_path / "plain.geojson"
    square.to_file(plain)
    layered = tmp_path / "layered.gpkg"
    square.rename(columns={"who": "actor"}).to_file(layered, layer="a")
    square.rename(columns={"who": "actor"}).to_file(layered, layer="b")
    projected = tmp_path / "projected.shp"  # a Shapefile without its .prj
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio: "'crs' was not provided"
        gpd.GeoDataFrame(
            {"actor": ["A"], "start": ["2014"]}, geometry=[shapely.box(4e5, 3.7e6, 4.1e5, 3.71e6)]
        ).to_file(projected)
    maps = tmp_path / "maps"
    maps.mkdir()
    square.to_file(maps / "front_2015-01-01.geojson")

    # The library: Python keywords.
    with pytest.raises(controlmap.DataError, match=r"\(pass actor='<field>' to use another\)"):
        controlmap.read(plain)
    with pytest.warns(controlmap.LayerWarning, match=r"choose one with layer=$"):
        controlmap.read(layered)
    with pytest.raises(controlmap.GeometryError, match=r"pass crs= to say what it is"):
        controlmap.read(projected)
    with pytest.raises(
        controlmap.DataError, match=r"pass actor='<field>', or default_actor='<name>'"
    ):
        controlmap.read_snapshots(maps, progress=False)

    # The CLI: the command's flags, and every one of them works as the hint says.
    cases = [
        (["info", str(plain)], "(pass --actor-field FIELD to use another)"),
        (["info", str(layered)], "choose one with --layer NAME"),
        (["info", str(projected)], "pass --crs CRS to say what it is"),
        (
            ["from-snapshots", str(maps), "-o", str(tmp_path / "t.geojson")],
            "(pass --actor-field FIELD, or --actor NAME when one actor holds it all)",
        ),
    ]
    for argv, hint in cases:
        code, _, err = run(argv, capsys)
        assert hint in err, err
        assert not PYTHON_HINT.search(err), err
    assert run(["info", str(plain), "--actor-field", "who"], capsys)[0] == 0
    code, _, err = run(["info", str(layered), "--layer", "b"], capsys)
    assert code == 0 and err == ""
    code, out, _ = run(["info", str(projected), "--crs", "EPSG:32637"], capsys)
    assert code == 0 and "periods:  1" in out
    code, _, err = run(
        ["from-snapshots", str(maps), "-o", str(tmp_path / "t.geojson"), "--actor", "A"], capsys
    )
    assert code == 0, err
    assert "--min-change-km2 0" in err and "min_change_km2" not in err


def test_area_refuses_dates_with_a_range_in_flags(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["area", "islamic-state", "--dates", "2015-01-01", "--freq", "MS"]
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err == "controlmap: error: area: give --dates, or --from/--to/--freq, not both\n"
    with pytest.raises(controlmap.DataError, match="pass either dates or start/end/freq"):
        controlmap.load_dataset("islamic-state").area(["2015-01-01"], freq="MS")


def test_commands_allocate_arrow_memory_with_malloc_and_give_the_pool_back(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Arrow's mimalloc keeps freed memory for reuse (19 MB of a slider page's peak);
    # a command uses the system allocator, and main() restores the pool it found.
    import pyarrow

    seen = []
    reader = cli.open_source

    def reading(source: str, **options: object) -> controlmap.Timeline:
        seen.append(pyarrow.default_memory_pool().backend_name)
        return reader(source, **options)

    monkeypatch.setattr(cli, "open_source", reading)
    before = pyarrow.default_memory_pool().backend_name
    assert cli.main(["info", "islamic-state"]) == 0
    assert seen == ["system"]
    assert pyarrow.default_memory_pool().backend_name == before != "system"
