"""Partitioned timelines on dask: the same answers as one machine (issue 13)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import distributed
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import controlmap
from controlmap import dask as engine
from controlmap.geodesic import SLIVER_KM2
from controlmap.partition import PartitionedTimeline, read_part
from controlmap.place_rows import places_to_timeline, run_lengths

QUICK = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAY0 = pd.Timestamp("2013-10-01")


def assert_same_area(got: pd.DataFrame, want: pd.DataFrame) -> None:
    want = want.reindex(columns=sorted(want.columns))
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    scale = max(float(want.abs().max().max()), 1.0)
    # 1e-9 of the largest area: sums of the same per-period areas, in another order.
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-9 * scale)


def assert_same_changes(got: pd.DataFrame, want: pd.DataFrame) -> None:
    keys = ["start", "end", "actor", "change"]
    assert got[keys].equals(want[keys].reset_index(drop=True))
    # The same regions, noded differently (per file, or only around what changed):
    # the measure is additive, so only the rounding of the overlay's new vertices
    # (~1e-16 of a coordinate) and of sums is left, far under 1e-9.
    np.testing.assert_allclose(got["area_km2"], want["area_km2"], rtol=1e-9)


def timeline_changes(
    timeline: controlmap.Timeline, dates: list[pd.Timestamp] | pd.DatetimeIndex, **options: Any
) -> pd.DataFrame:
    """The change series from ``Timeline.changes`` itself, date pair by date pair."""
    frames = [
        pd.DataFrame(timeline.changes(a, b, **options)).drop(columns="geometry")
        for a, b in itertools.pairwise(dates)
    ]
    frames = [f for f in frames if len(f)]
    columns = ["start", "end", "actor", "change", "area_km2"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    table = table.astype({"start": "datetime64[s]", "end": "datetime64[s]", "area_km2": float})
    return table.sort_values(["start", "actor", "change"], ignore_index=True)[
        ["start", "end", "actor", "change", "area_km2"]
    ]


@st.composite
def timelines(draw: st.DrawFn) -> controlmap.Timeline:
    """Small random timelines: boxes on a 0.05° grid, some overlapping, some open."""
    n = draw(st.integers(1, 8))
    rows = []
    for _ in range(n):
        x, y = draw(st.integers(0, 60)), draw(st.integers(0, 40))
        w, h = draw(st.integers(1, 30)), draw(st.integers(1, 30))
        first = draw(st.integers(0, 1200))
        length = draw(st.one_of(st.none(), st.integers(1, 900)))
        rows.append(
            {
                "actor": draw(st.sampled_from(["A", "B", "C"])),
                "status": draw(st.sampled_from(["control", "contested"])),
                "start": DAY0 + pd.Timedelta(days=first),
                "end": None if length is None else DAY0 + pd.Timedelta(days=first + length),
                "geometry": shapely.box(
                    40 + 0.05 * x, 33 + 0.05 * y, 40 + 0.05 * (x + w), 33 + 0.05 * (y + h)
                ),
            }
        )
    return controlmap.Timeline(gpd.GeoDataFrame(rows, geometry="geometry", crs=4326))


LAYOUTS = st.sampled_from([["year"], ["year", "tile"], ["year", "tile", "actor"]])
TILES = st.sampled_from([0.5, 1.0, 3.0, 10.0])


@QUICK
@given(tl=timelines(), layout=LAYOUTS, degrees=TILES, data=st.data())
def test_partitioned_answers_equal_one_machine(
    tmp_path_factory: pytest.TempPathFactory,
    tl: controlmap.Timeline,
    layout: list[str],
    degrees: float,
    data: st.DataObject,
) -> None:
    folder = tmp_path_factory.mktemp("p") / "tl"
    lazy = controlmap.read(tl.to_file(folder, partition_by=layout, tile_degrees=degrees))
    assert isinstance(lazy, PartitionedTimeline)
    offsets = data.draw(st.lists(st.integers(-30, 2300), min_size=2, max_size=6, unique=True))
    dates = [DAY0 + pd.Timedelta(days=d) for d in sorted(offsets)]
    sync = {"scheduler": "synchronous"}
    assert_same_area(engine.area(lazy, dates, **sync), tl.area(dates))
    assert_same_area(
        engine.area(lazy, dates, status="control", **sync)
        if "control" in set(tl.periods.status)
        else engine.area(lazy, dates, status="contested", **sync),
        tl.area(dates, status="control")
        if "control" in set(tl.periods.status)
        else tl.area(dates, status="contested"),
    )
    one_machine = engine.change_series(tl, dates)
    assert_same_changes(engine.change_series(lazy, dates, **sync), one_machine)
    if len(one_machine):
        assert_same_changes(one_machine, timeline_changes(tl, dates))
    day = dates[len(dates) // 2]
    got, want = engine.at(lazy, day, **sync), engine.at(tl, day)
    assert list(zip(got.actor, got.status, strict=True)) == list(
        zip(want.actor, want.status, strict=True)
    )
    assert got["periods"].tolist() == want["periods"].tolist()
    np.testing.assert_allclose(got["area_km2"], want["area_km2"], rtol=1e-9)


@QUICK
@given(
    tl=timelines(),
    layout=LAYOUTS,
    degrees=TILES,
    min_km2=st.sampled_from([1.0, 30.0, 300.0, 3000.0]),
    data=st.data(),
)
def test_change_series_drops_the_slivers_timeline_changes_drops(
    tmp_path_factory: pytest.TempPathFactory,
    tl: controlmap.Timeline,
    layout: list[str],
    degrees: float,
    min_km2: float,
    data: st.DataObject,
) -> None:
    # Boxes of 0.05° (~25 km²) up to 1.5° across: every threshold drops some parts and
    # keeps others, and boxes touching across tiles make parts split over files.
    folder = tmp_path_factory.mktemp("p") / "tl"
    lazy = controlmap.read(tl.to_file(folder, partition_by=layout, tile_degrees=degrees))
    offsets = data.draw(st.lists(st.integers(-30, 2300), min_size=2, max_size=6, unique=True))
    dates = [DAY0 + pd.Timedelta(days=d) for d in sorted(offsets)]
    want = timeline_changes(tl, dates, min_change_km2=min_km2)
    got = engine.change_series(lazy, dates, min_change_km2=min_km2, scheduler="synchronous")
    assert_same_changes(got, want)
    assert_same_changes(engine.change_series(tl, dates, min_area_km2=min_km2), want)


def test_a_change_split_over_files_is_judged_whole(tmp_path: Path) -> None:
    # Two boxes of one actor side by side: they only touch, so they are stored in
    # two files (tiles of 1°), each ~800 km²; gained together, they are one part of
    # ~1,600 km², which a threshold of 1,000 km² keeps (and Timeline.changes too).
    west, east = shapely.box(40.6, 34.0, 41.0, 34.2), shapely.box(41.0, 34.0, 41.4, 34.2)
    lone = shapely.box(43.0, 34.0, 43.2, 34.2)  # ~400 km², alone in its file: dropped
    tl = controlmap.Timeline(
        gpd.GeoDataFrame(
            {"actor": ["A"] * 3, "start": [pd.Timestamp("2020-02-01")] * 3, "end": [None] * 3},
            geometry=[west, east, lone],
            crs=4326,
        )
    )
    lazy = controlmap.read(
        tl.to_file(tmp_path / "tl", partition_by=["year", "tile"], tile_degrees=1)
    )
    assert isinstance(lazy, PartitionedTimeline)
    assert len(lazy.parts) == 3
    dates = ["2020-01-01", "2020-03-01"]
    got = engine.change_series(lazy, dates, min_change_km2=1000, scheduler="synchronous")
    whole = controlmap.geodesic_area_km2([shapely.box(40.6, 34.0, 41.4, 34.2)])[0]
    assert 1500 < whole < 1700
    assert got["change"].tolist() == ["gained"]
    np.testing.assert_allclose(got["area_km2"], [whole], rtol=1e-12)
    assert_same_changes(got, timeline_changes(tl, dates, min_change_km2=1000))
    # Without a threshold, all three boxes; above the pair's area, nothing.
    every = engine.change_series(lazy, dates, scheduler="synchronous")
    np.testing.assert_allclose(
        every["area_km2"], controlmap.geodesic_area_km2([shapely.union_all([west, east, lone])])
    )
    assert not len(engine.change_series(lazy, dates, min_area_km2=2000, scheduler="synchronous"))


def test_change_threshold_errors_are_the_timelines(tmp_path: Path) -> None:
    tl = controlmap.Timeline(
        gpd.GeoDataFrame(
            {"actor": ["A"], "start": [pd.Timestamp("2020-02-01")], "end": [None]},
            geometry=[shapely.box(40, 34, 41, 35)],
            crs=4326,
        )
    )
    lazy = controlmap.read(tl.to_file(tmp_path / "tl", partition_by="year"))
    for source in (tl, lazy):
        with pytest.raises(controlmap.DataError, match="min_change_km2 -1 is not a non-negative"):
            engine.change_series(source, ["2020-01-01", "2020-03-01"], min_change_km2=-1)
        with pytest.raises(TypeError, match="not both"):
            engine.change_series(
                source, ["2020-01-01", "2020-03-01"], min_change_km2=1, min_area_km2=1
            )


@QUICK
@given(tl=timelines(), degrees=TILES)
def test_folder_reads_back_as_the_timeline(
    tmp_path_factory: pytest.TempPathFactory, tl: controlmap.Timeline, degrees: float
) -> None:
    folder = tmp_path_factory.mktemp("p") / "tl"
    back = controlmap.read(tl.to_file(folder, partition_by=["year", "tile"], tile_degrees=degrees))
    assert isinstance(back, PartitionedTimeline)
    whole = back.to_timeline().periods
    given_ = tl.periods
    assert list(whole.columns) == list(given_.columns)
    for column in ("actor", "status", "start", "end"):
        assert whole[column].equals(given_[column]), column
    assert shapely.equals_exact(
        np.asarray(whole.geometry.values), np.asarray(given_.geometry.values), 0
    ).all()


def test_files_carry_the_bbox_covering_and_bbox_reads_skip(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    lazy = controlmap.read(
        timeline.to_file(tmp_path / "is", partition_by=["year", "tile"], tile_degrees=2)
    )
    assert isinstance(lazy, PartitionedTimeline)
    assert {p.year for p in lazy.parts} == set(range(2013, 2020))
    part = lazy.parts[0]
    metadata = pq.read_metadata(part.path)
    geo = json.loads(metadata.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["columns"]["geometry"]["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    # Statistics of the covering column are what lets a reader skip a row group.
    group = metadata.row_group(0)
    names = [group.column(i).path_in_schema for i in range(group.num_columns)]
    xmin = group.column(names.index("bbox.xmin")).statistics
    frame = read_part(part)
    assert xmin.min == pytest.approx(shapely.bounds(frame.geometry.values)[:, 0].min())
    assert len(read_part(part, bbox=(-120, -50, -119, -49))) == 0
    # A window on Mosul only brings the periods whose boxes meet it, not the whole year.
    mosul = (43.0, 36.2, 43.3, 36.5)
    snap = engine.at(lazy, "2015-01-01", bbox=mosul, scheduler="synchronous")
    assert 0 < snap["area_km2"].sum() < timeline.at("2015-01-01")["area_km2"].sum()
    assert_same_area(
        engine.area(lazy, ["2015-01-01"], scheduler="synchronous"),
        timeline.area(["2015-01-01"]),
    )


def test_geopandas_reads_a_partition_file_as_geoparquet(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    # Another reader than controlmap's own: geopandas, by the file's GeoParquet metadata.
    lazy = controlmap.read(timeline.to_file(tmp_path / "is", partition_by="year"))
    assert isinstance(lazy, PartitionedTimeline)
    for part in lazy.parts:
        theirs = gpd.read_parquet(part.path)
        ours = read_part(part)
        assert theirs.crs.equals("EPSG:4326")
        assert theirs["actor"].tolist() == ours["actor"].tolist()
        assert shapely.equals_exact(theirs.geometry.values, ours.geometry.values, 0).all()


def test_real_local_cluster_of_two_workers(tmp_path: Path, timeline: controlmap.Timeline) -> None:
    folder = timeline.to_file(tmp_path / "is", partition_by=["year", "tile"], tile_degrees=3)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = controlmap.read(folder)
        assert isinstance(lazy, PartitionedTimeline)
        got = lazy.area(start="2014-01-01", end="2019-01-01", freq="W")
        changes = lazy.change_series(start="2014-01-01", end="2019-01-01", freq="QS")
        # The work ran on both workers, not in this process.
        assert len(client.scheduler_info()["workers"]) == 2
    assert_same_area(got, timeline.area(start="2014-01-01", end="2019-01-01", freq="W"))
    quarters = pd.date_range("2014-01-01", "2019-01-01", freq="QS")
    # Against Timeline.changes (its tiled unions add vertices on tile lines of the
    # whole archive's extent, which the files never see: the same area all the same)
    # and against plain shapely unions.
    assert_same_changes(changes, timeline_changes(timeline, quarters))
    assert_same_changes(changes, plain_changes(timeline, quarters))
    # Parts under 50 km² left out, as Timeline.changes leaves them out: some are.
    lazy = controlmap.read(folder)
    large = lazy.change_series(quarters, min_change_km2=50, scheduler="synchronous")
    assert_same_changes(large, timeline_changes(timeline, quarters, min_change_km2=50))
    assert large["area_km2"].sum() < changes["area_km2"].sum()


def plain_changes(timeline: controlmap.Timeline, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The change series between consecutive ``days``, each date's ground dissolved by
    ``shapely.union_all`` and measured by ``geodesic_area_km2``: no tiled union, no
    file, nothing but the overlay of the two dates' ground.
    """
    periods = timeline.periods
    held = []
    for day in days:
        active = periods[(periods["start"] <= day) & ~(periods["end"] <= day)]
        held.append({a: shapely.union_all(g.geometry.values) for a, g in active.groupby("actor")})
    rows = []
    for (a, before), (b, after) in itertools.pairwise(zip(days, held, strict=True)):
        for who in sorted(set(before) | set(after)):
            old, new = before.get(who, shapely.Polygon()), after.get(who, shapely.Polygon())
            for change, geom in (("gained", new - old), ("lost", old - new)):
                area = float(controlmap.geodesic_area_km2([geom])[0]) if not geom.is_empty else 0
                if area >= SLIVER_KM2:
                    rows.append((a, b, who, change, area))
    table = pd.DataFrame(rows, columns=["start", "end", "actor", "change", "area_km2"])
    table = table.astype({"start": "datetime64[s]", "end": "datetime64[s]"})
    return table.sort_values(["start", "actor", "change"], ignore_index=True)


