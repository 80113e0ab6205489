"""Packed geometry: a timeline's small polygons as WKB, made into shapely objects on demand.

A shapely polygon costs GEOS about 224 bytes plus 24 a vertex (GEOS keeps a third
coordinate even for flat data); its WKB costs 13 bytes plus 16 a vertex. A
timeline of 100,000 small periods holds 22 MB packed instead of 59 MB of shapely
objects, and each computation makes objects only for the slice of periods it is
working on (:meth:`PackedGeometry.slices`, :meth:`PackedGeometry.take`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely

__all__ = [
    "PackedBuilder",
    "PackedGeometry",
    "Rows",
    "bounds_of",
    "large",
    "made",
    "tree_items",
]

#: Periods made into shapely objects at once (about 2 MB for small polygons).
SLICE = 4096
#: Mean vertices per geometry from which shapely objects are kept as they are: there
#: GEOS's fixed cost is small beside the coordinates, and computations over many large
#: overlapping polygons (unions, prepared tests) need most of them at once anyway.
KEEP_OBJECTS_VERTICES = 100


class PackedGeometry:
    """Geometries kept as WKB, with their bounds; shapely objects made per slice.

    WKB keeps every coordinate exactly (doubles), the geometry type (a one-part
    MultiPolygon stays one), ring order and orientation: what :meth:`take` gives
    back equals what was packed. Large geometries (:data:`KEEP_OBJECTS_VERTICES`
    vertices on average) are kept as shapely objects instead, given back as they are.

    Examples
    --------
    >>> from shapely import box
    >>> packed = PackedGeometry.pack(np.array([box(0, 0, 1, 1), box(2, 2, 4, 3)]))
    >>> len(packed), packed.bounds[1].tolist(), packed.is_wkb
    (2, [2.0, 2.0, 4.0, 3.0], True)
    >>> packed.take(np.array([1]))[0].area
    2.0
    """

    __slots__ = ("_objects", "_offsets", "_wkb", "bounds")

    def __init__(
        self,
        wkb: bytes | bytearray,
        offsets: np.ndarray,
        bounds: np.ndarray,
        objects: np.ndarray | None = None,
    ) -> None:
        self._wkb = wkb
        self._offsets = offsets  # int64, len(self) + 1 (WKB only)
        self._objects = objects  # the shapely objects, when kept as they are
        #: ``(n, 4)`` array of each geometry's west, south, east, north.
        self.bounds = bounds

    @classmethod
    def of_objects(cls, geometries: np.ndarray) -> PackedGeometry:
        """Shapely geometries kept as they are (not packed)."""
        objects = np.asarray(geometries, dtype=object)
        return cls(b"", np.zeros(1, dtype=np.int64), shapely.bounds(objects), objects)

    @classmethod
    def pack(cls, geometries: np.ndarray, *, keep_large: bool = True) -> PackedGeometry:
        """Pack shapely geometries (large ones kept as objects when ``keep_large``)."""
        geometries = np.asarray(geometries, dtype=object)
        if keep_large and large(geometries):
            return cls.of_objects(geometries)
        builder = PackedBuilder(objects=False)
        for start in range(0, len(geometries), SLICE):
            builder.add(geometries[start : start + SLICE])
        return builder.build()

    @property
    def objects(self) -> np.ndarray | None:
        """The shapely objects kept as they are (None when packed as WKB)."""
        return self._objects

    @property
    def is_wkb(self) -> bool:
        """Whether the geometries are packed as WKB (else kept as shapely objects)."""
        return self._objects is None

    def __len__(self) -> int:
        if self._objects is not None:
            return len(self._objects)
        return len(self._offsets) - 1

    def rows(self, which: Any = None) -> np.ndarray:
        """Row numbers of ``which`` (a boolean mask, row numbers, or None for all)."""
        if which is None:
            return np.arange(len(self))
        which = np.asarray(which)
        return np.flatnonzero(which) if which.dtype == bool else which.astype(np.int64)

    def _blobs(self, rows: np.ndarray) -> list[bytes]:
        view = memoryview(self._wkb)
        starts, stops = self._offsets[rows].tolist(), self._offsets[rows + 1].tolist()
        return [view[a:b].tobytes() for a, b in zip(starts, stops, strict=True)]

    def take(self, which: Any = None) -> np.ndarray:
        """The shapely geometries of ``which`` (mask or row numbers), as an object array."""
        rows = self.rows(which)
        if self._objects is not None:
            return self._objects[rows]
        blobs = np.empty(len(rows), dtype=object)
        blobs[:] = self._blobs(rows)
        return shapely.from_wkb(blobs)

    def slices(self, which: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(rows, geometries)`` of ``which`` a slice of :data:`SLICE` at a time.

        Kept objects come in one slice: they exist already, and a computation spread
        over threads (``valid_mask``) works best on all of them at once.
        """
        rows = self.rows(which)
        step = max(1, len(rows)) if self._objects is not None else SLICE
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            yield part, self.take(part)

    def replace(self, rows: np.ndarray, geometries: np.ndarray) -> PackedGeometry:
        """A copy with the geometries of ``rows`` replaced (a repaired polygon, say)."""
        if self._objects is not None:
            objects = self._objects.copy()
            objects[rows] = geometries
            return PackedGeometry.of_objects(objects)
        sizes = np.diff(self._offsets)
        blobs = self._blobs(np.arange(len(self)))
        for row, blob in zip(rows.tolist(), shapely.to_wkb(geometries), strict=True):
            blobs[row] = blob
            sizes[row] = len(blob)
        offsets = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        bounds = self.bounds.copy()
        bounds[rows] = shapely.bounds(geometries)
        return PackedGeometry(b"".join(blobs), offsets, bounds)


