"""controlmap.testing.assert_timeline_equal: passes on equal timelines, names a difference."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

import controlmap
from controlmap import Timeline
from controlmap.testing import assert_timeline_equal
from controlmap.testing.strategies import timelines


def _timeline(**changes: object) -> Timeline:
    data: dict[str, object] = {
        "actor": ["A", "B"],
        "start": ["2014-01-01", "2015-01-01"],
        "end": ["2015-01-01", None],
        "note": ["x", "y"],
    }
    data.update(changes)
    geometry = [shapely.box(40, 34, 41, 35), shapely.box(42, 34, 43, 35)]
    return Timeline(gpd.GeoDataFrame(data, geometry=geometry, crs=4326))


def test_equal_timelines_pass_and_a_round_trip_is_equal(tmp_path: Path) -> None:
    tl = _timeline()
    assert_timeline_equal(tl, _timeline())
    for suffix in (".geojson", ".gpkg", ".parquet"):
        again = controlmap.read(tl.to_file(tmp_path / f"t{suffix}"))
        assert_timeline_equal(tl, again, tolerance=1e-6, area_rtol=1e-6)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": ["2015-01-02", None]}, r"row 0, column 'end'"),
        ({"end": ["2015-01-01", "2016-01-01"]}, r"row 1, column 'end': NaT != Timestamp"),
        ({"actor": ["A", "C"]}, r"row 1, column 'actor': 'B' != 'C'"),
        ({"note": ["x", None]}, r"row 1, column 'note'"),
    ],
)
def test_a_different_value_is_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_timeline_equal(_timeline(), _timeline(**changes))


def test_geometry_count_and_columns() -> None:
    tl = _timeline()
    frame = tl.periods
    # Moved north: the geodesic area changes too.
    moved = frame.assign(geometry=frame.geometry.translate(yoff=1e-4))
    with pytest.raises(AssertionError, match="geometries differ at row 0 \\(2 row"):
        assert_timeline_equal(tl, Timeline(moved))
    with pytest.raises(AssertionError, match="more than 1e-05 degrees apart"):
        assert_timeline_equal(tl, Timeline(moved), tolerance=1e-5)
    assert_timeline_equal(tl, Timeline(moved), tolerance=2e-4)
    with pytest.raises(AssertionError, match="areas differ at row 0"):
        assert_timeline_equal(tl, Timeline(moved), tolerance=2e-4, area_rtol=1e-12)
    # Another ring start and direction is the same polygon.
    turned = frame.assign(geometry=[shapely.box(40, 34, 41, 35, ccw=False), frame.geometry[1]])
    assert_timeline_equal(tl, Timeline(turned))
    with pytest.raises(AssertionError, match="in number: 2 != 1"):
        assert_timeline_equal(tl, Timeline(frame.iloc[:1]))
    with pytest.raises(AssertionError, match="columns differ"):
        assert_timeline_equal(tl, Timeline(frame.drop(columns="note")))
    assert_timeline_equal(tl, Timeline(frame.drop(columns="note")), check_columns=False)


def test_name_events_and_attrs_when_asked() -> None:
    tl, other = _timeline(), _timeline()
    other.attrs["title"] = "Other"
    other.events = pd.DataFrame({"date": ["2014-05-01"], "label": ["x"]})
    assert_timeline_equal(tl, other)
    with pytest.raises(AssertionError, match="attrs differ in keys"):
        assert_timeline_equal(tl, other, check_attrs=True)
    with pytest.raises(AssertionError, match="events differ"):
        assert_timeline_equal(tl, other, check_events=True)
    bundled = controlmap.load_dataset("islamic-state")
    assert_timeline_equal(bundled, bundled.copy(), check_attrs=True, check_events=True)
    changed = bundled.copy()
    changed.attrs["published"].loc[0, "area_km2"] += 1
    with pytest.raises(AssertionError, match="published"):
        assert_timeline_equal(bundled, changed, check_attrs=True)


@given(timelines(max_size=6), st.randoms(use_true_random=False))
def test_row_order_is_ignored_only_when_asked(tl: Timeline, random: object) -> None:
    frame = tl.periods
    order = list(range(len(frame)))
    random.shuffle(order)  # type: ignore[attr-defined]
    shuffled = Timeline(frame.iloc[order].reset_index(drop=True))
    assert_timeline_equal(tl, shuffled, check_order=False)
    if order != sorted(order) and not frame.iloc[order].reset_index(drop=True).equals(frame):
        with pytest.raises(AssertionError):
            assert_timeline_equal(tl, shuffled)
    later = frame.assign(start=frame["start"] + pd.Timedelta(days=1))
    later = later.assign(end=later[["start", "end"]].max(axis=1).where(frame["end"].notna()))
    later.loc[later["end"] <= later["start"], "end"] = later["start"] + pd.Timedelta(days=1)
    with pytest.raises(AssertionError, match="column 'start'"):
        assert_timeline_equal(tl, Timeline(later), check_order=False)
