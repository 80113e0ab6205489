"""What every matplotlib figure of controlmap shares, without importing matplotlib early."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from .._text import printable
from ..errors import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["drawable", "drawable_texts", "installed_fonts", "plain_text"]

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
        drawable_texts(fig)
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


# ------------------------------------------------------------------------ other scripts
#: Font files of scripts DejaVu Sans lacks (Arabic, Devanagari, CJK...), as Debian's
#: fonts-noto-core and fonts-droid-fallback (or fonts-noto-cjk, fonts-wqy-*) install
#: them: the regular weight of each family.
SCRIPT_FONT_FILES = re.compile(
    r"^(Noto(Sans|Serif|Kufi|Naskh)[A-Za-z0-9]*-Regular|NotoSansCJK[A-Za-z]*-Regular"
    r"|DroidSansFallback(Full)?|wqy-[a-z]+)\.(ttf|otf|ttc)$"
)


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


@functools.cache
def script_fonts() -> tuple[tuple[str, str], ...]:
    """(family, file) of the fonts on this machine for scripts DejaVu Sans lacks.

    Each is registered with matplotlib (its font cache may predate the font's
    installation). Noto's script families come first, then the CJK ones (whose
    Latin and Cyrillic would otherwise win over Noto's).
    """
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    found = []
    for path in font_manager.findSystemFonts():
        if SCRIPT_FONT_FILES.match(os.path.basename(path)):
            found.append(path)
    known = {f.fname for f in font_manager.fontManager.ttflist}
    fonts = []
    for path in sorted(found, key=lambda p: ("CJK" in p or "Noto" not in p, os.path.basename(p))):
        try:
            family = FT2Font(path).family_name
            if path not in known:
                font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        fonts.append((family, path))
    return tuple(fonts)


def _family_files(families: Sequence[str]) -> list[str]:
    from matplotlib import font_manager

    files: list[str] = []
    for family in families:
        try:
            files.append(
                str(
                    font_manager.findfont(
                        font_manager.FontProperties(family=[family]), fallback_to_default=False
                    )
                )
            )
        except ValueError:
            continue
    return files


def drawable(text: str, families: Sequence[str]) -> tuple[str, list[str]]:
    """``text`` as the fonts of this machine can draw it, and the families to draw it with.

    Characters none of ``families`` has are looked for in the script fonts
    installed (:func:`script_fonts`), whose families are added after
    ``families`` (matplotlib then takes each glyph from the first font that has
    it); characters no font here has are transliterated to Latin letters (with
    ``anyascii`` when installed, else written as ``U+XXXX``), so a name is never
    drawn as empty boxes and matplotlib never warns of a missing glyph.

    Examples
    --------
    >>> drawable("Kurdistan", ["DejaVu Sans"])
    ('Kurdistan', ['DejaVu Sans'])
    """
    wanted = {ord(c) for c in text if not c.isspace() and ord(c) >= 32}
    if not wanted:
        return text, list(families)
    have: set[int] = set()
    for path in _family_files(families):
        have |= _charmap(path)
    missing = wanted - have
    chain = list(families)
    if missing:
        for family, path in script_fonts():
            helps = missing & _charmap(path)
            if helps:
                chain.append(family)
                missing -= helps
                if not missing:
                    break
    if not missing:
        return text, chain
    return "".join(_latin(c) if ord(c) in missing else c for c in text), chain


def _latin(char: str) -> str:
    try:
        from anyascii import anyascii
    except ImportError:  # pragma: no cover - anyascii comes with the render extra
        return f"U+{ord(char):04X}"
    return anyascii(char) or f"U+{ord(char):04X}"


def drawable_texts(fig: Any) -> None:
    """Make every text of ``fig`` drawable with the fonts here (see :func:`drawable`)."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        shown = text.get_text()
        if not shown or (shown.isascii() and printable(shown, keep="\n") == shown):
            continue  # plain ASCII text every font has (ASCII control characters do not)
        # Control characters and non-characters as escapes first (plain_text's rule),
        # so a figure measured while it is built shows what it will show when saved.
        safe, chain = drawable(printable(shown, keep="\n"), text.get_fontfamily())
        if safe != shown:
            text.set_text(safe)
        if chain != list(text.get_fontfamily()):
            text.set_fontfamily(chain)


def headline(fig: Any, title: str, credit: str | None) -> None:
    """A chart's bold title at its top left and its credit line (``gid="credit"``) below.

    :func:`fit_chart` wraps both to the figure's width.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> headline(fig, "Area held", "Data: controlmap")
    >>> [t.get_text() for t in fig.texts]
    ['Area held', 'Data: controlmap']
    """
    fig.suptitle(title, x=CHART_LEFT, y=0.965, ha="left", fontsize=12, fontweight="bold")
    if credit:
        fig.text(CHART_LEFT, 0.02, credit, fontsize=6.5, color="#555555", gid="credit")


#: A chart's default width and height in inches: a column of an article on a desktop.
CHART_SIZE = (9.0, 4.8)
#: The smallest and largest side of a chart, in inches (2 in: a phone's column at 160 dpi).
CHART_INCHES = (2.0, 40.0)


def chart_size(size: Sequence[float], who: str) -> tuple[float, float]:
    """``size`` as (width, height) inches, refused outside :data:`CHART_INCHES`.

    Examples
    --------
    >>> chart_size((4, 5), "area_chart")
    (4.0, 5.0)
    >>> chart_size((0.5, 5), "area_chart")
    Traceback (most recent call last):
    ...
    controlmap.errors.DataError: area_chart: width and height must each be 2 to 40 inches, ...
    """
    low, high = CHART_INCHES
    try:
        width, height = (float(side) for side in size)
        ok = low <= width <= high and low <= height <= high
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(
            f"{who}: width and height must each be {low:g} to {high:g} inches, not {tuple(size)!r}"
        )
    return width, height