def large(geometries: np.ndarray) -> bool:
    """Whether geometries average :data:`KEEP_OBJECTS_VERTICES` vertices or more."""
    if not len(geometries):
        return False
    return bool(shapely.get_num_coordinates(geometries).mean() >= KEEP_OBJECTS_VERTICES)


class PackedBuilder:
    """Packs geometries added a batch at a time into one buffer (no copy at the end).

    ``objects``: True keeps shapely objects, False packs everything as WKB, None (the
    default) keeps objects when the first batch added is :func:`large`.

    Examples
    --------
    >>> from shapely import box
    >>> builder = PackedBuilder()
    >>> builder.add(np.array([box(0, 0, 1, 1)])); builder.add(np.array([box(0, 0, 2, 2)]))
    >>> [g.area for g in builder.build().take()]
    [1.0, 4.0]
    """

    def __init__(self, *, objects: bool | None = None) -> None:
        self._choice = objects
        self._objects: list[np.ndarray] | None = [] if objects else None
        self._wkb = bytearray()
        self._sizes: list[np.ndarray] = []
        self._bounds: list[np.ndarray] = []
        self._started = False

    def add(self, geometries: np.ndarray) -> None:
        """Pack these shapely geometries after those already added."""
        if not self._started:
            self._started = True
            if self._choice is None and large(geometries):
                self._objects = []
        if self._objects is not None:
            self._objects.append(geometries)
            return
        blobs = shapely.to_wkb(geometries)
        self._sizes.append(np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)))
        for blob in blobs:  # appended one by one: a joined copy would be a batch more
            self._wkb += blob
        self._bounds.append(shapely.bounds(geometries))

    def build(self) -> PackedGeometry:
        """The packed geometries."""
        if self._objects is not None:
            parts = self._objects
            return PackedGeometry.of_objects(
                np.concatenate(parts) if parts else np.empty(0, dtype=object)
            )
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, dtype=np.int64)
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        bounds = np.concatenate(self._bounds) if self._bounds else np.empty((0, 4))
        return PackedGeometry(self._wkb, offsets, bounds)


class Rows:
    """Some rows of a :class:`PackedGeometry`, indexed like an array of geometries.

    ``rows[k]`` (a mask or positions) is again a :class:`Rows`; :attr:`bounds` needs no
    shapely object; :meth:`take` makes the shapely objects of the positions asked.

    Examples
    --------
    >>> from shapely import box
    >>> rows = Rows(PackedGeometry.pack(np.array([box(0, 0, 1, 1), box(2, 2, 4, 3)])))
    >>> len(rows[np.array([False, True])]), rows.take(np.array([1]))[0].bounds
    (1, (2.0, 2.0, 4.0, 3.0))
    """

    __slots__ = ("packed", "rows")

    def __init__(self, packed: PackedGeometry, rows: np.ndarray | None = None) -> None:
        self.packed = packed
        self.rows = packed.rows(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, which: Any) -> Rows:
        return Rows(self.packed, self.rows[which])

    @property
    def bounds(self) -> np.ndarray:
        return self.packed.bounds[self.rows]

    def take(self, which: Any = None) -> np.ndarray:
        return self.packed.take(self.rows if which is None else self.rows[which])


def made(geometries: np.ndarray | Rows, which: Any) -> np.ndarray:
    """Shapely objects of ``geometries[which]``, from an array or from :class:`Rows`."""
    if isinstance(geometries, Rows):
        return geometries.take(which)
    return geometries[which]


def bounds_of(geometries: np.ndarray | Rows) -> np.ndarray:
    """``(n, 4)`` bounds of an array of geometries or of :class:`Rows`."""
    if isinstance(geometries, Rows):
        return geometries.bounds
    return shapely.bounds(geometries)


def tree_items(geometries: np.ndarray | Rows) -> np.ndarray:
    """What an STRtree of ``geometries`` is built of.

    The geometries themselves, or for :class:`Rows` their bounding boxes, which give
    the same envelope queries without making the polygons.
    """
    if isinstance(geometries, Rows):
        return shapely.box(*geometries.bounds.T)
    return geometries
