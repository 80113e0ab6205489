"""Archives of daily maps: pieces of ground, exact areas, changes, reading and the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

import controlmap
from controlmap import Timeline
from controlmap.archive import change_series, read_snapshots
from controlmap.cli import main
from controlmap.errors import DataError, DateError, FormatError

GEOD = Geod(ellps="WGS84")


def geodesic_km2(geom: shapely.Geometry) -> float:
    """Independent area: pyproj's geometry_area_perimeter on densified edges."""
    if geom.is_empty:
        return 0.0
    return abs(GEOD.geometry_area_perimeter(shapely.segmentize(geom, 0.1))[0]) / 1e6


def held(**actors: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"actor": list(actors)}, geometry=list(actors.values()), crs=4326)


# ---------------------------------------------------------------------------- strategy
@st.composite
def snapshot_series(draw: st.DrawFn) -> dict[pd.Timestamp, gpd.GeoDataFrame]:
    """Random daily maps: moving and nested shapes, holes, identical days, gaps, actors."""
    n_days = draw(st.integers(1, 6))
    actors = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True))
    day = pd.Timestamp("2022-02-24")
    shapes = {
        who: {
            "x": draw(st.floats(30, 31)),
            "y": draw(st.floats(46, 47)),
            "r": draw(st.floats(0.05, 0.8)),
            "hole": draw(st.booleans()),
        }
        for who in actors
    }
    series: dict[pd.Timestamp, gpd.GeoDataFrame] = {}
    previous: list[dict[str, object]] = []
    for _ in range(n_days):
        if previous and draw(st.booleans()):  # an identical day
            rows = previous
        else:
            rows = []
            for who, shape in shapes.items():
                if draw(st.integers(0, 5)) == 0:
                    continue  # this actor holds nothing today
                shape["x"] += draw(st.floats(-0.3, 0.3))  # the front moves
                shape["r"] = max(0.02, shape["r"] + draw(st.floats(-0.2, 0.2)))
                # Redrawn each day: another vertex count along the same circle.
                geom = shapely.Point(shape["x"], shape["y"]).buffer(
                    shape["r"], quad_segs=draw(st.integers(3, 9))
                )
                if shape["hole"]:
                    geom = geom.difference(
                        shapely.Point(shape["x"], shape["y"]).buffer(shape["r"] / 3)
                    )
                rows.append({"actor": who, "geometry": geom})
                if draw(st.integers(0, 3)) == 0:  # a second, nested feature of the actor
                    rows.append(
                        {
                            "actor": who,
                            "geometry": shapely.box(
                                shape["x"], shape["y"], shape["x"] + 0.3, shape["y"] + 0.2
                            ),
                        }
                    )
        series[day] = gpd.GeoDataFrame(
            rows or {"actor": []}, geometry=[r["geometry"] for r in rows] or [], crs=4326
        )
        previous = rows
        day += pd.Timedelta(days=draw(st.sampled_from([1, 1, 1, 2, 7, 40])))  # gaps
    return series


def own(frame: gpd.GeoDataFrame, who: str) -> shapely.Geometry:
    mine = frame.loc[frame["actor"] == who].geometry.values
    return shapely.union_all(mine) if len(mine) else shapely.Polygon()


