"""controlmap: territorial-control timelines.

Who controlled which ground, when, and how much of it: dated control polygons as
GeoDataFrames, snapshots at any date, geodesic area over time, gains and losses,
and files that GIS tools read directly.

Examples
--------
>>> import controlmap
>>> tl = controlmap.load_dataset("islamic-state")
>>> snapshot = tl.at("2015-05-25")          # GeoDataFrame, one row per actor
>>> series = tl.area(freq="MS")             # DataFrame of km², one column per actor
"""

from __future__ import annotations

from ._dates import parse_date
from .archive import read_snapshots
from .datasets import (
    dataset_path,
    fighters_table,
    fighters_totals,
    load_dataset,
    load_fighters,
    load_layer,
)
from .errors import (
    ControlMapDeprecationWarning,
    ControlMapError,
    ControlMapWarning,
    DataError,
    DateError,
    FormatError,
    GeometryError,
    GeometryWarning,
    LayerWarning,
    MissingExtraError,
    OutputError,
    OutputWarning,
    StyleWarning,
    UnknownDatasetError,
)
from .geodesic import geodesic_area_km2
from .io import read, validate
from .model import Timeline
from .repair import repair
from .verify import verify

__version__ = "0.1.0"

__all__ = [
    "ControlMapDeprecationWarning",
    "ControlMapError",
    "ControlMapWarning",
    "DataError",
    "DateError",
    "FormatError",
    "GeometryError",
    "GeometryWarning",
    "LayerWarning",
    "MissingExtraError",
    "OutputError",
    "OutputWarning",
    "StyleWarning",
    "Timeline",
    "UnknownDatasetError",
    "__version__",
    "dataset_path",
    "fighters_table",
    "fighters_totals",
    "geodesic_area_km2",
    "load_dataset",
    "load_fighters",
    "load_layer",
    "parse_date",
    "read",
    "read_snapshots",
    "repair",
    "validate",
    "verify",
]
