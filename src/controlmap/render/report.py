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
from .interactive import changes_map, save_map, timeline_map
from .static import area_chart, save_figure, small_multiples

__all__ = ["DEFAULT_CHANGES", "write_report"]

#: The comparison of the article: what the Islamic State held in January 2015 and
#: had lost by February 2018.
DEFAULT_CHANGES = ("2015-01-01", "2018-02-01")


def _changes_span(
    timeline: Timeline, changes: tuple[DateLike, DateLike] | None
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The two dates of the changes map, or None when the timeline has only one date.

    Dates asked for must be in order; the article's dates apply only to the bundled
    Islamic State timeline, any other compares its first and last change.
    """
    if changes is not None:
        first = parse_date(changes[0], what="start")
        last = parse_date(changes[1], what="end")
        if last <= first:
            raise DataError(
                f"report: changes end {last:%Y-%m-%d} is not after start {first:%Y-%m-%d}"
            )
        return first, last
    if timeline.name == "islamic-state":
        first, last = (parse_date(d) for d in DEFAULT_CHANGES)
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
    progress: bool | None = None,
) -> list[Path]:
    """Write the maps, snapshots, area table and figures of a timeline into ``folder``.

    The folder is created if needed (its parent must exist). Each file is written
    atomically, so a failed run leaves earlier files whole. Written:

    - ``timeline_map.html``: the time-slider map (self-contained by default);
    - ``changes_map.html``: ground gained and lost between two dates (for the
      bundled ``islamic-state`` data: 1 January 2015 to 1 February 2018; for any
      other, its first and last change; left out when it has only one);
    - ``snapshot_YYYY-MM-DD.geojson``: what each actor held at each turning point;
    - ``area_monthly.csv``: km² held on the first of every month;
    - ``small_multiples.png`` / ``.svg``: the maps at the turning points;
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
        Dates of the snapshots and small multiples (default: the turning points).
    freq : str
        pandas frequency of the area table (default month starts).
    basemap : Basemap, optional
        Outlines and places (default: the bundled ones).
    progress : bool or None
        A progress bar on stderr (None: only when stderr is a terminal).

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
    basemap = Basemap.or_bundled(basemap)
    # Everything that can be refused is checked before the first file is written.
    days = [parse_date(d) for d in (timeline.turning_points if dates is None else dates)]
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
            written.append(save_map(make(), target / name))  # type: ignore[arg-type]

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
                written.append(save_figure(fig, target / f"{name}{suffix}"))  # type: ignore[arg-type]

        return write

    steps: list[tuple[str, Callable[[], None]]] = [
        (
            "timeline map",
            page(
                "timeline_map.html",
                lambda: timeline_map(timeline, self_contained=self_contained, basemap=basemap),
            ),
        ),
        *(
            [
                (
                    "changes map",
                    page(
                        "changes_map.html",
                        lambda: changes_map(
                            timeline, *span, self_contained=self_contained, basemap=basemap
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
            figures("small_multiples", lambda: small_multiples(timeline, days, basemap=basemap)),
        ),
        ("area chart", figures("area_chart", lambda: area_chart(timeline))),
    ]
    for _, step in progress_bar(steps, enabled=progress, description="report"):
        step()
    return written
