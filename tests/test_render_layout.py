"""The render package: light imports, one save(), attrs instead of data-set names, statuses.

Figures are checked through their artists (gids, hatches, face colours); the web
pages' drawing of statuses and of the neutral base map is checked in Chromium in
``browser/test_statuses_browser.py``.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.colors import to_rgba
from page_data import payload_of  # tests/ is on the path
from pyproj import Geod

import controlmap
from controlmap.cli import main
from controlmap.errors import OutputError
from controlmap.render import (
    Basemap,
    area_chart,
    changes_figure,
    changes_map,
    save,
    small_multiples,
    snapshot_map,
    timeline_map,
)
from controlmap.render._style import ACTOR_COLOURS, STATUS_STYLES, status_styles

GEOD = Geod(ellps="WGS84")


def km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


# A front in eastern Ukraine: governed ground, a contested town, a zone of support,
# and a status of the user's own wording; nothing about Iraq or Syria.
CONTROL = shapely.box(37.0, 47.5, 38.5, 48.5)
CONTESTED = shapely.box(38.5, 47.5, 39.0, 48.5)
SUPPORT = shapely.box(36.0, 47.5, 37.0, 48.0)
BESIEGED = shapely.box(36.0, 48.2, 36.4, 48.6)


def ukraine() -> controlmap.Timeline:
    periods = gpd.GeoDataFrame(
        {
            "actor": ["Militia"] * 5,
            "start": ["2022-03-01", "2022-03-01", "2022-05-01", "2022-03-01", "2022-06-01"],
            "end": [None, "2022-09-01", None, None, None],
            "status": ["control", "contested", "control", "support", "besieged"],
        },
        geometry=[CONTROL, CONTESTED, CONTESTED, SUPPORT, BESIEGED],
        crs=4326,
    )
    return controlmap.Timeline(periods, name="donbas front")


# ----------------------------------------------------------------------------- imports
def test_map_side_never_loads_matplotlib(tmp_path: Path) -> None:
    script = f"""
import sys, geopandas, shapely, controlmap
from controlmap.render.maps.timeline import timeline_map
from controlmap.render import save, snapshot_map, changes_map, fighters_map
periods = geopandas.GeoDataFrame(
    {{"actor": ["A", "A"], "start": ["2022-03-01", "2022-05-01"], "end": ["2022-05-01", None]}},
    geometry=[shapely.box(36, 47, 38, 48.5), shapely.box(36, 47, 37, 48.5)],
)
tl = controlmap.Timeline(periods)
save(timeline_map(tl), {str(tmp_path / "t.html")!r})
save(snapshot_map(tl, "2022-04-01"), {str(tmp_path / "s.html")!r})
save(changes_map(tl, "2022-04-01", "2022-06-01"), {str(tmp_path / "c.html")!r})
save(fighters_map(), {str(tmp_path / "f.html")!r})
print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert all((tmp_path / f"{k}.html").stat().st_size > 10_000 for k in "tscf")