@settings(max_examples=25)
@given(snapshot_series())
def test_every_snapshot_date_is_that_days_map(series: dict[pd.Timestamp, gpd.GeoDataFrame]) -> None:
    if not any(len(f) for f in series.values()):
        with pytest.raises(DataError, match="no ground is held"):
            Timeline.from_snapshots(series)
        return
    tl = Timeline.from_snapshots(series)
    actors = sorted({a for f in series.values() for a in f["actor"]})
    days = list(series)
    areas = tl.area(days)
    for day, frame in series.items():
        # Every hole kept: the day's map as drawn (by default at() fills holes under
        # 1 km², and these maps have some).
        snap = tl.at(day, min_hole_km2=0)
        for who in actors:
            mine = own(frame, who)
            expected = geodesic_km2(mine)
            got = float(areas.loc[day, who]) if who in areas.columns else 0.0
            assert got == pytest.approx(expected, rel=5e-4, abs=1e-6), (day, who)
            geom = snap.loc[snap.actor == who].geometry
            mapped = geom.iloc[0] if len(geom) else shapely.Polygon()
            apart = geodesic_km2(shapely.symmetric_difference(mapped, mine))
            assert apart <= 5e-4 * max(expected, 1e-3), (day, who, apart)
    # Gains minus losses between snapshot dates is the difference of areas (1 km²).
    for a, b in itertools.pairwise(days):
        found = tl.changes(a, b)
        for who in actors:
            rows = found.loc[found.actor == who]
            net = (
                rows.loc[rows.change == "gained", "area_km2"].sum()
                - rows.loc[rows.change == "lost", "area_km2"].sum()
            )
            before = geodesic_km2(own(series[a], who))
            after = geodesic_km2(own(series[b], who))
            assert net == pytest.approx(after - before, abs=1.0)
    # The per-step series agrees with changes() and with area() at every frequency.
    if len(days) > 1:
        for freq in ("D", "W") if len(days) < 4 else ("W",):
            steps = change_series(tl, freq=freq, start=days[0], end=days[-1])
            for row in steps.itertuples():
                pair = tl.area([row.start, row.end])[row.actor]
                # Same ground, measured as other pieces: densified edges differ by < 1e-5.
                scale = 1e-5 * max(pair.max(), 1.0)
                assert row.net_km2 == pytest.approx(pair.iloc[1] - pair.iloc[0], abs=scale)
                direct = tl.changes(row.start, row.end)
                direct = direct.loc[direct.actor == row.actor]
                gained = direct.loc[direct.change == "gained", "area_km2"].sum()
                assert row.gained_km2 == pytest.approx(gained, abs=10 * scale)


# ---------------------------------------------------------------------------- storage
def wobbly_front(day: int, jitter: float = 0.0, seed: int = 0) -> shapely.Polygon:
    """A held area whose east edge (the front) has 2,000 vertices and moves east slowly."""
    rng = np.random.default_rng(seed + day)
    ys = np.linspace(46.0, 49.0, 2000)
    xs = 36.0 + 0.004 * day + 0.05 * np.sin(ys * 40) + rng.normal(0, jitter, len(ys))
    ring = [(33.0, 46.0), *zip(xs, ys, strict=True), (33.0, 49.0)]
    return shapely.Polygon(ring)


def test_vertices_stored_grow_with_the_changes_not_the_days() -> None:
    static = {f"2022-03-{d:02d}": held(A=wobbly_front(0)) for d in range(1, 31)}
    tl_static = Timeline.from_snapshots(static)
    one_map = shapely.get_num_coordinates(wobbly_front(0))
    stored = int(shapely.get_num_coordinates(tl_static.periods.geometry.values).sum())
    assert len(tl_static) == 1 and stored < 1.05 * one_map
    # Only the north tenth of the front moves each day: each change is stored once.
    moving = {}
    for d in range(30):
        geom = wobbly_front(0)
        step = shapely.box(36.0, 48.7, 36.2 + 0.01 * d, 49.0)
        moving[pd.Timestamp("2022-03-01") + pd.Timedelta(days=d)] = held(A=geom.union(step))
    report = Timeline.from_snapshots(moving).snapshot_report
    assert report is not None
    assert report.stored_vertices < 0.15 * report.input_vertices
    assert report.largest_deviation_km2 < 1e-3


def test_redraw_noise_is_a_choice_and_its_effect_is_reported() -> None:
    # The same front redrawn each day with 50 m of vertex jitter, moving 300 m a day.
    series = {
        pd.Timestamp("2022-03-01") + pd.Timedelta(days=d): held(A=wobbly_front(d, jitter=5e-4))
        for d in range(8)
    }
    exact = Timeline.from_snapshots(series)
    absorbed = Timeline.from_snapshots(series, min_change_km2=0.5)
    assert exact.snapshot_report is not None and absorbed.snapshot_report is not None
    assert exact.snapshot_report.largest_deviation_km2 < 1e-3
    stored_exact = exact.snapshot_report.stored_vertices
    assert absorbed.snapshot_report.stored_vertices < stored_exact
    # The report says how far each day is from its own map, and that is what it is.
    days = absorbed.snapshot_report.days
    worst = 0.0
    for day, frame in series.items():
        mine = own(frame, "A")
        # The stored ground as it is: holes the map view would fill are part of the deviation.
        mapped = absorbed.at(day, min_hole_km2=0).geometry.iloc[0]
        apart = geodesic_km2(shapely.symmetric_difference(mapped, mine))
        reported = float(days.loc[days.date == day, "deviation_km2"].iloc[0])
        assert apart == pytest.approx(reported, rel=0.02, abs=1e-3)
        own_km2 = float(days.loc[days.date == day, "own_km2"].iloc[0])
        assert own_km2 == pytest.approx(geodesic_km2(mine), rel=1e-5)
        worst = max(worst, apart)
    assert absorbed.snapshot_report.largest_deviation_km2 == pytest.approx(worst, rel=0.02)
    assert worst > 0
    # changes() has the same option: no part under the threshold is left.
    first, last = itertools.islice(series, 2)
    noisy = exact.changes(first, last)
    quiet = exact.changes(first, last, min_change_km2=0.5)
    parts = shapely.get_parts(np.asarray(quiet.geometry.values, dtype=object))
    areas = controlmap.geodesic_area_km2(parts)
    assert len(parts) == 0 or areas.min() >= 0.5
    assert quiet.area_km2.sum() <= noisy.area_km2.sum()


