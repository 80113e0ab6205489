"""Build the bundled Islamic State timeline from the place-by-place control ledger.

Inputs (all in the repository, no network):

* ``data/sources/ledger/places_*.csv`` -- every place of the ledger (towns, villages,
  urban sectors, bases, sites, desert stretches) with its point and reach.
* ``data/sources/ledger/spans_*.csv`` -- when the Islamic State held each place, with
  the status (``control`` / ``contested`` / ``support``), the dates and their
  precision, the sources and a confidence.
* ``data/sources/borders_osm.geojson`` -- the land borders of Iraq, Syria and Lebanon
  (OpenStreetMap contributors, ODbL), to clip to.
* ``data/sources/area_figures.csv`` -- published area figures, for calibration.

Method: every place gets a **cell** of ground, the part of its country nearer to it
than to any other place of the ledger (a Voronoi cell), no farther from it than its
reach. The cells tile the ground without overlapping, so each span of the ledger
becomes one control period whose geometry is its place's cell: the map on any date is
the union of the cells of the places held that day, and a place lies in the Islamic
State's ground exactly while the ledger says it was held. Places never held stop the
ground from flowing over them. The output is ``data/polygons/islamic_state.geojson``
and the calibration page ``docs/calibration.md``; the table is also printed::

    python tools/build_islamic_state.py
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

ROOT = Path(__file__).resolve().parents[1]
ACTOR = "Islamic State"
#: Every coordinate lies on this grid (degrees, ~1 m).
GRID = 1e-5
DECIMALS = 5
#: Cells are drawn in metres in an equal-area projection centred on the region.
METRIC_CRS = "+proj=laea +lat_0=35 +lon_0=41 +datum=WGS84 +units=m +no_defs"
#: Radius of the ground a place stands for when its row gives no ``reach_km``.
DEFAULT_REACH_KM = {
    "city": 12.0,
    "town": 10.0,
    "village": 6.0,
    "district": 3.0,
    "base": 6.0,
    "site": 8.0,
    "desert": 25.0,
}
#: Calibration (docs/calibration.md): how far a place's ground reaches is the least
#: known quantity of the reconstruction, the extent of a stretch of desert above all.
#: Reaches are scaled so that the areas match the published IHS figures: the default
#: reaches of inhabited places by a factor per country, desert points by a factor per
#: ledger region (a reach the ledger gives for a place is kept as it is). The
#: open deserts of Anbar and the Syrian steppe are ``support`` in the ledger, not
#: counted in the published figures, and keep the reach their compilers gave them.
PLACE_SCALE = {"IRQ": 1.8, "SYR": 1.3, "LBN": 1.3}
DESERT_SCALE = {"iraq_north": 0.77, "syria_north": 0.5, "syria_east": 1.5}
#: Circles are drawn with this many segments per quarter: enough for a smooth outline
#: at the scale of a country map, few enough to keep the file small.
QUAD_SEGS = 6
#: Two neighbours are joined by a band of ground when they are no farther apart than
#: this many times the sum of their reaches (villages 6 + 6 km: up to 18 km apart before scaling).
NEIGHBOUR_SPAN = 1.5
#: A band between two neighbours is this share of the smaller reach wide (half-width).
BAND_SHARE = 0.5
#: Cell outlines are thinned to this tolerance (metres) before they are written.
SIMPLIFY_M = 150.0
STATUSES = ("control", "contested", "support")
#: Tolerance of the calibration against the published totals.
TOLERANCE = 0.10
#: Tolerance of the losses between consecutive IHS figures against IHS's own.
LOSS_TOLERANCE = 0.40
#: Statuses a published "held" figure is compared with: IHS and the coalition counted
#: ground the group held, fought over or not (contested included), not the desert it
#: merely roamed (support), which is reported beside the table.
COUNTED = ("control", "contested")
IHS = "IHS Conflict Monitor"
#: The territorial era ends with the fall of al-Baghuz.
LAST_DAY = "2019-03-23"
GEOD = Geod(ellps="WGS84")
ISO = {"IRQ": "IRQ", "SYR": "SYR", "LBN": "LBN"}


class Paths:
    """Where the inputs are read from: a repository checkout (default: this one)."""

    def __init__(self, root: Path = ROOT, ledger: Path | None = None) -> None:
        self.root = root
        self.ledger = ledger or root / "data" / "sources" / "ledger"

    @property
    def borders(self) -> Path:
        return self.root / "data" / "sources" / "borders_osm.geojson"

    @property
    def figures(self) -> Path:
        return self.root / "data" / "sources" / "area_figures.csv"


# --------------------------------------------------------------------------- ledger
def read_ledger(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check every ``places_*.csv`` and ``spans_*.csv`` of the ledger.

    Raises ValueError naming the file, the row and the problem on the first fault.
    """
    place_files = sorted(folder.glob("places_*.csv"))
    if not place_files:
        raise ValueError(f"{folder}: no places_*.csv")
    places = pd.concat([_read_csv(f).assign(file=f.name) for f in place_files], ignore_index=True)
    spans = pd.concat(
        [_read_csv(f).assign(file=f.name) for f in sorted(folder.glob("spans_*.csv"))],
        ignore_index=True,
    )
    dup = places["place_id"][places["place_id"].duplicated()]
    if len(dup):
        raise ValueError(f"ledger: place_id {dup.iloc[0]!r} appears twice")
    places["lon"] = pd.to_numeric(places["lon"], errors="raise")
    places["lat"] = pd.to_numeric(places["lat"], errors="raise")
    bad_kind = ~places["kind"].isin(list(DEFAULT_REACH_KM))
    if bad_kind.any():
        row = places[bad_kind].iloc[0]
        raise ValueError(f"{row.file}: place {row.place_id!r}: unknown kind {row.kind!r}")
    given = pd.to_numeric(places["reach_km"].replace("", np.nan), errors="raise")
    region = places["file"].str.removeprefix("places_").str.removesuffix(".csv")
    desert = places["kind"] == "desert"
    # A reach the compilers gave is kept for a place (a small last pocket, a wide lava
    # field); calibration scales the defaults by kind, and every desert reach.
    default = places["kind"].map(DEFAULT_REACH_KM) * places["country"].map(PLACE_SCALE)
    places["reach_km"] = np.where(
        desert,
        given.fillna(places["kind"].map(DEFAULT_REACH_KM)) * region.map(DESERT_SCALE).fillna(1.0),
        given.fillna(default),
    )
    known = set(places["place_id"])
    for row in spans.itertuples(index=False):
        where = f"{row.file}: place {row.place_id!r} span {row.start}"
        if row.place_id not in known:
            raise ValueError(f"{where}: place not in any places file")
        if row.status not in STATUSES:
            raise ValueError(f"{where}: status {row.status!r} not one of {STATUSES}")
        if not (len(row.start) == len(row.end) == 10 and row.start < row.end <= LAST_DAY):
            raise ValueError(f"{where}: dates must be YYYY-MM-DD, start < end <= {LAST_DAY}")
    ordered = spans.sort_values(["place_id", "start"])
    same = ordered["place_id"].eq(ordered["place_id"].shift())
    overlap = same & (ordered["start"] < ordered["end"].shift())
    if overlap.any():
        row = ordered[overlap].iloc[0]
        raise ValueError(f"{row.file}: spans of place {row.place_id!r} overlap at {row.start}")
    return places.reset_index(drop=True), spans.reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# -------------------------------------------------------------------------- cells
