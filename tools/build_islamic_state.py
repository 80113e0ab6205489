"""Build the bundled Islamic State timeline from the ledger and the hand-drawn zones.

Inputs (all in the repository, no network):

* ``data/sources/zones.geojson`` -- schematic zones drawn by hand: points, lines
  (buffered by ``buffer_km``) and polygons, in priority order. ``role = "excluded"``
  marks ground never held in this reconstruction (a besieged government enclave,
  Baghdad...), cut out of every zone.
* ``data/sources/holdings.csv`` -- when each zone was held: ``start`` (inclusive),
  ``end`` (exclusive), the ledger rows the dates rest on, a confidence and a note.
* ``data/sources/events.csv`` -- the ledger of dated changes of control.
* ``data/sources/area_figures.csv`` -- published area figures, for calibration.
* ``data/basemap/countries.geojson`` -- Iraq and Syria, to clip to.
* ``data/basemap/rivers.geojson`` -- the Euphrates and the Tigris: a line zone with a
  ``river`` property is the river between the points nearest its first and last
  vertices, so valley zones follow the real river, not a straight line between towns.

The zones are made disjoint (each zone minus the excluded ground and minus every zone
before it), so the periods of the one actor can never overlap, whatever the dates.
Each holding row becomes one control period. The output is
``data/polygons/islamic_state.geojson`` and the calibration table
``docs/calibration.md``; the table is also printed::

    python tools/build_islamic_state.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import Geod, Transformer

ROOT = Path(__file__).resolve().parents[1]
ACTOR = "Islamic State"
#: Every coordinate lies on this grid (degrees, ~1 m); the overlay operations run on
#: it too, so the zones share their edges exactly and stay disjoint after rounding.
GRID = 1e-5
DECIMALS = 5
#: Buffered shapes are thinned to this tolerance (degrees, ~300 m) before overlay:
#: finer detail means nothing for schematic zones and would only bloat the file.
SIMPLIFY_DEG = 0.003
#: Buffers are drawn in metres in an equal-area projection centred on the region.
METRIC_CRS = "+proj=laea +lat_0=35 +lon_0=41 +datum=WGS84 +units=m +no_defs"
#: Tolerance of the calibration against the published totals.
TOLERANCE = 0.15
#: Scopes calibrated against (the others are shown for comparison only).
CALIBRATED = {"held:IRQ+SYR", "held:IRQ (peak)", "held:SYR"}
#: Figures shown but not calibrated against: a different definition of control.
NOT_CALIBRATED_PUBLISHERS = ("Syrian Observatory",)
GEOD = Geod(ellps="WGS84")


class Paths:
    """Where the inputs are read from: a repository checkout (default: this one)."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root

    @property
    def zones(self) -> Path:
        return self.root / "data" / "sources" / "zones.geojson"

    @property
    def holdings(self) -> Path:
        return self.root / "data" / "sources" / "holdings.csv"

    @property
    def events(self) -> Path:
        return self.root / "data" / "sources" / "events.csv"

    @property
    def figures(self) -> Path:
        return self.root / "data" / "sources" / "area_figures.csv"

    @property
    def countries(self) -> Path:
        return self.root / "data" / "basemap" / "countries.geojson"

    @property
    def rivers(self) -> Path:
        return self.root / "data" / "basemap" / "rivers.geojson"


# ------------------------------------------------------------------------- geometry
def geodesic_km2(geom: shapely.Geometry) -> float:
    """Geodesic area of a lon/lat geometry on the WGS84 ellipsoid, in km².

    Examples
    --------
    >>> round(geodesic_km2(shapely.box(40, 34, 41, 35)) / 1000)
    10
    """
    if geom is None or geom.is_empty:
        return 0.0
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def river_lines(rivers: gpd.GeoDataFrame) -> dict[str, list[shapely.LineString]]:
    """The rivers of the base map as lists of merged lines, keyed by common name.

    Natural Earth splits a river at its lakes and leaves tiny loops where channels
    meet; a loop makes a node of three lines, which stops ``line_merge``, so loops and
    stubs shorter than ~5 km are dropped before merging.

    Examples
    --------
    >>> frame = gpd.GeoDataFrame({"name_common": ["R", "R"]}, geometry=[
    ...     shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(1, 0), (2, 0)])])
    >>> [line.length for line in river_lines(frame)["R"]]
    [2.0]
    """
    out: dict[str, list[shapely.LineString]] = {}
    named = rivers[rivers["name_common"].notna()]
    for name, group in named.groupby("name_common"):
        parts = shapely.get_parts(shapely.line_merge(shapely.union_all(group.geometry.values)))
        kept = [p for p in parts if not p.is_closed and p.length > 0.05]
        merged = shapely.line_merge(shapely.MultiLineString(kept))
        out[str(name)] = list(shapely.get_parts(merged))
    return out


