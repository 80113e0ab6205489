"""Date parsing shared by the model and the readers.

controlmap works in whole days: every date becomes a midnight ``pandas.Timestamp``
(tz-naive, UTC for aware inputs), stored at second resolution so that dates far
from 1970 (a 17th-century war) still fit.

The supported range is 0001-01-01 to 9999-12-31 (the proleptic Gregorian years 1 to
9999 that ISO 8601 writes with four digits and Python's ``datetime`` holds), checked
at every entry point, so any date accepted is written back as it was read.

Years before 1 AD (astronomical year 0 = 1 BC, negative years; ``"-0044-03-15"``,
``"44 BC"``, ``-44`` in a number field) are refused up front, with one message, rather
than supported: GeoPackage Date fields are written through Python's ``datetime``, and
the ``YYYY-MM-DD`` text GDAL and QGIS read as a date has no sign, so such a date could
be computed on but not exported, nor shown by QGIS's temporal controller.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .errors import DateError

DateLike = str | _dt.date | _dt.datetime | pd.Timestamp | np.datetime64
DATE_DTYPE = "datetime64[s]"
FIRST_DAY = pd.Timestamp("0001-01-01").as_unit("s")
LAST_DAY = pd.Timestamp("9999-12-31").as_unit("s")
RANGE_TEXT = (
    "controlmap supports dates from 0001-01-01 to 9999-12-31 only: GeoPackage Date fields"
    " (written through Python's datetime) and the YYYY-MM-DD text GDAL and QGIS read as"
    " dates hold no other years"
)
# A year before 1 AD, however written: a sign (-44, -0044-03-15, expanded -000044),
# or an era suffix (44 BC, 44 BCE, 44 B.C.).
_BEFORE_AD = re.compile(r"^-\d+(?:-\d{1,2}(?:-\d{1,2})?)?$|^\d+\s*B\.?\s*C\.?(?:E\.?)?$", re.I)

# ISO 8601 calendar dates at year, month or day precision, optionally with a time.
_ISO = re.compile(
    r"^(?P<y>[+-]?\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<time>\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?)(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if isinstance(value, np.datetime64) and np.isnat(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def parse_date(value: Any, *, allow_missing: bool = False, what: str = "date") -> pd.Timestamp:
    """Parse one date into a midnight :class:`pandas.Timestamp`.

    Parameters
    ----------
    value : str, date, datetime, Timestamp or numpy.datetime64
        ISO 8601 text at year (``"2014"``), month (``"2014-06"``) or day precision
        (``"2014-06-10"``, optionally with a time), or a date/datetime object. A
        year or month means its first day.
    allow_missing : bool, default False
        Return ``NaT`` for ``None``, NaN or an empty string instead of raising.
    what : str
        How the value is named in an error message.

    Returns
    -------
    pandas.Timestamp
        Midnight of the day, tz-naive (aware values are converted to UTC first).

    Raises
    ------
    DateError
        If the value is not a date.

    Examples
    --------
    >>> parse_date("2014-06")
    Timestamp('2014-06-01 00:00:00')
    """
    if _is_missing(value):
        if allow_missing:
            return pd.NaT  # type: ignore[return-value]
        raise DateError(f"{what} is missing")
    if isinstance(value, bool):
        raise DateError(f"{what} {value!r} is not a date")
    if isinstance(value, int | np.integer | float | np.floating):
        number = float(value)
        if number.is_integer() and 1000 <= number <= 9999:
            value = str(int(number))  # a bare year read from a number column (2014, 2014.0)
        elif number.is_integer() and number <= 0:
            raise DateError(f"{what} {value!r} is before 1 AD: {RANGE_TEXT}")
    if isinstance(value, str):
        text = value.strip()
        if _BEFORE_AD.match(text):
            raise DateError(f"{what} {value!r} is before 1 AD: {RANGE_TEXT}")
        match = _ISO.match(text)
        if match is None:
            raise DateError(
                f"{what} {value!r} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)"
            )
        year, month, day = match["y"], match["m"] or "01", match["d"] or "01"
        if year.startswith("-") or int(year) == 0:
            # Year 0 and negative years are astronomical numbering (1 BC, 2 BC...).
            raise DateError(f"{what} {value!r} is before 1 AD: {RANGE_TEXT}")
        try:
            if match["time"]:
                # The time only matters for the UTC day, but it must be a time.
                stamp = pd.Timestamp(text)
                if stamp.tzinfo is not None:
                    stamp = stamp.tz_convert("UTC").tz_localize(None)
            else:
                stamp = pd.Timestamp(_dt.date(int(year), int(month), int(day)))
        except (ValueError, OverflowError) as exc:
            raise DateError(f"{what} {value!r} is not a valid date: {exc}") from None
    elif isinstance(value, _dt.datetime | _dt.date | pd.Timestamp | np.datetime64):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, OverflowError) as exc:
            raise DateError(f"{what} {value!r} is not a valid date: {exc}") from None
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
    else:
        raise DateError(f"{what} {value!r} is not a date")
    stamp = stamp.normalize()
    if not FIRST_DAY <= stamp <= LAST_DAY:
        raise DateError(f"{what} {value!r} {outside_text(stamp)}")
    return stamp.as_unit("s")


def outside_text(stamp: pd.Timestamp) -> str:
    """What is said of a day outside the supported range: which day, which side, why.

    Examples
    --------
    >>> outside_text(pd.Timestamp("0001-01-01") - pd.Timedelta(days=1))[:40]
    'is day 0000-12-31, before 1 AD: controlm'
    """
    side = "before 1 AD" if stamp < FIRST_DAY else "after 9999-12-31"
    return f"is day {iso_day(stamp)}, {side}: {RANGE_TEXT}"


def parse_dates(
    values: Iterable[Any], *, allow_missing: bool = False, what: str = "date"
) -> pd.DatetimeIndex:
    """Parse many dates; see :func:`parse_date`.

    Examples
    --------
    >>> list(parse_dates(["2014", "2015-02-03"]).strftime("%Y-%m-%d"))
    ['2014-01-01', '2015-02-03']
    """
    # A column is kept as it is: as objects, a text column of 100,000 dates would be
    # 100,000 Python strings for a moment.
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    fast = _parse_plain_days(series)
    if fast is not None and (allow_missing or not fast.isna().any()):
        return fast
    stamps = [parse_date(v, allow_missing=allow_missing, what=what) for v in series]
    return pd.DatetimeIndex(stamps, dtype=DATE_DTYPE)


def _parse_plain_days(series: pd.Series) -> pd.DatetimeIndex | None:
    """Vectorised path for the common case: all values are YYYY-MM-DD text or missing.

    Returns None whenever anything else is present, so the per-value parser (with its
    precise error messages) handles it. Each distinct value is looked at once: a
    timeline repeats a few thousand days over its periods.
    """
    try:
        codes, uniques = pd.factorize(series.reset_index(drop=True))
    except TypeError:  # unhashable values (lists...): the per-value parser names them
        return None
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    missing = distinct.map(_is_missing).to_numpy(dtype=bool)
    present = distinct[~missing]
    if not len(present) or not all(isinstance(v, str) for v in present):
        return None
    text = present.astype(str).str.strip()
    if not text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
        return None
    try:
        parsed = pd.to_datetime(text, format="%Y-%m-%d")
    except (ValueError, OverflowError):
        return None
    # One slot more for the missing values (code -1).
    days = np.full(len(distinct) + 1, np.datetime64("NaT"), dtype=DATE_DTYPE)
    days[np.flatnonzero(~missing)] = parsed.to_numpy(dtype=DATE_DTYPE)
    index = pd.DatetimeIndex(days[codes], dtype=DATE_DTYPE)
    # pandas reads year 0000; the per-value parser refuses it with the reason.
    return index if check_range(index) is None else None


def check_range(index: pd.DatetimeIndex, what: str = "date") -> int | None:
    """Position of the first date outside 0001-01-01..9999-12-31 (None if all inside).

    Examples
    --------
    >>> check_range(pd.DatetimeIndex(["2014-01-01", "0999-06-01"], dtype=DATE_DTYPE))
    >>> check_range(pd.DatetimeIndex([np.datetime64("10000-01-01", "s")]))
    0
    """
    values = index.as_unit("s").asi8
    present = ~np.asarray(index.isna(), dtype=bool)
    first, last = FIRST_DAY.asm8.view("i8"), LAST_DAY.asm8.view("i8")  # seconds
    outside = present & ((values < first) | (values > last))
    return int(np.flatnonzero(outside)[0]) if outside.any() else None


def iso_day(value: pd.Timestamp) -> str:
    """``YYYY-MM-DD`` of a timestamp, four-digit years (``strftime`` gives ``999``).

    Examples
    --------
    >>> iso_day(pd.Timestamp("0999-06-01"))
    '0999-06-01'
    """
    stamp = pd.Timestamp(value)
    year = f"{stamp.year:04d}" if 0 <= stamp.year <= 9999 else f"{stamp.year:+05d}"
    return f"{year}-{stamp.month:02d}-{stamp.day:02d}"


def format_date(value: pd.Timestamp | None) -> str | None:
    """ISO 8601 day text of a timestamp, or None for NaT.

    Examples
    --------
    >>> format_date(pd.Timestamp("2017-07-10"))
    '2017-07-10'
    >>> format_date(pd.Timestamp("0999-06-01"))
    '0999-06-01'
    """
    if value is None or pd.isna(value):
        return None
    return iso_day(value)
