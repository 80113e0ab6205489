"""Hostile text in every field, the title and the file name: shown as text, never run.

Every page kind (timeline slider, snapshot, changes, report, fighters map) and every
figure kind (PNG, SVG, PDF) is made from a file whose every text is a payload of
Jinja, HTML, JavaScript, SVG markup and terminal escapes. Checked: no command ran
(the Jinja payloads would create a marker file), no script ran in headless Chromium
(a window flag, dialogs, no new elements), and the text is shown verbatim.

Jinja that compiles and Jinja that does not are two separate runs: a template
compiler stops at the first syntax error, so a malformed payload beside a working
one would hide the working one.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.text import Text
from PIL import Image
from playwright.sync_api import Browser, Page

import controlmap
from browser.offline import OfflinePage
from browser.test_render_browser import pointer_on
from controlmap._text import CONTROL, printable
from controlmap.cli import main
from controlmap.datasets.fighters import load_fighters
from controlmap.render import (
    area_chart,
    changes_figure,
    changes_map,
    fighters_figure,
    fighters_map,
    save,
    small_multiples,
    snapshot_map,
    timeline_map,
)
from controlmap.render._style import short_name

#: Markup, script and terminal payloads, in every run.
MARKUP = (
    '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> '
    "<b>bold</b> &amp; &lt; "
    "\";window.__pwned=1;// ';window.__pwned=1;// </script><script>alert(1)</script> "
    "<!--<script> ${window.__pwned=1} ` "
    "\"'><svg onload=window.__pwned=1> <svg><script>window.__pwned=1</script></svg> "
    "\x1b]0;pwned\x07\x1b[2J\x1b[31m \x00\x01\x0b\x1f\x7f\x9b \u202eevil \u2028\u2029 "
    "javascript:alert(1) \U0001f600"
)


def jinja_runs(marker: Path) -> str:
    """Jinja that compiles: rendered as a template, it would create ``marker``."""
    return (
        f"{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}} "
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}} "
        f"{{% for x in range(1) %}}{{{{ joiner.__init__.__globals__.os.popen('touch {marker}') }}}}"
        "{% endfor %} "
        "{{ 7*7 }} price {{ unknown }} x {{ '%c'|format(60) }}/script><script>window.__pwned=1"
        "</script>"
    )


#: Jinja that does not compile (each stops a template compiler).
JINJA_BREAKS = "Brigade {#3} {% raw %} {{ unclosed {% if %} {#"

RUNS = ("runs", "breaks")


def _texts(run: str, marker: Path) -> str:
    jinja = jinja_runs(marker) if run == "runs" else JINJA_BREAKS
    return f"{jinja} ~ {MARKUP}"  # not " | ", which joins several sources in a cell


def _no_command_ran(case: dict[str, Any]) -> None:
    for marker in case["markers"]:
        assert not marker.exists(), f"a Jinja payload ran a command: {marker} exists"


@pytest.fixture(scope="module", params=RUNS)
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A hostile timeline file and every page and figure made from it."""
    run = request.param
    folder = tmp_path_factory.mktemp(f"hostile-{run}")
    marker = folder / "marker-from-field"
    payload = _texts(run, marker)
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    fields = {}
    features = []
    for k in range(3):
        fields[k] = {
            "actor": f"Actor{k} {payload}",
            "start": f"201{k}-01-01",
            "end": None,  # all held at the last change: every actor on the changes maps
            "status": "control" if k else f"Status {payload}",
            "source": f"Source{k} {payload}",
            "confidence": f"Confidence{k} {payload}",
            "note": f"Note{k} {payload}",
        }
        ring = [[40 + 1.5 * k + x, 34 + y] for x, y in square]
        features.append(
            {
                "type": "Feature",
                "properties": fields[k],
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    # The file name: Jinja (its command would write into the working folder), markup
    # and an escape sequence; no "/" and under 255 bytes.
    name_jinja = (
        "{{ lipsum.__globals__['os'].popen('touch marker-from-name').read() }}"
        if run == "runs"
        else "Brigade {#3"
    )
    stem = f"{name_jinja} {{{{ 6*7 }}}} <img src=x onerror=alert(1)> \x1b[31m"
    source = folder / f"{stem}.geojson"
    with source.open("w", encoding="utf-8") as out:
        json.dump({"type": "FeatureCollection", "features": features}, out)
    title = f"Title {payload}"
    credit = f"Data: {stem}."
    events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2011-01-01", "2012-01-01"]),
            "place": [f"Place {payload}", "Plain place"],
            "lat": [34.5, 34.5],
            "lon": [40.5, 42.0],
            "label": [f"Event {payload}", f"Second event {payload}"],
            "turning_point": [True, True],
        }
    )
    cwd = Path.cwd()
    os.chdir(folder)  # a relative marker from the file name would land here
    try:
        yield {
            "run": run,
            "folder": folder,
            "source": source,
            "stem": stem,
            "fields": fields,
            "title": title,
            "credit": credit,
            "payload": payload,
            "events": events,
            "markers": [marker, folder / "marker-from-name"],
        }
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def made(case: dict[str, Any]) -> dict[str, Path]:
    """Every output, made through the command line where it can take the file."""
    folder, source, title = case["folder"], str(case["source"]), case["title"]
    out = folder / "out"
    out.mkdir()
    pages = {
        "timeline": out / "timeline.html",
        "snapshot": out / "snapshot.html",
        "changes": out / "changes.html",
    }
    assert main(["validate", source]) == 0  # hostile text is legal data
    # A twin with plain text: what a page holds when nothing is injected.
    clean = json.loads(case["source"].read_text(encoding="utf-8"))
    for k, feature in enumerate(clean["features"]):
        feature["properties"] = {"actor": f"Actor{k}", "start": f"201{k}-01-01"}
    (folder / "clean.geojson").write_text(json.dumps(clean), encoding="utf-8")
    pages["clean"] = out / "clean.html"
    clean_options = ["-o", str(pages["clean"]), "--self-contained"]
    assert main(["map", str(folder / "clean.geojson"), *clean_options]) == 0
    common = ["--title", title, "--self-contained"]
    assert main(["map", source, "-o", str(pages["timeline"]), *common]) == 0
    assert main(["map", source, "-o", str(pages["snapshot"]), "--date", "2012-06-01", *common]) == 0
    span = ["--from", "2010-06-01", "--to", "2012-06-01"]
    assert main(["map", source, "-o", str(pages["changes"]), *span, *common]) == 0
    assert main(["report", source, "-o", str(out / "report")]) == 0
    pages["report timeline"] = out / "report" / "timeline_map.html"
    pages["report changes"] = out / "report" / "changes_map.html"
    for kind in ("maps", "area"):
        for suffix in (".png", ".svg"):
            target = out / f"figure-{kind}{suffix}"
            assert (
                main(["figure", source, "-o", str(target), "--kind", kind, "--title", title]) == 0
            )
            pages[f"figure {kind}{suffix}"] = target
    # Events come only through the library: a slider page, a snapshot and figures with them.
    timeline = controlmap.read(case["source"])
    timeline.events = case["events"]
    credit = case["credit"]  # a user's credit holds text from the file name
    pages["events timeline"] = save(
        timeline_map(timeline, title=title, credit=credit), out / "events.html"
    )
    pages["events snapshot"] = save(
        snapshot_map(timeline, "2012-01-01", credit=credit), out / "events-snapshot.html"
    )
    pages["changes api"] = save(
        changes_map(timeline, "2010-06-01", "2012-06-01", credit=credit),
        out / "changes-api.html",
    )
    figures = {
        "small multiples": small_multiples(
            timeline, ["2011-01-01", "2012-01-01", "2012-06-01"], credit=credit
        ),
        "area chart": area_chart(timeline, title=title, credit=credit),
        "changes figure": changes_figure(timeline, "2010-06-01", "2012-06-01", credit=credit),
    }
    for name, fig in figures.items():
        for suffix in (".png", ".svg", ".pdf"):
            pages[f"{name}{suffix}"] = save(fig, out / f"{name}{suffix}")
    pages["figure objects"] = figures  # type: ignore[assignment]
    return pages


