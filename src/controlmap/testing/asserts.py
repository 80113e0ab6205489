"""Assertions for tests of code that reads, writes or builds timelines."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..geodesic import geodesic_area_km2
from ..model import Timeline

__all__ = ["assert_timeline_equal"]

_ROLES = ("actor", "start", "end", "status")


def _missing(value: Any) -> bool:
    return bool(np.ndim(value) == 0 and pd.isna(value))


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):  # None, NaN, NaT and NA stand for one another
        return _missing(a) and _missing(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays, or values of kinds that do not compare
        return repr(a) == repr(b)


def _ordered(periods: pd.DataFrame) -> pd.DataFrame:
    shapes = shapely.to_wkb(shapely.normalize(np.asarray(periods.geometry.values, dtype=object)))
    keys = periods[list(_ROLES)].assign(_shape=shapes)
    order = keys.sort_values([*_ROLES, "_shape"], kind="stable").index
    return periods.loc[order].reset_index(drop=True)


def assert_timeline_equal(
    left: Timeline,
    right: Timeline,
    *,
    tolerance: float = 0.0,
    area_rtol: float | None = None,
    check_order: bool = True,
    check_columns: bool = True,
    check_name: bool = False,
    check_events: bool = False,
    check_attrs: bool = False,
) -> None:
    """Assert two timelines hold the same periods; raise AssertionError naming the first difference.

    Actors, statuses and dates must be equal (an open ``end`` equals only an open
    ``end``); other columns equal value by value, whatever their dtype (file formats
    differ in how they store text and numbers).

    Parameters
    ----------
    left, right : Timeline
    tolerance : float, default 0
        Geometries must be within this Hausdorff distance in degrees; 0 asks for the
        same point set (``shapely.equals``: vertex order and ring start may differ).
    area_rtol : float, optional
        Also compare each period's geodesic area within this relative tolerance.
    check_order : bool, default True
        Compare row by row; False sorts both by actor, dates, status and shape first.
    check_columns : bool, default True
        The same columns in the same order; False compares the shared ones only.
    check_name, check_events, check_attrs : bool, default False
        Also compare ``name``, ``events`` and ``attrs``.

    Raises
    ------
    AssertionError
        With a message such as ``periods differ at row 2, column 'end': 2015-01-01 != NaT``.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> from controlmap.testing import assert_timeline_equal
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> path = tl.to_file(pathlib.Path(tempfile.mkdtemp()) / "is.gpkg")
    >>> assert_timeline_equal(tl, controlmap.read(path), tolerance=1e-6, area_rtol=1e-5)
    """
    if not isinstance(left, Timeline) or not isinstance(right, Timeline):
        raise AssertionError(
            f"expected two Timelines, got {type(left).__name__} and {type(right).__name__}"
        )
    a, b = left.periods, right.periods
    if len(a) != len(b):
        raise AssertionError(f"periods differ in number: {len(a)} != {len(b)}")
    columns_a = [c for c in a.columns if c != a.geometry.name]
    columns_b = [c for c in b.columns if c != b.geometry.name]
    if check_columns and columns_a != columns_b:
        raise AssertionError(f"columns differ: {columns_a} != {columns_b}")
    shared = [c for c in columns_a if c in columns_b]
    if not check_order:
        a, b = _ordered(a), _ordered(b)
    for column in shared:
        for row, (x, y) in enumerate(zip(a[column], b[column], strict=True)):
            if not _same(x, y):
                raise AssertionError(
                    f"periods differ at row {row}, column {column!r}: {x!r} != {y!r}"
                )
    geoms_a = np.asarray(a.geometry.values, dtype=object)
    geoms_b = np.asarray(b.geometry.values, dtype=object)
    if tolerance > 0:
        distance = shapely.hausdorff_distance(geoms_a, geoms_b)
        wrong = np.flatnonzero(~(distance <= tolerance))
        what = f"geometries more than {tolerance} degrees apart"
    else:
        wrong = np.flatnonzero(~shapely.equals(geoms_a, geoms_b))
        what = "geometries differ"
    if len(wrong):
        row = int(wrong[0])
        raise AssertionError(f"{what} at row {row} ({len(wrong)} row(s) in all)")
    if area_rtol is not None:
        area_a = geodesic_area_km2(geoms_a)
        area_b = geodesic_area_km2(geoms_b)
        off = np.flatnonzero(~np.isclose(area_a, area_b, rtol=area_rtol, atol=0.0))
        if len(off):
            row = int(off[0])
            raise AssertionError(
                f"areas differ at row {row}: {area_a[row]:.6f} != {area_b[row]:.6f} km²"
                f" (rtol {area_rtol})"
            )
    if check_name and left.name != right.name:
        raise AssertionError(f"names differ: {left.name!r} != {right.name!r}")
    if check_events:
        events_a, events_b = left.events, right.events
        if events_a is None or events_b is None:
            if (events_a is None) != (events_b is None):
                raise AssertionError("events differ: one timeline has none")
        else:
            pd.testing.assert_frame_equal(events_a, events_b, check_dtype=False)
    if check_attrs:
        _assert_attrs_equal(left.attrs, right.attrs)


def _assert_attrs_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    if sorted(a) != sorted(b):
        raise AssertionError(f"attrs differ in keys: {sorted(a)} != {sorted(b)}")
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, pd.DataFrame) or isinstance(y, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, obj=f"attrs[{key!r}]")
        elif not _same(x, y):
            raise AssertionError(f"attrs[{key!r}] differ: {x!r} != {y!r}")
