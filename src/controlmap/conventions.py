"""Date conventions of other sources: inclusive end dates and partial dates.

controlmap's periods are half-open: ``end`` is the first day *not* held. Several
sources (CShapes, GeoEPR, OpenHistoricalMap) give instead the last day held. And
many give dates at year or month precision (``"2015"``, ``"2015-06"``). Reading such
a file:

* ``end_inclusive=True`` turns each end into the day after the period it closes: one
  day after a full date, the next month after ``"2015-06"``, the next year after
  ``"2015"`` (held through 2015 means held until 2016-01-01);
* the precision of every text date is kept in a column (``start_precision``,
  ``end_precision``: ``"year"``, ``"month"`` or ``"day"``) whenever some date is
  partial, so a year-precise start is not mistaken for a known 1 January.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._dates import _ISO, _is_missing

__all__ = ["add_precision", "date_precision", "with_date_conventions"]


def date_precision(value: Any) -> str | None:
    """``"year"``, ``"month"`` or ``"day"`` for a date value; None when missing.

    Date and datetime objects are day-precise; text is as precise as it is written.

    Examples
    --------
    >>> [date_precision(v) for v in ("2015", "2015-06", "2015-06-01T10:00", None)]
    ['year', 'month', 'day', None]
    """
    if _is_missing(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return "year"  # a bare year from a numeric column
    if isinstance(value, float) and value.is_integer() and 1000 <= value <= 9999:
        return "year"
    if isinstance(value, str):
        match = _ISO.match(value.strip())
        if match is None:
            return None  # not a date: the date parser reports it, by feature
        return "day" if match["d"] else "month" if match["m"] else "year"
    return "day"


_STEP = {
    "year": pd.DateOffset(years=1),
    "month": pd.DateOffset(months=1),
    "day": pd.DateOffset(days=1),
}


def with_date_conventions(
    frame: pd.DataFrame, *, start: str, end: str, end_inclusive: bool = False
) -> tuple[pd.DataFrame, dict[str, list[str | None]]]:
    """``frame`` with exclusive ends if asked, and the precision of partial dates.

    Parameters
    ----------
    frame : DataFrame
        Features as read, dates not parsed yet.
    start, end : str
        The date fields.
    end_inclusive : bool
        The file's ``end`` is the last day held: move each to the following day (or
        month, or year, at the date's own precision).

    Returns
    -------
    frame : DataFrame
        The features, ends moved when ``end_inclusive``.
    precision : dict
        ``{"start_precision": [...], "end_precision": [...]}`` when some date is
        partial (else empty): columns for the periods, added once they are checked
        (so a message listing the file's fields lists only the file's).

    Examples
    --------
    >>> f = pd.DataFrame({"start": ["1991-12"], "end": ["1999"]})
    >>> out, precision = with_date_conventions(f, start="start", end="end", end_inclusive=True)
    >>> out.loc[0, "end"], precision
    ('2000-01-01', {'start_precision': ['month'], 'end_precision': ['year']})
    """
    precision: dict[str, list[str | None]] = {}
    for column, role in ((start, "start"), (end, "end")):
        if column in frame.columns:
            precision[f"{role}_precision"] = [date_precision(v) for v in frame[column]]
    partial = any(p in ("year", "month") for values in precision.values() for p in values)
    if end_inclusive and end in frame.columns:
        from ._dates import iso_day, parse_date

        moved: list[Any] = []
        for value, unit in zip(frame[end], precision["end_precision"], strict=True):
            if unit is None:
                moved.append(value)  # missing (still held) or not a date: reported later
                continue
            try:
                day = parse_date(value, what=end)
            except Exception:  # the parser reports it again, naming the feature
                moved.append(value)
                continue
            moved.append(iso_day(day + _STEP[unit]))
        frame = frame.copy()
        frame[end] = pd.Series(moved, index=frame.index, dtype=object)
    return frame, precision if partial else {}


def add_precision(periods: pd.DataFrame, precision: dict[str, list[str | None]]) -> pd.DataFrame:
    """``periods`` with the precision columns placed after ``status`` (before the extras).

    Examples
    --------
    >>> p = pd.DataFrame({"actor": ["A"], "start": [0], "end": [1], "status": ["control"]})
    >>> list(add_precision(p, {"start_precision": ["year"]}).columns)
    ['actor', 'start', 'end', 'status', 'start_precision']
    """
    for offset, (name, values) in enumerate(precision.items()):
        if name in periods.columns:
            continue  # the file has its own column of that name: keep it
        periods.insert(4 + offset, name, pd.Series(values, index=periods.index, dtype=object))
    return periods
