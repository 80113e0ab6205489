"""Documentation that cannot drift: the story page, and every snippet of README.md and docs/*.md.

What this test reads in a page (the convention for whoever writes the docs):

- ```python blocks run in order, in one namespace per page and in a temporary folder,
  as a reader following the page would run them. A block of ``>>>`` lines is a doctest:
  its printed results are compared too.
- In ```bash and ```console blocks, every line that runs ``controlmap ...`` (after an
  optional ``$`` prompt; a trailing ``\\`` continues the line) runs with the installed
  console script, in the page's folder, and must exit 0. A command shown as an example
  of an error says so in its comment: ``# exit N`` (the code expected). Other lines
  (``pip``, ``python``, ``ogrinfo``) are not run.
- ``<!-- doc-test: skip: REASON -->`` on the line before a block leaves it out: it is
  reported as a skipped test with REASON (a cluster, ``../shared``, the network).
- ``<!-- doc-test: needs dask -->`` (or ``render``) before a block: the extra it needs
  beyond what is seen (a python block using ``controlmap.render``, and the commands
  ``map``, ``figure``, ``animate``, ``report`` and ``fighters-map``, need ``render``).
  Later python blocks of the page need it too. Such snippets are marked ``render`` or
  ``dask``, so the core-only run (no extras) leaves them out; animations (ffmpeg, a
  minute each) are marked ``integration`` as well, and are never run as what a later
  snippet needs: keep an animation in a block of its own.
- The reader's own files the docs name (``my_periods.geojson``, ``my_notes.csv``,
  ``my_front.geojson``, ``maps/``) are made in the page's folder from the bundled data
  (:data:`READER_FILES`), so the examples run as written.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import os
import re
import runpy
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import controlmap

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RENDER_COMMANDS = {"map", "figure", "animate", "report", "fighters-map"}
_BLOCK = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```", re.S | re.M)
_MARK = re.compile(r"<!-- doc-test: (?P<what>[^>]*?) -->\s*$")
_EXIT = re.compile(r"#\s*exit (?P<code>\d+)")


@dataclass
class Snippet:
    """One thing to run: a python block, a doctest block or one shell command."""

    page: str
    line: int
    kind: str  # "python", "doctest" or "command"
    text: str
    expect: int = 0
    needs: set[str] = field(default_factory=set)
    skip: str | None = None

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def snippets(page: Path) -> list[Snippet]:
    """The snippets of a page in document order, with what each needs."""
    text = page.read_text(encoding="utf-8")
    name = page.relative_to(ROOT).as_posix()
    found: list[Snippet] = []
    page_needs: set[str] = set()
    for block in _BLOCK.finditer(text):
        line = text.count("\n", 0, block.start()) + 1
        before = text[: block.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        what = mark["what"] if mark else ""
        skip = what.split(":", 1)[1].strip() if what.startswith("skip:") else None
        if what.startswith("skip") and not skip:
            raise AssertionError(f"{name}:{line}: a skip needs a reason: skip: REASON")
        needs = set(what.split()[1:]) if what.startswith("needs ") else set()
        body = block["body"]
        if block["lang"] == "python":
            if "controlmap.render" in body:
                needs.add("render")
            page_needs |= needs  # later blocks may use what this one imported
            kind = "doctest" if body.lstrip().startswith(">>>") else "python"
            snippet = Snippet(name, line, kind, body, needs=set(page_needs), skip=skip)
            if "animate(" in body:
                snippet.needs.add("integration")
            found.append(snippet)
        elif block["lang"] in ("bash", "console", "sh", "shell"):
            for offset, command in _commands(body):
                argv = shlex.split(command, comments=True)
                wanted = _EXIT.search(command)
                snippet = Snippet(
                    name,
                    line + 1 + offset,
                    "command",
                    " ".join(shlex.quote(a) for a in argv),
                    expect=int(wanted["code"]) if wanted else 0,
                    needs=set(needs),
                    skip=skip,
                )
                if len(argv) > 1 and argv[1] in RENDER_COMMANDS:
                    snippet.needs.add("render")
                if len(argv) > 1 and argv[1] == "animate":
                    snippet.needs.add("integration")
                found.append(snippet)
    return found


def _commands(body: str) -> list[tuple[int, str]]:
    """``(line offset, command)`` of each ``controlmap`` command of a shell block."""
    commands: list[tuple[int, str]] = []
    lines = body.splitlines()
    k = 0
    while k < len(lines):
        start, text = k, lines[k]
        while text.rstrip().endswith("\\") and k + 1 < len(lines):
            k += 1
            text = text.rstrip()[:-1] + " " + lines[k].strip()
        k += 1
        text = text.strip()
        text = text[2:] if text.startswith("$ ") else text
        if text.startswith("controlmap "):
            commands.append((start, text))
    return commands


ALL = [s for page in PAGES for s in snippets(page)]
INSTALLED = {
    "render": all(importlib.util.find_spec(m) for m in ("folium", "matplotlib")),
    "dask": importlib.util.find_spec("dask") is not None,
    "integration": True,
}


def _param(snippet: Snippet) -> Any:
    marks = [getattr(pytest.mark, need) for need in sorted(snippet.needs)]
    return pytest.param(snippet, id=f"{snippet.name}:{snippet.text[:40]}", marks=marks)


# ---------------------------------------------------------------- the reader's files
def _my_periods(folder: Path) -> None:
    controlmap.load_dataset("islamic-state").to_file(folder / "my_periods.geojson")


def _my_notes(folder: Path) -> None:
    notes = pd.DataFrame(
        {
            "place": ["Raqqa", "Mosul", "Mosul", "Baghdad"],
            "lon": [39.01, 43.13, 43.13, 44.37],
            "lat": [35.95, 36.34, 36.34, 33.31],
            "date": ["2015-06-01", "2015-06-01", "2018-06-01", "2015-06-01"],
            "actor": ["Islamic State", "Islamic State", "", ""],
        }
    )
    notes.to_csv(folder / "my_notes.csv", index=False)
    # Notes that agree with the timeline, as the README's "exit 0 all agree" says.
    result = controlmap.verify(controlmap.load_dataset("islamic-state"), folder / "my_notes.csv")
    assert result["agrees"].all(), result


def _my_front(folder: Path) -> None:
    front = gpd.GeoDataFrame(
        {
            "actor": ["Ukraine", "Russia", "Russia"],
            "start": ["2022-02-24", "2022-02-24", "2022-09-11"],
            "end": [None, "2022-09-11", None],
        },
        geometry=[
            shapely.box(36.0, 47.0, 38.0, 49.5),
            shapely.box(38.0, 47.0, 40.0, 49.5),
            shapely.box(38.3, 47.0, 40.0, 49.5),
        ],
        crs=4326,
    )
    controlmap.Timeline(front).to_file(folder / "my_front.geojson")


def _maps(folder: Path) -> None:
    """A folder of dated maps of what one actor held, as archives.md describes."""
    (folder / "maps").mkdir()
    for k, day in enumerate(["2023-05-01", "2023-05-02", "2023-06-15", "2024-02-17"]):
        held = gpd.GeoDataFrame(
            {"actor": ["North"]}, geometry=[shapely.box(30.0, 48.0, 31.0 + 0.1 * k, 49.0)], crs=4326
        )
        held.to_file(folder / "maps" / f"{day}.geojson")


#: The files the docs ask readers to bring, made from the bundled data.
READER_FILES: dict[str, Callable[[Path], None]] = {
    "my_periods.geojson": _my_periods,
    "my_notes.csv": _my_notes,
    "my_front.geojson": _my_front,
    "maps/": _maps,
}


# ---------------------------------------------------------------- running a page
@dataclass
class Session:
    """A page being followed: its folder, its python namespace, what has run."""

    folder: Path
    namespace: dict[str, Any] = field(default_factory=dict)
    done: dict[str, str | None] = field(default_factory=dict)  # snippet -> failure or None


SESSIONS: dict[str, Session] = {}


def _key(snippet: Snippet) -> str:
    return f"{snippet.name} {snippet.text}"


def _session(page: str, factory: pytest.TempPathFactory) -> Session:
    if page not in SESSIONS:
        folder = factory.mktemp(re.sub(r"\W", "_", page))
        text = (ROOT / page).read_text(encoding="utf-8")
        for name, make in READER_FILES.items():
            if name in text:  # only what the page names
                make(folder)
        SESSIONS[page] = Session(folder, {"__name__": "__doc_snippet__"})
    return SESSIONS[page]


def _run(snippet: Snippet, session: Session) -> str | None:
    """Run one snippet in its page's session; the failure as text, or None."""
    if snippet.kind == "command":
        argv = shlex.split(snippet.text)
        exe = Path(sys.executable).parent / "controlmap"
        done = subprocess.run(
            [str(exe), *argv[1:]],
            cwd=session.folder,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != snippet.expect:
            return (
                f"`{snippet.text}` exited {done.returncode}, the doc says {snippet.expect}:"
                f" {done.stderr.strip()[-600:]}"
            )
        return None
    cwd = os.getcwd()
    os.chdir(session.folder)
    try:
        if snippet.kind == "doctest":
            test = doctest.DocTestParser().get_doctest(
                snippet.text, session.namespace, snippet.name, snippet.page, snippet.line
            )
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            report = io.StringIO()
            runner.run(test, out=report.write, clear_globs=False)
            return report.getvalue() or None
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(snippet.text, snippet.name, "exec"), session.namespace)
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        os.chdir(cwd)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


