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


def test_the_world_outlines_read_without_gdal_are_gdals_reading() -> None:
    # The neutral base map's file is parsed by geopandas from JSON (no GDAL libraries
    # loaded for a slider page); GDAL's reading of the same file is the reference.
    from controlmap.datasets import data_dir
    from controlmap.render._basemap import WORLD_OUTLINES, _world

    ours = _world()
    gdal = gpd.read_file(data_dir() / WORLD_OUTLINES, engine="pyogrio")[list(ours.columns)]
    assert ours.crs == gdal.crs
    assert ours.drop(columns="geometry").equals(gdal.drop(columns="geometry"))
    assert ours.geometry.geom_equals_exact(gdal.geometry, tolerance=0).all()


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(st.floats(-170, 160), st.floats(-60, 60), st.floats(0.01, 15)),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 7),
)
def test_focus_countries_are_those_meeting_some_periods_box(
    boxes: list[tuple[float, float, float]], slice_size: int
) -> None:
    # The boxes are asked of a tree of the countries a few at a time; against testing
    # every country with the union of the boxes.
    import shapely

    from controlmap.render import _basemap

    periods = gpd.GeoDataFrame(
        {"actor": ["A"] * len(boxes), "start": "2020-01-01"},
        geometry=[box(x, y, x + s, y + s / 2).buffer(-s / 10) for x, y, s in boxes],
        crs=4326,
    )
    saved = _basemap._BOXES_A_SLICE
    _basemap._BOXES_A_SLICE = slice_size
    try:
        base = Basemap.for_timeline(controlmap.Timeline(periods))
    finally:
        _basemap._BOXES_A_SLICE = saved
    envelopes = shapely.union_all(shapely.envelope(periods.geometry.to_numpy()))
    expected = shapely.intersects(base.countries.geometry.to_numpy(), envelopes)
    assert (base.countries["role"] == "focus").to_numpy().tolist() == expected.tolist()
