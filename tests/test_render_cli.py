"""`controlmap map`, `figure` and `report`: outputs re-read, errors as exit 2."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from page_data import payload_of  # tests/ is on the path
from PIL import Image

import controlmap
from controlmap.area import geodesic_area_km2
from controlmap.cli import main


def run(*argv: str) -> int:
    return main(list(argv))


def test_map_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("map", "islamic-state", "-o", str(tmp_path / "t.html"), "--self-contained") == 0
    assert run("map", "islamic-state", "-o", str(tmp_path / "s.html"), "--date", "2017-07-10") == 0
    code = run(
        "map",
        "islamic-state",
        "-o",
        str(tmp_path / "c.html"),
        "--from",
        "2015-01",
        "--to",
        "2018-02",
    )
    assert code == 0
    assert "wrote" in capsys.readouterr().err
    timeline_page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert '"mode":"timeline"' in timeline_page and "<script src=" not in timeline_page
    assert '"mode":"snapshot"' in (tmp_path / "s.html").read_text(encoding="utf-8")
    changes_page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert '"mode":"changes"' in changes_page and '"start":"2015-01-01"' in changes_page


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["map", "islamic-state", "-o", "{d}/x.png"], ".html"),
        (["map", "islamic-state", "-o", "{d}/x.html", "--date", "2015-02-30"], "2015-02-30"),
        (["map", "islamic-state", "-o", "{d}/x.html", "--from", "2015-01-01"], "--to"),
        (
            ["map", "islamic-state", "-o", "{d}/x.html", "--date", "2015-01-01", "--from", "2015"],
            "not both",
        ),
        (["map", "islamic-state", "-o", "{d}/x.html", "--from", "2018", "--to", "2015"], "after"),
        (["map", "no-such-thing", "-o", "{d}/x.html"], "no-such-thing"),
        (["map", "islamic-state", "-o", "{d}/missing/x.html"], "does not exist"),
        (["figure", "islamic-state", "-o", "{d}/x.gif"], ".png or .svg"),
        (["figure", "islamic-state", "-o", "{d}/x.png", "--dpi", "96"], "150 dpi"),
        (["figure", "islamic-state", "-o", "{d}/x.png", "--dates", "2015-13-01"], "2015-13-01"),
        (
            ["figure", "islamic-state", "-o", "{d}/x.png", "--kind", "area", "--dates", "2015"],
            "maps",
        ),
        (["report", "islamic-state", "-o", "{d}/no/such/folder"], "does not exist"),
        (["figure", "islamic-state", "-o", "{d}/x.png", "--ncols", "0"], "at least 1"),
        (["figure", "islamic-state", "-o", "{d}/x.png", "--ncols", "-2"], "at least 1"),
        (
            ["figure", "islamic-state", "-o", "{d}/x.png", "--kind", "area", "--size", "1x5"],
            "2 to 40",
        ),
        (["figure", "islamic-state", "-o", "{d}/x.png", "--kind", "area", "--size", "4"], "4x5"),
        (
            ["figure", "islamic-state", "-o", "{d}/x.png", "--kind", "area", "--size", "nanx4"],
            "2 to",
        ),
        (["figure", "islamic-state", "-o", "{d}/x.png", "--size", "4x5"], "--kind area"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = run(*[a.format(d=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("controlmap: error: ")
    assert message in err
    assert "Traceback" not in err
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # nothing half-written


def test_figure_kinds(tmp_path: Path, timeline: controlmap.Timeline) -> None:
    dates = "2014-06-10,2017-07-10,2017-10-17"
    assert run("figure", "islamic-state", "-o", str(tmp_path / "m.svg"), "--dates", dates) == 0
    root = ET.parse(tmp_path / "m.svg").getroot()
    text = " ".join(root.itertext())
    assert "10 Jun 2014" in text and "10 Jul 2017" in text and "17 Oct 2017" in text
    assert run("figure", "islamic-state", "-o", str(tmp_path / "a.png"), "--kind", "area") == 0
    image = Image.open(tmp_path / "a.png")
    assert image.size[0] >= 9 * 150 and round(image.info["dpi"][0]) == 200
    # A phone's column: 4 inches wide at 200 dpi, the height as asked (or taller for
    # a legend that needs it).
    for kind in ("area", "changes"):
        path = tmp_path / f"{kind}-phone.png"
        argv = ["figure", "islamic-state", "-o", str(path), "--kind", kind, "--size", "4x5"]
        assert run(*argv) == 0
        width, height = Image.open(path).size
        assert width == 800 and height >= 1000


def test_report_folder(
    tmp_path: Path, timeline: controlmap.Timeline, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    assert run("report", "islamic-state", "-o", str(out)) == 0
    names = {p.name for p in out.iterdir()}
    snapshots = {f"snapshot_{d:%Y-%m-%d}.geojson" for d in timeline.turning_points}
    expected = {
        "timeline_map.html",
        "changes_map.html",
        "area_monthly.csv",
        "small_multiples.png",
        "small_multiples.svg",
        "area_chart.png",
        "area_chart.svg",
    } | snapshots
    assert names == expected
    # Not a TTY here: no progress bar, just the summary line.
    err = capsys.readouterr().err
    assert err == f"wrote {len(expected)} files to {out}\n"

    # Snapshots re-read by GDAL: the area of what it holds on the day of Mosul.
    frame = pyogrio.read_dataframe(out / "snapshot_2017-07-10.geojson")
    expected_km2 = float(timeline.area(["2017-07-10"]).iloc[0, 0])
    assert float(geodesic_area_km2(frame.geometry.values).sum()) == pytest.approx(
        expected_km2, rel=1e-4
    )
    # The area table: month starts, km² per actor.
    table = pd.read_csv(out / "area_monthly.csv", parse_dates=["date"])
    assert (table["date"].dt.day == 1).all()
    assert table["date"].diff().dropna().dt.days.between(28, 31).all()
    row = table.loc[table["date"] == "2016-01-01", "Islamic State"].iloc[0]
    assert row == pytest.approx(float(timeline.area(["2016-01-01"]).iloc[0, 0]), abs=0.001)
    # The pages: timeline self-contained, changes of January 2015 to February 2018.
    page = (out / "timeline_map.html").read_text(encoding="utf-8")
    assert "<script src=" not in page
    changes = (out / "changes_map.html").read_text(encoding="utf-8")
    payload = payload_of(changes)
    assert (payload["start"], payload["end"]) == ("2015-01-01", "2018-02-01")
    assert Image.open(out / "small_multiples.png").info["dpi"][0] >= 150


def test_report_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    # stderr is a pseudo-terminal (of size 0 x 0, the hard case): the bar is drawn there.
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "controlmap.cli",
                "report",
                "islamic-state",
                "-o",
                str(tmp_path / "r"),
                "--no-self-contained",
            ],
            stderr=follower,
            stdout=subprocess.PIPE,
            timeout=120,
            check=False,
            env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")},
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, shown
    assert "report:" in shown and "%|" in shown
    assert "<script src=" in (tmp_path / "r" / "timeline_map.html").read_text(encoding="utf-8")


def _square_timeline(name: str, starts: list[str]) -> controlmap.Timeline:
    import geopandas as gpd
    from shapely import box

    periods = gpd.GeoDataFrame(
        {"actor": ["A"] * len(starts), "start": starts, "end": [None] * len(starts)},
        geometry=[box(40 + k, 33, 41 + k, 34) for k in range(len(starts))],
        crs=4326,
    )
    return controlmap.Timeline(periods, name=name)


def test_report_of_a_timeline_with_one_change_date(tmp_path: Path) -> None:
    from controlmap.render import Basemap, write_report

    tl = _square_timeline("single", ["2020-01-01"])
    names = [p.name for p in write_report(tl, tmp_path / "r", basemap=Basemap.empty())]
    assert "timeline_map.html" in names and "changes_map.html" not in names
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(names)


def test_report_refuses_bad_changes_before_writing(tmp_path: Path) -> None:
    from controlmap.errors import DataError
    from controlmap.render import Basemap, write_report

    tl = _square_timeline("two", ["2020-01-01", "2020-06-01"])
    with pytest.raises(DataError, match="not after start"):
        write_report(
            tl, tmp_path / "r", changes=("2020-06-01", "2020-01-01"), basemap=Basemap.empty()
        )
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_report_article_dates_only_for_the_bundled_timeline(tmp_path: Path) -> None:
    from controlmap.render import Basemap, write_report

    # Spans the article's dates (2015-01-01 .. 2018-02-01) but is not the bundled data.
    tl = _square_timeline("other", ["2014-01-01", "2019-01-01"])
    write_report(tl, tmp_path / "r", basemap=Basemap.empty(), progress=False)
    page = (tmp_path / "r" / "changes_map.html").read_text(encoding="utf-8")
    assert '"start":"2014-01-01"' in page and '"end":"2019-01-01"' in page


def test_report_uses_the_style_in_every_map_and_figure(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from controlmap.render import Basemap, Style, write_report

    tl = _square_timeline("styled", ["2014-01-01", "2019-01-01"])
    house = Style(
        credit="Graphic: The Daily",
        date_format="%B %-d, %Y",
        actor_colours=("#123456", "#654321"),
    )
    write_report(tl, tmp_path / "r", basemap=Basemap.empty(), progress=False, style=house)
    for name in ("timeline_map.html", "changes_map.html"):
        page = (tmp_path / "r" / name).read_text(encoding="utf-8")
        payload = payload_of(page)
        assert payload["credit"] == "Graphic: The Daily", name
        assert payload["style"]["date_format"] == "%B %-d, %Y", name
    changes = (tmp_path / "r" / "changes_map.html").read_text(encoding="utf-8")
    assert "January 1, 2014 to January 1, 2019" in changes  # the title's dates
    assert "#123456" in changes  # the house colours, not controlmap's
    for name in ("area_chart.svg", "small_multiples.svg"):
        svg = ET.parse(tmp_path / "r" / name).getroot()
        shown = " ".join("".join(svg.itertext()).split())
        assert "Graphic: The Daily" in shown, name
