"""A timeline's events: dated labels (places taken or lost, turning points) to annotate with."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._dates import parse_dates
from .errors import DataError
from .periods import _is_blank

__all__ = ["check_events", "turning_point_flags"]


def turning_point_flags(values: pd.Series) -> np.ndarray:
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


def check_events(events: pd.DataFrame | None) -> pd.DataFrame | None:
    """The events table checked (``date`` and ``label`` columns) and sorted by date.

    Examples
    --------
    >>> events = check_events(pd.DataFrame({"date": ["2015", "2014-06"], "label": ["b", "a"]}))
    >>> list(events["label"]), f"{events['date'][0]:%Y-%m-%d}"
    (['a', 'b'], '2014-06-01')
    """
    if events is None:
        return None
    missing = {"date", "label"} - set(events.columns)
    if missing:
        raise DataError(f"events: missing column(s) {sorted(missing)}")
    events = events.copy()
    events["date"] = parse_dates(events["date"], what="event date")
    return events.sort_values("date", kind="stable").reset_index(drop=True)