def test_writer_leaves_a_foreign_folder_alone(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me")
    with pytest.raises(controlmap.OutputError, match="not a partitioned controlmap folder"):
        timeline.to_file(theirs, partition_by="year")
    assert (theirs / "notes.txt").read_text() == "keep me"
    ours = timeline.to_file(tmp_path / "ours", partition_by="year")
    timeline.to_file(ours, partition_by=["year", "tile"])  # ours: replaced whole
    lazy = controlmap.read(ours)
    assert isinstance(lazy, PartitionedTimeline)
    assert lazy.partition_by == ("year", "tile")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours", "theirs"]  # no debris
    with pytest.raises(controlmap.OutputError, match="partition_by"):
        timeline.to_file(tmp_path / "x", partition_by="month")


def test_status_matching_nothing_is_the_same_error(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    lazy = controlmap.read(timeline.to_file(tmp_path / "is", partition_by="year"))
    with pytest.raises(controlmap.DataError, match=r"status \['held'\] matches no period"):
        engine.area(lazy, ["2015-01-01"], status="held", scheduler="synchronous")


def test_a_damaged_file_is_named(tmp_path: Path, timeline: controlmap.Timeline) -> None:
    lazy = controlmap.read(timeline.to_file(tmp_path / "is", partition_by="year"))
    assert isinstance(lazy, PartitionedTimeline)
    damaged = lazy.parts[1].path
    damaged.write_bytes(damaged.read_bytes()[:100])
    for question in (engine.area, engine.change_series):
        with pytest.raises(controlmap.FormatError, match=re.escape(f"{damaged}: cannot read")):
            question(lazy, ["2015-01-01", "2016-01-01"], scheduler="synchronous")
    with pytest.raises(controlmap.FormatError, match=re.escape(f"{damaged}: cannot read")):
        lazy.change_dates()


# ---------------------------------------------------------------------------- places
def naive_runs(rows: pd.DataFrame) -> list[tuple[object, str, pd.Timestamp, pd.Timestamp]]:
    """Runs found one row at a time, as a person would."""
    runs: list[tuple[object, str, pd.Timestamp, pd.Timestamp]] = []
    for place, group in rows.dropna(subset=["actor"]).groupby("place"):
        current: list[object] | None = None
        for day, who in sorted(zip(group["date"], group["actor"], strict=True)):
            if current and current[1] == who and current[3] == day:
                current[3] = day + pd.Timedelta(days=1)
                continue
            if current:
                runs.append(tuple(current))  # type: ignore[arg-type]
            current = [place, who, day, day + pd.Timedelta(days=1)]
        if current:
            runs.append(tuple(current))  # type: ignore[arg-type]
    return sorted(runs)


place_rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 40), st.sampled_from(["A", "B", None])),
    max_size=120,
    unique_by=lambda r: (r[0], r[1]),
).map(
    lambda rows: pd.DataFrame(
        {
            "place": [r[0] for r in rows],
            "date": [DAY0 + pd.Timedelta(days=r[1]) for r in rows],
            "actor": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
)


@QUICK
@given(rows=place_rows)
def test_run_lengths_match_a_row_by_row_reading(rows: pd.DataFrame) -> None:
    got = run_lengths(rows)
    assert sorted(got.itertuples(index=False, name=None)) == naive_runs(rows)


def grid_cells(nx: int, ny: int, step: float = 0.1) -> gpd.GeoDataFrame:
    xs, ys = 40 + np.arange(nx + 1) * step, 33 + np.arange(ny + 1) * step
    i, j = np.repeat(np.arange(nx), ny), np.tile(np.arange(ny), nx)
    return gpd.GeoDataFrame(
        {"place": np.arange(nx * ny)},
        geometry=shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]),
        crs=4326,
    )


