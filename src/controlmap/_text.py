r"""Text from data made safe to show: control characters written as visible escapes.

A name in a data file may hold any character. Shown raw, some act instead of
showing: ESC sequences retitle or clear a terminal, U+202E reverses what follows,
``\x00``-``\x1f`` make an SVG file ill-formed XML. :func:`printable` writes each of
them the way Python writes it in a string literal (``\x1b``, ``\u202e``), so a
reader sees that the character is there and nothing acts on it.
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "printable"]

#: Characters that act rather than show: C0 and C1 controls and DEL (``Cc``), lone
#: surrogates (``Cs``: not encodable, not XML), the line and paragraph separators,
#: the bidirectional controls, and the non-characters U+FFFE/U+FFFF (not XML).
CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep: str = "") -> str:
    r"""``text`` with every character of :data:`CONTROL` written as an escape.

    Parameters
    ----------
    text : str
    keep : str
        Control characters to leave as they are (e.g. ``"\n"`` where a line break is
        wanted).

    Examples
    --------
    >>> printable("Group \x1b]0;owned\x07 A\u202eB")
    'Group \\x1b]0;owned\\x07 A\\u202eB'
    >>> printable("two\nlines", keep="\n")
    'two\nlines'
    >>> printable("Brigade {#3}, price {{ unknown }}")
    'Brigade {#3}, price {{ unknown }}'
    """
    if keep:
        return CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return CONTROL.sub(_escape, text)