#: Where a chart's axes, title and credit start, as a share of the figure's width.
CHART_LEFT = 0.11
#: Pixels a chart keeps clear at the figure's edges and between its title and plot.
EDGE_PAD = 6.0


def fit_chart(fig: Any, ax: Any, legend_in: Callable[[int], Any], columns: Sequence[int]) -> Any:
    """Lay a chart out on its figure, whatever the figure's size; return its legend.

    The title and credit are wrapped to the width; wide tick labels push the axes
    right and a tall title pushes their top down; the legend (made by
    ``legend_in(ncol)``, hanging under the axes) takes the first of ``columns``
    that fits the width; a tall legend and credit push the axes up, and the
    figure grows when the axes would keep less than half its height. Texts are
    measured as they will be drawn (escapes, script fonts).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from matplotlib.backends.backend_agg import FigureCanvasAgg
    >>> fig = Figure(figsize=(3, 3)); _ = FigureCanvasAgg(fig)
    >>> ax = fig.add_axes((CHART_LEFT, 0.3, 0.86, 0.6))
    >>> _ = ax.plot([0, 1], [0, 1], label="a line with a long name")
    >>> headline(fig, "A title too long for a figure three inches wide", None)
    >>> legend = fit_chart(fig, ax, lambda n: ax.legend(ncol=n, loc="upper left",
    ...                    bbox_to_anchor=(0, -0.1)), (2, 1))
    >>> fig._suptitle.get_text().count(chr(10)) >= 1
    True
    """
    drawable_texts(fig)
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    headlines = [t for t in fig.texts if t.get_gid() == "credit"]
    headlines += [t for t in [getattr(fig, "_suptitle", None)] if t is not None]
    for text in headlines:
        _wrap(text, page.width * (1 - CHART_LEFT) - EDGE_PAD, renderer)
    x0, y0, width, height = ax.get_position().bounds
    left_px = ax.get_tightbbox(renderer).x0
    if left_px < EDGE_PAD:
        shift = (EDGE_PAD - left_px) / page.width
        x0, width = x0 + shift, width - shift
    title = getattr(fig, "_suptitle", None)
    if title is not None:
        over = ax.get_tightbbox(renderer).y1 - (title.get_window_extent(renderer).y0 - EDGE_PAD)
        if over > 0:
            height -= over / page.height
    ax.set_position((x0, y0, width, height))
    legend = None
    for ncol in columns:
        if legend is not None:
            legend.remove()
        legend = legend_in(ncol)
        drawable_texts(legend)
        if legend.get_window_extent(renderer).x1 <= page.x1 - EDGE_PAD:
            break
    if legend is None:
        raise ValueError("fit_chart: no legend columns to try")
    _room_below(fig, ax, legend, renderer)
    return legend


def _wrap(text: Any, width: float, renderer: Any) -> None:
    """Break ``text`` between words into lines no wider than ``width`` pixels, evenly.

    As few lines as the width allows, of about equal length (no lone last word).
    Measured at the figure's dpi: text hinted at 100 dpi is a little wider than at
    the 150-1200 dpi figures are saved at, so what fits here fits there.
    """
    if text.get_window_extent(renderer).width <= width:
        return
    # The text's own line breaks are kept: each of its lines is wrapped alone.
    text.set_text(
        "\n".join(_wrapped(text, part, width, renderer) for part in text.get_text().split("\n"))
    )


def _wrapped(text: Any, paragraph: str, width: float, renderer: Any) -> str:
    """One line of ``text``'s, broken as :func:`_wrap` says (``text`` measures it)."""
    text.set_text(paragraph)
    whole = text.get_window_extent(renderer).width
    if whole <= width:
        return paragraph
    words = paragraph.split(" ")

    def lines_within(limit: float) -> list[str]:
        lines, line = [], ""
        for word in words:
            trial = f"{line} {word}" if line else word
            text.set_text(trial)
            if line and text.get_window_extent(renderer).width > limit:
                lines.append(line)
                line = word
            else:
                line = trial
        return [*lines, line]

    fewest = len(lines_within(width))
    even = lines_within(min(width, whole / fewest * 1.08))
    return "\n".join(even if len(even) == fewest else lines_within(width))


def _room_below(fig: Any, ax: Any, legend: Any, renderer: Any) -> None:
    """Raise the axes (or grow the figure) so the legend clears the credit line."""
    x0, y0, width, height = ax.get_position().bounds
    below = legend.get_window_extent(renderer).y0
    credit = max(
        (t.get_window_extent(renderer).y1 for t in fig.texts if t.get_gid() == "credit"),
        default=0.0,
    )
    need = max(credit, 0.0) + EDGE_PAD - below
    if need <= 0:
        return
    grow = need / fig.bbox.height
    if height - grow >= 0.5:
        ax.set_position((x0, y0 + grow, width, height - grow))
        return
    # A taller figure, not a flat chart: everything keeps its place in inches.
    inches = fig.get_size_inches()
    extra = need / fig.dpi
    scale = inches[1] / (inches[1] + extra)
    fig.set_size_inches(inches[0], inches[1] + extra)
    for text in fig.texts:
        if text.get_gid() == "credit":
            x, y = text.get_position()
            text.set_position((x, y * scale))
    title = getattr(fig, "_suptitle", None)
    if title is not None:
        title.set_y(1 - (1 - title.get_position()[1]) * scale)
    ax.set_position((x0, y0 * scale + extra / (inches[1] + extra), width, height * scale))
