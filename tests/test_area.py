"""Geodesic areas against computations controlmap does not share."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from controlmap import geodesic_area_km2

# WGS84
A = 6378137.0
F = 1 / 298.257223563
B = A * (1 - F)
E = math.sqrt(F * (2 - F))


def quadrangle_km2(west: float, south: float, east: float, north: float) -> float:
    """Area between two meridians and two parallels on the WGS84 ellipsoid.

    The area element M(φ) N(φ) cos φ integrated numerically (Gauss-Legendre, 20
    nodes per degree of latitude at most): no closed form whose terms cancel near a
    pole, and not the way controlmap computes it.
    """
    nodes, weights = np.polynomial.legendre.leggauss(20)
    edges = np.linspace(math.radians(south), math.radians(north), max(2, int(north - south) + 2))
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        phi = (lo + hi) / 2 + (hi - lo) / 2 * nodes
        element = A**2 * (1 - E**2) * np.cos(phi) / (1 - E**2 * np.sin(phi) ** 2) ** 2
        total += float(element @ weights) * (hi - lo) / 2
    return math.radians(east - west) * total / 1e6


def parallel_box(west: float, south: float, east: float, north: float) -> shapely.Polygon:
    # Extra points along the edges: the same region, so the same area.
    return shapely.segmentize(shapely.box(west, south, east, north), 0.002)


def test_one_degree_box_matches_closed_form() -> None:
    expected = quadrangle_km2(40, 34, 41, 35)
    got = geodesic_area_km2([parallel_box(40, 34, 41, 35)])[0]
    assert got == pytest.approx(expected, rel=1e-12)
    assert 10_000 < expected < 10_400  # a 1-degree cell at 34.5 N is about 10,200 km²


@settings(max_examples=60)
@given(
    west=st.floats(-179, 178),
    south=st.floats(-80, 78),
    width=st.floats(0.05, 1.0),
    height=st.floats(0.05, 1.0),
)
def test_boxes_match_closed_form(west: float, south: float, width: float, height: float) -> None:
    box = parallel_box(west, south, west + width, south + height)
    assert geodesic_area_km2([box])[0] == pytest.approx(
        quadrangle_km2(west, south, west + width, south + height), rel=1e-9
    )


def test_holes_are_subtracted_and_orientation_ignored() -> None:
    outer, inner = (40, 34, 42, 36), (40.5, 34.5, 41.5, 35.5)
    with_hole = shapely.Polygon(
        parallel_box(*outer).exterior.coords, [parallel_box(*inner).exterior.coords]
    )
    expected = quadrangle_km2(*outer) - quadrangle_km2(*inner)
    clockwise = shapely.orient_polygons(with_hole, exterior_cw=True)
    got = geodesic_area_km2([with_hole, clockwise])
    assert got == pytest.approx([expected, expected], rel=1e-5)


def test_multipolygons_sum_parts_and_non_polygons_are_zero() -> None:
    a, b = parallel_box(40, 34, 41, 35), parallel_box(43, 30, 44, 31)
    multi = shapely.MultiPolygon([a, b])
    got = geodesic_area_km2([multi, shapely.Point(1, 1), None, shapely.Polygon()])
    assert got[0] == pytest.approx(
        quadrangle_km2(40, 34, 41, 35) + quadrangle_km2(43, 30, 44, 31), rel=1e-5
    )
    assert got[1:].tolist() == [0.0, 0.0, 0.0]


def test_area_is_additive_over_a_split() -> None:
    whole = parallel_box(38, 33, 42, 37)
    halves = [
        whole.intersection(shapely.box(30, 30, 40, 40)),
        whole.intersection(shapely.box(40, 30, 50, 40)),
    ]
    assert np.sum(geodesic_area_km2(halves)) == pytest.approx(
        geodesic_area_km2([whole])[0], rel=1e-9
    )


# Rings around more than a hemisphere (issue 14, item 7). Karney's algorithm alone
# returns such an area minus the ellipsoid's, which was then taken as the complement.
EARTH_KM2 = quadrangle_km2(-180, -90, 180, 90)


def test_box_larger_than_a_hemisphere_is_the_region_it_encloses() -> None:
    south_of_10n = shapely.box(-180, -90, 180, 10)
    expected = quadrangle_km2(-180, -90, 180, 10)
    assert 299_000_000 < expected < 299_200_000  # more than half of 510 million km²
    got = geodesic_area_km2([south_of_10n, south_of_10n.reverse()])
    assert got == pytest.approx([expected, expected], rel=1e-6)


def test_whole_earth_is_the_ellipsoid_and_a_hole_is_taken_out() -> None:
    assert 510_000_000 < EARTH_KM2 < 510_100_000
    world = shapely.box(-180, -90, 180, 90)
    hole = (40, 34, 41, 35)
    holed = shapely.Polygon(world.exterior.coords, [shapely.box(*hole).exterior.coords])
    got = geodesic_area_km2([world, holed])
    assert got == pytest.approx([EARTH_KM2, EARTH_KM2 - quadrangle_km2(*hole)], rel=1e-7)


@settings(max_examples=80)
@given(
    west=st.floats(-180, 179.9),
    south=st.floats(-90, 89.9),
    wide=st.floats(0.001, 1),
    tall=st.floats(0.001, 1),
    clockwise=st.booleans(),
)
@example(west=-180, south=-90, wide=1, tall=1, clockwise=False)  # the whole Earth
@example(west=-180, south=-60, wide=0.9, tall=0.9, clockwise=True)
def test_boxes_of_any_size_match_closed_form(
    west: float, south: float, wide: float, tall: float, clockwise: bool
) -> None:
    # Fractions of the room left east and north: boxes from a few km to the whole
    # Earth, many larger than a hemisphere. Edges straight in lon/lat (the library's
    # definition): no densification here.
    east, north = west + wide * (180 - west), south + tall * (90 - south)
    if east - west < 0.01 or north - south < 0.01:
        east, north = max(east, west + 0.01), max(north, south + 0.01)
    box = shapely.box(west, south, east, north, ccw=not clockwise)
    expected = quadrangle_km2(west, south, east, north)
    assert geodesic_area_km2([box])[0] == pytest.approx(expected, rel=1e-9)


@settings(max_examples=40)
@given(
    west=st.floats(0, 179.5),
    east=st.floats(-179.5, 0),
    south=st.floats(-90, 80),
    height=st.floats(0.5, 180),
)
def test_ground_across_the_antimeridian_is_measured_as_its_two_parts(
    west: float, east: float, south: float, height: float
) -> None:
    # RFC 7946 splits such a polygon at the antimeridian into a MultiPolygon.
    north = min(south + height, 90.0)
    across = shapely.MultiPolygon(
        [shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]
    )
    expected = quadrangle_km2(west, south, 180, north) + quadrangle_km2(-180, south, east, north)
    assert geodesic_area_km2([across])[0] == pytest.approx(expected, rel=1e-9)


@settings(max_examples=40)
@given(west=st.floats(-180, 170), width=st.floats(0.2, 10), south=st.floats(80, 89.5))
def test_boxes_touching_a_pole_match_closed_form(west: float, width: float, south: float) -> None:
    for box in ((west, south, west + width, 90.0), (west, -90.0, west + width, -south)):
        got = geodesic_area_km2([shapely.box(*box)])[0]
        assert got == pytest.approx(quadrangle_km2(*box), rel=1e-9)


@settings(max_examples=40)
@given(
    x=st.floats(-170, 160),
    y=st.floats(-70, 60),
    size=st.floats(0.01, 8),
    vertices=st.integers(3, 40),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_vertex_on_an_edge_does_not_move_the_area(
    x: float, y: float, size: float, vertices: int, seed: int
) -> None:
    # A union, a clip or a tile line adds vertices on existing edges: the region is
    # the same, so must be its area (measured with geodesics between points 0.1 degree
    # apart, it moved by up to ~5e-7 of the polygon).
    rng = np.random.default_rng(seed)
    polygon = star(x, y, size, vertices, seed)
    ring = np.asarray(polygon.exterior.coords)
    split = [ring[0]]
    for a, b in itertools.pairwise(ring):
        split.extend(a + t * (b - a) for t in np.sort(rng.random(rng.integers(0, 4))))
        split.append(b)
    more = shapely.Polygon(split)
    # A new vertex lies on its edge only to the last bit of a float (~1e-14 degree): on
    # a 0.01-degree polygon that alone moves the area by ~1e-12 of it, hence the abs term.
    assert geodesic_area_km2([more])[0] == pytest.approx(
        geodesic_area_km2([polygon])[0], rel=1e-12, abs=1e-9
    )


@settings(max_examples=30)
@given(
    x=st.floats(-170, 160),
    y=st.floats(-70, 60),
    size=st.floats(0.05, 5),
    cuts=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_ground_cut_into_tiles_adds_up(
    x: float, y: float, size: float, cuts: int, seed: int
) -> None:
    # Clipped to disjoint tiles, ground adds up to the ground whole (the dask engine
    # and the tiled union rely on it).
    polygon = star(x, y, size, 60, seed)
    west, south, east, north = polygon.bounds
    xs = np.sort(np.random.default_rng(seed).uniform(west, east, cuts))
    ys = np.sort(np.random.default_rng(seed + 1).uniform(south, north, cuts))
    xs, ys = np.r_[west - 1, xs, east + 1], np.r_[south - 1, ys, north + 1]
    pieces = [
        shapely.clip_by_rect(polygon, xs[i], ys[j], xs[i + 1], ys[j + 1])
        for i in range(len(xs) - 1)
        for j in range(len(ys) - 1)
    ]
    assert np.sum(geodesic_area_km2(pieces)) == pytest.approx(
        geodesic_area_km2([polygon])[0], rel=1e-9
    )


# Heavy overlap (issue 14, item 11): the tiled union must be the same region as
# shapely's plain union_all, and areas of many large overlapping periods the area of
# that union.
def star(x: float, y: float, radius: float, vertices: int, seed: int) -> shapely.Polygon:
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = radius * (1 + 0.1 * rng.standard_normal(vertices)).clip(0.6, 1.4)
    return shapely.Polygon(np.column_stack([x + r * np.cos(angles), y + r * np.sin(angles)]))


stars = st.lists(
    st.builds(
        star,
        st.floats(38, 42),
        st.floats(32, 35),
        st.floats(0.2, 1.5),
        st.integers(500, 700),
        st.integers(0, 2**32 - 1),
    ),
    min_size=8,
    max_size=16,
)


@settings(max_examples=15)
@given(stars)
# Found by hypothesis: the tile lines moved this union's geodesic area by 1.2e-6.
@example([star(38.0, 32.0, 1.0, 500, 0)] * 7 + [star(38.0, 32.0, 1.0, 500, 8)])
def test_union_of_heavily_overlapping_polygons_is_shapelys_union(polygons: list) -> None:
    from controlmap.area import union

    geoms = np.array(polygons, dtype=object)
    assert shapely.get_num_coordinates(geoms).sum() > 4000  # enough to be cut in tiles
    plain = shapely.union_all(geoms)
    tiled = union(geoms)
    assert shapely.is_valid(tiled)
    assert shapely.symmetric_difference(tiled, plain).area < 1e-9 * plain.area
    # The tiled union has extra vertices where its boundary crosses a tile line: the
    # same region, so the same measure (it was 1.2e-6 off when edges were measured as
    # geodesics between points 0.1 degree apart).
    assert geodesic_area_km2([tiled])[0] == pytest.approx(geodesic_area_km2([plain])[0], rel=1e-9)


def test_union_when_the_rectangle_clip_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # GEOS's rectangle clip raises on some valid thin slivers (pieces of a decomposed
    # archive: "Invalid number of points in LinearRing found 3"); the tile is then
    # intersected instead of the error ending `controlmap map periods.gpkg`.
    from controlmap import union as tiled_union

    def failing_clip(*args: object, **kwargs: object) -> None:
        raise shapely.errors.GEOSException("IllegalArgumentException: Invalid number of points")

    monkeypatch.setattr(tiled_union.shapely, "clip_by_rect", failing_clip)
    geoms = np.array([star(40.0 + k / 10, 34.0, 0.5, 600, k) for k in range(8)], dtype=object)
    plain = shapely.union_all(geoms)
    tiled = tiled_union.union(geoms)
    assert shapely.symmetric_difference(tiled, plain).area < 1e-9 * plain.area


def test_large_neighbours_that_only_touch_are_summed() -> None:
    # Large pairs skip the exact relate; touching ones may be unioned: same area.
    from controlmap import Timeline

    west = shapely.segmentize(shapely.box(40, 34, 41, 35), 0.002)
    east = shapely.segmentize(shapely.box(41, 34, 42, 35), 0.002)
    inside = star(40.5, 34.5, 0.3, 400, 1)
    frame = gpd.GeoDataFrame(
        {"actor": ["A", "A", "A"], "start": ["2015-01-01"] * 3},
        geometry=[west, east, inside],
        crs=4326,
    )
    got = Timeline(frame).area(["2015-06-01"]).iloc[0, 0]
    expected = quadrangle_km2(40, 34, 42, 35)
    assert got == pytest.approx(expected, rel=1e-5)


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),  # boxes on a unit grid: overlapping, sharing edges or apart
            st.integers(0, 6),
            st.integers(1, 3),
            st.integers(0, 3),  # start
            st.integers(1, 3),  # length
            st.integers(0, 1),  # group
        ),
        min_size=2,
        max_size=16,
    ),
    st.integers(2, 6),
)
def test_overlapping_pairs_in_slices_are_every_pair_whose_interiors_meet(
    rows: list, members: int
) -> None:
    # _interiors_meet prepares polygons a slice of pairs at a time when the pairs have
    # many members; a handful at once here, against a test of every pair.
    from controlmap import intervals

    geoms = np.array([shapely.box(x, y, x + s, y + s) for x, y, s, *_ in rows], dtype=object)
    starts = np.array([r[3] for r in rows], dtype=np.int64)
    ends = starts + np.array([r[4] for r in rows], dtype=np.int64)
    groups = np.array([r[5] for r in rows], dtype=np.int64)
    saved = intervals._MEMBERS_AT_ONCE
    intervals._MEMBERS_AT_ONCE = members
    try:
        found = intervals.overlapping_pairs(geoms, groups, starts, ends)
    finally:
        intervals._MEMBERS_AT_ONCE = saved
    expected = [
        [i, j]
        for i, j in itertools.combinations(range(len(rows)), 2)
        if groups[i] == groups[j]
        and max(starts[i], starts[j]) < min(ends[i], ends[j])
        and shapely.relate_pattern(geoms[i], geoms[j], "T********")
    ]
    assert sorted(found.tolist()) == expected
