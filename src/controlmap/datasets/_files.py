"""Where the bundled files are: the wheel's ``controlmap/_data`` or a checkout's ``data/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..errors import ControlMapError, UnknownDatasetError

__all__ = ["data_dir", "dataset_key"]


@cache
def data_dir() -> Path:
    """The folder holding the bundled data.

    In an installed wheel the files live in ``controlmap/_data``; in a source checkout
    (editable install, tests) they are read from the repository's ``data/`` folder, so
    there is exactly one copy of each file in the repository.

    Examples
    --------
    >>> (data_dir() / "polygons").is_dir()
    True
    """
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_data"
    if packaged.is_dir():
        return packaged
    checkout = package.parents[1] / "data"
    if checkout.is_dir():
        return checkout
    raise ControlMapError(
        f"bundled data not found in {packaged} or {checkout}; reinstall controlmap"
    )


def dataset_key(name: str) -> str:
    """The registry key of a data-set or layer name: case, spaces and ``_`` forgiven.

    Examples
    --------
    >>> dataset_key(" Islamic_State ")
    'islamic-state'
    """
    if not isinstance(name, str):
        raise UnknownDatasetError(f"a data-set name is text, not {type(name).__name__}")
    return name.strip().lower().replace("_", "-")