def follow_river(
    line: shapely.LineString, river: list[shapely.LineString], zone: str
) -> shapely.Geometry:
    """The stretch of ``river`` between the points nearest ``line``'s two ends.

    Raises ValueError when an end lies more than ~10 km from the river: the zone was
    then drawn for another stretch or another river.
    """
    start, end = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
    part = min(river, key=lambda p: p.distance(start) + p.distance(end))
    if max(part.distance(start), part.distance(end)) > 0.1:
        raise ValueError(f"zones.geojson: zone {zone!r} does not start and end on its river")
    a, b = sorted((part.project(start), part.project(end)))
    return shapely.ops.substring(part, a, b)


def draw_zones(
    zones: gpd.GeoDataFrame,
    countries: dict[str, shapely.Geometry],
    rivers: dict[str, list[shapely.LineString]] | None = None,
) -> pd.Series:
    """Turn the hand-drawn shapes into disjoint zone polygons, keyed by zone id.

    Parameters
    ----------
    zones : GeoDataFrame
        Rows in priority order with ``zone``, ``country`` (``IRQ``, ``SYR``),
        ``role`` (``held`` / ``excluded``), ``buffer_km`` (0 for polygons) and
        optionally ``river`` (a key of ``rivers``: the line follows that river).
    countries : dict
        ISO A3 -> country outline, used to clip each zone to its country.
    rivers : dict, optional
        River name -> merged lines, from :func:`river_lines`.

    Returns
    -------
    Series
        Zone id -> (Multi)Polygon for the ``held`` zones, on the ``GRID``.
    """
    to_metric = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)
    to_lonlat = Transformer.from_crs(METRIC_CRS, 4326, always_xy=True)
    country_grid = {k: shapely.set_precision(v, GRID) for k, v in countries.items()}

    def shape(row: pd.Series) -> shapely.Geometry:
        geom = row.geometry
        river = row.get("river")
        if isinstance(river, str) and river:
            if rivers is None or river not in rivers:
                raise ValueError(f"zones.geojson: zone {row.zone!r}: unknown river {river!r}")
            geom = follow_river(geom, rivers[river], row.zone)
        if row.buffer_km > 0:
            metric = shapely.transform(geom, lambda xy: np.column_stack(to_metric.transform(*xy.T)))
            # quad_segs=4: round ends need no more for a schematic corridor.
            metric = shapely.buffer(metric, row.buffer_km * 1000.0, quad_segs=4)
            geom = shapely.transform(metric, lambda xy: np.column_stack(to_lonlat.transform(*xy.T)))
            geom = shapely.simplify(geom, SIMPLIFY_DEG)
        geom = shapely.set_precision(shapely.make_valid(geom), GRID)
        return shapely.intersection(geom, country_grid[row.country], grid_size=GRID)

    excluded = shapely.union_all(
        [shape(r) for _, r in zones[zones.role == "excluded"].iterrows()], grid_size=GRID
    )
    taken = excluded
    out: dict[str, shapely.Geometry] = {}
    for _, row in zones[zones.role == "held"].iterrows():
        raw = shape(row)
        piece = shapely.difference(raw, taken, grid_size=GRID)
        taken = shapely.union(taken, raw, grid_size=GRID)
        out[row.zone] = _polygonal(piece)
    return pd.Series(out, dtype=object)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts (overlay on a grid can leave stray lines)."""
    parts = [
        g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon) and not g.is_empty
    ]
    if not parts:
        return shapely.Polygon()
    merged = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return shapely.orient_polygons(merged, exterior_cw=False)


# ------------------------------------------------------------------------ periods
def _event_index(events: pd.DataFrame) -> dict[str, Any]:
    """Ledger rows keyed ``date|place``, the form holdings.csv refers to them by."""
    return {f"{r.date}|{r.place}": r for r in events.itertuples(index=False)}


def _check_ref(ref: Any, date: Any, index: dict[str, Any], what: str) -> Any:
    """Return the ledger row a holding date rests on, checking the dates agree."""
    if not isinstance(ref, str) or not ref:
        return None
    if ref not in index:
        raise ValueError(f"holdings.csv: {what} {ref!r} is not a row of events.csv")
    event = index[ref]
    # Month-precision ledger dates ("2014-10") may stand for any day of that month.
    if not str(date).startswith(str(event.date)):
        raise ValueError(f"holdings.csv: {what} {ref!r} does not match date {date}")
    return event


def build_periods(
    zones: pd.Series, holdings: pd.DataFrame, events: pd.DataFrame, country_of: dict[str, str]
) -> gpd.GeoDataFrame:
    """One control period per holding row, with its provenance.

    Parameters
    ----------
    zones : Series
        Zone id -> geometry, from :func:`draw_zones`.
    holdings : DataFrame
        ``zone, start, end, start_event, end_event, confidence, note, sources``
        (``sources``: publications outside the ledger, ``;``-separated, may be empty).
    events : DataFrame
        The ledger; ``start_event`` / ``end_event`` name its rows as ``date|place``.
    country_of : dict
        Zone id -> ISO A3 of the country it lies in.
    """
    index = _event_index(events)
    rows = []
    for h in holdings.itertuples(index=False):
        if h.zone not in zones.index:
            raise ValueError(f"holdings.csv: zone {h.zone!r} is not in zones.geojson")
        geom = zones[h.zone]
        if geom.is_empty:
            raise ValueError(f"zone {h.zone!r} is empty once the zones before it are cut out")
        if not h.start < h.end:
            raise ValueError(f"holdings.csv: zone {h.zone!r} ends before it starts")
        refs = [
            _check_ref(h.start_event, h.start, index, "start_event"),
            _check_ref(h.end_event, h.end, index, "end_event"),
        ]
        titles = list(dict.fromkeys(e.source_title for e in refs if e is not None))
        # Publications a date rests on that are not ledger rows (the 2018 Anbar pockets).
        extra = getattr(h, "sources", "")
        titles += [t.strip() for t in str(extra).split(";") if t.strip()]
        dated = "; ".join(titles) if titles else "public news reporting (dates not in the ledger)"
        source = (
            f"{dated}. Shape: schematic zone '{h.zone}' (controlmap, data/sources/zones.geojson)"
        )
        rows.append(
            {
                "id": f"{h.zone}/{h.start}",
                "actor": ACTOR,
                "start": h.start,
                "end": h.end,
                "status": "control",
                "confidence": h.confidence,
                "source": source,
                "note": h.note if isinstance(h.note, str) and h.note else "",
                "zone": h.zone,
                "country": country_of[h.zone],
                "geometry": geom,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    return frame.sort_values(["start", "zone"], kind="stable").reset_index(drop=True)


def write_geojson(periods: gpd.GeoDataFrame, path: Path) -> None:
    """Write the periods as an RFC 7946 FeatureCollection, one feature per line."""
    keys = ["actor", "start", "end", "status", "confidence", "source", "note", "zone", "country"]
    lines = []
    for row in periods.itertuples(index=False):
        geometry = json.loads(shapely.to_geojson(row.geometry))
        geometry["coordinates"] = _round(geometry["coordinates"])
        props = {k: getattr(row, k) for k in keys}
        feature = {"type": "Feature", "id": row.id, "properties": props, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'{{"type":"FeatureCollection","name":"islamic_state",\n"features":[\n{body}\n]}}\n',
        encoding="utf-8",
    )


def _round(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, DECIMALS) for c in coords]
    return [_round(c) for c in coords]


# --------------------------------------------------------------------- calibration
def held_km2(
    periods: gpd.GeoDataFrame, area_km2: np.ndarray, date: str, country: str | None = None
) -> float:
    """Area held at ``date`` (km²), optionally in one country; periods are disjoint."""
    active = (periods["start"] <= date) & (periods["end"] > date)
    if country is not None:
        active &= periods["country"] == country
    return float(area_km2[active.to_numpy()].sum())


def _day(date: str) -> str:
    """A day for a figure dated to the month: the 15th (mid-month)."""
    return date if len(date) == 10 else f"{date}-15"


def calibration_table(
    periods: gpd.GeoDataFrame, figures: pd.DataFrame, iraq_km2: float
) -> pd.DataFrame:
    """Each published figure beside the bundled data's equivalent.

    Areas are compared directly for the ``held:*`` scopes. For ``lost_since_*`` the
    equivalent is the data's Aug-2014 area minus its area at the date; for the
    percentage scopes the data's percentage (lost since its own peak, held of the
    country, whose area is ``iraq_km2``). Only ``CALIBRATED`` scopes get a pass/fail
    verdict.
    """
    area = np.array([geodesic_km2(g) for g in periods.geometry])
    change_days = sorted(set(periods["start"]) | set(periods["end"]))

    def at(date: str, country: str | None) -> float:
        return held_km2(periods, area, date, country)

    def peak(country: str | None) -> float:
        return max(at(d, country) for d in change_days)

    rows = []
    for f in figures.itertuples(index=False):
        scope, day = f.scope, _day(str(f.date))
        region = scope.split(":", 1)[1].split(" ", 1)[0]
        country = None if region == "IRQ+SYR" else region
        published: float | None = None if pd.isna(f.area_km2) else float(f.area_km2)
        unit, bundled, verdict = "km²", float("nan"), ""
        if scope.startswith("held:"):
            bundled = at(day, country)
            if scope in CALIBRATED and not str(f.publisher).startswith(NOT_CALIBRATED_PUBLISHERS):
                verdict = _verdict(published, bundled)
            else:
                verdict = "shown only (other definition)"
        elif scope.startswith("lost_since_"):
            bundled = at("2014-08-15", country) - at(day, country)
            verdict = "shown only (other definition)"
        else:
            unit = "%"
            pct = str(f.note).split("pct_lost=" if "pct_lost=" in str(f.note) else "pct_held=")[1]
            published = float(pct.split()[0].rstrip(".;,("))
            if scope.startswith("held_pct_of_country"):
                bundled = 100.0 * at(day, country) / iraq_km2
            elif scope.startswith("lost_pct:"):
                # A quarterly figure (IHS): the share lost during the quarter of the date.
                quarter = pd.Period(str(f.date), freq="Q")
                first = quarter.start_time.strftime("%Y-%m-%d")
                last = quarter.end_time.strftime("%Y-%m-%d")
                bundled = 100.0 * (1 - at(last, country) / at(first, country))
            else:
                bundled = 100.0 * (1 - at(day, country) / peak(country))
            verdict = "shown only"
        rows.append(
            {
                "date": str(f.date),
                "day used": day,
                "scope": scope,
                "publisher": f.publisher,
                "published": published,
                "bundled": bundled,
                "unit": unit,
                "ratio": (bundled / published) if published else float("nan"),
                "check": verdict,
                "source": f.source_title,
            }
        )
    return pd.DataFrame(rows)


def _verdict(published: float | None, bundled: float) -> str:
    if published is None:
        return ""
    if published == 0:
        return "pass" if bundled == 0 else "FAIL"
    return "pass" if abs(bundled / published - 1) <= TOLERANCE else "FAIL"


def calibration_markdown(table: pd.DataFrame) -> str:
    """The calibration table as the Markdown page ``docs/calibration.md``."""

    def num(value: float, unit: str) -> str:
        if pd.isna(value):
            return ""
        return f"{value:,.1f}" if unit == "%" or abs(value) < 100 else f"{value:,.0f}"

    lines = [
        "# Calibration of the bundled Islamic State timeline",
        "",
        "Generated by `tools/build_islamic_state.py`; do not edit by hand.",
        "",
        "Each published figure from `data/sources/area_figures.csv` beside the bundled",
        "data's equivalent at the same date: geodesic area on the WGS84 ellipsoid",
        "(`pyproj.Geod`) of the periods active that day. Figures dated to a month are",
        "compared on the 15th. `held:*` figures of IHS Conflict Monitor, the US",
        f"Department of Defense and the 2019 reports are calibration targets (±{TOLERANCE:.0%});",
        "the others measure something else and are shown for comparison only:",
        "",
        "* SOHR's 95,000 km² (May 2015) counts the empty Syrian desert; IHS and this data",
        "  count only ground the group dominated.",
        "* `lost_since_2014-08` (US/Global Coalition 'areas of influence', populated areas",
        "  only): the bundled equivalent is its own Aug-2014 area minus its area that day.",
        "* Percentages: lost since the data's own peak, or held of Iraq's area.",
        "",
        "| date | scope | publisher | published | bundled | ratio | check | source |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for r in table.itertuples(index=False):
        unit = "%" if r.unit == "%" else " km²"
        pub = "" if r.published is None or pd.isna(r.published) else num(r.published, r.unit) + unit
        ratio = "" if pd.isna(r.ratio) else f"{r.ratio:.2f}"
        cells = [
            r.date, f"`{r.scope}`", r.publisher, pub, num(r.bundled, r.unit) + unit, ratio,
            r.check, r.source,
        ]  # fmt: skip
        # A "|" inside a cell (one source title has one) would split the row.
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    calibrated = table[table["check"].isin(["pass", "FAIL"])]
    lines += [
        "",
        f"{(calibrated['check'] == 'pass').sum()} of {len(calibrated)} calibration targets "
        "within tolerance.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- build
def build(
    output: Path | None = None,
    calibration: Path | None = None,
    *,
    paths: Paths | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Build the periods, write them to ``output`` and the table to ``calibration``.

    Parameters
    ----------
    output : Path, optional
        GeoJSON file to write (skipped if None).
    calibration : Path, optional
        Markdown calibration page to write (skipped if None).
    paths : Paths, optional
        Where the inputs are (default: this repository).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The periods and the calibration table.
    """
    paths = paths or Paths()
    zones = gpd.read_file(paths.zones)
    holdings = pd.read_csv(paths.holdings, dtype=str, keep_default_na=False)
    events = pd.read_csv(paths.events, dtype=str, keep_default_na=False)
    figures = pd.read_csv(paths.figures, dtype={"date": str})
    countries = gpd.read_file(paths.countries)
    outlines = {
        iso: countries.loc[countries.iso_a3 == iso].geometry.iloc[0] for iso in ("IRQ", "SYR")
    }
    zones["buffer_km"] = zones["buffer_km"].astype(float)
    drawn = draw_zones(zones, outlines, river_lines(gpd.read_file(paths.rivers)))
    country_of = dict(zip(zones["zone"], zones["country"], strict=True))
    periods = build_periods(drawn, holdings, events, country_of)
    table = calibration_table(periods, figures, geodesic_km2(outlines["IRQ"]))
    if output is not None:
        write_geojson(periods, output)
    if calibration is not None:
        calibration.parent.mkdir(parents=True, exist_ok=True)
        calibration.write_text(calibration_markdown(table), encoding="utf-8")
    return periods, table


def _print_table(table: pd.DataFrame) -> None:
    shown = table[["date", "scope", "published", "bundled", "unit", "ratio", "check"]]
    with pd.option_context("display.width", 160, "display.max_colwidth", 40):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: build the file and print the calibration table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=ROOT / "data" / "polygons" / "islamic_state.geojson"
    )
    parser.add_argument("--calibration", type=Path, default=ROOT / "docs" / "calibration.md")
    args = parser.parse_args(argv)
    periods, table = build(args.output, args.calibration)
    _print_table(table)
    changes = sorted(set(periods["start"]) | set(periods["end"]))
    print(f"{len(periods)} periods, {len(changes)} change dates, {args.output}")


if __name__ == "__main__":
    main()
