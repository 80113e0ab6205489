"""Exports opened in QGIS itself show exactly the periods held on each day.

Each file is opened by Debian's QGIS (``python3-qgis``, run by ``/usr/bin/python3`` in
a subprocess, see ``qgis_probe.py``) the way QGIS desktop opens a file: the layer,
then its default style (the GeoPackage's ``layer_styles`` row, or the ``.qml`` beside
a GeoJSON file). No temporal setting is made by hand. For every change date of the
timeline and the days on either side, the filter QGIS's Temporal Controller builds
for the whole day ``[d 00:00, d 23:59:59]`` and for a one-day animation frame
``[d, d+1)`` must keep exactly the periods active that day (``start <= d < end``,
open ends included).

QGIS missing: these tests fail in CI (``CI=true``) and skip with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from time_checks import active_positions, days_around_changes

import controlmap
from controlmap import cli

pytestmark = [pytest.mark.integration, pytest.mark.qgis]

# Debian's interpreter, which has QGIS's bindings; another can be named for a QGIS
# installed elsewhere (and, below, to check what happens when there is none).
QGIS_PYTHON = os.environ.get("CONTROLMAP_QGIS_PYTHON", "/usr/bin/python3")
PROBE = Path(__file__).with_name("qgis_probe.py")
INSTALL = (
    "bash tools/setup.sh dev (apt-get install --no-install-recommends python3-qgis qgis-providers)"
)


def _qgis_missing() -> str | None:
    """Why QGIS's Python cannot be used here, or None."""
    if not Path(QGIS_PYTHON).exists():
        return f"{QGIS_PYTHON} is missing"
    run = subprocess.run(
        [QGIS_PYTHON, "-c", "import qgis.core"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return None if run.returncode == 0 else f"no QGIS Python bindings: {run.stderr.strip()[-200:]}"


@pytest.fixture(scope="module")
def probe() -> Callable[..., dict[str, Any]]:
    """Run ``qgis_probe.py`` on a layer URI and days; fail in CI if QGIS is missing."""
    missing = _qgis_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"QGIS is required in CI: {missing}; install it with {INSTALL}")
        pytest.skip(f"QGIS is not installed ({missing}); install it with {INSTALL}")

    def run(uri: str, days: list[str], **more: str) -> dict[str, Any]:
        done = subprocess.run(
            [QGIS_PYTHON, str(PROBE)],
            input=json.dumps({"uri": uri, "days": days, **more}),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        answer: dict[str, Any] = json.loads(done.stdout)
        assert answer["valid"], f"QGIS cannot open {uri}: {done.stderr[-2000:]}"
        return answer

    return run


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _disagreements(
    answer: dict[str, Any], timeline: controlmap.Timeline, days: list[pd.Timestamp]
) -> list[dict[str, Any]]:
    """Days and spans on which QGIS keeps other periods (by position) than the timeline."""
    periods = timeline.periods
    position = {f[0]: i for i, f in enumerate(answer["features"])}
    wrong = []
    for day in days:
        expected = active_positions(periods, day)
        seen = answer["days"][_iso(day)]
        for span in ("day", "frame"):
            got = {position[fid] for fid in seen[span]}
            if got != expected:
                wrong.append(
                    {
                        "day": _iso(day),
                        "span": span,
                        "only_qgis": sorted(got - expected),
                        "only_timeline": sorted(expected - got),
                        "filter": seen.get(span + "_filter"),
                    }
                )
    return wrong


def check_in_qgis(
    probe: Callable[..., dict[str, Any]],
    timeline: controlmap.Timeline,
    uri: str,
) -> dict[str, int]:
    """Compare QGIS's temporal filter with the timeline on the days around every change.

    Also checks the colours QGIS gives the features. Returns how many days were
    checked and how many periods QGIS kept on them in all.
    """
    days = days_around_changes(timeline)
    answer = probe(uri, [_iso(d) or "" for d in days])
    assert answer["style_loaded"], f"{uri}: no default style: {answer['style_message']}"
    assert answer["temporal_active"], f"{uri}: the style left time off"
    if answer["qgis_version"].startswith("3.22."):
        # docs/gis.md: a script's plain QgsVectorLayer(...) must call loadDefaultStyle().
        assert not answer["plain_temporal_active"]
    periods = timeline.periods
    # QGIS's features, in feature-id order, are the timeline's periods in order.
    expected_rows = [
        [row.actor, _iso(row.start), _iso(row.end), row.status]
        for row in periods.itertuples(index=False)
    ]
    assert [f[1:] for f in answer["features"]] == expected_rows
    wrong = _disagreements(answer, timeline, days)
    assert not wrong, f"{uri}: {len(wrong)} disagreements, the first: {wrong[:3]}"
    _check_colours(answer["colours"], periods)
    kept_total = sum(len(active_positions(periods, day)) for day in days)
    return {"days": len(days), "kept": kept_total}


def _check_colours(colours: list[list[int] | None], periods: gpd.GeoDataFrame) -> None:
    """One colour per actor and status; other statuses than 'control' more transparent."""
    assert all(colour is not None for colour in colours), colours
    by_key: dict[tuple[str, str], set[tuple[int, ...]]] = {}
    for colour, actor, status in zip(colours, periods["actor"], periods["status"], strict=True):
        by_key.setdefault((actor, status), set()).add(tuple(colour or ()))
    assert all(len(found) == 1 for found in by_key.values()), by_key
    colour_of = {key: next(iter(found)) for key, found in by_key.items()}
    for (actor, status), colour in colour_of.items():
        if status != "control" and (actor, "control") in colour_of:
            assert colour[:3] == colour_of[actor, "control"][:3]  # the actor's hue
            assert colour[3] < colour_of[actor, "control"][3]  # lighter


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_bundled_export_opens_with_time_right(
    probe: Callable[..., dict[str, Any]],
    timeline: controlmap.Timeline,
    tmp_path: Path,
    suffix: str,
) -> None:
    path = timeline.to_file(tmp_path / f"is{suffix}")
    uri = f"{path}|layername=periods" if suffix == ".gpkg" else str(path)
    counts = check_in_qgis(probe, timeline, uri)
    assert counts["days"] >= 3 and counts["kept"] > 0, counts


@pytest.mark.parametrize("name", ["open.gpkg", "open.geojson", "open.json", "open.v2.geojson"])
def test_open_periods_show_in_qgis(
    probe: Callable[..., dict[str, Any]],
    open_periods: controlmap.Timeline,
    tmp_path: Path,
    name: str,
) -> None:
    path = open_periods.to_file(tmp_path / name)
    uri = f"{path}|layername=periods" if name.endswith(".gpkg") else str(path)
    check_in_qgis(probe, open_periods, uri)
    answer = probe(uri, [])
    hues = {tuple(colour[:3]) for colour in answer["colours"]}
    assert len(hues) == len(open_periods.actors)  # these actors' hues differ


@pytest.mark.parametrize("name", ["open.gpkg", "open.geojson"])
def test_start_and_end_fields_mode_is_wrong_in_qgis_3_22(
    probe: Callable[..., dict[str, Any]],
    open_periods: controlmap.Timeline,
    tmp_path: Path,
    name: str,
) -> None:
    """Why the style uses expressions (docs/gis.md): the simpler mode fails in 3.22."""
    path = open_periods.to_file(tmp_path / name)
    uri = f"{path}|layername=periods" if name.endswith(".gpkg") else str(path)
    days = days_around_changes(open_periods)
    answer = probe(uri, [_iso(d) or "" for d in days], by_hand="fields")
    if not answer["qgis_version"].startswith("3.22."):
        pytest.skip(f"checks QGIS 3.22's behaviour; this is QGIS {answer['qgis_version']}")
    wrong = _disagreements(answer, open_periods, days)
    periods = open_periods.periods
    assert wrong
    if name.endswith(".gpkg"):
        # Periods show on the day before they start, in a one-day frame; nothing else.
        for w in wrong:
            assert w["span"] == "frame" and not w["only_timeline"], w
            day = pd.Timestamp(w["day"]) + pd.Timedelta(days=1)
            assert all(periods["start"].iloc[i] == day for i in w["only_qgis"]), w
    else:
        # Open periods (no end) never show; nothing else goes wrong.
        open_ = set(np.flatnonzero(periods["end"].isna().to_numpy()).tolist())
        for w in wrong:
            assert not w["only_qgis"] and set(w["only_timeline"]) <= open_, w
        assert set().union(*(w["only_timeline"] for w in wrong)) == open_


def test_cli_export_with_snapshots_styles_only_the_periods(
    probe: Callable[..., dict[str, Any]],
    timeline: controlmap.Timeline,
    tmp_path: Path,
) -> None:
    """``controlmap export --snapshots``: the periods layer opens with time set up."""
    day = _iso(timeline.change_dates[len(timeline.change_dates) // 2])
    path = tmp_path / "is.gpkg"
    code = cli.main(["export", "islamic-state", "-o", str(path), "--snapshots", str(day)])
    assert code == 0
    check_in_qgis(probe, timeline, f"{path}|layername=periods")
    snapshot = probe(f"{path}|layername=snapshot_{str(day).replace('-', '_')}", [])
    assert not snapshot["temporal_active"]  # one date: shown whatever the time


@pytest.mark.parametrize(("ci", "code", "outcome"), [("true", 1, "4 errors"), ("", 0, "4 skipped")])
def test_missing_qgis_fails_in_ci_and_skips_with_a_reason_elsewhere(
    tmp_path: Path, ci: str, code: int, outcome: str
) -> None:
    env = {**os.environ, "CI": ci, "CONTROLMAP_QGIS_PYTHON": str(tmp_path / "no-python")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsf", "-q",
         f"{__file__}::test_open_periods_show_in_qgis"],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == code and outcome in run.stdout, run.stdout[-2000:]
    assert "no-python is missing" in run.stdout and "python3-qgis" in run.stdout, run.stdout
