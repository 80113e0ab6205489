"""The bundled Islamic State timeline: schema, geometry, calibration, ledger, reproducibility.

Everything here is recomputed from the shipped GeoJSON and the ledger with shapely /
pyproj / controlmap's public API, not taken from the build script's own numbers; only
the reproducibility test runs the script.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import controlmap

ROOT = Path(__file__).resolve().parents[1]
POLYGONS = ROOT / "data" / "polygons" / "islamic_state.geojson"
SOURCES = ROOT / "data" / "sources"
LEDGER = SOURCES / "ledger"
BORDERS = SOURCES / "borders_osm.geojson"
LAST_DAY = "2019-03-23"  # Baghouz falls: nothing is held from this day on
GEOD = Geod(ellps="WGS84")
COUNTED = ["control", "contested"]  # what the published "held" figures are compared with


def km2(geom: shapely.Geometry) -> float:
    """Geodesic km² of a polygon whose edges are straight in lon/lat (RFC 7946).

    Edges are followed every 0.01° first: Geod joins vertices by geodesics, which on a
    long thin sliver encloses far more than the sliver drawn in lon/lat.
    """
    if geom is None or geom.is_empty:
        return 0.0
    # Only the polygonal parts have an area (an intersection may hold shared edges).
    polygons = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    dense = shapely.segmentize(polygons, 0.01)
    return sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in dense) / 1e6


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(POLYGONS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def periods(raw: dict) -> gpd.GeoDataFrame:
    # Built from the JSON itself: GDAL would turn the ISO dates into timestamps.
    frame = gpd.GeoDataFrame.from_features(raw["features"], crs=4326)
    frame["id"] = [f["id"] for f in raw["features"]]
    return frame


@pytest.fixture(scope="module")
def ledger() -> tuple[pd.DataFrame, pd.DataFrame]:
    read = lambda pattern: pd.concat(  # noqa: E731
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(LEDGER.glob(pattern))],
        ignore_index=True,
    )
    places, spans = read("places_*.csv"), read("spans_*.csv")
    places["lon"] = places["lon"].astype(float)
    places["lat"] = places["lat"].astype(float)
    return places, spans


@pytest.fixture(scope="module")
def borders() -> gpd.GeoDataFrame:
    return gpd.read_file(BORDERS)


def active(
    periods: gpd.GeoDataFrame, day: str, statuses: list[str] | None = None
) -> gpd.GeoDataFrame:
    on = (periods["start"] <= day) & (periods["end"] > day)
    if statuses is not None:
        on &= periods["status"].isin(statuses)
    return periods[on]


def change_days(periods: gpd.GeoDataFrame) -> list[str]:
    return sorted(set(periods["start"]) | set(periods["end"]))


# ------------------------------------------------------------------------ schema
def test_file_is_an_rfc7946_feature_collection(raw: dict) -> None:
    assert raw["type"] == "FeatureCollection"
    assert "crs" not in raw
    ids = [f["id"] for f in raw["features"]]
    assert len(ids) == len(set(ids)), "feature ids must be unique"
    assert POLYGONS.stat().st_size < 2_000_000


def test_every_feature_has_its_provenance(periods: gpd.GeoDataFrame, ledger) -> None:
    places, _ = ledger
    assert set(periods["actor"]) == {"Islamic State"}
    assert set(periods["status"]) == {"control", "contested", "support"}
    assert set(periods["confidence"]) <= {"high", "medium", "low"}
    for column in ("source", "note", "confidence", "place", "places"):
        assert (periods[column].fillna("").str.len() > 0).all(), column
    assert (periods["source"].str.len() > 5).all()
    # Every period names the ledger places it rests on.
    named = {p for value in periods["places"] for p in value.split(";")}
    assert named <= set(places["place_id"])


def test_dates_are_iso_days_and_end_by_baghouz(periods: gpd.GeoDataFrame) -> None:
    iso_day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    assert periods["start"].map(lambda s: bool(iso_day.match(s))).all()
    assert periods["end"].map(lambda s: bool(iso_day.match(s))).all(), "no open-ended period"
    assert (periods["start"] < periods["end"]).all()
    assert periods["end"].max() == LAST_DAY
    assert periods["start"].min() <= "2013-12-31", "the timeline begins in late 2013"


def test_coordinates_are_rounded(raw: dict) -> None:
    text = json.dumps([f["geometry"] for f in raw["features"]])
    assert not re.search(r"\d\.\d{7,}", text)


# ---------------------------------------------------------------------- geometry
def test_geometries_valid_polygonal_and_ccw(periods: gpd.GeoDataFrame) -> None:
    geoms = periods.geometry.values
    assert shapely.is_valid(geoms).all()
    assert set(periods.geom_type) <= {"Polygon", "MultiPolygon"}
    parts = shapely.get_parts(geoms)
    assert shapely.is_ccw(shapely.get_exterior_ring(parts)).all(), "exteriors counter-clockwise"
    holes = [r for p in parts for r in p.interiors]
    assert not any(shapely.is_ccw(holes)), "holes clockwise"


def test_inside_iraq_syria_and_lebanon(periods: gpd.GeoDataFrame, borders) -> None:
    land = shapely.union_all(borders.geometry.values)
    for row in periods.drop_duplicates("places").itertuples():
        # Tolerance: grid-rounding slivers along the border, far below 1 km².
        assert km2(shapely.difference(row.geometry, land)) < 0.5, row.id


def test_actor_never_overlaps_itself(periods: gpd.GeoDataFrame) -> None:
    # Each place's cell is one geometry, whatever its spans: cells must not overlap.
    cells = periods.drop_duplicates("places")
    geoms = cells.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            shared = km2(shapely.intersection(geoms[i], geoms[j]))
            assert shared < 0.01, (cells.places.iloc[i], cells.places.iloc[j], shared)
    # And no place has two spans at once, so no period overlaps another of its place.
    for _, group in periods.sort_values("start").groupby("places"):
        assert (group["start"].to_numpy()[1:] >= group["end"].to_numpy()[:-1]).all()


def test_every_month_has_ground_until_baghouz(periods: gpd.GeoDataFrame) -> None:
    for day in pd.date_range("2013-12-01", "2019-03-01", freq="MS").strftime("%Y-%m-%d"):
        assert len(active(periods, day, COUNTED)) > 0, day
    assert active(periods, LAST_DAY).empty
    assert active(periods, "2020-01-01").empty


def test_statuses_mark_the_long_battles(timeline: controlmap.Timeline, ledger) -> None:
    # Mosul's west bank in March 2017 and Raqqa in August 2017 were fought over, not
    # governed: the ledger's sectors there are drawn as contested ground.
    places, _ = ledger
    for city, day in [("Mosul", "2017-03-15"), ("Raqqa", "2017-08-15")]:
        sectors = places[places["name"].str.startswith(city)]
        points = shapely.points(sectors["lon"].to_numpy(), sectors["lat"].to_numpy())
        snap = timeline.at(day)
        contested = shapely.union_all(snap.loc[snap["status"] == "contested"].geometry.values)
        assert shapely.covers(contested, points).sum() >= 2, (city, day)
    # Each status is reported apart by area(status=...).
    for status in ("control", "contested", "support"):
        series = timeline.area(start="2014-01-01", end="2019-03-01", freq="MS", status=status)
        assert series.to_numpy().max() > 0, status


# ------------------------------------------------------------------- calibration
def _figures() -> pd.DataFrame:
    return pd.read_csv(SOURCES / "area_figures.csv", dtype={"date": str})


def _day(date: str) -> str:
    return date if len(date) == 10 else f"{date}-15"


def _held_km2(periods: gpd.GeoDataFrame, day: str, borders, region: str = "IRQ+SYR") -> float:
    held = shapely.union_all(active(periods, day, COUNTED).geometry.values)
    if region != "IRQ+SYR":
        held = shapely.intersection(held, borders.loc[borders.iso_a3 == region].geometry.iloc[0])
    return km2(held)


IHS = [
    (r.date, r.area_km2)
    for r in _figures().itertuples()
    if r.scope == "held:IRQ+SYR" and r.publisher.startswith("IHS")
]
TARGETS = [
    (r.date, r.scope, r.area_km2)
    for r in _figures().itertuples()
    # The targets: IHS's series and the end. The Pentagon's Iraq peak, SOHR and the km²
    # of the last pocket are compared on the calibration page, not fitted.
    if (r.scope == "held:IRQ+SYR" and r.publisher.startswith("IHS")) or r.area_km2 == 0
]


@pytest.mark.parametrize(("date", "scope", "published"), TARGETS)
def test_area_within_10_percent_of_published(
    periods: gpd.GeoDataFrame, borders, date: str, scope: str, published: float
) -> None:
    region = scope.split(":", 1)[1].split(" ", 1)[0]
    area = _held_km2(periods, _day(date), borders, region)
    if published == 0:
        assert area == 0
    else:
        assert abs(area / published - 1) <= 0.10, (date, scope, round(area), published)


def test_losses_between_ihs_dates_within_40_percent(periods: gpd.GeoDataFrame, borders) -> None:
    assert len(IHS) == 7
    held = [_held_km2(periods, date, borders) for date, _ in IHS]
    for (a, pa), (b, pb), ha, hb in zip(IHS, IHS[1:], held, held[1:], strict=False):
        assert abs((ha - hb) / (pa - pb) - 1) <= 0.40, (a, b, round(ha - hb), pa - pb)


def test_calibration_page_lists_every_figure() -> None:
    page = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    table = page.split("## Losses")[0]
    assert table.count("\n| ") - 1 == len(_figures())
    assert "FAIL" not in page


# ------------------------------------------------------------------------ ledger
def _observations(places: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """What the ledger says, as dated observations a week inside each span's edges.

    In a span: held (of the span's status) from a week after its start to a week
    before its end. Out of every span: not held, a week and more away from any edge;
    places never held are checked on a date of every year.
    """
    rows = []
    where = places.set_index("place_id")
    by_place = {pid: g.sort_values("start") for pid, g in spans.groupby("place_id")}
    week = pd.Timedelta(days=7)
    for pid, place in where.iterrows():
        own = by_place.get(pid)
        edges: list[pd.Timestamp] = []
        if own is not None:
            for s in own.itertuples():
                start, end = pd.Timestamp(s.start), pd.Timestamp(s.end)
                edges += [start, end]
                first, last = start + week, end - week - pd.Timedelta(days=1)
                for day in {first, first + (last - first) / 2, last} if first <= last else ():
                    rows.append(
                        (pid, place.lon, place.lat, day.normalize(), "Islamic State", s.status)
                    )
        for day in pd.date_range("2013-07-01", "2019-07-01", freq="6MS"):
            near = any(abs(day - e) <= week for e in edges)
            inside = own is not None and any(
                pd.Timestamp(s.start) <= day < pd.Timestamp(s.end) for s in own.itertuples()
            )
            if not near and not inside:
                rows.append((pid, place.lon, place.lat, day, None, None))
        for e in edges:  # just outside each edge, when no other span is there
            for day in (e - week - pd.Timedelta(days=1), e + week):
                if own is not None and not any(
                    pd.Timestamp(s.start) - week <= day < pd.Timestamp(s.end) + week
                    for s in own.itertuples()
                ):
                    rows.append((pid, place.lon, place.lat, day, None, None))
    return pd.DataFrame(rows, columns=["place", "lon", "lat", "date", "actor", "status"])


def test_polygons_agree_with_the_ledger_everywhere(timeline: controlmap.Timeline, ledger) -> None:
    places, spans = ledger
    observations = _observations(places, spans)
    assert len(observations) > 5000
    result = timeline.verify(observations)
    wrong = result[~result["agrees"]]
    assert wrong.empty, (
        wrong[["place", "date", "actor", "status", "held_by", "held_status"]].head(20).to_string()
    )


def test_ledger_covers_places_events_and_pockets(ledger) -> None:
    places, spans = ledger
    assert len(places) >= 400
    assert places["place_id"].is_unique
    layer = controlmap.load_layer("places")
    known_ids = set(places["geonameid"])
    names = set(places["name"]) | {a for v in places["alt_names"] for a in v.split("|") if a}
    for row in layer.itertuples():
        assert str(row.geonameid) in known_ids or row.name in names, row.name
    points = shapely.points(places["lon"].to_numpy(), places["lat"].to_numpy())
    events = pd.read_csv(SOURCES / "events.csv")
    for e in events.dropna(subset=["lat"]).itertuples():
        near = shapely.distance(shapely.Point(e.lon, e.lat), points).min() < 0.03  # ~3 km
        assert near or e.place in names, e.place
    held = set(spans["place_id"])
    for pocket in [
        "syr_yarmouk_camp", "syr_hajar_al_aswad", "syr_tulul_al_safa",
        "syr_dashisha", "syr_uqayribat", "syr_qaryatayn",
    ]:  # fmt: skip
        matches = [p for p in held if p.startswith(pocket)]
        assert matches, pocket


def test_spans_are_well_formed(ledger) -> None:
    _, spans = ledger
    assert set(spans["status"]) <= {"control", "contested", "support"}
    assert set(spans["confidence"]) <= {"high", "medium", "low"}
    assert set(spans["start_precision"]) | set(spans["end_precision"]) <= {
        "day", "week", "month", "quarter",
    }  # fmt: skip
    assert (spans["source"].str.len() > 5).all()
    assert (spans["start"] < spans["end"]).all()
    assert (spans["end"] <= LAST_DAY).all()


def test_every_turning_point_moves_the_map(periods: gpd.GeoDataFrame) -> None:
    events = pd.read_csv(SOURCES / "events.csv", dtype={"date": str})
    located = events[
        events["lat"].notna()
        & (
            events["from_actor"].str.contains("Islamic State")
            | events["to_actor"].str.contains("Islamic State")
        )
    ]
    days = pd.to_datetime(pd.concat([periods["start"], periods["end"]]))
    geoms = pd.concat([periods.geometry, periods.geometry]).to_numpy()
    for e in located.itertuples():
        day = pd.Timestamp(e.date if len(e.date) == 10 else f"{e.date}-15")
        window = 31 if len(e.date) < 10 else 10  # a month-dated event: the whole month
        near = shapely.Point(e.lon, e.lat).buffer(0.1)  # ~10 km: town centre vs its cell
        moving = (abs(days - day) <= pd.Timedelta(days=window)).to_numpy()
        assert shapely.intersects(geoms[moving], near).any(), (e.date, e.place)


# ----------------------------------------------------------- the story's dates
def test_february_2018_deir_ez_zor_anbar_and_scattered_pockets(
    timeline: controlmap.Timeline,
) -> None:
    # The article: by February 2018, "Deir al-Zour and Anbar ... as well as a few
    # scattered pockets elsewhere".
    provinces = controlmap.load_layer("provinces")
    held = shapely.union_all(timeline.at("2018-02-01").geometry.values)
    by_province = {
        row.name_en: km2(shapely.intersection(held, row.geometry)) for row in provinces.itertuples()
    }
    total = km2(held)
    assert by_province["Deir ez-Zor"] > 500 and by_province["Al Anbar"] > 500, by_province
    elsewhere = [
        k for k, v in by_province.items() if v > 5 and k not in ("Deir ez-Zor", "Al Anbar")
    ]
    assert len(elsewhere) >= 3, by_province
    # The coalition said ~98% of the ground was lost (Feb 2018): a few thousand km².
    peak = timeline.area(start="2014-06-01", end="2016-01-01", freq="W").max().iloc[0]
    counted = timeline.area(["2018-02-01"], status=COUNTED).iloc[0, 0]
    assert counted < 0.05 * peak, (round(counted), round(peak))
    assert total > counted


# -------------------------------------------------------------- reproducibility
def _run_build(tmp_path: Path) -> tuple[Path, Path]:
    spec = importlib.util.spec_from_file_location(
        "build_islamic_state", ROOT / "tools" / "build_islamic_state.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, page = tmp_path / "islamic_state.geojson", tmp_path / "calibration.md"
    module.build(out, page)
    return out, page


def _same_features(built: dict, shipped: dict) -> list[str]:
    """Differences between two FeatureCollections, ignoring float noise below 1e-6°.

    Another GEOS / PROJ build may order vertices or round the last digit differently;
    what must not differ is a property, a date, or a shape by more than 1e-6°.
    """
    problems = []
    if [f["id"] for f in built["features"]] != [f["id"] for f in shipped["features"]]:
        return ["feature ids or their order differ"]
    for a, b in zip(built["features"], shipped["features"], strict=True):
        if a["properties"] != b["properties"]:
            problems.append(f"{a['id']}: properties differ")
        ga = shapely.normalize(shapely.geometry.shape(a["geometry"]))
        gb = shapely.normalize(shapely.geometry.shape(b["geometry"]))
        # Not equal vertex by vertex may still be the same shape drawn with other
        # vertices (a collinear point kept): accept it when no ground differs.
        if (
            not shapely.equals_exact(ga, gb, tolerance=1e-6)
            and km2(shapely.symmetric_difference(ga, gb)) > 1e-3
        ):
            problems.append(f"{a['id']}: geometry differs")
    return problems


def test_shipped_file_is_the_build_scripts_output(tmp_path: Path) -> None:
    out, page = _run_build(tmp_path)
    if out.read_bytes() == POLYGONS.read_bytes():
        pass  # identical bytes: the usual case on the machine that built the file
    else:
        built = json.loads(out.read_text(encoding="utf-8"))
        shipped = json.loads(POLYGONS.read_text(encoding="utf-8"))
        problems = _same_features(built, shipped)
        assert not problems, f"re-run tools/build_islamic_state.py: {problems[:5]}"
    built_rows, shipped_rows = _table_rows(page), _table_rows(ROOT / "docs" / "calibration.md")
    assert [r[0] for r in built_rows] == [r[0] for r in shipped_rows]
    for (_, a), (_, b) in zip(built_rows, shipped_rows, strict=True):
        assert a == pytest.approx(b, rel=1e-3, abs=1.0), "re-run tools/build_islamic_state.py"


def _table_rows(path: Path) -> list[tuple[list[str], float]]:
    """The calibration table's rows: the text cells, and the bundled value as a number.

    The support and ratio cells are left out (they follow from the data) and the bundled
    value compared with a tolerance: its last printed digit may depend on the build.
    """
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## Losses"):
            break
        if not line.startswith("| ") or line.startswith("| date"):
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        bundled = float(cells[4].replace(",", "").split()[0].rstrip("%"))
        rows.append((cells[:4] + cells[7:], bundled))
    return rows


def test_reproducibility_check_catches_a_changed_shape_or_date(raw: dict) -> None:
    shipped = json.loads(json.dumps(raw))
    assert _same_features(shipped, raw) == []
    # What another GEOS may do: start a ring elsewhere, move vertices by < 1e-6°.
    noisy = json.loads(json.dumps(raw))
    outer = noisy["features"][0]["geometry"]["coordinates"]
    while isinstance(outer[0][0][0], list):
        outer = outer[0]
    ring = outer[0][:-1]
    ring = ring[3:] + ring[:3]
    outer[0] = [[x + 4e-7, y - 4e-7] for x, y in ring + ring[:1]]
    assert noisy != raw
    assert _same_features(noisy, raw) == []
    moved = json.loads(json.dumps(raw))
    ring = moved["features"][0]["geometry"]["coordinates"]
    while isinstance(ring[0][0], list):
        ring = ring[0]
    # Move one vertex 0.01° (~1 km): a real change, far above GEOS noise.
    ring[1] = [ring[1][0] + 0.01, ring[1][1] + 0.01]
    assert _same_features(moved, raw) == [f"{raw['features'][0]['id']}: geometry differs"]
    redated = json.loads(json.dumps(raw))
    redated["features"][1]["properties"]["end"] = "2030-01-01"
    assert _same_features(redated, raw) == [f"{raw['features'][1]['id']}: properties differ"]
