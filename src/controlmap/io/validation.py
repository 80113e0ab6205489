"""Checking a timeline file: every polygon valid, GeoJSON rings wound as RFC 7946 asks."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..errors import ControlMapWarning, GeometryError, where
from ..model import Timeline
from .geojson import GEOJSON_SUFFIXES
from .reading import _read_periods

__all__ = ["validate"]


def validate(
    source: str | os.PathLike[str], *, name: str | None = None, **options: Any
) -> Timeline:
    """Read a timeline and check every polygon is valid (OGC simple features).

    Parameters
    ----------
    source : path-like
        A file :func:`read` accepts.
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
        repair`` fixes them.

    Examples
    --------
    >>> import controlmap
    >>> len(validate(controlmap.dataset_path("islamic-state"))) > 0
    True
    """
    with warnings.catch_warnings():
        # Invalid polygons are reported below instead; other libraries' warnings still show.
        warnings.simplefilter("ignore", ControlMapWarning)
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
    if Path(source).suffix.lower() in GEOJSON_SUFFIXES:
        # RFC 7946 section 3.1.6: exteriors counter-clockwise, holes clockwise.
        wound = shapely.orient_polygons(geoms, exterior_cw=False)
        wrong = np.flatnonzero(~shapely.equals_exact(wound, geoms, tolerance=0.0))
        if len(wrong):
            i = int(wrong[0])
            more = f" ({len(wrong) - 1} more)" if len(wrong) > 1 else ""
            raise GeometryError(
                f"{where(source, i, ids[i] if ids else None)}: rings wound against RFC 7946"
                f" (exterior clockwise or hole counter-clockwise){more};"
                " `controlmap repair` writes a fixed copy"
            )
    return Timeline._from_normalized(periods, name=name or Path(source).stem, source=source)
