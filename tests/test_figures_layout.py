"""Figures that need no redraw: labels that do not collide, headroom, legends, insets."""

from __future__ import annotations

from pathlib import Path

import pytest

import controlmap
from controlmap.render import area_chart, change_chart, changes_figure, save, small_multiples


def _boxes(fig, gid):  # type: ignore[no-untyped-def]
    renderer = fig.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in fig.findobj(lambda a: a.get_gid() == gid)]


def test_area_chart_labels_leaders_and_headroom(timeline: controlmap.Timeline) -> None:
    fig = area_chart(timeline)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = _boxes(fig, "event-label")
    leaders = [a for a in ax.lines if a.get_gid() == "event-leader"]
    assert len(labels) == len(leaders) >= 10
    for i, a in enumerate(labels):
        assert not any(a.overlaps(b) for b in labels[i + 1 :])
    # No leader runs through a label other than its own (it ends at its label's foot).
    for k, line in enumerate(leaders):
        (x, y0), (_, y1) = ax.transData.transform(line.get_xydata())
        for j, box in enumerate(labels):
            if j != k:
                inside = box.x0 + 1 < x < box.x1 - 1 and box.y0 + 1 < max(y0, y1)
                assert not (inside and min(y0, y1) < box.y1 - 1), (k, j)
    # Every label inside the axes, and the y axis not far above the data and labels.
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    assert all(b.y1 <= frame.y1 + 1 for b in labels)
    top = float(timeline.area(timeline.change_dates).sum(axis=1).max())
    assert ax.get_ylim()[1] <= top * 1.45
    # The legend sits under the chart, clear of the plot.
    legend = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    assert legend.y1 <= frame.y0


def test_maps_name_countries_and_changes_has_locator(timeline: controlmap.Timeline) -> None:
    fig = small_multiples(timeline, ["2015-06-01", "2017-07-10"])
    names = {t.get_gid() for t in fig.findobj(lambda a: str(a.get_gid()).startswith("country:"))}
    assert {"country:Iraq", "country:Syria"} <= names
    fig = changes_figure(timeline, "2015-01-01", "2018-02-01")
    locator = [a for a in fig.axes if a.get_gid() == "locator"]
    assert len(locator) == 1
    # The locator's red frame is the main map's extent, inside the locator's view.
    main = fig.axes[0]
    (x0, x1), (y0, y1) = main.get_xlim(), main.get_ylim()
    lx, ly = locator[0].get_xlim(), locator[0].get_ylim()
    assert lx[0] < x0 < x1 < lx[1] and ly[0] < y0 < y1 < ly[1]
    # The legend and the locator do not cover each other.
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = main.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(locator[0].get_window_extent(renderer))


def test_style_reaches_the_figures(timeline: controlmap.Timeline) -> None:
    from matplotlib.colors import to_hex

    from controlmap.render import Style

    house = Style(
        title="House title",
        credit="Graphic: The Daily",
        font_family="DejaVu Serif, serif",
        actor_colours=("#00aa00",),
        date_format="%B %-d, %Y",
    )
    fig = small_multiples(timeline, ["2017-07-10"], style=house)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert "House title" in texts and "Graphic: The Daily" in texts
    assert any(t.startswith("July 10, 2017") for t in texts)
    assert fig._suptitle.get_fontname() == "DejaVu Serif"
    ground = [c for c in fig.axes[0].collections if str(c.get_gid()).startswith("ground:")]
    assert ground and {to_hex(c.get_edgecolor()[0]) for c in ground} == {"#00aa00"}
    chart = area_chart(timeline, style=house)
    assert chart._suptitle.get_text() == "House title: area held"


def _outside(fig) -> list[str]:  # type: ignore[no-untyped-def]
    """Texts drawn (in part) off the figure, as the saved file has them."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    found = []
    for text in fig.findobj(lambda a: isinstance(a, Text) and a.get_visible() and a.get_text()):
        box = text.get_window_extent(renderer)
        if (
            box.x0 < page.x0 - 0.5
            or box.x1 > page.x1 + 0.5
            or box.y0 < -0.5
            or box.y1 > page.y1 + 0.5
        ):
            found.append(text.get_text())
    return found


def _edge_ink(path) -> int:  # type: ignore[no-untyped-def]
    """Pixels of the PNG's outermost two rows and columns that are not the background."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("L"), dtype=int)
    edges = np.concatenate(
        [pixels[:2].ravel(), pixels[-2:].ravel(), pixels[:, :2].ravel(), pixels[:, -2:].ravel()]
    )
    return int((edges < 250).sum())


@pytest.mark.parametrize("size", [(9.0, 4.8), (4.0, 5.0), (3.2, 4.6)])
@pytest.mark.parametrize("kind", ["area", "changes"])
def test_charts_keep_every_text_on_the_figure(
    timeline: controlmap.Timeline, tmp_path: Path, kind: str, size: tuple[float, float]
) -> None:
    # A phone-sized chart once cut its title, its legend and its credit at the right edge.
    if kind == "area":
        fig = area_chart(timeline, size=size)
    else:
        fig = change_chart(timeline, "QS", size=size)
    path = save(fig, tmp_path / f"{kind}.png", dpi=150)
    assert _outside(fig) == []
    assert _edge_ink(path) == 0
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(renderer)  # type: ignore[attr-defined]
    assert title.y0 >= fig.axes[0].get_tightbbox(renderer).y1 - 0.5  # the title above the chart
