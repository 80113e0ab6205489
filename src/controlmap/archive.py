"""Archives of dated maps (one map a day for years) as compact timelines.

Trackers keep one map a day of the ground each side holds. Stored as one period per
day, every period would carry the whole map again. Here a series of snapshots is
decomposed into *pieces* of ground, each with one ``[start, end)`` per actor and
status: the ground held throughout is stored once, and every gain and every loss
once, so the vertices stored grow with the length of the changes, not with the
number of days.

How: each day's map is cut into a fixed grid of tiles (a quadtree of
:func:`shapely.clip_by_rect`, cheap and never an overlay of the whole map); a tile
whose content is exactly yesterday's is skipped, and only changed tiles are
compared by overlay (:func:`shapely.difference`). At the end, the tile pieces
sharing actor, status, start and end are merged back across tile borders with
:func:`shapely.coverage_union_all` (the pieces are edge-matched by construction),
falling back to an ordinary union where the coverage is not exact.

Within one actor and status the pieces held on any day are disjoint, so areas are
sums and gains/losses per day are sums of the pieces that start/end that day.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import geodesic, intervals
from ._dates import DATE_DTYPE, DateLike, iso_day, parse_date, parse_dates
from ._dissolve import check_km2
from .errors import DataError, DateError, FormatError, GeometryWarning, one_line, some
from .geodesic import DEBRIS_DEG2

if TYPE_CHECKING:
    import os

    from .model import Timeline

__all__ = [
    "DEFAULT_TILE_DEGREES",
    "SnapshotReport",
    "change_series",
    "decompose_snapshots",
    "iter_snapshots",
    "read_snapshots",
    "timeline_from_snapshots",
]

#: Side of the grid cells the maps are cut into while comparing days (degrees, a
#: power of two so the cell corners are exact binary numbers). Smaller cells mean
#: cheaper overlays of changed cells but more cells to cut and compare.
DEFAULT_TILE_DEGREES = 0.25
_LEVELS = 5  # quadtree depth: root cells of 8 degrees when the tiles are 0.25
_EMPTY = shapely.Polygon()


# ---------------------------------------------------------------------------- report
@dataclass
class SnapshotReport:
    """What decomposing an archive did, day by day.

    Attributes
    ----------
    days : DataFrame
        One row per snapshot date and actor/status: ``own_km2`` (geodesic area of that
        day's own map), ``timeline_km2`` (area the timeline holds that day) and
        ``deviation_km2`` (area of their symmetric difference: ground counted on one
        side only, from slivers absorbed by ``min_change_km2``; float debris of under
        0.01 m² per cell otherwise).
    min_change_km2 : float
        The redraw-noise option used.
    input_vertices, stored_vertices : int
        Vertices read over all days, and vertices in the pieces kept.
    pieces : int
        Rows of the timeline built.
    repairs : DataFrame
        One row per invalid polygon of the maps, made valid before use: ``date`` (the
        snapshot's), ``file`` (missing for maps given as frames), ``feature`` (its index
        label: the position in a file read whole) and ``reason`` (GEOS's, e.g.
        ``"self-intersection"``). A :class:`~controlmap.GeometryWarning` says the same.
    """

    days: pd.DataFrame
    min_change_km2: float
    input_vertices: int
    stored_vertices: int
    pieces: int
    repairs: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["date", "file", "feature", "reason"])
    )

    @property
    def largest_deviation_km2(self) -> float:
        """Largest symmetric difference between a day's own map and the timeline."""
        return float(self.days["deviation_km2"].max()) if len(self.days) else 0.0

    @property
    def largest_deviation_percent(self) -> float:
        """Largest deviation as a percentage of that day's own area."""
        if not len(self.days):
            return 0.0
        own = self.days["own_km2"].to_numpy()
        dev = self.days["deviation_km2"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(own > 0, dev / own, np.where(dev > 0, np.inf, 0.0))
        return float(100 * share.max())

    def summary(self) -> str:
        """One line for a person.

        Examples
        --------
        >>> r = SnapshotReport(pd.DataFrame({"own_km2": [10.0], "timeline_km2": [10.0],
        ...                                  "deviation_km2": [0.0]}), 0.0, 100, 50, 2)
        >>> print(r.summary())  # doctest: +ELLIPSIS
        1 map-day(s) -> 2 pieces; 100 vertices read, 50 stored (0.5x); largest deviation ...
        """
        ratio = self.stored_vertices / self.input_vertices if self.input_vertices else 0.0
        return (
            f"{len(self.days)} map-day(s) -> {self.pieces} pieces; {self.input_vertices:,}"
            f" vertices read, {self.stored_vertices:,} stored ({ratio:.2g}x); largest"
            f" deviation from a day's own map {self.largest_deviation_km2:.3g} km²"
            f" ({self.largest_deviation_percent:.3g} %), min_change_km2={self.min_change_km2:g}"
        )


# ---------------------------------------------------------------------------- tiles
def _tile_clips(geom: shapely.Geometry, tile: float) -> Iterator[tuple[tuple[int, int], Any]]:
    """Yield ``((i, j), part)``: ``geom`` cut into the grid cells of side ``tile``.

    A quadtree: each level clips only what the level above kept, so the cost is about
    the vertex count times the depth, not times the number of cells.
    """
    root = tile * (1 << _LEVELS)
    x0, y0, x1, y1 = shapely.bounds(geom)
    stack: list[tuple[Any, int, int, int]] = []
    cells = 1 << _LEVELS
    for i in range(math.floor(x0 / root), math.floor(x1 / root) + 1):
        for j in range(math.floor(y0 / root), math.floor(y1 / root) + 1):
            stack.append((geom, i * cells, j * cells, cells))
    while stack:
        g, i, j, n = stack.pop()
        part = _clip(g, i * tile, j * tile, (i + n) * tile, (j + n) * tile)
        if part.is_empty:
            continue
        if n == 1:
            yield (i, j), part
            continue
        half = n // 2
        for di in (0, half):
            for dj in (0, half):
                stack.append((part, i + di, j + dj, half))


def _clip(geom: Any, x0: float, y0: float, x1: float, y1: float) -> Any:
    """``geom`` inside the box: the fast rectangle clip, an overlay where it fails.

    GEOS's rectangle clipper may leave a degenerate ring (it is "fast but possibly
    dirty"); the exact intersection is then used for that box.
    """
    try:
        return shapely.clip_by_rect(geom, x0, y0, x1, y1)
    except shapely.errors.GEOSException:
        return _polygonal(
            shapely.intersection(shapely.make_valid(geom), shapely.box(x0, y0, x1, y1))
        )


def _polygonal(geom: Any) -> Any:
    """The polygonal parts of ``geom`` as one (Multi)Polygon, or an empty Polygon."""
    if geom is None or geom.is_empty:
        return _EMPTY
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return _EMPTY
    return shapely.multipolygons(shapely.get_parts(parts)) if len(parts) > 1 else parts[0]


def _split_small(geom: Any, min_km2: float) -> tuple[Any, float]:
    """``geom`` without its parts under ``min_km2`` (and float debris), and their area."""
    if geom.is_empty:
        return geom, 0.0
    parts = shapely.get_parts(geom)
    keep = shapely.area(parts) > DEBRIS_DEG2
    dropped = 0.0
    if min_km2 > 0 and keep.any():
        areas = geodesic.geodesic_area_km2(parts)
        small = keep & (areas < min_km2)
        dropped = float(areas[small].sum())
        keep &= ~small
    if keep.all():
        return geom, dropped
    kept = parts[keep]
    if not len(kept):
        return _EMPTY, dropped
    return (kept[0] if len(kept) == 1 else shapely.multipolygons(kept)), dropped


@dataclass
class _Piece:
    geom: Any
    start: int  # index of the snapshot date it starts on


@dataclass
class _KeyState:
    """The decomposition of one actor and status, tile by tile."""

    raw: dict[tuple[int, int], Any] = field(default_factory=dict)
    held: dict[tuple[int, int], Any] = field(default_factory=dict)
    pieces: dict[tuple[int, int], list[_Piece]] = field(default_factory=dict)
    apart: dict[tuple[int, int], float] = field(default_factory=dict)  # km² held ≠ raw
    signed: dict[tuple[int, int], float] = field(default_factory=dict)  # raw minus held, km²
    last_rows: list[Any] = field(default_factory=list)


class _Decomposer:
    def __init__(self, tile: float, min_change_km2: float) -> None:
        self.tile = tile
        self.min_change_km2 = min_change_km2
        self.states: dict[tuple[str, str], _KeyState] = {}
        self.closed: list[tuple[tuple[str, str], tuple[int, int], Any, int, int]] = []
        self.dates: list[pd.Timestamp] = []
        self.input_vertices = 0
        self.day_rows: list[dict[str, Any]] = []
        self.held_km2: dict[tuple[str, str], float] = {}

    def add(self, stamp: pd.Timestamp, maps: dict[tuple[str, str], list[Any]]) -> None:
        if self.dates and stamp <= self.dates[-1]:
            raise DateError(
                f"snapshot {iso_day(stamp)} comes after {iso_day(self.dates[-1])}:"
                " snapshots must be given in date order, one map per date"
            )
        day = len(self.dates)
        self.dates.append(stamp)
        for key in list(self.states) + [k for k in maps if k not in self.states]:
            rows = maps.get(key, [])
            self.input_vertices += int(shapely.get_num_coordinates(rows).sum()) if rows else 0
            state = self.states.setdefault(key, _KeyState())
            same = (
                not state.apart
                and len(rows) == len(state.last_rows)
                and all(
                    shapely.equals_exact(a, b, 0.0)
                    for a, b in zip(rows, state.last_rows, strict=True)
                )
            )
            if not same:
                self._update(key, state, rows, day)
                state.last_rows = rows
            own = self.held_km2.get(key, 0.0)
            deviation = sum(state.apart.values())
            self.day_rows.append(
                {
                    "date": stamp,
                    "actor": key[0],
                    "status": key[1],
                    "own_km2": own + sum(state.signed.values()),
                    "timeline_km2": own,
                    "deviation_km2": deviation,
                }
            )

    def _update(self, key: tuple[str, str], state: _KeyState, rows: list[Any], day: int) -> None:
        clips: dict[tuple[int, int], list[Any]] = {}
        for geom in rows:
            for cell, part in _tile_clips(geom, self.tile):
                clips.setdefault(cell, []).append(part)
        signed = state.signed
        # Areas of what was gained and lost today, measured together at the end (one
        # geodesic call instead of one per piece).
        gains: list[Any] = []
        cuts: list[Any] = []
        for cell in set(clips) | set(state.raw):
            parts = clips.get(cell)
            if parts is None:
                new = _EMPTY
            elif len(parts) == 1:
                new = _polygonal(parts[0])
            else:
                new = _polygonal(shapely.union_all(parts))
            if not shapely.is_valid(new):
                new = _polygonal(shapely.make_valid(new))
            old = state.raw.get(cell, _EMPTY)
            if cell not in state.apart and shapely.equals_exact(new, old, 0.0):
                continue
            before = state.held.get(cell, _EMPTY)
            gained, dropped_gain = _split_small(
                _polygonal(shapely.difference(new, before)), self.min_change_km2
            )
            lost, dropped_loss = _split_small(
                _polygonal(shapely.difference(before, new)), self.min_change_km2
            )
            pieces = state.pieces.setdefault(cell, [])
            if not lost.is_empty:
                pieces[:] = self._cut(key, cell, pieces, lost, day, cuts)
            if not gained.is_empty:
                pieces.append(_Piece(gained, day))
                gains.append(gained)
            if not pieces:
                state.held.pop(cell, None)
                del state.pieces[cell]
            else:
                geoms = [p.geom for p in pieces]
                state.held[cell] = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
            if new.is_empty:
                state.raw.pop(cell, None)
            else:
                state.raw[cell] = new
            if dropped_gain or dropped_loss:
                state.apart[cell] = dropped_gain + dropped_loss
                signed[cell] = dropped_gain - dropped_loss
            else:
                state.apart.pop(cell, None)
                signed.pop(cell, None)
        held_change = 0.0
        if gains:
            held_change += float(geodesic.geodesic_area_km2(gains).sum())
        if cuts:
            held_change -= float(geodesic.geodesic_area_km2(cuts).sum())
        self.held_km2[key] = self.held_km2.get(key, 0.0) + held_change

    def _cut(
        self,
        key: tuple[str, str],
        cell: tuple[int, int],
        pieces: list[_Piece],
        lost: Any,
        day: int,
        cuts: list[Any],
    ) -> list[_Piece]:
        """The pieces of a cell once ``lost`` is taken from them; what it took is closed.

        Each piece is overlaid only with the parts of ``lost`` near it (found in an
        STRtree): a day's loss is often many slivers along the whole front, and
        overlaying each piece with all of them was the slowest step of a redrawn front.
        """
        geoms = np.array([p.geom for p in pieces], dtype=object)
        parts = shapely.get_parts(lost)
        piece_of, part_of = shapely.STRtree(parts).query(geoms, predicate="intersects")
        if not len(piece_of):
            return pieces
        near = np.unique(piece_of)
        order = np.argsort(piece_of, kind="stable")
        groups = np.split(part_of[order], np.searchsorted(piece_of[order], near[1:]))
        # The parts of one polygonal geometry never overlap: a multipolygon of them
        # is valid and needs no union.
        local = np.array(
            [parts[g[0]] if len(g) == 1 else shapely.multipolygons(parts[g]) for g in groups],
            dtype=object,
        )
        cut = shapely.intersection(geoms[near], local)
        rest = shapely.difference(geoms[near], local)
        touched = dict(zip(near.tolist(), range(len(near)), strict=True))
        kept: list[_Piece] = []
        for i, piece in enumerate(pieces):
            k = touched.get(i)
            if k is None:
                kept.append(piece)
                continue
            piece_cut = _polygonal(cut[k])
            if shapely.area(piece_cut) <= DEBRIS_DEG2:
                kept.append(piece)
                continue
            self.closed.append((key, cell, piece_cut, piece.start, day))
            cuts.append(piece_cut)
            piece_rest = _polygonal(rest[k])
            if shapely.area(piece_rest) > DEBRIS_DEG2:
                kept.append(_Piece(piece_rest, piece.start))
        return kept

    def finish(self, end: pd.Timestamp | None) -> tuple[gpd.GeoDataFrame, SnapshotReport]:
        open_day = len(self.dates)  # index past the last date: "until end"
        records = list(self.closed)
        for key, state in self.states.items():
            for cell, pieces in state.pieces.items():
                records.extend((key, cell, p.geom, p.start, open_day) for p in pieces)
        groups: dict[tuple[str, str, int, int], list[Any]] = {}
        for (who, status), _cell, geom, first, stop in records:
            groups.setdefault((who, status, first, stop), []).append(geom)
        rows = []
        stamps = [*self.dates, end if end is not None else pd.NaT]
        for (who, status, first, stop), geoms in groups.items():
            rows.append(
                {
                    "actor": who,
                    "start": stamps[first],
                    "end": stamps[stop],
                    "status": status,
                    "geometry": _merge(geoms),
                }
            )
        if not rows:
            raise DataError("snapshots: no ground is held in any snapshot")
        periods = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
        periods = periods.sort_values(["start", "actor", "status"], kind="stable")
        periods["start"] = periods["start"].astype(DATE_DTYPE)
        periods["end"] = periods["end"].astype(DATE_DTYPE)
        stored = int(shapely.get_num_coordinates(periods.geometry.values).sum())
        report = SnapshotReport(
            days=pd.DataFrame(
                self.day_rows,
                columns=["date", "actor", "status", "own_km2", "timeline_km2", "deviation_km2"],
            ),
            min_change_km2=self.min_change_km2,
            input_vertices=self.input_vertices,
            stored_vertices=stored,
            pieces=len(periods),
        )
        return periods.reset_index(drop=True), report


def _merge(geoms: list[Any]) -> Any:
    """One geometry of edge-matched tile pieces: a coverage union, checked."""
    if len(geoms) == 1:
        return geoms[0]
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    try:
        merged = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:  # not a coverage: noded differently somewhere
        merged = None
    expected = float(shapely.area(parts).sum())
    if (
        merged is not None
        and shapely.get_type_id(merged) in (3, 6)
        and shapely.is_valid(merged)
        and abs(shapely.area(merged) - expected) <= 1e-9 * max(expected, 1e-12)
    ):
        return merged
    # Pieces not exactly edge-matched (an overlay noded a border point differently):
    # the ordinary union is slower but always right.
    return _polygonal(shapely.union_all(parts))


def without_small_parts(changes: gpd.GeoDataFrame, min_km2: float) -> gpd.GeoDataFrame:
    """Rows of ``changes`` with parts under ``min_km2`` removed and ``area_km2`` updated.

    Rows left empty are dropped; the others keep their index labels.

    Examples
    --------
    >>> from shapely import box, MultiPolygon
    >>> rows = gpd.GeoDataFrame({"area_km2": [0.0]},
    ...     geometry=[MultiPolygon([box(0, 0, 1, 1), box(2, 0, 2.001, 0.001)])], crs=4326)
    >>> round(float(without_small_parts(rows, 1.0).area_km2.iloc[0]))
    12308
    """
    min_km2 = check_km2("min_change_km2", min_km2)
    geoms = [_split_small(g, min_km2)[0] for g in changes.geometry.values]
    out = changes.copy()
    out["geometry"] = geoms
    out["area_km2"] = geodesic.geodesic_area_km2(np.asarray(geoms, dtype=object))
    # The index is kept, so that callers can put the rows back among others.
    return out.loc[~shapely.is_empty(np.asarray(geoms, dtype=object))]


# ---------------------------------------------------------------------------- public API
def _key_rows(
    frame: gpd.GeoDataFrame,
    stamp: pd.Timestamp,
    *,
    actor: str,
    status: str,
    default_actor: str | None,
    file: object,
) -> tuple[dict[tuple[str, str], list[Any]], list[dict[str, Any]]]:
    """One day's map as polygons per (actor, status), and the polygons it repaired.

    Features are named by their index label: for a file read whole that is the
    feature's position in the file, for a frame the label a person sees in it (a frame
    filtered or built from several maps keeps labels that are not positions).
    """
    from .periods import DEFAULT_STATUS, _is_blank, check_geometries, repaired

    label = f"{file}" if file is not None else f"snapshot {iso_day(stamp)}"
    word = "feature" if file is not None else "index label"
    index = frame.index

    def name(i: int) -> str:
        return f"{word} {_plain_label(index[i])!r}"

    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if not len(geoms):
        return {}, []
    check_geometries(gpd.GeoSeries(geoms), file=label, name=name)
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    repairs = [
        {
            "date": stamp,
            "file": None if file is None else str(file),
            "feature": _plain_label(index[i]),
            "reason": _reason(geoms[i]),
        }
        for i in invalid
    ]
    geoms = repaired(geoms)
    if actor in frame.columns:
        names = frame[actor].to_numpy(dtype=object)
        blank = np.array([_is_blank(v) for v in names], dtype=bool)
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise DataError(f"{label}: {name(i)}: no actor ({actor!r} is blank)")
        names = np.array([str(v).strip() for v in names], dtype=object)
    elif default_actor is not None:
        names = np.full(len(geoms), default_actor, dtype=object)
    else:
        fields = [c for c in frame.columns if c != frame.geometry.name]
        raise DataError(
            f"{label}: no {actor!r} field for the actor; fields are [{some(fields)}]"
            " (pass actor='<field>', or default_actor='<name>' when one actor holds it all)"
        )
    if status in frame.columns:
        stats = np.array(
            [DEFAULT_STATUS if _is_blank(v) else str(v).strip() for v in frame[status]],
            dtype=object,
        )
    else:
        stats = np.full(len(geoms), DEFAULT_STATUS, dtype=object)
    out: dict[tuple[str, str], list[Any]] = {}
    for g, who, what in zip(geoms, names, stats, strict=True):
        out.setdefault((who, what), []).append(g)
    return out, repairs


def _plain_label(label: Any) -> Any:
    """An index label as Python has it (``179``, not ``np.int64(179)``), for messages."""
    return label.item() if isinstance(label, np.generic) else label


def _outside_level() -> int:
    """The ``stacklevel`` of the first caller outside controlmap: warnings point there."""
    package = str(Path(__file__).parent)
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def _reason(geom: Any) -> str:
    """Why GEOS finds a polygon invalid, without the coordinates: "self-intersection"."""
    text = re.sub(r"\[.*\]\s*$", "", shapely.is_valid_reason(geom)).strip()
    return text.lower() or "invalid"


#: Snapshots with repairs warned about one line each; beyond, one line for all of them.
REPAIR_LINES = 5


def _warn_repairs(repairs: pd.DataFrame, days: int) -> None:
    """Tell what was repaired: one warning per snapshot, or one for all when many."""
    if not len(repairs):
        return

    def reasons(rows: pd.DataFrame) -> str:
        counts = rows["reason"].value_counts(sort=True)
        return ", ".join(f"{reason} {n}" for reason, n in counts.items())

    def plural(n: int) -> str:
        return f"{n} invalid polygon{'s' if n != 1 else ''}"

    groups = list(repairs.groupby("date", sort=True))
    if len(groups) <= REPAIR_LINES:
        for _, rows in groups:
            word = "index label" if rows["file"].isna().all() else "feature"
            named = some(rows["feature"], count=3)
            where_ = f"{word}{'s' if len(rows) > 1 else ''} {named}"
            if rows["file"].notna().any():
                where_ = f"{rows['file'].iloc[0]}, {where_}"
            warnings.warn(
                f"snapshot {iso_day(rows['date'].iloc[0])} ({where_}): repaired {plural(len(rows))}"
                f" ({reasons(rows)}); areas use the repaired polygons",
                GeometryWarning,
                stacklevel=_outside_level(),
            )
        return
    first = iso_day(repairs["date"].min())
    warnings.warn(
        f"repaired {plural(len(repairs))} in {len(groups)} of {days} snapshots"
        f" ({reasons(repairs)}), first on {first}; areas use the repaired polygons;"
        " per snapshot: timeline.snapshot_report.repairs",
        GeometryWarning,
        stacklevel=_outside_level(),
    )


def decompose_snapshots(
    snapshots: Iterable[tuple[Any, ...]],
    *,
    actor: str = "actor",
    status: str = "status",
    default_actor: str | None = None,
    end: DateLike | None = None,
    min_change_km2: float = 0.0,
    tile_degrees: float = DEFAULT_TILE_DEGREES,
) -> tuple[gpd.GeoDataFrame, SnapshotReport]:
    """Decompose dated maps into pieces of ground with one ``[start, end)`` each.

    Parameters
    ----------
    snapshots : iterable of ``(date, GeoDataFrame)`` or ``(date, GeoDataFrame, file)``
        The maps in date order, consumed one at a time (a generator keeps memory near
        the result plus one day). Each map says what each actor held from its date
        until the next map's date.
    actor, status : str
        Field names in the maps (status is optional: ``"control"``).
    default_actor : str, optional
        The actor holding every feature of maps that have no ``actor`` field.
    end : date, optional
        When the last map stops being valid (default: still valid).
    min_change_km2 : float, default 0
        Redraw noise: gained or lost parts smaller than this (each connected part,
        geodesic km²) are not a change of control; the timeline keeps the earlier
        line there. 0 keeps every change (exact up to float debris of 0.01 m²). The
        effect is in the report: the largest deviation from each day's own map.
    tile_degrees : float
        The grid the maps are compared in (a tuning knob; results do not depend on it
        beyond float debris).

    Returns
    -------
    periods : GeoDataFrame
        ``actor``, ``start``, ``end``, ``status``, geometry: one row per actor, status,
        start and end.
    report : SnapshotReport

    Examples
    --------
    >>> from shapely import box
    >>> def held(*bounds):
    ...     return gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(*bounds)], crs=4326)
    >>> days = [("2024-01-01", held(0, 0, 2, 1)), ("2024-01-02", held(0, 0, 2, 1)),
    ...         ("2024-01-03", held(0, 0, 3, 1))]
    >>> periods, report = decompose_snapshots(days)
    >>> [(f"{s:%m-%d}", e) for s, e in zip(periods.start, periods.end)]
    [('01-01', NaT), ('01-03', NaT)]
    """
    min_change_km2 = check_km2("min_change_km2", min_change_km2)
    if not (isinstance(tile_degrees, int | float) and 0 < tile_degrees <= 45):
        raise DataError(f"tile_degrees {tile_degrees!r} is not between 0 and 45")
    work = _Decomposer(float(tile_degrees), float(min_change_km2))
    repairs: list[dict[str, Any]] = []
    for item in snapshots:
        stamp = parse_date(item[0], what="snapshot date")
        file = item[2] if len(item) > 2 else None
        maps, repaired_here = _key_rows(
            item[1], stamp, actor=actor, status=status, default_actor=default_actor, file=file
        )
        work.add(stamp, maps)
        repairs.extend(repaired_here)
    if not work.dates:
        raise DataError("snapshots: no snapshots given")
    final = parse_date(end, what="end") if end is not None else None
    if final is not None and final <= work.dates[-1]:
        raise DateError(f"snapshots: end {iso_day(final)} is not after the last snapshot")
    periods, report = work.finish(final)
    report.repairs = pd.DataFrame(repairs, columns=["date", "file", "feature", "reason"])
    _warn_repairs(report.repairs, len(work.dates))
    return periods, report


def timeline_from_snapshots(
    snapshots: Iterable[tuple[Any, ...]],
    *,
    name: str | None = None,
    source: object | None = None,
    **options: Any,
) -> Timeline:
    """A :class:`~controlmap.Timeline` of the pieces of :func:`decompose_snapshots`.

    The report is kept as ``timeline.snapshot_report``.

    Examples
    --------
    >>> from shapely import box
    >>> maps = [("2024-01-01", gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(0, 0, 1, 1)]))]
    >>> timeline_from_snapshots(maps).snapshot_report.pieces
    1
    """
    from .model import Timeline
    from .periods import normalize_periods

    periods, report = decompose_snapshots(snapshots, **options)
    timeline = Timeline._from_normalized(
        normalize_periods(periods, file=source), name=name, source=source
    )
    # Pieces of one actor and status never overlap while held; with one status per
    # actor, areas are plain sums (the overlap search of Timeline.area is skipped).
    statuses = periods.groupby("actor")["status"].nunique()
    timeline._disjoint = bool((statuses == 1).all())
    timeline.snapshot_report = report
    return timeline


def frames_by_date(
    snapshots: Any, *, date: str = "date"
) -> list[tuple[pd.Timestamp, gpd.GeoDataFrame]]:
    """``{date: map}`` or one frame with a ``date`` column as sorted ``(date, map)`` pairs.

    Examples
    --------
    >>> from shapely import box
    >>> f = gpd.GeoDataFrame({"date": ["2024-02", "2024-01"], "actor": ["A", "A"]},
    ...                      geometry=[box(0, 0, 1, 1)] * 2)
    >>> [f"{d:%Y-%m-%d}" for d, _ in frames_by_date(f)]
    ['2024-01-01', '2024-02-01']
    """
    if isinstance(snapshots, pd.DataFrame):
        if date not in snapshots.columns:
            fields = [
                c
                for c in snapshots.columns
                if c != getattr(snapshots, "_geometry_column_name", None)
            ]
            raise DataError(
                f"snapshots: no {date!r} column saying when each map was true; columns are"
                f" [{some(fields)}] (pass date='<column>')"
            )
        stamps = _frame_dates(snapshots[date], date)
        codes, uniques = pd.factorize(stamps, sort=True)
        return [
            (uniques[k], snapshots.iloc[np.flatnonzero(codes == k)].drop(columns=date))
            for k in range(len(uniques))
        ]
    pairs = [(parse_date(k, what="snapshot date"), v) for k, v in snapshots.items()]
    for stamp, value in pairs:
        if not isinstance(value, pd.DataFrame):
            raise DataError(
                f"snapshot {iso_day(stamp)}: a {type(value).__name__}, not a GeoDataFrame"
            )
    pairs.sort(key=lambda kv: kv[0])
    for (a, _), (b, _) in itertools.pairwise(pairs):
        if a == b:
            raise DateError(f"snapshots: two maps for {iso_day(a)}")
    return pairs


def _frame_dates(values: pd.Series, column: str) -> pd.DatetimeIndex:
    """The dates of a frame's date column; a bad one is named by its index label."""
    try:
        return parse_dates(values, what=column)
    except DateError:
        pass
    for label, value in values.items():
        try:
            parse_date(value, what=column)
        except DateError as exc:
            raise DateError(f"snapshots: index label {label!r}: {exc}") from None
    raise AssertionError("unreachable: a date failed as a column but not alone")


# ---------------------------------------------------------------------------- reading
DEFAULT_PATTERN = r"(\d{4}-\d{2}-\d{2})"


def iter_snapshots(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    pattern: str = DEFAULT_PATTERN,
    date: str | None = None,
    where: Callable[[gpd.GeoDataFrame], Any] | None = None,
    layer: str | int | None = None,
    progress: bool | None = None,
) -> Iterator[tuple[pd.Timestamp, gpd.GeoDataFrame, str]]:
    """Yield ``(date, map, file)`` from an archive, one date at a time, in date order.

    Parameters
    ----------
    source : path, glob or list of paths
        A folder (every file in it whose name matches ``pattern``), a glob such as
        ``"maps/*.geojson"``, a list of files, or one file with a ``date`` column.
    pattern : str
        Regular expression finding the date in a file name: its first group (or the
        group named ``date``) is an ISO date. Default: the first ``YYYY-MM-DD``.
    date : str, optional
        With one file: the column holding each feature's date (default ``"date"``).
    where : callable, optional
        Keeps some features of each map: called with the map, returns a boolean mask
        (e.g. ``lambda m: m["kind"] != "losses"``).
    layer : str or int, optional
        The layer of GeoPackages.
    progress : bool, optional
        Draw a progress bar on stderr (default: when stderr is a terminal).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely import box
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for day in ("2024-01-02", "2024-01-01"):
    ...     m = gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    ...     m.to_file(folder / f"front_{day}.geojson")
    >>> [f"{d:%d}" for d, _, _ in iter_snapshots(folder, progress=False)]
    ['01', '02']
    """
    from .render._progress import progress_bar

    single = _single_file(source)
    if single is not None:
        yield from _iter_one_file(
            single, date=date or "date", where=where, layer=layer, progress=progress
        )
        return
    if date is not None:
        raise DataError(f"{source}: date= names a column of one file; a folder dates its files")
    files = _dated_files(source, pattern)
    for stamp, path in progress_bar(files, enabled=progress, description="reading maps"):
        frame = _read_map(path, layer=layer)
        if where is not None:
            frame = frame.loc[_mask(where, frame, path)]
        yield stamp, frame, str(path)


def _single_file(source: Any) -> Path | None:
    if isinstance(source, str | Path) and not any(ch in str(source) for ch in "*?["):
        path = Path(source)
        if path.is_file():
            return path
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
    return None


def _dated_files(source: Any, pattern: str) -> list[tuple[pd.Timestamp, Path]]:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise DataError(f"pattern {pattern!r} is not a regular expression: {exc}") from None
    if isinstance(source, str | Path):
        text = str(source)
        if any(ch in text for ch in "*?["):
            anchor = Path(text)
            parts = anchor.parts
            fixed = next((k for k, p in enumerate(parts) if any(c in p for c in "*?[")), 0)
            base = Path(*parts[:fixed]) if fixed else Path(".")
            candidates = sorted(base.glob(str(Path(*parts[fixed:]))))
        else:
            candidates = sorted(p for p in Path(text).iterdir())
        named = str(source)
    else:
        candidates = [Path(p) for p in source]
        named = "the files given"
    found: dict[pd.Timestamp, Path] = {}
    for path in candidates:
        if not path.is_file():
            continue
        match = regex.search(path.name)
        if match is None:
            if not isinstance(source, str | Path):
                raise DataError(f"{path}: no date in the file name (pattern {pattern!r})")
            continue
        group = "date" if "date" in regex.groupindex else 1
        text = match.group(group)
        before = path.name[: match.start(group)]
        if before.endswith("-") and (len(before) == 1 or not before[-2].isalnum()):
            # "front_-0100-01-01": a minus sign, not a separator (that would follow a
            # letter or digit): the year is 100 BC, which must not be read as AD 100.
            text = "-" + text
        try:
            stamp = parse_date(text, what="date in the file name")
        except DateError as exc:
            raise DateError(f"{path}: {exc}") from None
        if stamp in found:
            raise DateError(f"{path}: same date {iso_day(stamp)} as {found[stamp]}")
        found[stamp] = path
    if not found:
        raise DataError(f"{named}: no file whose name has a date (pattern {pattern!r})")
    return sorted(found.items())


def _read_map(path: Path, *, layer: str | int | None) -> gpd.GeoDataFrame:
    from .io.reading import read_frame

    try:
        return read_frame(path, layer=layer)[0]
    except FormatError:
        if path.suffix.lower() not in {".json", ".geojson"}:
            raise
        wrapped = _unwrapped_collection(path)
        if wrapped is None:
            raise
        return wrapped


def _unwrapped_collection(path: Path) -> gpd.GeoDataFrame | None:
    """A FeatureCollection wrapped in one member (``{"value": {...}}``), as some trackers do."""
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or len(document) != 1:
        return None
    inner = next(iter(document.values()))
    if not isinstance(inner, dict) or inner.get("type") != "FeatureCollection":
        return None
    features = inner.get("features")
    if not isinstance(features, list):
        return None
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs=4326)
    except Exception as exc:  # shapely/geopandas raise many types for a bad geometry
        raise FormatError(f"{path}: cannot read the wrapped features: {one_line(exc)}") from None
    if frame.empty:
        raise DataError(f"{path}: has no features (empty FeatureCollection)")
    return frame


def _mask(where: Callable[[gpd.GeoDataFrame], Any], frame: gpd.GeoDataFrame, path: Any) -> Any:
    try:
        mask = np.asarray(where(frame), dtype=bool)
    except Exception as exc:  # the caller's function: name the file it failed on
        raise DataError(f"{path}: where= failed: {one_line(exc)}") from None
    if mask.shape != (len(frame),):
        raise DataError(f"{path}: where= must return one boolean per feature")
    return mask


def _iter_one_file(
    path: Path,
    *,
    date: str,
    where: Callable[[gpd.GeoDataFrame], Any] | None,
    layer: str | int | None,
    progress: bool | None,
) -> Iterator[tuple[pd.Timestamp, gpd.GeoDataFrame, str]]:
    """Dates of one GeoParquet/GeoPackage/GeoJSON file, a date at a time.

    GeoParquet is read in row groups (streamed) when its dates come in order; other
    formats, and files out of date order, are read whole first.
    """
    from .render._progress import progress_bar

    if path.suffix.lower() == ".parquet":
        batches = _parquet_batches(path, date)
    else:
        batches = iter([_read_map(path, layer=layer)])
    pending: gpd.GeoDataFrame | None = None
    last: pd.Timestamp | None = None
    seen: set[pd.Timestamp] = set()
    total = _parquet_dates(path, date) if path.suffix.lower() == ".parquet" else None
    bar = progress_bar(range(total or 0), enabled=progress, description="reading maps")
    ticks = iter(bar)
    for batch in batches:
        if date not in batch.columns:
            fields = [c for c in batch.columns if c != batch.geometry.name]
            raise DataError(
                f"{path}: no {date!r} column saying when each map was true; fields are"
                f" [{some(fields)}] (pass date='<field>')"
            )
        try:
            stamps = parse_dates(batch[date], what=date)
        except DateError as exc:
            raise DateError(f"{path}: {exc}") from None
        if not stamps.is_monotonic_increasing:  # a file read whole: group by date
            order = np.argsort(stamps.asi8, kind="stable")
            batch, stamps = batch.iloc[order], stamps[order]
        bounds = np.flatnonzero(stamps[1:] != stamps[:-1]) + 1
        for lo, hi in zip([0, *bounds], [*bounds, len(batch)], strict=True):
            stamp = stamps[lo]
            chunk = batch.iloc[lo:hi]
            if last is not None and stamp == last:
                pending = pd.concat([pending, chunk])  # a date split across row groups
                continue
            if pending is not None and last is not None:
                yield last, _filtered(pending, where, path, date), str(path)
                next(ticks, None)
            if stamp in seen or (last is not None and stamp < last):
                raise DataError(
                    f"{path}: dates are not in order ({iso_day(stamp)} after"
                    f" {iso_day(last)}): sort the file by {date!r} to stream it"  # type: ignore[arg-type]
                )
            seen.add(stamp)
            pending, last = chunk, stamp
    if pending is not None and last is not None:
        yield last, _filtered(pending, where, path, date), str(path)
        next(ticks, None)


def _filtered(
    frame: gpd.GeoDataFrame, where: Callable[[gpd.GeoDataFrame], Any] | None, path: Any, date: str
) -> gpd.GeoDataFrame:
    frame = frame.drop(columns=date)
    if where is not None:
        frame = frame.loc[_mask(where, frame, path)]
    return frame


def _parquet_dates(path: Path, date: str) -> int | None:
    import pyarrow.parquet as pq

    try:
        column = pq.read_table(path, columns=[date]).column(0)
    except Exception:  # a missing column is reported by the batch reader, by name
        return None
    return len(column.unique())


_BATCH_ROWS = 64  # rows decoded at a time from GeoParquet: a few days of maps


def _parquet_batches(path: Path, date: str) -> Iterator[gpd.GeoDataFrame]:
    """A GeoParquet file a row group at a time, or whole when dates are out of order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        dates = pq.read_table(path, columns=[date]).column(0).to_pandas()
    except KeyError:
        yield _read_map(path, layer=None)
        return
    except Exception as exc:  # pyarrow raises many types: all mean "cannot read"
        yield _read_map(path, layer=None)  # GDAL's reader names the problem
        raise FormatError(f"{path}: cannot read as GeoParquet: {one_line(exc)}") from None
    try:
        stamps = parse_dates(dates, what=date)
    except DateError as exc:
        raise DateError(f"{path}: {exc}") from None
    if not stamps.is_monotonic_increasing:
        whole = _read_map(path, layer=None)
        yield whole
        return
    from .io.reading import _to_wgs84

    metadata = handle.schema_arrow.metadata or {}
    # Small batches, not row groups: writers often put a whole file in one row group.
    for batch in handle.iter_batches(batch_size=_BATCH_ROWS):
        if not batch.num_rows:
            continue
        table = pa.Table.from_batches([batch]).replace_schema_metadata(metadata)
        yield _to_wgs84(gpd.GeoDataFrame.from_arrow(table), path, None)


def read_snapshots(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    pattern: str = DEFAULT_PATTERN,
    date: str | None = None,
    actor: str = "actor",
    status: str = "status",
    default_actor: str | None = None,
    where: Callable[[gpd.GeoDataFrame], Any] | None = None,
    layer: str | int | None = None,
    end: DateLike | None = None,
    min_change_km2: float = 0.0,
    progress: bool | None = None,
    name: str | None = None,
) -> Timeline:
    """Read an archive of dated maps into a compact timeline, streaming it.

    Parameters
    ----------
    source : path, glob or list of paths
        A folder of one-file-a-day maps (date in the file name, found with
        ``pattern``), a glob, a list of files, or one GeoParquet/GeoPackage/GeoJSON
        file with a ``date`` column. See :func:`iter_snapshots`.
    pattern, date, where, layer, progress
        As in :func:`iter_snapshots`.
    actor, status, default_actor, end, min_change_km2
        As in :func:`decompose_snapshots`.
    name : str, optional
        The timeline's label (default: the folder or file name).

    Returns
    -------
    Timeline
        Pieces of ground with one ``[start, end)`` each; ``timeline.snapshot_report``
        says how far each day's area is from that day's own map.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely import box
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for day, east in (("2024-01-01", 2), ("2024-01-02", 3)):
    ...     m = gpd.GeoDataFrame(geometry=[box(0, 0, east, 1)], crs=4326)
    ...     m.to_file(folder / f"{day}.geojson")
    >>> tl = read_snapshots(folder, default_actor="A", progress=False)
    >>> len(tl), tl.actors
    (2, ['A'])
    """
    stream = iter_snapshots(
        source, pattern=pattern, date=date, where=where, layer=layer, progress=progress
    )
    label = name if name is not None else _label(source)
    return timeline_from_snapshots(
        stream,
        name=label,
        source=str(source) if isinstance(source, str | Path) else None,
        actor=actor,
        status=status,
        default_actor=default_actor,
        end=end,
        min_change_km2=min_change_km2,
    )


def _label(source: Any) -> str | None:
    if isinstance(source, str | Path):
        text = str(source).rstrip("/")
        return Path(text.split("*")[0]).stem or Path(text).parent.name or None
    return None


# ---------------------------------------------------------------------------- changes
def change_series(
    timeline: Timeline,
    *,
    freq: str = "D",
    start: DateLike | None = None,
    end: DateLike | None = None,
    status: str | Iterable[str] | None = None,
    min_change_km2: float = 0.0,
) -> pd.DataFrame:
    """Ground gained and lost per actor in each step of ``freq``: the trackers' figure.

    Parameters
    ----------
    timeline : Timeline
    freq : str
        pandas frequency of the steps (``"D"``, ``"W"``, ``"MS"``...).
    start, end : date, optional
        The first and last date compared (default: the timeline's first and last
        change date).
    status : str or list of str, optional
        Count only these statuses.
    min_change_km2 : float, default 0
        Slivers: in each step, gained or lost parts (connected polygons) under this
        area are not counted, as in :meth:`Timeline.changes`. With the default 0,
        ``net_km2`` is the change of ``area()``; above it, ``net_km2`` leaves out the
        dropped parts.

    Returns
    -------
    DataFrame
        One row per step and actor: ``start``, ``end`` (the two dates compared: what
        was held on ``end`` against what was held on ``start``), ``actor``,
        ``gained_km2``, ``lost_km2``, ``net_km2``. ``net_km2`` is the change of
        ``timeline.area()`` between the two dates (with ``min_change_km2=0``).

    Examples
    --------
    >>> from shapely import box
    >>> from controlmap import Timeline
    >>> maps = {"2024-01-01": gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(0, 0, 1, 1)]),
    ...         "2024-01-03": gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(0, 0, 2, 1)])}
    >>> daily = change_series(Timeline.from_snapshots(maps), freq="D")
    >>> [(f"{d:%m-%d}", round(km2)) for d, km2 in zip(daily.end, daily.gained_km2)]
    [('01-02', 0), ('01-03', 12308)]
    """
    from .model import _date_range
    from .periods import _seconds

    check_km2("min_change_km2", min_change_km2)
    changes = timeline.change_dates
    first = parse_date(start, what="start") if start is not None else changes[0]
    last = parse_date(end, what="end") if end is not None else changes[-1]
    if last <= first:
        raise DateError(f"changes: end {iso_day(last)} is not after start {iso_day(first)}")
    try:
        steps = _date_range(first, last, freq)
    except DataError:
        # A step longer than the range (a week of two days) is one step, first to last.
        if len(pd.date_range(first, last, freq=freq)):
            raise
        steps = pd.DatetimeIndex([])
    bounds = pd.DatetimeIndex(sorted({first, *steps, last}), dtype=DATE_DTYPE)
    periods = timeline._table
    keep = timeline._status_mask(status)
    codes, labels = intervals.factorize(periods["actor"])
    if getattr(timeline, "_disjoint", False):
        table = _disjoint_changes(
            timeline._geoms,
            _seconds(periods["start"]),
            _seconds(periods["end"]),
            codes,
            timeline.period_area_km2,
            keep,
            bounds.as_unit("s").asi8,
            len(labels),
            float(min_change_km2),
        )
    else:
        table = np.zeros((len(bounds) - 1, len(labels), 2))
        index = {who: k for k, who in enumerate(labels)}
        for w, (a, b) in enumerate(itertools.pairwise(bounds)):
            found = timeline.changes(a, b, status=status, min_change_km2=min_change_km2)
            for who, change, km2 in zip(found.actor, found.change, found.area_km2, strict=True):
                table[w, index[who], 0 if change == "gained" else 1] += km2
    rows = []
    for w in range(len(bounds) - 1):
        for k, who in enumerate(labels):
            gained, lost = table[w, k]
            rows.append((bounds[w], bounds[w + 1], who, gained, lost, gained - lost))
    return pd.DataFrame(
        rows, columns=["start", "end", "actor", "gained_km2", "lost_km2", "net_km2"]
    )


def _disjoint_changes(
    geoms: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    codes: np.ndarray,
    areas: np.ndarray,
    keep: np.ndarray,
    bounds: np.ndarray,
    n_actors: int,
    min_km2: float = 0.0,
) -> np.ndarray:
    """Gains and losses per step from pieces that never overlap while both are held.

    Between two dates ``a < b``, the ground gained is the pieces held on ``b`` that
    started after ``a``; the ground lost, the pieces held on ``a`` that ended by ``b``.
    Only ground lost and taken back within one step is in both: where a step holds
    more than one change date, those overlaps are measured and taken off both. With
    ``min_km2``, the connected parts of each actor's gain and loss are needed: they are
    built from those pieces alone (never from the whole map).
    """
    out = np.zeros((len(bounds) - 1, n_actors, 2))
    index = np.flatnonzero(keep)
    s, e = starts[index], ends[index]
    # Only pieces that start or end inside the range can be a change.
    by_start = index[np.argsort(s, kind="stable")]
    by_end = index[np.argsort(e, kind="stable")]
    s_sorted, e_sorted = starts[by_start], ends[by_end]
    for w in range(len(bounds) - 1):
        a, b = bounds[w], bounds[w + 1]
        lo, hi = np.searchsorted(s_sorted, [a, b], side="right")
        came = by_start[lo:hi]
        came = came[ends[came] > b]
        lo, hi = np.searchsorted(e_sorted, [a, b], side="right")
        went = by_end[lo:hi]
        went = went[starts[went] <= a]
        if min_km2 > 0:
            out[w] = _trimmed_changes(geoms, codes, came, went, n_actors, min_km2)
            continue
        gained = np.bincount(codes[came], weights=areas[came], minlength=n_actors)
        lost = np.bincount(codes[went], weights=areas[went], minlength=n_actors)
        if (
            len(came)
            and len(went)
            and (
                len(np.unique(starts[came])) > 1
                or len(np.unique(ends[went])) > 1
                or starts[came][0] != ends[went][0]
            )
        ):
            left, right = shapely.STRtree(geoms[went]).query(geoms[came], predicate="intersects")
            same = codes[came[left]] == codes[went[right]]
            left, right = left[same], right[same]
            if len(left):
                both = shapely.intersection(geoms[came[left]], geoms[went[right]])
                overlap = geodesic.geodesic_area_km2(both)
                again = np.bincount(codes[came[left]], weights=overlap, minlength=n_actors)
                gained -= again
                lost -= again
        out[w, :, 0] = np.maximum(gained, 0.0)
        out[w, :, 1] = np.maximum(lost, 0.0)
    return out


def _trimmed_changes(
    geoms: np.ndarray,
    codes: np.ndarray,
    came: np.ndarray,
    went: np.ndarray,
    n_actors: int,
    min_km2: float,
) -> np.ndarray:
    """km² gained and lost per actor in one step, leaving out parts under ``min_km2``.

    An actor's pieces held on both dates never meet the pieces that came or went, so
    its gain is the union of the pieces that came less those that went (ground lost
    and taken back within the step), and its loss the other way round: the same
    geometry :meth:`Timeline.changes` finds from the two whole maps.
    """
    out = np.zeros((n_actors, 2))
    for code in np.union1d(codes[came], codes[went]):
        new = _polygonal(shapely.union_all(geoms[came[codes[came] == code]]))
        old = _polygonal(shapely.union_all(geoms[went[codes[went] == code]]))
        for k, change in enumerate((shapely.difference(new, old), shapely.difference(old, new))):
            parts = shapely.get_parts(_polygonal(change))
            if not len(parts):
                continue
            areas = geodesic.geodesic_area_km2(parts)
            out[code, k] = float(areas[areas >= min_km2].sum())
    return out
