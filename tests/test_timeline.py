"""The timeline model: half-open periods, snapshots, area over time, changes."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import controlmap
from controlmap import (
    DataError,
    DateError,
    GeometryError,
    GeometryWarning,
    Timeline,
    geodesic_area_km2,
)
from controlmap.testing.strategies import dates, periods_frames, timelines

BOX_A = shapely.box(40, 34, 41, 35)
BOX_B = shapely.box(41, 34, 42, 35)
BOX_AB = shapely.box(40.5, 34, 41.5, 35)  # overlaps both


def densified(periods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Vertices every 0.05 degrees.

    Geodesic polygon edges bulge between vertices, so a union (which gains vertices
    where shapes meet) and its parts differ slightly on coarse boxes; dense vertices
    make both follow the same outline.
    """
    periods = periods.copy()
    periods.geometry = shapely.segmentize(periods.geometry.values, 0.05)
    return periods


def frame(rows: list[dict], crs: int | None = 4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def union_area(geoms: list[shapely.Geometry]) -> float:
    """Area of a union, computed by shapely then pyproj's own polygon routine."""
    if not geoms:
        return 0.0
    from pyproj import Geod

    # Edges are straight in lon/lat (RFC 7946): follow them with points every 0.01°.
    merged = shapely.segmentize(shapely.union_all(geoms), 0.01)
    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(merged)
    return abs(area) / 1e6


# ---------------------------------------------------------------------------- at()
def test_at_is_half_open() -> None:
    tl = Timeline(
        frame([{"actor": "A", "start": "2014-01-10", "end": "2014-02-01", "geometry": BOX_A}])
    )
    assert tl.at("2014-01-09").empty
    assert list(tl.at("2014-01-10").actor) == ["A"]  # start is inclusive
    assert list(tl.at("2014-01-31").actor) == ["A"]
    assert tl.at("2014-02-01").empty  # end is exclusive


def test_at_dissolves_per_actor_and_status() -> None:
    tl = Timeline(
        frame(
            [
                {
                    "actor": "A",
                    "start": "2014",
                    "end": None,
                    "status": "control",
                    "geometry": BOX_A,
                },
                {
                    "actor": "A",
                    "start": "2014",
                    "end": None,
                    "status": "control",
                    "geometry": BOX_AB,
                },
                {
                    "actor": "A",
                    "start": "2014",
                    "end": None,
                    "status": "contested",
                    "geometry": BOX_B,
                },
                {"actor": "B", "start": "2014", "end": None, "geometry": BOX_B},
            ]
        )
    )
    snap = tl.at("2015-01-01")
    assert sorted(zip(snap.actor, snap.status, strict=True)) == [
        ("A", "contested"),
        ("A", "control"),
        ("B", "control"),
    ]
    a = snap[(snap.actor == "A") & (snap.status == "control")].iloc[0]
    assert a.periods == 2
    assert a.area_km2 == pytest.approx(union_area([BOX_A, BOX_AB]), rel=1e-6)
    assert a.geometry.equals(shapely.box(40, 34, 41.5, 35))


@settings(max_examples=40)
@given(periods_frames().map(densified), dates())
def test_at_holds_exactly_the_active_periods(periods: gpd.GeoDataFrame, day: pd.Timestamp) -> None:
    tl = Timeline(periods)
    snap = tl.at(day)
    for actor in tl.actors:
        active = [
            row.geometry
            for row in periods.itertuples()
            if row.actor == actor
            and row.start <= day
            and (row.end is None or pd.isna(row.end) or day < row.end)
        ]
        got = snap[snap.actor == actor]
        if not active:
            assert got.empty
        else:
            assert got.area_km2.sum() == pytest.approx(union_area(active), rel=1e-6)


# ---------------------------------------------------------------------------- area()
@settings(max_examples=60)
@given(
    periods_frames(max_size=10).map(densified),
    st.lists(dates(), min_size=1, max_size=6, unique=True),
)
def test_area_equals_union_of_active_periods(periods: gpd.GeoDataFrame, days: list) -> None:
    """The property of issue 2: overlapping periods of one actor never count twice."""
    tl = Timeline(periods)
    series = tl.area(days)
    assert list(series.columns) == tl.actors
    assert (series.to_numpy() >= 0).all()  # never -0 or -1e-18
    for day in days:
        for actor in tl.actors:
            active = [
                row.geometry
                for row in periods.itertuples()
                if row.actor == actor
                and row.start <= day
                and (row.end is None or pd.isna(row.end) or day < row.end)
            ]
            expected = union_area(active)
            assert series.loc[day, actor] == pytest.approx(expected, rel=1e-6, abs=1e-6)


@settings(max_examples=30)
@given(timelines(max_size=10))
def test_daily_and_change_date_series_agree(tl: Timeline) -> None:
    by_change = tl.area()
    assert by_change.index.equals(tl.change_dates) or len(by_change) >= len(tl.change_dates)
    first, last = tl.change_dates[0], tl.change_dates[-1]
    if (last - first).days > 4000:
        last = first + pd.Timedelta(days=4000)
    daily = tl.area(start=first, end=last, freq="D")
    # Between change dates nothing changes: the daily series is the change series held.
    held = by_change.reindex(daily.index, method="ffill")
    np.testing.assert_allclose(daily.to_numpy(), held.to_numpy(), rtol=1e-9, atol=1e-9)


def test_area_defaults_and_ranges() -> None:
    tl = Timeline(
        frame(
            [
                {"actor": "A", "start": "2014-01-01", "end": "2016-01-01", "geometry": BOX_A},
                {"actor": "B", "start": "2015-01-01", "end": None, "geometry": BOX_B},
            ]
        )
    )
    series = tl.area()
    assert series.index.name == "date"
    assert list(series.index.strftime("%Y-%m-%d")) == ["2014-01-01", "2015-01-01", "2016-01-01"]
    assert series.loc["2016-01-01", "A"] == 0.0  # exactly zero, not a float residue
    monthly = tl.area(start="2013-12-01", end="2016-02-01", freq="MS")
    assert len(monthly) == 27
    assert monthly.loc["2013-12-01"].sum() == 0.0
    assert monthly.loc["2015-06-01", "A"] == pytest.approx(geodesic_area_km2([BOX_A])[0])
    with pytest.raises(DataError, match="freq"):
        tl.area(start="2014", end="2015", freq="fortnightly-ish")
    with pytest.raises(DataError, match="either dates or"):
        tl.area(["2014-01-01"], freq="D")
    with pytest.raises(DateError, match="before start"):
        tl.area(start="2015", end="2014")


def test_area_by_region_splits_and_sums_to_total() -> None:
    tl = Timeline(
        densified(
            frame(
                [
                    {
                        "actor": "A",
                        "start": "2014",
                        "end": None,
                        "geometry": shapely.box(39, 34, 43, 36),
                    },
                    {
                        "actor": "A",
                        "start": "2014",
                        "end": None,
                        "geometry": shapely.box(40, 35, 44, 37),
                    },
                ]
            )
        )
    )
    regions = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[shapely.box(30, 30, 41.5, 40), shapely.box(41.5, 30, 50, 40)],
        crs=4326,
    )
    split = tl.area(["2015-01-01"], by=regions)
    assert list(split.columns) == [("A", "east"), ("A", "west")]
    total = tl.area(["2015-01-01"])["A"].iloc[0]
    assert split.sum(axis=1).iloc[0] == pytest.approx(total, rel=1e-6)
    west = shapely.union_all(list(tl.periods.geometry))
    west = west.intersection(shapely.box(30, 30, 41.5, 40))
    assert split[("A", "west")].iloc[0] == pytest.approx(union_area([west]), rel=1e-6)


