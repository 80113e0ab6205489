"""Colours, fonts and wording shared by the interactive maps and the static figures.

One place for the look, so a snapshot in the browser and the PNG in print agree.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
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
    "actor_colours",
    "change_label",
    "changes_title",
    "credit_line",
    "day_text",
    "display_name",
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

#: Countries drawn in the lighter "focus" tone (ISO 3166 alpha-3).
FOCUS_COUNTRIES = frozenset({"IRQ", "SYR"})


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


def credit_line(source: str | None) -> str:
    """The credit printed under every map: data source and the reconstruction caveat.

    Examples
    --------
    >>> credit_line("islamic-state").startswith("Data: controlmap")
    True
    """
    if source in (None, "", "islamic-state"):
        data = "controlmap 'islamic-state' data set (built from public reporting)"
    else:
        data = str(source)
    return (
        f"Data: {data}. Areas of control are reconstructions, approximate at the edges. "
        "Base map: Natural Earth."
    )


def display_name(timeline: Timeline) -> str:
    """A reader's name for a timeline: a bundled data set's description, else its name.

    Examples
    --------
    >>> import controlmap
    >>> display_name(controlmap.load_dataset("islamic-state"))
    'Islamic State territory in Iraq and Syria, 2013-2019'
    """
    from ..datasets import DATASETS

    if timeline.name in DATASETS:
        return DATASETS[timeline.name][1].split(" (")[0]
    if timeline.name:
        return timeline.name
    return Path(timeline.source).stem if timeline.source else "Territorial control"
