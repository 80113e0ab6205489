"""What every matplotlib figure of controlmap shares, without importing matplotlib early."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from .._text import printable

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

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> headline(fig, "Area held", "Data: controlmap")
    >>> [t.get_text() for t in fig.texts]
    ['Area held', 'Data: controlmap']
    """
    fig.suptitle(title, x=0.11, y=0.965, ha="left", fontsize=12, fontweight="bold")
    if credit:
        fig.text(0.11, 0.02, credit, fontsize=6.5, color="#555555", wrap=True, gid="credit")
