"""Maps and figures for articles: web pages (folium/Leaflet) and figures (matplotlib).

Needs the ``render`` extra (``pip install controlmap[render]``): folium,
matplotlib, xstatic-leaflet and tqdm. The package is laid out by medium:

- :mod:`controlmap.render.maps`: web pages (``timeline``, ``snapshot``, ``changes``,
  ``fighters``); they never import matplotlib;
- :mod:`controlmap.render.figures`: matplotlib figures (``small_multiples``,
  ``area_chart``, ``changes``, ``fighters``);
- :func:`animate`: an MP4, WebM or GIF of the map over time;
- :class:`Style`: one look (title, credit, colours, fonts, date format) for all of them;
- :mod:`controlmap.render.saving`: one :func:`save` for HTML, PNG, SVG and PDF;
- :mod:`controlmap.render.report`: everything an article needs, in one folder;
- ``assets/``: the script and style sheet of the pages.

Names are imported on first use, so ``from controlmap.render import timeline_map``
loads folium and not matplotlib; without the extra it raises
:class:`~controlmap.MissingExtraError` saying what to install.

Examples
--------
>>> import controlmap, tempfile, pathlib
>>> from controlmap.render import snapshot_map, save
>>> tl = controlmap.load_dataset("islamic-state")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "mosul.html"
>>> save(snapshot_map(tl, "2017-07-10"), out).name
'mosul.html'
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from .._extras import extra_of, missing_extra

if TYPE_CHECKING:
    from ._basemap import Basemap
    from ._fighters import SymbolScale
    from ._style import Style
    from .figures.animation import animate
    from .figures.area_chart import area_chart, published_figures
    from .figures.change_chart import change_chart
    from .figures.changes import changes_figure
    from .figures.fighters import fighters_figure
    from .figures.small_multiples import small_multiples
    from .maps._leaflet import ControlMap
    from .maps.changes import changes_map
    from .maps.fighters import fighters_map
    from .maps.snapshot import snapshot_map
    from .maps.timeline import timeline_map
    from .report import write_report
    from .saving import save, save_fighters_map, save_figure, save_map

#: Where each public name lives (module relative to this package).
_HOMES: dict[str, str] = {
    "Basemap": "._basemap",
    "ControlMap": ".maps._leaflet",
    "Style": "._style",
    "SymbolScale": "._fighters",
    "animate": ".figures.animation",
    "area_chart": ".figures.area_chart",
    "change_chart": ".figures.change_chart",
    "changes_figure": ".figures.changes",
    "changes_map": ".maps.changes",
    "fighters_figure": ".figures.fighters",
    "fighters_map": ".maps.fighters",
    "published_figures": ".figures.area_chart",
    "save": ".saving",
    "save_fighters_map": ".saving",
    "save_figure": ".saving",
    "save_map": ".saving",
    "small_multiples": ".figures.small_multiples",
    "snapshot_map": ".maps.snapshot",
    "timeline_map": ".maps.timeline",
    "write_report": ".report",
}

__all__ = [
    "Basemap",
    "ControlMap",
    "Style",
    "SymbolScale",
    "animate",
    "area_chart",
    "change_chart",
    "changes_figure",
    "changes_map",
    "fighters_figure",
    "fighters_map",
    "published_figures",
    "save",
    "save_fighters_map",
    "save_figure",
    "save_map",
    "small_multiples",
    "snapshot_map",
    "timeline_map",
    "write_report",
]


#: What each part of the package needs from the render extra to be used at all.
_NEEDS: dict[str, tuple[str, ...]] = {
    "maps": ("folium",),
    "figures": ("matplotlib",),
    "report": ("folium", "matplotlib"),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder refusing the name means it is not there
        return False


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Some functions import folium or matplotlib only when called: check up front, so
    # the name itself says what is missing rather than a call halfway through.
    for needed in _NEEDS.get(home.split(".")[1], ()):
        if not _installed(needed):
            raise missing_extra(f"{__name__}.{name}", needed)
    try:
        module = importlib.import_module(home, __name__)
    except ModuleNotFoundError as exc:
        if extra_of(exc.name) is None:
            raise  # not an optional dependency: a broken install, shown as it is
        raise missing_extra(f"{__name__}.{name}", exc.name) from None
    value = getattr(module, name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