@pytest.mark.parametrize("snippet", [_param(s) for s in ALL])
def test_doc_snippet_runs(snippet: Snippet, tmp_path_factory: pytest.TempPathFactory) -> None:
    if snippet.skip:
        pytest.skip(f"{snippet.name}: marked in the doc: {snippet.skip}")
    session = _session(snippet.page, tmp_path_factory)
    # What came before on the page, as a reader would have run it (also when this test
    # is run alone); what this run cannot run (an extra it lacks) is left out.
    for earlier in ALL[: ALL.index(snippet)]:
        if earlier.page != snippet.page or earlier.skip or _key(earlier) in session.done:
            continue
        if "integration" not in earlier.needs and all(INSTALLED[n] for n in earlier.needs):
            session.done[_key(earlier)] = _run(earlier, session)
    if _key(snippet) not in session.done:
        session.done[_key(snippet)] = _run(snippet, session)
    failure = session.done[_key(snippet)]
    if failure is not None:
        before = [k for k, v in session.done.items() if v is not None and k != _key(snippet)]
        cause = f" (an earlier snippet of the page failed: {before[0]})" if before else ""
        pytest.fail(f"{snippet.name}: {failure}{cause}")


def test_the_convention_is_read() -> None:
    """The parser finds what the docs hold: guards against a test that runs nothing."""
    kinds = {s.kind for s in ALL}
    assert kinds == {"python", "doctest", "command"}
    commands = [s for s in ALL if s.kind == "command"]
    assert len(commands) > 30 and all(s.text.startswith("controlmap ") for s in commands)
    readme = [s.text for s in ALL if s.page == "README.md" and s.kind == "command"]
    assert "controlmap info islamic-state" in readme
    continued = [s.text for s in ALL if s.page == "docs/gis.md" and "--snapshots" in s.text]
    assert continued and continued[0].endswith("2014-06-10,2015-05-17,2017-07-10")
    assert all(s.skip for s in ALL if "/shared/" in s.text)


