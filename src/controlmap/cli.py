"""The ``controlmap`` command line: a thin shell over the library.

Every command is one library call plus formatting. ``SOURCE`` is a file path or the
name of a bundled data set (``islamic-state``). Errors print one short message on
stderr and exit with code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import io
import re
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow

from . import __version__
from ._atomic import atomic_output
from ._dates import format_date, parse_date
from ._dissolve import DEFAULT_MIN_HOLE_KM2
from ._extras import extra_of, missing_extra
from ._text import CONTROL, printable
from .datasets import DATASETS, TABLES, dataset_key, dataset_path, load_dataset
from .errors import (
    ControlMapError,
    ControlMapWarning,
    DataError,
    MissingExtraError,
    OutputError,
    one_line,
    some,
)
from .io import geojson_chunks, read_file, validate, write_periods, write_snapshot
from .io.validation import counts_against_file
from .model import Timeline
from .repair import repair
from .repair import summary as repair_summary

EXIT_ERROR = 2  # bad input, or a command that cannot run
EXIT_STRICT = 1  # validate --strict: the file reads, but with warnings


# ---------------------------------------------------------------------------- helpers
def say(text: str, file: Any = None) -> None:
    r"""Print one line for a person, control characters from data shown as escapes.

    Names, file names and messages may come from a hostile file; raw, an ESC
    sequence in them would act on the terminal (retitle it, clear the screen).

    Examples
    --------
    >>> say("actor: A\x1b[2J")
    actor: A\x1b[2J
    """
    print(printable(text), file=sys.stdout if file is None else file)


def _json_escaped(chunk: str) -> str:
    # JSON text holds raw characters only inside strings, where json.dumps already
    # escaped C0; the rest of CONTROL (DEL, C1, bidi, separators) written as \uXXXX
    # means the same to a JSON reader and does nothing to a terminal.
    return CONTROL.sub(
        lambda m: m.group() if m.group() in "\t\n\r" else f"\\u{ord(m.group()):04x}", chunk
    )


def open_source(source: str, **options: Any) -> Timeline:
    """A timeline from a file path or a bundled data-set name."""
    path = Path(source)
    if path.exists():
        return read_file(path, **options)
    key = dataset_key(source)
    if key in DATASETS:
        return load_dataset(key)
    if key in TABLES:
        raise DataError(
            f"{source}: a table of countries, not a timeline; "
            "use 'controlmap fighters' or 'controlmap fighters-map'"
        )
    known = ", ".join(sorted(DATASETS))
    raise DataError(f"{source}: no such file, and not a bundled data set ({known})")


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "actor": args.actor_field,
        "start": args.start_field,
        "end": args.end_field,
        "status": args.status_field,
        "layer": args.layer,
        "crs": args.crs,
    }


# The library's messages spell a hint as Python (``pass actor='<field>'``, ``layer=``,
# ``min_change_km2=0.5``); the CLI shows the flag of the command that was run instead.
# Each table maps a library keyword to the command's flag (and its metavar).
READ_FLAGS = {
    "actor": "--actor-field FIELD",
    "start": "--start-field FIELD",
    "end": "--end-field FIELD",
    "status": "--status-field FIELD",
    "layer": "--layer NAME",
    "crs": "--crs CRS",
}
SNAPSHOTS_FLAGS = {
    "actor": "--actor-field FIELD",
    "default_actor": "--actor NAME",
    "date": "--date-field FIELD",
    "status": "--status-field FIELD",
    "layer": "--layer NAME",
    "where": "--drop",
    "end": "--end DATE",
    "pattern": "--pattern REGEX",
    "min_change_km2": "--min-change-km2 KM2",
}
_HINT = re.compile(
    r"(?<!\w)'(?:[^'\\]|\\.)*'(?!\w)"  # quoted data (a value, a name) is left as it is
    r"|(?<![\w/.=-])(?P<keyword>[a-z_][a-z0-9_]*)="
    r"(?:'<[a-z _]+>'|(?P<value>[0-9][^\s,;)]*)|(?=[\s),;:]|$))"
)


def cli_spelling(message: str, flags: dict[str, str]) -> str:
    """A library message with its Python-spelled hints given as the command's flags.

    Examples
    --------
    >>> cli_spelling("no 'x' field (pass actor='<field>' to use another)", READ_FLAGS)
    "no 'x' field (pass --actor-field FIELD to use another)"
    >>> cli_spelling("a.gpkg: choose one with layer=; 'actor=x' kept", READ_FLAGS)
    "a.gpkg: choose one with --layer NAME; 'actor=x' kept"
    >>> cli_spelling("a day's map, the file's 'x', min_change_km2=0.5", SNAPSHOTS_FLAGS)
    "a day's map, the file's 'x', --min-change-km2 0.5"
    """

    def replace(match: re.Match[str]) -> str:
        flag = flags.get(match["keyword"] or "")
        if flag is None:
            return match.group()  # quoted data, or a keyword this command has no flag for
        if match["value"] is not None:
            return f"{flag.split()[0]} {match['value']}"
        return flag

    return _HINT.sub(replace, message)


# Options holding dates (argparse dest -> flag), checked before anything is read so that
# a bad one is named as the person typed it: "--date '-0044-03-15' is before 1 AD...".
DATE_OPTIONS = {"date": "--date", "date_from": "--from", "date_to": "--to", "end": "--end"}
DATE_LIST_OPTIONS = {"dates": "--dates", "snapshots": "--snapshots"}


def _check_dates(args: argparse.Namespace) -> None:
    for dest, flag in DATE_OPTIONS.items():
        if getattr(args, dest, None) is not None:
            parse_date(getattr(args, dest), what=flag)
    for dest, flag in DATE_LIST_OPTIONS.items():
        if getattr(args, dest, None) is not None:
            _date_list(getattr(args, dest), flag)


def _date_list(text: str, option: str) -> list[pd.Timestamp]:
    dates = [parse_date(part, what=option) for part in text.split(",") if part.strip()]
    if not dates:
        raise DataError(f"{option} {text!r}: no dates given")
    return dates


def _write_frame_or_stdout(frame: Any, output: str | None) -> None:
    if output is None:
        sys.stdout.writelines(_json_escaped(chunk) for chunk in geojson_chunks(frame))
    else:
        write_snapshot(frame, output)
        say(f"wrote {output} ({len(frame)} features)", file=sys.stderr)


def _write_csv(table: pd.DataFrame, output: str | None) -> None:
    buffer = io.StringIO()
    table.to_csv(buffer, float_format="%.3f", index=False)
    if output is None:
        text = buffer.getvalue()
        # CSV is data, kept as it is for a pipe or a file; a terminal shows escapes.
        sys.stdout.write(printable(text, keep="\n") if sys.stdout.isatty() else text)
        return
    if Path(output).suffix.lower() != ".csv":
        raise OutputError(f"{output}: the table is written as CSV; name the file .csv")
    with atomic_output(output) as temporary:
        temporary.write_text(buffer.getvalue(), encoding="utf-8")
    say(f"wrote {output} ({len(table)} rows)", file=sys.stderr)


def area_table(series: pd.DataFrame) -> pd.DataFrame:
    """An area DataFrame as a flat table: a ``date`` column then one column per actor."""
    table = series.copy()
    if isinstance(table.columns, pd.MultiIndex):
        table.columns = [" / ".join(map(str, c)) for c in table.columns]
    table.columns = [str(c) for c in table.columns]
    table.insert(0, "date", [format_date(day) for day in table.index])
    return table.reset_index(drop=True)


# ---------------------------------------------------------------------------- commands
def cmd_snapshot(args: argparse.Namespace) -> None:
    """What each actor held on one date."""
    timeline = open_source(args.source, **_read_options(args))
    snapshot = timeline.at(
        args.date, min_hole_km2=args.min_hole_km2, min_part_km2=args.min_part_km2
    )
    _write_frame_or_stdout(snapshot, args.output)


def cmd_area(args: argparse.Namespace) -> None:
    """Area held over time as CSV."""
    if args.dates is not None and (args.date_from or args.date_to or args.freq):
        raise DataError("area: give --dates, or --from/--to/--freq, not both")
    timeline = open_source(args.source, **_read_options(args))
    dates = _date_list(args.dates, "--dates") if args.dates is not None else None
    series = timeline.area(dates, start=args.date_from, end=args.date_to, freq=args.freq)
    _write_csv(area_table(series), args.output)


def cmd_changes(args: argparse.Namespace) -> None:
    """Ground gained and lost between two dates, or km² gained/lost per step of --freq."""
    timeline = open_source(args.source, **_read_options(args))
    if args.freq is not None:
        table = timeline.change_series(
            freq=args.freq,
            start=args.date_from,
            end=args.date_to,
            min_change_km2=args.min_change_km2,
        )
        table["start"] = [format_date(day) for day in table["start"]]
        table["end"] = [format_date(day) for day in table["end"]]
        _write_csv(table, args.output)
        return
    if args.date_from is None or args.date_to is None:
        raise DataError("changes: give --from and --to (two dates), or --freq (a series)")
    found = timeline.changes(args.date_from, args.date_to, min_change_km2=args.min_change_km2)
    _write_frame_or_stdout(found, args.output)


def _field_values(text: str, option: str) -> tuple[str, list[str]]:
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise DataError(f"{option} {text!r}: write FIELD=VALUE[,VALUE...]")
    return name.strip(), [v.strip() for v in values.split(",")]


def cmd_from_snapshots(args: argparse.Namespace) -> None:
    """A folder of dated maps (or one file with a date column) as a compact timeline."""
    from .archive import DEFAULT_PATTERN, read_snapshots

    drops = [_field_values(text, "--drop") for text in args.drop or []]

    def where(frame: pd.DataFrame) -> Any:
        keep = pd.Series(True, index=frame.index)
        for name, values in drops:
            if name not in frame.columns:
                fields = [c for c in frame.columns if c != frame.geometry.name]
                raise DataError(f"no field {name!r}; fields are [{some(fields)}]")
            keep &= ~frame[name].astype(str).isin(values)
        return keep.to_numpy()

    timeline = read_snapshots(
        args.source,
        pattern=args.pattern or DEFAULT_PATTERN,
        date=args.date_field,
        actor=args.actor_field,
        status=args.status_field,
        default_actor=args.actor,
        where=where if drops else None,
        layer=args.layer,
        end=args.end,
        min_change_km2=args.min_change_km2,
    )
    write_periods(timeline, args.output)
    if timeline.snapshot_report is not None:
        say(cli_spelling(timeline.snapshot_report.summary(), args.flags), file=sys.stderr)
    say(f"wrote {args.output} ({len(timeline)} periods)", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> None:
    """The whole timeline as GeoJSON, GeoPackage or GeoParquet."""
    timeline = open_source(args.source, **_read_options(args))
    snapshots = _date_list(args.snapshots, "--snapshots") if args.snapshots is not None else None
    kepler = args.for_tool == "kepler"
    write_periods(timeline, args.output, snapshots=snapshots, kepler=kepler)
    say(f"wrote {args.output} ({len(timeline)} periods)", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 when the source is a valid timeline, 2 with the first problem otherwise.

    Warnings (rings wound against RFC 7946, a layer picked out of several) are printed
    and do not fail the file, unless ``--strict``: then the exit code is 1, which tells a
    script "valid, but warned" apart from "not valid" (2).
    """
    path = Path(args.source)
    if not path.exists() and dataset_key(args.source) in DATASETS:
        path = dataset_path(args.source)  # a bundled timeline is checked like any file
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if path.exists():
            timeline = validate(path, **_read_options(args))
        else:
            timeline = open_source(args.source)
    counted = [w for w in caught if counts_against_file(w.category)]
    for warning in caught:
        if warning in counted or issubclass(warning.category, ControlMapWarning):
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if args.strict and counted:
        say(
            f"controlmap: error: {args.source}: {len(counted)} warning(s), and --strict"
            " makes warnings fail",
            file=sys.stderr,
        )
        return EXIT_STRICT
    warned = f"; {len(counted)} warning(s)" if counted else ""
    say(f"{args.source}: valid ({len(timeline)} periods, {len(timeline.actors)} actors{warned})")
    return 0


def cmd_info(args: argparse.Namespace) -> None:
    """Actors, date range, counts and peak area."""
    timeline = open_source(args.source, **_read_options(args))
    first, last = timeline.span
    peaks = timeline.peaks()
    say(f"source:   {args.source}")
    say(f"periods:  {len(timeline)}")
    say(f"changes:  {len(timeline.change_dates)} dates")
    say(f"from:     {format_date(first)}")
    say(f"until:    {'open (still held)' if pd.isna(last) else format_date(last)}")
    say("actors:")
    days = dict(zip(peaks.index, pd.DatetimeIndex(peaks["date"]), strict=True))
    km2 = dict(zip(peaks.index, peaks["area_km2"].to_numpy(dtype=float), strict=True))
    for actor in timeline.actors:
        say(f"  {actor}: peak {km2[actor]:,.0f} km² on {format_date(days[actor])}")


def cmd_fighters(args: argparse.Namespace) -> None:
    """The foreign-fighter table with totals per basis group, as CSV."""
    from .datasets import fighters_table

    table = fighters_table(sort=args.sort)
    # Shares are fractions: keep three decimals; counts are whole numbers already.
    _write_csv(table, args.output)


def cmd_fighters_map(args: argparse.Namespace) -> None:
    """The foreign-fighter flows as an interactive HTML map or a static PNG/SVG figure."""
    from .render import fighters_figure, fighters_map, save

    region = _bbox(args.region) if args.region and "," in args.region else args.region
    suffix = Path(args.output).suffix.lower()
    if suffix in (".html", ".htm"):
        drawn: Any = fighters_map(
            region=region,
            arcs=args.arcs,
            date=args.date,
            self_contained=_self_contained(args),
        )
    elif suffix in (".png", ".svg", ".pdf"):
        drawn = fighters_figure(region=region or "world", arcs=args.arcs, date=args.date)
    else:
        raise OutputError(f"{args.output}: write the map as .html, .png, .svg or .pdf")
    path = save(drawn, args.output)
    say(f"wrote {path}", file=sys.stderr)


def _self_contained(args: argparse.Namespace) -> bool:
    """The page's --self-contained choice; --linked is its deprecated opposite."""
    if getattr(args, "linked", False):
        say(
            "warning: --linked is deprecated and goes in the next release; use --no-self-contained",
            file=sys.stderr,
        )
        return False
    return bool(args.self_contained)


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise DataError(f"--region {text!r}: give a name or west,south,east,north") from None
    return west, south, east, north


def cmd_repair(args: argparse.Namespace) -> None:
    """Write a copy with every polygon made valid; print what changed, counted."""
    changes = repair(args.source, args.output)
    if args.verbose:
        for change in changes:
            say(str(change))
    say(f"{repair_summary(changes)}; wrote {args.output}", file=sys.stderr)


def cmd_map(args: argparse.Namespace) -> None:
    """An interactive HTML map: time slider, one date, or the changes between two."""
    from .render import changes_map, save, snapshot_map, timeline_map

    if args.date and (args.date_from or args.date_to):
        raise DataError("map: give --date, or --from and --to, not both")
    if bool(args.date_from) != bool(args.date_to):
        raise DataError("map: --from and --to go together (the changes between two dates)")
    if Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{args.output}: a map is a web page; name the file .html")
    timeline = open_source(args.source, **_read_options(args))
    options = {"self_contained": _self_contained(args), "title": args.title}
    if args.date:
        fmap = snapshot_map(timeline, args.date, **options)
    elif args.date_from:
        fmap = changes_map(timeline, args.date_from, args.date_to, **options)
    else:
        fmap = timeline_map(timeline, **options)
    path = save(fmap, args.output)
    say(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)


def cmd_figure(args: argparse.Namespace) -> None:
    """A static figure: small multiples of maps, the area chart, or the change chart."""
    from .render import area_chart, change_chart, save, small_multiples

    if Path(args.output).suffix.lower() not in (".png", ".svg"):
        raise OutputError(f"{args.output}: figures are written as .png or .svg")
    if args.kind != "changes" and (args.freq or args.date_from or args.date_to):
        raise DataError("figure: --freq, --from and --to apply to --kind changes")
    if args.kind != "maps" and args.dates:
        raise DataError(f"figure: --dates applies to --kind maps, not {args.kind}")
    if args.kind == "maps" and args.size:
        raise DataError("figure: --size applies to --kind area and changes (maps size by --ncols)")
    from .render._mpl import CHART_SIZE

    size = _inches(args.size) if args.size else CHART_SIZE
    timeline = open_source(args.source, **_read_options(args))
    if args.kind == "area":
        fig = area_chart(timeline, title=args.title, size=size)
    elif args.kind == "changes":
        fig = change_chart(
            timeline,
            args.freq or "W",
            start=args.date_from,
            end=args.date_to,
            title=args.title,
            size=size,
        )
    else:
        dates = _date_list(args.dates, "--dates") if args.dates is not None else None
        fig = small_multiples(timeline, dates, ncols=args.ncols, title=args.title, progress=None)
    path = save(fig, args.output, dpi=args.dpi)
    say(f"wrote {path}", file=sys.stderr)


def _inches(text: str) -> tuple[float, float]:
    """``--size 4x5``: width and height in inches, checked as the charts check them."""
    from .render._mpl import chart_size

    try:
        width, height = (float(side) for side in text.lower().split("x"))
    except ValueError:
        raise DataError(f"--size {text!r}: give width and height in inches, as 4x5") from None
    return chart_size((width, height), "--size")


def cmd_animate(args: argparse.Namespace) -> None:
    """The map over time as an MP4, WebM or GIF, one frame per step."""
    from .render import animate

    if Path(args.output).suffix.lower() not in (".mp4", ".webm", ".gif"):
        raise OutputError(f"{args.output}: an animation is written as .mp4, .webm or .gif")
    timeline = open_source(args.source, **_read_options(args))
    freq = None if args.freq in ("changes", "change") else args.freq
    path = animate(
        timeline,
        args.output,
        freq=freq,
        start=args.date_from,
        end=args.date_to,
        size=args.size,
        fps=args.fps,
        title=args.title,
        progress=None,
    )
    say(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> None:
    """Maps, snapshots, area table and figures of a timeline in one folder."""
    from .render import write_report

    timeline = open_source(args.source, **_read_options(args))
    written = write_report(timeline, args.output, self_contained=_self_contained(args))
    say(f"wrote {len(written)} files to {args.output}", file=sys.stderr)


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a timeline against dated point observations; exit 1 when any disagree."""
    from .verify import verify

    timeline = open_source(args.source, **_read_options(args))
    result = verify(timeline, args.observations)
    wrong = result[~result["agrees"]]
    if args.output:
        table = pd.DataFrame(result.drop(columns="geometry"))
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        table["nearest_change"] = table["nearest_change"].dt.strftime("%Y-%m-%d")
        _write_csv(table, args.output)
    if len(wrong):
        shown = ["place", "date", "actor", "status", "held_by", "distance_km", "days_to_change"]
        table = pd.DataFrame(wrong[[c for c in shown if c in wrong.columns]])
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        if "distance_km" in table:
            table["distance_km"] = table["distance_km"].round(1)
        table = table.astype(object).where(table.notna(), "")  # no "None" for a blank
        with pd.option_context("display.width", 200, "display.max_colwidth", 40):
            text = table.to_string(index=False, na_rep="", float_format=lambda v: f"{v:,.1f}")
            for line in text.splitlines():
                say(line)
    say(f"{len(result) - len(wrong)} of {len(result)} observations agree")
    return 1 if len(wrong) else 0


# ---------------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """argparse with control characters of the arguments it quotes shown as escapes.

    "unrecognized arguments: ..." repeats arguments as given, and an argument may
    be a hostile file name.
    """

    def _print_message(self, message: str, file: Any = None) -> None:
        super()._print_message(printable(message, keep="\n"), file)


def _source_command(
    sub: Any, name: str, func: Callable[[argparse.Namespace], int | None], help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("source", metavar="SOURCE", help="a vector file or a bundled data-set name")
    fields = parser.add_argument_group("field names")
    fields.add_argument("--actor-field", default="actor", help="field naming the actor")
    fields.add_argument("--start-field", default="start", help="field holding the start date")
    fields.add_argument("--end-field", default="end", help="field holding the end date")
    fields.add_argument("--status-field", default="status", help="field holding the status")
    parser.add_argument("--layer", help="the layer of a multi-layer file (default: the first)")
    parser.add_argument(
        "--crs", help="the CRS of a file that declares none (e.g. EPSG:32637); reprojected"
    )
    parser.set_defaults(func=func, flags=READ_FLAGS)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``controlmap`` command."""
    parser = _Parser(
        prog="controlmap",
        description="Territorial-control timelines: snapshots, areas, changes, maps.",
        epilog="exit codes: 0 done; 1 a check found something (validate --strict: warnings;"
        " verify: disagreements); 2 an error, said in one line (bad input, a missing extra)",
    )
    parser.add_argument("--version", action="version", version=f"controlmap {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _source_command(sub, "snapshot", cmd_snapshot, "what each actor held on one date")
    p.add_argument("--date", required=True, help="the date (YYYY-MM-DD)")
    p.add_argument("-o", "--output", help="GeoJSON or GeoPackage file (default: GeoJSON on stdout)")
    p.add_argument(
        "--min-hole-km2",
        type=float,
        default=DEFAULT_MIN_HOLE_KM2,
        help="fill holes under this area that no other row holds, km² (default"
        f" {DEFAULT_MIN_HOLE_KM2:g}; 0 keeps every hole)",
    )
    p.add_argument(
        "--min-part-km2",
        type=float,
        default=0.0,
        help="drop parts under this area, km² (default 0: keep every part)",
    )

    p = _source_command(sub, "area", cmd_area, "area held over time, as CSV (km²)")
    p.add_argument("--dates", help="comma-separated dates")
    p.add_argument("--from", dest="date_from", help="first date of a range")
    p.add_argument("--to", dest="date_to", help="last date of a range")
    p.add_argument("--freq", help="pandas frequency of the range, e.g. D, MS, YS")
    p.add_argument("-o", "--output", help="CSV file (default: stdout)")

    p = _source_command(
        sub, "changes", cmd_changes, "ground gained and lost between two dates, or per --freq step"
    )
    p.add_argument("--from", dest="date_from", help="first date")
    p.add_argument("--to", dest="date_to", help="second date")
    p.add_argument("--freq", help="a CSV of km² gained/lost/net per step instead, e.g. D, W, MS")
    p.add_argument("-o", "--output", help="GeoJSON/GeoPackage (CSV with --freq); default: stdout")
    p.add_argument(
        "--min-change-km2",
        "--min-area-km2",
        dest="min_change_km2",
        type=float,
        default=0.0,
        help="slivers: leave out gained/lost parts under this area, km² (default 0: keep all)",
    )

    text = "a folder of one-map-a-day files (or one file with a date column) as a timeline"
    p = sub.add_parser("from-snapshots", help=text, description=text)
    p.set_defaults(func=cmd_from_snapshots, flags=SNAPSHOTS_FLAGS)
    p.add_argument("source", metavar="FOLDER", help="a folder, a glob or one dated file")
    p.add_argument("-o", "--output", required=True, help=".geojson, .gpkg or .parquet")
    p.add_argument("--pattern", help="regular expression finding the date in file names")
    p.add_argument("--date-field", help="one file: the field holding each feature's date")
    p.add_argument("--actor-field", default="actor", help="field naming the actor")
    p.add_argument("--status-field", default="status", help="field holding the status")
    p.add_argument("--actor", help="the actor holding everything, for maps without an actor")
    p.add_argument("--drop", action="append", help="FIELD=VALUE[,VALUE]: leave out these features")
    p.add_argument("--layer", help="the layer of GeoPackages")
    p.add_argument("--end", help="when the last map stops being valid (default: open)")
    p.add_argument(
        "--min-change-km2",
        type=float,
        default=0.0,
        help="redraw noise: gained/lost parts under this area are no change (default 0)",
    )

    p = _source_command(sub, "export", cmd_export, "the whole timeline as a file")
    p.add_argument("-o", "--output", required=True, help=".geojson, .gpkg or .parquet")
    p.add_argument("--snapshots", help="GeoPackage only: comma-separated dates to add as layers")
    p.add_argument(
        "--for",
        dest="for_tool",
        choices=["kepler"],
        help="GeoJSON only: add kepler_start and kepler_end (UTC noon of the first and last"
        " day held) for kepler.gl's time filter with an End time (docs/gis.md)",
    )

    p = _source_command(
        sub,
        "validate",
        cmd_validate,
        "check a timeline file: exit 0 valid (warnings, e.g. rings wound against RFC 7946,"
        " are printed), 2 not valid, 1 valid but warned with --strict",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="any warning fails the file (exit 1): winding, a layer picked out of several, "
        "a GDAL notice",
    )
    _source_command(sub, "info", cmd_info, "actors, date range, counts and peak area")

    help_text = (
        "write a copy of a file with invalid polygons made valid and rings wound as RFC 7946"
        " asks; prints a summary (--verbose: every feature)"
    )
    p = sub.add_parser("repair", help=help_text, description=help_text)
    p.add_argument("source", metavar="SOURCE", help="a vector file")
    p.add_argument("-o", "--output", required=True, help=".geojson, .gpkg or .parquet")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also list every feature changed, one a line"
    )
    p.set_defaults(func=cmd_repair)

    text = "foreign fighters per country (departed, returned) with totals, as CSV"
    p = sub.add_parser("fighters", help=text, description=text)
    p.add_argument(
        "--sort",
        default="departed",
        choices=["departed", "returned", "returned_share", "country", "iso3"],
        help="sort countries by this column (numbers largest first)",
    )
    p.add_argument("-o", "--output", help="CSV file (default: stdout)")
    p.set_defaults(func=cmd_fighters)

    text = "map of foreign fighters who left and returned (HTML, PNG or SVG)"
    p = sub.add_parser("fighters-map", help=text, description=text)
    p.add_argument("-o", "--output", required=True, help=".html, .png or .svg")
    p.add_argument(
        "--region",
        help="world (default), europe, middle-east, central-asia, europe-middle-east, or "
        "--region=west,south,east,north",
    )
    p.add_argument("--arcs", action="store_true", help="add lines to the Islamic State territory")
    p.add_argument("--date", help="date of the territory drawn with --arcs (YYYY-MM-DD)")
    _self_contained_flag(p)
    p.set_defaults(func=cmd_fighters_map)

    p = _source_command(
        sub, "map", cmd_map, "interactive HTML map: time slider, one date, or changes"
    )
    p.add_argument("-o", "--output", required=True, help="the .html page")
    p.add_argument("--date", help="map one date (YYYY-MM-DD) instead of the time slider")
    p.add_argument("--from", dest="date_from", help="with --to: ground gained and lost")
    p.add_argument("--to", dest="date_to", help="second date of --from")
    p.add_argument("--title", help="title shown in the legend and the browser tab")
    _self_contained_flag(p)

    p = _source_command(
        sub, "figure", cmd_figure, "static PNG/SVG: maps at dates, area chart, or change chart"
    )
    p.add_argument("-o", "--output", required=True, help=".png or .svg")
    p.add_argument(
        "--kind",
        choices=["maps", "area", "changes"],
        default="maps",
        help="maps (default), area (km² held over time), or changes (km² gained and lost "
        "per --freq step, with the net)",
    )
    p.add_argument("--freq", help="--kind changes: the step (pandas frequency; default W)")
    p.add_argument("--from", dest="date_from", help="--kind changes: first date")
    p.add_argument("--to", dest="date_to", help="--kind changes: last date")
    p.add_argument("--dates", help="comma-separated dates of the maps (default: turning points)")
    p.add_argument("--ncols", type=int, help="maps per row (1 to 50)")
    p.add_argument(
        "--size",
        help="--kind area or changes: WIDTHxHEIGHT in inches, 2 to 40 (default 9x4.8; "
        "4x5 fits a phone's column)",
    )
    p.add_argument("--title", help="the figure title")
    p.add_argument("--dpi", type=int, default=200, help="PNG resolution (150 to 1200)")

    p = _source_command(
        sub, "animate", cmd_animate, "the map over time as a video or GIF (.mp4, .webm, .gif)"
    )
    p.add_argument("-o", "--output", required=True, help=".mp4, .webm or .gif")
    p.add_argument(
        "--freq",
        default="MS",
        help="one frame per step of this pandas frequency (default MS: monthly; W, QS...), "
        "or 'changes': one frame per change date",
    )
    p.add_argument("--from", dest="date_from", help="first date (default: the first change)")
    p.add_argument("--to", dest="date_to", help="last date (default: the last change)")
    p.add_argument(
        "--size",
        default="social",
        choices=["social", "video"],
        help="social: 1080x1080 (default); video: 1920x1080",
    )
    p.add_argument("--fps", type=float, default=4, help="frames per second (default 4)")
    p.add_argument("--title", help="the title drawn on every frame")

    p = _source_command(
        sub, "verify", cmd_verify, "check a timeline against dated observations of places"
    )
    p.add_argument(
        "observations",
        metavar="OBSERVATIONS",
        help="CSV with place, lon, lat, date, actor (empty: none), optional status",
    )
    p.add_argument("-o", "--output", help="CSV file of every observation with the verdict")

    p = _source_command(
        sub, "report", cmd_report, "timeline map, snapshots, area CSV and figures into a folder"
    )
    p.add_argument("-o", "--output", required=True, help="the output folder")
    _self_contained_flag(p)
    return parser


def _self_contained_flag(p: argparse.ArgumentParser) -> None:
    """The one flag of every command that writes a page (and its deprecated alias)."""
    p.add_argument(
        "--self-contained",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="inline Leaflet so the page works offline (default); --no-self-contained "
        "links it from a CDN (a smaller file that needs the network)",
    )
    p.add_argument(
        "--linked", action="store_true", help="deprecated: the same as --no-self-contained"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Examples
    --------
    >>> main(["info", "islamic-state"])  # doctest: +ELLIPSIS
    source:   islamic-state
    ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGHUP (the terminal closed) ends a run like SIGTERM: unwinding, not dying mid-write.
    previous = (
        {signum: signal.signal(signum, _terminate) for signum in _STOP_SIGNALS}
        if _main_thread()
        else {}
    )
    # Text the terminal's encoding cannot show (PYTHONIOENCODING=ascii) is printed as
    # backslash escapes rather than stopping the command halfway through its output.
    encodings = _tolerant_streams()
    arrow_pool = _system_arrow_pool()
    try:
        with warnings.catch_warnings():
            flags = getattr(args, "flags", {})
            warnings.showwarning = _show_debug_warning if args.debug else _warning_printer(flags)
            _check_dates(args)
            code = args.func(args)
    except _Terminated as stop:
        # Unwinding ran every ``finally``: a file being written was not left half-done.
        say("controlmap: terminated", file=sys.stderr)
        return 128 + stop.signum
    except MissingExtraError as exc:
        if args.debug:
            _print_traceback()
        # The command the person typed needs the extra, whichever function found it out.
        told = MissingExtraError(f"controlmap {args.command}", exc.extra, exc.name or "?")
        say(f"controlmap: error: {told}", file=sys.stderr)
        return EXIT_ERROR
    except ControlMapError as exc:
        if args.debug:
            _print_traceback()
        say(
            f"controlmap: error: {cli_spelling(str(exc), getattr(args, 'flags', {}))}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except KeyboardInterrupt:
        say("controlmap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug or an unforeseen OS error: still no traceback by default
        if args.debug:
            _print_traceback()
        if isinstance(exc, ModuleNotFoundError) and (extra := extra_of(exc.name)):
            # An optional module imported where no check foresaw it: still say what to install.
            told = missing_extra(f"controlmap {args.command}", exc.name, extra)
            say(f"controlmap: error: {told}", file=sys.stderr)
            return EXIT_ERROR
        message = one_line(exc)
        say(
            f"controlmap: error: {type(exc).__name__}: {message} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for stream, errors in encodings:
            stream.reconfigure(errors=errors)
        pyarrow.set_memory_pool(arrow_pool)
    return int(code or 0)


def _system_arrow_pool() -> pyarrow.MemoryPool:
    """Have Arrow (pandas' text columns) allocate with malloc; return the pool it had.

    Arrow's default allocator (mimalloc) keeps what it frees for reuse: after reading
    100,000 periods it held 19 MB beside the 4 MB of text columns in use, and the
    slider page's peak is 13 MB lower without it. A command runs once and exits;
    reuse gains it nothing.
    """
    previous = pyarrow.default_memory_pool()
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return previous


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class _Terminated(BaseException):  # not Exception: no reader's `except Exception` eats it
    """SIGTERM or SIGHUP, turned into an exception so that cleanup code runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def _tolerant_streams() -> list[tuple[io.TextIOWrapper, str]]:
    """Make stdout/stderr escape what they cannot encode; returns what to restore."""
    changed = []
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")
            changed.append((stream, "strict"))
    return changed


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _warning_printer(flags: dict[str, str]) -> Callable[..., None]:
    """``warnings.showwarning`` for a person: one line, hints spelled as this command's flags."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        # One line for a person, not Python's file:line and source excerpt.
        say(f"controlmap: warning: {cli_spelling(str(message), flags)}", file=sys.stderr)

    return show


def _show_debug_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    # Python's own format, for a developer, still with no raw control characters.
    text = warnings.formatwarning(message, category, filename, lineno, line)
    sys.stderr.write(printable(text, keep="\n"))


def _print_traceback() -> None:
    sys.stderr.write(printable(traceback.format_exc(), keep="\n"))


if __name__ == "__main__":
    sys.exit(main())
