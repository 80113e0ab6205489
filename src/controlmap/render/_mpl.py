"""What every matplotlib figure of controlmap shares, without importing matplotlib early."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from .._text import printable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plain_text"]

P = ParamSpec("P")
F = TypeVar("F", bound="Figure")


def plain_text(build: Callable[P, F]) -> Callable[P, F]:
    r"""Build a figure whose texts from data are shown as text and nothing else.

    Mathtext is off, so names such as "US$ 5" stay text; control characters in any
    text of the finished figure are written as escapes (``\x01``, see
    :func:`controlmap._text.printable`; line breaks kept), so they neither go
    missing from the font nor make an SVG file ill-formed XML.

    matplotlib is imported when the figure is built, not when a module using this
    decorator is imported (the interactive maps need no matplotlib).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> @plain_text
    ... def titled(text: str) -> Figure:
    ...     fig = Figure()
    ...     fig.suptitle(text)
    ...     return fig
    >>> titled("$5 and $6")._suptitle.get_text()
    '$5 and $6'
    >>> titled("A\x1b[2JB")._suptitle.get_text()
    'A\\x1b[2JB'
    """

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> F:
        import matplotlib
        from matplotlib.text import Text

        with matplotlib.rc_context({"text.parse_math": False}):
            fig = build(*args, **kwargs)
        for text in fig.findobj(Text):
            shown = text.get_text()
            safe = printable(shown, keep="\n")
            if safe != shown:
                text.set_text(safe)
        return fig

    return wrapper
