"""Many actors read well: legends, colours, the area chart and names in other scripts.

Checked on the 400-actor world-borders timeline of :mod:`controlmap.testing.world`
(a few huge states, a long tail of tiny ones, names in Cyrillic, Arabic, CJK,
Devanagari, Ethiopic...): legends list the largest actors and one "N others" row
and never an actor holding nothing; each actor has one colour in every output;
neighbours look different (CIEDE2000); the area chart's axis fits what it draws;
no glyph goes missing.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from page_data import payload_of  # tests/ is on the path
from PIL import Image

import controlmap
from controlmap.render import (
    Style,
    area_chart,
    changes_figure,
    changes_map,
    save,
    small_multiples,
    snapshot_map,
)
from controlmap.render._basemap import Basemap
from controlmap.render._colour import delta_e
from controlmap.render._mpl import drawable, script_fonts
from controlmap.render._style import (
    DEFAULT_STYLE,
    NEIGHBOUR_CONTRAST,
    held_area,
    legend_actors,
    short_name,
)
from controlmap.render.figures.animation import _Animator
from controlmap.testing.world import world_timeline

DAYS = ["1880-01-01", "1920-01-01", "1960-01-01", "2010-01-01"]


@pytest.fixture(scope="module")
def world() -> controlmap.Timeline:
    return world_timeline(400)


def expected_legend(areas: pd.Series, limit: int) -> tuple[list[str], int]:
    """The legend's actors worked out here: holding ground, largest first, ``limit`` of them."""
    held = sorted(
        ((float(v), k, str(a)) for k, (a, v) in enumerate(areas.items()) if v > 0),
        key=lambda t: (-t[0], t[1]),
    )
    if len(held) <= limit + 1:
        return [a for _, _, a in held], 0
    return [a for _, _, a in held[:limit]], len(held) - limit


def scripts(names: list[str]) -> set[str]:
    return {unicodedata.name(c).split()[0] for n in names for c in n if c.isalpha()}


# ----------------------------------------------------------------------- the test data
def test_world_timeline_is_like_a_world_atlas(world: controlmap.Timeline) -> None:
    assert len(world.actors) == 400
    area = world.area(world.change_dates)
    peak = area.max()
    assert peak.max() > 1.5e7 and (peak > 5e6).sum() >= 5  # a few huge states
    assert (peak < 5_000).sum() > 50  # a long tail of tiny ones
    assert ((area == 0).sum(axis=1) > 100).all()  # many hold nothing on each date
    assert {"CYRILLIC", "ARABIC", "CJK", "DEVANAGARI", "ETHIOPIC", "GREEK"} <= scripts(world.actors)
    assert max(len(a) for a in world.actors) > 60
    # The Russian Empire's ground is the USSR's later: one after the other.
    empire = shapely.union_all(world.at("1900-01-01").query("actor == 'Russian Empire'").geometry)
    ussr = shapely.union_all(
        world.at("1938-01-01").query("actor == 'Union of Soviet Socialist Republics'").geometry
    )
    assert empire.intersection(ussr).area > 0.5 * min(empire.area, ussr.area)
    again = world_timeline(400)
    assert again.periods.drop(columns="geometry").equals(world.periods.drop(columns="geometry"))


# ----------------------------------------------------------------------------- colours
def neighbours_on_each_date(tl: controlmap.Timeline) -> set[tuple[str, str]]:
    pairs = set()
    for day in tl.change_dates:
        snap = tl.at(day)
        geoms = np.asarray(snap.geometry.values, dtype=object)
        names = snap["actor"].astype(str).to_numpy()
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        pairs |= {
            (names[i], names[j]) for i, j in zip(left, right, strict=True) if names[i] < names[j]
        }
    return pairs


