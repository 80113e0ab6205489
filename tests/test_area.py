"""Geodesic areas against computations controlmap does not share."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from controlmap import geodesic_area_km2

# WGS84
A = 6378137.0
F = 1 / 298.257223563
B = A * (1 - F)
E = math.sqrt(F * (2 - F))


def quadrangle_km2(west: float, south: float, east: float, north: float) -> float:
    """Closed-form area between two meridians and two parallels on the WGS84 ellipsoid."""

    def q(phi_deg: float) -> float:
        s = math.sin(math.radians(phi_deg))
        return s / (1 - E**2 * s**2) + math.log((1 + E * s) / (1 - E * s)) / (2 * E)

    return B**2 / 2 * math.radians(east - west) * (q(north) - q(south)) / 1e6


def parallel_box(west: float, south: float, east: float, north: float) -> shapely.Polygon:
    # Polygon edges are geodesics; densify so the top and bottom follow the parallels.
    return shapely.segmentize(shapely.box(west, south, east, north), 0.002)


def test_one_degree_box_matches_closed_form() -> None:
    expected = quadrangle_km2(40, 34, 41, 35)
    got = geodesic_area_km2([parallel_box(40, 34, 41, 35)])[0]
    assert got == pytest.approx(expected, rel=1e-5)
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
        quadrangle_km2(west, south, west + width, south + height), rel=1e-4
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