def test_places_on_dask_equal_places_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    cells = grid_cells(8, 5)
    days = pd.date_range("2014-11-01", periods=150)
    state = rng.integers(0, 3, len(cells))
    frames = []
    for day in days:
        flip = rng.random(len(cells)) < 0.04
        state = np.where(flip, rng.integers(0, 3, len(cells)), state)
        actors = np.array(["A", "B", None], dtype=object)[state]
        frames.append(pd.DataFrame({"place": cells["place"], "date": day, "actor": actors}))
    rows = pd.concat(frames, ignore_index=True)
    in_memory = places_to_timeline(rows, cells)
    assert isinstance(in_memory, controlmap.Timeline)
    # Cut by days, as a daily archive is stored: runs cross the cuts and are joined.
    lazy = places_to_timeline(
        dd.from_pandas(rows, npartitions=5, sort=False),
        cells,
        folder=tmp_path / "places",
        tile_degrees=0.4,
        scheduler="synchronous",
    )
    assert isinstance(lazy, PartitionedTimeline)
    assert len(lazy.to_timeline()) == len(in_memory)
    sync = {"scheduler": "synchronous"}
    span = {"start": "2014-11-01", "end": "2015-04-10"}
    assert_same_area(engine.area(lazy, freq="D", **span, **sync), in_memory.area(freq="D", **span))
    assert_same_changes(
        engine.change_series(lazy, freq="W", **span, **sync),
        engine.change_series(in_memory, freq="W", **span),
    )


