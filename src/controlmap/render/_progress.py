"""A progress bar on stderr when it is a terminal, silence otherwise."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from .._extras import missing_extra

T = TypeVar("T")

__all__ = ["progress_bar"]


def progress_bar(
    items: Sequence[T], *, enabled: bool | None = None, description: str = ""
) -> Iterable[T]:
    """Iterate ``items``, drawing a tqdm bar on stderr when ``enabled``.

    ``enabled=None`` means: only when stderr is a terminal, so logs and pipes stay clean,
    and only when tqdm (the render extra) is installed; ``enabled=True`` without tqdm
    raises :class:`~controlmap.MissingExtraError`.

    Examples
    --------
    >>> list(progress_bar([1, 2], enabled=False))
    [1, 2]
    """
    asked = enabled is True
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ModuleNotFoundError:
        if asked:
            raise missing_extra("a progress bar", "tqdm") from None
        return items  # a bar only because stderr is a terminal: the core does without

    # A pseudo-terminal may report a 0 x 0 size (tqdm then draws nothing): shutil
    # falls back to $COLUMNS/$LINES, then to 80 x 24.
    size = shutil.get_terminal_size(fallback=(80, 24))
    bar: Any = tqdm(
        items,
        desc=description,
        file=sys.stderr,
        leave=False,
        unit="step",
        ncols=min(size.columns or 80, 100),
        nrows=size.lines or 24,
    )
    return bar