def test_importing_render_loads_neither_folium_nor_matplotlib() -> None:
    script = (
        "import sys, controlmap.render as r; r.save; r.Basemap;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'folium', 'matplotlib'}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- save
def test_save_writes_every_format(tmp_path: Path) -> None:
    tl = ukraine()
    page = save(snapshot_map(tl, "2022-07-01"), tmp_path / "m.html")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    fig = area_chart(tl)
    assert save(fig, tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save(fig, tmp_path / "a.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert save(fig, tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda tl: snapshot_map(tl, "2022-07-01"), "m.png", "a map is a web page"),
        (lambda tl: area_chart(tl), "a.html", "figures are written as .png"),
        (lambda tl: "text", "x.html", "cannot save a str"),
    ],
)
def test_save_refuses_a_mismatch_and_writes_nothing(
    tmp_path: Path, make: object, name: str, message: str
) -> None:
    with pytest.raises(OutputError, match=message):
        save(make(ukraine()), tmp_path / name)  # type: ignore[operator]
    assert list(tmp_path.iterdir()) == []


def test_old_savers_work_and_warn(tmp_path: Path) -> None:
    from controlmap.render import save_fighters_map, save_figure, save_map

    tl = ukraine()
    with pytest.warns(DeprecationWarning, match="save_map is deprecated"):
        save_map(snapshot_map(tl, "2022-07-01"), tmp_path / "m.html")
    with pytest.warns(DeprecationWarning, match="save_figure is deprecated"):
        save_figure(area_chart(tl), tmp_path / "a.svg")
    with pytest.warns(DeprecationWarning, match="save_fighters_map is deprecated"):
        save_fighters_map(tmp_path / "f.svg", region="europe")
    assert {p.name for p in tmp_path.iterdir()} == {"m.html", "a.svg", "f.svg"}


@pytest.mark.parametrize("old", ["interactive", "static", "fighters"])
def test_old_modules_still_import_and_warn(old: str) -> None:
    script = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        f"import controlmap.render.{old}"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1 and "DeprecationWarning" in done.stderr
    assert f"controlmap.render.{old} is deprecated" in done.stderr


def test_pages_are_self_contained_by_default() -> None:
    tl = ukraine()
    for fmap in (
        timeline_map(tl),
        snapshot_map(tl, "2022-07-01"),
        changes_map(tl, "2022-04-01", "2022-10-01"),
    ):
        page = fmap.get_root().render()
        assert ("cdn.jsdelivr" not in page and "L.version" in page) or '"1.9.3"' in page
    linked = timeline_map(tl, self_contained=False).get_root().render()
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in linked


@pytest.mark.parametrize("command", ["map", "report"])
def test_cli_self_contained_flag(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "front.geojson"
    ukraine().to_file(source)
    out = tmp_path / ("m.html" if command == "map" else "report")
    page = out if command == "map" else out / "timeline_map.html"
    assert main([command, str(source), "-o", str(out)]) == 0
    assert "cdn.jsdelivr" not in page.read_text(encoding="utf-8")
    assert main([command, str(source), "-o", str(out), "--no-self-contained"]) == 0
    assert "cdn.jsdelivr" in page.read_text(encoding="utf-8")
    assert main([command, str(source), "-o", str(out), "--self-contained"]) == 0
    assert "cdn.jsdelivr" not in page.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main([command, str(source), "-o", str(out), "--linked"]) == 0
    assert "cdn.jsdelivr" in page.read_text(encoding="utf-8")
    assert "--linked is deprecated" in capsys.readouterr().err


def test_cli_fighters_map_flag(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "f.html"
    assert main(["fighters-map", "-o", str(out), "--no-self-contained"]) == 0
    assert "cdn.jsdelivr" in out.read_text(encoding="utf-8")
    assert main(["fighters-map", "-o", str(out)]) == 0
    assert "cdn.jsdelivr" not in out.read_text(encoding="utf-8")
    assert main(["fighters-map", "-o", str(out), "--linked"]) == 0
    assert "cdn.jsdelivr" in out.read_text(encoding="utf-8")
    assert "--linked is deprecated" in capsys.readouterr().err


# ----------------------------------------------------------------------------- attrs
def test_a_users_timeline_gets_a_neutral_base_map_and_no_foreign_facts() -> None:
    tl = ukraine()
    page = timeline_map(tl).get_root().render()
    payload = payload_of(page)
    # No label of a place of the bundled base map, no credit of the bundled data.
    assert payload["places"] == []
    assert payload["credit"] is None
    for foreign in ("Mosul", "Baghdad", "Raqqa", "Basra", "reconstruction", "Natural Earth"):
        assert foreign not in page
    # Land is drawn around the data: the countries it touches in focus (Ukraine, and
    # Russia, whose 1:110m outline reaches the box), neighbours around them.
    countries = payload["base"]["countries"]["features"]
    focus = Basemap.for_timeline(tl).countries.query("role == 'focus'")
    assert sorted(focus["iso3"]) == ["RUS", "UKR"]
    assert [f["properties"]["focus"] for f in countries] == [True, True]
    (south, west), (north, east) = payload["bounds"]
    assert 35 < west < 36 and 39 < east < 39.5 and 47 < south < 47.5 and 48.6 < north < 49


def test_the_users_credit_and_title_are_printed(tmp_path: Path) -> None:
    tl = ukraine()
    payload = payload_of(timeline_map(tl, credit="Data: my field notes").get_root().render())
    assert payload["credit"] == "Data: my field notes"
    assert payload["title"] == "donbas front"
    tl.attrs = {"title": "The Donbas front", "credit": "Data: our reporters"}  # type: ignore[attr-defined]
    payload = payload_of(snapshot_map(tl, "2022-07-01").get_root().render())
    assert payload["title"] == "The Donbas front: 1 Jul 2022"
    assert payload["credit"] == "Data: our reporters"
    fig = small_multiples(tl, ["2022-07-01"])
    texts = [t.get_text() for t in fig.texts] + [fig._suptitle.get_text()]  # type: ignore[union-attr]
    assert "Data: our reporters" in texts and "The Donbas front" in texts


def test_figures_of_a_users_timeline_show_no_foreign_place() -> None:
    tl = ukraine()
    fig = small_multiples(tl, ["2022-07-01"])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert not any(name in " ".join(texts) for name in ("Mosul", "Baghdad", "Kharkiv"))
    assert all(not t.get_text().startswith("Data:") for t in fig.texts)  # no credit given
    # Land drawn around the data: the base map's collections fill the panel's frame.
    west, east = ax.get_xlim()
    assert west < 37.0 and east > 39.0
    land = [c for c in ax.collections if c.get_gid() is None and len(c.get_paths())]
    assert land, "no base map drawn"


def test_bundled_attrs_give_the_bundled_base_map(timeline: controlmap.Timeline) -> None:
    payload = payload_of(snapshot_map(timeline, "2016-01-01").get_root().render())
    assert {"Mosul", "Raqqa"} <= {p["name"] for p in payload["places"]}
    assert payload["credit"] == timeline.attrs["credit"]


def test_published_figures_come_from_attrs(timeline: controlmap.Timeline) -> None:
    ax = area_chart(timeline).axes[0]
    points = [line for line in ax.get_lines() if line.get_label().startswith("Published")]
    assert len(points) == 1
    assert len(points[0].get_xdata()) == len(timeline.attrs["published"])
    assert area_chart(ukraine()).axes[0].get_legend_handles_labels()[1][0] == "control"
    assert not any(
        line.get_label().startswith("Published")
        for line in area_chart(ukraine()).axes[0].get_lines()
    )


# ----------------------------------------------------------------------------- statuses
def test_status_styles_are_distinct() -> None:
    styles = status_styles(["control", "contested", "support", "besieged", "rumoured"])
    kinds = [(s.fill, s.opacity, s.dash) for s in styles.values()]
    assert len(set(kinds)) == len(kinds)
    assert styles["control"] == STATUS_STYLES["control"]


def _ground(fig: object, prefix: str) -> dict[str, object]:
    found = {}
    for ax in fig.axes:  # type: ignore[attr-defined]
        for c in ax.collections:
            gid = c.get_gid() or ""
            if gid.startswith(prefix):
                found[gid.split(":")[-1]] = c
    return found


def test_small_multiples_draw_each_status_distinctly() -> None:
    tl = ukraine()
    fig = small_multiples(tl, ["2022-07-01"], basemap=Basemap.empty())
    ground = _ground(fig, "ground:")
    # The town is contested until September although governed from May: both drawn.
    assert set(ground) == {"control", "contested", "support", "besieged"}
    assert ground["contested"].get_hatch() == "////"
    red = np.array(to_rgba(ACTOR_COLOURS[0])[:3])
    control, support, besieged = ground["control"], ground["support"], ground["besieged"]
    assert control.get_hatch() is None and support.get_hatch() is None
    assert besieged.get_hatch() == "xxx"
    assert np.allclose(control.get_facecolor()[0][:3], red)
    assert control.get_facecolor()[0][3] > 2 * support.get_facecolor()[0][3]
    # The legend explains each status of the timeline, contested included.
    labels = _legend(fig).get_texts()
    assert [t.get_text() for t in labels] == [
        "Militia",
        "control",
        "contested",
        "support",
        "besieged",
    ]
    hatches = {h.get_label(): h.get_hatch() for h in _legend(fig).legend_handles}
    assert hatches["contested"] == "////" and hatches["besieged"] == "xxx"
    # The panel gives the km² of each status (Timeline.area(status=...)).
    line = next(t.get_text() for t in fig.axes[0].texts if "km²" in t.get_text())
    for status in ("control", "contested", "support", "besieged"):
        expected = float(tl.area(["2022-07-01"], status=status).iloc[0, 0])
        assert f"{expected:,.0f} {status}" in line.split("\n")[1]
    late = small_multiples(tl, ["2022-10-01"], basemap=Basemap.empty())
    assert set(_ground(late, "ground:")) == {"control", "support", "besieged"}


def test_changes_figure_draws_statuses(tmp_path: Path) -> None:
    tl = ukraine()
    fig = changes_figure(tl, "2022-04-01", "2022-07-01", basemap=Basemap.empty())
    layers = {c.get_gid(): c for c in fig.axes[0].collections if c.get_gid()}
    # The contested town became governed: kept as control; the besieged pocket is new.
    assert "change:Militia:gained:besieged" in layers
    assert layers["change:Militia:gained:besieged"].get_hatch() == "xxx"
    assert layers["change:Militia:kept:support"].get_hatch() is None
    labels = [t.get_text() for t in _legend(fig).get_texts()]
    assert any(label.startswith("ground gained (besieged): ") for label in labels)
    area = float(next(x for x in labels if "(besieged)" in x).split(": ")[1][:-4].replace(",", ""))
    assert area == pytest.approx(km2(BESIEGED), rel=1e-3)


def test_area_chart_stacks_statuses_to_the_total() -> None:
    tl = ukraine()
    ax = area_chart(tl, published=False).axes[0]
    bands = {
        c.get_gid().split(":")[-1]: c
        for c in ax.collections
        if (c.get_gid() or "").startswith("band:")
    }
    assert list(bands) == ["control", "contested", "support", "besieged"]
    assert bands["contested"].get_hatch() == "////" and bands["control"].get_hatch() is None
    # The top of the last band is the total held on each date.
    top = bands["besieged"].get_paths()[0].vertices[:, 1].max()
    total = float(tl.area(tl.change_dates).sum(axis=1).max())
    assert top == pytest.approx(total, rel=1e-6)
    assert total == pytest.approx(
        km2(shapely.union_all([CONTROL, CONTESTED, SUPPORT, BESIEGED])), rel=1e-3
    )


def test_area_chart_of_several_actors_says_statuses_are_counted_together() -> None:
    periods = gpd.GeoDataFrame(
        {"actor": ["A", "B"], "start": ["2020-01-01"] * 2, "status": ["control", "support"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)],
        crs=4326,
    )
    ax = area_chart(controlmap.Timeline(periods), published=False).axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "statuses counted together: control, support" in labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        area_chart(ukraine())


def _legend(fig: Any) -> Any:
    """The figure's legend: a figure legend, else the first axes' (the changes
    figure keeps its legend on the map)."""
    return fig.legends[0] if fig.legends else fig.axes[0].get_legend()
