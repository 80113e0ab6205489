"""Everything an article needs from one timeline, written into one folder."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .._atomic import atomic_output
from .._dates import DateLike, parse_date
from ..errors import DataError, OutputError
from ..io import write_snapshot
from ..model import Timeline
from ._basemap import Basemap
from ._progress import progress_bar
from ._style import Style, attrs_of
from .figures.area_chart import area_chart
from .figures.small_multiples import _default_dates, small_multiples
from .maps.changes import changes_map
from .maps.timeline import timeline_map
from .saving import save

__all__ = ["write_report"]


def _changes_span(
    timeline: Timeline, changes: tuple[DateLike, DateLike] | None
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The two dates of the changes map, or None when the timeline has only one date.

    Dates asked for must be in order; else the timeline's own (``attrs["changes"]``,
    a bundled data set's article), else its first and last change.
    """
    if changes is None and attrs_of(timeline).get("changes"):
        first_day, last_day = attrs_of(timeline)["changes"]
        changes = (first_day, last_day)
    if changes is not None:
        first = parse_date(changes[0], what="start")
        last = parse_date(changes[1], what="end")
        if last <= first:
            raise DataError(
                f"report: changes end {last:%Y-%m-%d} is not after start {first:%Y-%m-%d}"
            )
        return first, last
    dates = timeline.change_dates
    if len(dates) < 2 or dates[-1] <= dates[0]:
        return None  # nothing to compare: no changes map
    return dates[0], dates[-1]


def _area_csv(timeline: Timeline, freq: str) -> str:
    series = timeline.area(freq=freq, start=timeline.change_dates[0].to_period("M").start_time)
    table = series.copy()
    table.columns = [str(c) for c in table.columns]
    table.insert(0, "date", pd.DatetimeIndex(table.index).strftime("%Y-%m-%d"))
    buffer = io.StringIO()
    table.to_csv(buffer, float_format="%.3f", index=False)
    return buffer.getvalue()


def write_report(
    timeline: Timeline,
    folder: str | os.PathLike[str],
    *,
    self_contained: bool = True,
    changes: tuple[DateLike, DateLike] | None = None,
    dates: list[DateLike] | None = None,
    freq: str = "MS",
    basemap: Basemap | None = None,
    credit: str | None = None,
    progress: bool | None = None,
    style: Style | None = None,
) -> list[Path]:
    """Write the maps, snapshots, area table and figures of a timeline into ``folder``.

    The folder is created if needed (its parent must exist). Each file is written
    atomically, so a failed run leaves earlier files whole. Written:

    - ``timeline_map.html``: the time-slider map (self-contained by default);
    - ``changes_map.html``: ground gained and lost between two dates (``changes``,
      else ``timeline.attrs["changes"]``, else its first and last change; left out
      when it has only one);
    - ``snapshot_YYYY-MM-DD.geojson``: what each actor held on each date (``dates``,
      else ``timeline.attrs["dates"]``, else the turning points);
    - ``area_monthly.csv``: km² held on the first of every month;
    - ``small_multiples.png`` / ``.svg``: the maps on those dates;
    - ``area_chart.png`` / ``.svg``: the area over time with the turning points.

    Parameters
    ----------
    timeline : Timeline
    folder : path-like
        The output folder.
    self_contained : bool
        Inline Leaflet in the HTML pages so they work offline.
    changes : (date, date), optional
        The two dates of the changes map.
    dates : list of dates, optional
        Dates of the snapshots and small multiples (default: ``attrs["dates"]``,
        else the turning points).
    freq : str
        pandas frequency of the area table (default month starts).
    basemap : Basemap, optional
        Outlines and places (default: the base map ``timeline.attrs`` names, else a
        neutral one fitted to the data).
    credit : str, optional
        The credit line of every map and figure (default: ``attrs["credit"]``, else
        none).
    progress : bool or None
        A progress bar on stderr (None: only when stderr is a terminal).
    style : Style, optional
        Fonts, colours, date format, title and credit of every map and figure
        (default: controlmap's).

    Returns
    -------
    list of pathlib.Path
        The files written, in order.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> from controlmap.render import write_report
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> names = [p.name for p in write_report(tl, out, progress=False)]
    >>> "timeline_map.html" in names and "area_monthly.csv" in names
    True
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    if not target.parent.is_dir():
        raise OutputError(f"{target}: parent folder {target.parent} does not exist")
    basemap = Basemap.for_timeline(timeline, basemap)
    # Everything that can be refused is checked before the first file is written.
    days = [parse_date(d) for d in (_default_dates(timeline) if dates is None else dates)]
    if not days:
        raise DataError("report: no dates for the snapshots and small multiples")
    span = _changes_span(timeline, changes)
    try:
        target.mkdir(exist_ok=True)
    except OSError as exc:  # a read-only parent, a full disk
        raise OutputError(f"{target}: cannot create the folder: {exc.strerror or exc}") from None
    written: list[Path] = []

    def text_file(name: str, make: Callable[[], str]) -> Callable[[], None]:
        def write() -> None:
            with atomic_output(target / name) as temporary:
                temporary.write_text(make(), encoding="utf-8")
            written.append(target / name)

        return write

    def page(name: str, make: Callable[[], object]) -> Callable[[], None]:
        def write() -> None:
            written.append(save(make(), target / name))

        return write

    def snapshot(day: pd.Timestamp) -> Callable[[], None]:
        def write() -> None:
            written.append(
                write_snapshot(timeline.at(day), target / f"snapshot_{day:%Y-%m-%d}.geojson")
            )

        return write

    def figures(name: str, make: Callable[[], object]) -> Callable[[], None]:
        def write() -> None:
            fig = make()
            for suffix in (".png", ".svg"):
                written.append(save(fig, target / f"{name}{suffix}"))

        return write

    steps: list[tuple[str, Callable[[], None]]] = [
        (
            "timeline map",
            page(
                "timeline_map.html",
                lambda: timeline_map(
                    timeline,
                    self_contained=self_contained,
                    basemap=basemap,
                    credit=credit,
                    style=style,
                ),
            ),
        ),
        *(
            [
                (
                    "changes map",
                    page(
                        "changes_map.html",
                        lambda: changes_map(
                            timeline,
                            *span,
                            self_contained=self_contained,
                            basemap=basemap,
                            credit=credit,
                            style=style,
                        ),
                    ),
                )
            ]
            if span is not None
            else []
        ),
        *((f"snapshot {d:%Y-%m-%d}", snapshot(d)) for d in days),
        ("area table", text_file("area_monthly.csv", lambda: _area_csv(timeline, freq))),
        (
            "small multiples",
            figures(
                "small_multiples",
                lambda: small_multiples(
                    timeline, days, basemap=basemap, credit=credit, style=style
                ),
            ),
        ),
        (
            "area chart",
            figures("area_chart", lambda: area_chart(timeline, credit=credit, style=style)),
        ),
    ]
    for _, step in progress_bar(steps, enabled=progress, description="report"):
        step()
    return written
