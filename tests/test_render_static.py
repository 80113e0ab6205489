"""Static figures: PNG size and content, SVG text, the numbers drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.dates
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely import box

import controlmap
from controlmap.errors import DataError, OutputError
from controlmap.render import (
    Basemap,
    area_chart,
    changes_figure,
    published_figures,
    save,
    small_multiples,
)
from controlmap.render._changes import change_layers
from controlmap.render._style import ACTOR_COLOURS, BASE, CHANGE_COLOURS, day_text

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def multiples(timeline: controlmap.Timeline, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("figures")
    fig = small_multiples(timeline)
    return {
        "fig": fig,
        "png": save(fig, folder / "maps.png", dpi=150),
        "svg": save(fig, folder / "maps.svg"),
    }


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=float)


def share_near(image: np.ndarray, colour: np.ndarray, tolerance: float = 12) -> float:
    return float((np.abs(image - colour).max(axis=2) <= tolerance).mean())


def svg_texts(path: Path) -> str:
    root = ET.parse(path).getroot()  # also proves the SVG is well-formed XML
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_small_multiples_one_panel_per_turning_point(
    multiples: dict, timeline: controlmap.Timeline
) -> None:
    fig = multiples["fig"]
    assert len(fig.axes) == len(timeline.turning_points)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    for day, title in zip(timeline.turning_points, titles, strict=True):
        assert title.startswith(day_text(day))
    assert any("Mosul lost" in t for t in titles) and any("Raqqa lost" in t for t in titles)
    # One extent for all panels.
    limits = {(ax.get_xlim(), ax.get_ylim()) for ax in fig.axes}
    assert len(limits) == 1


def test_small_multiples_png(multiples: dict) -> None:
    image = Image.open(multiples["png"])
    dpi = image.info.get("dpi")
    assert dpi is not None and round(dpi[0]) >= 150
    width, height = image.size
    fig_w, fig_h = multiples["fig"].get_size_inches()
    assert (width, height) == (round(fig_w * 150), round(fig_h * 150))
    data = pixels(multiples["png"])
    assert data.std() > 20  # not blank
    # The base map's land and the actor's colour (drawn at alpha 0.75 on land) are there.
    land = rgb(BASE["land"])
    assert share_near(data, land) > 0.05
    drawn = 0.75 * rgb(ACTOR_COLOURS[0]) + 0.25 * land
    assert share_near(data, drawn, tolerance=10) > 0.002


def test_small_multiples_svg_has_dates_as_text(
    multiples: dict, timeline: controlmap.Timeline
) -> None:
    text = svg_texts(multiples["svg"])
    for day in timeline.turning_points:
        assert day_text(day) in text
    # The credit and title are the data set's own (attrs).
    assert timeline.attrs["credit"] in text and timeline.attrs["title"] in text


def test_small_multiples_chosen_dates_and_columns(timeline: controlmap.Timeline) -> None:
    fig = small_multiples(timeline, ["2015-01-01", "2016-01-01", "2017-01-01"], ncols=3)
    boxes = [ax.get_position() for ax in fig.axes]
    assert len({round(b.y0, 6) for b in boxes}) == 1  # one row
    assert fig.axes[0].get_title(loc="left").startswith("1 Jan 2015")
    with pytest.raises(DataError):
        small_multiples(timeline, [])


def test_area_chart_draws_the_area(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    fig = area_chart(timeline)
    ax = fig.axes[0]
    # One band per status, stacked, and the line of all statuses together on top.
    line = next(line for line in ax.get_lines() if line.get_label().endswith("Islamic State"))
    assert {c.get_gid() for c in ax.collections} >= {
        f"band:Islamic State:{s}" for s in ("control", "contested", "support")
    }
    x, y = line.get_data()
    expected = timeline.area(timeline.change_dates)["Islamic State"]
    # Every change date, then the last value held on to the right edge.
    assert np.allclose(np.asarray(y, dtype=float)[:-1], expected.to_numpy())
    assert len(x) == len(timeline.change_dates) + 1 and y[-1] == y[-2]
    labels = [t.get_text() for t in ax.texts]
    assert "Mosul lost" in labels and "Raqqa lost" in labels
    # The Mosul label stands at 10 July 2017.
    mosul = next(t for t in ax.texts if t.get_text() == "Mosul lost")
    assert pd.Timestamp(mosul.get_position()[0]) == pd.Timestamp("2017-07-10")
    # Published figures are plotted and named as such.
    published = published_figures(timeline)
    assert published is not None and len(published) >= 5
    points = next(line for line in ax.get_lines() if "Published figures" in line.get_label())
    assert np.allclose(np.asarray(points.get_ydata(), dtype=float), published["area_km2"])
    svg = save(fig, tmp_path / "area.svg")
    text = svg_texts(svg)
    assert "Mosul lost" in text and "Published figures" in text and "km² held" in text
    png = save(fig, tmp_path / "area.png")
    data = pixels(png)
    assert data.std() > 20
    assert share_near(data, rgb(ACTOR_COLOURS[0]), tolerance=40) > 0.001


def test_area_chart_labels_do_not_overlap(timeline: controlmap.Timeline) -> None:
    fig = area_chart(timeline)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_area_chart_without_published(timeline: controlmap.Timeline) -> None:
    fig = area_chart(timeline, published=False, annotate=False)
    ax = fig.axes[0]
    assert not any("Published" in line.get_label() for line in ax.get_lines())
    assert len(ax.texts) == 0


def test_changes_figure(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    fig = changes_figure(timeline, "2015-01-01", "2018-02-01")
    legend = " ".join(t.get_text() for t in _legend(fig).get_texts())
    # One legend row per change and status, with the km² of that layer.
    layers = change_layers(timeline, pd.Timestamp("2015-01-01"), pd.Timestamp("2018-02-01"))
    words = {"kept": "held on both dates", "gained": "ground gained", "lost": "ground lost"}
    for row in layers.itertuples():
        assert f"{words[row.change]} ({row.status}): {row.area_km2:,.0f} km²" in legend
    # Together the layers balance: kept + gained is what was held at the end.
    end = float(timeline.area(["2018-02-01"]).sum(axis=1).iloc[0])
    assert layers.loc[layers.change != "lost", "area_km2"].sum() == pytest.approx(end, rel=1e-6)
    with pytest.raises(DataError):
        changes_figure(timeline, "2018-01-01", "2015-01-01")


def test_synthetic_timeline_without_base_map(tmp_path: Path) -> None:
    periods = gpd.GeoDataFrame(
        {"actor": ["A", "B"], "start": ["2020-01-01", "2020-06-01"], "end": [None, None]},
        geometry=[box(10, 10, 12, 12), box(12, 10, 13, 11)],
        crs=4326,
    )
    tl = controlmap.Timeline(periods, name="test")
    fig = small_multiples(tl, basemap=Basemap.empty())
    assert len(fig.axes) == len(tl.turning_points)
    path = save(fig, tmp_path / "t.png")
    data = pixels(path)
    assert share_near(data, rgb(ACTOR_COLOURS[1]) * 0.75 + rgb(BASE["background"]) * 0.25) > 0
    chart = area_chart(tl)
    assert {line.get_label() for line in chart.axes[0].get_lines()} >= {"A", "B"}


def test_save_figure_checks(timeline: controlmap.Timeline, tmp_path: Path) -> None:
    fig = area_chart(timeline, annotate=False)
    with pytest.raises(OutputError, match=r"\.png or \.svg"):
        save(fig, tmp_path / "a.jpg")
    with pytest.raises(OutputError, match="150 dpi"):
        save(fig, tmp_path / "a.png", dpi=72)
    with pytest.raises(OutputError, match="does not exist"):
        save(fig, tmp_path / "missing" / "a.png")
    save(fig, tmp_path / "a.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]  # no temporary debris


def test_dollar_signs_in_data_stay_text(tmp_path: Path) -> None:
    # matplotlib would read "$...$" as mathtext and fail on "\frac{" at draw time.
    name = "Militia (US$ 5m) $\\frac{"
    periods = gpd.GeoDataFrame(
        {"actor": [name], "start": ["2020-01-01"], "end": ["2020-03-01"]},
        geometry=[box(10, 10, 12, 12)],
        crs=4326,
    )
    tl = controlmap.Timeline(periods, name="costs in $")
    tl.events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01"]),
            "label": ["$\\sqrt{ taken"],
            "turning_point": [True],
        }
    )
    for fig, file, shown in (
        (small_multiples(tl, basemap=Basemap.empty()), "maps.svg", [name, "$\\sqrt{ taken"]),
        (area_chart(tl), "area.svg", [name, "$\\sqrt{ taken"]),
        (
            changes_figure(tl, "2020-01-01", "2020-06-01", basemap=Basemap.empty()),
            "lost.svg",
            ["costs in $"],
        ),
    ):
        text = svg_texts(save(fig, tmp_path / file))
        for expected in shown:
            assert expected in text


# ---------------------------------------------------------------------------- changes layers
def growing_timeline() -> controlmap.Timeline:
    """Actor A holds a 2x2° square throughout (part of it also "contested") and gains
    a 1x1° square to its east on 1 June 2020."""
    periods = gpd.GeoDataFrame(
        {
            "actor": ["A", "A", "A"],
            "start": ["2020-01-01", "2020-01-01", "2020-06-01"],
            "end": [None, None, None],
            "status": ["control", "contested", "control"],
        },
        geometry=[box(10, 10, 12, 12), box(10, 10, 11, 11), box(12, 10, 13, 11)],
        crs=4326,
    )
    return controlmap.Timeline(periods, name="growing")


def geod_km2(geom: object) -> float:
    from pyproj import Geod

    return abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]) / 1e6


def test_changes_figure_gain_is_on_top_and_legend_is_kept_gained_lost(tmp_path: Path) -> None:
    tl = growing_timeline()
    fig = changes_figure(tl, "2020-03-01", "2020-09-01", basemap=Basemap.empty())
    texts = [t.get_text() for t in _legend(fig).get_texts()]
    # One row per layer (no duplicate "held" row per status), areas of disjoint layers.
    labels = [t.split(": ")[0] for t in texts]
    areas = [float(t.split(": ")[1].removesuffix(" km²").replace(",", "")) for t in texts]
    # The timeline has two statuses, so each layer names the status it is drawn in.
    assert labels == ["held on both dates (control)", "ground gained (control)"]
    expected = [geod_km2(box(10, 10, 12, 12)), geod_km2(box(12, 10, 13, 11))]
    assert areas == pytest.approx(expected, rel=1e-3)
    ax = fig.axes[0]
    path = save(fig, tmp_path / "changes.png", dpi=150)
    image = pixels(path)
    # The gained square's centre, in PNG pixels (y from the top).
    x, y = ax.transData.transform((12.5, 10.5)) * 150 / fig.dpi
    pixel = image[int(image.shape[0] - y), int(x)]
    gained = rgb(CHANGE_COLOURS["gained"]) * 0.8 + rgb(BASE["background"]) * 0.2
    assert np.abs(pixel - gained).max() <= 12, pixel
    # Gains stand apart from every actor colour and from losses.
    for other in (*ACTOR_COLOURS, CHANGE_COLOURS["lost"]):
        assert np.abs(rgb(CHANGE_COLOURS["gained"]) - rgb(other)).sum() > 150, other


def test_small_multiples_total_counts_overlapping_statuses_once() -> None:
    tl = growing_timeline()
    fig = small_multiples(tl, ["2020-03-01"], basemap=Basemap.empty())
    texts = [t.get_text() for t in fig.axes[0].texts if "km²" in t.get_text()]
    assert len(texts) == 1
    shown = float(texts[0].split(" km²")[0].replace(",", ""))
    # The 2x2° square once, although a quarter of it is both controlled and contested.
    assert shown == pytest.approx(geod_km2(box(10, 10, 12, 12)), rel=1e-3)


def test_area_chart_draws_an_open_timeline_to_the_right_edge() -> None:
    # One open period: a single change date, and the area must still be drawn.
    periods = gpd.GeoDataFrame(
        {"actor": ["A"], "start": ["2020-01-01"], "end": [None]},
        geometry=[box(10, 10, 12, 12)],
        crs=4326,
    )
    ax = area_chart(controlmap.Timeline(periods, name="open"), published=False).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label() == "A")
    x = np.asarray(matplotlib.dates.date2num(line.get_xdata()), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    assert x[-1] == pytest.approx(ax.get_xlim()[1])
    assert y[-1] == pytest.approx(geod_km2(box(10, 10, 12, 12)), rel=1e-3)
    # The filled area spans from the start date to the right edge.
    (fill,) = ax.collections
    extent = fill.get_paths()[0].get_extents()
    assert extent.x1 == pytest.approx(ax.get_xlim()[1])
    assert extent.x1 - extent.x0 >= 29 and extent.y1 > 40_000


def test_dates_are_written_without_platform_or_locale_formats() -> None:
    # "%-d" is glibc-only and "%b" follows the locale: dates go through day_text.
    import ast

    import controlmap.render as render

    folder = Path(render.__file__).parent
    for module in folder.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.startswith(("#", " ")) or "``" in node.value:
                    continue  # comments in docstrings may name the formats
                if module.name == "_style.py":
                    continue  # format_day's own codes (Style.date_format), not strftime
                assert not {"%-d", "%b", "%B"} & set(node.value.split()), (module.name, node)
    months = [day_text(pd.Timestamp(2017, m, 1)) for m in range(1, 13)]
    assert months[0] == "1 Jan 2017" and months[8] == "1 Sep 2017"
    assert [m.split()[1] for m in months] == [
        pd.Timestamp(2017, m, 1).month_name()[:3] for m in range(1, 13)
    ]


def test_area_chart_skips_missing_event_labels() -> None:
    tl = growing_timeline()
    tl.events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01", "2020-06-01"]),
            "label": pd.array([pd.NA, "gain"], dtype="string"),
            "turning_point": [True, True],
        }
    )
    ax = area_chart(tl, published=False).axes[0]
    assert [t.get_text() for t in ax.texts] == ["gain"]


def test_actor_colours_distinct_before_they_repeat() -> None:
    from controlmap.render._colour import delta_e
    from controlmap.render._style import actor_colours

    n = len(ACTOR_COLOURS)
    assert n >= 24
    colours = actor_colours([f"actor {k}" for k in range(n)])
    assert len(set(colours.values())) == n  # actor 8 is not actor 0
    others = [*CHANGE_COLOURS.values(), BASE["land"], BASE["neighbour"], BASE["background"]]
    # Perceived differences (CIEDE2000): any two actors apart, and every actor
    # apart from the base map and the gained/lost colours.
    for i, a in enumerate(ACTOR_COLOURS):
        for b in ACTOR_COLOURS[i + 1 :]:
            assert delta_e(a, b) >= 13, (a, b)
        for b in others:
            assert delta_e(a, b) >= 14, (a, b)
    # A bare list of names has no areas or neighbours: beyond the palette it repeats.
    with pytest.warns(UserWarning, match="repeat"):
        many = actor_colours([f"actor {k}" for k in range(n + 1)])
    assert many[f"actor {n}"] == ACTOR_COLOURS[0]


def _legend(fig: Any) -> Any:
    """The figure's legend: a figure legend, else the first axes' (the changes
    figure keeps its legend on the map)."""
    return fig.legends[0] if fig.legends else fig.axes[0].get_legend()


def test_control_characters_in_a_credit_draw_no_glyph_warning(
    tmp_path: Path, timeline: controlmap.Timeline
) -> None:
    # The area chart measures its credit line before saving: an ESC in it once reached
    # matplotlib raw ("Glyph 27 missing from font(s)"), before plain_text escaped it.
    import warnings

    from controlmap.render import area_chart, save

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = area_chart(timeline, title="T\x1b]0;x\x07", credit="Data: \x1b[2J \x01 x")
        save(fig, tmp_path / "a.svg")
    assert [str(w.message) for w in caught] == []
    assert "\\x1b" in (tmp_path / "a.svg").read_text()
