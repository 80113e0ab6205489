"""Deprecated: the fighters map and figure moved to ``render.maps`` and ``render.figures``.

Import them from :mod:`controlmap.render` (this module goes in the next release).
"""

from __future__ import annotations

import warnings

from ._fighters import (
    COLOURS,
    CREDIT,
    DEFAULT_TERRITORY_DATE,
    REFERENCE_COUNTS,
    REGIONS,
    SymbolScale,
    conflict_zone,
    describe_figure,
    great_circle,
    symbol_scale,
)
from .figures.fighters import fighters_figure
from .maps.fighters import fighters_map
from .saving import save_fighters_map

__all__ = [
    "COLOURS",
    "CREDIT",
    "DEFAULT_TERRITORY_DATE",
    "REFERENCE_COUNTS",
    "REGIONS",
    "SymbolScale",
    "conflict_zone",
    "describe_figure",
    "fighters_figure",
    "fighters_map",
    "great_circle",
    "save_fighters_map",
    "symbol_scale",
]

warnings.warn(
    "controlmap.render.fighters is deprecated; import from controlmap.render",
    DeprecationWarning,
    stacklevel=2,
)
