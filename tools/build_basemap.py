"""Copy the base-map layers controlmap ships from the shared boundary files.

Reads the Natural Earth and GeoNames extracts in ``../shared/data/boundaries`` (see
``data/basemap/SOURCES.md`` for their origin) and writes the four layers of
``data/basemap/``: ``countries``, ``provinces``, ``places`` and ``rivers``.
Geometry is copied as is (no simplification); only the attributes are chosen, renamed
and, for places, two sources are merged. Run once when the shared files change::

    python tools/build_basemap.py [--source ../shared/data/boundaries]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "boundaries"
OUT = ROOT / "data" / "basemap"

#: GeoNames towns kept when smaller than ``GEONAMES_MIN_POPULATION``: the places the
#: ledger and the story name (GeoNames spelling), so maps can label them.
KEY_TOWNS = {
    "Tall Abyaḑ",
    "‘Ayn al ‘Arab",
    "Jarābulus",
    "Al Bāb",
    "Rāwah",
    "Al Qā’im",
    "Hajīn",
    "Ash Shaddādah",
    "As Sukhnah",
    "Markadah",
    "Maskanah",
    "Tall ‘Afar",
    "Sinjār",
    "Al Qayyārah",
    "Al Ḩawījah",
    "‘Anah",
    "Hīt",
    "Ḩadīthah",
    "Ma‘dān",
    "As Sabkhah",
    "‘Ayn ‘Īsá",
    "Al Mayādīn",
    "Ālbū Kamāl",
    "Al Qaryatayn",
    "Tadmur",
    "Al-Tabqa",
    "Ra’s al ‘Ayn",
    "Tall Tamr",
    "Akhtarīn",
    "Dayr Ḩāfir",
    "‘Uqayribāt",
    "Ar Ruţbah",
    "Bayjī",
    "Ash Sharqāt",
    "Tikrīt",
    "Tallkayf",
    "Al Khafsah",
    "Khanāşir",
    "As Sūsah",
}
GEONAMES_MIN_POPULATION = 20_000
#: A GeoNames town this close (km) to a Natural Earth place is the same place.
SAME_PLACE_KM = 5.0
#: Places in the control ledger that GeoNames cities500 lacks (coordinates as in the
#: ledger: Wikipedia for al-Baghuz Fawqani, Wikimapia for Dabiq).
LEDGER_PLACES = [
    ("Al-Baghuz Fawqani", "SYR", 40.95056, 34.45861, "Wikipedia (via events.csv)"),
    ("Dabiq", "SYR", 37.2669, 36.5372, "Wikimapia (via events.csv)"),
]
ISO2_TO_ISO3 = {"IQ": "IRQ", "SY": "SYR"}


def countries(source: Path) -> gpd.GeoDataFrame:
    """Admin-0 outlines at 1:10m with the richer 1:50m attributes joined on ISO A3."""
    ten = gpd.read_file(source / "admin0_countries_ne10m.geojson")
    fifty = gpd.read_file(source / "admin0_countries_ne50m.geojson")
    extra = ["name_long", "formal_en", "adm0_a3", "continent", "subregion", "pop_est", "pop_year"]
    joined = ten[["name", "iso_a3", "iso_a2", "iso_n3", "role", "geometry"]].merge(
        pd.DataFrame(fifty[["iso_a3", *extra]]), on="iso_a3", how="left"
    )
    return joined[["name", "iso_a3", "iso_a2", "iso_n3", "role", *extra, "geometry"]]


def provinces(source: Path) -> gpd.GeoDataFrame:
    """Admin-1 provinces of Iraq and Syria (Natural Earth v5 attributes)."""
    frame = gpd.read_file(source / "admin1_irq_syr_ne10m_v5.geojson")
    frame = frame.rename(columns={"admin": "country"})
    keep = [
        "adm1_code", "iso_3166_2_official", "iso_3166_2", "name", "name_en", "name_ar",
        "type_en", "adm0_a3", "country", "wikidataid", "area_km2", "note", "geometry",
    ]  # fmt: skip
    return frame[keep]


def places(source: Path) -> gpd.GeoDataFrame:
    """Natural Earth populated places plus the larger and the story's GeoNames towns."""
    ne = gpd.read_file(source / "places_irq_syr_ne10m.geojson")
    ne_rows = pd.DataFrame(
        {
            "name": ne["name_en"].fillna(ne["name"]),
            "country": ne["adm0_a3"],
            "population": ne["pop_max"].astype("int64"),
            "source": "Natural Earth populated places",
            "geonameid": ne["geonameid"].astype("Int64"),
            "geometry": ne.geometry,
        }
    )
    gn = gpd.read_file(source / "places_irq_syr_geonames500.geojson")
    wanted = (gn["population"] >= GEONAMES_MIN_POPULATION) | gn["name"].isin(KEY_TOWNS)
    gn = gn[wanted & ~gn["geonameid"].isin(ne["geonameid"])]
    gn = gn.sort_values(["population", "geonameid"], ascending=[False, True])
    # GeoNames often lists a city twice (a district and the city, or two spellings) a
    # few km apart: keep a town only if it is farther than SAME_PLACE_KM from every
    # Natural Earth place and every larger town already kept. Distances in metres.
    metric = "+proj=laea +lat_0=35 +lon_0=41 +datum=WGS84 +units=m"
    kept_points = list(gpd.GeoSeries(ne.geometry, crs=4326).to_crs(metric))
    keep = []
    for point in gn.geometry.to_crs(metric):
        far = all(point.distance(other) > SAME_PLACE_KM * 1000 for other in kept_points)
        keep.append(far)
        if far:
            kept_points.append(point)
    gn = gn[keep]
    gn_rows = pd.DataFrame(
        {
            "name": gn["name"],
            "country": gn["countrycode"].map(ISO2_TO_ISO3),
            "population": gn["population"].astype("int64"),
            "source": "GeoNames (www.geonames.org), CC BY 4.0",
            "geonameid": gn["geonameid"].astype("Int64"),
            "geometry": gn.geometry,
        }
    )
    ledger_rows = pd.DataFrame(
        {
            "name": [p[0] for p in LEDGER_PLACES],
            "country": [p[1] for p in LEDGER_PLACES],
            "population": pd.array([None] * len(LEDGER_PLACES), dtype="Int64"),
            "source": [p[4] for p in LEDGER_PLACES],
            "geonameid": pd.array([None] * len(LEDGER_PLACES), dtype="Int64"),
            "geometry": [shapely.Point(p[2], p[3]) for p in LEDGER_PLACES],
        }
    )
    merged = pd.concat([ne_rows, gn_rows, ledger_rows], ignore_index=True)
    merged = merged.sort_values(
        ["country", "population", "name"], ascending=[True, False, True], na_position="last"
    )
    return gpd.GeoDataFrame(merged.reset_index(drop=True), geometry="geometry", crs=4326)