def test_area_of_bundled_provinces() -> None:
    tl = controlmap.load_dataset("islamic-state")
    provinces = controlmap.load_layer("provinces")
    split = tl.area(["2015-06-01"], by=provinces, by_column="name_en")
    total = tl.area(["2015-06-01"])["Islamic State"].iloc[0]
    # Province outlines leave border slivers: the split covers the total within 1%.
    assert split.sum(axis=1).iloc[0] == pytest.approx(total, rel=0.01)
    held = split.iloc[0].droplevel(0)
    assert held["Al Anbar"] > 10_000 and held["Deir ez-Zor"] > 5_000
    # Ground IS never held stays (almost) empty: the Kurdish region, Shia south, the coast.
    for never in ("Sulaymaniyah", "Basra", "Najaf", "Latakia", "Tartus"):
        assert held.get(never, 0.0) == 0.0


def test_status_filter() -> None:
    tl = Timeline(
        frame(
            [
                {
                    "actor": "A",
                    "start": "2014",
                    "end": None,
                    "status": "control",
                    "geometry": BOX_A,
                },
                {
                    "actor": "A",
                    "start": "2014",
                    "end": None,
                    "status": "support zone",
                    "geometry": BOX_B,
                },
            ]
        )
    )
    both = tl.area(["2015-01-01"])["A"].iloc[0]
    control = tl.area(["2015-01-01"], status="control")["A"].iloc[0]
    assert control == pytest.approx(geodesic_area_km2([BOX_A])[0])
    assert both == pytest.approx(geodesic_area_km2([BOX_A, BOX_B]).sum(), rel=1e-6)


