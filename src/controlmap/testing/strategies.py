"""Hypothesis strategies for timelines and for broken GeoJSON.

Valid data: :func:`dates`, :func:`boxes`, :func:`periods_frames` and
:func:`timelines` draw small timelines of integer-degree boxes in the Middle East
(easy to reason about, quick to compute with) with random actors and dates,
overlapping or not. Broken data: :func:`broken_geojson` draws GeoJSON files
damaged in one of the ways real files are (truncated, unclosed rings, NaN,
missing actors, bad dates, wrong types...), as bytes ready to write to disk.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5)
... @given(timelines())
... def test_area_is_never_negative(timeline):
...     assert (timeline.area().to_numpy() >= 0).all()
>>> test_area_is_never_negative()
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from hypothesis import strategies as st

from ..model import Timeline

__all__ = [
    "ACTORS",
    "DAMAGES",
    "BrokenGeoJSON",
    "boxes",
    "broken_geojson",
    "dates",
    "json_values",
    "periods_frames",
    "timelines",
    "valid_geojson",
]

ACTORS = ("Islamic State", "Iraqi government", "SDF", "Kurdistan Region", "Syrian government")
FIRST_DAY = pd.Timestamp("2012-01-01")
LAST_DAY = pd.Timestamp("2020-12-31")


def dates(
    min_value: pd.Timestamp = FIRST_DAY, max_value: pd.Timestamp = LAST_DAY
) -> st.SearchStrategy[pd.Timestamp]:
    """Midnight timestamps between two days (inclusive).

    Examples
    --------
    >>> from hypothesis import find
    >>> day = find(dates(), lambda day: day.year == 2015)
    >>> day.year, day == day.normalize()
    (2015, True)
    """
    days = (max_value - min_value).days
    return st.integers(0, days).map(lambda n: min_value + pd.Timedelta(days=n))


@st.composite
def boxes(
    draw: st.DrawFn,
    *,
    lon: tuple[int, int] = (35, 48),
    lat: tuple[int, int] = (29, 38),
    max_size: int = 4,
    step: float = 1.0,
) -> shapely.Polygon:
    """Axis-aligned boxes with corners on a ``step``-degree grid inside ``lon`` x ``lat``.

    Examples
    --------
    >>> from hypothesis import find
    >>> b = find(boxes(), lambda b: b.area >= 4)
    >>> b.geom_type, b.is_valid, b.bounds == tuple(map(round, b.bounds))
    ('Polygon', True, True)
    """
    per_degree = round(1 / step)
    x0 = draw(st.integers(lon[0] * per_degree, (lon[1] - 1) * per_degree))
    y0 = draw(st.integers(lat[0] * per_degree, (lat[1] - 1) * per_degree))
    width = draw(st.integers(1, max(1, min(max_size * per_degree, lon[1] * per_degree - x0))))
    height = draw(st.integers(1, max(1, min(max_size * per_degree, lat[1] * per_degree - y0))))
    return shapely.box(
        x0 / per_degree, y0 / per_degree, (x0 + width) / per_degree, (y0 + height) / per_degree
    )


@st.composite
def periods_frames(
    draw: st.DrawFn,
    *,
    actors: tuple[str, ...] | st.SearchStrategy[str] = ACTORS,
    min_size: int = 1,
    max_size: int = 8,
    overlaps: bool = True,
    open_ended: bool = True,
    statuses: tuple[str, ...] = ("control",),
) -> gpd.GeoDataFrame:
    """GeoDataFrames of periods: ``actor``, ``start``, ``end``, ``status``, box geometry.

    Parameters
    ----------
    actors : tuple of str or strategy of str
        Actor names to choose from.
    min_size, max_size : int
        Number of periods.
    overlaps : bool, default True
        If False, the periods of one actor follow each other in time and never
        overlap (so no ground is counted twice by construction).
    open_ended : bool, default True
        Allow periods with no end (``None``: still held).
    statuses : tuple of str
        Status values to choose from.

    Examples
    --------
    >>> from hypothesis import find
    >>> frame = find(periods_frames(max_size=3), lambda f: len(f) == 3)
    >>> list(frame.columns)
    ['actor', 'start', 'end', 'status', 'geometry']
    """
    names = st.sampled_from(actors) if isinstance(actors, tuple) else actors
    count = draw(st.integers(min_size, max_size))
    rows: list[dict[str, Any]] = []
    who = [draw(names) for _ in range(count)]
    if overlaps:
        for actor in who:
            start = draw(dates(max_value=LAST_DAY - pd.Timedelta(days=1)))
            end = (
                None
                if open_ended and draw(st.booleans())
                else draw(dates(min_value=start + pd.Timedelta(days=1)))
            )
            rows.append({"actor": actor, "start": start, "end": end})
    else:
        # One actor's periods chain end-to-start: cut points drawn once per actor.
        for actor in dict.fromkeys(who):
            n = who.count(actor)
            cuts = sorted(draw(st.lists(dates(), min_size=n + 1, max_size=n + 1, unique=True)))
            for i in range(n):
                last = i == n - 1 and open_ended and draw(st.booleans())
                rows.append(
                    {"actor": actor, "start": cuts[i], "end": None if last else cuts[i + 1]}
                )
    for row in rows:
        row["status"] = draw(st.sampled_from(statuses))
        row["geometry"] = draw(boxes())
    frame = gpd.GeoDataFrame(rows, columns=["actor", "start", "end", "status", "geometry"])
    return frame.set_geometry("geometry").set_crs(4326)


def timelines(**options: Any) -> st.SearchStrategy[Timeline]:
    """:class:`~controlmap.Timeline` objects built from :func:`periods_frames`.

    Keyword arguments are those of :func:`periods_frames`.

    Examples
    --------
    >>> from hypothesis import find
    >>> timeline = find(timelines(max_size=3), lambda t: len(t.actors) == 2)
    >>> len(timeline.actors)
    2
    """
    return periods_frames(**options).map(Timeline)


# ---------------------------------------------------------------------------- GeoJSON
def _feature(row: dict[str, Any], fid: int | None) -> dict[str, Any]:
    properties = {
        "actor": row["actor"],
        "start": f"{row['start']:%Y-%m-%d}",
        "end": None if row["end"] is None or pd.isna(row["end"]) else f"{row['end']:%Y-%m-%d}",
        "status": row["status"],
    }
    feature: dict[str, Any] = {
        "type": "Feature",
        "properties": properties,
        "geometry": json.loads(shapely.to_geojson(shapely.orient_polygons(row["geometry"]))),
    }
    if fid is not None:
        feature["id"] = fid
    return feature


@st.composite
def valid_geojson(draw: st.DrawFn, **options: Any) -> dict[str, Any]:
    """A valid timeline as a GeoJSON FeatureCollection (a dict), ids optional.

    Keyword arguments are those of :func:`periods_frames`.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(valid_geojson(), lambda doc: len(doc["features"]) == 2)["type"]
    'FeatureCollection'
    """
    frame = draw(periods_frames(**options))
    with_ids = draw(st.booleans())
    records = frame.to_dict("records")
    return {
        "type": "FeatureCollection",
        "features": [_feature(row, i if with_ids else None) for i, row in enumerate(records)],
    }


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Arbitrary JSON values (including NaN and infinities, which GDAL writes).

    Examples
    --------
    >>> from hypothesis import find
    >>> value = find(json_values(), lambda v: isinstance(v, dict) and len(v) == 2)
    >>> len(json.loads(json.dumps(value)))
    2
    """
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=12)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )


