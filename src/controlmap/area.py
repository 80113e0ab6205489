"""Areas: the geodesic measure and the interval engine, under the name of before.

The measure lives in :mod:`controlmap.geodesic`, the engine behind ``Timeline.area``
and ``Timeline.population`` in :mod:`controlmap.intervals`, the tiled union of
overlapping polygons in :mod:`controlmap.union`; this module gathers them so that
``controlmap.area.geodesic_area_km2`` and the like keep working.

Examples
--------
>>> from shapely import box
>>> round(float(geodesic_area_km2([box(40, 34, 41, 35)])[0]), 1)
10187.8
"""

from __future__ import annotations

from .geodesic import EDGE_STEP_DEGREES, SLIVER_KM2, geodesic_area_km2
from .intervals import active_at, factorize, interval_series, overlapping_pairs
from .union import union

__all__ = [
    "EDGE_STEP_DEGREES",
    "SLIVER_KM2",
    "active_at",
    "factorize",
    "geodesic_area_km2",
    "interval_series",
    "overlapping_pairs",
    "union",
]
