"""Animations: the map over time as an MP4, WebM or looping GIF.

Each frame is the map on one date, with the date, the area held and the events of
the last few frames written on it, and a small chart of the area over time whose
marker moves with the date. Frames are drawn by matplotlib once per date (the base
map is drawn once; each period's ground is one collection shown or hidden) and
written by matplotlib's ``FFMpegWriter`` with the ffmpeg binary of the
``imageio-ffmpeg`` wheel (MP4, WebM: nothing is downloaded), or by Pillow (GIF,
one palette for all frames so colours do not flicker).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..._dates import DateLike, parse_date
from ..._text import printable
from ...errors import DataError, OutputError
from ...io import atomic_output
from ...model import Timeline
from .._basemap import Basemap
from .._mpl import drawable, drawable_texts, installed_fonts
from .._progress import progress_bar
from .._style import (
    Style,
    attrs_of,
    legend_actors,
    others_label,
    short_name,
    status_order,
    status_styles,
    style_or_default,
)
from ._draw import STATIC_TOLERANCE, Frame, add_polygons, gid, ground_style, paths, status_handle

__all__ = ["FORMATS", "SUFFIXES", "animate", "animation_dates"]

#: Frame sizes in pixels by name: a square for social posts, 16:9 for video.
FORMATS: dict[str, tuple[int, int]] = {"social": (1080, 1080), "video": (1920, 1080)}
SUFFIXES = (".mp4", ".webm", ".gif")
#: Opacity of solid ground, as in the figures.
ALPHA = 0.8
#: Pixels per inch of the frames: sizes below are in points of 1/72 inch.
DPI = 100
#: The most frames one animation may have (an hour at 24 frames a second is ample).
MAX_FRAMES = 86_400


def animation_dates(
    timeline: Timeline,
    *,
    freq: str | None = "MS",
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> pd.DatetimeIndex:
    """The dates of an animation's frames: a range at ``freq``, or the change dates.

    Parameters
    ----------
    timeline : Timeline
    freq : str or None
        A pandas frequency (``"MS"``: the first of each month, ``"W"``, ``"QS"``...);
        None: one frame per change date of the timeline.
    start, end : date, optional
        First and last date (default: the timeline's first and last change date).

    Examples
    --------
    >>> import controlmap
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> len(animation_dates(tl, start="2014-01-01", end="2014-12-31"))
    12
    """
    changes = timeline.change_dates
    if not len(changes):
        raise DataError("animate: the timeline has no dates")
    first = parse_date(start) if start is not None else changes[0]
    last = parse_date(end) if end is not None else changes[-1]
    if last < first:
        raise DataError(f"animate: the end {last:%Y-%m-%d} is before the start {first:%Y-%m-%d}")
    if freq is None:
        dates = changes[(changes >= first) & (changes <= last)]
    else:
        try:
            dates = pd.date_range(first, last, freq=freq)
        except ValueError:
            raise DataError(
                f"animate: {freq!r} is not a pandas frequency (e.g. MS, W, QS)"
            ) from None
    if not len(dates):
        raise DataError(
            f"animate: no frame between {first:%Y-%m-%d} and {last:%Y-%m-%d} at {freq or 'changes'}"
        )
    return pd.DatetimeIndex(dates)


@dataclass
class _Layout:
    """Where the parts of a frame go, in figure fractions (0 = left/bottom)."""

    map_box: tuple[float, float, float, float]
    chart_box: tuple[float, float, float, float]
    text_x: float
    title_y: float
    date_y: float
    credit_y: float
    legend_anchor: tuple[float, float]
    scale: float  # font scale: 1 for a 1080-pixel-high frame
    wrap: int  # characters per line of the title and events


def _layout(width: int, height: int) -> _Layout:
    scale = min(width, height) / 1080
    if width / height >= 1.4:  # landscape: text and chart in a column left of the map
        column = 0.3
        return _Layout(
            map_box=(column + 0.01, 0.02, 1 - column - 0.02, 0.96),
            chart_box=(0.035, 0.14, column - 0.05, 0.17),
            text_x=0.03,
            title_y=0.95,
            date_y=0.74,
            credit_y=0.025,
            legend_anchor=(0.03, 0.52),  # under two lines of event text
            scale=scale,
            wrap=max(20, int(column * width / (15 * scale))),
        )
    return _Layout(  # square or portrait: text on top, chart under the map
        map_box=(0.02, 0.18, 0.96, 0.54),
        chart_box=(0.08, 0.075, 0.88, 0.1),
        text_x=0.035,
        title_y=0.975,
        date_y=0.895,
        credit_y=0.012,
        legend_anchor=(0.965, 0.895),
        scale=scale,
        wrap=max(20, int(width / (15 * scale))),
    )


def _wrap(text: str, width: int, lines: int = 2) -> str:
    import textwrap

    wrapped = textwrap.wrap(text, width=width)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], textwrap.shorten(" ".join(wrapped[lines - 1 :]), width)]
    return "\n".join(wrapped)


def _event_texts(timeline: Timeline, dates: pd.DatetimeIndex, frames: int) -> list[str]:
    """The event text of each frame.

    An event shows from the first frame on or after its day for ``frames`` frames;
    when several fall together, the turning points.
    """
    texts: list[list[tuple[bool, str]]] = [[] for _ in dates]
    events = timeline.events
    if events is None or not len(events) or frames <= 0:
        return ["" for _ in dates]
    turning = (
        events["turning_point"].astype(bool)
        if "turning_point" in events.columns
        else pd.Series(False, index=events.index)
    )
    for day, label, key in zip(events["date"], events["label"], turning, strict=True):
        if pd.isna(day) or label is None or pd.isna(label) or not str(label).strip():
            continue
        first = int(dates.searchsorted(pd.Timestamp(day), side="left"))
        # An event after the last frame, or long before the first, shows on no frame.
        if first >= len(dates) or (
            first == 0 and pd.Timestamp(day) < dates[0] - pd.Timedelta(days=1)
        ):
            continue
        for k in range(first, min(first + frames, len(dates))):
            texts[k].append((bool(key), printable(str(label))))
    out = []
    for items in texts:
        chosen = [t for key, t in items if key] or [t for _, t in items]
        out.append("; ".join(dict.fromkeys(chosen[-2:])))
    return out


class _Animator:
    """A figure of one frame size whose ground, date and texts change per date."""

    def __init__(
        self,
        timeline: Timeline,
        dates: pd.DatetimeIndex,
        size: tuple[int, int],
        *,
        style: Style,
        basemap: Basemap,
        title: str | None,
        credit: str | None,
        event_frames: int,
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        self.dates = dates
        self.style = style
        width, height = size
        lay = _layout(width, height)
        s = lay.scale
        fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        canvas = FigureCanvasAgg(fig)
        fig.patch.set_facecolor("white")
        self.fig = fig
        ink, muted = style.ink, style.muted

        # The map: base once, then each period's ground as one hidden collection.
        frame = Frame(timeline, basemap)
        ax = fig.add_axes(lay.map_box)
        frame.draw(ax)
        frame.draw_countries(ax, font_size=10 * s)
        frame.draw_places(ax, font_size=11 * s)
        order = status_order(timeline._table["status"])
        styles = status_styles(order)
        colours = style.colours(timeline)
        periods = timeline.periods
        self.starts = pd.DatetimeIndex(periods["start"]).to_numpy()
        ends = pd.DatetimeIndex(periods["end"])
        # An open end as the last day numpy's unit of the dates can hold (filling with
        # pd.Timestamp.max, in nanoseconds, does not fit a datetime64[s] column).
        never = np.datetime64("9999-12-31").astype(ends.to_numpy().dtype)
        self.ends = np.where(ends.isna(), never, ends.to_numpy())
        self.ground: list[Any] = []
        rank = periods["status"].astype(str).map(order.index).to_numpy()
        simple = shapely.simplify(
            np.asarray(periods.geometry.values, dtype=object), STATIC_TOLERANCE / 2
        )
        for i, (actor, status) in enumerate(zip(periods["actor"], periods["status"], strict=True)):
            before = len(ax.collections)
            add_polygons(
                ax,
                paths([simple[i]]),
                **ground_style(colours[actor], styles[str(status)], alpha=ALPHA),
                zorder=3 + 0.01 * int(rank[i]),  # contested hatching over control
                gid=gid("ground", actor, status),
            )
            self.ground.append(ax.collections[-1] if len(ax.collections) > before else None)

        # Texts: title, the date, the area held, the event, the credit.
        font = installed_fonts(style)
        common: dict[str, Any] = {"family": font, "parse_math": False, "transform": fig.transFigure}
        fig.text(
            lay.text_x,
            lay.title_y,
            _wrap(printable(style.title_of(timeline, title)), lay.wrap),
            fontsize=21 * s,
            fontweight="bold",
            color=ink,
            va="top",
            linespacing=1.15,
            **common,
        )
        self.date_text = fig.text(
            lay.text_x, lay.date_y, "", fontsize=40 * s, fontweight="bold", color=ink,
            va="top", **common,
        )  # fmt: skip
        points = height / DPI * 72  # the frame's height in points

        def below(pts: float) -> float:
            return lay.date_y - pts * s / points

        self.area_text = fig.text(
            lay.text_x, below(58), "", fontsize=19 * s, color=ink, va="top", **common
        )
        self.status_text = fig.text(
            lay.text_x, below(84), "", fontsize=14 * s, color=muted, va="top", **common
        )
        self.event_text = fig.text(
            lay.text_x, below(112), "", fontsize=17 * s, color=style.accent, fontweight="bold",
            va="top", linespacing=1.2, **common,
        )  # fmt: skip
        self.wrap = lay.wrap
        credit_text = style.credit_of(timeline, credit)
        if credit_text:
            fig.text(
                lay.text_x, lay.credit_y, _wrap(printable(credit_text), int(lay.wrap * 1.5), 5),
                fontsize=9.5 * s, color=muted, va="bottom", **common,
            )  # fmt: skip

        # The legend beside the text it explains: actors, then statuses. The actors
        # holding ground on some frame, largest first (their most on any frame), at
        # most style.legend_actors of them; the rest one "N others" row.
        counted = [st for st in attrs_of(timeline).get("published_statuses", []) if st in order]
        area = timeline.area(dates, status=counted) if counted else timeline.area(dates)
        listed, others, _ = legend_actors(area.max(), style.legend_actors)

        def actor_handles(count: int) -> list[Any]:
            shown, rest = listed[:count], others + len(listed) - count
            handles: list[Any] = [
                Patch(facecolor=colours[a], edgecolor=colours[a], alpha=ALPHA,
                      label=short_name(printable(a)))
                for a in shown
            ]  # fmt: skip
            if rest:
                handles.append(
                    Patch(facecolor="#bdbdbd", edgecolor="#bdbdbd", alpha=ALPHA,
                          label=others_label(rest))
                )  # fmt: skip
            return handles

        if order != ["control"]:
            ink_status = colours[timeline.actors[0]] if len(timeline.actors) == 1 else muted
            choices = [[status_handle(st, ink_status, styles[st], alpha=ALPHA) for st in order]]
        else:
            choices = [actor_handles(k) for k in range(len(listed), 0, -1)] or [actor_handles(0)]
        landscape = width / height >= 1.4
        # The legend keeps to its band (beside the text, clear of the map and the
        # chart): more columns and smaller type while it does not fit, then fewer
        # actors listed (the others' row counts the rest).
        if landscape:
            room = (
                0.02 * width,
                (lay.chart_box[1] + lay.chart_box[3]) * height + 34 * s,
                lay.map_box[0] * width,
                lay.legend_anchor[1] * height + 2,
            )
        else:
            room = (0.4 * width, (lay.map_box[1] + lay.map_box[3]) * height + 4,
                    width, lay.legend_anchor[1] * height + 2)  # fmt: skip
        sizes = ((1, 14), (2, 14), (2, 12), (2, 11), (3, 11), (2, 10), (3, 10), (3, 9))
        for handles in choices:
            for ncol, points in sizes:
                legend = fig.legend(
                    handles=handles,
                    loc="upper left" if landscape else "upper right",
                    bbox_to_anchor=lay.legend_anchor,
                    frameon=False,
                    ncol=ncol,
                    handlelength=1.6,
                    prop={"family": font, "size": points * s},
                )
                drawable_texts(legend)
                box = legend.get_window_extent(canvas.get_renderer())
                if (box.x0 >= room[0] and box.y0 >= room[1] and box.x1 <= room[2]
                        and box.y1 <= room[3]):  # fmt: skip
                    break
                legend.remove()
            else:
                continue
            break
        else:
            fig.legends.append(legend)  # the smallest, where nothing fits

        # The area held over the whole span, with a marker at the frame's date.
        # "Held" counts the statuses published figures count (attrs), else all.
        self.total = area.sum(axis=1).to_numpy(dtype=float)
        self.by_status = (
            {st: timeline.area(dates, status=st).sum(axis=1).to_numpy(dtype=float) for st in order}
            if order != ["control"]
            else {}
        )
        chart = fig.add_axes(lay.chart_box)
        days = dates.to_numpy()
        main = colours[timeline.actors[0]] if len(timeline.actors) == 1 else ink
        chart.fill_between(days, self.total, color=main, alpha=0.25, linewidth=0)
        chart.plot(days, self.total, color=main, linewidth=1.6 * s)
        top = float(self.total.max()) if len(self.total) else 0.0
        chart.set_ylim(0, top * 1.15 if top > 0 else 1)
        chart.set_xlim(days[0], days[-1] if len(days) > 1 else days[0] + np.timedelta64(1, "D"))
        chart.set_yticks([])
        for side in ("top", "right", "left"):
            chart.spines[side].set_visible(False)
        chart.spines["bottom"].set_color(muted)
        years = pd.date_range(dates[0], dates[-1], freq="YS")
        # A label every 1, 2, 5, 10... years: at most about ten along the axis.
        step = next(n for n in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9)
                    if len(years) / n <= 10)  # fmt: skip
        years = years[years.year % step == 0]
        chart.set_xticks(years.to_numpy(), [str(y.year) for y in years])
        chart.set_xlim(days[0], days[-1] if len(days) > 1 else days[0] + np.timedelta64(1, "D"))
        chart.tick_params(axis="x", labelsize=11 * s, colors=muted, length=3 * s)
        for label in chart.get_xticklabels():
            label.set_fontfamily(font)
        chart.text(
            0, 1.04, "km² held", transform=chart.transAxes, fontsize=11 * s, color=muted,
            family=font, va="bottom",
        )  # fmt: skip
        (self.marker,) = chart.plot([days[0]], [self.total[0]], "o", color=main, markersize=7 * s)
        self.cursor = chart.axvline(days[0], color=ink, linewidth=0.8 * s, alpha=0.6)
        self.events = _event_texts(timeline, dates, event_frames)
        # Names in scripts the house font lacks: a font that has them, else Latin letters.
        drawable_texts(fig)
        self.events = [drawable(text, font)[0] for text in self.events]
        self.event_text.set_fontfamily(drawable("".join(self.events), font)[1])

    def show(self, k: int) -> None:
        """Set the figure to frame ``k``."""
        day = self.dates[k].to_datetime64()
        on = (self.starts <= day) & (day < self.ends)
        for visible, collection in zip(on, self.ground, strict=True):
            if collection is not None:
                collection.set_visible(bool(visible))
        self.date_text.set_text(self.style.date(self.dates[k]))
        self.area_text.set_text(f"{self.total[k]:,.0f} km² held")
        parts = [f"{v[k]:,.0f} {st}" for st, v in self.by_status.items() if v[k] > 0.5]
        self.status_text.set_text(" · ".join(parts))
        self.event_text.set_text(_wrap(self.events[k], self.wrap))
        self.marker.set_data([day], [self.total[k]])
        self.cursor.set_xdata([day, day])


def _size(size: str | tuple[int, int]) -> tuple[int, int]:
    if isinstance(size, str):
        if size not in FORMATS:
            raise OutputError(
                f"animate: size {size!r} is not one of {', '.join(FORMATS)} or (width, height)"
            )
        return FORMATS[size]
    width, height = (int(v) for v in size)
    if not (160 <= width <= 3840 and 160 <= height <= 3840):
        raise OutputError(f"animate: {width} x {height} pixels; each side must be 160 to 3840")
    # H.264 in yuv420p needs even sides.
    return width - width % 2, height - height % 2


def _write_video(animator: _Animator, target: Path, order: Iterable[int], fps: float) -> None:
    import imageio_ffmpeg
    import matplotlib
    from matplotlib.animation import FFMpegWriter

    if target.suffix.lower() == ".webm":
        codec, args = "libvpx-vp9", ["-crf", "38", "-b:v", "0", "-row-mt", "1"]
    else:
        codec, args = "libx264", ["-crf", "26", "-preset", "medium", "-movflags", "+faststart"]
    args += ["-pix_fmt", "yuv420p"]
    with matplotlib.rc_context({"animation.ffmpeg_path": imageio_ffmpeg.get_ffmpeg_exe()}):
        writer = FFMpegWriter(
            fps=fps,  # type: ignore[arg-type]  # ffmpeg takes any rate
            codec=codec,
            extra_args=args,
        )
        with writer.saving(animator.fig, str(target), dpi=DPI):
            for k in order:
                animator.show(k)
                writer.grab_frame(facecolor="white")


def _write_gif(animator: _Animator, target: Path, order: Iterable[int], fps: float) -> None:
    from PIL import Image

    canvas: Any = animator.fig.canvas  # the Agg canvas the animator made
    frames: list[Any] = []
    shown: list[int] = []
    durations: list[int] = []
    step = round(1000 / fps)
    for k in order:
        if shown and shown[-1] == k:  # a held frame: the GIF shows the last one longer
            durations[-1] += step
            continue
        shown.append(k)
        durations.append(step)
        animator.show(k)
        canvas.draw()
        frames.append(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()))
        frames[-1] = frames[-1].convert("RGB")
    # One palette for every frame, from the frames of least and most ground, so a
    # colour keeps its index and unchanged pixels compress to nothing between frames.
    sample = [frames[0], frames[int(np.argmax(animator.total[shown]))], frames[-1]]
    strip = Image.new("RGB", (sample[0].width, sample[0].height * len(sample)))
    for i, image in enumerate(sample):
        strip.paste(image, (0, i * image.height))
    palette = strip.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    indexed = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    indexed[0].save(
        target,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )


def animate(
    timeline: Timeline,
    path: str | os.PathLike[str],
    *,
    freq: str | None = "MS",
    dates: Sequence[DateLike] | pd.DatetimeIndex | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    size: str | tuple[int, int] = "social",
    fps: float = 4,
    hold: int = 6,
    event_frames: int = 4,
    title: str | None = None,
    credit: str | None = None,
    style: Style | None = None,
    basemap: Basemap | None = None,
    progress: bool | None = None,
) -> Path:
    """Write the map over time as an MP4, WebM or looping GIF.

    Parameters
    ----------
    timeline : Timeline
    path : path-like
        ``.mp4`` (H.264), ``.webm`` (VP9) or ``.gif``; replaced only by a complete file.
    freq : str or None
        One frame per step of this pandas frequency (default ``"MS"``, monthly);
        None: one frame per change date.
    dates : sequence of dates, optional
        The frames' dates, instead of ``freq``, ``start`` and ``end``.
    start, end : date, optional
        First and last date (default: the timeline's first and last change).
    size : "social", "video" or (width, height)
        1080 x 1080 pixels, 1920 x 1080, or a size of your own.
    fps : float
        Frames per second.
    hold : int
        Extra frames of the last date, so a loop rests on the result.
    event_frames : int
        How many frames an event's text stays from its date on.
    title, credit : str, optional
        Override the style's and the timeline's (``attrs``) title and credit.
    style : Style, optional
        Fonts, colours and date format (default: controlmap's).
    basemap : Basemap, optional
        Outlines and places (default: the base map ``timeline.attrs`` names).
    progress : bool or None
        A progress bar on stderr (None: only on a terminal).

    Returns
    -------
    pathlib.Path
        ``path``. A video has one frame per date, then ``hold`` more of the last; a
        GIF one frame per date, the last shown ``hold`` frames longer.

    Examples
    --------
    >>> import controlmap, tempfile, pathlib
    >>> from controlmap.render import animate
    >>> tl = controlmap.load_dataset("islamic-state")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "is.gif"
    >>> animate(tl, out, start="2014-01-01", end="2014-03-01", size=(320, 320), hold=0).name
    'is.gif'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise OutputError(f"{target}: an animation is written as .mp4, .webm or .gif")
    if not (0 < fps <= 60) or not math.isfinite(fps):
        raise OutputError(f"{target}: fps must be above 0 and at most 60, not {fps}")
    if hold < 0 or event_frames < 0:
        raise OutputError(f"{target}: hold and event_frames must not be negative")
    width, height = _size(size)
    if dates is not None:
        days = pd.DatetimeIndex([parse_date(d) for d in dates])
        if not len(days):
            raise DataError("animate: no dates to draw")
    else:
        days = animation_dates(timeline, freq=freq, start=start, end=end)
    if len(days) + hold > MAX_FRAMES:
        raise OutputError(f"{target}: {len(days) + hold} frames is more than {MAX_FRAMES}")
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        animator = _Animator(
            timeline,
            days,
            (width, height),
            style=style_or_default(style),
            basemap=Basemap.for_timeline(timeline, basemap),
            title=title,
            credit=credit,
            event_frames=event_frames,
        )
        order = [*range(len(days)), *[len(days) - 1] * hold]
        frames = progress_bar(order, enabled=progress, description="frames")
        with atomic_output(target) as temporary:
            if suffix == ".gif":
                _write_gif(animator, temporary, frames, fps)
            else:
                _write_video(animator, temporary, frames, fps)
    return target
