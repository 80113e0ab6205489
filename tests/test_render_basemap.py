"""Base map helpers: the map frame and the decluttered city labels."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

import controlmap
from controlmap.render import Basemap
from controlmap.render._basemap import key_places, map_extent

SPACING = (0.8, 0.4, 0.2)


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, a[1] - b[1])


def timeline_over(west: float, south: float, east: float, north: float) -> controlmap.Timeline:
    periods = gpd.GeoDataFrame(
        {"actor": ["A"], "start": ["2020-01-01"]},
        geometry=[box(west, south, east, north)],
        crs=4326,
    )
    return controlmap.Timeline(periods)


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.floats(36, 44, allow_nan=False),
            st.floats(32, 37, allow_nan=False),
            st.integers(1, 10_000_000),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_labels_at_each_level_keep_their_distance(points: list[tuple[float, float, int]]) -> None:
    places = gpd.GeoDataFrame(
        {
            "name": [f"p{i}" for i in range(len(points))],
            "population": [p for _, _, p in points],
        },
        geometry=[Point(x, y) for x, y, _ in points],
        crs=4326,
    )
    tl = timeline_over(35, 31, 45, 38)
    chosen = key_places(
        tl, Basemap(places=places), (35, 31, 45, 38), largest=len(points), spacing=SPACING
    )
    # Every place inside the frame is kept once, at some level.
    assert len({p.name for p in chosen}) == len(chosen)
    for level, gap in enumerate(SPACING):
        shown = [(p.lon, p.lat) for p in chosen if p.level <= level]
        for a, b in itertools.combinations(shown, 2):
            assert distance(a, b) >= gap - 1e-9


def test_event_places_are_marked_and_named_once() -> None:
    tl = controlmap.load_dataset("islamic-state")
    base = Basemap.bundled()
    chosen = key_places(tl, base, map_extent(tl, base))
    names = [p.name for p in chosen]
    assert len(names) == len(set(names))
    events = tl.events.dropna(subset=["lat", "lon"])
    turning = set(events.loc[events["turning_point"].astype(bool), "place"])
    marked = {p.name for p in chosen if p.event}
    assert {"Mosul", "Raqqa", "Kobani"} <= marked
    # Every turning-point place is labelled (under its own name or a city's at that spot).
    for place in turning:
        row = events.loc[events["place"] == place].iloc[0]
        assert any(distance((p.lon, p.lat), (row["lon"], row["lat"])) < 0.06 for p in chosen), place


def test_extent_covers_ground_and_focus_countries() -> None:
    base = Basemap.bundled()
    tl = timeline_over(40, 34, 41, 35)  # a square in eastern Syria and western Iraq
    west, south, east, north = map_extent(tl, base)
    countries = base.countries.set_index("iso_a3")
    iraq, syria = countries.loc["IRQ"].geometry.bounds, countries.loc["SYR"].geometry.bounds
    assert west <= min(iraq[0], syria[0]) and east >= max(iraq[2], syria[2])
    assert south <= min(iraq[1], syria[1]) and north >= max(iraq[3], syria[3])
    # Far from the bundled outlines the frame is the ground itself, padded.
    far = map_extent(timeline_over(10, 10, 12, 12), base, pad=0.04)
    assert far == pytest.approx((9.92, 9.92, 12.08, 12.08))