@pytest.fixture(scope="module")
def fighters_made(case: dict[str, Any]) -> dict[str, Any]:
    """The fighters map and figure with hostile country, source and note texts."""
    payload = case["payload"]
    frame = load_fighters()
    for iso3 in ("FRA", "TUR"):
        rows = frame["iso3"] == iso3
        frame.loc[rows, "country"] = f"{iso3} {payload}"
        frame.loc[rows, "departed_source"] = f"Source {payload}"
        frame.loc[rows, "note"] = f"Note {payload}"
    out = case["folder"] / "fighters"
    out.mkdir()
    made = {"frame": frame, "html": save(fighters_map(frame), out / "fighters.html")}
    fig = fighters_figure(frame, title=case["title"])
    made["figure"] = fig
    for suffix in (".png", ".svg", ".pdf"):
        made[suffix] = save(fig, out / f"fighters{suffix}")
    return made


# ---------------------------------------------------------------------------- no command
def test_no_command_ran_and_text_is_read_back_as_given(
    case: dict[str, Any], made: dict[str, Any]
) -> None:
    _no_command_ran(case)
    # The library reads the text exactly as written (so what follows checks the renderers).
    periods = controlmap.read(case["source"]).periods
    assert sorted(periods["actor"]) == sorted(f["actor"] for f in case["fields"].values())
    assert set(periods["note"]) == {f["note"] for f in case["fields"].values()}