def test_neighbours_and_the_largest_actors_look_different(world: controlmap.Timeline) -> None:
    colours = DEFAULT_STYLE.colours(world)
    assert set(colours) == set(world.actors)
    differences = np.array(
        [delta_e(colours[a], colours[b]) for a, b in neighbours_on_each_date(world)]
    )
    assert len(differences) > 300
    # No two actors that meet share a colour or look alike; nearly all are far apart.
    assert differences.min() >= 15
    assert (differences >= NEIGHBOUR_CONTRAST).mean() >= 0.99
    # The Russian Empire and the USSR (the same ground, one after the other) are told apart.
    assert delta_e(colours["Russian Empire"], colours["Union of Soviet Socialist Republics"]) >= 30
    # The lines of the area chart (the largest actors) all differ from each other.
    largest = world.area(world.change_dates).max().sort_values(ascending=False).index[:10]
    for i, a in enumerate(largest):
        for b in largest[i + 1 :]:
            assert delta_e(colours[a], colours[b]) >= 15, (a, b)


def test_a_few_actors_keep_their_colours_in_order() -> None:
    # The bundled data set's look: its actor (the first) is the dark red.
    tl = controlmap.load_dataset("islamic-state")
    assert DEFAULT_STYLE.colours(tl) == {"Islamic State": "#b2182b"}
    assert Style(actor_colours=("#00aa00",)).colours(tl) == {"Islamic State": "#00aa00"}


def svg_colours(svg: bytes, prefix: str, attribute: str) -> dict[str, str]:
    """Colour of each group whose id starts with ``prefix``, read from the SVG file."""
    found = {}
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        gid = group.get("id") or ""
        if not gid.startswith(prefix):
            continue
        path = group.find(".//{http://www.w3.org/2000/svg}path")
        assert path is not None
        match = re.search(rf"{attribute}:\s*(#[0-9a-f]{{6}})", path.get("style") or "")
        assert match, (gid, path.get("style"))
        found[gid[len(prefix) :].split(":")[0]] = match.group(1)
    return found


def test_each_actor_has_one_colour_in_every_output(
    world: controlmap.Timeline, tmp_path: Path
) -> None:
    colours = DEFAULT_STYLE.colours(world)
    # The area chart's lines and the small multiples' ground, read back from SVG files.
    chart = save(area_chart(world), tmp_path / "chart.svg").read_bytes()
    lines = svg_colours(chart, "line:", "stroke")
    assert lines.pop("others") == "#8a8a8a"  # the largest of the others: grey
    assert len(lines) == 10 and lines == {a: colours[a] for a in lines}
    panels = save(small_multiples(world, DAYS[:2]), tmp_path / "panels.svg").read_bytes()
    ground = svg_colours(panels, "ground:", "stroke")
    assert len(ground) > 100 and ground == {a: colours[a] for a in ground}
    # The one-date map: each feature's colour in the page's data.
    page = save(snapshot_map(world, DAYS[1]), tmp_path / "snap.html")
    features = payload_of(page.read_text(encoding="utf-8"))["features"]["features"]
    drawn = {f["properties"]["actor"]: f["properties"]["color"] for f in features}
    assert len(drawn) > 100 and drawn == {a: colours[a] for a in drawn}
    # An animation frame's ground.
    animator = _Animator(
        world, world.change_dates[:2], (480, 480), style=DEFAULT_STYLE,
        basemap=Basemap.empty(), title=None, credit=None, event_frames=0,
    )  # fmt: skip
    frame = {
        c.get_gid().split(":")[1]: to_hex(c.get_edgecolor()[0])
        for c in animator.ground
        if c is not None
    }
    assert len(frame) > 100 and frame == {a: colours[a] for a in frame}


# ----------------------------------------------------------------------------- legends
@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=1e8)),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=12),
)
def test_legend_rows_invariants(areas: dict[str, float], limit: int) -> None:
    series = pd.Series(areas, dtype=float)
    listed, others, km2 = legend_actors(series, limit)
    held = {a for a, v in areas.items() if v > 0}
    # Only actors holding ground, the largest first, each listed or counted once.
    assert set(listed) <= held and len(listed) + others == len(held)
    assert [areas[a] for a in listed] == sorted((areas[a] for a in listed), reverse=True)
    assert len(listed) <= limit + 1 and (others == 0 or len(listed) == limit)
    assert others != 1  # a lone other is listed, not summed
    assert km2 == pytest.approx(sum(areas[a] for a in held - set(listed)))
    if listed and others:
        assert min(areas[a] for a in listed) >= max(areas[a] for a in held - set(listed))


