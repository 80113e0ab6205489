"""Maps of the foreign-fighter flows: symbol sizes, legends, arcs, files."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pyproj import Geod

import controlmap
from controlmap.errors import DataError, OutputError
from controlmap.render import fighters_figure, fighters_map, save
from controlmap.render._assets import LEAFLET_JS_URL, leaflet_js
from controlmap.render._fighters import (
    REFERENCE_COUNTS,
    SymbolScale,
    conflict_zone,
    describe_figure,
    great_circle,
)

DATE = "2015-05-25"


@pytest.fixture(scope="module")
def fighters() -> gpd.GeoDataFrame:
    return controlmap.datasets.load_fighters()


@pytest.fixture(scope="module")
def world_map() -> object:
    return fighters_map()


def _symbol_items(fmap: object) -> list[dict]:
    items: list[dict] = []
    for child in fmap._children.values():  # type: ignore[attr-defined]
        for grandchild in getattr(child, "_children", {}).values():
            items.extend(getattr(grandchild, "items", []))
    return items


# ------------------------------------------------------------------ the scale
@given(
    a=st.floats(0.5, 1e5, allow_nan=False),
    b=st.floats(0.5, 1e5, allow_nan=False),
    top=st.floats(1, 1e5),
    radius=st.floats(1, 100),
)
def test_circle_area_is_proportional_to_count(a: float, b: float, top: float, radius: float):
    scale = SymbolScale(max_count=top, max_radius=radius)
    assert scale.area(a) / scale.area(b) == pytest.approx(a / b, rel=1e-9)
    assert scale.marker_size(a) / scale.marker_size(b) == pytest.approx(a / b, rel=1e-9)
    assert float(scale.radius(top)) == pytest.approx(radius)


def test_scale_rejects_nonsense() -> None:
    with pytest.raises(DataError):
        SymbolScale(max_count=0, max_radius=10)
    with pytest.raises(DataError):
        SymbolScale(max_count=10, max_radius=10).radius(-1)


def test_describe_figure() -> None:
    assert describe_figure(3417, "exact") == "3,417"
    assert describe_figure(165, "more than") == "more than 165"
    assert describe_figure(125, "range", 135) == "125–135"
    assert describe_figure(pd.NA, pd.NA) == "no figure"


# ------------------------------------------------------------------ folium
def test_folium_circles_area_proportional(world_map: object, fighters: gpd.GeoDataFrame):
    items = _symbol_items(world_map)
    for figure in ("departed", "returned"):
        drawn = [i for i in items if i["flow"] == figure]
        present = fighters[fighters[figure].notna()]
        assert sorted(i["iso3"] for i in drawn) == sorted(present["iso3"])
        counts = np.array([i["count"] for i in drawn], float)
        radii = np.array([i["style"]["radius"] for i in drawn])
        expected = dict(zip(present["iso3"], present[figure].astype(int), strict=True))
        assert [i["count"] for i in drawn] == [expected[i["iso3"]] for i in drawn]
        # Area (pi r^2) per person is one constant for both flows.
        per_person = np.pi * radii**2 / counts
        largest = float(pd.concat([fighters["departed"], fighters["returned"]]).max())
        assert np.allclose(per_person, np.pi * 30.0**2 / largest)
    # Returned circles come after (over) departed ones; larger first within a flow.
    flows = [i["flow"] for i in items]
    assert flows == sorted(flows)  # "departed" < "returned"
    departed = [i["count"] for i in items if i["flow"] == "departed"]
    assert departed == sorted(departed, reverse=True)


def test_folium_other_basis_drawn_hollow_and_dashed(world_map, fighters) -> None:
    other = set(fighters.loc[fighters["basis_group"] == "other", "iso3"])
    for item in _symbol_items(world_map):
        hollow = item["style"]["fillOpacity"] == 0 and item["style"]["dashArray"]
        assert bool(hollow) == (item["iso3"] in other), item["iso3"]


def test_folium_legend_matches_scale(world_map: object) -> None:
    page = world_map.get_root().render()  # type: ignore[attr-defined]
    scale = world_map.symbol_scale  # type: ignore[attr-defined]
    refs = re.findall(r'class="cm-ref" data-count="(\d+)"[^>]* r="([\d.]+)"', page)
    assert [int(c) for c, _ in refs] == list(REFERENCE_COUNTS)
    for count, radius in refs:
        assert float(radius) == pytest.approx(float(scale.radius(int(count))), abs=1e-4)


def test_folium_tooltips(world_map: object) -> None:
    items = {(i["iso3"], i["flow"]): i for i in _symbol_items(world_map)}
    uzbekistan = items[("UZB", "departed")]["tooltip"]
    assert "Departed: about 1,500" in uzbekistan and "Returned: no figure" in uzbekistan
    turkey = items[("TUR", "returned")]
    assert "Returned: 900" in turkey["tooltip"] and "Washington Post" in turkey["tooltip"]
    assert "George Washington University" in items[("USA", "returned")]["popup"]
    assert "not comparable" in items[("SWE", "departed")]["tooltip"]


def test_self_contained_and_linked_pages(world_map: object) -> None:
    page = world_map.get_root().render()  # type: ignore[attr-defined]
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
    assert "L.circleMarker" in page and "leaflet" in page.lower()
    linked = fighters_map(self_contained=False).get_root().render()
    assert LEAFLET_JS_URL in linked
    assert len(page) - len(linked) > len(leaflet_js())
    assert len(page) < 600_000  # the world outlines are snapped, not full precision
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()


def test_hostile_text_is_escaped_in_the_page() -> None:
    page = fighters_map(_hostile_frame()).get_root().render()
    # The hostile text is in the page (escaped), but never as markup.
    assert "France\\u0026lt;script\\u0026gt;alert(1)" in page
    for markup in ("<script>alert", "<img src=x", "</script><img"):
        assert markup not in page
    assert 'href=\\"javascript' not in page and 'href="javascript' not in page


def _hostile_frame() -> gpd.GeoDataFrame:
    frame = controlmap.datasets.load_fighters().copy()
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>`${alert(3)}`\\'\"</script>"
    frame.loc[frame["iso3"] == "FRA", "country"] = "France" + evil
    frame.loc[frame["iso3"] == "FRA", "departed_source"] = "Source" + evil
    frame.loc[frame["iso3"] == "FRA", "departed_url"] = "javascript:alert(4)"
    frame.loc[frame["iso3"] == "FRA", "note"] = evil
    return frame


# ------------------------------------------------------------------ static figure
def test_static_marker_sizes_match_scale_and_legend(fighters: gpd.GeoDataFrame) -> None:
    figure = fighters_figure()
    scale = figure.symbol_scale
    collections = {
        c.get_gid(): c for ax in figure.axes for c in ax.collections if c.get_gid() is not None
    }
    other = fighters["basis_group"] == "other"
    for flow in ("departed", "returned"):
        for gid, rows in ((flow, ~other), (f"{flow}-other", other)):
            subset = fighters[rows & fighters[flow].notna()]
            sizes = collections[gid].get_sizes()
            counts = np.sort(subset[flow].to_numpy(float))[::-1]
            assert len(sizes) == len(subset)
            assert np.allclose(sizes, scale.marker_size(counts))
            assert np.allclose(sizes / counts, scale.marker_size(1.0))
    legend = collections["legend-sizes"].get_sizes()
    assert np.allclose(legend, scale.marker_size(np.array(REFERENCE_COUNTS, float)))

    # Drawn sizes, in display pixels: the marker transforms of the data and of the legend
    # give the same area per person.
    FigureCanvasAgg(figure).draw()
    per_person = []
    for gid, counts in (
        ("departed", np.sort(fighters.loc[~other, "departed"].dropna().to_numpy(float))[::-1]),
        ("legend-sizes", np.array(REFERENCE_COUNTS, float)),
    ):
        transforms = collections[gid].get_transforms()
        per_person.extend(transforms[:, 0, 0] ** 2 / counts)
    assert np.allclose(per_person, per_person[0])


def test_static_region_and_arcs(fighters: gpd.GeoDataFrame) -> None:
    figure = fighters_figure(region="europe", arcs=True, date=DATE)
    ax = next(a for a in figure.axes if a.get_gid() == "map")
    lines = [line for line in ax.get_lines() if line.get_linewidth() > 0]
    assert len(lines) == int(fighters["departed"].notna().sum())
    # Wider lines for more people: widths sorted like the counts they were drawn for.
    widths = [line.get_linewidth() for line in lines]
    assert widths == sorted(widths, reverse=True)
    with pytest.raises(DataError, match="unknown region"):
        fighters_figure(region="atlantis")
    with pytest.raises(DataError):
        fighters_figure(region=(10, 50, 0, 40))


# ------------------------------------------------------------------ arcs
def test_great_circle_is_the_geodesic() -> None:
    geod = Geod(ellps="WGS84")
    parts = great_circle(2.35, 48.86, 39.0, 35.95, points=65)
    assert len(parts) == 1 and len(parts[0]) == 65
    azimuth, _, distance = geod.inv(2.35, 48.86, 39.0, 35.95)
    lon, lat, _ = geod.fwd(2.35, 48.86, azimuth, distance / 2)
    middle = parts[0][32]
    assert middle[0] == pytest.approx(lon, abs=1e-6) and middle[1] == pytest.approx(lat, abs=1e-6)


@given(
    lon1=st.floats(-180, 180),
    lat1=st.floats(-80, 80),
    lon2=st.floats(-180, 180),
    lat2=st.floats(-80, 80),
)
def test_great_circle_parts_are_continuous(lon1, lat1, lon2, lat2) -> None:
    parts = great_circle(lon1, lat1, lon2, lat2, points=32)
    # Both ends are kept, whether or not the line crosses the antimeridian.
    assert sum(len(p) for p in parts) >= 32
    assert parts[0][0] == (lon1, lat1) and parts[-1][-1] == (lon2, lat2)
    for before, after in itertools.pairwise(parts):  # split exactly on the antimeridian
        assert abs(before[-1][0]) == 180.0 and after[0][0] == -before[-1][0]
        assert before[-1][1] == after[0][1]
    for part in parts:
        lons = np.array([lon for lon, _ in part])
        assert (np.abs(np.diff(lons)) <= 180).all()


def test_great_circle_splits_at_the_antimeridian() -> None:
    parts = great_circle(170.0, 0.0, -170.0, 0.0, points=21)
    assert len(parts) == 2
    assert all(lon > 0 for lon, _ in parts[0]) and all(lon < 0 for lon, _ in parts[1])


def test_conflict_zone_is_the_bundled_territory() -> None:
    zone, point = conflict_zone(DATE)
    expected = controlmap.load_dataset("islamic-state").at(DATE)
    assert zone.union_all().equals(expected.union_all())
    assert zone.union_all().contains(point)


def test_folium_arcs_end_in_the_territory(fighters: gpd.GeoDataFrame) -> None:
    import folium

    fmap = fighters_map(arcs=True, date=DATE)
    zone, point = conflict_zone(DATE)
    lines = []
    for child in fmap._children.values():
        if isinstance(child, folium.FeatureGroup):
            lines += [c for c in child._children.values() if isinstance(c, folium.PolyLine)]
    assert len(lines) == int(fighters["departed"].notna().sum())
    for line in lines:
        lat, lon = line.locations[-1]
        assert (lon, lat) == pytest.approx((point.x, point.y))
        assert zone.union_all().contains(shapely.Point(lon, lat))


# ------------------------------------------------------------------ files
def test_save_files(tmp_path: Path) -> None:
    svg = save(fighters_figure(region="middle-east"), tmp_path / "f.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    # Through save: text stays text in the SVG (svg.fonttype none) ...
    texts = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "foreign fighters" in texts
    # ... and a PNG below the print minimum is refused, leaving nothing behind.
    with pytest.raises(OutputError, match="150 dpi"):
        save(fighters_figure(), tmp_path / "low.png", dpi=50)
    png = save(fighters_figure(), tmp_path / "f.png", dpi=150)
    height, width = matplotlib.image.imread(png).shape[:2]
    assert width == 11 * 150 and height > 600
    html = save(fighters_map(), tmp_path / "f.html")
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(OutputError):
        save(fighters_map(), tmp_path / "f.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.html", "f.png", "f.svg"]


def test_tooltip_sources_split_on_bars_and_skip_missing(fighters: gpd.GeoDataFrame) -> None:
    frame = fighters.copy()
    tur = frame["iso3"] == "TUR"
    frame.loc[tur, "departed_source"] = "Soufan Center, 2017 | Reuters, 12 May 2016"
    frame.loc[tur, "returned_source"] = np.nan  # a figure without a named source
    frame.loc[tur, "returned"] = 900
    items = {(i["iso3"], i["flow"]): i for i in _symbol_items(fighters_map(frame))}
    tooltip = items[("TUR", "departed")]["tooltip"]
    source = re.search(r"Source: ([^<]*) \(click", tooltip)
    assert source is not None
    assert source.group(1).split("; ") == ["Reuters", "Soufan Center"]
    assert "nan" not in tooltip and "None" not in tooltip


def test_fighters_figure_keeps_dollar_signs_as_text(tmp_path: Path) -> None:
    # "$...$" would be mathtext, and "\\frac{" fails at draw time.
    title = "Costs (US$ 5m) $\\frac{"
    fig = fighters_figure(region="europe", title=title)
    FigureCanvasAgg(fig).draw()
    svg = save(fig, tmp_path / "f.svg")
    root = ET.parse(svg).getroot()
    texts = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert title in texts


def test_importing_render_leaves_the_pyplot_backend_alone() -> None:
    import subprocess
    import sys

    script = (
        "import matplotlib; matplotlib.use('svg');"
        "import controlmap.render as f;"
        "fig = f.fighters_figure(region='europe'); fig.canvas.draw();"
        "print(matplotlib.get_backend(), type(fig.canvas).__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["svg", "FigureCanvasAgg"]