# ---------------------------------------------------------------------------- pages
PAGE_KINDS = [
    "timeline",
    "snapshot",
    "changes",
    "report timeline",
    "report changes",
    "events timeline",
    "events snapshot",
    "changes api",
]

#: Markup that only parsed payloads would bring: none of it is part of a map page.
INJECTED = (
    "() => ({scripts: document.scripts.length,"
    " handlers: [...document.querySelectorAll('*')].filter(e =>"
    "   [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,"
    " foreign: document.querySelectorAll("
    "   'img, iframe, object, embed, b, .cm-legend svg, .leaflet-tooltip svg,"
    "    .leaflet-popup-pane svg, .leaflet-tooltip script, .leaflet-popup-pane script').length,"
    " flag: typeof window.__pwned})"
)


def _expected_on_page(case: dict[str, Any], kind: str) -> list[str]:
    fields = case["fields"].values()
    texts = [f["actor"] for f in fields]
    if kind in ("timeline", "report timeline", "events timeline"):
        texts += [f[k] for f in fields for k in ("source", "confidence", "note")]
        texts.append(case["fields"][0]["status"])
    if kind in ("snapshot", "events snapshot"):
        texts += [f[k] for f in fields for k in ("source", "confidence")]
        texts.append(case["fields"][0]["status"])
    if kind in ("timeline", "snapshot", "changes"):
        texts.append(case["title"])  # --title
    if kind.startswith("report"):
        texts.append(case["stem"])  # the file name, as the title (no --title given)
    if kind.startswith(("events", "changes api")):
        texts.append(case["credit"])  # a credit given through the library
    if kind == "events timeline":
        texts.append(f"Event {case['payload']}")
    if kind.startswith("events"):  # a snapshot shows the events of its own day only
        texts += [f"Second event {case['payload']}", f"Place {case['payload']}"]
    return texts


CLOSE_POPUPS = "window.controlmapMaps.forEach(a => a.layers.forEach(l => l.closePopup()))"


