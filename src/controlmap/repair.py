"""Repairing invalid polygons: a fixed copy of a file and a note of what changed.

Hand-drawn control polygons are often invalid: a ring that crosses itself (a
bowtie), a hole touching its shell in a line, exteriors wound clockwise.
:func:`repair` rewrites such a file with shapely's ``make_valid``, keeping only
the polygonal parts (the lines and points ``make_valid`` may leave are dropped),
and reports one :class:`Repair` per feature it changed. Everything else (the
properties, the feature order) is copied as it was.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .errors import GeometryError, where
from .geodesic import geodesic_area_km2
from .io import GEOJSON_SUFFIXES, read_frame, write_snapshot
from .periods import _polygonal, check_geometries

__all__ = ["Repair", "repair", "repair_geometries", "summary"]


@dataclass(frozen=True)
class Repair:
    """What :func:`repair` did to one feature.

    Attributes
    ----------
    index : int
        Zero-based position of the feature in the file.
    fid : object
        The feature's id, if it has one.
    problem : str
        What was wrong (GEOS's reason, e.g. ``"Self-intersection[0.5 0.5]"``).
    action : str
        What was done about it.
    """

    index: int
    fid: Any
    problem: str
    action: str

    def __str__(self) -> str:
        feature = f"feature {self.index}" + (f" (id {self.fid!r})" if self.fid is not None else "")
        return f"{feature}: {self.problem}: {self.action}"

    @property
    def rewound(self) -> bool:
        """Whether this change is rings rewound (the polygon was valid)."""
        return self.problem.startswith(WOUND)


def summary(changes: Sequence[Repair]) -> str:
    """One line saying what :func:`repair` did, counted, for a person.

    Examples
    --------
    >>> summary([Repair(0, None, f"{WOUND} ({OUTER})", "rewound"),
    ...          Repair(1, "b", "Self-intersection[0 0]", "made valid")])
    'made 1 invalid feature(s) valid; rewound 1 feature(s) (outer rings clockwise: 1)'
    >>> summary([])
    'nothing to repair'
    """
    fixed = [c for c in changes if not c.rewound]
    wound = [c for c in changes if c.rewound]
    parts = []
    if fixed:
        parts.append(f"made {len(fixed)} invalid feature(s) valid")
    if wound:
        kinds = [
            f"{label}: {count}"
            for label, count in (
                ("outer rings clockwise", sum(OUTER in c.problem for c in wound)),
                ("holes counter-clockwise", sum(HOLE in c.problem for c in wound)),
            )
            if count
        ]
        parts.append(f"rewound {len(wound)} feature(s) ({', '.join(kinds)})")
    return "; ".join(parts) or "nothing to repair"


def _describe(geom: Any) -> str:
    parts = shapely.get_num_geometries(geom)
    return geom.geom_type if parts == 1 else f"{geom.geom_type} of {parts} parts"


def repair_geometries(
    geometries: gpd.GeoSeries | np.ndarray, *, check_winding: bool = False
) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """Make polygons valid, keeping only their polygonal parts.

    Parameters
    ----------
    geometries : GeoSeries or array of shapely geometries
        Polygons and MultiPolygons in longitude/latitude.
    check_winding : bool, default False
        Also report exterior rings wound clockwise and holes wound counter-clockwise
        (RFC 7946 wants the opposite) and rewind them.

    Returns
    -------
    geometries : numpy.ndarray
        The repaired geometries (unchanged ones are the same objects).
    changes : list of (index, problem, action)
        One entry per geometry that changed.

    Examples
    --------
    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    >>> fixed, changes = repair_geometries(np.array([bowtie]))
    >>> fixed[0].geom_type, bool(fixed[0].is_valid)
    ('MultiPolygon', True)
    >>> changes[0][1]
    'Self-intersection[0.5 0.5]'
    """
    geoms = np.array(getattr(geometries, "values", geometries), dtype=object)
    changes: list[tuple[int, str, str]] = []
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    for i in invalid:
        before = geoms[i]
        reason = shapely.is_valid_reason(before)
        made = shapely.make_valid(before)
        fixed = _polygonal(made)
        dropped = sorted(
            {p.geom_type for p in shapely.get_parts(made) if p.geom_type not in _POLYGONS}
        )
        (new_km2,) = geodesic_area_km2([fixed])
        action = f"made valid ({_describe(fixed)}, {new_km2:,.3f} km²)"
        if dropped:
            action += f"; dropped {', '.join(dropped)} part(s)"
        if shapely.is_empty(fixed):
            action = "nothing polygonal is left (zero area)"
        geoms[i] = fixed
        changes.append((int(i), reason, action))
    if check_winding:
        oriented = shapely.orient_polygons(geoms, exterior_cw=False)
        repaired = {int(i) for i in invalid}
        for i in np.flatnonzero(~shapely.equals_exact(oriented, geoms, tolerance=0.0)):
            if int(i) not in repaired and not shapely.is_empty(geoms[i]):
                changes.append(
                    (
                        int(i),
                        f"{WOUND} ({_wrong_rings(geoms[i])})",
                        "rewound (outer rings counter-clockwise, holes clockwise)",
                    )
                )
        changes.sort()
        geoms = oriented
    return geoms, changes


_POLYGONS = {"Polygon", "MultiPolygon"}
WOUND = "rings wound against RFC 7946"
OUTER = "outer ring clockwise"
HOLE = "hole counter-clockwise"


def _wrong_rings(geom: Any) -> str:
    """Which rings of a valid polygon RFC 7946 would wind the other way."""
    polygons = shapely.get_parts(geom)
    outer = any(not p.exterior.is_ccw for p in polygons)
    hole = any(ring.is_ccw for p in polygons for ring in p.interiors)
    return ", ".join(kind for kind, wrong in ((OUTER, outer), (HOLE, hole)) if wrong)


def repair(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    crs: Any = None,
) -> list[Repair]:
    """Write a copy of ``source`` with every polygon made valid.

    Parameters
    ----------
    source : path-like
        A vector file :func:`controlmap.read` accepts.
    output : path-like
        ``.geojson``, ``.gpkg`` or ``.parquet``; replaced in one step, only once the
        copy is complete.
    layer : str or int, optional
        Layer of a multi-layer source.
    crs : CRS-like, optional
        CRS of a source that does not declare one.

    Returns
    -------
    list of Repair
        One per feature changed, in file order.

    Raises
    ------
    ControlMapError
        When the source cannot be read, or a feature is beyond repair (not a polygon,
        unclosed ring, NaN coordinates...), or a polygon collapses to nothing.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    >>> feature = {"type": "Feature", "geometry": bowtie,
    ...            "properties": {"actor": "A", "start": "2014-01-01"}}
    >>> _ = (folder / "in.geojson").write_text(
    ...     json.dumps({"type": "FeatureCollection", "features": [feature]}))
    >>> for change in repair(folder / "in.geojson", folder / "out.geojson"):
    ...     print(change)
    feature 0: Self-intersection[0.5 0.5]: made valid (MultiPolygon of 2 parts, 6,154.270 km²)
    """
    source = Path(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame, ids = read_frame(source, layer=layer, crs=crs)
    check_geometries(frame.geometry, file=source, ids=ids)
    geoms, changes = repair_geometries(
        frame.geometry.values, check_winding=source.suffix.lower() in GEOJSON_SUFFIXES
    )
    empty = np.flatnonzero(shapely.is_empty(geoms))
    if len(empty):
        i = int(empty[0])
        raise GeometryError(
            f"{where(source, i, ids[i] if ids else None)}: polygon has no area left once made"
            " valid; fix or delete it by hand"
        )
    fixed = frame.copy()
    fixed.geometry = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs).values
    if ids is not None and "id" not in fixed.columns:
        fixed.insert(0, "id", ids)
    write_snapshot(fixed, output)
    return [
        Repair(index, ids[index] if ids else None, problem, action)
        for index, problem, action in changes
    ]
