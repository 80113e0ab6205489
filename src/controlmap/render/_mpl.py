"""What every matplotlib figure of controlmap shares, without importing matplotlib early."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from .._text import printable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["installed_fonts", "plain_text"]

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

        rc: dict[Any, Any] = {"text.parse_math": False}
        style = kwargs.get("style")
        if style is not None:  # the house font for every text of the figure
            rc["font.family"] = installed_fonts(style)
        with matplotlib.rc_context(rc):
            fig = build(*args, **kwargs)
        for text in fig.findobj(Text):
            shown = text.get_text()
            safe = printable(shown, keep="\n")
            if safe != shown:
                text.set_text(safe)
        return fig

    return wrapper


def installed_fonts(style: Any) -> list[str]:
    """The fonts of a :class:`~controlmap.render.Style` that matplotlib has, in order.

    Missing families are left out (matplotlib would log a warning for each);
    DejaVu Sans, which matplotlib ships, is the last resort.
    """
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    generic = {"sans-serif", "serif", "monospace", "cursive", "fantasy"}
    return [f for f in style.mpl_fonts if f in have or f in generic] or ["DejaVu Sans"]
