"""Colours, fonts and wording shared by the interactive maps and the static figures.

One place for the look, so a snapshot in the browser and the PNG in print agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Timeline

__all__ = [
    "ACTOR_COLOURS",
    "BASE",
    "CHANGE_COLOURS",
    "FONT_FAMILY",
    "actor_colours",
    "credit_line",
    "display_name",
]

#: Colours given to actors in order of appearance. The first (the timeline's main
#: actor) is the dark red newspapers use for the Islamic State; the others are
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
)

#: Gained and lost ground in a changes map: lost ground is the lighter, warm tone
#: so "what was taken back" reads at a glance next to the darker gains.
CHANGE_COLOURS: dict[str, str] = {"gained": "#67001f", "lost": "#f4a582"}

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

    Examples
    --------
    >>> actor_colours(["Islamic State", "Kurdish forces"])["Islamic State"]
    '#b2182b'
    """
    return {a: ACTOR_COLOURS[i % len(ACTOR_COLOURS)] for i, a in enumerate(actors)}


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
