"""Deprecated: the figures moved to :mod:`controlmap.render.figures` (removed next release)."""

from __future__ import annotations

import warnings

from .figures.area_chart import area_chart, published_figures
from .figures.changes import changes_figure
from .figures.small_multiples import small_multiples
from .saving import save_figure

__all__ = ["area_chart", "changes_figure", "published_figures", "save_figure", "small_multiples"]

warnings.warn(
    "controlmap.render.static is deprecated; import from controlmap.render",
    DeprecationWarning,
    stacklevel=2,
)
