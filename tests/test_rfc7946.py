"""GeoJSON exports follow RFC 7946, checked here by an independent checker.

The checker parses the raw text (numbers kept as written) and enforces: a
FeatureCollection of Features with object-or-null properties and string/number
ids; Polygon/MultiPolygon geometries; WGS84 longitude/latitude only and no ``crs``
member (section 4); closed rings of at least four positions (3.1.6); exterior
rings counter-clockwise and holes clockwise (3.1.6); at most 7 decimals per
coordinate, no exponents (11.2); no NaN/Infinity (JSON itself); no feature wider
than 180° of longitude (antimeridian, 3.1.9); dates as ``YYYY-MM-DD`` text (what
QGIS's Temporal Controller and kepler.gl detect as dates).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import controlmap
from controlmap.io import geojson_chunks, write_periods, write_snapshot
from controlmap.testing.strategies import periods_frames

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
GEOMETRY_TYPES = {"Polygon", "MultiPolygon"}
DATE_FIELDS = ("start", "end", "date")


class RFC7946Error(AssertionError):
    pass


def _reject_constant(name: str) -> Any:
    raise RFC7946Error(f"{name} is not JSON")


def _position(raw: Any, where: str, max_decimals: int | None = 7) -> tuple[float, float]:
    if not isinstance(raw, list) or len(raw) not in (2, 3):
        raise RFC7946Error(f"{where}: a position is an array of 2 or 3 numbers, got {raw!r}")
    values = []
    for text in raw:
        if not isinstance(text, str) or not NUMBER.match(text):
            raise RFC7946Error(f"{where}: {text!r} is not a JSON number")
        exponent = Decimal(text).normalize().as_tuple().exponent
        if max_decimals is not None and isinstance(exponent, int) and exponent < -max_decimals:
            raise RFC7946Error(f"{where}: {text} has more than 7 decimals")
        values.append(float(text))
    lon, lat = values[0], values[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RFC7946Error(f"{where}: ({lon}, {lat}) is not WGS84 longitude/latitude")
    return lon, lat


def _signed_area(ring: list[tuple[float, float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def _polygon(rings: Any, where: str, max_decimals: int | None = 7) -> list[tuple[float, float]]:
    if not isinstance(rings, list) or not rings:
        raise RFC7946Error(f"{where}: a Polygon has at least one ring")
    positions = []
    for r, raw_ring in enumerate(rings):
        here = f"{where} ring {r}"
        if not isinstance(raw_ring, list) or len(raw_ring) < 4:
            raise RFC7946Error(f"{here}: a linear ring has four or more positions")
        ring = [_position(p, here, max_decimals) for p in raw_ring]
        if raw_ring[0] != raw_ring[-1]:
            raise RFC7946Error(f"{here}: not closed")
        area = _signed_area(ring)
        if r == 0 and area <= 0:
            raise RFC7946Error(f"{here}: exterior ring is not counter-clockwise")
        if r > 0 and area >= 0:
            raise RFC7946Error(f"{here}: hole is not clockwise")
        positions += ring
    return positions


def check_rfc7946(text: str, max_decimals: int | None = 7) -> dict[str, Any]:
    """Raise RFC7946Error at the first departure from RFC 7946; return the parsed document."""
    doc = json.loads(text, parse_float=str, parse_int=str, parse_constant=_reject_constant)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise RFC7946Error("top level must be a FeatureCollection")
    if "crs" in doc:
        raise RFC7946Error("the crs member was removed by RFC 7946")
    if not isinstance(doc.get("features"), list):
        raise RFC7946Error("features must be an array")
    for i, feature in enumerate(doc["features"]):
        where = f"feature {i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise RFC7946Error(f"{where}: not a Feature")
        if "crs" in feature:
            raise RFC7946Error(f"{where}: crs member")
        if "id" in feature and not isinstance(feature["id"], str):  # numbers arrive as str here
            raise RFC7946Error(f"{where}: id must be a string or a number")
        properties = feature.get("properties", "missing")
        if properties is not None and not isinstance(properties, dict):
            raise RFC7946Error(f"{where}: properties must be an object or null")
        for name in DATE_FIELDS:
            value = (properties or {}).get(name)
            if value is not None and not (isinstance(value, str) and DATE.match(value)):
                raise RFC7946Error(f"{where}: {name} {value!r} is not YYYY-MM-DD text")
        geometry = feature.get("geometry", "missing")
        if geometry is None:
            continue
        if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
            raise RFC7946Error(f"{where}: geometry must be a Polygon or MultiPolygon")
        if geometry["type"] == "Polygon":
            positions = _polygon(geometry["coordinates"], where, max_decimals)
        else:
            if not isinstance(geometry["coordinates"], list):
                raise RFC7946Error(f"{where}: MultiPolygon coordinates must be an array")
            positions = [
                p
                for k, polygon in enumerate(geometry["coordinates"])
                for p in _polygon(polygon, f"{where} part {k}", max_decimals)
            ]
        lons = [lon for lon, _ in positions]
        if max(lons) - min(lons) > 180:
            raise RFC7946Error(f"{where}: spans more than 180° of longitude (antimeridian?)")
    return doc


# ---------------------------------------------------------------------------- the checker
def _doc(*features: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra})


def _feat(rings: list[list[list[float]]], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"actor": "A", "start": "2014-01-01", **props},
        "geometry": {"type": "Polygon", "coordinates": rings},
    }


CCW = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
CW_HOLE = [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8], [0.8, 0.2], [0.2, 0.2]]


@pytest.mark.parametrize(
    "text,problem",
    [
        (_doc(_feat([CCW[::-1]])), "counter-clockwise"),
        (_doc(_feat([CCW, CW_HOLE[::-1]])), "hole is not clockwise"),
        (_doc(_feat([CCW[:-1]])), "not closed"),
        (_doc(_feat([CCW]), crs={"type": "name"}), "crs"),
        (_doc(_feat([[[0, 0], [1e6, 0], [1e6, 1e6], [0, 0]]])), "WGS84"),
        (_doc(_feat([[[0, 0], [1.123456789, 0], [1, 1], [0, 0]]])), "7 decimals"),
        (_doc(_feat([[[0, 0], [1e-9, 0], [1, 1], [0, 0]]])), "7 decimals"),
        (_doc(_feat([CCW], start="2014-01-01T00:00:00")), "YYYY-MM-DD"),
        (_doc(_feat([[[-179, 0], [179, 0], [179, 1], [-179, 0]]])), "antimeridian"),
        ('{"type": "FeatureCollection", "features": [NaN]}', "not JSON"),
    ],
)
def test_the_checker_catches(text: str, problem: str) -> None:
    with pytest.raises(RFC7946Error, match=problem):
        check_rfc7946(text)
    check_rfc7946(_doc(_feat([CCW, CW_HOLE])))  # and passes a good one


# ---------------------------------------------------------------------------- exports
@pytest.mark.parametrize("kepler", [False, True])
def test_periods_export(timeline: controlmap.Timeline, tmp_path: Path, kepler: bool) -> None:
    path = write_periods(timeline, tmp_path / "periods.geojson", kepler=kepler)
    doc = check_rfc7946(path.read_text(encoding="utf-8"))
    assert len(doc["features"]) == len(timeline)
    first = doc["features"][0]["properties"]
    assert {"actor", "start", "end", "status"} <= set(first)
    assert ({"kepler_start", "kepler_end"} <= set(first)) is kepler


def test_snapshots_and_changes(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    for day in timeline.turning_points:
        snap = timeline.at(day)
        check_rfc7946("".join(geojson_chunks(snap)))
    changes = timeline.changes("2015-01-01", "2018-02-01")
    path = write_snapshot(changes, tmp_path / "changes.geojson")
    doc = check_rfc7946(path.read_text(encoding="utf-8"))
    assert [f["properties"]["change"] for f in doc["features"]] == list(changes["change"])
    assert set(changes["change"]) <= {"gained", "lost"} and len(changes)


def test_cli_snapshot_on_stdout(timeline: controlmap.Timeline) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "controlmap.cli",
            "snapshot",
            "islamic-state",
            "--date",
            "2015-05-25",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    doc = check_rfc7946(run.stdout)
    assert doc["features"][0]["properties"]["date"] == "2015-05-25"


def test_input_in_another_crs_and_winding_comes_out_rfc7946(tmp_path: Path) -> None:
    """A projected, clockwise, over-precise GeoPackage is exported as clean RFC 7946."""
    hole = shapely.Polygon(
        shapely.box(40, 34, 42, 36).exterior.coords[::-1],  # clockwise exterior
        [shapely.box(40.5, 34.5, 41.5, 35.5).exterior.coords],  # counter-clockwise hole
    )
    frame = gpd.GeoDataFrame(
        {"actor": ["A", "B"], "start": ["2014-01-01", "2015-01-01"], "end": [None, "2016-01-01"]},
        geometry=[hole, shapely.box(44.123456789, 33.1, 45.987654321, 34.2)],
        crs=4326,
    ).to_crs(32638)
    source = tmp_path / "utm.gpkg"
    frame.to_file(source, engine="pyogrio")
    tl = controlmap.read(source)
    out = write_periods(tl, tmp_path / "out.geojson")
    doc = check_rfc7946(out.read_text(encoding="utf-8"))
    assert len(doc["features"][0]["geometry"]["coordinates"]) == 2  # the hole survived


@settings(max_examples=25)
@given(frame=periods_frames(max_size=6))
def test_any_timeline_exports_as_rfc7946(frame: gpd.GeoDataFrame) -> None:
    # Clockwise input: the exporter must rewind it.
    frame = frame.set_geometry(shapely.orient_polygons(frame.geometry.values, exterior_cw=True))
    tl = controlmap.Timeline(frame)
    doc = check_rfc7946("".join(geojson_chunks(tl.periods)))
    assert len(doc["features"]) == len(frame)
    for feature, (_, row) in zip(doc["features"], frame.iterrows(), strict=True):
        assert feature["properties"]["start"] == f"{row['start']:%Y-%m-%d}"
        end = feature["properties"]["end"]
        assert end == (None if pd.isna(row["end"]) else f"{row['end']:%Y-%m-%d}")


def test_a_polygon_thinner_than_the_grid_is_kept_whole() -> None:
    """Snapping to 1e-6° would erase it: it is written at full precision instead."""
    sliver = shapely.Polygon([(40, 34), (41, 34.0000001), (41, 34.00000015), (40, 34)])
    frame = gpd.GeoDataFrame(
        {"actor": ["A", "A"], "start": ["2014-01-01", "2015-01-01"]},
        geometry=[sliver, shapely.box(40, 34, 41, 35)],
        crs=4326,
    )
    text = "".join(geojson_chunks(frame))
    with pytest.raises(RFC7946Error, match="7 decimals"):
        check_rfc7946(text)  # the one exception to the precision rule...
    doc = check_rfc7946(text, max_decimals=None)  # ...and everything else holds
    assert len(doc["features"]) == 2
    back = shapely.geometry.shape(json.loads(text)["features"][0]["geometry"])
    assert back.is_valid and back.area == pytest.approx(sliver.area, rel=1e-6)


@settings(max_examples=60)
@given(
    xs=st.lists(st.integers(-30, 30), min_size=3, max_size=8),
    scale=st.sampled_from([1e-7, 4e-7, 1e-6, 3e-6, 1e-3]),
)
def test_grid_snapping_keeps_polygons_valid(xs: list[int], scale: float) -> None:
    """Rounding each vertex (or, where that breaks a polygon, snap-rounding) to 1e-6°.

    Shapes from a few grid cells to far larger: rounding can pinch a hole shut or
    fold a thin spike, and then the slower snap-rounding must take over.
    """
    from controlmap.io.writing import COORDINATE_DECIMALS, _on_grid

    grid = 10.0**-COORDINATE_DECIMALS
    # A box with a hole and a spike, their sizes set by the drawn numbers and scale.
    w = scale * (abs(xs[0]) + 2)
    hole = shapely.box(40 + w / 3, 34 + w / 3, 40 + w / 3 + scale * (abs(xs[1]) + 1), 34 + w / 2)
    outer = shapely.box(40, 34, 40 + w, 34 + w)
    spike = shapely.Polygon(
        [(40 + w, 34), (40 + w + scale * (abs(xs[2]) + 1), 34 + w / 7), (40 + w, 34 + w / 5)]
    )
    shape = shapely.union(outer.difference(hole), spike) if hole.within(outer) else outer
    if not shape.is_valid or shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
        return
    (out,) = _on_grid(np.array([shape], dtype=object), grid)
    assert out.is_valid
    if out.is_empty:  # thinner than the grid: the writer keeps such a shape unrounded
        return
    coords = shapely.get_coordinates(out)
    assert np.allclose(coords, np.round(coords / grid) * grid, rtol=0, atol=grid * 1e-3)
    # Snapping moves the boundary by about a grid cell at most (holes and spikes
    # narrower than that may go), so the ground differs by a strip along it.
    moved = shapely.symmetric_difference(out, shape).area
    assert moved <= shape.length * grid + 4 * grid**2
