"""A synthetic world-borders timeline with hundreds of actors, made without any download.

Real historical atlases (world borders from 1880 to 2010, say) hold a few huge
states, a few dozen middling ones and a long tail of tiny ones (princely states,
sheikhdoms, free cities, enclaves); names are long, carry diacritics or are
written in their own scripts; states come and go, so many actors hold nothing on
some dates. :func:`world_timeline` makes such a timeline from the bundled world
outlines, deterministically, for tests and for looking at how maps and figures
read with many actors.

Examples
--------
>>> from controlmap.testing.world import world_timeline
>>> tl = world_timeline(80, seed=1)
>>> len(tl.actors)
80
>>> area = tl.area(tl.change_dates)
>>> bool((area == 0).any().any())  # some actors hold nothing on some dates
True
"""

from __future__ import annotations

import functools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from ..model import Timeline

__all__ = ["WORLD_DATES", "world_timeline"]

#: The dates of the snapshots, as in a world-borders atlas.
WORLD_DATES = (
    "1880-01-01",
    "1900-01-01",
    "1914-01-01",
    "1920-01-01",
    "1938-01-01",
    "1945-01-01",
    "1960-01-01",
    "1994-01-01",
    "2010-01-01",
)

#: Large and middling states: name, capital (lon, lat), weight (how far it reaches),
#: and the snapshot indexes (of WORLD_DATES) on which it exists. The Russian Empire
#: and the USSR hold the same ground one after the other, as in a real atlas.
STATES: tuple[tuple[str, tuple[float, float], float, tuple[int, int]], ...] = (
    ("Russian Empire", (45.0, 58.0), 9.0, (0, 3)),
    ("Union of Soviet Socialist Republics", (45.0, 58.0), 9.0, (3, 7)),
    ("Russian Federation", (45.0, 58.0), 7.5, (7, 9)),
    ("大清帝國", (112.0, 36.0), 5.0, (0, 2)),
    ("中華民國", (112.0, 33.0), 4.6, (2, 6)),
    ("中华人民共和国", (112.0, 33.0), 5.0, (6, 9)),
    ("United States of America", (-95.0, 40.0), 6.0, (0, 9)),
    ("Dominion of Canada", (-100.0, 58.0), 6.0, (0, 9)),
    ("Império do Brasil", (-50.0, -12.0), 5.0, (0, 1)),
    ("República dos Estados Unidos do Brasil", (-50.0, -12.0), 5.0, (1, 9)),
    ("Commonwealth of Australia", (134.0, -25.0), 5.5, (1, 9)),
    ("British Raj", (79.0, 22.0), 3.4, (0, 6)),
    ("भारत गणराज्य", (79.0, 22.0), 3.4, (6, 9)),
    ("الدولة العلية العثمانية", (35.0, 39.0), 2.6, (0, 3)),
    ("Türkiye Cumhuriyeti", (35.0, 39.0), 2.0, (4, 9)),
    (
        "United Kingdom of Great Britain and Northern Ireland (incl. dependencies)",
        (-2.0, 53.0),
        1.1,
        (0, 9),
    ),
    ("République française", (2.5, 47.0), 1.4, (0, 9)),
    ("Afrique-Occidentale française", (-2.0, 14.0), 4.0, (1, 6)),
    ("Deutsches Kaiserreich", (11.0, 51.5), 1.5, (0, 3)),
    ("Deutschland", (11.0, 51.5), 1.3, (3, 9)),
    ("Österreich-Ungarn", (17.0, 47.5), 1.3, (0, 3)),
    ("Estados Unidos Mexicanos", (-102.0, 23.0), 3.0, (0, 9)),
    ("República Argentina", (-64.0, -35.0), 3.4, (0, 9)),
    ("ኢትዮጵያ", (39.0, 9.0), 2.2, (0, 9)),
    ("Congo Free State", (23.0, -3.0), 3.2, (1, 2)),
    ("Congo belge", (23.0, -3.0), 3.2, (2, 6)),
    ("République démocratique du Congo", (23.0, -3.0), 3.2, (6, 9)),
    ("Cape Colony", (22.0, -31.0), 2.0, (0, 2)),
    ("Union of South Africa", (24.0, -29.0), 2.4, (2, 9)),
    ("大日本帝國", (138.0, 36.0), 1.6, (0, 6)),
    ("日本国", (138.0, 36.0), 1.2, (6, 9)),
    ("ราชอาณาจักรสยาม", (101.0, 15.0), 1.4, (0, 9)),
    ("Kingdom of the Serbs, Croats and Slovenes", (19.0, 44.0), 0.9, (3, 4)),
    ("Ελληνικό Βασίλειο", (22.0, 39.5), 0.8, (0, 9)),
    ("Persia (Sublime State of Iran)", (53.0, 32.5), 2.4, (0, 9)),
    ("المملكة العربية السعودية", (45.0, 24.0), 2.6, (4, 9)),
    ("Emirate of Nejd and Hasa", (45.0, 24.0), 1.8, (2, 4)),
    ("Mongolia", (104.0, 47.0), 2.6, (3, 9)),
    ("República de Chile", (-71.0, -32.0), 1.6, (0, 9)),
    ("República del Perú", (-75.0, -10.0), 2.2, (0, 9)),
    ("Estado Plurinacional de Bolivia", (-65.0, -17.0), 2.0, (0, 9)),
    ("Sultanate of Muscat and Oman", (57.0, 21.0), 1.0, (0, 9)),
    ("Kingdom of Egypt", (30.0, 26.0), 2.0, (4, 7)),
    ("Anglo-Egyptian Sudan", (30.0, 15.0), 2.6, (1, 6)),
    ("Algérie française", (3.0, 30.0), 2.8, (0, 6)),
    ("الجمهورية الجزائرية الديمقراطية الشعبية", (3.0, 30.0), 2.8, (6, 9)),
    ("Nederlandsch-Indië", (113.0, -2.0), 2.4, (0, 6)),
    ("Republik Indonesia", (113.0, -2.0), 2.4, (6, 9)),
    ("Հայաստանի Հանրապետություն", (44.5, 40.2), 0.5, (3, 4)),
    ("საქართველოს დემოკრატიული რესპუბლიკა", (43.5, 42.0), 0.5, (3, 4)),
    ("מדינת ישראל", (35.0, 31.5), 0.25, (6, 9)),
    ("Kingdom of Afghanistan", (66.0, 34.0), 1.4, (0, 9)),
    ("Reino de España", (-4.0, 40.0), 1.1, (0, 9)),
    ("Sverige", (16.0, 62.0), 1.2, (0, 9)),
    ("Norge", (10.0, 62.0), 0.9, (1, 9)),
    ("Polska", (19.5, 52.0), 0.9, (3, 9)),
    ("Mandchoukouo (Manchukuo)", (126.0, 45.0), 1.6, (4, 5)),
    ("조선", (127.5, 38.0), 0.6, (0, 2)),
    ("República de Colombia", (-73.0, 4.0), 1.8, (0, 9)),
    ("Estados Unidos de Venezuela", (-66.0, 7.0), 1.6, (0, 9)),
    ("Kingdom of Madagascar", (47.0, -19.0), 1.2, (0, 1)),
    ("Kenya Colony and Protectorate", (38.0, 0.5), 1.6, (3, 7)),
    ("Tanganyika Territory", (35.0, -6.0), 1.8, (3, 7)),
    ("Nigeria", (8.0, 9.0), 2.2, (2, 9)),
    ("Libia italiana", (17.0, 27.0), 2.8, (2, 6)),
)