DAMAGES = (
    "truncated",
    "garbage bytes",
    "empty",
    "not JSON",
    "topology",
    "bare geometry",
    "no actor",
    "blank actor",
    "bad date",
    "end before start",
    "point geometry",
    "line geometry",
    "null geometry",
    "unclosed ring",
    "short ring",
    "nan coordinate",
    "infinite coordinate",
    "projected coordinates",
    "duplicate id",
    "empty collection",
    "not a feature",
    "random property",
    "random geometry",
    "random coordinates",
    "random feature",
    "random document",
    "lone surrogate",
    "huge number",
    "text coordinate",
    "boolean coordinate",
    "geometry property",
    "nan id",
    "date out of range",
)
"""Every kind of damage :func:`broken_geojson` applies."""


@dataclass(frozen=True)
class BrokenGeoJSON:
    """A damaged GeoJSON file: its bytes, what was done, and whether it must fail.

    Attributes
    ----------
    content : bytes
        The file's bytes.
    damage : str
        Which damage was applied (e.g. ``"unclosed ring"``).
    feature : int or None
        Index of the damaged feature, when one feature was damaged.
    must_fail : bool
        True when no correct reader may accept the file; False for random
        replacements that may happen to leave it valid.
    """

    content: bytes
    damage: str
    feature: int | None
    must_fail: bool


