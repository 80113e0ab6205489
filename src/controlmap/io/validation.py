"""Checking a timeline file: every polygon valid, GeoJSON rings wound as RFC 7946 asks."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..errors import DataError, GeometryError, GeometryWarning, some, where
from ..model import Timeline
from .geojson import GEOJSON_SUFFIXES
from .reading import _read_periods

__all__ = ["counts_against_file", "validate"]

# Warnings about code, not about the file: they never make a file fail --strict.
_ABOUT_CODE = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def counts_against_file(category: type[Warning]) -> bool:
    """Whether a warning raised while reading says something about the file.

    controlmap's own warnings and other libraries' ``UserWarning``/``RuntimeWarning``
    (a GDAL notice) do; deprecation warnings are about code and do not.

    Examples
    --------
    >>> counts_against_file(GeometryWarning), counts_against_file(FutureWarning)
    (True, False)
    """
    return not issubclass(category, _ABOUT_CODE)


def _feature(index: int, ids: list[Any] | None) -> str:
    fid = ids[index] if ids else None
    return f"feature {index}" + (f" (id {fid!r})" if fid is not None else "")


def validate(
    source: str | os.PathLike[str],
    *,
    strict: bool = False,
    name: str | None = None,
    **options: Any,
) -> Timeline:
    """Read a timeline and check every polygon is valid (OGC simple features).

    Errors (a polygon that is not valid, anything :func:`read` refuses) raise. What
    readers accept but a careful writer would not is a warning: GeoJSON rings wound
    against RFC 7946 (outer rings clockwise, holes counter-clockwise; section 3.1.6
    says readers must not reject them), a layer picked out of several, a GDAL notice.

    Parameters
    ----------
    source : path-like
        A file :func:`read` accepts.
    strict : bool, default False
        Make every warning an error (``controlmap validate --strict``).
    name : str, optional
        The timeline's label (default: the file name without extension).
    **options
        As in :func:`read`: field names, ``layer``, ``engine``, ``crs``.

    Returns
    -------
    Timeline
        The timeline, when nothing is wrong.

    Raises
    ------
    ControlMapError
        The first problem found, naming the feature. Invalid but repairable polygons
        (self-intersections, bowties) raise :class:`GeometryError`; ``controlmap
        repair`` fixes them. With ``strict=True``, the first warning, as a
        :class:`GeometryError` (winding) or :class:`DataError`.

    Warns
    -----
    GeometryWarning
        Rings wound against RFC 7946: how many features, the first few, and that
        ``controlmap repair`` rewinds them.
    ControlMapWarning
        Whatever reading the file warned about (:class:`LayerWarning`...).

    Examples
    --------
    >>> import controlmap
    >>> len(validate(controlmap.dataset_path("islamic-state"), strict=True)) > 0
    True
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        periods, ids = _read_periods(source, **options)
    geoms = np.asarray(periods.geometry.values, dtype=object)
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        i = int(invalid[0])
        reason = shapely.is_valid_reason(geoms[i])
        more = f" ({len(invalid) - 1} more invalid)" if len(invalid) > 1 else ""
        raise GeometryError(
            f"{where(source, i, ids[i] if ids else None)}: invalid polygon: {reason}{more};"
            " `controlmap repair` writes a fixed copy"
        )
    found: list[tuple[str, type[Warning]]] = [(str(w.message), w.category) for w in caught]
    if Path(source).suffix.lower() in GEOJSON_SUFFIXES:
        # RFC 7946 section 3.1.6: exteriors counter-clockwise, holes clockwise.
        wound = shapely.orient_polygons(geoms, exterior_cw=False)
        wrong = np.flatnonzero(~shapely.equals_exact(wound, geoms, tolerance=0.0))
        if len(wrong):
            features = [_feature(int(i), ids) for i in wrong]
            found.append(
                (
                    f"{source}: {len(wrong)} feature(s) with rings wound against RFC 7946"
                    f" (outer rings clockwise or holes counter-clockwise): "
                    f"{some(features, count=3, show=str)}; readers accept them,"
                    " `controlmap repair` rewinds them",
                    GeometryWarning,
                )
            )
    counted = [(message, category) for message, category in found if counts_against_file(category)]
    if strict and counted:
        message, category = counted[0]
        more = f" (and {len(counted) - 1} more warning(s))" if len(counted) > 1 else ""
        error = GeometryError if issubclass(category, GeometryWarning) else DataError
        raise error(f"{message}{more}; strict: warnings fail")
    for message, category in found:  # every warning reaches the caller, once
        warnings.warn(message, category, stacklevel=2)
    return Timeline._from_normalized(periods, name=name or Path(source).stem, source=source)