#: Titles and place names of the long tail, in the scripts they were written in.
TAIL_TITLES = {
    "latin": (
        "Principality of {}",
        "Duchy of {}",
        "Sheikhdom of {}",
        "Sultanate of {}",
        "{} Protectorate",
        "Free City of {}",
        "Emirate of {}",
        "Kingdom of {}",
        "{} (princely state)",
        "Trucial State of {}",
    ),
    "cyrillic": ("Княжество {}", "Ханство {}", "Эмират {}"),
    "arabic": ("إمارة {}", "سلطنة {}", "مشيخة {}"),
    "devanagari": ("{} रियासत",),
    "cjk": ("{}土司", "{}藩"),
}
TAIL_PLACES = {
    "latin": (
        "Kalat", "Swat", "Dir", "Chitral", "Hunza", "Lahej", "Mahra", "Qu'aiti", "Kathiri",
        "Dhala", "Beihan", "Fadhli", "Wahidi", "Aulaqi", "Ajman", "Umm al-Quwain", "Sharjah",
        "Ras al-Khaimah", "Fujairah", "Kuwait", "Qatar", "Bahrain", "Johor", "Kedah",
        "Kelantan", "Terengganu", "Perlis", "Brunei", "Sarawak", "Sulu", "Lippe",
        "Schaumburg-Lippe", "Waldeck-Pyrmont", "Reuss", "Schwarzburg-Rudolstadt",
        "Saxe-Coburg and Gotha", "Anhalt", "Oldenburg", "Danzig", "Fiume", "Tangier",
        "Monaco", "San Marino", "Liechtenstein", "Andorra", "Sikkim", "Bhutan", "Tonga",
        "Zanzibar", "Witu", "Buganda", "Bunyoro", "Toro", "Ankole", "Basutoland",
        "Swaziland", "Bechuanaland", "Hejaz", "Asir", "Jabal Shammar", "Trengganu",
        "Pahang", "Negeri Sembilan", "Selangor", "Perak", "Tripura", "Manipur",
    ),
    "cyrillic": (
        "Хивинское", "Бухарское", "Кокандское", "Мегрельское", "Абхазское", "Гурийское",
        "Сванетское", "Черногорское",
    ),
    "arabic": ("حائل", "عسير", "الحجاز", "لحج", "حضرموت", "المهرة", "الشحر", "يافع", "بيحان"),
    "devanagari": (
        "जयपुर", "उदयपुर", "ग्वालियर", "इंदौर", "बड़ौदा", "मैसूर", "कोल्हापुर", "भोपाल", "जोधपुर",
        "बीकानेर", "रीवा", "पटियाला",
    ),
    "cjk": ("木里", "卓尼", "永宁", "德格", "明正", "孟连", "车里", "南甸"),
}  # fmt: skip