def _dump(document: Any) -> bytes:
    return json.dumps(document, allow_nan=True).encode()


def _ring_of(feature: dict[str, Any]) -> list[list[float]]:
    return feature["geometry"]["coordinates"][0]


@st.composite
def broken_geojson(draw: st.DrawFn, kind: str | None = None) -> BrokenGeoJSON:
    """GeoJSON timelines damaged in one of the ways real files are.

    Parameters
    ----------
    kind : str, optional
        One of :data:`DAMAGES`; default: any.

    Examples
    --------
    >>> from hypothesis import find
    >>> broken = find(broken_geojson("unclosed ring"), lambda b: True)
    >>> broken.damage, broken.must_fail, isinstance(broken.content, bytes)
    ('unclosed ring', True, True)
    """
    document = draw(valid_geojson(max_size=4))
    features = document["features"]
    k = draw(st.integers(0, len(features) - 1))
    target = features[k]
    damage = kind if kind is not None else draw(st.sampled_from(DAMAGES))

    def broken(document: Any = document, *, feature: int | None = k, must: bool = True) -> Any:
        return BrokenGeoJSON(_dump(document), damage, feature, must)

    text = _dump(document)
    if damage == "truncated":
        cut = draw(st.integers(0, len(text) - 1))
        return BrokenGeoJSON(text[:cut], damage, None, True)
    if damage == "garbage bytes":
        at = draw(st.integers(0, len(text) - 1))
        junk = draw(st.binary(min_size=1, max_size=8).filter(lambda b: b.strip() != b""))
        # Bytes that cannot extend valid JSON text: not whitespace-only; may still be valid
        # (inside a string), so must_fail is False.
        return BrokenGeoJSON(text[:at] + junk + text[at:], damage, None, False)
    if damage == "empty":
        return BrokenGeoJSON(
            draw(st.sampled_from([b"", b"   \n", b"\xef\xbb\xbf"])), damage, None, True
        )
    if damage == "not JSON":
        junk = draw(st.sampled_from([b"hello", b"<html></html>", b"\x00\x01\x02", b"{'a': 1}"]))
        return BrokenGeoJSON(junk, damage, None, True)
    if damage == "topology":
        return broken({"type": "Topology", "objects": {}, "arcs": []}, feature=None)
    if damage == "bare geometry":
        return broken(target["geometry"], feature=None)
    if damage == "no actor":
        del target["properties"]["actor"]
        # A file where no feature has the field fails at file level.
        return broken(feature=k if len(features) > 1 else None)
    if damage == "blank actor":
        target["properties"]["actor"] = draw(st.sampled_from(["", "  ", None, 3, [], {}]))
    elif damage == "bad date":
        target["properties"]["start"] = draw(
            st.sampled_from(["2014-13-01", "2014-02-30", "yesterday", "", None, "14/06/2014", True])
        )
    elif damage == "end before start":
        start = target["properties"]["start"]
        target["properties"]["end"] = start
        if draw(st.booleans()):
            target["properties"]["end"] = f"{int(start[:4]) - 1}{start[4:]}"
    elif damage == "point geometry":
        target["geometry"] = {"type": "Point", "coordinates": _ring_of(target)[0]}
    elif damage == "line geometry":
        target["geometry"] = {"type": "LineString", "coordinates": _ring_of(target)}
    elif damage == "null geometry":
        target["geometry"] = None
    elif damage == "unclosed ring":
        ring = _ring_of(target)
        ring[-1] = [ring[-1][0] + 0.5, ring[-1][1]]
    elif damage == "short ring":
        target["geometry"]["coordinates"][0] = _ring_of(target)[:3]
    elif damage in ("nan coordinate", "infinite coordinate"):
        ring = _ring_of(target)
        i = draw(st.integers(0, len(ring) - 1))
        value = (
            math.nan if damage == "nan coordinate" else draw(st.sampled_from([-1, 1])) * math.inf
        )
        ring[i] = [value, ring[i][1]]
    elif damage == "projected coordinates":
        for feature in features:
            feature["geometry"]["coordinates"] = [
                [[x * 100_000, y * 100_000] for x, y in ring]
                for ring in feature["geometry"]["coordinates"]
            ]
        return broken(feature=None)
    elif damage == "duplicate id":
        if len(features) == 1:
            features.append(json.loads(json.dumps(target)))
        for i, feature in enumerate(features):
            feature["id"] = "same" if i in (k, (k + 1) % len(features)) else f"f{i}"
        return broken(feature=max(k, (k + 1) % len(features)))
    elif damage == "empty collection":
        document["features"] = []
        return broken(feature=None)
    elif damage == "not a feature":
        features[k] = draw(st.sampled_from([target["geometry"], [], "Feature", 1, None]))
    elif damage == "random property":
        name = draw(st.sampled_from(["actor", "start", "end", "status", "id"]))
        target["properties"][name] = draw(json_values())
        return broken(must=False)
    elif damage == "random geometry":
        target["geometry"] = draw(
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "Box"]),
                        "coordinates": json_values(),
                    }
                ),
            )
        )
        return broken(must=False)
    elif damage == "random coordinates":
        ring = _ring_of(target)
        i = draw(st.integers(0, len(ring) - 1))
        ring[i] = draw(json_values(max_leaves=3))
        return broken(must=False)
    elif damage == "random feature":
        features[k] = draw(
            st.dictionaries(
                st.sampled_from(["type", "id", "properties", "geometry"]), json_values()
            )
        )
        return broken(must=False)
    elif damage == "random document":
        return BrokenGeoJSON(_dump(draw(json_values())), damage, None, True)
    elif damage == "lone surrogate":
        # Half of a UTF-16 pair: json.dumps writes it as a \u escape, as a hostile file does.
        half = chr(draw(st.integers(0xD800, 0xDFFF)))
        name = draw(st.sampled_from(["actor", "status", "note", "key"]))
        if name == "key":
            target["properties"][f"x{half}"] = 1
        else:
            target["properties"][name] = f"{target['properties'].get(name) or 'x'}{half}"
    elif damage == "huge number":
        digits = draw(st.integers(5_000, 200_000))
        target["properties"]["count"] = "HUGE-NUMBER"
        text = _dump(document).replace(b'"HUGE-NUMBER"', b"9" * digits)
        return BrokenGeoJSON(text, damage, k, True)
    elif damage in ("text coordinate", "boolean coordinate"):
        ring = _ring_of(target)
        i = draw(st.integers(1, len(ring) - 2))  # not the closing pair: one bad value
        axis = draw(st.integers(0, 1))
        bad: Any = str(ring[i][axis]) if damage == "text coordinate" else draw(st.booleans())
        ring[i] = [bad if a == axis else v for a, v in enumerate(ring[i])]
    elif damage == "geometry property":
        target["properties"]["geometry"] = draw(json_values(max_leaves=2))
    elif damage == "nan id":
        target["id"] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    elif damage == "date out of range":
        field = draw(st.sampled_from(["start", "end"]))
        target["properties"][field] = draw(
            st.sampled_from(
                [
                    "0000-01-01",
                    "-0001-06-01",
                    "0001-01-01T00:00:00+00:30",
                    "9999-12-31T23:30:00-01:00",
                    "10000-01-01",
                ]
            )
        )
        if field == "end":
            target["properties"]["start"] = "0001-01-01"  # so only the range can be wrong
    return broken()
