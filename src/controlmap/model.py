"""The timeline model: dated control periods and what can be asked of them.

A *period* says that ``actor`` held ``geometry`` from ``start`` (inclusive) until
``end`` (exclusive; missing means still held). A :class:`Timeline` is a set of
periods, stored as a GeoDataFrame in EPSG:4326 with plain columns ``actor``,
``start``, ``end``, ``status`` and any other properties, which travel with it.
"""

from __future__ import annotations

import copy
import datetime as _dt
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.errors import OutOfBoundsDatetime

from . import geodesic, intervals
from ._dates import DATE_DTYPE, DateLike, iso_day, parse_date, parse_dates
from ._dissolve import DEFAULT_MIN_HOLE_KM2, check_km2, summarise_sources, tidy_rows
from ._packed import PackedGeometry, Rows, made
from .errors import DataError, DateError, GeometryWarning, one_line, some, where
from .events import check_events, turning_point_flags
from .periods import (
    PackedPeriods,
    _polygonal,
    _seconds,
    normalize_periods,
    repaired,
    valid_mask,
)
from .places import _shared_place_pairs, places_in_periods
from .regions import split_by_regions
from .union import union

if TYPE_CHECKING:
    import os

    from .archive import SnapshotReport

__all__ = ["Timeline"]


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
    attrs : dict, optional
        Metadata that travels with the timeline (see :attr:`attrs`).

    Attributes
    ----------
    attrs : dict
        Metadata about the timeline, like :attr:`pandas.DataFrame.attrs`: ``{}`` unless
        set; :func:`controlmap.load_dataset` fills it from the data set's registry entry
        (``title``, ``credit``, ``focus``, ``basemap``, ``dates``, ``changes``,
        ``published``, ``published_statuses``; every key optional). Maps and figures
        read it; timelines derived from this one get a deep copy.

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
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        self.events = events
        self.attrs = copy.deepcopy(dict(attrs)) if attrs else {}
        self._adopt(
            normalize_periods(
                periods, actor=actor, start=start, end=end, status=status, file=source
            ),
            name=name,
            source=source,
        )

    @classmethod
    def _from_normalized(
        cls, periods: gpd.GeoDataFrame | PackedPeriods, *, name: str | None, source: object | None
    ) -> Timeline:
        """Wrap periods already passed through :func:`normalize_periods` (used by readers)."""
        timeline = cls.__new__(cls)
        timeline.events = None
        timeline.attrs = {}
        timeline._adopt(periods, name=name, source=source)
        return timeline

    @property
    def events(self) -> pd.DataFrame | None:
        """Dated events (``date``, ``label``, ...) maps and charts are annotated with.

        Setting it checks the table (``date`` and ``label`` columns, dates parsed) and
        sorts it by date; ``None`` removes the events.

        Examples
        --------
        >>> import controlmap, pandas as pd
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> tl.events = pd.DataFrame({"date": ["2016-01-01"], "label": ["a day"]})
        >>> tl.events["date"].iloc[0]
        Timestamp('2016-01-01 00:00:00')
        """
        return self._events

    @events.setter
    def events(self, events: pd.DataFrame | None) -> None:
        self._events = check_events(events)

    def copy(self) -> Timeline:
        """A copy of the timeline with a deep copy of :attr:`attrs`.

        Periods and events are shared: a timeline never changes them in place.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> other = tl.copy()
        >>> other.attrs["focus"].append("TUR")
        >>> tl.attrs["focus"]
        ['IRQ', 'SYR']
        """
        clone = copy.copy(self)
        clone.attrs = copy.deepcopy(self.attrs)
        return clone

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
            marked = self.events.loc[turning_point_flags(self.events["turning_point"]), "date"]
            if len(marked):
                return pd.DatetimeIndex(sorted(set(marked)), name="date")
        changes = self.change_dates
        picks = np.unique(np.linspace(0, len(changes) - 1, num=min(8, len(changes))).round())
        return pd.DatetimeIndex(changes[picks.astype(int)], name="date")

    def _adopt(
        self,
        periods: gpd.GeoDataFrame | PackedPeriods,
        *,
        name: str | None,
        source: object | None,
    ) -> None:
        if isinstance(periods, gpd.GeoDataFrame):
            periods = PackedPeriods.of(periods)
        # Any, as the GeoDataFrame it replaced was: pandas-stubs type a grouping's keys
        # as Hashable, which the (actor, status) unpacking below cannot be.
        self._table: Any = periods.table
        self.name = name
        self.source = None if source is None else str(source)
        # The user's geometry, packed (see controlmap._packed): shapely objects are made
        # for the periods a computation needs, a slice at a time.
        self._given = periods.geometry
        invalid = np.concatenate(
            [rows[~valid_mask(geoms)] for rows, geoms in self._given.slices()] or [np.zeros(0, int)]
        )
        self._packed = self._given
        if len(invalid):
            # Computations need valid polygons; keep the user's geometry as given (so
            # ``validate`` can report it) and work on a repaired copy.
            warnings.warn(
                f"{where(self.source)}: {len(invalid)} invalid polygon(s), first at feature "
                f"{int(invalid[0])}; areas use repaired copies "
                "(run `controlmap validate` / `controlmap repair`)",
                GeometryWarning,
                stacklevel=2,
            )
            self._packed = self._given.replace(invalid, repaired(self._given.take(invalid)))
        self._area: np.ndarray | None = None
        # Set by controlmap.archive: periods of one actor never overlap, so areas are sums.
        self._disjoint = False
        #: What building from snapshots did (controlmap.archive.SnapshotReport), else None.
        self.snapshot_report: SnapshotReport | None = None

    @property
    def _geoms(self) -> np.ndarray:
        """Every period's (repaired) geometry as shapely objects, made once when first asked.

        Computations that can work a slice at a time use ``self._packed`` instead.
        """
        if self._packed.is_wkb:
            # Every polygon is made now: keep them as objects and let the WKB go, so a
            # timeline never holds both (an archive's pieces, say).
            given_is_packed = self._given is self._packed
            self._packed = PackedGeometry.of_objects(self._packed.take())
            if given_is_packed:
                self._given = self._packed
        objects = self._packed.objects
        assert objects is not None  # kept as objects now
        return objects

    @property
    def _periods(self) -> gpd.GeoDataFrame:
        """The periods with the user's geometry as shapely objects (made on each call)."""
        return gpd.GeoDataFrame(self._table, geometry=self._given.take(), crs=4326)

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
        min_change_km2: float = 0.0,
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
        min_change_km2 : float, default 0
            Redraw noise: gained or lost parts under this area are not a change; the
            largest resulting deviation from a day's own map is in
            ``timeline.snapshot_report`` (see :func:`controlmap.archive.decompose_snapshots`).

        Returns
        -------
        Timeline
            Pieces of ground, one period per actor, status, start and end: ground held
            throughout is stored once, each gain and loss once (see
            :mod:`controlmap.archive`).

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
        [None, None]
        """
        from .archive import frames_by_date, timeline_from_snapshots

        return timeline_from_snapshots(
            frames_by_date(snapshots, date=date),
            actor=actor,
            status=status,
            end=end,
            name=name,
            min_change_km2=min_change_km2,
        )

    # ------------------------------------------------------------------ inspection
    @property
    def periods(self) -> gpd.GeoDataFrame:
        """The periods as a GeoDataFrame (a copy): actor, start, end, status, ..., geometry."""
        return self._periods

    @property
    def actors(self) -> list[str]:
        """Actor names, in order of first appearance."""
        return list(pd.unique(self._table["actor"]))

    @property
    def change_dates(self) -> pd.DatetimeIndex:
        """Every date on which some period starts or ends, sorted."""
        ends = self._table["end"].to_numpy(dtype=DATE_DTYPE)
        stamps = np.concatenate(
            [self._table["start"].to_numpy(dtype=DATE_DTYPE), ends[~np.isnat(ends)]]
        )
        return pd.DatetimeIndex(np.unique(stamps), dtype=DATE_DTYPE, name="date")

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First start and last end (``NaT`` when a period is still open, as in ``end``).

        Examples
        --------
        >>> import controlmap
        >>> controlmap.load_dataset("islamic-state").span[1]
        Timestamp('2019-03-23 00:00:00')
        """
        ends = self._table["end"]
        # NaT is a Timestamp to pandas; to the stubs it is a class of its own.
        last = pd.NaT if ends.isna().any() else ends.max()
        return self._table["start"].min(), last  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        first, last = self.span
        until = "open" if pd.isna(last) else f"{iso_day(last)}"
        label = f" {self.name!r}" if self.name else ""
        return (
            f"<Timeline{label}: {len(self)} periods, {len(self.actors)} actor(s), "
            f"{iso_day(first)} to {until}>"
        )

    @property
    def period_area_km2(self) -> np.ndarray:
        """Geodesic area of each period's geometry alone (computed once, cached)."""
        if self._area is None:
            parts = [geodesic.geodesic_area_km2(geoms) for _, geoms in self._packed.slices()]
            self._area = np.concatenate(parts) if parts else np.zeros(0)
            self._area.setflags(write=False)  # shared by every later area() call
        return self._area

    def _active(self, date: pd.Timestamp) -> np.ndarray:
        starts = self._table["start"].to_numpy()
        ends = self._table["end"]
        return (starts <= date.to_datetime64()) & (ends.isna() | (ends > date)).to_numpy()

    def _status_mask(self, status: str | Iterable[str] | None) -> np.ndarray:
        if status is None:
            return np.ones(len(self._table), dtype=bool)
        wanted = [status] if isinstance(status, str) else list(status)
        known = set(self._table["status"])
        if not known.intersection(wanted):
            raise DataError(
                f"status [{some(wanted)}] matches no period; statuses are [{some(sorted(known))}]"
            )
        return self._table["status"].isin(wanted).to_numpy()

    # ------------------------------------------------------------------ questions
    def at(
        self,
        date: DateLike,
        *,
        min_hole_km2: float = DEFAULT_MIN_HOLE_KM2,
        min_part_km2: float = 0.0,
    ) -> gpd.GeoDataFrame:
        """What each actor held on ``date``: one dissolved row per actor and status.

        Parameters
        ----------
        date : str, date or Timestamp
            The day asked about. A period counts when ``start <= date < end``.
        min_hole_km2 : float, default 1
            Holes smaller than this (geodesic km²) are filled, unless another row of
            the snapshot holds part of that ground: dissolving sectors drawn apart
            leaves gaps between them that nobody holds (the bundled data has holes
            of 138 m²). ``0`` keeps every hole. A row's ``area_km2`` includes the
            holes filled; :meth:`area` does not change (see docs/archives.md).
        min_part_km2 : float, default 0
            Parts (connected polygons) smaller than this are dropped, and rows left
            with nothing; ``0`` keeps every part (small islands are often real).

        Returns
        -------
        GeoDataFrame
            Columns ``actor``, ``status``, ``date``, ``periods`` (how many periods
            were merged), ``source`` (when the timeline has one: the distinct sources,
            the five citing the most ground first, then ``"and N more"``) with
            ``sources`` (all of them, a list, in that order), ``confidence`` (the
            distinct values joined with ``"; "``), ``area_km2`` and geometry.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> snap = tl.at("2015-05-25")
        >>> sorted(zip(snap.actor, snap.status))  # doctest: +NORMALIZE_WHITESPACE
        [('Islamic State', 'contested'), ('Islamic State', 'control'),
         ('Islamic State', 'support')]
        >>> control = snap.loc[snap.status == "control"].iloc[0]
        >>> control.source.endswith("more"), len(control.sources) > 5
        (True, True)
        """
        holes = check_km2("min_hole_km2", min_hole_km2)
        parts = check_km2("min_part_km2", min_part_km2)
        day = parse_date(date)
        mask = self._active(day)
        rows: list[dict[str, Any]] = []
        frame = self._table.loc[mask]
        geoms = self._packed.take(mask)
        cited = "source" in frame.columns
        if cited:  # sources are ranked by the ground their periods cover
            weights = (
                self._area[mask] if self._area is not None else geodesic.geodesic_area_km2(geoms)
            )
        for (who, status), index in frame.groupby(["actor", "status"], sort=False).indices.items():
            geom = _polygonal(union(geoms[index]))
            row: dict[str, Any] = {
                "actor": who,
                "status": status,
                "date": day,
                "periods": len(index),
            }
            if cited:
                row["source"], row["sources"] = summarise_sources(
                    frame["source"].iloc[index].tolist(), weights[index]
                )
            if "confidence" in frame.columns:
                values = pd.unique(frame["confidence"].iloc[index].dropna().astype(str))
                row["confidence"] = "; ".join(values)
            row["geometry"] = geom
            rows.append(row)
        columns = ["actor", "status", "date", "periods"]
        columns += ["source", "sources"] if cited else []
        columns += ["confidence"] if "confidence" in frame.columns else []
        result = gpd.GeoDataFrame(
            rows, columns=[*columns, "geometry"], geometry="geometry", crs=4326
        )
        if holes or parts:
            tidy = tidy_rows(result.geometry.values, min_hole_km2=holes, min_part_km2=parts)
            result["geometry"] = tidy
            result = result.loc[~shapely.is_empty(tidy)].reset_index(drop=True)
        result.insert(len(columns), "area_km2", geodesic.geodesic_area_km2(result.geometry.values))
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
        frame = self._table.loc[keep]
        # The periods' packed rows: shapely objects are made only where needed (the
        # members of overlapping pairs, one date's actives...).
        geoms: np.ndarray | Rows = Rows(self._packed, keep)
        if by is None:
            codes, labels = intervals.factorize(frame["actor"])
            columns: pd.Index = pd.Index(labels, name="actor")
            starts, ends = _seconds(frame["start"]), _seconds(frame["end"])
            if (
                not self._disjoint
                and len(asked) < 16
                and intervals.crowded(geoms, starts, ends, _seconds(asked))
            ):
                # A few dates over heavily overlapping periods: the union of everything
                # an actor holds on each date is cheaper than testing the many pairs.
                table = intervals.union_table(
                    geoms, codes, starts, ends, _seconds(asked), len(columns)
                )
                return pd.DataFrame(table, index=asked, columns=columns)
            if self._area is None and len(asked) < 16:
                # A few dates: measure only the periods active on one of them (the
                # others never reach the result), leaving the cache for longer series.
                values = np.zeros(len(geoms))
                needed = intervals.active_at(starts, ends, _seconds(asked))
                values[needed] = geodesic.geodesic_area_km2(made(geoms, needed))
            else:
                values = self.period_area_km2[keep]
        else:
            pieces, labels_pairs, left = split_by_regions(
                self._geoms[keep], frame["actor"].to_numpy(), by, by_column
            )
            codes, labels = intervals.factorize(pd.Index(labels_pairs, tupleize_cols=False))
            columns = pd.MultiIndex.from_tuples(list(labels), names=["actor", "region"])
            geoms = pieces
            values = geodesic.geodesic_area_km2(pieces)
            starts = _seconds(frame["start"])[left]
            ends = _seconds(frame["end"])[left]
        if self._disjoint:
            # Pieces built from snapshots (controlmap.archive): one actor's never
            # overlap, so the area is a plain sum and the overlap search is skipped.
            pairs = np.empty((0, 2), dtype=np.int64)
        else:
            pairs = intervals.overlapping_pairs(geoms, codes, starts, ends, at=_seconds(asked))

        def union_area(index: np.ndarray) -> float:
            return float(geodesic.geodesic_area_km2([union(made(geoms, index))])[0])

        table = intervals.interval_series(
            asked, codes, starts, ends, values, pairs, union_area, len(columns)
        )
        result = pd.DataFrame(table, index=asked, columns=columns)
        if by is not None:
            result = result.sort_index(axis=1)
        return result

    def peaks(self, *, status: str | Iterable[str] | None = None) -> pd.DataFrame:
        """The largest area each actor held, and the first date it held it.

        The same as the maximum of :meth:`area` over every change date. Where
        periods pile up on the same ground (hundreds at once), or are many large
        polygons (16 or more, of 500 vertices or more on average, 100,000 in all),
        every date's union would cost too much: then only dates where a period starts and the
        next change ends one are looked at, their areas are bounded on a grid of
        tiles and measured exactly from the largest bound down until no other can
        be larger (see :mod:`controlmap.peak`). That area is the sum of the tiles'
        geodesic areas, within a few millionths of :meth:`area` on the same date
        (the tile lines add vertices to the ground's edge, as in
        :func:`controlmap.union.union`).

        Parameters
        ----------
        status : str or list of str, optional
            Count only periods of these statuses (default: all).

        Returns
        -------
        DataFrame
            Index ``actor`` (in order of first appearance); columns ``date`` and
            ``area_km2``.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> peak = tl.peaks().loc["Islamic State"]
        >>> f"{peak.date:%Y-%m-%d}", bool(peak.area_km2 > 80_000)
        ('2015-08-05', True)
        """
        keep = self._status_mask(status)
        frame = self._table.loc[keep]
        geoms = Rows(self._packed, keep)
        starts, ends = _seconds(frame["start"]), _seconds(frame["end"])
        changes = self.change_dates
        sample = changes[np.unique(np.linspace(0, len(changes) - 1, 64).round().astype(int))]
        rows: dict[str, tuple[pd.Timestamp, float]] = {}
        vertices = sum(
            int(shapely.get_num_coordinates(part).sum()) for _, part in self._packed.slices(keep)
        )
        large = vertices >= _PEAK_VERTICES and vertices >= _PEAK_MEAN_VERTICES * len(geoms)
        large &= len(geoms) >= _PEAK_PERIODS  # a few large polygons: the series is cheap
        if self._disjoint or not (
            large or intervals.crowded(geoms, starts, ends, _seconds(sample))
        ):
            series = self.area(status=status)
            for actor in series.columns:
                column = series[actor].to_numpy()
                rows[actor] = (series.index[int(column.argmax())], float(column.max()))
        else:
            from .peak import peak_area

            for actor, index in frame.groupby("actor", sort=False).indices.items():
                instant, km2 = peak_area(made(geoms, index), starts[index], ends[index])
                rows[actor] = (pd.Timestamp(instant, unit="s"), km2)
        result = pd.DataFrame(
            [(actor, day, km2) for actor, (day, km2) in rows.items()],
            columns=["actor", "date", "area_km2"],
        ).set_index("actor")
        result["date"] = result["date"].astype("datetime64[s]")
        return result

    def _dates_for(
        self,
        dates: Iterable[DateLike] | pd.DatetimeIndex | None,
        start: DateLike | None,
        end: DateLike | None,
        freq: str | None,
    ) -> pd.DatetimeIndex:
        return asked_dates(dates, start, end, freq, lambda: self.change_dates)

    def changes(
        self,
        start: DateLike,
        end: DateLike,
        *,
        status: str | Iterable[str] | None = None,
        kept: bool = False,
        min_change_km2: float = 0.0,
        min_area_km2: float | None = None,
    ) -> gpd.GeoDataFrame:
        """Ground each actor gained and lost (and, on request, kept) between two dates.

        Parameters
        ----------
        start, end : date
            Compare what was held on ``start`` with what was held on ``end``.
        status : str or list of str, optional
            Count only periods of these statuses (default: all).
        kept : bool, default False
            Also give the ground held on both dates (``change == "kept"``). An actor's
            kept, gained and lost ground never overlap, so their areas add up.
        min_change_km2 : float, default 0
            Slivers: leave out gained or lost parts (connected polygons) under this
            geodesic area, as :meth:`from_snapshots` does with redraw noise. ``0``
            keeps every part (only float debris under
            :data:`~controlmap.geodesic.SLIVER_KM2` is dropped); kept ground is never
            trimmed. The name is shared by :meth:`change_series`, ``from_snapshots``
            and the CLI's ``--min-change-km2``: it says what is dropped, a change.
        min_area_km2 : float, optional
            Another name for ``min_change_km2`` (the spelling of issue 15 and of
            other libraries' sliver options); give one of the two.

        Returns
        -------
        GeoDataFrame
            Rows ``(actor, change)`` with ``change`` in ``{"gained", "lost"}`` (and
            ``"kept"``), the two dates as ``start``/``end``, ``area_km2`` and the
            geometry; empty geometries and slivers under
            :data:`~controlmap.geodesic.SLIVER_KM2` are dropped.

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> changes = tl.changes("2015-01-01", "2018-02-01")
        >>> sorted(set(changes.change))
        ['gained', 'lost']
        >>> bool(changes.area_km2.sum() > 80_000)
        True
        >>> sorted(set(tl.changes("2015-01-01", "2018-02-01", kept=True).change))
        ['gained', 'kept', 'lost']
        """
        from .archive import without_small_parts

        min_km2 = check_km2("min_change_km2", _one_name(min_change_km2, min_area_km2))
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
            parts = [
                ("gained", shapely.difference(after, before)),
                ("lost", shapely.difference(before, after)),
            ]
            if kept:
                parts.append(("kept", shapely.intersection(before, after)))
            for change, raw in parts:
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
        result.insert(4, "area_km2", geodesic.geodesic_area_km2(result.geometry.values))
        result = result.loc[result["area_km2"] >= geodesic.SLIVER_KM2].reset_index(drop=True)
        if min_km2:
            # Redraw noise is a gain or loss that is not one; kept ground stays whole.
            moved = (result["change"] != "kept").to_numpy()
            trimmed = without_small_parts(result.loc[moved], min_km2)
            result = pd.concat([trimmed, result.loc[~moved]]).sort_index(kind="stable")
            result = result.reset_index(drop=True)
        return result

    def change_series(
        self,
        freq: str = "D",
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        status: str | Iterable[str] | None = None,
        min_change_km2: float = 0.0,
        min_area_km2: float | None = None,
    ) -> pd.DataFrame:
        """km² gained, lost and net per actor in each step of ``freq``.

        See :func:`controlmap.archive.change_series` (``min_change_km2`` leaves out
        gained/lost parts under that area in each step, as in :meth:`changes`;
        ``min_area_km2`` is another name for it).

        Examples
        --------
        >>> import controlmap
        >>> tl = controlmap.load_dataset("islamic-state")
        >>> yearly = tl.change_series("YS", start="2014-01-01", end="2019-01-01")
        >>> list(yearly.columns)
        ['start', 'end', 'actor', 'gained_km2', 'lost_km2', 'net_km2']
        """
        from .archive import change_series

        return change_series(
            self,
            freq=freq,
            start=start,
            end=end,
            status=status,
            min_change_km2=_one_name(min_change_km2, min_area_km2),
        )

    def _held(self, day: pd.Timestamp, keep: np.ndarray) -> dict[str, shapely.Geometry]:
        mask = self._active(day) & keep
        frame = self._table.loc[mask]
        geoms = self._packed.take(mask)
        return {
            who: _polygonal(union(geoms[index]))
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
        frame = self._table.loc[keep]
        geoms = self._geoms[keep]
        points = np.asarray(
            (places.to_crs(4326) if places.crs else places).geometry.values, dtype=object
        )
        if column not in places.columns:
            raise DataError(f"population: places have no {column!r} column")
        people = pd.to_numeric(places[column], errors="coerce").fillna(0).to_numpy(dtype=float)
        period_ix, place_ix, contains = places_in_periods(geoms, points)
        values = np.bincount(period_ix, weights=people[place_ix], minlength=len(geoms))
        codes, labels = intervals.factorize(frame["actor"])
        starts, ends = _seconds(frame["start"]), _seconds(frame["end"])
        # Periods "overlap" here when they share a place, even one on their common
        # border: that place must be counted once.
        pairs = _shared_place_pairs(period_ix, place_ix, codes, starts, ends)

        def union_people(index: np.ndarray) -> float:
            inside = np.unique(np.concatenate([contains[i] for i in index]))
            return float(people[inside].sum())

        table = intervals.interval_series(
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


#: Timelines of at least this many vertices, this many per period on average, have
#: their peak found by controlmap.peak rather than from the whole area series.
_PEAK_VERTICES = 100_000
_PEAK_MEAN_VERTICES = 500
_PEAK_PERIODS = 16

MAX_DATES = 100_000  # a day for 270 years: more is a mistyped frequency ("s" for seconds)


def asked_dates(
    dates: Iterable[DateLike] | pd.DatetimeIndex | None,
    start: DateLike | None,
    end: DateLike | None,
    freq: str | None,
    change_dates: Callable[[], pd.DatetimeIndex],
) -> pd.DatetimeIndex:
    """The dates an area or change series is asked for, as ``Timeline.area`` takes them.

    Either ``dates``, or a range from ``start`` to ``end`` (default: the first and last
    change dates) at ``freq`` (default: every change date inside, plus both ends).
    ``change_dates`` is called only when the change dates are needed (a partitioned
    timeline reads them from its files).

    Examples
    --------
    >>> list(asked_dates("2015-01-01", None, None, None, lambda: None).strftime("%F"))
    ['2015-01-01']
    """
    if dates is not None:
        if start is not None or end is not None or freq is not None:
            raise DataError("area: pass either dates or start/end/freq, not both")
        if isinstance(dates, str | _dt.date | pd.Timestamp | np.datetime64):
            dates = [dates]  # one date, not the characters of a string
        return pd.DatetimeIndex(parse_dates(list(dates), what="date"), name="date")
    changes = change_dates() if start is None or end is None or freq is None else None
    first = parse_date(start, what="start") if start is not None else changes[0]  # type: ignore[index]
    last = parse_date(end, what="end") if end is not None else changes[-1]  # type: ignore[index]
    if last < first:
        raise DateError(f"area: end {iso_day(last)} is before start {iso_day(first)}")
    if freq is None:
        assert changes is not None
        inside = changes[(changes >= first) & (changes <= last)]
        index = pd.DatetimeIndex(sorted({first, *inside, last}), dtype=DATE_DTYPE)
    else:
        index = _date_range(first, last, freq)
    return pd.DatetimeIndex(index, name="date")


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


def _one_name(min_change_km2: float, min_area_km2: float | None) -> float:
    """The sliver threshold given under either of its two names (not both)."""
    if min_area_km2 is None:
        return min_change_km2
    if min_change_km2 != 0.0:
        raise TypeError("give min_change_km2 or min_area_km2 (the same option), not both")
    return min_area_km2
