"""The foreign-fighters data set: joins, qualifiers, missing figures, totals, CLI."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

import controlmap
from controlmap.cli import main
from controlmap.datasets import data_dir
from controlmap.datasets.fighters import (
    fighters_table,
    fighters_totals,
    load_fighters,
    parse_qualifiers,
)
from controlmap.errors import DataError, UnknownDatasetError

CSV = data_dir() / "fighters" / "foreign_fighters.csv"
WORLD = data_dir() / "fighters" / "world_countries_110m.geojson"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fighters"


@pytest.fixture(scope="module")
def fighters() -> gpd.GeoDataFrame:
    return controlmap.datasets.load_fighters()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    # The independent reading: plain pandas, numbers parsed by pandas itself.
    return pd.read_csv(CSV)


# ------------------------------------------------------------------ bundled copy
def test_bundled_files_match_the_hashes_in_sources_md() -> None:
    sources = (data_dir() / "fighters" / "SOURCES.md").read_text()
    assert "Soufan" in sources
    for name in ("foreign_fighters.csv", "world_countries_110m.geojson"):
        digest = hashlib.sha256((data_dir() / "fighters" / name).read_bytes()).hexdigest()
        assert f"| `{name}` | `{digest}` |" in sources, name


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside this clone")
def test_bundled_files_are_the_shared_files() -> None:
    for name in ("foreign_fighters.csv", "world_countries_110m.geojson"):
        assert (SHARED / name).read_bytes() == (data_dir() / "fighters" / name).read_bytes()


def test_load_dataset_and_path(fighters: gpd.GeoDataFrame) -> None:
    assert isinstance(fighters, gpd.GeoDataFrame)
    assert fighters.crs.to_epsg() == 4326
    assert controlmap.dataset_path("foreign-fighters") == CSV
    assert controlmap.dataset_path("islamic-state").name == "islamic_state.geojson"
    assert isinstance(controlmap.load_dataset("islamic-state"), controlmap.Timeline)
    with pytest.raises(UnknownDatasetError, match="foreign-fighters"):
        controlmap.load_dataset("no-such-set")


# ------------------------------------------------------------------ joins
def test_every_row_has_an_outline(fighters: gpd.GeoDataFrame, raw: pd.DataFrame) -> None:
    assert len(fighters) == len(raw) == 48
    assert list(fighters["iso3"]) == list(raw["iso3"])
    assert fighters.geometry.notna().all()
    assert not fighters.geometry.is_empty.any()
    assert fighters.geometry.is_valid.all()
    # The symbol's point lies on the country's own outline.
    points = gpd.GeoSeries(fighters["point"], crs=4326)
    assert fighters.geometry.intersects(points).all()
    assert np.allclose(points.x, fighters["lon"]) and np.allclose(points.y, fighters["lat"])


@pytest.mark.parametrize(
    ("iso3", "city", "lon", "lat"),
    [
        ("XKX", "Pristina", 21.166, 42.663),
        ("FRA", "Paris", 2.352, 48.857),
        ("NOR", "Oslo", 10.752, 59.913),
        ("TTO", "Port of Spain", -61.52, 10.66),
    ],
)
def test_quirky_codes_join_the_right_outline(
    fighters: gpd.GeoDataFrame, iso3: str, city: str, lon: float, lat: float
) -> None:
    row = fighters.set_index("iso3").loc[iso3]
    # The outline contains (or, at 1:110m, nearly touches) the capital.
    assert shapely.distance(row["geometry"], shapely.Point(lon, lat)) < 0.3, city


def test_kosovo_needs_the_iso3_key_not_iso_a3() -> None:
    world = gpd.read_file(WORLD)
    kosovo = world[world["name"] == "Kosovo"].iloc[0]
    assert kosovo["iso_a3"] == "-99" and kosovo["iso3"] == "XKX"
    # France and Norway, -99 in some Natural Earth releases, carry their code here.
    assert set(world.loc[world["name"].isin(["France", "Norway"]), "iso_a3"]) == {"FRA", "NOR"}
    # Joining on iso_a3 would lose Kosovo: the loader says which code is missing.
    by_iso_a3 = world.drop(columns="iso3").rename(columns={"iso_a3": "iso3"})
    with pytest.raises(DataError, match="XKX"):
        load_fighters(countries=by_iso_a3)


# ------------------------------------------------------------------ missing stays missing
def test_missing_stays_missing(fighters: gpd.GeoDataFrame, raw: pd.DataFrame) -> None:
    for figure in ("departed", "returned"):
        assert str(fighters[figure].dtype) == "Int64"
        expected_missing = raw[figure].isna().to_numpy()
        assert (fighters[figure].isna().to_numpy() == expected_missing).all()
        assert (fighters[f"{figure}_qualifier"].isna().to_numpy() == expected_missing).all()
        present = ~expected_missing
        assert (fighters[figure].to_numpy()[present] == raw[figure].to_numpy()[present]).all()
        assert not (fighters[figure].fillna(-1) == 0).any()
    # A share only where both figures exist.
    both = raw["departed"].notna() & raw["returned"].notna()
    assert (fighters["returned_share"].notna().to_numpy() == both.to_numpy()).all()
    expected = (raw["returned"] / raw["departed"])[both].to_numpy()
    assert np.allclose(fighters["returned_share"].to_numpy(float, na_value=np.nan)[both], expected)

    table = fighters_table(sort="iso3", totals=False).set_index("iso3")
    assert pd.isna(table.loc["UZB", "returned"]) and table.loc["UZB", "departed"] == 1500
    assert table["returned"].isna().sum() == raw["returned"].isna().sum()


def test_missing_written_as_empty_in_the_cli_csv(tmp_path: Path, raw: pd.DataFrame) -> None:
    out = tmp_path / "fighters.csv"
    assert main(["fighters", "-o", str(out)]) == 0
    back = pd.read_csv(out, keep_default_na=False, dtype=str).set_index("iso3")
    assert back.loc["UZB", "returned"] == "" and back.loc["AFG", "departed"] == ""
    assert (back.loc[back["row"] == "country", "returned"] == "0").sum() == 0


# ------------------------------------------------------------------ qualifiers
# Expected qualifiers read by hand from the CSV's notes (see docs/fighters.md).
EXPECTED_QUALIFIERS = {
    "ALB": (("more than", None), (None, None)),  # 'over 100'
    "AUS": (("more than", None), ("more than", None)),  # 'more than 165', 'at least 40'
    "AZE": (("range", 300), (None, None)),  # range 200-300
    "BEL": (("about", None), ("more than", None)),  # 'bijna 500', 'meer dan 102'
    "CHE": (("exact", None), ("exact", None)),
    "FRA": (("exact", None), ("exact", None)),
    "GEO": (("more than", None), ("about", None)),  # 'more than 50' remain is not returned
    "IDN": (("more than", None), (None, None)),  # '500 plus'
    "ITA": (("range", 135), (None, None)),
    "KAZ": (("about", None), (None, None)),  # bare "approx"
    "MAR": (("exact", None), ("exact", None)),  # 'nearly 200' is the article's, not 198
    "NOR": (("about", None), (None, None)),
    "SAU": (("exact", None), ("exact", None)),  # 'more than 3,000' is the article's
    "TUR": (("about", None), ("exact", None)),  # bare approx must not touch 900
    "USA": (("exact", None), ("exact", None)),  # 'more than 250 attempted' is neither
    "XKX": (("about", None), ("more than", None)),
}


@pytest.mark.parametrize("iso3", sorted(EXPECTED_QUALIFIERS))
def test_qualifiers_read_from_notes(fighters: gpd.GeoDataFrame, iso3: str) -> None:
    row = fighters.set_index("iso3").loc[iso3]
    for figure, (qualifier, high) in zip(
        ("departed", "returned"), EXPECTED_QUALIFIERS[iso3], strict=True
    ):
        got = row[f"{figure}_qualifier"]
        assert (pd.isna(got) and qualifier is None) or got == qualifier, (iso3, figure)
        got_high = row[f"{figure}_high"]
        assert (pd.isna(got_high) and high is None) or got_high == high, (iso3, figure)


WORDS = {"about": "about", "around": "about", "more than": "more than", "at least": "more than"}


@given(
    departed=st.integers(1, 100_000),
    returned=st.integers(1, 100_000),
    word=st.sampled_from(sorted(WORDS)),
    flow=st.sampled_from(["departed", "returned"]),
)
def test_a_qualified_number_qualifies_only_its_figure(
    departed: int, returned: int, word: str, flow: str
) -> None:
    number = departed if flow == "departed" else returned
    verb = "went" if flow == "departed" else "returned"
    result = parse_qualifiers(f"source: '{word} {number:,}' {verb}", departed, returned)
    assert result[flow] == (WORDS[word], None)
    other = "returned" if flow == "departed" else "departed"
    assert result[other] == ("exact", None)
    # A number that is not the figure does not qualify it.
    assert parse_qualifiers(f"'{word} {number + 1}' {verb}", departed, returned)[flow] == (
        "exact",
        None,
    )


@given(departed=st.none() | st.integers(0, 5000), returned=st.none() | st.integers(0, 5000))
def test_missing_figure_has_no_qualifier(departed: int | None, returned: int | None) -> None:
    result = parse_qualifiers("approx; lower bound", departed, returned)
    assert (result["departed"][0] is None) == (departed is None)
    assert (result["returned"][0] is None) == (returned is None)


def test_sources_and_bases_per_figure(fighters: gpd.GeoDataFrame) -> None:
    rows = fighters.set_index("iso3")
    # France: 1,910 departed is Soufan's; 271 returned is the article's.
    assert rows.loc["FRA", "departed_basis"] == "soufan_2017_via_media"
    assert rows.loc["FRA", "returned_basis"] == "article"
    assert "Washington Post" in rows.loc["FRA", "returned_source"]
    assert "Washington Post" not in rows.loc["FRA", "departed_source"]
    # A single-basis row keeps all its sources for each figure.
    assert "American Action News" in rows.loc["USA", "departed_source"]
    assert rows.loc["USA", "departed_url"].count("https://") == 2
    # The US conflict is kept in the note: 7 returned (Soufan) vs 12 (GWU).
    assert rows.loc["USA", "returned"] == 7 and "12 returnees" in rows.loc["USA", "note"]
    assert set(fighters["basis_group"].dropna()) == {"soufan", "other"}


# ------------------------------------------------------------------ totals
def _independent_totals(raw: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    group = raw["basis"].map(lambda b: "other" if b == "other" else "soufan")
    group[raw["basis"].isna()] = None
    out = {}
    for name in ("soufan", "other"):
        for figure in ("departed", "returned"):
            values = raw.loc[group == name, figure].dropna()
            out[(name, figure)] = (int(values.sum()), len(values))
    return out


def test_totals_against_pandas(raw: pd.DataFrame) -> None:
    expected = _independent_totals(raw)
    totals = fighters_totals().set_index(["basis_group", "figure"])
    for key, (total, countries) in expected.items():
        assert totals.loc[key, "total"] == total
        assert totals.loc[key, "countries"] == countries
    table = fighters_table()
    total_rows = table[table["row"] == "total"].set_index("basis_group")
    for (group, figure), (total, countries) in expected.items():
        assert total_rows.loc[group, figure] == total
        assert total_rows.loc[group, f"{figure}_countries"] == countries
    # There is no grand total across bases.
    assert len(total_rows) == 2
    # The country rows are the 48 countries, each once.
    assert sorted(table.loc[table["row"] == "country", "iso3"]) == sorted(raw["iso3"])


def test_totals_of_the_article_map_only(raw: pd.DataFrame) -> None:
    on_map = raw[raw["on_article_map"] == "yes"]
    assert len(on_map) == 46
    expected = _independent_totals(on_map)
    totals = fighters_totals(article_map_only=True).set_index(["basis_group", "figure"])
    for key, (total, countries) in expected.items():
        assert (totals.loc[key, "total"], totals.loc[key, "countries"]) == (total, countries)
    assert expected != _independent_totals(raw)  # Jordan and Tajikistan are left out


def test_table_sorting(raw: pd.DataFrame) -> None:
    table = fighters_table(sort="returned")
    countries = table[table["row"] == "country"]
    assert countries.iloc[0]["iso3"] == raw.loc[raw["returned"].idxmax(), "iso3"]
    values = countries["returned"].dropna().to_numpy(int)
    assert (np.diff(values) <= 0).all()
    # Missing figures sort last, not as zero.
    assert countries["returned"].isna().to_numpy()[len(values) :].all()
    with pytest.raises(DataError, match="cannot sort"):
        fighters_table(sort="population")


# ------------------------------------------------------------------ errors
def test_bad_rows_raise_one_line_errors(tmp_path: Path) -> None:
    text = CSV.read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[2]  # Albania
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "\n" + first.replace(",100,", ",about 100,", 1) + "\n")
    with pytest.raises(DataError) as error:
        load_fighters(bad)
    message = str(error.value)
    assert "bad.csv" in message and "ALB" in message and "\n" not in message
    bad.write_text(header + "\n" + first.replace("ALB", "ZZZ", 1) + "\n")
    with pytest.raises(DataError, match="ZZZ"):
        load_fighters(bad)


# ------------------------------------------------------------------ CLI
def test_cli_fighters_csv(tmp_path: Path, raw: pd.DataFrame) -> None:
    out = tmp_path / "table.csv"
    assert main(["fighters", "--sort", "returned", "-o", str(out)]) == 0
    back = pd.read_csv(out)
    assert back.loc[0, "country"] == raw.loc[raw["returned"].idxmax(), "country"]
    totals = back[back["row"] == "total"].set_index("basis_group")
    for (group, figure), (total, countries) in _independent_totals(raw).items():
        assert totals.loc[group, figure] == total
        assert totals.loc[group, f"{figure}_countries"] == countries


def test_cli_errors_exit_2_with_one_line() -> None:
    for argv in (
        ["area", "foreign-fighters"],
        ["fighters-map", "-o", "/tmp/x.txt"],
        ["fighters", "-o", "/tmp/x.json"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "controlmap.cli", *argv], capture_output=True, text=True
        )
        assert done.returncode == 2, argv
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "controlmap.cli", "info", "foreign-fighters"],
        capture_output=True,
        text=True,
    )
    assert "not a timeline" in done.stderr


def test_docs_state_the_computed_totals() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "fighters.md").read_text()
    for row in fighters_totals().itertuples():
        assert f"| {row.total:,}" in docs, row
    for row in fighters_totals(article_map_only=True).itertuples():
        if row.basis_group == "soufan":
            assert f"({row.total:,})" in docs and f"({row.countries})" in docs, row


@pytest.mark.render
def test_cli_fighters_map(tmp_path: Path) -> None:
    html = tmp_path / "map.html"
    assert main(["fighters-map", "-o", str(html)]) == 0
    assert "L.circleMarker" in html.read_text(encoding="utf-8")
    png = tmp_path / "map.png"
    assert main(["fighters-map", "-o", str(png), "--region=-20,25,60,70", "--arcs"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["fighters-map", "-o", str(png), "--region", "1,2,3"]) == 2