def _tail_names(count: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``count`` distinct names of small states, most Latin, some in other scripts."""
    scripts = list(TAIL_TITLES)
    weights = np.array([0.72, 0.07, 0.07, 0.07, 0.07])
    names: list[str] = []
    while len(names) < count:
        script = scripts[int(rng.choice(len(scripts), p=weights))]
        title = TAIL_TITLES[script][int(rng.integers(len(TAIL_TITLES[script])))]
        place = TAIL_PLACES[script][int(rng.integers(len(TAIL_PLACES[script])))]
        name = title.format(place)
        suffix = 2
        while name in taken:  # a place ruled by several states over time
            name = f"{title.format(place)} ({suffix})"
            suffix += 1
        taken.add(name)
        names.append(name)
    return names


@functools.lru_cache(maxsize=4)
def _land_cells(cell: float) -> tuple[shapely.Geometry, ...]:
    """Squares of ``cell`` degrees cut to the bundled world outlines (land only)."""
    from ..datasets import data_dir

    world = gpd.read_file(data_dir() / "fighters" / "world_countries_110m.geojson")
    land = shapely.union_all(shapely.make_valid(np.asarray(world.geometry.values)))
    land = shapely.intersection(land, shapely.box(-180, -56, 180, 78))
    xs = np.arange(-180, 180, cell)
    ys = np.arange(-56, 78, cell)
    grid = [shapely.box(x, y, x + cell, y + cell) for y in ys for x in xs]
    cut = shapely.intersection(np.asarray(grid, dtype=object), land)
    polygonal = [shapely.make_valid(g) for g in cut if not shapely.is_empty(g)]
    keep = []
    for g in polygonal:
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 1e-4]
        if parts:
            keep.append(shapely.multipolygons(parts) if len(parts) > 1 else parts[0])
    return tuple(keep)


def world_timeline(
    n_actors: int = 400,
    *,
    seed: int = 0,
    dates: tuple[str, ...] = WORLD_DATES,
    cell: float = 3.0,
) -> Timeline:
    """A world-borders-like timeline of ``n_actors`` actors on ``dates``.

    Named states (:data:`STATES`, real historical names in their own scripts,
    e.g. the Russian Empire followed on the same ground by the USSR) share the
    land out by weighted distance to their capitals, one snapshot per date; the
    remaining actors are a long tail of small states (discs of 3 to 120 km
    radius cut out of the land around them), each existing on some dates only.
    Everything is deterministic for a given ``seed``.

    Parameters
    ----------
    n_actors : int
        How many actors (at least ``len(STATES)``); the rest are small states.
    seed : int
        Seed of the random choices (tail names, places, sizes, lifetimes).
    dates : tuple of str
        The snapshot dates; each snapshot holds until the next, the last is open.
    cell : float
        Size in degrees of the squares the land is shared out in.

    Returns
    -------
    Timeline
        Columns ``actor``, ``start``, ``end``, ``status`` (``control``), geometry.

    Examples
    --------
    >>> tl = world_timeline(80)
    >>> "Russian Empire" in tl.actors and "Union of Soviet Socialist Republics" in tl.actors
    True
    """
    if n_actors < len(STATES):
        raise ValueError(f"world_timeline: n_actors must be at least {len(STATES)}")
    rng = np.random.default_rng(seed)
    cells = _land_cells(cell)
    centres = shapely.get_coordinates(shapely.centroid(np.asarray(cells, dtype=object)))
    stretch = np.cos(np.radians(centres[:, 1]))
    n_dates = len(dates)
    # Later snapshots of a 9-date atlas map onto the states' lifetimes proportionally.
    scale = n_dates / len(WORLD_DATES)
    tail = _tail_names(n_actors - len(STATES), rng, {s[0] for s in STATES})

    owners = np.full((n_dates, len(cells)), -1)
    for t in range(n_dates):
        alive = [
            k
            for k, (_, _, _, (born, gone)) in enumerate(STATES)
            if math.floor(born * scale) <= t < max(math.ceil(gone * scale), 1)
        ]
        if not alive:
            continue
        capitals = np.array([STATES[k][1] for k in alive])
        weights = np.array([STATES[k][2] for k in alive]) * rng.uniform(0.92, 1.08, len(alive))
        dx = (centres[:, None, 0] - capitals[None, :, 0]) * stretch[:, None]
        dy = centres[:, None, 1] - capitals[None, :, 1]
        reach = np.hypot(dx, dy) / np.sqrt(weights)[None, :]
        owners[t] = np.asarray(alive)[np.argmin(reach, axis=1)]
        # A small state next to a large one may win no square: give it the one
        # nearest its capital, as an atlas shows every state it names.
        given: set[int] = set()
        for j, k in enumerate(alive):
            if not (owners[t] == k).any():
                nearest = [int(c) for c in np.argsort(reach[:, j]) if int(c) not in given]
                owners[t, nearest[0]] = k
                given.add(nearest[0])

    # The tail: small discs on land, alive on a run of dates.
    spots = rng.integers(len(cells), size=len(tail))
    radii_km = np.exp(rng.uniform(np.log(3), np.log(120), size=len(tail)))
    born = rng.integers(0, n_dates, size=len(tail))
    lives = rng.integers(1, n_dates + 1, size=len(tail))
    discs = []
    for k in range(len(tail)):
        inside = shapely.point_on_surface(cells[spots[k]])
        lat = shapely.get_y(inside)
        radius = radii_km[k] / 111.0
        stretch_x = 1 / max(math.cos(math.radians(lat)), 0.2)
        disc = affinity.scale(inside.buffer(radius, 16), xfact=stretch_x, origin=inside)
        discs.append(shapely.intersection(disc, cells[spots[k]]))

    rows: list[tuple[str, pd.Timestamp, pd.Timestamp | None, shapely.Geometry]] = []
    starts = [pd.Timestamp(d) for d in dates]
    for t in range(n_dates):
        end = starts[t + 1] if t + 1 < n_dates else None
        alive_tail = [k for k in range(len(tail)) if born[k] <= t < born[k] + lives[k]]
        holes = shapely.union_all([discs[k] for k in alive_tail]) if alive_tail else None
        for k in np.unique(owners[t][owners[t] >= 0]):
            ground = shapely.coverage_union_all(np.asarray(cells, dtype=object)[owners[t] == k])
            if holes is not None:
                ground = shapely.difference(ground, holes)
            if not shapely.is_empty(ground):
                rows.append((STATES[int(k)][0], starts[t], end, ground))
        for k in alive_tail:
            if not shapely.is_empty(discs[k]):
                rows.append((tail[k], starts[t], end, discs[k]))
    frame = gpd.GeoDataFrame(
        {
            "actor": [r[0] for r in rows],
            "start": [r[1] for r in rows],
            "end": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs="EPSG:4326",
    )
    # Every actor is a column of the area tables, also one that never got ground.
    missing = [a for a in [s[0] for s in STATES] + tail if a not in set(frame["actor"])]
    if missing:
        raise AssertionError(f"world_timeline: no ground for {missing[:3]}")
    return Timeline(frame, name="world borders (synthetic)")
