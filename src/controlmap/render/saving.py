"""One writer for every map and figure: ``save(obj, path)`` by the file's extension.

A map (a folium page) is written as ``.html``; a matplotlib figure as ``.png``,
``.svg`` (text kept as text) or ``.pdf``. Every file is replaced in one step (see
:func:`controlmap.io.atomic_output`): a failed write leaves the old file whole.
Nothing here imports matplotlib or folium until a file of theirs is written.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._atomic import atomic_output
from ..errors import OutputError

__all__ = ["MAX_DPI", "MAX_PIXELS", "MIN_DPI", "save"]

MIN_DPI = 150
MAX_DPI = 1200  # beyond a print shop's needs
MAX_PIXELS = 100_000_000  # a PNG's pixels: 400 MB of memory while drawing
PAGE_SUFFIXES = (".html", ".htm")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def save(obj: Any, path: str | os.PathLike[str], *, dpi: int = 200) -> Path:
    """Write a map as ``.html`` or a figure as ``.png``, ``.svg`` or ``.pdf``.

    A controlmap page is written as it is rendered: its periods are turned into page
    features a thousand at a time and go to disk at once, so a page of 100,000 periods
    is never held whole in memory. Whatever is written, an existing file is replaced
    only by a complete one.

    Parameters
    ----------
    obj : folium.Map or matplotlib.figure.Figure
        What :func:`~controlmap.render.timeline_map` and the other map functions, or
        :func:`~controlmap.render.small_multiples` and the other figures, return.
    path : path-like
        The file; its extension says the format.
    dpi : int
        Resolution of a PNG (150 to 1200; at most 100 million pixels).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputError
        The extension does not fit what is written (a map is a web page, a figure
        is an image), or the PNG would be too small or too large.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> from controlmap.render import area_chart, save, snapshot_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save(snapshot_map(tl, "2016-01-01"), folder / "m.html").stat().st_size > 0
    True
    >>> save(area_chart(tl), folder / "area.svg").suffix
    '.svg'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if hasattr(obj, "get_root"):  # a folium / branca element: a web page
        if suffix not in PAGE_SUFFIXES:
            raise OutputError(f"{target}: a map is a web page; name the file .html")
        return _write_page(obj, target)
    if hasattr(obj, "savefig"):  # a matplotlib figure
        return _write_figure(obj, target, dpi=dpi)
    raise OutputError(
        f"{target}: cannot save a {type(obj).__name__}; give a map (folium) or a figure "
        "(matplotlib)"
    )


def _write_page(fmap: Any, target: Path) -> Path:
    root = fmap.get_root()
    # controlmap's pages stream their data (see render._page.Page); others are one string.
    pieces = root.chunks() if hasattr(root, "chunks") else iter([root.render()])
    with atomic_output(target) as temporary, temporary.open("w", encoding="utf-8") as stream:
        for piece in pieces:
            stream.write(piece)
    return target


def _write_figure(fig: Any, target: Path, *, dpi: int) -> Path:
    import matplotlib

    kind = target.suffix.lower().lstrip(".")
    if f".{kind}" not in FIGURE_SUFFIXES:
        raise OutputError(
            f"{target}: figures are written as .png or .svg (or .pdf), not {kind or '(none)'}"
        )
    if dpi < MIN_DPI:
        raise OutputError(f"{target}: {dpi} dpi is below the {MIN_DPI} dpi print minimum")
    if dpi > MAX_DPI:
        raise OutputError(f"{target}: {dpi} dpi is above the {MAX_DPI} dpi maximum")
    width, height = (round(inches * dpi) for inches in fig.get_size_inches())
    if kind == "png" and width * height > MAX_PIXELS:
        raise OutputError(
            f"{target}: {width} x {height} pixels at {dpi} dpi is more than a PNG's"
            f" {MAX_PIXELS:,} pixels; lower the dpi or draw fewer maps"
        )
    with (
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "controlmap"}),
        atomic_output(target) as temporary,
    ):
        fig.savefig(temporary, format=kind, dpi=dpi, facecolor=fig.get_facecolor())
    return target


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"controlmap.render.{old} is deprecated and will be removed in the next release; use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


def save_map(fmap: Any, path: str | os.PathLike[str]) -> Path:
    """Write a map's page to ``path`` (``.html``). Deprecated: use :func:`save`.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib, warnings
    >>> from controlmap.render import snapshot_map
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "m.html"
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = save_map(snapshot_map(tl, "2016-01-01"), out)
    >>> caught[0].category.__name__
    'DeprecationWarning'
    """
    _deprecated("save_map", "controlmap.render.save(map, path)")
    target = Path(path)
    if target.suffix.lower() not in PAGE_SUFFIXES:
        raise OutputError(f"{target}: a map is a web page; name the file .html")
    return _write_page(fmap, target)


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 200) -> Path:
    """Write a figure as PNG, SVG or PDF. Deprecated: use :func:`save`."""
    _deprecated("save_figure", "controlmap.render.save(figure, path)")
    return _write_figure(fig, Path(path), dpi=dpi)


def save_fighters_map(
    path: str | os.PathLike[str],
    data: Any = None,
    *,
    region: str | Sequence[float] | None = None,
    arcs: bool = False,
    date: Any = None,
    territory: Any = None,
    self_contained: bool = True,
    dpi: int = 200,
) -> Path:
    """Draw and write the fighters map (``.html``) or figure (``.png``, ``.svg``, ``.pdf``).

    Deprecated: use ``save(fighters_map(...), path)`` or
    ``save(fighters_figure(...), path)``.
    """
    _deprecated(
        "save_fighters_map", "save(fighters_map(...), path) or save(fighters_figure(...), path)"
    )
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in PAGE_SUFFIXES:
        from .maps.fighters import fighters_map

        fmap = fighters_map(
            data,
            arcs=arcs,
            date=date,
            territory=territory,
            region=region,
            self_contained=self_contained,
        )
        return _write_page(fmap, target)
    if suffix in FIGURE_SUFFIXES:
        from .figures.fighters import fighters_figure

        figure = fighters_figure(
            data, region=region or "world", arcs=arcs, date=date, territory=territory
        )
        return _write_figure(figure, target, dpi=dpi)
    raise OutputError(f"{target}: write the map as .html, .png, .svg or .pdf")