def legend_texts(fig: Any) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_small_multiples_legend_lists_the_largest_and_the_others(
    world: controlmap.Timeline,
) -> None:
    fig = small_multiples(world, DAYS)
    most = held_area(world, DAYS).max()
    listed, others = expected_legend(most, 10)
    texts = legend_texts(fig)
    assert texts[:-1] == [short_name(a) for a in listed]
    assert texts[-1] == f"{others} others"
    assert others == int((most > 0).sum()) - 10
    # The legend stays above the maps, clear of the title and of every panel.
    renderer = fig.canvas.get_renderer()
    box = fig.legends[0].get_window_extent(renderer)
    assert not box.overlaps(fig._suptitle.get_window_extent(renderer))
    for ax in fig.axes:
        assert box.y0 > ax.get_window_extent(renderer).y1
    assert box.x1 <= fig.bbox.x1


def test_legend_leaves_out_actors_holding_nothing(world: controlmap.Timeline) -> None:
    fig = small_multiples(world, DAYS[:1], style=Style(legend_actors=400))
    held = held_area(world, DAYS[:1]).iloc[0]
    assert len(legend_texts(fig)) == int((held > 0).sum()) < 400


def test_animation_legend_lists_the_largest_and_the_others(world: controlmap.Timeline) -> None:
    dates = world.change_dates
    animator = _Animator(
        world, dates, (1080, 1080), style=Style(legend_actors=6),
        basemap=Basemap.empty(), title=None, credit=None, event_frames=0,
    )  # fmt: skip
    listed, others = expected_legend(world.area(dates).max(), 6)
    texts = legend_texts(animator.fig)
    assert len(texts) == 7 and texts[-1] == f"{others} others"
    assert texts[0] == listed[0]


@pytest.mark.parametrize("size", [(1080, 1080), (1920, 1080), (640, 640)])
def test_animation_legend_keeps_off_the_map(
    world: controlmap.Timeline, size: tuple[int, int]
) -> None:
    animator = _Animator(
        world, world.change_dates, size, style=DEFAULT_STYLE,
        basemap=Basemap.empty(), title=None, credit=None, event_frames=0,
    )  # fmt: skip
    fig = animator.fig
    animator.show(3)
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    # As many of the largest actors as fit (ten on a square frame), then the others.
    texts = legend_texts(fig)
    assert texts[-1].endswith(" others") and len(texts) >= (11 if size[0] == size[1] else 4)
    for ax in fig.axes:  # the map and the area chart
        assert not legend.overlaps(ax.get_tightbbox(renderer)), ax
    for text in (animator.date_text, animator.area_text):
        assert not legend.overlaps(text.get_window_extent(renderer))
    assert fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1, legend.y1)


def test_changes_legends_name_the_actors_with_most_change(
    world: controlmap.Timeline, tmp_path: Path
) -> None:
    # Ground gained and lost per actor, worked out here from the two snapshots.
    first, last = world.area(["1914-01-01", "1938-01-01"]).to_numpy()
    actors = list(world.actors)
    fig = changes_figure(world, "1914-01-01", "1938-01-01")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    named = {t.split(":")[0] for t in texts[:-1]}
    assert len(named) == 3 and re.fullmatch(r"\d+ others: [\d,]+ km²", texts[-1])
    # The Russian Empire lost all it held and the USSR gained most of it: both named.
    empire, ussr = (
        actors.index("Russian Empire"),
        actors.index("Union of Soviet Socialist Republics"),
    )
    assert first[empire] > 1e7 and last[empire] == 0 and last[ussr] > 1e7 and first[ussr] == 0
    assert {"Russian Empire", "Union of Soviet Socialist Republics"} <= named
    # A map of the world has no locator inset (it would be a dot).
    assert [a for a in fig.axes if a.get_gid() == "locator"] == []
    page = save(changes_map(world, "1914-01-01", "1938-01-01"), tmp_path / "changes.html")
    legend = payload_of(page.read_text(encoding="utf-8"))["legend"]
    assert legend[-1]["kind"] == "others" and len(legend) <= 3 * 3 + 1
    assert {row["label"].split(":")[0] for row in legend[:-1]} == named


