"""Deprecated: the foreign-fighter table moved to :mod:`controlmap.datasets.fighters`.

Every name still works for one release, with a
:class:`~controlmap.ControlMapDeprecationWarning` saying where it lives now.

Examples
--------
>>> import warnings
>>> import controlmap.fighters
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     _ = controlmap.fighters.FIGURES
>>> "controlmap.datasets.fighters" in str(caught[0].message)
True
"""

from __future__ import annotations

import warnings
from typing import Any

from .datasets import fighters as _moved
from .errors import ControlMapDeprecationWarning


def __getattr__(name: str) -> Any:
    value = getattr(_moved, name)  # an unknown name raises AttributeError as usual
    warnings.warn(
        f"controlmap.fighters.{name} is deprecated and will be removed in the next release; "
        f"use controlmap.datasets.fighters.{name}",
        ControlMapDeprecationWarning,
        stacklevel=2,
    )
    return value
