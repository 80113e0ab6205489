"""Maps and figures for articles: interactive pages (folium) and static PNG/SVG.

Needs the ``render`` extra (``pip install controlmap[render]``): folium,
matplotlib, xstatic-leaflet and tqdm.

Examples
--------
>>> import controlmap, tempfile, pathlib
>>> from controlmap.render import snapshot_map, save_map
>>> tl = controlmap.load_dataset("islamic-state")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "mosul.html"
>>> save_map(snapshot_map(tl, "2017-07-10", self_contained=True), out).name
'mosul.html'
"""

from __future__ import annotations

from ._basemap import Basemap
from .fighters import SymbolScale, fighters_figure, fighters_map, save_fighters_map
from .interactive import ControlMap, changes_map, save_map, snapshot_map, timeline_map
from .report import write_report
from .static import (
    area_chart,
    changes_figure,
    published_figures,
    save_figure,
    small_multiples,
)

__all__ = [
    "Basemap",
    "ControlMap",
    "SymbolScale",
    "area_chart",
    "changes_figure",
    "changes_map",
    "fighters_figure",
    "fighters_map",
    "published_figures",
    "save_fighters_map",
    "save_figure",
    "save_map",
    "small_multiples",
    "snapshot_map",
    "timeline_map",
    "write_report",
]