# ---------------------------------------------------------------------------- reading
def write_day(folder: Path, name: str, geom: shapely.Geometry, **fields: object) -> Path:
    feature = {
        "type": "Feature",
        "properties": fields,
        "geometry": json.loads(shapely.to_geojson(geom)),
    }
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def test_read_snapshots_from_a_folder_glob_and_wrapped_files(tmp_path: Path) -> None:
    days = ["2023-05-01", "2023-05-02", "2023-05-04"]
    for k, day in enumerate(days):
        write_day(tmp_path, f"front-{day}.geojson", wobbly_front(3 * k), actor="A")
    (tmp_path / "README.txt").write_text("not a map")
    tl = read_snapshots(tmp_path, progress=False)
    assert list(tl.area(days).index.strftime("%Y-%m-%d")) == days
    for k, day in enumerate(days):
        assert tl.area([day])["A"].iloc[0] == pytest.approx(
            geodesic_km2(wobbly_front(3 * k)), rel=5e-4
        )
    same = read_snapshots(str(tmp_path / "front-*.geojson"), progress=False)
    assert len(same) == len(tl)
    # One tracker wraps each day's FeatureCollection in {"value": ...}.
    wrapped = tmp_path / "wrapped"
    wrapped.mkdir()
    for day in days:
        plain = json.loads((tmp_path / f"front-{day}.geojson").read_text())
        (wrapped / f"{day}.json").write_text(json.dumps({"value": plain}))
    assert len(read_snapshots(wrapped, progress=False)) == len(tl)


def test_read_snapshots_from_one_dated_file(tmp_path: Path) -> None:
    rows = []
    for k, day in enumerate(["2023-05-01", "2023-05-02", "2023-05-03"]):
        rows.append({"date": day, "kind": "held", "geometry": wobbly_front(2 * k)})
        rows.append({"date": day, "kind": "losses", "geometry": shapely.box(10, 10, 11, 11)})
    frame = gpd.GeoDataFrame(rows, crs=4326)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    for name in ("days.parquet", "days.gpkg"):
        path = tmp_path / name
        if name.endswith(".parquet"):
            frame.to_parquet(path)
        else:
            frame.to_file(path)
        tl = read_snapshots(
            path, default_actor="R", where=lambda m: m["kind"] != "losses", progress=False
        )
        assert tl.area(["2023-05-03"])["R"].iloc[0] == pytest.approx(
            geodesic_km2(wobbly_front(4)), rel=5e-4
        )
    # Out of date order: still read (whole), same result.
    shuffled = tmp_path / "shuffled.parquet"
    frame.iloc[::-1].to_parquet(shuffled)
    back = read_snapshots(shuffled, default_actor="R", where=lambda m: m["kind"] != "losses")
    assert len(back) == len(tl)


def test_read_snapshots_names_the_file_and_problem(tmp_path: Path) -> None:
    write_day(tmp_path, "2023-05-01.geojson", shapely.box(30, 46, 31, 47), actor="A")
    bad = write_day(tmp_path, "2023-05-02.geojson", shapely.box(30, 46, 31, 47), actor="")
    with pytest.raises(DataError, match=f"{bad}: feature 0: no actor"):
        read_snapshots(tmp_path, progress=False)
    bad.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(FormatError, match=str(bad)):
        read_snapshots(tmp_path, progress=False)
    bad.unlink()
    write_day(tmp_path, "2023-02-30.geojson", shapely.box(30, 46, 31, 47), actor="A")
    with pytest.raises(DateError, match=r"2023-02-30\.geojson"):
        read_snapshots(tmp_path, progress=False)
    with pytest.raises(DataError, match="no file whose name has a date"):
        read_snapshots(tmp_path, pattern=r"day(\d{8})", progress=False)
    with pytest.raises(DataError, match=r"2023-05-01\.geojson: no 'date' column"):
        read_snapshots(tmp_path / "2023-05-01.geojson", progress=False)