def _hover_and_click(page: Page, path: Any) -> tuple[str, str]:
    """A feature's tooltip (pointer over it) and popup (a click on it).

    The click is sent to the feature itself: a long popup left open by the previous
    feature may cover it on screen.
    """
    point = pointer_on(page, path)
    if point is None:  # wholly under another feature
        path.dispatch_event("mouseover")
    else:
        page.mouse.move(*point)
    tip = page.locator(".leaflet-tooltip-pane").text_content() or ""
    path.dispatch_event("click")
    popup = page.locator(".leaflet-popup-pane").text_content() or ""
    page.evaluate(CLOSE_POPUPS)
    page.mouse.move(1, 1)
    return tip, popup


def _read_everything(page: Page, kind: str) -> str:
    """All text a reader can bring up: each slider date, each tooltip and popup."""
    seen = [page.evaluate("document.body.textContent")]
    steps = page.locator("input.cm-range")
    count = int(steps.get_attribute("max") or 0) + 1 if steps.count() else 1
    for index in range(count):
        if steps.count():
            steps.fill(str(index))
        seen.append(page.evaluate("document.body.textContent"))
        paths = page.locator(".leaflet-overlay-pane path[data-cm-id]")
        for i in range(paths.count()):
            seen.extend(_hover_and_click(page, paths.nth(i)))
    for label in page.locator(".leaflet-tooltip-pane .cm-label").all():
        seen.append(label.text_content() or "")
    return "\n".join(seen)


@pytest.fixture(scope="module")
def clean_page(browser: Browser, made: dict[str, Any]) -> dict[str, Any]:
    """What the plain twin's page holds: scripts, handlers and foreign elements."""
    session = OfflinePage(browser)
    counts = session.open(made["clean"]).evaluate(INJECTED)
    session.check_clean()
    session.close()
    assert counts["handlers"] == counts["foreign"] == 0 and counts["scripts"] > 0
    return counts


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_page_runs_nothing_and_shows_text_verbatim(
    browser: Browser,
    case: dict[str, Any],
    made: dict[str, Any],
    clean_page: dict[str, Any],
    kind: str,
) -> None:
    _no_command_ran(case)
    session = OfflinePage(browser)
    page = session.open(made[kind])
    before = page.evaluate(INJECTED)
    shown = _read_everything(page, kind)
    if page.locator("button.cm-play").count():
        page.locator("button.cm-play").click()
        page.wait_for_timeout(300)
    after = page.evaluate(INJECTED)
    assert before == after == clean_page  # no script, handler or element added, no flag
    for text in _expected_on_page(case, kind):
        assert text in shown, f"{kind}: not shown verbatim: {text!r}"
    # The browser tab's title is the title as text (no element parsed from it).
    if kind in ("timeline", "snapshot", "changes"):
        assert "<script>window.__pwned=1</script>" in page.title()
    session.check_clean()
    session.close()
    _no_command_ran(case)


def test_fighters_page_runs_nothing_and_shows_text(
    browser: Browser, case: dict[str, Any], fighters_made: dict[str, Any]
) -> None:
    _no_command_ran(case)
    session = OfflinePage(browser, width=1400, height=850)
    page = session.open(
        fighters_made["html"],
        ready="window.controlmapFighters && window.controlmapFighters.markers.length",
    )
    before = page.evaluate(INJECTED)
    shown = []
    for iso3 in ("FRA", "TUR"):
        markers = f"window.controlmapFighters.markers.filter(m => m.iso3 === '{iso3}')"
        page.evaluate(f"{markers}.forEach(m => m.marker.openTooltip())")
        shown.append(page.locator(".leaflet-tooltip-pane").text_content() or "")
        page.evaluate(f"{markers}.forEach(m => m.marker.openPopup())")
        shown.append(page.locator(".leaflet-popup-pane").text_content() or "")
    page.wait_for_timeout(200)
    after = page.evaluate(INJECTED)
    assert before["handlers"] == after["handlers"] == 0
    assert before["scripts"] == after["scripts"]
    assert after["flag"] == "undefined"
    # The cards are HTML: control characters there show as escapes (HTML cannot carry
    # NUL or a lone CR), everything else verbatim.
    text = "\n".join(shown)
    payload = printable(case["payload"])
    for iso3 in ("FRA", "TUR"):
        assert f"{iso3} {payload}" in text
    assert f"Source {payload}" in text and f"Note {payload}" in text
    session.check_clean()
    session.close()
    _no_command_ran(case)


