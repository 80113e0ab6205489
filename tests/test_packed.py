"""Packed geometry (controlmap._packed): exact round trips, and computations a slice at a time."""

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
from controlmap import _packed, intervals
from controlmap._packed import PackedGeometry, Rows


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Geometry:
    """A Polygon (perhaps with a hole, perhaps 3-D) or a MultiPolygon of one or two parts."""
    x = draw(st.floats(-179, 170, allow_nan=False))
    y = draw(st.floats(-89, 80, allow_nan=False))
    size = draw(st.floats(1e-6, 5, allow_nan=False))
    vertices = draw(st.integers(3, 40))
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    shell = np.column_stack([x + size * np.cos(angles), y + size * np.sin(angles)])
    if draw(st.booleans()):
        shell = np.column_stack([shell, np.full(vertices, draw(st.floats(-10, 10)))])
    hole = None
    if draw(st.booleans()):
        hole = [(x + size * 0.1 * np.cos(a), y + size * 0.1 * np.sin(a)) for a in angles[::-1]]
        if shell.shape[1] == 3:
            hole = [(*p, 0.0) for p in hole]
    polygon = shapely.Polygon(shell, None if hole is None else [hole])
    kind = draw(st.sampled_from(["polygon", "one part", "two parts"]))
    if kind == "one part":
        return shapely.MultiPolygon([polygon])
    if kind == "two parts":
        far = shapely.affinity.translate(polygon, xoff=2 * size + 1)
        return shapely.MultiPolygon([polygon, far])
    return polygon


@settings(max_examples=60, deadline=None)
@given(
    st.lists(polygons(), min_size=1, max_size=30),
    st.integers(1, 7),
    st.booleans(),
    st.data(),
)
def test_pack_and_take_give_back_what_was_packed(
    geoms: list[shapely.Geometry], slice_size: int, keep_large: bool, data: st.DataObject
) -> None:
    array = np.array(geoms, dtype=object)
    saved = _packed.SLICE
    _packed.SLICE = slice_size
    try:
        packed = PackedGeometry.pack(array, keep_large=keep_large)
        back = packed.take()
        assert len(packed) == len(array)
        # Exact: the same WKB (type, dimensions, ring order, every double).
        assert list(shapely.to_wkb(back)) == list(shapely.to_wkb(array))
        np.testing.assert_array_equal(packed.bounds, shapely.bounds(array))
        rows = np.array(data.draw(st.lists(st.integers(0, len(array) - 1), max_size=10)), int)
        assert list(shapely.to_wkb(packed.take(rows))) == list(shapely.to_wkb(array[rows]))
        mask = np.array(
            data.draw(st.lists(st.booleans(), min_size=len(array), max_size=len(array)))
        )
        assert list(shapely.to_wkb(packed.take(mask))) == list(shapely.to_wkb(array[mask]))
        seen = np.concatenate([r for r, _ in packed.slices()])
        np.testing.assert_array_equal(seen, np.arange(len(array)))
        # Replacing some rows changes those rows only.
        changed = np.unique(rows)
        boxes = np.array([shapely.box(0, 0, 1 + k, 1) for k in range(len(changed))], dtype=object)
        replaced = packed.replace(changed, boxes)
        expected = array.copy()
        expected[changed] = boxes
        assert list(shapely.to_wkb(replaced.take())) == list(shapely.to_wkb(expected))
        np.testing.assert_array_equal(replaced.bounds, shapely.bounds(expected))
    finally:
        _packed.SLICE = saved