def rivers(source: Path) -> gpd.GeoDataFrame:
    """River centre lines of the region (not clipped)."""
    frame = gpd.read_file(source / "rivers_region_ne10m.geojson")
    return frame[["name", "name_en", "name_common", "featurecla", "scalerank", "geometry"]]


def _write(frame: gpd.GeoDataFrame, path: Path, decimals: int, name: str) -> None:
    """Write a FeatureCollection with rounded coordinates, RFC 7946 ring order, no crs."""
    geoms = shapely.orient_polygons(frame.geometry.values, exterior_cw=False)
    features = []
    for (_, row), geom in zip(frame.drop(columns="geometry").iterrows(), geoms, strict=True):
        props: dict[str, Any] = {}
        for key, value in row.items():
            props[key] = (
                None if pd.isna(value) else value.item() if hasattr(value, "item") else value
            )
        gj = json.loads(shapely.to_geojson(geom))
        gj["coordinates"] = _round(gj["coordinates"], decimals)
        features.append({"type": "Feature", "properties": props, "geometry": gj})
    lines = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    path.write_text(
        f'{{"type":"FeatureCollection","name":"{name}","features":[\n{lines}\n]}}\n',
        encoding="utf-8",
    )


def _round(coords: Any, decimals: int) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, decimals) for c in coords]
    return [_round(c, decimals) for c in coords]


def main(argv: list[str] | None = None) -> None:
    """Build ``data/basemap`` from the shared boundary extracts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    # Source precision is kept: 5 decimals for the 10m outlines, rivers and places,
    # 6 for the provinces (as published in the shared extracts).
    _write(countries(args.source), OUT / "countries.geojson", 5, "countries")
    _write(provinces(args.source), OUT / "provinces.geojson", 6, "provinces")
    _write(places(args.source), OUT / "places.geojson", 5, "places")
    _write(rivers(args.source), OUT / "rivers.geojson", 5, "rivers")


if __name__ == "__main__":
    main()