# ---------------------------------------------------------------------------- changes()
@settings(max_examples=40)
@given(periods_frames(max_size=8).map(densified), dates(), dates())
def test_changes_balance_the_area_difference(
    periods: gpd.GeoDataFrame, first: pd.Timestamp, second: pd.Timestamp
) -> None:
    tl = Timeline(periods)
    first, second = sorted((first, second))
    changes = tl.changes(first, second)
    series = tl.area([first, second])
    for actor in tl.actors:
        gained = changes[(changes.actor == actor) & (changes.change == "gained")].area_km2.sum()
        lost = changes[(changes.actor == actor) & (changes.change == "lost")].area_km2.sum()
        delta = series.iloc[1][actor] - series.iloc[0][actor]
        assert gained - lost == pytest.approx(delta, rel=1e-6, abs=1e-3)
        assert gained >= 0 and lost >= 0


def test_changes_of_the_bundled_story() -> None:
    tl = controlmap.load_dataset("islamic-state")
    changes = tl.changes("2015-01-01", "2018-02-01")
    lost = changes[changes.change == "lost"].area_km2.sum()
    held_2015 = tl.area(["2015-01-01"])["Islamic State"].iloc[0]
    # Most of the 2015 ground was gone by Feb 2018 (what is left is mostly desert roamed).
    assert lost > 0.75 * held_2015
    mosul = shapely.Point(43.11889, 36.335)
    assert changes[changes.change == "lost"].geometry.iloc[0].contains(mosul)


# ---------------------------------------------------------------------------- snapshots
def test_from_snapshots_turns_maps_into_periods() -> None:
    snaps = {
        "2014-01-01": frame([{"actor": "A", "geometry": BOX_A}]),
        "2014-06-01": frame([{"actor": "A", "geometry": BOX_A}, {"actor": "B", "geometry": BOX_B}]),
        "2015-01-01": frame([{"actor": "A", "geometry": shapely.box(40, 34, 42, 35)}]),
    }
    tl = Timeline.from_snapshots(snaps, end="2016-01-01")
    rows = tl.periods.sort_values(["actor", "start"])
    got = [(r.actor, f"{r.start:%Y-%m-%d}", f"{r.end:%Y-%m-%d}") for r in rows.itertuples()]
    # Pieces of ground: A's first box once for the whole time, the ground it gained
    # in 2015 once (not the whole map again), B's box for its half year.
    assert got == [
        ("A", "2014-01-01", "2016-01-01"),
        ("A", "2015-01-01", "2016-01-01"),
        ("B", "2014-06-01", "2015-01-01"),
    ]
    for day, snap in snaps.items():
        for actor in snap.actor:
            expected = union_area(list(snap[snap.actor == actor].geometry))
            assert tl.area([day])[actor].iloc[0] == pytest.approx(expected, rel=1e-6)


def test_from_snapshots_single_frame_with_date_column() -> None:
    snaps = frame(
        [
            {"date": "2014-01-01", "actor": "A", "geometry": BOX_A},
            {"date": "2014-02-01", "actor": "A", "geometry": BOX_B},
        ]
    )
    tl = Timeline.from_snapshots(snaps)
    assert len(tl) == 2 and tl.span[1] is pd.NaT
    with pytest.raises(DataError, match="'when'"):
        Timeline.from_snapshots(snaps, date="when")