def place_cells(places: pd.DataFrame, borders: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each place's cell: its Voronoi cell among all places, within its reach and country.

    Parameters
    ----------
    places : DataFrame
        ``place_id``, ``country`` (ISO A3), ``lon``, ``lat``, ``reach_km``.
    borders : GeoDataFrame
        One row per country with ``iso_a3``, in WGS84.

    Returns
    -------
    GeoSeries
        Cells in WGS84 on the ``GRID``, indexed like ``places``. Cells never overlap;
        each contains its own place's point.
    """
    to_metric = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)
    to_lonlat = Transformer.from_crs(METRIC_CRS, 4326, always_xy=True)
    x, y = to_metric.transform(places["lon"].to_numpy(), places["lat"].to_numpy())
    points = shapely.points(x, y)
    countries = borders.to_crs(METRIC_CRS).set_index("iso_a3").geometry
    outside = ~shapely.contains(countries.loc[places["country"]].to_numpy(), points)
    if outside.any():
        row = places[outside].iloc[0]
        raise ValueError(f"{row.file}: place {row.place_id!r} lies outside {row.country}")
    extent = shapely.box(*countries.total_bounds).buffer(100_000)
    # ordered=True keeps the cells in the order of the points, so cell i is place i's.
    voronoi = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True)
    cells = shapely.get_parts(voronoi)
    reach = _reach(points, places["reach_km"].to_numpy() * 1000.0)
    # Thinned before the border is applied, so that the border's own line is kept and no
    # cell edge is moved past it.
    ground = shapely.simplify(shapely.intersection(cells, reach), SIMPLIFY_M)
    metric = shapely.intersection(ground, countries.loc[places["country"]].to_numpy())

    def lonlat(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1]))

    geoms = shapely.set_precision(shapely.transform(metric, lonlat), GRID)
    # Cells were thinned one by one: where two neighbours' thinned edges now cross, the
    # later loses the sliver, so that no ground is counted twice.
    left, right = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    for i, j in zip(left, right, strict=True):
        if i < j:
            geoms[j] = shapely.difference(geoms[j], geoms[i], grid_size=GRID)
    lon_lat = shapely.points(places["lon"].to_numpy(), places["lat"].to_numpy())
    # Simplifying and rounding must not move a cell's edge over its own place.
    lost = ~shapely.contains(geoms, lon_lat)
    if lost.any():
        row = places[lost].iloc[0]
        raise ValueError(f"place {row.place_id!r}: its cell no longer holds its point")
    return gpd.GeoSeries([_polygonal(g) for g in geoms], index=places.index, crs=4326)


def _reach(points: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """The ground each place can stand for: a disc, and bands towards its neighbours.

    A disc alone leaves round bubbles with gaps between neighbouring places held
    together; ground between two neighbours held together was held too (the road and
    the fields between two villages). So each place also reaches half-way along a band
    towards every Delaunay neighbour near enough (``NEIGHBOUR_SPAN``), as wide as the smaller
    of the two discs: held together, the two halves join; held apart, the front runs
    across the band at the Voronoi edge.
    """
    xy = shapely.get_coordinates(points)
    index = {(round(x, 3), round(y, 3)): i for i, (x, y) in enumerate(xy)}
    edges = shapely.get_parts(
        shapely.delaunay_triangles(shapely.multipoints(points), only_edges=True)
    )
    bands: list[list[shapely.Geometry]] = [[] for _ in range(len(points))]
    for edge in edges:
        (x0, y0), (x1, y1) = shapely.get_coordinates(edge)
        a, b = index[(round(x0, 3), round(y0, 3))], index[(round(x1, 3), round(y1, 3))]
        if edge.length > NEIGHBOUR_SPAN * (radius_m[a] + radius_m[b]):
            continue
        band = shapely.buffer(edge, BAND_SHARE * min(radius_m[a], radius_m[b]), quad_segs=QUAD_SEGS)
        bands[a].append(band)
        bands[b].append(band)
    discs = shapely.buffer(points, radius_m, quad_segs=QUAD_SEGS)
    return np.array(
        [shapely.union_all([disc, *more]) for disc, more in zip(discs, bands, strict=True)],
        dtype=object,
    )


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
def build_periods(
    places: pd.DataFrame, spans: pd.DataFrame, cells: gpd.GeoSeries
) -> gpd.GeoDataFrame:
    """One control period per span of the ledger, on its place's cell."""
    by_id = places.set_index("place_id")
    cell_of = pd.Series(cells.to_numpy(), index=places["place_id"])
    rows = []
    for s in spans.itertuples(index=False):
        place = by_id.loc[s.place_id]
        rows.append(
            {
                "id": f"{s.place_id}/{s.start}",
                "actor": ACTOR,
                "start": s.start,
                "end": s.end,
                "status": s.status,
                "confidence": s.confidence,
                "place": place["name"],
                "places": s.place_id,
                "country": place["country"],
                "source": s.source,
                # The span's remark, else the place's, so that no period is without one.
                "note": s.note or place["note"] or f"{place['name']}: {s.status} ({place['kind']})",
                "start_precision": s.start_precision,
                "end_precision": s.end_precision,
                "geometry": cell_of[s.place_id],
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    return frame.sort_values(["start", "id"], kind="stable").reset_index(drop=True)


KEYS = [
    "actor", "start", "end", "status", "confidence", "place", "places", "country",
    "start_precision", "end_precision", "source", "note",
]  # fmt: skip


def write_geojson(periods: gpd.GeoDataFrame, path: Path) -> None:
    """Write the periods as an RFC 7946 FeatureCollection, one feature per line."""
    lines = []
    for row in periods.itertuples(index=False):
        geometry = json.loads(shapely.to_geojson(row.geometry))
        geometry["coordinates"] = _round(geometry["coordinates"])
        props = {k: getattr(row, k) for k in KEYS}
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


class Held:
    """Area held on a date (km²), by country and status; the cells are disjoint."""

    def __init__(self, periods: gpd.GeoDataFrame) -> None:
        self.periods = periods
        self.km2 = np.array([geodesic_km2(g) for g in periods.geometry])

    def __call__(
        self, date: str, country: str | None = None, statuses: tuple[str, ...] = COUNTED
    ) -> float:
        p = self.periods
        active = (p["start"] <= date) & (p["end"] > date) & p["status"].isin(statuses)
        if country is not None:
            active &= p["country"] == country
        return float(self.km2[active.to_numpy()].sum())


def _day(date: str) -> str:
    """A day for a figure dated to the month: the 15th (mid-month)."""
    return date if len(date) == 10 else f"{date}-15"


def calibration_table(
    periods: gpd.GeoDataFrame, figures: pd.DataFrame, iraq_km2: float
) -> pd.DataFrame:
    """Each published figure beside the bundled data's equivalent.

    Areas (statuses ``COUNTED``) are compared directly for the ``held:*`` scopes. For
    ``lost_since_*`` the equivalent is the data's Aug-2014 area minus its area at the
    date; for the percentage scopes the data's percentage (lost since its own peak,
    held of the country, whose area is ``iraq_km2``). Only the calibration targets (see
    :func:`_held_verdict`) get a pass/fail verdict.
    """
    at = Held(periods)
    change_days = sorted(set(periods["start"]) | set(periods["end"]))

    def peak(country: str | None) -> float:
        return max(at(d, country) for d in change_days)

    rows = []
    for f in figures.itertuples(index=False):
        scope, day = f.scope, _day(str(f.date))
        region = scope.split(":", 1)[1].split(" ", 1)[0]
        country = None if region == "IRQ+SYR" else region
        published: float | None = None if pd.isna(f.area_km2) else float(f.area_km2)
        unit, bundled, verdict = "km²", float("nan"), ""
        support = float("nan")
        if scope.startswith("held:"):
            bundled = at(day, country)
            support = at(day, country, ("support",))
            verdict = _held_verdict(f.publisher, scope, published, bundled)
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
                "support": support,
                "unit": unit,
                "ratio": (bundled / published) if published else float("nan"),
                "check": verdict,
                "source": f.source_title,
            }
        )
    return pd.DataFrame(rows)


def ihs_losses(table: pd.DataFrame) -> pd.DataFrame:
    """The loss between consecutive IHS figures, published beside bundled."""
    ihs = table[
        table["publisher"].str.startswith(IHS) & (table["scope"] == "held:IRQ+SYR")
    ].reset_index(drop=True)
    rows = []
    for a, b in itertools.pairwise(ihs.itertuples(index=False)):
        published = a.published - b.published
        bundled = a.bundled - b.bundled
        rows.append(
            {
                "from": a.date,
                "to": b.date,
                "published": published,
                "bundled": bundled,
                "ratio": bundled / published,
                "check": _verdict(published, bundled, LOSS_TOLERANCE),
            }
        )
    return pd.DataFrame(rows)


def _held_verdict(publisher: str, scope: str, published: float | None, bundled: float) -> str:
    """Pass/fail for the calibration targets, a reason for the other "held" figures.

    The targets are IHS Conflict Monitor's series of the whole territory and the zero
    of 23 March 2019. The Pentagon's Iraq peak is compared (its month has no day), the
    km² of the last pocket in 2019 are below what the cells resolve (about 1 km), and
    SOHR counted empty desert as held.
    """
    if (str(publisher).startswith(IHS) and scope == "held:IRQ+SYR") or published == 0:
        return _verdict(published, bundled, TOLERANCE)
    if str(publisher).startswith("Syrian Observatory"):
        return "shown only (counts empty desert)"
    if published is not None and published < 100:
        return "shown only (below the cells' resolution)"
    return "compared (not a target)"


def _verdict(published: float | None, bundled: float, tolerance: float) -> str:
    if published is None:
        return ""
    if published == 0:
        return "pass" if bundled == 0 else "FAIL"
    return "pass" if abs(bundled / published - 1) <= tolerance else "FAIL"


def calibration_markdown(table: pd.DataFrame, losses: pd.DataFrame) -> str:
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
        "compared on the 15th. **What is counted**: the published `held:*` figures are",
        f"compared with the ground of status {' and '.join(f'`{s}`' for s in COUNTED)}",
        "(held, or fought over while the group still held part of it); desert the group",
        "roamed but did not hold (`support`) is shown in its own column and not counted.",
        "`held:*` figures of IHS Conflict Monitor, the US Department of Defense and the",
        f"2019 reports are calibration targets (±{TOLERANCE:.0%}); the others measure",
        "something else and are shown for comparison only:",
        "",
        "* SOHR's 95,000 km² (May 2015) counts the empty Syrian desert; IHS and this data",
        "  count only ground the group dominated.",
        "* `lost_since_2014-08` (US/Global Coalition 'areas of influence', populated areas",
        "  only): the bundled equivalent is its own Aug-2014 area minus its area that day.",
        "* Percentages: lost since the data's own peak, or held of Iraq's area.",
        "",
        "| date | scope | publisher | published | bundled | support | ratio | check | source |",
        "|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for r in table.itertuples(index=False):
        unit = "%" if r.unit == "%" else " km²"
        pub = "" if r.published is None or pd.isna(r.published) else num(r.published, r.unit) + unit
        ratio = "" if pd.isna(r.ratio) else f"{r.ratio:.2f}"
        support = "" if pd.isna(r.support) else num(r.support, r.unit) + unit
        cells = [
            r.date, f"`{r.scope}`", r.publisher, pub, num(r.bundled, r.unit) + unit, support,
            ratio, r.check, r.source,
        ]  # fmt: skip
        # A "|" inside a cell (one source title has one) would split the row.
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    calibrated = table[table["check"].isin(["pass", "FAIL"])]
    lines += [
        "",
        f"{(calibrated['check'] == 'pass').sum()} of {len(calibrated)} calibration targets "
        "within tolerance.",
        "",
        "## Losses between consecutive IHS figures",
        "",
        f"Ground lost between two IHS dates, published beside bundled (±{LOSS_TOLERANCE:.0%}).",
        "",
        "| from | to | IHS lost | bundled lost | ratio | check |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in losses.itertuples(index=False):
        lines.append(
            f"| {r[0]} | {r.to} | {r.published:,.0f} km² | {r.bundled:,.0f} km² "
            f"| {r.ratio:.2f} | {r.check} |"
        )
    lines += [
        "",
        f"{(losses['check'] == 'pass').sum()} of {len(losses)} losses within tolerance.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- build
def build(
    output: Path | None = None,
    calibration: Path | None = None,
    *,
    paths: Paths | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """Build the periods, write them to ``output`` and the tables to ``calibration``.

    Returns
    -------
    (GeoDataFrame, DataFrame, DataFrame)
        The periods, the calibration table and the IHS losses table.
    """
    paths = paths or Paths()
    places, spans = read_ledger(paths.ledger)
    borders = gpd.read_file(paths.borders)
    cells = place_cells(places, borders)
    periods = build_periods(places, spans, cells)
    figures = pd.read_csv(paths.figures, dtype={"date": str})
    iraq = borders.loc[borders["iso_a3"] == "IRQ"].geometry.iloc[0]
    table = calibration_table(periods, figures, geodesic_km2(iraq))
    losses = ihs_losses(table)
    if output is not None:
        write_geojson(periods, output)
    if calibration is not None:
        calibration.parent.mkdir(parents=True, exist_ok=True)
        calibration.write_text(calibration_markdown(table, losses), encoding="utf-8")
    return periods, table, losses


def _print_tables(table: pd.DataFrame, losses: pd.DataFrame) -> None:
    shown = table[["date", "scope", "published", "bundled", "support", "ratio", "check"]]
    shown = shown[table["check"].isin(["pass", "FAIL"])]
    with pd.option_context("display.width", 160, "display.max_colwidth", 40):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        print(losses.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: build the file and print the calibration tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=ROOT / "data" / "polygons" / "islamic_state.geojson"
    )
    parser.add_argument("--calibration", type=Path, default=ROOT / "docs" / "calibration.md")
    parser.add_argument(
        "--ledger", type=Path, default=None, help="read the ledger from this folder instead"
    )
    args = parser.parse_args(argv)
    paths = Paths(ledger=args.ledger)
    periods, table, losses = build(args.output, args.calibration, paths=paths)
    _print_tables(table, losses)
    changes = sorted(set(periods["start"]) | set(periods["end"]))
    print(f"{len(periods)} periods, {len(changes)} change dates, {args.output}")


if __name__ == "__main__":
    main()
