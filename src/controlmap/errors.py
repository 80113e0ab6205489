"""Exceptions and warnings raised by controlmap.

Every error derives from :class:`ControlMapError`, every warning from
:class:`ControlMapWarning`, so callers can catch (or filter) one class.
Messages name the file, the feature (index or id) and the problem on one line, e.g.
``periods.geojson: feature 3 (id 'raqqa-1'): end 2014-01-01 is before start 2015-01-01``.
A hint names a keyword as Python spells it, ``actor='<field>'``, ``layer=`` or
``min_change_km2=0.5``: the CLI shows each as the flag of the command that was run
(``--actor-field FIELD``, ``--layer NAME``, ``--min-change-km2 0.5``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

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
    "UnknownDatasetError",
]

MESSAGE_LIMIT = 400  # characters of an error message: a line a person can read
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ControlMapError(Exception):
    r"""Base class of every error controlmap raises on purpose.

    Its text is one line of at most :data:`MESSAGE_LIMIT` characters, whatever the
    data quoted in it: control characters are escaped and the middle of a long
    message is left out (saying how much).

    Examples
    --------
    >>> len(str(ControlMapError("x" * 10_000))) <= MESSAGE_LIMIT
    True
    >>> str(ControlMapError("a\nb"))
    'a\\nb'
    """

    def __str__(self) -> str:
        return bounded(super().__str__())


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    r"""``text`` on one line (control characters escaped), its middle elided past ``limit``.

    Examples
    --------
    >>> bounded("a\tb")
    'a\\tb'
    >>> bounded("0123456789" * 10, limit=60)
    '0123456789012345 [... 75 characters left out ...] 123456789'
    """
    text = _CONTROL.sub(_escape, text)
    if len(text) <= limit:
        return text
    # The marker's own length depends on the count it shows: size it for the worst case.
    keep = limit - len(f" [... {len(text)} characters left out ...] ")
    head = keep * 2 // 3
    tail = keep - head
    marker = f" [... {len(text) - keep} characters left out ...] "
    return f"{text[:head]}{marker}{text[len(text) - tail :]}"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def some(items: Iterable[Any], count: int = 6, show: Callable[[Any], str] = repr) -> str:
    """The first ``count`` items, each shortened, and how many were left out.

    Examples
    --------
    >>> some(["a", "b", "c"], count=2)
    "'a', 'b' and 1 more"
    """
    items = list(items)
    shown = ", ".join(bounded(show(item), 60) for item in items[:count])
    more = len(items) - count
    return f"{shown} and {more} more" if more > 0 else shown


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
        return bounded(str(self.args[0])) if self.args else ""


class MissingExtraError(ControlMapError, ImportError):
    """What was asked needs an optional extra that is not installed (maps need ``render``).

    The message says what needs it, the module missing and the ``pip install`` line; the
    CLI prints the same with the command's name. It is an :class:`ImportError` too.

    Examples
    --------
    >>> error = MissingExtraError("controlmap.render.timeline_map", "render", "folium")
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    controlmap.render.timeline_map needs the render extra (folium is not installed):
    pip install 'controlmap[render]'
    >>> error.extra, error.name
    ('render', 'folium')
    """

    def __init__(self, what: str, extra: str, module: str) -> None:
        super().__init__(
            f"{what} needs the {extra} extra ({module} is not installed):"
            f" pip install 'controlmap[{extra}]'"
        )
        self.what, self.extra, self.name = what, extra, module


class OutputError(ControlMapError, OSError):
    """An output file cannot be written (unknown extension, unwritable folder...)."""


class ControlMapWarning(UserWarning):
    """Base class of every warning controlmap emits.

    Filter it to silence controlmap without hiding other libraries' warnings.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ControlMapWarning)
    ...     warnings.warn("hidden", GeometryWarning)
    """


class GeometryWarning(ControlMapWarning):
    """Polygons are invalid; computations use repaired copies (``controlmap repair``)."""


class LayerWarning(ControlMapWarning):
    """A file holds several layers and the first was read (pass ``layer=``)."""


class OutputWarning(ControlMapWarning):
    """A writer changed something on the way out (a column written as text, a GDAL notice)."""


class StyleWarning(ControlMapWarning):
    """A map or figure cannot show everything distinctly (colours repeat)."""


class ControlMapDeprecationWarning(ControlMapWarning, DeprecationWarning):
    """A name that still works for one release; the message says what replaces it.

    Shown by default (it is a :class:`UserWarning`) and caught as a DeprecationWarning.
    """


def one_line(exc: BaseException, limit: int = 300) -> str:
    r"""An exception's message on one line, shortened: for wrapping a library's error.

    Examples
    --------
    >>> one_line(ValueError("bad\n   thing"))
    'bad thing'
    >>> one_line(KeyError())
    'KeyError'
    """
    return bounded(" ".join(str(exc).split()), limit) or type(exc).__name__


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