# ---------------------------------------------------------------------------- construction
def test_field_names_dates_and_crs() -> None:
    projected = frame([{"who": "A", "from": "2014-06", "to": "2015", "geometry": BOX_A}]).to_crs(
        3857
    )
    tl = Timeline(projected, actor="who", start="from", end="to")
    row = tl.periods.iloc[0]
    assert (row.actor, row.start, row.end) == (
        "A",
        pd.Timestamp("2014-06-01"),
        pd.Timestamp("2015-01-01"),
    )
    assert tl.periods.crs.to_epsg() == 4326
    assert shapely.equals_exact(row.geometry, BOX_A, tolerance=1e-9)
    assert list(tl.periods.columns) == ["actor", "start", "end", "status", "geometry"]


def test_datetime_columns_and_extra_properties_travel() -> None:
    rows = frame(
        [
            {
                "actor": "A",
                "start": pd.Timestamp("2014-03-04 15:00", tz="UTC"),
                "end": pd.NaT,
                "source": "ISW",
                "confidence": "low",
                "geometry": BOX_A,
            }
        ]
    )
    tl = Timeline(rows)
    assert tl.periods.start.iloc[0] == pd.Timestamp("2014-03-04")
    assert tl.periods.source.iloc[0] == "ISW"
    snap = tl.at("2014-03-04")
    assert (snap.source.iloc[0], snap.confidence.iloc[0]) == ("ISW", "low")


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ({"actor": None}, DataError, "feature 0: actor"),
        ({"actor": "  "}, DataError, "feature 0: actor"),
        ({"start": "last spring"}, DateError, "feature 0: start 'last spring'"),
        ({"start": None}, DateError, "feature 0: start is missing"),
        ({"end": "2013-01-01"}, DateError, "end 2013-01-01 is not after start"),
        ({"geometry": shapely.Point(40, 34)}, GeometryError, "Point"),
        (
            {"geometry": shapely.box(400000, 3000000, 400100, 3000100)},
            GeometryError,
            "outside longitude/latitude",
        ),
    ],
)
def test_bad_rows_name_the_feature(row: dict, error: type, message: str) -> None:
    good = {"actor": "A", "start": "2014-01-01", "end": None, "geometry": BOX_A}
    with pytest.raises(error, match=message):
        Timeline(frame([good, good, {**good, **row}][2:]), source="x.geojson")


def test_missing_actor_field_lists_the_fields() -> None:
    with pytest.raises(DataError, match=r"no 'actor' field .*\['who', 'start'\]"):
        Timeline(frame([{"who": "A", "start": "2014", "geometry": BOX_A}]))


def test_repr_and_span() -> None:
    tl = controlmap.load_dataset("islamic-state")
    assert repr(tl).startswith("<Timeline 'islamic-state':")
    first, last = tl.span
    assert first < pd.Timestamp("2014-01-14") and last == pd.Timestamp("2019-03-23")
    assert tl.area(["2019-03-23"])["Islamic State"].iloc[0] == 0.0


# ---------------------------------------------------------------------------- population()
def test_population_counts_each_place_once() -> None:
    places = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"], "population": [1000, 200, 30]},
        geometry=[shapely.Point(40.75, 34.5), shapely.Point(41.25, 34.5), shapely.Point(45, 30)],
        crs=4326,
    )
    tl = Timeline(
        frame(
            [
                {"actor": "A", "start": "2014-01-01", "end": None, "geometry": BOX_A},
                {"actor": "A", "start": "2014-06-01", "end": "2015-01-01", "geometry": BOX_AB},
            ]
        )
    )
    people = tl.population(places, ["2013-12-31", "2014-03-01", "2014-07-01", "2015-06-01"])
    # Town a lies in both periods while they coexist: still 1,000 people, not 2,000.
    assert people["A"].tolist() == [0.0, 1000.0, 1200.0, 1000.0]


def test_population_of_the_bundled_story_matches_a_spatial_join() -> None:
    tl = controlmap.load_dataset("islamic-state")
    places = controlmap.load_layer("places")
    days = ["2014-06-15", "2015-06-01", "2017-01-01", "2018-02-01"]
    people = tl.population(places, days)["Islamic State"]
    for day in days:
        held = tl.at(day)
        joined = gpd.sjoin(places, held[["geometry"]], predicate="intersects")
        expected = places.loc[joined.index.unique(), "population"].sum()
        assert people.loc[day] == pytest.approx(expected)
    assert people.loc["2015-06-01"] > 2_000_000  # Mosul and Raqqa among them