# --------------------------------------------------------------------------- the chart
def test_area_chart_is_scaled_to_the_lines_it_draws(world: controlmap.Timeline) -> None:
    fig = area_chart(world)
    ax = fig.axes[0]
    area = world.area(world.change_dates)
    largest = float(area.max().max())
    bottom, top = ax.get_ylim()
    assert bottom == 0 and largest <= top <= 1.2 * largest
    assert top < 0.5 * float(area.sum(axis=1).max())  # not the sum of all actors
    drawn = [line for line in ax.get_lines() if str(line.get_gid()).startswith("line:")]
    assert len(drawn) == 11  # ten actors and the largest of the others
    assert ax.get_ylabel() == "million km² held"
    fig.canvas.draw()
    # Ticks in millions of km², up to the largest actor drawn.
    shown = [t for t in ax.get_yticklabels() if 0 <= t.get_position()[1] <= top]
    for label in shown:
        assert float(label.get_text()) * 1e6 == pytest.approx(label.get_position()[1])
    assert shown[0].get_text() == "0" and 0.6 * largest <= shown[-1].get_position()[1]


def test_area_chart_labels_stay_on_the_figure(world: controlmap.Timeline, tmp_path: Path) -> None:
    fig = area_chart(world)
    renderer = fig.canvas.get_renderer()
    tight = fig.get_tightbbox(renderer)
    width, height = fig.get_size_inches()
    assert tight.x0 >= 0 and tight.y0 >= 0 and tight.x1 <= width and tight.y1 <= height
    # Read back from the PNG: nothing drawn on the outermost pixels (nothing cut off).
    image = np.asarray(Image.open(save(fig, tmp_path / "chart.png")).convert("L"))
    edges = np.concatenate(
        [image[:3].ravel(), image[-3:].ravel(), image[:, :3].ravel(), image[:, -3:].ravel()]
    )
    assert edges.min() >= 250


# ------------------------------------------------------------------------------- fonts
def test_no_glyph_goes_missing(world: controlmap.Timeline) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in (area_chart(world), small_multiples(world, DAYS[:2])):
            for kind in ("png", "svg"):
                fig.savefig(io.BytesIO(), format=kind)
    assert [str(w.message) for w in caught] == []


def test_names_no_font_has_are_drawn_in_latin_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    from controlmap.render import _mpl

    monkeypatch.setattr(_mpl, "script_fonts", lambda: ())
    text, chain = drawable("大清帝國 (Qing)", ["DejaVu Sans"])
    assert text == "DaQingDiGuo (Qing)" and chain == ["DejaVu Sans"]
    assert drawable("Российская империя", ["DejaVu Sans"])[0] == "Российская империя"
    periods = controlmap.Timeline(
        __import__("geopandas").GeoDataFrame(
            {"actor": ["भारत", "ኢትዮጵያ"], "start": ["2020-01-01", "2020-01-01"]},
            geometry=[shapely.box(70, 20, 80, 30), shapely.box(35, 5, 45, 15)],
            crs=4326,
        )
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = small_multiples(periods, ["2020-01-01"], basemap=Basemap.empty())
        fig.savefig(io.BytesIO(), format="png")
    assert [str(w.message) for w in caught] == []
    assert set(legend_texts(fig)) == {"bhart", "'ityop'ya"}


def test_script_fonts_are_found_when_installed() -> None:
    # tools/setup.sh installs fonts-noto-core and fonts-droid-fallback for the tests.
    families = {family for family, _ in script_fonts()}
    assert {"Noto Sans Arabic", "Noto Sans Devanagari", "Droid Sans Fallback"} <= families
    text, chain = drawable("大清帝國", ["DejaVu Sans"])
    assert text == "大清帝國" and chain[0] == "DejaVu Sans" and len(chain) == 2
