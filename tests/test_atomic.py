"""Nothing is lost: failed commands leave existing outputs byte-identical, with no debris.

Every subcommand that writes a file (found by looking for ``-o/--output`` in the
parser, so commands added later are covered too) is run against an existing
output file in ways that fail: a broken source, bad arguments found after the
source was read, and a writer that dies half way. The output must be exactly as it
was and the folder must hold nothing new. A write that succeeds must replace the
file in one step (a new inode; a reader holding the old file still sees it whole).
No data, however named, can make controlmap write outside the path it was given.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import controlmap
from controlmap import cli
from controlmap import io as cio
from controlmap.errors import OutputError

OLD = b"precious old output \x00\x01 that must survive\n"


def _feature(actor: str, start: str, end: str | None, box: tuple[int, int, int, int], fid: str):
    x0, y0, x1, y1 = box
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {
        "type": "Feature",
        "id": fid,
        "properties": {"actor": actor, "start": start, "end": end},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _timeline_file(folder: Path, actors: tuple[str, str] = ("A", "B")) -> Path:
    path = folder / "source.geojson"
    a, b = actors
    features = [
        _feature(a, "2014-01-01", "2015-01-01", (40, 34, 42, 36), "a1"),
        _feature(a, "2015-01-01", None, (40, 34, 41, 35), "a2"),
        _feature(b, "2014-06-01", None, (43, 33, 44, 34), "b1"),
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _writing_commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: p
        for name, p in sub.choices.items()
        if any("--output" in a.option_strings for a in p._actions)
    }


# Arguments that make each command valid up to the point of writing, and the output name.
VALID_ARGS: dict[str, tuple[list[str], str]] = {
    "snapshot": (["--date", "2014-07-01"], "out.geojson"),
    "area": (["--freq", "YS"], "out.csv"),
    "changes": (["--from", "2014-07-01", "--to", "2015-07-01"], "out.geojson"),
    "export": ([], "out.gpkg"),
    "repair": ([], "out.geojson"),
    "map": (["--date", "2014-07-01"], "out.html"),
    "figure": (["--kind", "area"], "out.png"),
    "report": ([], "report"),
    "fighters": ([], "out.csv"),
    "fighters-map": ([], "out.svg"),
    "verify": (["{dir}/observations.csv"], "out.csv"),
}
# Arguments that fail only after the source has been read.
LATE_FAILURES: dict[str, list[str]] = {
    "verify": ["{dir}/bad_observations.csv"],
    "snapshot": ["--date", "2014-13-45"],
    "area": ["--freq", "fortnightly-ish"],
    "changes": ["--from", "2014-07-01", "--to", "not a date"],
    "export": ["--snapshots", "2014-07-01,2015-99-01"],
    "map": ["--date", "2014-07-01", "--from", "2014-01-01"],
    "figure": ["--kind", "area", "--dates", "2014-01-01"],
    "fighters": ["--sort", "nonsense"],
    "fighters-map": ["--region", "1,2,x,4"],
}
TAKES_SOURCE = {name for name, p in _writing_commands().items()
                if any(a.dest == "source" for a in p._actions)}  # fmt: skip


def test_every_writing_command_is_covered() -> None:
    # A new command that writes must be added to the tables above (and so be tested).
    assert set(_writing_commands()) <= set(VALID_ARGS), set(_writing_commands()) - set(VALID_ARGS)
    assert {"snapshot", "area", "changes", "export", "repair"} <= set(_writing_commands())


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse rejects some arguments itself
            code = int(exc.code or 0)
    return code, err.getvalue()


def _existing_output(folder: Path, name: str) -> Path:
    out = folder / name
    if "." in name:
        out.write_bytes(OLD)
    else:  # a folder output (report): an existing file inside it must survive
        out.mkdir()
        (out / "area_monthly.csv").write_bytes(OLD)
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}  # fmt: skip


@pytest.mark.parametrize("command", sorted(VALID_ARGS))
def test_failing_commands_leave_the_output_untouched(command: str, tmp_path: Path) -> None:
    if command not in _writing_commands():
        pytest.fail(f"{command} is no longer a command: remove it from VALID_ARGS")
    good = _timeline_file(tmp_path)
    broken = tmp_path / "broken.geojson"
    broken.write_bytes(good.read_bytes()[:-40])
    args, name = VALID_ARGS[command]
    # verify's observations: one good file, one whose date is not a date.
    (tmp_path / "observations.csv").write_text(
        "place,lon,lat,date,actor\nx,40.5,34.5,2015-01-01,\n"
    )
    (tmp_path / "bad_observations.csv").write_text("place,lon,lat,date,actor\nx,40.5,34.5,soon,\n")
    args = [a.format(dir=tmp_path) for a in args]
    out = _existing_output(tmp_path, name)
    attempts = []
    if command in TAKES_SOURCE:
        attempts.append([command, str(broken), *args, "-o", str(out)])
        attempts.append([command, str(tmp_path / "missing.geojson"), *args, "-o", str(out)])
    if command in LATE_FAILURES:
        source = [str(good)] if command in TAKES_SOURCE else []
        late = [a.format(dir=tmp_path) for a in LATE_FAILURES[command]]
        attempts.append([command, *source, *late, "-o", str(out)])
    assert attempts
    before = _snapshot(tmp_path)
    for argv in attempts:
        code, stderr = _run(argv)
        assert code == 2, (argv, stderr)
        assert "Traceback" not in stderr
        assert _snapshot(tmp_path) == before, argv  # output intact, nothing new beside it


@contextlib.contextmanager
def _writer_dies_midway(
    monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> Iterator[None]:
    """Make the GeoJSON and GeoPackage writers write part of the file, then fail."""
    real_chunks = cio.geojson_chunks
    real_layer = cio.writing._write_gpkg_layer

    def chunks(frame: Any) -> Iterator[str]:
        it = real_chunks(frame)
        yield next(it)
        yield next(it)
        raise error("disk on fire")

    def layer(frame: Any, path: Path, name: str) -> None:
        real_layer(frame, path, name)
        raise error("disk on fire")

    monkeypatch.setattr(cio.writing, "geojson_chunks", chunks)
    monkeypatch.setattr(cio.writing, "_write_gpkg_layer", layer)
    monkeypatch.setattr(cli, "geojson_chunks", chunks)
    yield


@pytest.mark.parametrize("error", [OSError, RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize(
    "argv",
    [
        ["export", "{src}", "-o", "{dir}/out.geojson"],
        ["export", "{src}", "-o", "{dir}/out.gpkg"],
        ["export", "{src}", "--snapshots", "2014-07-01", "-o", "{dir}/out.gpkg"],
        ["snapshot", "{src}", "--date", "2014-07-01", "-o", "{dir}/out.geojson"],
        ["changes", "{src}", "--from", "2014-07-01", "--to", "2015-07-01", "-o", "{dir}/out.gpkg"],
        ["repair", "{src}", "-o", "{dir}/out.geojson"],
    ],
)
def test_a_writer_dying_midway_loses_nothing(
    argv: list[str], error: type[BaseException], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _timeline_file(tmp_path)
    argv = [a.format(src=source, dir=tmp_path) for a in argv]
    out = Path(argv[-1])
    out.write_bytes(OLD)
    before = _snapshot(tmp_path)
    with _writer_dies_midway(monkeypatch, error):
        code, stderr = _run(argv)
    assert code == (130 if error is KeyboardInterrupt else 2), stderr
    assert "Traceback" not in stderr
    assert _snapshot(tmp_path) == before


def test_atomic_output_replaces_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "out.geojson"
    target.write_bytes(OLD)
    old_inode = target.stat().st_ino
    with open(target, "rb") as reader:  # someone reading the old file meanwhile
        with cio.atomic_output(target) as temporary:
            assert temporary.parent.parent == tmp_path  # same file system: os.replace is atomic
            temporary.write_text("new")
            assert target.read_bytes() == OLD  # nothing visible until the end
        assert reader.read() == OLD  # the old file was replaced, not rewritten in place
    assert target.read_text() == "new"
    assert target.stat().st_ino != old_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson"]


def test_atomic_output_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.gpkg"
    target.write_bytes(OLD)
    with pytest.raises(ZeroDivisionError), cio.atomic_output(target) as temporary:
        temporary.write_text("half")
        (temporary.parent / f"{temporary.name}-journal").write_text("debris")
        raise ZeroDivisionError
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]
    with pytest.raises(OutputError, match="produced no file"), cio.atomic_output(target):
        pass
    assert target.read_bytes() == OLD
    with (
        pytest.raises(OutputError, match="does not exist"),
        cio.atomic_output(tmp_path / "nowhere" / "x.geojson"),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_library_writes_are_atomic_too(tmp_path: Path) -> None:
    timeline = controlmap.read(_timeline_file(tmp_path))
    out = tmp_path / "out.geojson"
    out.write_bytes(OLD)
    with pytest.raises(OutputError):
        timeline.to_file(out, snapshots=["2014-07-01"])  # snapshot layers need a GeoPackage
    with pytest.raises(controlmap.DateError):
        timeline.to_file(out, date="2014-02-30")
    assert out.read_bytes() == OLD
    timeline.to_file(out)
    assert len(controlmap.read(out)) == 3
    # out.qml: QGIS's default style for out.geojson, written with it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.geojson",
        "out.qml",
        "source.geojson",
    ]


# ---------------------------------------------------------------------------- no escape
HOSTILE = ("../../escaped", "/tmp/controlmap-escape/abs")


@pytest.mark.render
def test_no_input_writes_outside_the_given_path(tmp_path: Path) -> None:
    """Actor names, ids and layer-ish names that look like paths are never used as paths."""
    sandbox = tmp_path / "a" / "b"
    work = sandbox / "work"
    work.mkdir(parents=True)
    source = _timeline_file(work, actors=HOSTILE)
    data = json.loads(source.read_text())
    for feature, fid in zip(data["features"], ["../x", "/etc/passwd", "..\\y"], strict=True):
        feature["id"] = fid
        feature["properties"]["name"] = fid
    source.write_text(json.dumps(data))
    outputs = work / "out"
    outputs.mkdir()
    argvs = [
        ["snapshot", "source.geojson", "--date", "2014-07-01", "-o", "out/s.gpkg"],
        ["changes", "source.geojson", "--from", "2014-07-01", "--to", "2015-07-01",
         "-o", "out/c.geojson"],
        ["export", "source.geojson", "--snapshots", "2014-07-01,2015-07-01", "-o", "out/e.gpkg"],
        ["export", "source.geojson", "-o", "out/e.parquet"],
        ["area", "source.geojson", "--freq", "YS", "-o", "out/a.csv"],
        ["repair", "source.geojson", "-o", "out/r.geojson"],
        ["map", "source.geojson", "-o", "out/m.html"],
        ["figure", "source.geojson", "--kind", "area", "-o", "out/f.png"],
        ["report", "source.geojson", "-o", "out/report"],
    ]  # fmt: skip
    known = _writing_commands()
    driver = (
        "import sys, json\nfrom controlmap.cli import main\n"
        "sys.exit(max(main(a) for a in json.loads(sys.argv[1])))"
    )
    run = subprocess.run(
        [sys.executable, "-c", driver, json.dumps([a for a in argvs if a[0] in known])],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert {a[0] for a in argvs} >= {"snapshot", "changes", "export", "area", "repair"}
    for argv in argvs:
        if argv[0] in known:
            assert (work / argv[-1]).exists(), argv
    # Everything written is inside out/ (and nothing else changed in the sandbox).
    written = {p.relative_to(sandbox) for p in sandbox.rglob("*")}
    outside = {p for p in written if p.parts[:2] != ("work", "out")}
    assert outside == {Path("work"), Path("work/source.geojson")}, outside
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/controlmap-escape").exists()
    # ...and the hostile names travelled as data.
    snapshot = controlmap.read(outputs / "e.gpkg", layer="periods")
    assert set(snapshot.actors) == set(HOSTILE)