def test_area_by_country_is_never_negative() -> None:
    tl = controlmap.load_dataset("islamic-state")
    countries = controlmap.load_layer("countries")
    split = tl.area(start="2013-12-01", end="2019-04-01", freq="MS", by=countries)
    assert (split.to_numpy() >= 0).all()
    assert split.loc["2019-04-01"].sum() == 0.0


def test_changes_backwards_is_an_error() -> None:
    tl = Timeline(frame([{"actor": "A", "start": "2014", "end": None, "geometry": BOX_A}]))
    with pytest.raises(DateError, match="end 2014-01-01 is before start 2015-01-01"):
        tl.changes("2015-01-01", "2014-01-01")


def test_review_edge_cases() -> None:
    """Inputs a reviewer found mishandled: each now works or says what is wrong."""
    rows = [{"actor": "A", "start": "2014-01-01", "end": None, "geometry": BOX_A}]
    # Duplicate index labels (a pd.concat of two frames) with text dates.
    doubled = pd.concat([frame(rows), frame(rows)])
    assert len(Timeline(doubled)) == 2
    # A status code that is not text is kept, as text.
    tl = Timeline(frame([{**rows[0], "status": 3}]))
    assert list(tl.periods.status) == ["3"]
    # One date as a string is one date.
    assert len(tl.area("2015-01-01")) == 1
    # A status that matches nothing is an error naming the statuses there are.
    with pytest.raises(DataError, match=r"statuses are \['3'\]"):
        tl.area(["2015-01-01"], status="control")
    # The cached per-period areas cannot be changed from outside.
    with pytest.raises(ValueError, match="read-only"):
        tl.period_area_km2[0] = 0.0
    # A plain DataFrame without geometry.
    with pytest.raises(DataError, match="no geometry column"):
        Timeline(pd.DataFrame({"actor": ["A"], "start": ["2014"]}))
    # Regions named by a text column other than "name" (pandas 3 str dtype).
    regions = gpd.GeoDataFrame(
        {"province": ["west"]}, geometry=[shapely.box(30, 30, 50, 40)], crs=4326
    )
    assert list(tl.area(["2015-01-01"], by=regions).columns) == [("A", "west")]
    # Regions without a CRS whose coordinates are not longitude/latitude.
    projected = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(4e5, 3e6, 5e5, 4e6)])
    with pytest.raises(GeometryError, match="regions"):
        tl.area(["2015-01-01"], by=projected)


def test_from_snapshots_bad_rows() -> None:
    good = frame([{"actor": "A", "geometry": BOX_A}])
    with pytest.raises(DataError, match="snapshot 2014-01-01: index label 0: no actor"):
        Timeline.from_snapshots({"2014-01-01": frame([{"actor": None, "geometry": BOX_A}])})
    bowtie = shapely.Polygon([(40, 34), (41, 35), (41, 34), (40, 35)])
    with pytest.warns(GeometryWarning, match="snapshot 2014-01-01 .* repaired 1 invalid"):
        tl = Timeline.from_snapshots(
            {"2014-01-01": frame([{"actor": "A", "geometry": bowtie}]), "2015-01-01": good}
        )
    assert len(tl) == 2
    with pytest.raises(GeometryError, match="snapshot 2014-01-01: index label 0: geometry is"):
        Timeline.from_snapshots(
            {"2014-01-01": frame([{"actor": "A", "geometry": shapely.Polygon()}])}
        )
    nothing = gpd.GeoDataFrame({"actor": []}, geometry=[], crs=4326)
    with pytest.raises(DataError, match="no ground is held"):
        Timeline.from_snapshots({"2014-01-01": nothing})


def test_turning_points_read_text_flags() -> None:
    tl = Timeline(frame([{"actor": "A", "start": "2014", "end": None, "geometry": BOX_A}]))
    tl.events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2014-02-01", "2014-03-01", "2014-04-01"]),
            "label": ["a", "b", "c"],
            "turning_point": ["True", "false", None],
        }
    )
    assert list(tl.turning_points.strftime("%Y-%m-%d")) == ["2014-02-01"]


