"""Colours, fonts and wording shared by the interactive maps and the static figures.

One place for the look, so a snapshot in the browser and the PNG in print agree.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StyleWarning

if TYPE_CHECKING:
    from ..model import Timeline

__all__ = [
    "ACTOR_COLOURS",
    "BASE",
    "CHANGE_COLOURS",
    "FONT_FAMILY",
    "STATUS_STYLES",
    "StatusStyle",
    "actor_colours",
    "attrs_of",
    "change_label",
    "changes_title",
    "credit_line",
    "day_text",
    "display_name",
    "status_styles",
]

#: Colours given to actors in order of appearance. The first (the timeline's main
#: actor) is the dark red newspapers use for the Islamic State; the next seven are
#: colour-blind-safe hues that stay apart from it and from the grey base map.
ACTOR_COLOURS: tuple[str, ...] = (
    "#b2182b",
    "#2166ac",
    "#1b7837",
    "#762a83",
    "#e08214",
    "#35978f",
    "#8c510a",
    "#c51b7d",
    # Beyond eight actors: further hues chosen to differ from all of the above, from
    # the gained/lost colours and from the base map by at least 90 (sum of RGB
    # differences), so a ninth actor is not mistaken for the first.
    "#66a61e",
    "#053061",
    "#40004b",
    "#bcbd22",
    "#984ea3",
    "#f781bf",
)

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


def actor_colours(actors: Sequence[str]) -> dict[str, str]:
    """A colour for each actor, stable in order of appearance.

    Colours repeat (with a warning) only beyond ``len(ACTOR_COLOURS)`` actors.

    Examples
    --------
    >>> actor_colours(["Islamic State", "Kurdish forces"])["Islamic State"]
    '#b2182b'
    """
    if len(actors) > len(ACTOR_COLOURS):
        warnings.warn(
            f"{len(actors)} actors but {len(ACTOR_COLOURS)} distinct colours: "
            f"actors after the {len(ACTOR_COLOURS)}th repeat colours",
            StyleWarning,
            stacklevel=2,
        )
    return {a: ACTOR_COLOURS[i % len(ACTOR_COLOURS)] for i, a in enumerate(actors)}


def day_text(day: Any) -> str:
    """A date as a reader writes it, on every platform and locale: "10 Jul 2017".

    Examples
    --------
    >>> import pandas as pd
    >>> day_text(pd.Timestamp("2017-07-10"))
    '10 Jul 2017'
    """
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


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


def changes_title(first: Any, last: Any) -> str:
    """The subject of a changes map or figure, naming its two dates.

    Examples
    --------
    >>> import pandas as pd
    >>> changes_title(pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
    'ground gained and lost, 1 Jan 2015 to 1 Feb 2018'
    """
    return f"ground gained and lost, {day_text(first)} to {day_text(last)}"


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