# ---------------------------------------------------------------- pages as a whole
def test_story_page_matches_the_data(tmp_path: Path) -> None:
    out = tmp_path / "story.md"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "story.py"), "--markdown", str(out)], check=True
    )
    assert (ROOT / "docs" / "story.md").read_text() == out.read_text(), (
        "docs/story.md is stale: run `python examples/story.py --markdown docs/story.md`"
    )


def test_readme_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    script = tmp_path / "readme_example.py"
    script.write_text(code.group(1))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        runpy.run_path(str(script))
    finally:
        os.chdir(cwd)
    assert (tmp_path / "is_2015.geojson").stat().st_size > 1000


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- test-command -->\n```bash\n(.*?)\n```\n<!-- /test-command -->", readme, re.S
    )
    assert block is not None and "tools/check.sh" in block.group(1)
    assert "test-command" in (ROOT / ".ci" / "run").read_text()


def test_readme_says_what_the_questions_return(timeline: controlmap.Timeline) -> None:
    """The README's table names the types: checked against what the methods return."""
    readme = (ROOT / "README.md").read_text()
    assert "people living in the places held on each date: a DataFrame" in readme
    places = controlmap.load_layer("places")
    people = timeline.population(places, ["2015-06-01"])
    assert isinstance(people, pd.DataFrame) and list(people.columns) == timeline.actors
    assert "GeoDataFrame: one row per actor" in readme
    assert isinstance(timeline.at("2015-06-01"), gpd.GeoDataFrame)
    assert "DataFrame of km², one column per actor" in readme
    assert isinstance(timeline.area(["2015-06-01"]), pd.DataFrame)
