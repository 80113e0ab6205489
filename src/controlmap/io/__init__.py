"""Reading, writing and checking timeline files, one module per job.

- :mod:`controlmap.io.reading`: any vector file to a Timeline (the file's kind, CRS, fields),
  a partitioned folder to a lazy :class:`~controlmap.partition.PartitionedTimeline`;
- :mod:`controlmap.io.geojson`: the streaming GeoJSON reader (defects named by feature);
- :mod:`controlmap.io.writing`: GeoJSON (RFC 7946), GeoPackage and GeoParquet writers;
- :mod:`controlmap.io.validation`: :func:`validate`, the checks of ``controlmap validate``.

Every write is atomic (:func:`controlmap._atomic.atomic_output`, also importable from
here): a failed write leaves the old file untouched and no debris.

Examples
--------
>>> import controlmap
>>> tl = controlmap.io.read(controlmap.dataset_path("islamic-state"))
>>> tl.actors
['Islamic State']
"""

from __future__ import annotations

from .._atomic import atomic_output
from .geojson import GEOJSON_SUFFIXES, read_geojson
from .reading import read, read_file, read_frame
from .validation import validate
from .writing import (
    COORDINATE_DECIMALS,
    KEPLER_FIELDS,
    WRITERS,
    geojson_chunks,
    kepler_times,
    write_periods,
    write_snapshot,
)

__all__ = [
    "COORDINATE_DECIMALS",
    "GEOJSON_SUFFIXES",
    "KEPLER_FIELDS",
    "WRITERS",
    "atomic_output",
    "geojson_chunks",
    "kepler_times",
    "read",
    "read_file",
    "read_frame",
    "read_geojson",
    "validate",
    "write_periods",
    "write_snapshot",
]