# ---------------------------------------------------------------------------- CLI
def test_cli_from_snapshots_then_weekly_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "maps"
    folder.mkdir()
    start = pd.Timestamp("2023-05-01")
    for d in range(15):
        day = start + pd.Timedelta(days=d)
        write_day(folder, f"{day:%Y-%m-%d}.geojson", wobbly_front(d), side="R", kind="held")
    out = tmp_path / "periods.gpkg"
    code = main(
        ["from-snapshots", str(folder), "--actor", "R", "--drop", "kind=losses", "-o", str(out)]
    )
    assert code == 0 and out.exists()
    assert "largest deviation" in capsys.readouterr().err
    back = gpd.read_file(out, layer="periods")  # another reader: GDAL
    assert len(back) >= 2
    weekly = tmp_path / "weekly.csv"
    assert main(["changes", str(out), "--freq", "W", "-o", str(weekly)]) == 0
    table = pd.read_csv(weekly)
    assert list(table.columns) == ["start", "end", "actor", "gained_km2", "lost_km2", "net_km2"]
    first, last = table.start.iloc[0], table.end.iloc[-1]
    expected = geodesic_km2(wobbly_front(14)) - geodesic_km2(wobbly_front(0))
    assert first == "2023-05-01" and last == "2023-05-15"
    assert table.net_km2.sum() == pytest.approx(expected, abs=1.0)
    code = main(["changes", str(out), "-o", str(weekly)])
    assert code == 2 and "--freq" in capsys.readouterr().err


# ---------------------------------------------------------------------------- conventions
def test_read_end_inclusive_and_partial_dates(tmp_path: Path) -> None:
    features = [
        {"actor": "A", "start": "1991-12", "end": "1999"},
        {"actor": "B", "start": "2000-01-01", "end": "2000-06-30"},
        {"actor": "C", "start": "2001", "end": None},
    ]
    path = tmp_path / "cshapes.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": p,
                        "geometry": json.loads(shapely.to_geojson(shapely.box(30, 46, 31, 47))),
                    }
                    for p in features
                ],
            }
        )
    )
    tl = controlmap.read(path, end_inclusive=True)
    periods = tl.periods.set_index("actor")
    assert f"{periods.loc['A', 'end']:%Y-%m-%d}" == "2000-01-01"  # held through 1999
    assert f"{periods.loc['B', 'end']:%Y-%m-%d}" == "2000-07-01"  # held on 30 June
    assert pd.isna(periods.loc["C", "end"])
    assert periods["start_precision"].tolist() == ["month", "day", "year"]
    assert periods.loc["A", "end_precision"] == "year"
    plain = controlmap.read(path).periods.set_index("actor")
    assert f"{plain.loc['A', 'end']:%Y-%m-%d}" == "1999-01-01"
    # Held on 31 Dec 1999 with the inclusive reading; not with the plain one.
    assert tl.area(["1999-12-31"])["A"].iloc[0] > 0
    assert controlmap.read(path).area(["1999-12-31"])["A"].iloc[0] == 0


def test_min_change_km2_trims_gains_and_losses_never_kept_ground() -> None:
    def held(*boxes: shapely.Geometry) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"actor": ["A"]}, geometry=[shapely.union_all(boxes)], crs=4326)

    big = shapely.box(40, 34, 41, 35)
    speck = shapely.box(42, 34, 42.001, 34.001)  # ~0.01 km²: redraw noise
    island = shapely.box(43, 34, 43.001, 34.001)  # a speck held on both days
    tl = Timeline.from_snapshots(
        {"2020-01-01": held(island), "2020-01-02": held(big, speck, island)}
    )
    full = tl.changes("2020-01-01", "2020-01-02", kept=True)
    quiet = tl.changes("2020-01-01", "2020-01-02", kept=True, min_change_km2=1.0)
    assert list(quiet.change) == ["gained", "kept"]
    kept_full = full.loc[full.change == "kept"].iloc[0]
    kept_quiet = quiet.loc[quiet.change == "kept"].iloc[0]
    assert kept_quiet.geometry.equals(kept_full.geometry)  # under 1 km², still kept
    gained = quiet.loc[quiet.change == "gained"].iloc[0]
    assert gained.geometry.equals(big)
    assert gained.area_km2 == pytest.approx(geodesic_km2(big), rel=1e-6)
