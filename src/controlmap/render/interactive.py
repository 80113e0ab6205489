"""Deprecated: the web maps moved to :mod:`controlmap.render.maps` (removed next release)."""

from __future__ import annotations

import warnings

from .maps._leaflet import DECIMALS, ControlMap, screen_geometry
from .maps._leaflet import text_value as _text
from .maps.changes import changes_map
from .maps.snapshot import snapshot_map
from .maps.timeline import timeline_map
from .saving import save_map

__all__ = [
    "DECIMALS",
    "ControlMap",
    "_text",
    "changes_map",
    "save_map",
    "screen_geometry",
    "snapshot_map",
    "timeline_map",
]

warnings.warn(
    "controlmap.render.interactive is deprecated; import from controlmap.render",
    DeprecationWarning,
    stacklevel=2,
)
