"""Timeline.verify and `controlmap verify`: dated point observations against a timeline."""

from __future__ import annotations

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
from controlmap.cli import main

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def two_actors() -> controlmap.Timeline:
    # A holds the west box from 2015 to mid-2016, then only its west half; B the east box
    # from 2016 (contested until 2017, then control).
    periods = gpd.GeoDataFrame(
        {
            "actor": ["A", "A", "B", "B"],
            "start": ["2015-01-01", "2016-07-01", "2016-01-01", "2017-01-01"],
            "end": ["2016-07-01", None, "2017-01-01", None],
            "status": ["control", "control", "contested", "control"],
        },
        geometry=[
            shapely.box(40, 34, 41, 35),
            shapely.box(40, 34, 40.5, 35),
            shapely.box(42, 34, 43, 35),
            shapely.box(42, 34, 43, 35),
        ],
        crs=4326,
    )
    return controlmap.Timeline(periods)


def obs(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["place", "lon", "lat", "date", "actor", "status"])


def test_agreements_and_disagreements(two_actors: controlmap.Timeline) -> None:
    result = two_actors.verify(
        obs(
            ("west", 40.2, 34.5, "2015-06-01", "A", None),
            ("east half of A", 40.8, 34.5, "2016-08-01", "A", None),  # A left on 2016-07-01
            ("B contested", 42.5, 34.5, "2016-06-01", "B", "contested"),
            ("B wrong status", 42.5, 34.5, "2016-06-01", "B", "control"),
            ("nobody", 41.5, 34.5, "2016-06-01", None, None),
            ("nobody, but A", 40.2, 34.5, "2016-06-01", "", None),
        )
    )
    assert result["agrees"].tolist() == [True, False, True, False, True, False]
    assert result["held_by"].tolist() == [None if v is None else v for v in
                                          ["A", None, "B", "B", None, "A"]]  # fmt: skip
    assert result.loc[2, "held_status"] == "contested"
    # Lost on 2016-07-01, observed 2016-08-01: the nearest change came 31 days before.
    assert result.loc[1, "nearest_change"] == pd.Timestamp("2016-07-01")
    assert result.loc[1, "days_to_change"] == -31
    # A point that never changed hands has no change to be near.
    assert pd.isna(result.loc[4, "days_to_change"])


def test_distance_is_geodesic_to_the_expected_ground(two_actors: controlmap.Timeline) -> None:
    # East of A's remaining half (edge at lon 40.5) along the parallel 34.5.
    result = two_actors.verify(obs(("east", 40.8, 34.5, "2016-08-01", "A", None)))
    expected = GEOD.inv(40.8, 34.5, 40.5, 34.5)[2] / 1000
    assert result.loc[0, "distance_km"] == pytest.approx(expected, rel=1e-3)
    inside = two_actors.verify(obs(("in", 40.2, 34.5, "2016-08-01", "A", None)))
    assert inside.loc[0, "distance_km"] == 0.0
    # Nothing of actor C anywhere: no distance.
    missing = two_actors.verify(obs(("c", 40.2, 34.5, "2016-08-01", "C", None)))
    assert np.isnan(missing.loc[0, "distance_km"])
    assert not missing.loc[0, "agrees"]


@settings(max_examples=50)
@given(
    x=st.floats(39.0, 44.0),
    y=st.floats(33.0, 36.0),
    day=st.dates(pd.Timestamp("2014-01-01").date(), pd.Timestamp("2018-12-31").date()),
)
def test_verify_agrees_with_at(two_actors: controlmap.Timeline, x: float, y: float, day) -> None:
    # The verdict for "held by whoever at() says holds it" is always agreement, and the
    # actor verify reports is the one whose at() ground covers the point.
    snap = two_actors.at(day)
    point = shapely.Point(x, y)
    holders = sorted(snap.loc[snap.geometry.covers(point), "actor"].unique())
    row = two_actors.verify(
        obs(("p", x, y, day.isoformat(), holders[0] if holders else None, None))
    ).iloc[0]
    assert row["agrees"]
    assert (row["held_by"] or None) == ("; ".join(holders) or None)


def test_bad_observations_name_file_and_row(tmp_path: Path, two_actors) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("place,lon,lat,date,actor\nx,40.2,34.5,2015-06-01,A\ny,400,34.5,2015-06-01,A\n")
    with pytest.raises(controlmap.DataError, match=r"notes\.csv: feature 1.*longitude/latitude"):
        two_actors.verify(path)
    path.write_text("place,lon,lat,date,actor\nx,40.2,34.5,someday,A\n")
    with pytest.raises(controlmap.DateError, match=r"notes\.csv: feature 0"):
        two_actors.verify(path)
    path.write_text("place,x,y,date\n")
    with pytest.raises(controlmap.DataError, match=r"no column 'lon'.*columns are"):
        two_actors.verify(path)


def test_points_from_a_vector_file(tmp_path: Path, two_actors: controlmap.Timeline) -> None:
    frame = gpd.GeoDataFrame(
        {"place": ["w"], "date": ["2015-06-01"], "actor": ["A"]},
        geometry=[shapely.Point(40.2, 34.5)],
        crs=4326,
    ).to_crs(3857)
    path = tmp_path / "notes.gpkg"
    frame.to_file(path)
    assert two_actors.verify(path)["agrees"].tolist() == [True]


def test_cli_exit_codes_and_table(
    tmp_path: Path, two_actors: controlmap.Timeline, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "periods.geojson"
    two_actors.to_file(source)
    good = tmp_path / "good.csv"
    good.write_text("place,lon,lat,date,actor\nwest,40.2,34.5,2015-06-01,A\n")
    assert main(["verify", str(source), str(good)]) == 0
    assert "1 of 1 observations agree" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "place,lon,lat,date,actor\nwest,40.2,34.5,2015-06-01,A\nlate,40.8,34.5,2016-08-01,A\n"
    )
    out_csv = tmp_path / "verdicts.csv"
    assert main(["verify", str(source), str(bad), "-o", str(out_csv)]) == 1
    printed = capsys.readouterr().out
    assert "late" in printed and "west" not in printed.split("observations agree")[0]
    assert "1 of 2 observations agree" in printed
    assert "\\x0a" not in printed and len(printed.splitlines()) == 3  # header, row, summary
    table = pd.read_csv(out_csv)
    assert table["agrees"].tolist() == [True, False]
    assert table.loc[1, "days_to_change"] == -31
    broken = tmp_path / "broken.csv"
    broken.write_text("place,lon,lat,date,actor\nx,40.2,34.5,not-a-date,A\n")
    assert main(["verify", str(source), str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.csv" in err and "Traceback" not in err