# ---------------------------------------------------------------------------- figures
def _svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    return "\n".join(t for t in root.itertext())


@pytest.mark.parametrize(
    "kind",
    ["figure maps.svg", "figure area.svg", "small multiples.svg", "changes figure.svg"],
)
def test_svg_figures_are_xml_and_show_text(
    case: dict[str, Any], made: dict[str, Any], kind: str
) -> None:
    text = _svg_text(made[kind])
    assert not CONTROL.search(text.replace("\n", ""))
    actors = [printable(f["actor"]) for f in case["fields"].values()]
    flat = " ".join(text.split())
    for actor in actors:
        # Figure legends write a long name on two lines at most (short_name): the
        # lines are text elements of their own.
        assert actor in text or " ".join(short_name(actor).split()) in flat
    if kind.startswith("figure"):
        # A chart's title is wrapped to its width: lines break where spaces were.
        assert " ".join(printable(case["title"]).split()) in flat
    else:
        assert printable(case["credit"]) in text
    if kind == "small multiples.svg":
        assert printable(f"Event {case['payload']}") in text


def test_fighters_svg_is_xml_and_shows_text(
    case: dict[str, Any], fighters_made: dict[str, Any]
) -> None:
    text = _svg_text(fighters_made[".svg"])
    assert printable(case["title"]) in text
    assert not CONTROL.search(text.replace("\n", ""))


def test_svg_figures_open_in_chromium(
    browser: Browser, case: dict[str, Any], made: dict[str, Any], fighters_made: dict[str, Any]
) -> None:
    for path in [made["figure maps.svg"], made["small multiples.svg"], fighters_made[".svg"]]:
        session = OfflinePage(browser)
        session.page.goto(path.resolve().as_uri())
        # An ill-formed file shows Chromium's XML error page (a parsererror element).
        assert session.page.evaluate("document.documentElement.tagName") == "svg"
        assert session.page.evaluate("document.getElementsByTagName('parsererror').length") == 0
        assert session.page.evaluate("document.querySelectorAll('svg svg, script').length") == 0
        assert session.page.evaluate("typeof window.__pwned") == "undefined"
        session.check_clean()
        session.close()


def test_png_and_pdf_figures(
    case: dict[str, Any], made: dict[str, Any], fighters_made: dict[str, Any]
) -> None:
    pngs = [p for k, p in made.items() if k.endswith(".png")] + [fighters_made[".png"]]
    pdfs = [p for k, p in made.items() if k.endswith(".pdf")] + [fighters_made[".pdf"]]
    assert len(pngs) == 6 and len(pdfs) == 4
    for path in pngs:
        with Image.open(path) as image:
            image.verify()
    for path in pdfs:
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        # No action that runs anything (outside the compressed streams, whose bytes
        # may spell anything).
        objects = re.sub(rb"stream\r?\n.*?endstream", b"", data, flags=re.S)
        assert not re.search(rb"/(JavaScript|JS|Launch|OpenAction|AA|URI)\b", objects)
    # What PNG and PDF draw is the figures' texts: each is the data as text, control
    # characters escaped, mathtext off.
    figures = [*made["figure objects"].values(), fighters_made["figure"]]
    for fig in figures:
        for artist in fig.findobj(Text):
            assert not CONTROL.search(artist.get_text().replace("\n", ""))
            assert artist.get_parse_math() is False or "$" not in artist.get_text()
    drawn = {
        " ".join(t.get_text().split()) for t in made["figure objects"]["area chart"].findobj(Text)
    }
    assert " ".join(printable(case["title"]).split()) in drawn  # wrapped to the chart's width
    _no_command_ran(case)


