"""Reading any vector format and writing GeoJSON / GeoPackage / GeoParquet round trips."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import controlmap
from controlmap import Timeline, cli
from controlmap.testing import assert_timeline_equal
from controlmap.testing.strategies import periods_frames

BOX = shapely.box(40.1234567, 34.2, 41.5, 35.75)


def sample_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "side": ["Islamic State", "SDF"],
            "from": ["2014-06", "2015"],
            "until": ["2016-01-15", None],
            "source": ["ledger", "ISW"],
            "confidence": ["high", "low"],
        },
        geometry=[BOX, shapely.box(38, 35, 39, 36.5)],
        crs=4326,
    )


@pytest.mark.parametrize(
    ("suffix", "driver", "engine"),
    [
        (".gpkg", "GPKG", None),
        (".shp", "ESRI Shapefile", None),
        (".fgb", "FlatGeobuf", None),
        (".gpkg", "GPKG", "fiona"),
        (".geojson", "GeoJSON", None),
    ],
)
def test_reads_gdal_formats_with_field_names(
    tmp_path: Path, suffix: str, driver: str, engine: str | None
) -> None:
    path = tmp_path / f"periods{suffix}"
    sample_frame().to_file(path, driver=driver)
    tl = controlmap.read(path, actor="side", start="from", end="until", engine=engine)
    periods = tl.periods
    assert list(periods.actor) == ["Islamic State", "SDF"]
    assert list(periods.start) == [pd.Timestamp("2014-06-01"), pd.Timestamp("2015-01-01")]
    assert periods.end.iloc[0] == pd.Timestamp("2016-01-15") and pd.isna(periods.end.iloc[1])
    assert list(periods.source) == ["ledger", "ISW"]
    # Shapefiles store exteriors clockwise: compare the shapes, not the vertex order.
    assert shapely.equals_exact(
        periods.geometry.iloc[0].normalize(), BOX.normalize(), tolerance=1e-9
    )


def test_reads_date_fields(tmp_path: Path) -> None:
    frame = sample_frame()
    frame["from"] = [pd.Timestamp("2014-06-01").date(), pd.Timestamp("2015-01-01").date()]
    frame["until"] = [pd.Timestamp("2016-01-15").date(), None]
    path = tmp_path / "dates.gpkg"
    frame.to_file(
        path,
        engine="fiona",
        schema={
            "geometry": "Polygon",
            "properties": {
                "side": "str",
                "from": "date",
                "until": "date",
                "source": "str",
                "confidence": "str",
            },
        },
    )
    tl = controlmap.read(path, actor="side", start="from", end="until")
    assert tl.periods.start.iloc[0] == pd.Timestamp("2014-06-01")


def test_reprojects_and_honours_crs_option(tmp_path: Path) -> None:
    frame = sample_frame().to_crs(32638)  # UTM 38N
    with_prj = tmp_path / "utm.shp"
    frame.to_file(with_prj)
    tl = controlmap.read(with_prj, actor="side", start="from", end="until")
    assert tl.periods.crs.to_epsg() == 4326
    assert shapely.equals_exact(
        tl.periods.geometry.iloc[0].normalize(), BOX.normalize(), tolerance=1e-6
    )
    without = tmp_path / "noprj.shp"
    frame.to_file(without)
    without.with_suffix(".prj").unlink()
    with pytest.raises(controlmap.GeometryError, match=r"noprj\.shp: .*has no CRS"):
        controlmap.read(without, actor="side", start="from", end="until")
    again = controlmap.read(without, actor="side", start="from", end="until", crs=32638)
    assert again.periods.geometry.iloc[0].equals_exact(tl.periods.geometry.iloc[0], 1e-9)


def test_legacy_geojson_crs_member(tmp_path: Path) -> None:
    frame = sample_frame().to_crs(3857)
    doc = json.loads(frame.to_json())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    path = tmp_path / "legacy.geojson"
    path.write_text(json.dumps(doc))
    tl = controlmap.read(path, actor="side", start="from", end="until")
    assert shapely.equals_exact(
        tl.periods.geometry.iloc[0].normalize(), BOX.normalize(), tolerance=1e-6
    )


def assert_same_periods(written: Timeline, read: Timeline, decimals: int) -> None:
    """Same rows, dates and properties; geometry equal within the written precision.

    Exports add points along long edges (on their straight lon/lat lines,
    see ``io._rfc7946_geometries``), so vertices are compared on a second round trip and
    the shapes by distance and geodesic area.
    """
    # Points are added on the edges: the shape moves by the rounding only. Rounding each
    # inserted point to 1e-6° (5 cm) moves ~10 km edges: ~1e-5 of a zone's area.
    assert_timeline_equal(written, read, tolerance=10**-decimals, area_rtol=5e-5)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(periods_frames(max_size=6), st.sampled_from([".geojson", ".gpkg", ".parquet"]))
def test_export_read_round_trip(tmp_path: Path, periods: gpd.GeoDataFrame, suffix: str) -> None:
    periods["note"] = [f"période {i} <b>&</b>" for i in range(len(periods))]
    periods["confidence"] = "medium"
    written = Timeline(periods)
    path = tmp_path / f"round{suffix}"
    written.to_file(path)
    first = controlmap.read(path)
    assert_same_periods(written, first, decimals=6)
    assert list(first.periods.note) == list(periods.note)
    # Written again, the file reads back to the same vertices within 1e-6 degrees.
    first.to_file(tmp_path / f"again{suffix}")
    second = controlmap.read(tmp_path / f"again{suffix}")
    assert_timeline_equal(first, second, tolerance=1.01e-6)


def test_round_trip_of_the_bundled_timeline(tmp_path: Path) -> None:
    tl = controlmap.load_dataset("islamic-state")
    for suffix in (".geojson", ".gpkg", ".parquet"):
        path = tl.to_file(tmp_path / f"is{suffix}")
        again = controlmap.read(path)
        assert_same_periods(tl, again, decimals=6)
        pd.testing.assert_frame_equal(tl.area(freq="MS"), again.area(freq="MS"), rtol=1e-5)


def test_geoparquet_metadata_and_date_types(tmp_path: Path) -> None:
    path = controlmap.load_dataset("islamic-state").to_file(tmp_path / "is.parquet")
    table = pq.read_table(path)
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert str(table.schema.field("start").type) == "date32[day]"
    assert str(table.schema.field("end").type) == "date32[day]"


def test_snapshot_file_has_area_and_date(tmp_path: Path) -> None:
    tl = controlmap.load_dataset("islamic-state")
    path = tl.to_file(tmp_path / "snap.geojson", date="2015-05-25")
    doc = json.loads(path.read_text())
    expected = tl.at("2015-05-25")
    assert len(doc["features"]) == len(expected)
    for feature, area in zip(doc["features"], expected.area_km2, strict=True):
        assert feature["properties"]["date"] == "2015-05-25"
        assert feature["properties"]["area_km2"] == pytest.approx(area)
    assert "crs" not in doc


def test_gpkg_with_snapshot_layers(tmp_path: Path) -> None:
    import pyogrio

    tl = controlmap.load_dataset("islamic-state")
    path = tmp_path / "is.gpkg"
    controlmap.io.write_periods(tl, path, snapshots=list(tl.turning_points[:3]))
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers[0] == "periods" and len(layers) == 5
    assert all(name.startswith("snapshot_") for name in layers[1:4])
    assert layers[4] == "layer_styles"  # QGIS's default style of the periods


def test_unknown_output_extension(tmp_path: Path) -> None:
    tl = controlmap.load_dataset("islamic-state")
    with pytest.raises(controlmap.OutputError, match=r"unknown output extension '\.kml'"):
        tl.to_file(tmp_path / "x.kml")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- review fixes
def test_geojson_without_crs_member_takes_the_crs_option(tmp_path: Path) -> None:
    projected = sample_frame().to_crs(32638)
    doc = json.loads(projected.to_json())
    doc.pop("crs", None)
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(controlmap.GeometryError, match="outside longitude/latitude"):
        controlmap.read(path, actor="side", start="from", end="until")
    tl = controlmap.read(path, actor="side", start="from", end="until", crs=32638)
    assert shapely.equals_exact(
        tl.periods.geometry.iloc[0].normalize(), BOX.normalize(), tolerance=1e-6
    )
    with pytest.raises(controlmap.DataError, match="crs 'bogus' is not a coordinate"):
        controlmap.read(path, actor="side", start="from", end="until", crs="bogus")


def test_projected_frames_are_written_in_degrees(tmp_path: Path) -> None:
    from controlmap.io import write_snapshot

    frame = sample_frame().to_crs(3857)
    for suffix in (".gpkg", ".parquet", ".geojson"):
        path = write_snapshot(frame, tmp_path / f"p{suffix}")
        again = controlmap.read(path, actor="side", start="from", end="until")
        geom = again.periods.geometry.iloc[0]
        assert shapely.get_num_coordinates(geom) < 200  # split every 0.1°, not every 0.1 m
        assert shapely.hausdorff_distance(geom, BOX) < 1e-5


def test_only_single_file_drivers(tmp_path: Path) -> None:
    from controlmap.io import write_snapshot

    with pytest.raises(controlmap.OutputError, match="driver 'ESRI Shapefile' is not one"):
        write_snapshot(sample_frame(), tmp_path / "x.shp", driver="ESRI Shapefile")
    assert list(tmp_path.iterdir()) == []


def test_list_and_nested_properties_are_valid_json(tmp_path: Path) -> None:
    import numpy as np

    frame = sample_frame()
    frame["tags"] = [np.array(["a", "b"]), np.array([], dtype=object)]
    frame["extra"] = [{"share": float("nan"), "n": np.int64(3)}, None]
    text = "".join(controlmap.io.geojson_chunks(frame))
    props = json.loads(text)["features"][0]["properties"]
    assert props["tags"] == ["a", "b"] and props["extra"] == {"share": None, "n": 3}


def test_a_syntax_error_early_does_not_read_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import controlmap.io as cio

    feature = (
        '{"type": "Feature", "properties": {"actor": "A", "start": "2014"}, '
        '"geometry": {"type": "Polygon", "coordinates": '
        "[[[40, 34], [41, 34], [41, 35], [40, 34]]]}}"
    )
    body = ",\n".join([feature.replace('"A",', '"A" "oops",')] + [feature] * 20_000)
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [' + body + "]}")
    reads = []
    more = cio.geojson._JSONScanner._more

    def counting(self):  # count the chunks the scanner pulls from the file
        reads.append(1)
        return more(self)

    monkeypatch.setattr(cio.geojson._JSONScanner, "_more", counting)
    monkeypatch.setattr(cio.geojson, "_CHUNK_CHARS", 4096)
    with pytest.raises(controlmap.FormatError, match=r"broken\.geojson: feature 0: is not valid"):
        controlmap.read(path)
    assert len(reads) < 5  # the file is ~3 MB: 700+ chunks if it were all read


def test_float_ids_are_numbers(tmp_path: Path) -> None:
    doc = json.loads(sample_frame().to_json())
    for i, feature in enumerate(doc["features"]):
        feature["id"] = 1.5 + i
    path = tmp_path / "ids.geojson"
    path.write_text(json.dumps(doc))
    assert len(controlmap.read(path, actor="side", start="from", end="until")) == 2


def test_fighter_tables_that_say_nothing(tmp_path: Path) -> None:
    from controlmap.datasets.fighters import basis_group, load_fighters

    (tmp_path / "empty.csv").write_text("")
    header = controlmap.dataset_path("foreign-fighters").read_text().splitlines()[0]
    (tmp_path / "header.csv").write_text(header + "\n")
    with pytest.raises(controlmap.DataError, match=r"empty\.csv: is empty"):
        load_fighters(tmp_path / "empty.csv")
    with pytest.raises(controlmap.DataError, match="header but no countries"):
        load_fighters(tmp_path / "header.csv")
    with pytest.raises(controlmap.DataError, match="basis 'foo'"):
        basis_group("foo")


def test_kepler_fields_are_noon_of_the_first_and_last_day_held(tmp_path: Path) -> None:
    """``export --for kepler``: the fields kepler.gl's interval time filter reads."""
    frame = gpd.GeoDataFrame(
        {
            "actor": ["A", "A", "B"],
            "start": ["2020-02-28", "2020-03-01", "2020-02-29"],
            "end": ["2020-03-01", None, "2020-03-01"],
            "kepler_end": ["a field of the source", "is", "replaced"],
        },
        geometry=[shapely.box(40 + i, 34, 40.5 + i, 34.5) for i in range(3)],
        crs=4326,
    )
    tl = Timeline(frame)
    path = tl.to_file(tmp_path / "k.geojson", kepler=True)
    rows = [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]
    for row in rows:
        start = pd.Timestamp(row["kepler_start"])
        assert start.tz is not None and start.tz_convert(None) == pd.Timestamp(
            row["start"]
        ) + pd.Timedelta(hours=12)
        if row["end"] is None:  # still held: the day after the last change (2020-03-01)
            assert row["kepler_end"] == "2020-03-02T12:00:00Z"
        else:
            end = pd.Timestamp(row["kepler_end"]).tz_convert(None)
            assert end == pd.Timestamp(row["end"]) - pd.Timedelta(hours=12)
    assert [r["kepler_end"] for r in rows] == [
        "2020-02-29T12:00:00Z",
        "2020-03-02T12:00:00Z",
        "2020-02-29T12:00:00Z",
    ]
    assert "kepler_start" not in tl.to_file(tmp_path / "plain.geojson").read_text(encoding="utf-8")