def test_small_polygons_are_packed_and_large_ones_kept() -> None:
    small = np.array([shapely.box(k, 0, k + 1, 1) for k in range(10)], dtype=object)
    large = shapely.buffer(small, 0.3, quad_segs=64)  # 257 vertices each
    assert PackedGeometry.pack(small).is_wkb
    assert not PackedGeometry.pack(large).is_wkb
    assert PackedGeometry.pack(large).take()[3] is large[3]  # kept as they are


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 9),
            st.floats(0, 9),
            st.floats(0.1, 3),
            st.integers(0, 1),
            st.integers(0, 5),
            st.integers(1, 5),
        ),
        min_size=2,
        max_size=40,
    )
)
def test_overlap_pairs_of_packed_rows_equal_those_of_shapely_arrays(
    rows: list[tuple[float, float, float, int, int, int]],
) -> None:
    geoms = np.array([shapely.box(x, y, x + s, y + s) for x, y, s, *_ in rows], dtype=object)
    groups = np.array([g for *_, g, _, _ in rows])
    starts = np.array([a for *_, a, _ in rows], dtype=np.int64)
    ends = starts + np.array([d for *_, d in rows], dtype=np.int64)
    packed = Rows(PackedGeometry.pack(geoms, keep_large=False))
    plain = intervals.overlapping_pairs(geoms, groups, starts, ends)
    # Small chunks and slices: the chunked search (periods that do not all coexist)
    # asks each chunk's tree with the coexisting boxes a few at a time.
    saved = intervals._CHUNK, intervals._ASKED_AT_ONCE
    intervals._CHUNK, intervals._ASKED_AT_ONCE = 3, 2
    try:
        lazy = intervals.overlapping_pairs(packed, groups, starts, ends)
    finally:
        intervals._CHUNK, intervals._ASKED_AT_ONCE = saved
    assert sorted(map(tuple, plain.tolist())) == sorted(map(tuple, lazy.tolist()))
    for at in (np.array([0]), np.array([2, 4])):
        assert intervals.crowded(geoms, starts, ends, at) == intervals.crowded(
            packed, starts, ends, at
        )
        np.testing.assert_allclose(
            intervals.union_table(geoms, groups, starts, ends, at, 2),
            intervals.union_table(packed, groups, starts, ends, at, 2),
        )


def _grid(tmp_path: Path, count: int) -> Path:
    """A GeoJSON file of ``count`` small overlapping periods of two actors."""
    rng = np.random.default_rng(7)
    x, y = rng.uniform(30, 50, count), rng.uniform(28, 40, count)
    days = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 1500, count), "D")
    frame = gpd.GeoDataFrame(
        {
            "actor": np.where(rng.random(count) < 0.5, "A", "B"),
            "start": days.strftime("%Y-%m-%d"),
            "end": (days + pd.to_timedelta(rng.integers(30, 300, count), "D")).strftime("%Y-%m-%d"),
        },
        geometry=shapely.buffer(shapely.points(x, y), 0.3, quad_segs=3),
        crs=4326,
    )
    path = tmp_path / "grid.geojson"
    path.write_text(frame.to_json(), encoding="utf-8")
    return path


@pytest.mark.render
def test_a_slider_page_never_makes_every_polygon_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The memory promise of packing (issue 14: a page of 100,000 periods under 5x its
    # file): reading, checking, the area series and the page's features all make
    # shapely objects a slice (or a slice of pairs' members) at a time.
    from controlmap.render import save, timeline_map

    path = _grid(tmp_path, 3000)
    monkeypatch.setattr(_packed, "SLICE", 256)
    monkeypatch.setattr(intervals, "_MEMBERS_AT_ONCE", 256)
    timeline = controlmap.read(path)
    assert timeline._packed.is_wkb
    largest: list[int] = []
    take = PackedGeometry.take

    def counted(self: PackedGeometry, which: object = None) -> np.ndarray:
        made = take(self, which)
        largest.append(len(made))
        return made

    monkeypatch.setattr(PackedGeometry, "take", counted)
    save(timeline_map(timeline), tmp_path / "page.html")
    assert largest and max(largest) <= 512, max(largest)  # a pair slice: up to 2 x 256
    assert timeline._packed.is_wkb  # nothing asked for every polygon (that unpacks them)
    # The same areas as a timeline built from the whole frame at once.
    whole = controlmap.Timeline(gpd.read_file(path))
    dates = timeline.change_dates[::50]
    pd.testing.assert_frame_equal(timeline.area(dates), whole.area(dates), rtol=1e-12)


def test_once_every_polygon_is_made_the_wkb_is_let_go(tmp_path: Path) -> None:
    timeline = controlmap.read(_grid(tmp_path, 300))
    before = timeline.periods
    assert timeline._packed.is_wkb and timeline._given is timeline._packed
    geoms = timeline._geoms  # what the engines that need every polygon ask for
    assert not timeline._packed.is_wkb and timeline._given is timeline._packed
    assert timeline._packed.take(np.array([5]))[0] is geoms[5]  # one set of objects
    pd.testing.assert_frame_equal(timeline.periods, before)