def test_chained_periods_over_the_same_ground_pair_nothing() -> None:
    """Daily maps of the same ground coexist with no other day: no candidate explosion."""
    from controlmap.intervals import _CHUNK, _candidate_pairs
    from controlmap.periods import _seconds

    days = pd.date_range("2000-01-01", periods=3001, freq="D")
    chain = frame(
        [
            {"actor": "A", "start": a, "end": b, "geometry": BOX_A}
            for a, b in itertools.pairwise(days)
        ]
    )
    tl = Timeline(chain)
    left, _ = _candidate_pairs(
        np.asarray(chain.geometry.values), _seconds(tl.periods.start), _seconds(tl.periods.end)
    )
    # Linear in the number of periods (at most a chunk's worth each), where the plain
    # bounding-box join gives every pair: 4.5 million here, 32 million for 8,000 days.
    assert len(left) <= _CHUNK * len(chain) / 2 < len(chain) ** 2 / 2
    assert tl.area(["2005-01-01"])["A"].iloc[0] == pytest.approx(geodesic_area_km2([BOX_A])[0])


def test_population_counts_a_place_on_a_shared_border_once() -> None:
    places = gpd.GeoDataFrame({"population": [1000]}, geometry=[shapely.Point(41, 34.5)], crs=4326)
    tl = Timeline(
        frame(
            [
                {"actor": "A", "start": "2014", "end": None, "geometry": BOX_A},
                {"actor": "A", "start": "2014", "end": None, "geometry": BOX_B},
            ]
        )
    )
    assert tl.population(places, ["2015-01-01"])["A"].iloc[0] == 1000.0
    with pytest.raises(DataError, match="no 'pop' column"):
        tl.population(places, ["2015-01-01"], column="pop")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.float64(2014.0), "2014-01-01"),
        ("2014-06-10T23:30", "2014-06-10"),
        ("2014-06-10T22:00-05:00", "2014-06-11"),  # 03:00 UTC the next day
        ("2014-06", "2014-06-01"),
    ],
)
def test_parse_date_forms(value: object, expected: str) -> None:
    assert f"{controlmap.parse_date(value):%Y-%m-%d}" == expected


def test_parse_date_rejects_impossible_times() -> None:
    with pytest.raises(DateError, match="not a valid date"):
        controlmap.parse_date("2014-06-10T99:99")


@settings(max_examples=40)
@given(timelines(max_size=6), dates(), dates())
def test_changes_kept_gained_and_lost_partition_the_ground(
    tl: Timeline, first: pd.Timestamp, last: pd.Timestamp
) -> None:
    first, last = min(first, last), max(first, last)
    rows = tl.changes(first, last, kept=True)
    plain = tl.changes(first, last)
    assert "kept" not in set(plain["change"])
    assert set(rows["change"]) <= {"gained", "lost", "kept"}
    # Without kept=True the same gains and losses, with the same sliver rule.
    pd.testing.assert_frame_equal(
        rows.loc[rows["change"] != "kept"].reset_index(drop=True), plain, check_dtype=False
    )
    for actor in tl.actors:
        mine = rows.loc[rows["actor"] == actor].set_index("change")

        def held(day: pd.Timestamp, who: str = actor) -> float:
            snap = tl.at(day)
            union = shapely.union_all(snap.loc[snap["actor"] == who].geometry.values)
            return float(geodesic_area_km2([union])[0])

        area = mine["area_km2"]
        # Ground held on each date, measured on its own, is kept + lost and kept + gained.
        assert area.get("kept", 0.0) + area.get("lost", 0.0) == pytest.approx(
            held(first), rel=1e-6, abs=1e-5
        )
        assert area.get("kept", 0.0) + area.get("gained", 0.0) == pytest.approx(
            held(last), rel=1e-6, abs=1e-5
        )
        if "kept" in mine.index:
            for other in ("gained", "lost"):
                if other in mine.index:
                    overlap = shapely.intersection(mine.geometry["kept"], mine.geometry[other])
                    assert shapely.area(overlap) < 1e-9


