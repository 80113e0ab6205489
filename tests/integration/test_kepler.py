"""kepler.gl's own code shows exactly the periods held on each day of an export.

``kepler/probe.mjs`` runs kepler.gl 3.3.0-alpha.11's data processing, redux reducers and
time filter in Node (pinned in ``kepler/package-lock.json``, installed by
``tools/setup.sh dev``): the file is processed as the app does on drag and drop, a time
filter is made on ``kepler_start`` with ``kepler_end`` as its End time, and its window is
set for each day around every change of the timeline. Both of kepler.gl's paths must keep
exactly the periods active that day (``start <= d < end``, open ends included): the CPU
filter (what kepler.gl counts and exports) and the values its GPU filter is given, put
through the shader's float32 test. Windows: the whole UTC day ``[d, d + 1 day - 1 ms]``
and a one-day step ``[d, d + 1 day]`` (kepler.gl's windows include both ends). No map is
drawn here (``test_kepler_app.py`` draws one in Chromium).

kepler.gl missing: these tests fail in CI (``CI=true``) and skip with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
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
from controlmap.io import kepler_times

pytestmark = [pytest.mark.integration, pytest.mark.kepler]

# The npm project holding the probe; another can be named (and, below, a missing one).
KEPLER_DIR = Path(os.environ.get("CONTROLMAP_KEPLER_DIR", Path(__file__).with_name("kepler")))
INSTALL = "bash tools/setup.sh dev (npm ci in tests/integration/kepler)"
DAY_MS = 86_400_000

Probe = Callable[..., dict[str, Any]]


def _kepler_missing() -> str | None:
    """Why kepler.gl's code cannot be run here, or None."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (KEPLER_DIR / "node_modules" / "@kepler.gl" / "reducers").is_dir():
        return f"{KEPLER_DIR}/node_modules has no @kepler.gl/reducers"
    return None


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Probe:
    """Bundle ``probe.mjs`` once; fail in CI if kepler.gl is not installed."""
    missing = _kepler_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"kepler.gl is required in CI: {missing}; install it with {INSTALL}")
        pytest.skip(f"kepler.gl is not installed ({missing}); install it with {INSTALL}")
    bundle = tmp_path_factory.mktemp("kepler") / "probe.mjs"
    built = subprocess.run(
        ["node", "build.mjs", str(bundle.parent), "--probe-only"],
        cwd=KEPLER_DIR, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]

    def run(path: Path, start: str, end: str | None, windows: list[list[int]]) -> dict[str, Any]:
        request = {"path": str(path), "start": start, "end": end, "windows": windows}
        done = subprocess.run(
            ["node", str(bundle)],
            input=json.dumps(request), capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        answer: dict[str, Any] = json.loads(done.stdout)
        assert answer["kepler_version"] == "3.3.0-alpha.11", answer["kepler_version"]
        return answer

    return run


def _ms(day: pd.Timestamp) -> int:
    return int(pd.Timestamp(day).tz_localize("UTC").timestamp() * 1000)


SPANS = {"day": DAY_MS - 1, "step": DAY_MS}  # the whole UTC day; a closed one-day step


def _windows(days: list[pd.Timestamp]) -> list[list[int]]:
    return [[_ms(day), _ms(day) + span] for day in days for span in SPANS.values()]


def _disagreements(
    answer: dict[str, Any], periods: gpd.GeoDataFrame, days: list[pd.Timestamp]
) -> list[dict[str, Any]]:
    """Days, spans and paths on which kepler.gl keeps other rows than the timeline."""
    wrong = []
    results = iter(answer["windows"])
    for day in days:
        expected = active_positions(periods, day)
        for span in SPANS:
            result = next(results)
            for path in ("cpu", "gpu"):
                got = set(result[path])
                if got != expected:
                    wrong.append(
                        {
                            "day": f"{day:%Y-%m-%d}",
                            "span": span,
                            "path": path,
                            "only_kepler": sorted(got - expected),
                            "only_timeline": sorted(expected - got),
                        }
                    )
    return wrong


def check_in_kepler(probe: Probe, timeline: controlmap.Timeline, path: Path) -> int:
    """Compare kepler.gl's filter with the timeline around every change; rows kept in all."""
    days = days_around_changes(timeline)
    answer = probe(path, "kepler_start", "kepler_end", _windows(days))
    assert answer["rows"] == len(timeline)  # rows in feature order: the periods in order
    assert answer["fields"]["kepler_start"] == answer["fields"]["kepler_end"] == "timestamp"
    assert answer["layers"] == ["geojson"]
    made = answer["filter"]
    assert made["type"] == "timeRange" and made["endName"] == ["kepler_end"], made
    assert made["gpu"], made  # the map filters on the GPU: its float32 test is checked
    assert len(answer["windows"]) == len(days) * len(SPANS)
    wrong = _disagreements(answer, timeline.periods, days)
    assert not wrong, f"{path}: {len(wrong)} disagreements, the first: {wrong[:3]}"
    return sum(len(w["cpu"]) for w in answer["windows"])


def test_bundled_export_for_kepler(
    probe: Probe, timeline: controlmap.Timeline, tmp_path: Path
) -> None:
    path = tmp_path / "is.geojson"
    assert cli.main(["export", "islamic-state", "-o", str(path), "--for", "kepler"]) == 0
    assert check_in_kepler(probe, timeline, path) > 0


def test_open_periods_for_kepler(
    probe: Probe, open_periods: controlmap.Timeline, tmp_path: Path
) -> None:
    path = open_periods.to_file(tmp_path / "open.geojson", kepler=True)
    check_in_kepler(probe, open_periods, path)
    # kepler.gl's time axis (the filter's domain) runs to noon of the day after the last
    # change, where only the open periods are held; kepler.gl shows them there.
    after = open_periods.change_dates.max() + pd.Timedelta(days=1)
    answer = probe(path, "kepler_start", "kepler_end", [[_ms(after), _ms(after) + DAY_MS]])
    assert answer["filter"]["domain"][1] == _ms(after) + DAY_MS // 2
    opened = set(np.flatnonzero(open_periods.periods["end"].isna().to_numpy()).tolist())
    assert set(answer["windows"][0]["cpu"]) == set(answer["windows"][0]["gpu"]) == opened


def test_an_empty_end_is_lost_on_the_map_past_keplers_time_axis(
    probe: Probe, open_periods: controlmap.Timeline, tmp_path: Path
) -> None:
    """Why open periods get a ``kepler_end``: kepler.gl's own reading of an empty one.

    kepler.gl counts a row without an End time as still held, but its GPU filter gives
    it the end of the time axis, so past the last value of the two fields the map drops
    it; and nothing there can be reached with kepler.gl's time slider.
    """
    frame = kepler_times(open_periods.periods)
    frame.loc[frame["end"].isna(), "kepler_end"] = None
    path = tmp_path / "empty-ends.geojson"
    controlmap.io.write_snapshot(frame, path)
    last = open_periods.change_dates.max()
    answer = probe(path, "kepler_start", "kepler_end", [[_ms(last), _ms(last) + DAY_MS]])
    assert answer["filter"]["domain"][1] < _ms(last)  # the axis stops before that day
    held = active_positions(open_periods.periods, last)
    opened = set(np.flatnonzero(open_periods.periods["end"].isna().to_numpy()).tolist())
    assert opened and opened <= held
    assert set(answer["windows"][0]["cpu"]) == held
    assert set(answer["windows"][0]["gpu"]) == held - opened


def test_plain_dates_give_kepler_no_time_filter(
    probe: Probe, open_periods: controlmap.Timeline, tmp_path: Path
) -> None:
    """Why the export has its own fields: kepler.gl reads YYYY-MM-DD as a date, not a time."""
    path = open_periods.to_file(tmp_path / "plain.geojson")
    answer = probe(path, "start", None, [])
    assert answer["fields"]["start"] == answer["fields"]["end"] == "date"
    assert answer["filter"]["type"] != "timeRange", answer["filter"]


def test_midnight_times_show_periods_on_days_they_were_not_held(
    probe: Probe, open_periods: controlmap.Timeline, tmp_path: Path
) -> None:
    """Why noon: with the dates themselves (midnight) as times, kepler.gl shows too much.

    Its windows include both ends, so a period shows on the day it ended (its exclusive
    ``end``) and, in a one-day step, on the day before it started. On the map the whole
    day also shows the next day's new periods: the GPU filter compares float32 values,
    in which ``23:59:59.999`` and the next midnight are one number. Nothing held is ever
    missing up to the last change (past it, see the test above).
    """
    frame = open_periods.periods.copy()
    frame["t_start"] = frame["start"].dt.strftime("%Y-%m-%dT00:00:00Z")
    frame["t_end"] = frame["end"].dt.strftime("%Y-%m-%dT00:00:00Z")
    path = tmp_path / "midnight.geojson"
    controlmap.io.write_snapshot(frame, path)
    last = open_periods.change_dates.max()
    days = [day for day in days_around_changes(open_periods) if day <= last]
    answer = probe(path, "t_start", "t_end", _windows(days))
    assert answer["filter"]["endName"] == ["t_end"]
    periods = open_periods.periods
    seen = set()
    for w in _disagreements(answer, periods, days):
        assert not w["only_timeline"], w
        day = pd.Timestamp(w["day"])
        for i in w["only_kepler"]:
            if periods["end"].iloc[i] == day:
                seen.add(("ended that day", w["span"], w["path"]))
            elif periods["start"].iloc[i] == day + pd.Timedelta(days=1):
                seen.add(("starts the next day", w["span"], w["path"]))
            else:
                raise AssertionError(w)
    assert seen == {
        *(
            (why, span, path)
            for span in SPANS
            for path in ("cpu", "gpu")
            for why in ["ended that day"]
        ),
        ("starts the next day", "step", "cpu"),
        ("starts the next day", "step", "gpu"),
        ("starts the next day", "day", "gpu"),  # float32
    }


@pytest.mark.parametrize(("ci", "code", "outcome"), [("true", 1, "1 error"), ("", 0, "1 skipped")])
def test_missing_kepler_fails_in_ci_and_skips_with_a_reason_elsewhere(
    tmp_path: Path, ci: str, code: int, outcome: str
) -> None:
    env = {**os.environ, "CI": ci, "CONTROLMAP_KEPLER_DIR": str(tmp_path / "no-kepler")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsf", "-q",
         f"{__file__}::test_open_periods_for_kepler"],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == code and outcome in run.stdout, run.stdout[-2000:]
    assert "no-kepler/node_modules has no @kepler.gl/reducers" in run.stdout, run.stdout
    assert "npm ci in tests/integration/kepler" in run.stdout, run.stdout
