"""The peak area on heavily overlapping data (issue 14, item 11) against every date measured."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import controlmap
from controlmap.cli import main
from controlmap.geodesic import geodesic_area_km2
from controlmap.peak import OPEN, peak_area


def star(x: float, y: float, radius: float, vertices: int, seed: int) -> shapely.Polygon:
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = radius * (1 + 0.1 * rng.standard_normal(vertices)).clip(0.6, 1.4)
    return shapely.Polygon(np.column_stack([x + r * np.cos(angles), y + r * np.sin(angles)]))


def every_instant(geoms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[int, float]:
    """The first instant of the largest plain ``union_all``, measuring every change."""
    instants = np.unique(np.concatenate([starts, ends[ends != OPEN]]))
    areas = []
    for t in instants:
        active = geoms[(starts <= t) & (t < ends)]
        areas.append(geodesic_area_km2([shapely.union_all(active)])[0] if len(active) else 0.0)
    values = np.array(areas)
    first = int(np.flatnonzero(values >= values.max() * (1 - 1e-9))[0])
    return int(instants[first]), float(values.max())


periods = st.lists(
    st.tuples(
        st.builds(
            star,
            st.floats(38, 41),
            st.floats(32, 35),
            st.floats(0.2, 1.5),
            st.integers(300, 500),
            st.integers(0, 2**32 - 1),
        ),
        st.integers(0, 40),
        st.one_of(st.integers(1, 30), st.none()),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=25, deadline=None)
@given(periods)
def test_peak_is_the_largest_area_of_every_change(rows: list) -> None:
    geoms = np.array([g for g, _, _ in rows], dtype=object)
    starts = np.array([s for _, s, _ in rows], dtype=np.int64)
    ends = np.array([OPEN if d is None else s + d for _, s, d in rows], dtype=np.int64)
    instant, km2 = peak_area(geoms, starts, ends)
    expected_instant, expected = every_instant(geoms, starts, ends)
    # Tile lines add vertices where the ground's edge crosses them, and an edge split
    # there is followed with other points: the geodesic measure moves by a few
    # millionths, as in the tiled union (tests/test_area.py).
    assert km2 == pytest.approx(expected, rel=1e-5)
    if instant != expected_instant:
        # Two dates within the tiles' noise of each other: either is the peak.
        active = geoms[(starts <= instant) & (instant < ends)]
        other = geodesic_area_km2([shapely.union_all(active)])[0]
        assert other == pytest.approx(expected, rel=1e-5)


def test_a_period_starting_inside_held_ground_does_not_move_the_peak() -> None:
    big = star(40, 34, 1.0, 2000, 1)
    inside = shapely.Point(40, 34).buffer(0.3)
    instant, km2 = peak_area(
        np.array([big, inside], dtype=object), np.array([0, 5]), np.array([10, 10])
    )
    assert instant == 0
    assert km2 == pytest.approx(geodesic_area_km2([big])[0], rel=1e-5)


def crowded_frame(n: int = 24) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    days = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    return gpd.GeoDataFrame(
        {
            "actor": ["A", "B"] * (n // 2),
            "start": days,
            "end": days + pd.to_timedelta(rng.integers(30, 300, n), unit="D"),
        },
        geometry=[
            star(40 + rng.uniform(0, 1), 34 + rng.uniform(0, 1), 1.2, 400, i) for i in range(n)
        ],
        crs=4326,
    )


def test_timeline_peaks_on_crowded_data_are_the_area_series_maximum() -> None:
    tl = controlmap.Timeline(crowded_frame())
    peaks = tl.peaks()
    series = tl.area()
    for actor in ["A", "B"]:
        assert peaks.loc[actor, "area_km2"] == pytest.approx(series[actor].max(), rel=1e-5)
        day = peaks.loc[actor, "date"]
        assert series.loc[day, actor] == pytest.approx(series[actor].max(), rel=1e-5)


def test_info_prints_the_peak_of_crowded_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crowded.geojson"
    frame = crowded_frame()
    for column in ("start", "end"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    path.write_text(frame.to_json())
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    series = controlmap.read(path).area()
    for actor in ["A", "B"]:
        day = series.index[int(series[actor].to_numpy().argmax())]
        line = f"  {actor}: peak {series[actor].max():,.0f} km² on {day:%Y-%m-%d}"
        assert line in out.splitlines()
