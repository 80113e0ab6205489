"""The timeline model: dated control periods and what can be asked of them.

A *period* says that ``actor`` held ``geometry`` from ``start`` (inclusive) until
``end`` (exclusive; missing means still held). A :class:`Timeline` is a set of
periods, stored as a GeoDataFrame in EPSG:4326 with plain columns ``actor``,
``start``, ``end``, ``status`` and any other properties, which travel with it.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.errors import OutOfBoundsDatetime

from . import area as _area
from ._crs import to_wgs84
from ._dates import DATE_DTYPE, RANGE_TEXT, DateLike, check_range, iso_day, parse_date, parse_dates
from .errors import DataError, DateError, GeometryError, one_line, some, where

if TYPE_CHECKING:
    import os

__all__ = ["Timeline"]

CORE_COLUMNS = ("actor", "start", "end", "status")
DEFAULT_STATUS = "control"
_OPEN = np.iinfo(np.int64).max
_POLYGONAL = {"Polygon", "MultiPolygon"}


def _seconds(values: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Seconds since the epoch as int64, NaT as the open-ended sentinel."""
    index = pd.DatetimeIndex(values).as_unit("s")
    out = index.asi8.copy()
    out[index.isna()] = _OPEN
    return out


def check_geometries(
    geometries: gpd.GeoSeries, *, file: object | None = None, ids: Sequence[Any] | None = None
) -> None:
    """Raise :class:`GeometryError` for the first geometry a timeline cannot hold.

    A geometry must be a non-empty Polygon or MultiPolygon with finite coordinates
    in longitude/latitude range. Invalid (self-intersecting) polygons pass here:
    they are reported by :func:`controlmap.validate` and fixed by ``repair``.

    Examples
    --------
    >>> from shapely import box, Point
    >>> check_geometries(gpd.GeoSeries([box(0, 0, 1, 1), Point(0, 0)]), file="a.geojson")
    Traceback (most recent call last):
    ...
    controlmap.errors.GeometryError: a.geojson: feature 1: geometry is a Point; ...
    """
    geoms = np.asarray(geometries.values, dtype=object)

    def fail(i: int, problem: str) -> GeometryError:
        fid = ids[i] if ids is not None else None
        return GeometryError(f"{where(file, i, fid)}: {problem}")

    missing = shapely.is_missing(geoms)
    if missing.any():
        raise fail(int(np.flatnonzero(missing)[0]), "has no geometry")
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, [3, 6])  # Polygon, MultiPolygon
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise fail(
            i,
            f"geometry is a {geoms[i].geom_type}; a control period needs a Polygon or MultiPolygon",
        )
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise fail(int(np.flatnonzero(empty)[0]), "geometry is empty")
    # In slices: all coordinates of a large timeline at once would cost about as much
    # memory as the timeline itself.
    for first in range(0, len(geoms), 256):
        coords, owner = shapely.get_coordinates(geoms[first : first + 256], return_index=True)
        owner += first
        finite = np.isfinite(coords).all(axis=1)
        if not finite.all():
            k = int(np.flatnonzero(~finite)[0])
            x, y = coords[k, 0], coords[k, 1]
            raise fail(int(owner[k]), f"coordinate ({x:g}, {y:g}) is not a finite number")
        outside = (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
        if outside.any():
            k = int(np.flatnonzero(outside)[0])
            raise fail(
                int(owner[k]),
                f"coordinate ({coords[k, 0]:g}, {coords[k, 1]:g}) is outside"
                " longitude/latitude range",
            )


def normalize_periods(
    frame: gpd.GeoDataFrame | pd.DataFrame,
    *,
    actor: str = "actor",
    start: str = "start",
    end: str = "end",
    status: str = "status",
    file: object | None = None,
    ids: Sequence[Any] | None = None,
) -> gpd.GeoDataFrame:
    """Return ``frame`` as a periods GeoDataFrame with the canonical columns.

    Renames the actor/start/end/status fields, parses dates, fills a missing status
    with ``"control"``, checks every feature and returns a new frame in EPSG:4326
    with a fresh RangeIndex. Errors name ``file``, the feature and the problem.

    Examples
    --------
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame({"who": ["A"], "from": ["2014-06"]}, geometry=[box(40, 34, 41, 35)],
    ...                      crs=4326)
    >>> row = normalize_periods(g, actor="who", start="from").loc[0]
    >>> row[["actor", "start", "status"]].tolist()
    ['A', Timestamp('2014-06-01 00:00:00'), 'control']
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        if "geometry" not in frame.columns:
            raise DataError(f"{where(file)}: no geometry column")
        frame = gpd.GeoDataFrame(frame, geometry="geometry")
    if frame.empty:
        raise DataError(f"{where(file)}: has no features")
    fields = [c for c in frame.columns if c != frame.geometry.name]
    for role, name in (("actor", actor), ("start", start)):
        if name not in frame.columns:
            raise DataError(
                f"{where(file)}: no {name!r} field for the {role}; fields are [{some(fields)}]"
                f" (pass {role}='<field>' to use another)"
            )
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = to_wgs84(frame, file)
    geometry = frame.geometry
    ids = list(ids) if ids is not None else (list(frame["id"]) if "id" in frame.columns else None)
    check_geometries(geometry, file=file, ids=ids)

    def fail(i: int, problem: str, kind: type[DataError] = DataError) -> DataError:
        return kind(f"{where(file, i, ids[i] if ids is not None else None)}: {problem}")

    actors = frame[actor]
    for i, value in enumerate(actors):
        if not isinstance(value, str) or not value.strip():
            shown = "missing" if value is None or value is pd.NA or value != value else repr(value)
            raise fail(i, f"actor ({actor!r}) is {shown}; every period needs a named actor")

    starts = _column_dates(frame[start], start, allow_missing=False, fail=fail)
    if end in frame.columns:
        ends = _column_dates(frame[end], end, allow_missing=True, fail=fail)
    else:
        ends = pd.DatetimeIndex([pd.NaT] * len(frame), dtype=DATE_DTYPE)
    reversed_ = np.asarray(ends.notna() & (ends <= starts))
    if reversed_.any():
        i = int(np.flatnonzero(reversed_)[0])
        raise fail(
            i,
            f"end {iso_day(ends[i])} is not after start {iso_day(starts[i])} "
            "(end is exclusive: a one-day period ends the next day)",
            DateError,
        )
    if status in frame.columns:
        # Missing or blank means the default; other values (status codes from a
        # shapefile, say) are kept as text.
        statuses = (
            frame[status]
            .astype(object)
            .map(lambda v: DEFAULT_STATUS if _is_blank(v) else str(v).strip())
        )
    else:
        statuses = pd.Series([DEFAULT_STATUS] * len(frame), index=frame.index, dtype=object)

    extra = [c for c in fields if c not in {actor, start, end, status, *CORE_COLUMNS}]
    data: dict[str, Any] = {
        "actor": actors.astype(str).str.strip().to_numpy(dtype=object),
        "start": starts,
        "end": ends,
        "status": statuses.astype(str).to_numpy(dtype=object),
    }
    for column in extra:
        data[column] = frame[column].to_numpy()
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(geometry.to_numpy(), crs=4326).values, crs=4326
    )


def _column_dates(
    values: pd.Series, name: str, *, allow_missing: bool, fail: Any
) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        index = pd.DatetimeIndex(values)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        index = index.normalize().as_unit("s")
        if not allow_missing and index.isna().any():
            raise fail(int(np.flatnonzero(index.isna())[0]), f"{name} is missing", DateError)
        outside = check_range(index)
        if outside is not None:
            day = iso_day(index[outside])
            raise fail(outside, f"{name} {day}: {RANGE_TEXT}", DateError)
        return index
    try:
        return parse_dates(values, allow_missing=allow_missing, what=name)
    except DateError:
        pass
    # Find the first bad value again to name its feature.
    for i, value in enumerate(values):
        try:
            parse_date(value, allow_missing=allow_missing, what=name)
        except DateError as exc:
            raise fail(i, str(exc), DateError) from None
    raise AssertionError("unreachable: a date failed as a column but not alone")


class Timeline:
    """Dated control periods: who held which ground, when.

    Parameters
    ----------
    periods : GeoDataFrame
        One row per period with at least ``actor`` and ``start`` and a polygonal
        geometry; ``end`` (exclusive, missing = still held), ``status`` and any
        other columns are optional. Data in another CRS is reprojected to EPSG:4326.
    actor, start, end, status : str
        Names of the fields holding each role, renamed to the canonical names.
    name : str, optional
        A label for the timeline (shown in maps and ``info``).
    source : str, optional
        The file it was read from, used in error messages.
    events : DataFrame, optional
        Dated events to annotate maps and charts with: columns ``date`` and
        ``label``, optionally ``place``, ``lon``, ``lat``, ``change`` and a boolean
        ``turning_point`` marking the dates an article would show.

    Examples
    --------
    >>> from shapely import box
    >>> import geopandas as gpd
    >>> periods = gpd.GeoDataFrame(
    ...     {"actor": ["A", "A"], "start": ["2014-01-01", "2015-01-01"],
    ...      "end": ["2015-01-01", None]},
    ...     geometry=[box(40, 34, 41, 35), box(40, 34, 40.5, 35)], crs=4326)
    >>> tl = Timeline(periods)
    >>> tl.actors
    ['A']
    >>> round(float(tl.at("2014-06-01").area_km2.iloc[0]))
    10188
    """

    def __init__(
        self,
        periods: gpd.GeoDataFrame,
        *,
        actor: str = "actor",
        start: str = "start",
        end: str = "end",
        status: str = "status",
        name: str | None = None,
        source: str | os.PathLike[str] | None = None,
        events: pd.DataFrame | None = None,
    ) -> None:
        self.events = _check_events(events)
        self._adopt(
            normalize_periods(
                periods, actor=actor, start=start, end=end, status=status, file=source
            ),
            name=name,
            source=source,
        )

    @classmethod
    def _from_normalized(
        cls, periods: gpd.GeoDataFrame, *, name: str | None, source: object | None
    ) -> Timeline:
        """Wrap periods already passed through :func:`normalize_periods` (used by readers)."""
        timeline = cls.__new__(cls)
        timeline.events = None
        timeline._adopt(periods, name=name, source=source)
        return timeline

    @property
    def turning_points(self) -> pd.DatetimeIndex:
        """Dates worth a map: the events marked ``turning_point``, else a spread of changes.

        Without events, eight change dates spread evenly over the timeline are used.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> "2017-07-10" in tl.turning_points.strftime("%Y-%m-%d")
        True
        """
        if self.events is not None and "turning_point" in self.events.columns:
            marked = self.events.loc[_flags(self.events["turning_point"]), "date"]
            if len(marked):
                return pd.DatetimeIndex(sorted(set(marked)), name="date")
        changes = self.change_dates
        picks = np.unique(np.linspace(0, len(changes) - 1, num=min(8, len(changes))).round())
        return pd.DatetimeIndex(changes[picks.astype(int)], name="date")

    def _adopt(self, periods: gpd.GeoDataFrame, *, name: str | None, source: object | None) -> None:
        self._periods = periods
        self.name = name
        self.source = None if source is None else str(source)
        geoms = np.asarray(self._periods.geometry.values, dtype=object)
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            # Computations need valid polygons; keep the user's geometry as given (so
            # ``validate`` can report it) and work on a repaired copy.
            warnings.warn(
                f"{where(self.source)}: {int(invalid.sum())} invalid polygon(s), first at feature "
                f"{int(np.flatnonzero(invalid)[0])}; areas use repaired copies "
                "(run `controlmap validate` / `controlmap repair`)",
                stacklevel=2,
            )
            geoms = repaired(geoms)
        self._geoms = geoms
        self._area: np.ndarray | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_snapshots(
        cls,
        snapshots: Mapping[DateLike, gpd.GeoDataFrame] | gpd.GeoDataFrame,
        *,
        date: str = "date",
        actor: str = "actor",
        status: str = "status",
        end: DateLike | None = None,
        name: str | None = None,
    ) -> Timeline:
        """Build a timeline from dated maps, each valid until the next one.

        Parameters
        ----------
        snapshots : mapping of date to GeoDataFrame, or GeoDataFrame
            Either ``{date: map}`` or one frame with a ``date`` column; each map has
            one or more rows per actor saying what it held on that date.
        date : str
            The date column when ``snapshots`` is a single frame.
        actor, status : str
            Field names in the maps.
        end : date, optional
            When the last snapshot stops being valid; open-ended if omitted.
        name : str, optional
            The timeline's label.

        Returns
        -------
        Timeline
            One period per actor (and status) and run of identical snapshots: a
            geometry repeated unchanged across snapshots becomes a single period.

        Examples
        --------
        >>> from shapely import box
        >>> import geopandas as gpd
        >>> def held(*bounds):
        ...     return gpd.GeoDataFrame({"actor": ["A"]}, geometry=[box(*bounds)], crs=4326)
        >>> snaps = {"2014-01-01": held(0, 0, 1, 1), "2014-06-01": held(0, 0, 1, 1),
        ...          "2015-01-01": held(0, 0, 2, 1)}
        >>> periods = Timeline.from_snapshots(snaps).periods
        >>> [f"{day:%Y-%m-%d}" for day in periods.start]
        ['2014-01-01', '2015-01-01']
        >>> [None if pd.isna(day) else f"{day:%Y-%m-%d}" for day in periods.end]
        ['2015-01-01', None]
        """
        if isinstance(snapshots, gpd.GeoDataFrame):
            if date not in snapshots.columns:
                raise DataError(f"snapshots: no {date!r} column saying when each map was true")
            stamps = parse_dates(snapshots[date], what=date)
            frames = {
                stamp: snapshots.loc[stamps == stamp].drop(columns=date)
                for stamp in stamps.unique()
            }
        else:
            frames = {parse_date(k, what="snapshot date"): v for k, v in snapshots.items()}
        if not frames:
            raise DataError("snapshots: no snapshots given")
        order = sorted(frames)
        final = parse_date(end, what="end") if end is not None else pd.NaT
        if not pd.isna(final) and final <= order[-1]:
            raise DateError(f"snapshots: end {iso_day(final)} is not after the last snapshot")
        valid_until = [*order[1:], final]
        rows: list[dict[str, Any]] = []
        open_runs: dict[tuple[str, str], dict[str, Any]] = {}
        for stamp, until in zip(order, valid_until, strict=True):
            frame = frames[stamp]
            if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
                frame = frame.to_crs(4326)
            if actor not in frame.columns:
                raise DataError(f"snapshot {iso_day(stamp)}: no {actor!r} column")
            seen: set[tuple[str, str]] = set()
            blank = frame[actor].map(_is_blank).to_numpy()
            if blank.any():
                i = int(np.flatnonzero(blank)[0])
                raise DataError(f"snapshot {iso_day(stamp)}: row {i} has no actor")
            geoms = np.asarray(frame.geometry.values, dtype=object)
            check_geometries(gpd.GeoSeries(geoms), file=f"snapshot {iso_day(stamp)}")
            geoms = repaired(geoms)  # a union needs valid polygons; as for periods
            keys = frame[actor].astype(str).str.strip()
            stats = (
                frame[status]
                .astype(object)
                .map(lambda v: DEFAULT_STATUS if _is_blank(v) else str(v).strip())
                if status in frame.columns
                else None
            )
            for key_actor in keys.unique():
                mask = (keys == key_actor).to_numpy()
                for key_status in stats[mask].unique() if stats is not None else [DEFAULT_STATUS]:
                    sub = mask if stats is None else mask & (stats == key_status).to_numpy()
                    geom = _polygonal(shapely.union_all(geoms[sub]))
                    key = (key_actor, key_status)
                    seen.add(key)
                    run = open_runs.get(key)
                    if (
                        run is not None
                        and run["end"] == stamp
                        and shapely.equals(run["geometry"], geom)
                    ):
                        run["end"] = until  # unchanged: extend the period
                        continue
                    run = {
                        "actor": key_actor,
                        "status": key_status,
                        "start": stamp,
                        "end": until,
                        "geometry": geom,
                    }
                    rows.append(run)
                    open_runs[key] = run
            for key in list(open_runs):
                if key not in seen:
                    del open_runs[key]
        rows = [r for r in rows if not r["geometry"].is_empty]
        if not rows:
            raise DataError("snapshots: no ground is held in any snapshot")
        periods = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
        return cls(periods, name=name)

    # ------------------------------------------------------------------ inspection
    @property
    def periods(self) -> gpd.GeoDataFrame:
        """The periods as a GeoDataFrame (a copy): actor, start, end, status, ..., geometry."""
        return self._periods.copy()

    @property
    def actors(self) -> list[str]:
        """Actor names, in order of first appearance."""
        return list(pd.unique(self._periods["actor"]))

    @property
    def change_dates(self) -> pd.DatetimeIndex:
        """Every date on which some period starts or ends, sorted."""
        ends = self._periods["end"].to_numpy(dtype=DATE_DTYPE)
        stamps = np.concatenate(
            [self._periods["start"].to_numpy(dtype=DATE_DTYPE), ends[~np.isnat(ends)]]
        )
        return pd.DatetimeIndex(np.unique(stamps), dtype=DATE_DTYPE, name="date")

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp | None]:
        """First start and last end (None when a period is still open)."""
        ends = self._periods["end"]
        last = None if ends.isna().any() else ends.max()
        return self._periods["start"].min(), last

    def __len__(self) -> int:
        return len(self._periods)

    def __repr__(self) -> str:
        first, last = self.span
        until = f"{iso_day(last)}" if last is not None else "open"
        label = f" {self.name!r}" if self.name else ""
        return (
            f"<Timeline{label}: {len(self)} periods, {len(self.actors)} actor(s), "
            f"{iso_day(first)} to {until}>"
        )

    @property
    def period_area_km2(self) -> np.ndarray:
        """Geodesic area of each period's geometry alone (computed once, cached)."""
        if self._area is None:
            self._area = _area.geodesic_area_km2(self._geoms)
            self._area.setflags(write=False)  # shared by every later area() call
        return self._area

    def _active(self, date: pd.Timestamp) -> np.ndarray:
        starts = self._periods["start"].to_numpy()
        ends = self._periods["end"]
        return (starts <= date.to_datetime64()) & (ends.isna() | (ends > date)).to_numpy()

    def _status_mask(self, status: str | Iterable[str] | None) -> np.ndarray:
        if status is None:
            return np.ones(len(self._periods), dtype=bool)
        wanted = [status] if isinstance(status, str) else list(status)
        known = set(self._periods["status"])
        if not known.intersection(wanted):
            raise DataError(
                f"status [{some(wanted)}] matches no period; statuses are [{some(sorted(known))}]"
            )
        return self._periods["status"].isin(wanted).to_numpy()

    # ------------------------------------------------------------------ questions
    def at(self, date: DateLike) -> gpd.GeoDataFrame:
        """What each actor held on ``date``: one dissolved row per actor and status.

        Parameters
        ----------
        date : str, date or Timestamp
            The day asked about. A period counts when ``start <= date < end``.

        Returns
        -------
        GeoDataFrame
            Columns ``actor``, ``status``, ``date``, ``periods`` (how many periods
            were merged), ``source`` and ``confidence`` (when the timeline has them,
            the distinct values joined with ``"; "``), ``area_km2`` and geometry.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> snap = tl.at("2015-05-25")
        >>> sorted(zip(snap.actor, snap.status))  # doctest: +NORMALIZE_WHITESPACE
        [('Islamic State', 'contested'), ('Islamic State', 'control'),
         ('Islamic State', 'support')]
        """
        day = parse_date(date)
        mask = self._active(day)
        rows: list[dict[str, Any]] = []
        frame = self._periods.loc[mask]
        geoms = self._geoms[mask]
        for (who, status), index in frame.groupby(["actor", "status"], sort=False).indices.items():
            geom = _polygonal(shapely.union_all(geoms[index]))
            row: dict[str, Any] = {
                "actor": who,
                "status": status,
                "date": day,
                "periods": len(index),
            }
            for column in ("source", "confidence"):
                if column in frame.columns:
                    values = pd.unique(frame[column].iloc[index].dropna().astype(str))
                    row[column] = "; ".join(values)
            row["geometry"] = geom
            rows.append(row)
        columns = ["actor", "status", "date", "periods"]
        columns += [c for c in ("source", "confidence") if c in frame.columns]
        result = gpd.GeoDataFrame(
            rows, columns=[*columns, "geometry"], geometry="geometry", crs=4326
        )
        result.insert(len(columns), "area_km2", _area.geodesic_area_km2(result.geometry.values))
        # Typed even when nothing is held, so writers still declare a Date field.
        result["date"] = result["date"].astype(DATE_DTYPE)
        result["periods"] = result["periods"].astype(np.int64)
        return result

    def area(
        self,
        dates: Iterable[DateLike] | pd.DatetimeIndex | None = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        freq: str | None = None,
        by: gpd.GeoDataFrame | None = None,
        by_column: str | None = None,
        status: str | Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Geodesic area held by each actor over time, in km².

        Parameters
        ----------
        dates : sequence of dates, optional
            The dates to report. If omitted, a range from ``start`` to ``end`` at
            ``freq`` (a pandas offset such as ``"D"``, ``"MS"``, ``"YS"``) or, without
            ``freq``, every change date between them.
        start, end : date, optional
            Bounds of the range (default: the timeline's first and last change).
        freq : str, optional
            pandas frequency of the range.
        by : GeoDataFrame, optional
            Regions (countries, provinces): each actor's area is split by region and
            the columns become a MultiIndex ``(actor, region)``.
        by_column : str, optional
            Column of ``by`` naming the regions (default ``name`` if present, else
            the first text column, else the index).
        status : str or list of str, optional
            Count only periods of these statuses (default: all).

        Returns
        -------
        DataFrame
            Index: a DatetimeIndex named ``date``; one float column per actor. Periods
            of one actor that overlap are counted once (the area of their union).

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> series = tl.area(start="2014-01-01", end="2020-01-01", freq="YS")
        >>> bool(series.loc["2020-01-01", "Islamic State"] == 0)
        True
        """
        asked = self._dates_for(dates, start, end, freq)
        keep = self._status_mask(status)
        geoms = self._geoms[keep]
        frame = self._periods.loc[keep]
        if by is None:
            codes, labels = _area.factorize(frame["actor"])
            columns: pd.Index = pd.Index(labels, name="actor")
            values = self.period_area_km2[keep]
            starts, ends = _seconds(frame["start"]), _seconds(frame["end"])
        else:
            region_names = _region_names(by, by_column)
            regions = _region_geometries(by)
            left, right = shapely.STRtree(regions).query(geoms, predicate="intersects")
            pieces = shapely.intersection(geoms[left], regions[right])
            pieces = np.array([_polygonal(p) for p in pieces], dtype=object)
            labels_pairs = list(
                zip(frame["actor"].to_numpy()[left], region_names[right], strict=True)
            )
            codes, labels = _area.factorize(pd.Index(labels_pairs, tupleize_cols=False))
            columns = pd.MultiIndex.from_tuples(list(labels), names=["actor", "region"])
            geoms = pieces
            values = _area.geodesic_area_km2(pieces)
            starts = _seconds(frame["start"])[left]
            ends = _seconds(frame["end"])[left]
        pairs = _area.overlapping_pairs(geoms, codes, starts, ends)

        def union_area(index: np.ndarray) -> float:
            return float(_area.geodesic_area_km2([shapely.union_all(geoms[index])])[0])

        table = _area.interval_series(
            asked, codes, starts, ends, values, pairs, union_area, len(columns)
        )
        result = pd.DataFrame(table, index=asked, columns=columns)
        if by is not None:
            result = result.sort_index(axis=1)
        return result

    def _dates_for(
        self,
        dates: Iterable[DateLike] | pd.DatetimeIndex | None,
        start: DateLike | None,
        end: DateLike | None,
        freq: str | None,
    ) -> pd.DatetimeIndex:
        if dates is not None:
            if start is not None or end is not None or freq is not None:
                raise DataError("area: pass either dates or start/end/freq, not both")
            if isinstance(dates, str | _dt.date | pd.Timestamp | np.datetime64):
                dates = [dates]  # one date, not the characters of a string
            return pd.DatetimeIndex(parse_dates(list(dates), what="date"), name="date")
        changes = self.change_dates
        first = parse_date(start, what="start") if start is not None else changes[0]
        last = parse_date(end, what="end") if end is not None else changes[-1]
        if last < first:
            raise DateError(f"area: end {iso_day(last)} is before start {iso_day(first)}")
        if freq is None:
            inside = changes[(changes >= first) & (changes <= last)]
            index = pd.DatetimeIndex(sorted({first, *inside, last}), dtype=DATE_DTYPE)
        else:
            index = _date_range(first, last, freq)
        return pd.DatetimeIndex(index, name="date")

    def changes(
        self, start: DateLike, end: DateLike, *, status: str | Iterable[str] | None = None
    ) -> gpd.GeoDataFrame:
        """Ground each actor gained and lost between two dates.

        Parameters
        ----------
        start, end : date
            Compare what was held on ``start`` with what was held on ``end``.
        status : str or list of str, optional
            Count only periods of these statuses (default: all).

        Returns
        -------
        GeoDataFrame
            Rows ``(actor, change)`` with ``change`` in ``{"gained", "lost"}``, the
            two dates as ``start``/``end``, ``area_km2`` and the geometry (empty
            geometries and slivers under 1 m² are dropped).

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> changes = tl.changes("2015-01-01", "2018-02-01")
        >>> sorted(set(changes.change))
        ['gained', 'lost']
        >>> bool(changes.area_km2.sum() > 80_000)
        True
        """
        first, last = parse_date(start, what="start"), parse_date(end, what="end")
        if last < first:
            raise DateError(f"changes: end {iso_day(last)} is before start {iso_day(first)}")
        keep = self._status_mask(status)
        held_first = self._held(first, keep)
        held_last = self._held(last, keep)
        rows = []
        for who in self.actors:
            before = held_first.get(who, shapely.Polygon())
            after = held_last.get(who, shapely.Polygon())
            for change, raw in (
                ("gained", shapely.difference(after, before)),
                ("lost", shapely.difference(before, after)),
            ):
                geom = _polygonal(raw)
                if not shapely.is_empty(geom):
                    rows.append(
                        {
                            "actor": who,
                            "change": change,
                            "start": first,
                            "end": last,
                            "geometry": geom,
                        }
                    )
        result = gpd.GeoDataFrame(
            rows,
            columns=["actor", "change", "start", "end", "geometry"],
            geometry="geometry",
            crs=4326,
        )
        result.insert(4, "area_km2", _area.geodesic_area_km2(result.geometry.values))
        # Differences of nearly equal shapes leave slivers of floating-point noise;
        # under a square metre is no change of control.
        result = result.loc[result["area_km2"] >= 1e-6].reset_index(drop=True)
        return result

    def _held(self, day: pd.Timestamp, keep: np.ndarray) -> dict[str, shapely.Geometry]:
        mask = self._active(day) & keep
        frame = self._periods.loc[mask]
        geoms = self._geoms[mask]
        return {
            who: _polygonal(shapely.union_all(geoms[index]))
            for who, index in frame.groupby("actor", sort=False).indices.items()
        }

    def population(
        self,
        places: gpd.GeoDataFrame,
        dates: Iterable[DateLike] | pd.DatetimeIndex | None = None,
        *,
        column: str = "population",
        start: DateLike | None = None,
        end: DateLike | None = None,
        freq: str | None = None,
        status: str | Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """People living in the places each actor held over time.

        Parameters
        ----------
        places : GeoDataFrame
            Points with a population figure (e.g. ``load_layer("places")``).
        dates, start, end, freq, status
            As in :meth:`area`.
        column : str
            The population column of ``places``.

        Returns
        -------
        DataFrame
            DatetimeIndex ``date``, one column per actor: the summed population of
            the places inside the ground held that day, each place counted once even
            where periods overlap. An estimate: only listed places count.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> people = tl.population(controlmap.load_layer("places"), ["2015-01-01"])
        >>> bool(people.iloc[0, 0] > 1_000_000)
        True
        """
        asked = self._dates_for(dates, start, end, freq)
        keep = self._status_mask(status)
        frame = self._periods.loc[keep]
        geoms = self._geoms[keep]
        points = np.asarray(
            (places.to_crs(4326) if places.crs else places).geometry.values, dtype=object
        )
        if column not in places.columns:
            raise DataError(f"population: places have no {column!r} column")
        people = pd.to_numeric(places[column], errors="coerce").fillna(0).to_numpy(dtype=float)
        # Which places lie in which period: one spatial join, reused for every date.
        period_ix, place_ix = shapely.STRtree(points).query(geoms, predicate="intersects")
        order = np.argsort(period_ix, kind="stable")
        period_ix, place_ix = period_ix[order], place_ix[order]
        cuts = np.searchsorted(period_ix, np.arange(1, len(geoms)))
        contains: list[np.ndarray] = np.split(place_ix, cuts)
        values = np.bincount(period_ix, weights=people[place_ix], minlength=len(geoms))
        codes, labels = _area.factorize(frame["actor"])
        starts, ends = _seconds(frame["start"]), _seconds(frame["end"])
        # Periods "overlap" here when they share a place, even one on their common
        # border: that place must be counted once.
        pairs = _shared_place_pairs(period_ix, place_ix, codes, starts, ends)

        def union_people(index: np.ndarray) -> float:
            inside = np.unique(np.concatenate([contains[i] for i in index]))
            return float(people[inside].sum())

        table = _area.interval_series(
            asked, codes, starts, ends, values, pairs, union_people, len(labels)
        )
        return pd.DataFrame(table, index=asked, columns=pd.Index(labels, name="actor"))

    def verify(self, observations: Any, **columns: str) -> gpd.GeoDataFrame:
        """Compare the timeline with dated point observations; see :func:`controlmap.verify`.

        Examples
        --------
        >>> import controlmap, pandas as pd
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> obs = pd.DataFrame({"place": ["Mosul"], "lon": [43.13], "lat": [36.34],
        ...                     "date": ["2018-01-01"], "actor": [""]})
        >>> bool(tl.verify(obs)["agrees"].iloc[0])
        True
        """
        from .verify import verify

        return verify(self, observations, **columns)

    # ------------------------------------------------------------------ output
    def to_file(
        self, path: str | os.PathLike[str], date: DateLike | None = None, **options: Any
    ) -> Path:
        """Write the timeline, or one date's snapshot, to a file chosen by extension.

        ``.geojson``/``.json`` (RFC 7946), ``.gpkg`` (GeoPackage) or ``.parquet``
        (GeoParquet). The file is replaced in one step only when complete. With
        ``partition_by=("year", "tile")`` (and ``tile_degrees=``), ``path`` is a folder
        of GeoParquet files partitioned by time and space
        (:func:`controlmap.partition.write_partitioned`).

        Parameters
        ----------
        path : path-like
            The output file.
        date : date, optional
            Write ``self.at(date)`` instead of all periods.
        **options
            Passed to :func:`controlmap.io.write_periods`, or with ``partition_by`` to
            :func:`controlmap.partition.write_partitioned`.

        Returns
        -------
        pathlib.Path
            The written path.

        Examples
        --------
        >>> import controlmap, tempfile, pathlib
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "is.geojson"
        >>> tl.to_file(out).suffix
        '.geojson'
        """
        from .io import write_periods, write_snapshot

        if "partition_by" in options:
            if date is not None:
                raise DataError(f"{path}: partition_by writes periods, not one date's snapshot")
            from .partition import write_partitioned

            return write_partitioned(self, path, **options)
        if date is None:
            return write_periods(self, path, **options)
        return write_snapshot(self.at(date), path, **options)


MAX_DATES = 100_000  # a day for 270 years: more is a mistyped frequency ("s" for seconds)


def _date_range(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """The dates from ``first`` to ``last`` at ``freq``: a step forward, at most MAX_DATES."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(f"area: freq {freq!r} is not a pandas frequency: {one_line(exc)}") from None
    if offset.n <= 0:
        raise DataError(f"area: freq {freq!r} does not step forward; use a positive step")
    # Measure the step over a few offsets (months and business hours vary) before
    # making any date: "s" over six years would be 190 million of them.
    try:
        step = (first + 16 * offset - first) / 16
    except (OutOfBoundsDatetime, OverflowError):
        step = None  # 16 steps leave the calendar: a handful of dates at most
    if step is not None and step <= pd.Timedelta(0):
        raise DataError(f"area: freq {freq!r} does not step forward; use a positive step")
    too_many = DataError(
        f"area: freq {freq!r} from {iso_day(first)} to {iso_day(last)} gives more than"
        f" {MAX_DATES:,} dates; choose a longer step"
    )
    if step is not None and (last - first) / step > MAX_DATES:
        raise too_many
    try:
        index = pd.date_range(first, last, freq=offset, unit="s")
    except (ValueError, OverflowError) as exc:
        raise DataError(f"area: freq {freq!r} cannot make dates: {one_line(exc)}") from None
    if len(index) > MAX_DATES:  # the measured step was an average (business hours)
        raise too_many
    if not len(index):
        raise DataError(
            f"area: freq {freq!r} gives no date from {iso_day(first)} to {iso_day(last)}"
        )
    return index


def _shared_place_pairs(
    period_ix: np.ndarray,
    place_ix: np.ndarray,
    groups: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """Pairs ``i < j`` of one group's periods, coexisting in time, holding a common place."""
    by_place = np.argsort(place_ix, kind="stable")
    place_sorted, period_sorted = place_ix[by_place], period_ix[by_place]
    bounds = np.flatnonzero(np.diff(place_sorted)) + 1
    pairs: list[tuple[int, int]] = []
    for holders in np.split(period_sorted, bounds):
        if len(holders) < 2:
            continue
        # In start order, the periods coexisting with holder a are those starting before
        # a ends: a chain of consecutive periods yields no pair at all.
        holders = holders[np.argsort(starts[holders], kind="stable")]
        reach = np.searchsorted(starts[holders], ends[holders], side="left")
        for a in np.flatnonzero(reach > np.arange(len(holders)) + 1):
            for b in range(a + 1, int(reach[a])):
                i, j = sorted((int(holders[a]), int(holders[b])))
                if groups[i] == groups[j]:
                    pairs.append((i, j))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.array(pairs, dtype=np.int64), axis=0)


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _flags(values: pd.Series) -> np.ndarray:
    """Booleans from a column that may hold text ("true"/"false"), numbers or blanks."""
    truthy = {"true", "yes", "1", "1.0"}
    falsy = {"false", "no", "0", "0.0", ""}
    out = []
    for value in values:
        if _is_blank(value):
            out.append(False)
            continue
        text = str(value).strip().lower()
        if text not in truthy | falsy:
            raise DataError(f"events: turning_point {value!r} is not true or false")
        out.append(text in truthy)
    return np.array(out, dtype=bool)


def _check_events(events: pd.DataFrame | None) -> pd.DataFrame | None:
    if events is None:
        return None
    missing = {"date", "label"} - set(events.columns)
    if missing:
        raise DataError(f"events: missing column(s) {sorted(missing)}")
    events = events.copy()
    events["date"] = parse_dates(events["date"], what="event date")
    return events.sort_values("date", kind="stable").reset_index(drop=True)


def _region_geometries(by: gpd.GeoDataFrame) -> np.ndarray:
    """Regions in EPSG:4326, valid; without a CRS they must be longitude/latitude."""
    if by.crs is not None:
        by = by.to_crs(4326)
    geoms = np.asarray(by.geometry.values, dtype=object)
    # Always: a region with a NaN coordinate would silently intersect nothing.
    check_geometries(gpd.GeoSeries(geoms), file="regions (by=)")
    return repaired(geoms)


def _region_names(by: gpd.GeoDataFrame, by_column: str | None) -> np.ndarray:
    if by_column is None:
        if "name" in by.columns:
            by_column = "name"
        else:
            text = [
                c
                for c in by.columns
                if c != by.geometry.name
                and pd.api.types.infer_dtype(by[c], skipna=True) == "string"
            ]
            if not text:
                return by.index.astype(str).to_numpy(dtype=object)
            by_column = text[0]
    if by_column not in by.columns:
        raise DataError(f"area: by_column {by_column!r} is not a column of the regions")
    return by[by_column].astype(str).to_numpy(dtype=object)


def repaired(geoms: np.ndarray) -> np.ndarray:
    """The geometries, with invalid ones made valid (polygonal parts only), as a copy.

    Valid geometries are returned as they are; the input array is never modified.

    Examples
    --------
    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> repaired(np.array([bowtie]))[0].geom_type
    'MultiPolygon'
    """
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    geoms = geoms.copy()
    geoms[invalid] = [_polygonal(shapely.make_valid(g)) for g in geoms[invalid]]
    return geoms


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry (set operations may add slivers)."""
    if geom is None or shapely.is_empty(geom):
        return shapely.Polygon()
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]
