"""What every matplotlib figure of controlmap shares, without importing matplotlib early."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plain_text"]

P = ParamSpec("P")
F = TypeVar("F", bound="Figure")


def plain_text(build: Callable[P, F]) -> Callable[P, F]:
    """Build a figure with mathtext off, so names from data such as "US$ 5" stay text.

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
    """

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> F:
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return build(*args, **kwargs)

    return wrapper