def test_kepler_fields_only_in_geojson(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tl = controlmap.Timeline(sample_frame(), actor="side", start="from", end="until")
    with pytest.raises(
        controlmap.ControlMapError, match=r"k\.gpkg: kepler\.gl's fields are for GeoJSON"
    ):
        tl.to_file(tmp_path / "k.gpkg", kepler=True)
    assert not (tmp_path / "k.gpkg").exists()
    code = cli.main(["export", "islamic-state", "-o", str(tmp_path / "k.gpkg"), "--for", "kepler"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "for GeoJSON" in err, err
    code = cli.main(
        ["export", "islamic-state", "-o", str(tmp_path / "k.geojson"), "--for", "kepler"]
    )
    assert code == 0
    assert "kepler_end" in (tmp_path / "k.geojson").read_text(encoding="utf-8")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bad_utf8_is_named_by_its_byte_whatever_the_chunks(tmp_path: Path, bom: bytes) -> None:
    # A character cut by a chunk boundary, and a BOM, once moved the byte named by one.
    import controlmap.io as cio

    ring = "[[40,34],[41,34],[41,35],[40,35],[40,34]]"
    text = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"actor":"\xd8\xaf@","start":"2015-01-01"},'
        f'"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}'
    ).encode("latin-1")
    content = bom + text.replace(b"@", b"\xff")
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    original = cio.geojson._CHUNK_CHARS
    named = set()
    try:
        for chunk in (1, 2, 3, 5, 7, 64, original):
            cio.geojson._CHUNK_CHARS = chunk
            with pytest.raises(controlmap.ControlMapError) as caught:
                controlmap.read(path)
            named.add(str(caught.value).split("(byte ")[1].split(")")[0])
    finally:
        cio.geojson._CHUNK_CHARS = original
    assert named == {str(content.index(b"\xff"))}


def _square(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


@st.composite
def _geojson_features(draw: st.DrawFn) -> list[dict[str, object]]:
    """Features with properties missing, null, repeated, distinct and of mixed types,
    and Polygons, Polygons with a hole and MultiPolygons of a few vertices each."""
    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.sampled_from(["Islamic State", "SDF", "2015-01-01"]),
        st.text(max_size=5),
        st.lists(st.integers(0, 9), max_size=2),
    )
    features = []
    for i in range(draw(st.integers(1, 12))):
        x, y = draw(st.integers(-170, 160)), draw(st.integers(-80, 70))
        shape = draw(st.sampled_from(["polygon", "holed", "multi"]))
        if shape == "polygon":
            geometry = {"type": "Polygon", "coordinates": [_square(x, y, 2)]}
        elif shape == "holed":
            hole = _square(x + 0.5, y + 0.5, 1)[::-1]
            geometry = {"type": "Polygon", "coordinates": [_square(x, y, 2), hole]}
        else:
            parts = [[_square(x + 3 * k, y, 2)] for k in range(draw(st.integers(1, 3)))]
            geometry = {"type": "MultiPolygon", "coordinates": parts}
        keys = draw(st.lists(st.sampled_from(["actor", "note", "n", "tag"]), unique=True))
        properties = {key: draw(values) for key in keys}
        features.append(
            {"type": "Feature", "id": i, "properties": properties, "geometry": geometry}
        )
    return features


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(features=_geojson_features(), batch=st.integers(1, 40))
def test_the_reader_keeps_every_value_and_shape_whatever_its_batches(
    tmp_path: Path, features: list[dict[str, object]], batch: int
) -> None:
    # Polygons are made a batch of coordinates at a time and properties kept by column,
    # each repeated text once: against pandas' reading of the same properties as dicts
    # and shapely's reading of each geometry on its own.
    import controlmap.io.geojson as reader

    path = tmp_path / "f.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    saved = reader._BATCH_COORDS, reader._MOST_SHARED
    reader._BATCH_COORDS, reader._MOST_SHARED = batch, 2
    try:
        frame, ids = reader.read_geojson(path)
    finally:
        reader._BATCH_COORDS, reader._MOST_SHARED = saved
    expected = pd.DataFrame([f["properties"] for f in features], index=pd.RangeIndex(len(features)))
    pd.testing.assert_frame_equal(
        pd.DataFrame(frame.drop(columns="geometry")),
        expected,
        check_index_type=False,
        check_column_type=False,
    )
    assert ids == [f["id"] for f in features]
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
    assert [g.geom_type for g in frame.geometry] == [g.geom_type for g in shapes]
    assert all(shapely.equals_exact(frame.geometry.to_numpy(), shapes, tolerance=0))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    periods=st.lists(
        st.tuples(
            st.integers(0, 4),  # the year of the start (2014 to 2018)
            st.sampled_from([0, 0, 1, 45, 364]),  # days after its first of January
            st.one_of(st.none(), st.sampled_from([1, 30, 334, 365, 366, 730, 900])),
            st.integers(0, 3),  # column of the box
        ),
        min_size=1,
        max_size=8,
    ),
    layout=st.sampled_from([["year"], ["year", "tile"], ["year", "tile", "actor"]]),
)
def test_a_folders_change_dates_are_its_timelines(
    tmp_path_factory: pytest.TempPathFactory, periods: list, layout: list[str]
) -> None:
    # Read a file at a time, a first of January is a change date when a period truly
    # starts or ends there, not where the folder cut it; starts and ends often fall on
    # one here, and periods span years, tiles (boxes over 1-degree lines) or stay open.
    rows = []
    for year, day, length, column in periods:
        start = pd.Timestamp(f"{2014 + year}-01-01") + pd.Timedelta(days=day)
        rows.append(
            {
                "actor": "AB"[column % 2],
                "start": start,
                "end": None if length is None else start + pd.Timedelta(days=length),
                "geometry": shapely.box(40 + column, 33.5, 41.5 + column, 34.5),
            }
        )
    timeline = Timeline(gpd.GeoDataFrame(rows, crs=4326))
    folder = tmp_path_factory.mktemp("p") / "tl"
    lazy = controlmap.read(timeline.to_file(folder, partition_by=layout, tile_degrees=1.0))
    assert lazy.change_dates().equals(timeline.change_dates)
