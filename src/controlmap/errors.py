"""Exceptions raised by controlmap.

Every error derives from :class:`ControlMapError`, so callers can catch one class.
Messages name the file, the feature (index or id) and the problem on one line, e.g.
``periods.geojson: feature 3 (id 'raqqa-1'): end 2014-01-01 is before start 2015-01-01``.
"""

from __future__ import annotations

__all__ = [
    "ControlMapError",
    "DataError",
    "DateError",
    "FormatError",
    "GeometryError",
    "OutputError",
    "UnknownDatasetError",
]


class ControlMapError(Exception):
    """Base class of every error controlmap raises on purpose."""


class FormatError(ControlMapError, ValueError):
    """A file cannot be read as the format it claims to be (not JSON, truncated, wrong type)."""


class DataError(ControlMapError, ValueError):
    """A feature's properties are missing or inconsistent (no actor, duplicate id...)."""


class DateError(DataError):
    """A date cannot be parsed, or an interval is empty or reversed."""


class GeometryError(DataError):
    """A geometry is of the wrong type, not finite, unclosed, invalid or in the wrong CRS."""


class UnknownDatasetError(ControlMapError, KeyError):
    """A bundled data-set or layer name that does not exist."""

    def __str__(self) -> str:
        # KeyError.__str__ quotes its argument; a message reads better plain.
        return str(self.args[0]) if self.args else ""


class OutputError(ControlMapError, OSError):
    """An output file cannot be written (unknown extension, unwritable folder...)."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    r"""An exception's message on one line, shortened: for wrapping a library's error.

    Examples
    --------
    >>> one_line(ValueError("bad\n   thing"))
    'bad thing'
    >>> one_line(KeyError())
    'KeyError'
    """
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


def where(file: object | None, index: int | None = None, fid: object | None = None) -> str:
    """Format the "file: feature N (id X)" prefix of an error message.

    Parameters
    ----------
    file : path-like or str or None
        The file the feature came from.
    index : int, optional
        Zero-based position of the feature in the file.
    fid : object, optional
        The feature's own id, if it has one.

    Returns
    -------
    str
        A prefix such as ``"a.geojson: feature 2 (id 'x')"``.

    Examples
    --------
    >>> where("a.geojson", 2, "x")
    "a.geojson: feature 2 (id 'x')"
    """
    parts = [str(file) if file is not None else "<data>"]
    if index is not None:
        feature = f"feature {index}"
        if fid is not None:
            feature += f" (id {fid!r})"
        parts.append(feature)
    return ": ".join(parts)
