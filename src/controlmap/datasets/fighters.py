"""The foreign-fighter flows data set: who left to join the Islamic State, who came back.

One row per country: how many people left to join the Islamic State in Iraq and Syria
(``departed``) and how many had returned home (``returned``), each figure with its source,
its basis and its qualifier (``about``, ``more than``, ``range``), joined to a Natural Earth
country outline and a representative point for placing symbols.

Missing figures stay missing (``<NA>``), never zero: "no figure found" is not "nobody".
Figures of different bases (the Soufan Center's 2017 report and the Washington Post article
on one side, national authorities and researchers on the other) count different things and
must not be added together; :func:`fighters_totals` therefore totals each basis group apart
and says how many countries each total covers. See ``docs/fighters.md``.

Examples
--------
>>> from controlmap.datasets import load_fighters
>>> fighters = load_fighters()
>>> row = fighters.set_index("iso3").loc["USA"]
>>> int(row["departed"]), int(row["returned"]), row["returned_qualifier"]
(129, 7, 'exact')
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataError, FormatError
from ._files import data_dir
from .registry import REGISTRY

__all__ = [
    "BASIS_GROUPS",
    "FIGURES",
    "QUALIFIERS",
    "basis_group",
    "fighters_table",
    "fighters_totals",
    "load_fighters",
    "parse_qualifiers",
]

#: The two counted flows, in the order tables and maps show them.
FIGURES: tuple[str, str] = ("departed", "returned")

#: What a figure's qualifier can be: the number as given, approximate, a lower bound,
#: or the lower end of a range (the upper end is in ``<figure>_high``).
QUALIFIERS: tuple[str, ...] = ("exact", "about", "more than", "range")

#: Basis codes of the CSV -> the group whose figures may be compared (and totalled).
BASIS_GROUPS: dict[str, str] = {
    "article": "soufan",
    "soufan_2017_via_media": "soufan",
    "article+soufan_2017_via_media": "soufan",
    "other": "other",
}

#: Human labels of the basis groups, for legends, tooltips and the table.
GROUP_LABELS: dict[str, str] = {
    "soufan": "Soufan Center 2017 / Washington Post 2018",
    "other": "other official or research figures (not comparable)",
}

CSV_COLUMNS: tuple[str, ...] = (
    "iso3",
    "country",
    "departed",
    "returned",
    "source_title",
    "source_url",
    "note",
    "basis",
    "on_article_map",
)

_ENTRY = REGISTRY["foreign-fighters"]

# ------------------------------------------------------------------- qualifier parsing
# Words that qualify the number right after them, longest first so "an estimated" wins
# over "estimated". Dutch phrases appear in quotations from HLN.
_QUALIFYING_WORDS: dict[str, str] = {
    "more than": "more than",
    "meer dan": "more than",
    "at least": "more than",
    "over": "more than",
    "an estimated": "about",
    "estimated": "about",
    "just under": "about",
    "approximately": "about",
    "approx": "about",
    "about": "about",
    "around": "about",
    "nearly": "about",
    "bijna": "about",
    "some": "about",
}
_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_QUALIFIED = re.compile(
    r"(?<![\w])(?P<word>"
    + "|".join(re.escape(w) for w in sorted(_QUALIFYING_WORDS, key=len, reverse=True))
    + rf")\s+(?P<num>{_NUMBER})(?![\d])",
    re.IGNORECASE,
)
_PLUS = re.compile(rf"(?<![\d,])(?P<num>{_NUMBER})\s+plus\b", re.IGNORECASE)
_RANGE = re.compile(rf"\brange\s+(?P<num>{_NUMBER})\s*[-–]\s*(?P<high>{_NUMBER})", re.IGNORECASE)
# A qualifier word standing alone ("...; approx") qualifies the row's figures only when no
# number in the note carries its own qualifier; otherwise it repeats one already read.
_BARE_APPROX = re.compile(r"\bapprox(?:imate(?:ly)?)?\b(?!\.?\s*\d)", re.IGNORECASE)
_BARE_LOWER = re.compile(r"\blower bounds?\b", re.IGNORECASE)
# The word after a qualified number says which flow it counts ("'around 50' returned").
_RETURN_WORDS = {"returned", "returning", "returnees", "back", "came"}
_DEPART_WORDS = {"went", "left", "travelled", "traveled", "joined", "fighting"}
_OTHER_WORDS = {"remain", "remained", "attempted", "still", "died", "dead", "believed"}
_NEXT_WORD = re.compile(r"[\s'\"’)]*([A-Za-z]+)")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _flow_after(note: str, end: int) -> str | None:
    match = _NEXT_WORD.match(note, end)
    word = match.group(1).lower() if match else ""
    if word in _RETURN_WORDS:
        return "returned"
    if word in _DEPART_WORDS:
        return "departed"
    if word in _OTHER_WORDS:
        return "neither"
    return None


def parse_qualifiers(
    note: str | None, departed: int | None, returned: int | None
) -> dict[str, tuple[str | None, int | None]]:
    """Read the qualifier of each figure from a row's free-text note.

    A qualifier belongs to a figure when the note qualifies that very number ("'more than
    165' joined", "'500 plus'", "range 125-135"); a number that differs from the figure
    (the article's "more than 3,000" beside Soufan's 3,244) does not change it. A bare
    "approx" or "lower bound" applies to every figure of the row only when no number of
    the note carries its own qualifier.

    Parameters
    ----------
    note : str or None
        The ``note`` field of the CSV.
    departed, returned : int or None
        The row's figures; ``None`` when missing.

    Returns
    -------
    dict
        ``{"departed": (qualifier, high), "returned": (qualifier, high)}``: the qualifier
        is one of :data:`QUALIFIERS`, ``high`` the upper end of a range (else ``None``);
        both are ``None`` for a missing figure.

    Examples
    --------
    >>> parse_qualifiers("'more than 200' went, 'around 50' returned, 'more than 50' remain",
    ...                  200, 50)
    {'departed': ('more than', None), 'returned': ('about', None)}
    >>> parse_qualifiers("range 200-300 (lower bound given)", 200, None)
    {'departed': ('range', 300), 'returned': (None, None)}
    """
    text = note or ""
    values = {"departed": departed, "returned": returned}
    found: dict[str, tuple[str, int | None]] = {}

    def assign(number: int, qualifier: str, high: int | None, flow: str | None) -> None:
        if flow == "neither":
            return
        for figure, value in values.items():
            if value is None or value != number or figure in found:
                continue
            if flow is None or flow == figure:
                found[figure] = (qualifier, high)

    # Ranges first: "range 200-300" is more specific than any word before the 200.
    for match in _RANGE.finditer(text):
        assign(_number(match["num"]), "range", _number(match["high"]), None)
    for match in _QUALIFIED.finditer(text):
        qualifier = _QUALIFYING_WORDS[match["word"].lower()]
        assign(_number(match["num"]), qualifier, None, _flow_after(text, match.end()))
    for match in _PLUS.finditer(text):
        assign(_number(match["num"]), "more than", None, _flow_after(text, match.end()))

    explicit = bool(found)
    result: dict[str, tuple[str | None, int | None]] = {}
    for figure, value in values.items():
        if value is None:
            result[figure] = (None, None)
        elif figure in found:
            result[figure] = found[figure]
        elif not explicit and _BARE_LOWER.search(text):
            result[figure] = ("more than", None)
        elif not explicit and _BARE_APPROX.search(text):
            result[figure] = ("about", None)
        else:
            result[figure] = ("exact", None)
    return result


# ------------------------------------------------------------- per-figure source/basis
def basis_group(basis: str | None) -> str | None:
    """The comparable group of a basis code: ``"soufan"``, ``"other"`` or ``None``.

    Examples
    --------
    >>> basis_group("article+soufan_2017_via_media"), basis_group("other"), basis_group("")
    ('soufan', 'other', None)
    """
    if basis is None or not isinstance(basis, str) or not basis.strip():
        return None
    if basis.strip() not in BASIS_GROUPS:
        known = ", ".join(sorted(BASIS_GROUPS))
        raise DataError(f"basis {basis!r} is not one of {known}")
    return BASIS_GROUPS[basis.strip()]


def _figure_basis(basis: str, note: str, figure: str) -> str:
    """Which source a figure of an ``article+soufan`` row comes from, as the note says."""
    if basis != "article+soufan_2017_via_media":
        return basis
    # The notes write "returned 400 = article text" for the article's figure.
    if re.search(rf"\b{figure}\b[^;=]*=\s*article text", note, re.IGNORECASE):
        return "article"
    return "soufan_2017_via_media"


def _figure_sources(
    titles: list[str], urls: list[str], row_basis: str, basis: str
) -> tuple[str, str]:
    """The sources of one figure: all of the row's, except in rows that mix two bases."""
    pairs = list(zip(titles, urls, strict=True))
    if row_basis == "article+soufan_2017_via_media":
        # The article's figure comes from the Washington Post source; the other from the rest.
        is_article = ["Washington Post" in title for title, _ in pairs]
        wanted = [p for p, a in zip(pairs, is_article, strict=True) if a == (basis == "article")]
        pairs = wanted or pairs
    return " | ".join(t for t, _ in pairs), " | ".join(u for _, u in pairs)


# ------------------------------------------------------------------------- reading
def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _count(value: Any, path: object, index: int, iso3: str, column: str) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise DataError(
            f"{path}: row {index + 2} (iso3 {iso3!r}): {column} {text!r} is not a whole "
            "number of people (leave it empty when no figure is known)"
        )
    return int(text)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: is empty") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise FormatError(f"{path}: cannot read as a UTF-8 CSV table ({exc})") from exc
    missing = [c for c in CSV_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    if raw.empty:
        raise DataError(f"{path}: has a header but no countries")
    return raw


def _rows(raw: pd.DataFrame, path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, record in enumerate(raw.to_dict("records")):
        iso3 = _text(record["iso3"]).upper()
        where = f"{path}: row {index + 2} (iso3 {iso3!r})"
        if not re.fullmatch(r"[A-Z]{3}", iso3):
            raise DataError(f"{where}: iso3 must be three letters")
        if iso3 in seen:
            raise DataError(f"{where}: iso3 appears twice")
        seen.add(iso3)
        country = _text(record["country"])
        if not country:
            raise DataError(f"{where}: country name is empty")
        basis = _text(record["basis"])
        if basis and basis not in BASIS_GROUPS:
            known = ", ".join(BASIS_GROUPS)
            raise DataError(f"{where}: unknown basis {basis!r} (known: {known})")
        counts = {f: _count(record[f], path, index, iso3, f) for f in FIGURES}
        if any(v is not None for v in counts.values()) and not basis:
            raise DataError(f"{where}: a figure without a basis")
        on_map = _text(record["on_article_map"]).lower()
        if on_map not in ("yes", "no"):
            raise DataError(f"{where}: on_article_map must be yes or no, not {on_map!r}")
        note = _text(record["note"])
        titles = [t.strip() for t in _text(record["source_title"]).split(" | ") if t.strip()]
        urls = [u.strip() for u in _text(record["source_url"]).split(" | ") if u.strip()]
        if len(titles) != len(urls):
            raise DataError(f"{where}: {len(titles)} source titles but {len(urls)} URLs")
        qualifiers = parse_qualifiers(note, counts["departed"], counts["returned"])
        row: dict[str, Any] = {"iso3": iso3, "country": country}
        for figure in FIGURES:
            qualifier, high = qualifiers[figure]
            row[figure] = counts[figure]
            row[f"{figure}_qualifier"] = qualifier
            row[f"{figure}_high"] = high
            if counts[figure] is None:
                row[f"{figure}_basis"] = row[f"{figure}_source"] = row[f"{figure}_url"] = None
            else:
                fbasis = _figure_basis(basis, note, figure)
                row[f"{figure}_basis"] = fbasis
                row[f"{figure}_source"], row[f"{figure}_url"] = _figure_sources(
                    titles, urls, basis, fbasis
                )
        row.update(
            basis=basis or None,
            basis_group=basis_group(basis),
            source_title=" | ".join(titles) or None,
            source_url=" | ".join(urls) or None,
            note=note or None,
            on_article_map=on_map == "yes",
        )
        rows.append(row)
    return rows


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for figure in FIGURES:
        frame[figure] = frame[figure].astype("Int64")
        frame[f"{figure}_high"] = frame[f"{figure}_high"].astype("Int64")
    departed = frame["departed"].astype("Float64")
    returned = frame["returned"].astype("Float64")
    # A share needs both figures; NA propagates, and 0 departed would give NA too.
    frame["returned_share"] = (returned / departed.where(departed > 0)).astype("Float64")
    frame["on_article_map"] = frame["on_article_map"].astype(bool)
    return frame


def load_fighters(
    csv: str | PathLike[str] | None = None,
    countries: str | PathLike[str] | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The foreign-fighter table joined to country outlines.

    Parameters
    ----------
    csv : path-like, optional
        A table with the columns of the bundled ``foreign_fighters.csv`` (default: the
        bundled file).
    countries : path-like or GeoDataFrame, optional
        Country outlines with an ``iso3`` column (default: the bundled Natural Earth
        1:110m layer, whose ``iso3`` gives Kosovo ``XKX``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per CSV row, in EPSG:4326: ``iso3``, ``country``, ``departed``,
        ``returned`` (nullable ``Int64``: missing stays ``<NA>``), ``<figure>_qualifier``
        (one of :data:`QUALIFIERS`), ``<figure>_high`` (upper end of a range),
        ``<figure>_basis``, ``<figure>_source``, ``<figure>_url``, ``returned_share``,
        ``basis``, ``basis_group`` (``"soufan"`` or ``"other"``), ``source_title``,
        ``source_url``, ``note``, ``on_article_map``, ``ne_name`` (the outline's name),
        ``lon``/``lat`` and ``point`` (the representative point for symbols) and
        ``geometry`` (the outline). The bundled table's ``attrs`` hold its ``name``,
        ``title`` and ``credit``.

    Raises
    ------
    DataError
        A malformed row, or a row whose ``iso3`` has no outline.

    Examples
    --------
    >>> fighters = load_fighters()
    >>> len(fighters), int(fighters["departed"].notna().sum())
    (48, 38)
    >>> fighters.set_index("iso3").loc["XKX", "ne_name"]
    'Kosovo'
    """
    csv_path = Path(csv) if csv is not None else data_dir() / _ENTRY.file
    frame = _typed(pd.DataFrame(_rows(_read_csv(csv_path), csv_path)))

    if isinstance(countries, gpd.GeoDataFrame):
        world, world_name = countries, "countries"
    else:
        world_path = (
            Path(countries) if countries is not None else data_dir() / _ENTRY.extra["countries"]
        )
        world, world_name = gpd.read_file(world_path, engine="pyogrio"), str(world_path)
    if "iso3" not in world.columns:
        raise DataError(f"{world_name}: no iso3 column to join on")
    if world.crs is not None and not world.crs.equals("EPSG:4326"):
        world = world.to_crs("EPSG:4326")
    world = world.assign(iso3=world["iso3"].astype(str).str.upper())
    world = world.drop_duplicates("iso3")
    keys = world.set_index("iso3")

    absent = sorted(set(frame["iso3"]) - set(keys.index))
    if absent:
        raise DataError(f"{csv_path}: iso3 {', '.join(absent)} not found in {world_name}")
    outlines = keys.loc[frame["iso3"]]
    geometry = np.asarray(outlines.geometry.values, dtype=object)
    if "centroid_lon" in outlines.columns and "centroid_lat" in outlines.columns:
        lon = outlines["centroid_lon"].to_numpy(float)
        lat = outlines["centroid_lat"].to_numpy(float)
    else:
        # Without a precomputed point, the representative point is always inside the outline.
        points = shapely.point_on_surface(geometry)
        lon, lat = shapely.get_x(points), shapely.get_y(points)
    names = outlines["name"].to_numpy() if "name" in outlines.columns else frame["country"]
    frame["ne_name"] = pd.Series(names, index=frame.index, dtype="str")
    frame["lon"], frame["lat"] = lon, lat
    frame["point"] = gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326")
    table = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    if csv is None:
        # The bundled table's facts, as load_dataset gives a bundled timeline's.
        table.attrs = {"name": _ENTRY.name, "title": _ENTRY.title, "credit": _ENTRY.credit}
    return table


# ------------------------------------------------------------------------- tables
_SORT_KEYS = ("departed", "returned", "returned_share", "country", "iso3")

TABLE_COLUMNS: tuple[str, ...] = (
    "row",
    "country",
    "iso3",
    "departed",
    "departed_qualifier",
    "departed_high",
    "returned",
    "returned_qualifier",
    "returned_high",
    "returned_share",
    "basis_group",
    "departed_basis",
    "returned_basis",
    "departed_countries",
    "returned_countries",
    "departed_source",
    "returned_source",
    "note",
    "on_article_map",
)


def _frame(data: pd.DataFrame | None) -> pd.DataFrame:
    return load_fighters() if data is None else data


def fighters_totals(
    data: pd.DataFrame | None = None, *, article_map_only: bool = False
) -> pd.DataFrame:
    """Totals of each flow per basis group, with how many countries each covers.

    Figures of the two groups count different things (fighters or all travellers,
    Syria/Iraq or every conflict zone, 2015 to 2019), so each group is totalled apart;
    there is deliberately no grand total.

    Parameters
    ----------
    data : DataFrame, optional
        The output of :func:`load_fighters` (default: the bundled data set).
    article_map_only : bool, default False
        Total only the 46 countries on the article's map (leaves out Jordan and
        Tajikistan).

    Returns
    -------
    pandas.DataFrame
        One row per (``basis_group``, ``figure``): ``total``, ``countries`` (how many
        figures were added), ``approximate`` / ``lower_bounds`` (how many of them are
        "about" / "more than" or the low end of a range), ``missing`` (rows of that
        group without this figure) and ``label``.

    Examples
    --------
    >>> totals = fighters_totals().set_index(["basis_group", "figure"])
    >>> int(totals.loc[("soufan", "returned"), "countries"])
    19
    """
    frame = _frame(data)
    if article_map_only:
        frame = frame[frame["on_article_map"].astype(bool)]
    records = []
    for group in GROUP_LABELS:
        rows = frame[frame["basis_group"] == group]
        for figure in FIGURES:
            values = rows[figure]
            present = values.notna()
            qualifiers = rows.loc[present, f"{figure}_qualifier"]
            records.append(
                {
                    "basis_group": group,
                    "figure": figure,
                    "total": int(values[present].astype("int64").sum()),
                    "countries": int(present.sum()),
                    "approximate": int((qualifiers == "about").sum()),
                    "lower_bounds": int(qualifiers.isin(["more than", "range"]).sum()),
                    "missing": int((~present).sum()),
                    "label": GROUP_LABELS[group],
                }
            )
    totals = pd.DataFrame.from_records(records)
    totals["total"] = totals["total"].astype("Int64")
    return totals


def fighters_table(
    data: pd.DataFrame | None = None, *, sort: str = "departed", totals: bool = True
) -> pd.DataFrame:
    """A flat table for writers: one row per country, then one total row per basis group.

    Parameters
    ----------
    data : DataFrame, optional
        The output of :func:`load_fighters` (default: the bundled data set).
    sort : {"departed", "returned", "returned_share", "country", "iso3"}
        Countries are sorted by this column, largest first for numbers (missing last).
    totals : bool, default True
        Append one ``row == "total"`` line per basis group; its ``departed_countries`` and
        ``returned_countries`` say how many countries each total covers.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`; counts are nullable integers (missing stays NA).

    Examples
    --------
    >>> table = fighters_table(sort="returned")
    >>> table.loc[0, "country"]
    'Turkey'
    >>> list(table.loc[table["row"] == "total", "basis_group"])
    ['soufan', 'other']
    """
    if sort not in _SORT_KEYS:
        raise DataError(f"cannot sort the fighters table by {sort!r}; use {', '.join(_SORT_KEYS)}")
    frame = pd.DataFrame(_frame(data)).copy()
    ascending = sort in ("country", "iso3")
    frame = frame.sort_values(
        [sort, "country"], ascending=[ascending, True], na_position="last", kind="stable"
    )
    table = frame.assign(row="country")
    for column in ("departed_countries", "returned_countries"):
        # Country rows cover no total; their count columns stay empty.
        table[column] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    table = table[list(TABLE_COLUMNS)].reset_index(drop=True)
    if totals:
        summary = fighters_totals(frame).set_index(["basis_group", "figure"])
        lines = []
        for group, label in GROUP_LABELS.items():
            line: dict[str, Any] = {"row": "total", "country": f"Total: {label}"}
            line["basis_group"] = group
            for figure in FIGURES:
                line[figure] = summary.loc[(group, figure), "total"]
                line[f"{figure}_countries"] = summary.loc[(group, figure), "countries"]
            lines.append(line)
        table = pd.concat([table, pd.DataFrame(lines)], ignore_index=True)
    for column in ("departed", "returned", "departed_high", "returned_high"):
        table[column] = table[column].astype("Int64")
    for column in ("departed_countries", "returned_countries"):
        table[column] = table[column].astype("Int64")
    table["returned_share"] = table["returned_share"].astype("Float64")
    return table