@settings(max_examples=10)
@given(
    st.lists(
        st.tuples(
            st.floats(38, 42),
            st.floats(32, 35),
            st.floats(0.3, 1.5),
            st.integers(0, 600),
            st.integers(30, 900),
            st.sampled_from(["A", "B"]),
        ),
        min_size=6,
        max_size=14,
    ),
    st.lists(st.integers(0, 1500), min_size=1, max_size=3, unique=True),
)
def test_area_of_large_overlapping_periods_is_the_union(rows: list, offsets: list) -> None:
    """Large jagged periods (the fast pair tests and the tiled union) against union_all."""
    angles = np.linspace(0, 2 * np.pi, 500, endpoint=False)
    first = pd.Timestamp("2014-01-01")
    geoms, records = [], []
    for k, (x, y, radius, start, length, actor) in enumerate(rows):
        jag = 1 + 0.1 * np.sin(angles * (7 + k))
        ring = np.column_stack(
            [x + radius * jag * np.cos(angles), y + radius * jag * np.sin(angles)]
        )
        geoms.append(shapely.Polygon(ring))
        begin = first + pd.Timedelta(days=start)
        records.append({"actor": actor, "start": begin, "end": begin + pd.Timedelta(days=length)})
    periods = gpd.GeoDataFrame(records, geometry=geoms, crs=4326)
    days = [first + pd.Timedelta(days=d) for d in offsets]
    few = Timeline(periods).area(days)
    series = Timeline(periods).area()  # every change date: the cached path
    for day in days:
        for actor in few.columns:
            active = periods[
                (periods.actor == actor) & (periods.start <= day) & (periods.end > day)
            ]
            expected = geodesic_area_km2([shapely.union_all(active.geometry.values)])[0]
            assert few.loc[day, actor] == pytest.approx(expected, rel=1e-7, abs=1e-6)
            held = series[actor].asof(day) if day >= series.index[0] else 0.0
            assert held == pytest.approx(expected, rel=1e-7, abs=1e-6)


def test_few_dates_over_crowded_periods_are_the_union() -> None:
    """Periods stacked deep (the union path of a few dates) against union_all and the series."""
    from controlmap.intervals import crowded as _crowded
    from controlmap.periods import _seconds

    rng = np.random.default_rng(5)
    angles = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    first = pd.Timestamp("2014-01-01")
    geoms, records = [], []
    for k in range(40):
        x, y, radius = rng.uniform(40, 40.6), rng.uniform(34, 34.6), rng.uniform(0.5, 1.0)
        jag = 1 + 0.1 * np.sin(angles * (5 + k % 7))
        geoms.append(
            shapely.Polygon(
                np.column_stack(
                    [x + radius * jag * np.cos(angles), y + radius * jag * np.sin(angles)]
                )
            )
        )
        begin = first + pd.Timedelta(days=int(rng.integers(0, 300)))
        end = begin + pd.Timedelta(days=int(rng.integers(100, 600)))
        records.append({"actor": "AB"[k % 2], "start": begin, "end": end})
    periods = gpd.GeoDataFrame(records, geometry=geoms, crs=4326)
    days = [first + pd.Timedelta(days=d) for d in (0, 250, 320, 2000)]
    tl = Timeline(periods)
    assert _crowded(
        tl._geoms,
        _seconds(periods["start"]),
        _seconds(periods["end"]),
        _seconds(pd.DatetimeIndex(days)),
    )
    few = tl.area(days)
    series = Timeline(periods).area()
    for day in days:
        for actor in "AB":
            active = periods[
                (periods.actor == actor) & (periods.start <= day) & (periods.end > day)
            ]
            expected = geodesic_area_km2([shapely.union_all(active.geometry.values)])[0]
            assert few.loc[day, actor] == pytest.approx(expected, rel=1e-7, abs=1e-6)
            held = series[actor].asof(day) if day >= series.index[0] else 0.0
            assert held == pytest.approx(expected, rel=1e-7, abs=1e-6)
    assert few.loc[days[-1]].eq(0).all() and few.loc[days[1]].gt(0).all()


@settings(max_examples=40)
@given(
    periods_frames(max_size=10).map(densified),
    st.lists(dates(), min_size=1, max_size=4, unique=True),
)
def test_union_path_and_pair_path_agree(periods: gpd.GeoDataFrame, days: list) -> None:
    """Any timeline measured both ways: unions of the active periods, or pairs tested."""
    from unittest import mock

    with mock.patch("controlmap.intervals._CROWDED", 0.0):  # every date counts as crowded
        unions = Timeline(periods).area(days)
    with mock.patch("controlmap.intervals._CROWDED", float("inf")):  # never crowded
        pairs = Timeline(periods).area(days)
    np.testing.assert_allclose(unions.to_numpy(), pairs.to_numpy(), rtol=1e-7, atol=1e-6)