# ---------------------------------------------------------------------------- terminal
RAW_CONTROL = re.compile(CONTROL.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


def test_cli_lines_show_escapes(case: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    source = str(case["source"])
    assert main(["info", source]) == 0
    assert main(["snapshot", source, "--date", "2012-06-01"]) == 0
    assert main(["info", f"{source}.missing"]) == 2  # an error naming the file
    assert main(["validate", source, "--actor-field", "\x1b[2J"]) == 2
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert not RAW_CONTROL.search(stream), RAW_CONTROL.findall(stream)[:5]
    for fields in case["fields"].values():
        assert printable(fields["actor"]) in captured.out
    # The GeoJSON on stdout still means the same text.
    start = captured.out.index('{"type": "FeatureCollection"')
    decoder = json.JSONDecoder()
    snapshot, _ = decoder.raw_decode(captured.out[start:])
    actors = {f["properties"]["actor"] for f in snapshot["features"]}
    assert actors == {f["actor"] for f in case["fields"].values()}
    assert printable(str(case["source"])) in captured.err


def test_cli_warnings_show_escapes(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An invalid polygon makes a warning naming the file; a figure of a name with a
    # glyph missing from the font makes matplotlib warn about it.
    bowtie = [[40, 34], [41, 35], [41, 34], [40, 35], [40, 34]]
    feature = {
        "type": "Feature",
        "properties": {
            "actor": f"\x1b[2J\u4e00\U0001f600 {case['payload']}",
            "start": "2015-01-01",
        },
        "geometry": {"type": "Polygon", "coordinates": [bowtie]},
    }
    path = tmp_path / f"{case['stem']}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    assert main(["figure", str(path), "-o", str(tmp_path / "f.png"), "--dpi", "150"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "invalid polygon" in err
    assert not RAW_CONTROL.search(err), RAW_CONTROL.findall(err)[:5]
    assert printable(str(path)) in err
    _no_command_ran(case)


def _on_terminal(*args: str) -> bytes:
    """The bytes a terminal receives from ``controlmap args`` (stdout on a pty)."""
    primary, secondary = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "controlmap.cli", *args],
            stdout=secondary,
            stderr=secondary,
            check=True,
            timeout=120,
        )
    finally:
        os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed: everything is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return b"".join(chunks)


def test_tables_on_a_terminal_show_escapes(case: dict[str, Any]) -> None:
    received = _on_terminal("area", str(case["source"]), "--dates", "2012-06-01")
    text = received.decode("utf-8")
    assert "\x1b" not in text and not RAW_CONTROL.search(text.replace("\r", ""))
    quoted = case["fields"][1]["actor"].replace('"', '""')  # CSV doubles quotes
    assert printable(quoted) in text


# ---------------------------------------------------------------------------- mechanism
def test_no_data_text_reaches_a_template_compiler(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every source Jinja compiles while pages are made is recorded: text from the
    # data, the title or the file name must never be among them (it is a value).
    import jinja2

    compiled: list[str] = []
    original = jinja2.Environment.compile

    def recording(self: jinja2.Environment, source: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source if isinstance(source, str) else "")
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", recording)
    timeline = controlmap.read(case["source"])
    timeline.events = case["events"]
    title = case["title"]
    pages = [
        timeline_map(timeline, title=title),
        snapshot_map(timeline, "2012-01-01", title=title),
        changes_map(timeline, "2010-06-01", "2012-06-01", title=title),
    ]
    frame = load_fighters()
    frame.loc[frame["iso3"] == "FRA", "country"] = case["payload"]
    pages.append(fighters_map(frame))
    for fmap in pages:
        fmap.get_root().render()
    assert compiled  # branca did compile its macro outputs: the recorder saw them
    secrets = ["Actor0", "Event ", "Place ", title[:20], "7*7", "lipsum", "Brigade"]
    for source in compiled:
        for secret in secrets:
            assert secret not in source, f"{secret!r} reached a template compiler"
