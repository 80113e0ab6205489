"""Colours, fonts and wording shared by the web pages, the figures and the animations.

One place for the look, so a snapshot in the browser, the PNG in print and the
frames of an animation agree. A newsroom overrides it with one :class:`Style`
(house font, colours, credit line, date format) passed as ``style=`` to any map,
figure or animation.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._text import printable
from ..errors import StyleWarning

if TYPE_CHECKING:
    import pandas as pd

    from ..model import Timeline

__all__ = [
    "ACTOR_COLOURS",
    "BASE",
    "CHANGE_COLOURS",
    "DEFAULT_STYLE",
    "FONT_FAMILY",
    "STATUS_STYLES",
    "StatusStyle",
    "Style",
    "actor_colours",
    "attrs_of",
    "change_label",
    "changes_title",
    "credit_line",
    "day_text",
    "display_name",
    "legend_actors",
    "others_label",
    "short_name",
    "status_styles",
]

#: Colours of the actors. The first (the timeline's main actor) is the dark red
#: newspapers use for the Islamic State; the next seven are colour-blind-safe hues
#: that stay apart from it and from the grey base map. The further sixteen were
#: picked one at a time as the candidate farthest (CIEDE2000, see
#: :mod:`controlmap.render._colour`) from all chosen before, leaving out colours too
#: light to see on the land or near the base map and the gained/lost colours: any
#: two of the 24 differ by ΔE00 13 or more.
ACTOR_COLOURS: tuple[str, ...] = (
    "#b2182b",
    "#2166ac",
    "#1b7837",
    "#762a83",
    "#e08214",
    "#35978f",
    "#8c510a",
    "#c51b7d",
    "#cab2d6",
    "#bcbd22",
    "#4daf4a",
    "#ff9da7",
    "#9467bd",
    "#0f4c5c",
    "#e377c2",
    "#e15759",
    "#9c755f",
    "#e6ab02",
    "#6d597a",
    "#83c5be",
    "#c2b280",
    "#e25822",
    "#3a5a40",
    "#a6761d",
)

#: Actors whose ground touches or overlaps (at any time: the USSR on the Russian
#: Empire's ground) get colours at least this far apart (ΔE00) where the palette allows.
NEIGHBOUR_CONTRAST = 20.0

#: How many actors a legend lists by default: the largest on the date shown; the
#: rest are summed up in one "N others" row.
LEGEND_ACTORS = 10

#: Gained and lost ground in a changes map ("kept" ground is drawn in the actor's
#: own colour). Gains are a bright cyan that no actor colour comes near, so a
#: gain never reads as ground the main (red) actor already held; losses are the
#: light salmon of "taken back".
CHANGE_COLOURS: dict[str, str] = {"gained": "#00c5ee", "lost": "#f4a582"}

#: English month abbreviations: dates in titles and legends must not depend on
#: the reader's locale (``%b``) or on glibc (``%-d``).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: The base map: sea/background, land of the focus countries and of neighbours,
#: borders, province lines, place markers and labels.
BASE: dict[str, str] = {
    "background": "#d5e3ec",
    "land": "#f7f5f0",
    "neighbour": "#e6e3dc",
    "border": "#7a7a7a",
    "province": "#c4c0b8",
    "place": "#222222",
    "label": "#111111",
    "halo": "#ffffff",
}

FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class StatusStyle:
    """How ground of one status is drawn, the same on a web map and in a figure.

    ``fill`` is the kind of fill: ``"solid"`` (the actor's colour), ``"light"`` (the
    colour, faint), or a pattern over a faint fill: ``"hatch"`` (diagonal lines),
    ``"backhatch"``, ``"cross"`` or ``"dots"``. ``opacity`` is the fill's opacity
    relative to solid ground and ``dash`` the outline's dash pattern (None: solid).
    """

    fill: str
    opacity: float
    dash: str | None = None

    @property
    def mpl_hatch(self) -> str | None:
        """The matplotlib hatch string of the pattern (None for plain fills)."""
        return {"hatch": "////", "backhatch": "\\\\\\\\", "cross": "xxx", "dots": "..."}.get(
            self.fill
        )


#: Styles of the statuses controlmap knows: governed ground solid, ground fought
#: over hatched (it is neither held nor lost), ground where an actor moves freely
#: without governing a light fill with a dotted edge.
STATUS_STYLES: dict[str, StatusStyle] = {
    "control": StatusStyle("solid", 1.0),
    "contested": StatusStyle("hatch", 0.3, "4 3"),
    "support": StatusStyle("light", 0.3, "1 3"),
}

#: Styles for statuses of a user's own wording, in order of appearance: patterns
#: none of the known statuses use, so an unknown status never reads as one of them.
OTHER_STATUS_STYLES: tuple[StatusStyle, ...] = (
    StatusStyle("cross", 0.3, "6 2"),
    StatusStyle("dots", 0.3, "6 2"),
    StatusStyle("backhatch", 0.3, "6 2"),
)


def status_styles(statuses: Iterable[str]) -> dict[str, StatusStyle]:
    """A style for each status: the known ones as :data:`STATUS_STYLES`, others in turn.

    Examples
    --------
    >>> styles = status_styles(["control", "besieged"])
    >>> styles["control"].fill, styles["besieged"].fill
    ('solid', 'cross')
    """
    styles: dict[str, StatusStyle] = {}
    others = 0
    for status in statuses:
        key = str(status)
        if key in styles:
            continue
        if key in STATUS_STYLES:
            styles[key] = STATUS_STYLES[key]
        else:
            styles[key] = OTHER_STATUS_STYLES[others % len(OTHER_STATUS_STYLES)]
            others += 1
    return styles


def status_order(statuses: Iterable[str]) -> list[str]:
    """Statuses in drawing and legend order: the known ones first, then as they come.

    Examples
    --------
    >>> status_order(["support", "besieged", "control"])
    ['control', 'support', 'besieged']
    """
    seen = list(dict.fromkeys(str(s) for s in statuses))
    known = [s for s in STATUS_STYLES if s in seen]
    return known + [s for s in seen if s not in STATUS_STYLES]


def attrs_of(timeline: Any) -> dict[str, Any]:
    """The metadata a timeline carries (``Timeline.attrs``); empty when it has none.

    Render code reads what it knows of a data set (title, credit, base map, dates)
    from here and never from the data set's name, so a user's own timeline gets
    no fact of a bundled one.

    Examples
    --------
    >>> attrs_of(object())
    {}
    """
    attrs = getattr(timeline, "attrs", None)
    return attrs if isinstance(attrs, dict) else {}


def held_area(timeline: Any, dates: Any) -> pd.DataFrame:
    """km² per actor on ``dates``, of the statuses that count as held.

    A data set may say which statuses its published figures count as held
    (``attrs["published_statuses"]``: the bundled timeline counts ``control`` and
    ``contested``, not the desert it roamed): totals shown as "held" use those, so
    a map's headline agrees with the figures it is compared with. Otherwise every
    status counts.

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> held = held_area(tl, ["2015-01-01"]).iloc[0, 0]
    >>> everything = tl.area(["2015-01-01"]).iloc[0, 0]
    >>> bool(held < everything)
    True
    """
    known = set(timeline._table["status"].astype(str))
    counted = [s for s in attrs_of(timeline).get("published_statuses", []) if s in known]
    return timeline.area(dates, status=counted) if counted else timeline.area(dates)


def actor_colours(
    actors: Timeline | Sequence[str], palette: Sequence[str] = ACTOR_COLOURS
) -> dict[str, str]:
    """A colour for each actor, the same in every map and figure of a timeline.

    Up to ``len(palette)`` actors take the palette's colours in order of
    appearance. A timeline of more actors is coloured as a cartographer colours
    a political map: actors by descending peak area (``Timeline.area`` on its
    change dates), the largest ``len(palette)`` each a colour of their own, in
    the palette's order where neighbours allow; every other actor the least used
    colour that differs by :data:`NEIGHBOUR_CONTRAST` from every actor whose
    ground touches or overlaps its own at any time (else the farthest one). The
    result depends on the timeline only, so a page, a figure and an animation
    of it agree.

    A plain list of actor names has no areas or neighbours: its colours follow
    the order and repeat (with a warning) beyond the palette.

    Examples
    --------
    >>> actor_colours(["Islamic State", "Kurdish forces"])["Islamic State"]
    '#b2182b'
    """
    palette = tuple(dict.fromkeys(palette))
    given: Any = actors  # a Timeline (read through its attributes) or a list of names
    names = list(given.actors) if hasattr(given, "_table") else [str(a) for a in given]
    if len(names) <= len(palette):
        return {a: palette[i] for i, a in enumerate(names)}
    if not hasattr(actors, "_table"):
        warnings.warn(
            f"{len(names)} actors but {len(palette)} distinct colours: "
            f"actors after the {len(palette)}th repeat colours",
            StyleWarning,
            stacklevel=2,
        )
        return {a: palette[i % len(palette)] for i, a in enumerate(names)}
    return _map_colours(actors, names, palette)


#: Colours already worked out per timeline (a Timeline never changes: its periods
#: are handed out as copies), so a report's pages and figures pay for them once.
_COLOURED: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _map_colours(timeline: Any, names: list[str], palette: tuple[str, ...]) -> dict[str, str]:
    try:
        known = _COLOURED.setdefault(timeline, {})
    except TypeError:  # not weakly referable: work it out each time
        known = {}
    if palette not in known:
        known[palette] = _work_out_colours(timeline, names, palette)
    return dict(known[palette])


def _work_out_colours(timeline: Any, names: list[str], palette: tuple[str, ...]) -> dict[str, str]:
    import pandas as pd
    import shapely

    from ._colour import delta_e_matrix

    periods = timeline._table
    index = {a: k for k, a in enumerate(names)}
    owner = np.array([index[str(a)] for a in periods["actor"]])
    # The peak area of an actor, as the largest of its periods: an atlas has one
    # period per actor and snapshot, and this needs no union.
    largest = pd.Series(np.asarray(timeline.period_area_km2, dtype=float)).groupby(owner).max()
    sizes = [float(largest.get(k, 0.0)) for k in range(len(names))]
    order = sorted(range(len(names)), key=lambda k: (-sizes[k], k))
    # Who touches whom, at any time: outlines simplified (topology kept, so no
    # small state vanishes) to keep the test cheap on detailed borders.
    geoms = shapely.simplify(timeline._given.take(), 0.05, preserve_topology=True)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    neighbours: list[set[int]] = [set() for _ in names]
    for i, j in zip(owner[left], owner[right], strict=True):
        if i != j:
            neighbours[int(i)].add(int(j))
            neighbours[int(j)].add(int(i))
    distance = delta_e_matrix(list(palette))
    chosen: dict[int, int] = {}
    used = np.zeros(len(palette), dtype=int)
    for rank, k in enumerate(order):
        near = [chosen[j] for j in neighbours[k] if j in chosen]
        if rank < len(palette):
            # The largest actors: each its own colour (they share legends and the
            # area chart), in palette order unless that one is close to a neighbour.
            free = [c for c in range(len(palette)) if not used[c]]
        else:
            free = sorted(range(len(palette)), key=lambda c: (int(used[c]), c))
        far = [c for c in free if not near or distance[c, near].min() >= NEIGHBOUR_CONTRAST]
        if far:
            pick = far[0]
        else:
            pick = max(free, key=lambda c: (distance[c, near].min(), -int(used[c]), -c))
        chosen[k] = pick
        used[pick] += 1
    return {names[k]: palette[c] for k, c in chosen.items()}


def legend_actors(areas: pd.Series, limit: int = LEGEND_ACTORS) -> tuple[list[str], int, float]:
    """The actors a legend lists for one date, and what the "others" row sums up.

    Actors holding nothing on the date are left out; the others are listed by
    descending area, at most ``limit`` of them; the rest are counted and summed
    (when only one would remain it is listed instead of an "1 other" row).

    Returns
    -------
    (list of str, int, float)
        Actors to list, largest first; how many others hold ground; their km².

    Examples
    --------
    >>> import pandas as pd
    >>> legend_actors(pd.Series({"A": 5.0, "B": 0.0, "C": 9.0, "D": 1.0, "E": 2.0}), 2)
    (['C', 'A'], 2, 3.0)
    """
    held = areas[areas.astype(float) > 0].astype(float)
    ranked = held.iloc[np.argsort(-held.to_numpy(), kind="stable")] if len(held) else held
    limit = max(int(limit), 1)
    if len(ranked) <= limit + 1:
        return [str(a) for a in ranked.index], 0, 0.0
    rest = ranked.iloc[limit:]
    return [str(a) for a in ranked.index[:limit]], len(rest), float(rest.sum())


#: Figure legends write a long name on lines of at most this many characters, and
#: on two lines at most (the rest cut, with "…"): a legend column is as wide as its
#: longest name, and one long name must not push the legend off the figure.
NAME_LINE = 32


def short_name(name: str, width: int = NAME_LINE, lines: int = 2) -> str:
    """``name`` on at most ``lines`` lines of ``width`` characters, cut with "…".

    Control characters are written as escapes first (:func:`controlmap._text.printable`),
    so the length measured is that of the text shown.

    Examples
    --------
    >>> print(short_name("United Kingdom of Great Britain and Northern Ireland"))
    United Kingdom of Great Britain
    and Northern Ireland
    >>> print(short_name("Union of Soviet Socialist Republics and many more words", 20))
    Union of Soviet
    Socialist Republics…
    """
    import textwrap

    name = printable(str(name), keep="\n")
    if len(name) <= width or "\n" in name:
        return name
    wrapped = textwrap.wrap(name, width=width, break_long_words=True, break_on_hyphens=False)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip(" ,;:-(") + "…"
    return "\n".join(kept)


def others_label(count: int, km2: float | None = None) -> str:
    """The legend row that stands for the actors not listed.

    Examples
    --------
    >>> others_label(390, 1234567.4)
    '390 others (1,234,567 km²)'
    """
    text = f"{count} other" + ("s" if count != 1 else "")
    return text if km2 is None else f"{text} ({km2:,.0f} km²)"


MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

#: The codes a :attr:`Style.date_format` may use; the page's script knows the same.
DATE_CODES = ("%Y", "%m", "%d", "%-d", "%b", "%B", "%%")


def format_day(day: Any, pattern: str = "%-d %b %Y") -> str:
    """``day`` written by ``pattern``, the same on every platform and locale.

    Knows ``%Y`` (2017), ``%m`` (07), ``%d`` (05), ``%-d`` (5), ``%b`` (Jul),
    ``%B`` (July) and ``%%``; other text is kept as it is. strftime is not used:
    ``%b`` follows the reader's locale and ``%-d`` exists only with glibc.

    Examples
    --------
    >>> import pandas as pd
    >>> format_day(pd.Timestamp("2017-07-05"), "%B %-d, %Y")
    'July 5, 2017'
    """
    values = {
        "%Y": f"{day.year:04d}",
        "%m": f"{day.month:02d}",
        "%d": f"{day.day:02d}",
        "%-d": str(day.day),
        "%b": MONTHS[day.month - 1],
        "%B": MONTH_NAMES[day.month - 1],
        "%%": "%",
    }
    out, i = [], 0
    while i < len(pattern):
        code = next((c for c in ("%-d", *DATE_CODES) if pattern.startswith(c, i)), None)
        if code is None:
            out.append(pattern[i])
            i += 1
        else:
            out.append(values[code])
            i += len(code)
    return "".join(out)


def day_text(day: Any, style: Style | None = None) -> str:
    """A date as a reader writes it (the style's date format): "10 Jul 2017".

    Examples
    --------
    >>> import pandas as pd
    >>> day_text(pd.Timestamp("2017-07-10"))
    '10 Jul 2017'
    """
    return format_day(day, (style or DEFAULT_STYLE).date_format)


def change_label(actor: str, change: str, multi: bool) -> str:
    """The legend and tooltip wording of one layer of a changes map.

    Examples
    --------
    >>> change_label("Islamic State", "kept", multi=False)
    'held on both dates'
    >>> change_label("Kurds", "gained", multi=True)
    'Kurds: ground gained'
    """
    text = "held on both dates" if change == "kept" else f"ground {change}"
    return f"{actor}: {text}" if multi else text


def changes_title(first: Any, last: Any, style: Style | None = None) -> str:
    """The subject of a changes map or figure, naming its two dates.

    Examples
    --------
    >>> import pandas as pd
    >>> changes_title(pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
    'ground gained and lost, 1 Jan 2015 to 1 Feb 2018'
    """
    return f"ground gained and lost, {day_text(first, style)} to {day_text(last, style)}"


def credit_line(timeline: Any, credit: str | None = None) -> str | None:
    """The credit printed under a map or figure: ``credit``, else the timeline's own.

    A timeline's credit is ``timeline.attrs["credit"]`` (a bundled data set has one);
    a user's timeline has none unless the user gives it, and then nothing is printed.

    Examples
    --------
    >>> credit_line(object()) is None
    True
    >>> credit_line(object(), "Data: my notes")
    'Data: my notes'
    """
    if credit is not None:
        return str(credit) if str(credit).strip() else None
    given = attrs_of(timeline).get("credit")
    return str(given) if given else None


@dataclass(frozen=True)
class Style:
    """The look of every output: web pages, figures and animations.

    Every field has a default; a newsroom changes the few it needs with
    :meth:`replace` (or the constructor) and passes the style as ``style=``.

    Parameters
    ----------
    title : str, optional
        Title of every output (default: the timeline's ``attrs["title"]``, else its name).
    credit : str, optional
        Credit line (default: the timeline's ``attrs["credit"]``); ``""`` prints none.
    font_family : str
        A CSS font list; figures use the first family matplotlib has, then DejaVu Sans.
    actor_colours : tuple of str
        Colours of the actors in order of appearance.
    base : mapping
        Base-map colours (keys as :data:`BASE`).
    accent : str
        Colour of event text.
    ink, muted : str
        Colours of text and of secondary text (areas, credit).
    date_format : str
        How dates are written (codes of :func:`format_day`), e.g. ``"%B %-d, %Y"``.
    legend_actors : int
        How many actors a legend lists (the largest on the date; the rest are
        one "N others" row; actors holding nothing are left out).

    Examples
    --------
    >>> import pandas as pd
    >>> house = Style(font_family="Georgia, serif", credit="Graphic: The Daily")
    >>> house.replace(date_format="%B %-d, %Y").date(pd.Timestamp("2017-07-10"))
    'July 10, 2017'
    """

    title: str | None = None
    credit: str | None = None
    font_family: str = FONT_FAMILY
    actor_colours: tuple[str, ...] = ACTOR_COLOURS
    base: Mapping[str, str] = field(default_factory=lambda: dict(BASE))
    accent: str = "#8a1020"
    ink: str = "#111111"
    muted: str = "#555555"
    date_format: str = "%-d %b %Y"
    legend_actors: int = LEGEND_ACTORS

    def __post_init__(self) -> None:
        missing = sorted(set(BASE) - set(self.base))
        if missing:
            raise ValueError(f"Style.base lacks colours for {', '.join(missing)}")
        if not self.actor_colours:
            raise ValueError("Style.actor_colours is empty")
        if int(self.legend_actors) < 1:
            raise ValueError("Style.legend_actors must be at least 1")

    def replace(self, **changes: Any) -> Style:
        """A copy with ``changes`` (dataclass fields) applied."""
        return replace(self, **changes)

    def date(self, day: Any) -> str:
        """``day`` written in :attr:`date_format`."""
        return format_day(day, self.date_format)

    def colours(self, actors: Timeline | Sequence[str]) -> dict[str, str]:
        """A colour for each actor of a timeline (or of a list), see :func:`actor_colours`.

        A palette shorter than the actors is extended with controlmap's own
        colours, so many actors never share one colour where they meet.
        """
        given: Any = actors
        count = len(given.actors) if hasattr(given, "_table") else len(given)
        palette = self.actor_colours
        if count > len(palette) and hasattr(actors, "_table"):
            palette = (*palette, *ACTOR_COLOURS)
        return actor_colours(actors, palette)

    def title_of(self, timeline: Any, title: str | None = None) -> str:
        """``title``, else the style's title, else the timeline's own name."""
        if title is not None:
            return title
        return self.title if self.title is not None else display_name(timeline)

    def credit_of(self, timeline: Any, credit: str | None = None) -> str | None:
        """``credit``, else the style's credit, else the timeline's (None: print none)."""
        return credit_line(timeline, credit if credit is not None else self.credit)

    @property
    def mpl_fonts(self) -> list[str]:
        """The font list for matplotlib (generic CSS names mapped, DejaVu Sans last)."""
        generic = {"sans-serif": "sans-serif", "serif": "serif", "monospace": "monospace"}
        names = [f.strip().strip("\"'") for f in self.font_family.split(",") if f.strip()]
        fonts = [generic.get(n, n) for n in names]
        return [*fonts, "DejaVu Sans"] if "DejaVu Sans" not in fonts else fonts

    def page_json(self) -> dict[str, Any]:
        """What a web page's script reads of the style."""
        return {
            "font": self.font_family,
            "accent": self.accent,
            "ink": self.ink,
            "muted": self.muted,
            "date_format": self.date_format,
            "legend_actors": int(self.legend_actors),
        }


#: The look controlmap uses when given no style.
DEFAULT_STYLE = Style()


def style_or_default(style: Style | None) -> Style:
    """``style``, or :data:`DEFAULT_STYLE` when None."""
    return DEFAULT_STYLE if style is None else style


def display_name(timeline: Timeline) -> str:
    """A reader's name for a timeline: its ``attrs["title"]``, else its name or file.

    Examples
    --------
    >>> import controlmap, geopandas, shapely
    >>> periods = geopandas.GeoDataFrame(
    ...     {"actor": ["A"], "start": ["2020-01-01"]}, geometry=[shapely.box(30, 50, 31, 51)]
    ... )
    >>> display_name(controlmap.Timeline(periods, name="my front"))
    'my front'
    """
    title = attrs_of(timeline).get("title")
    if title:
        return str(title)
    if timeline.name:
        return timeline.name
    return Path(timeline.source).stem if timeline.source else "Territorial control"