def test_place_rows_errors_name_the_problem() -> None:
    cells = grid_cells(2, 1)
    twice = pd.DataFrame(
        {"place": [0, 0], "date": pd.to_datetime(["2014-01-01"] * 2), "actor": ["A", "B"]}
    )
    with pytest.raises(controlmap.DataError, match="place 0 has two rows for 2014-01-01"):
        places_to_timeline(twice, cells)
    lost = twice.assign(place=[5, 5], date=pd.to_datetime(["2014-01-01", "2014-01-02"]))
    with pytest.raises(controlmap.DataError, match="place 5 has no cell"):
        places_to_timeline(lost, cells)
    overlapping = cells.copy()
    overlapping.geometry = [shapely.box(40, 33, 40.2, 33.1), shapely.box(40.1, 33, 40.3, 33.1)]
    with pytest.raises(controlmap.DataError, match="places 0 and 1 overlap"):
        places_to_timeline(lost.assign(place=[0, 1]), overlapping)


def test_dask_snapshot_fills_holes_across_partitions_and_ranks_sources_alike(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    # Tiles of 0.5°: Mosul's sectors, and the gaps between them, fall in several files.
    lazy = controlmap.read(
        timeline.to_file(tmp_path / "is", partition_by=["year", "tile"], tile_degrees=0.5)
    )
    day = "2016-10-17"
    for options in ({}, {"min_hole_km2": 0}, {"min_hole_km2": 5, "min_part_km2": 1}):
        got = engine.at(lazy, day, scheduler="synchronous", **options)
        want = timeline.at(day, **options)
        want = want.sort_values(["actor", "status"], ignore_index=True)
        assert got["sources"].tolist() == want["sources"].tolist()
        assert got["source"].tolist() == want["source"].tolist()
        np.testing.assert_allclose(got["area_km2"], want["area_km2"], rtol=1e-9)
        for a, b in zip(got.geometry, want.geometry, strict=True):
            assert len(shapely.get_parts(a)) == len(shapely.get_parts(b))
            assert shapely.symmetric_difference(a, b).area < 1e-9


def test_graphs_are_reductions_per_file_then_a_small_tree(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    # What keeps a worker's memory to one file: each file's task reads its own file
    # (no other task feeds it), and the results are added a few at a time.
    from dask.core import get_dependencies
    from dask.utils import key_split

    lazy = controlmap.read(
        timeline.to_file(tmp_path / "is", partition_by=["year", "tile"], tile_degrees=1)
    )
    assert isinstance(lazy, PartitionedTimeline)
    days = pd.date_range("2013-06-01", "2019-06-01", freq="D")
    for graph, leaf, combine in (
        (engine._area_graph(lazy, days, None), "part_area", "add_tables"),
        (engine._changes_graph(lazy, days[::7], None), "part_changes", "add_changes"),
    ):
        tasks = dict(graph.__dask_graph__())
        inputs = {key: len(get_dependencies(tasks, key)) for key in tasks}
        leaves = [key for key in tasks if key_split(key) == leaf]
        combines = [key for key in tasks if key_split(key) == combine]
        assert len(leaves) + len(combines) == len(tasks)
        assert len(leaves) >= len(lazy.parts) > 8  # enough files to need a tree
        assert all(inputs[key] == 0 for key in leaves)
        assert 1 < max(inputs[key] for key in combines) <= 8
        # The tree's root is the only task nothing depends on.
        needed = {d for key in tasks for d in get_dependencies(tasks, key)}
        assert len(set(tasks) - needed) == 1
