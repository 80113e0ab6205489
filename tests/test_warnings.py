"""The ControlMapWarning family: every warning controlmap emits is one, and only those
are filtered by controlmap itself."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import shapely

import controlmap
import controlmap.io.reading
from controlmap import errors

BOWTIE = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]


def _file(path: Path, ring: list[list[float]]) -> Path:
    feature = {
        "type": "Feature",
        "properties": {"actor": "A", "start": "2015-01-01"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def test_every_warning_class_is_exported_and_in_the_family() -> None:
    names = [n for n in errors.__all__ if n.endswith("Warning")]
    assert len(names) >= 5
    for name in names:
        cls = getattr(controlmap, name)
        assert cls is getattr(errors, name)
        assert issubclass(cls, controlmap.ControlMapWarning)
        assert issubclass(cls, UserWarning)  # shown by default
    assert issubclass(controlmap.ControlMapDeprecationWarning, DeprecationWarning)


def test_invalid_polygons_warn_with_geometry_warning(tmp_path: Path) -> None:
    path = _file(tmp_path / "bowtie.geojson", BOWTIE)
    with pytest.warns(controlmap.GeometryWarning, match="invalid polygon"):
        tl = controlmap.read(path)
    # The repaired copy is what is measured: the bowtie's two triangles, not zero.
    assert tl.period_area_km2[0] > 0


def test_validate_passes_every_warning_on_and_strict_fails_on_them(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Warnings raised while reading reach the caller of validate; strict makes them errors."""
    ring = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    path = _file(tmp_path / "good.geojson", ring)
    real = controlmap.io.reading.read_frame

    def noisy(*args: Any, **kwargs: Any) -> Any:
        warnings.warn("a third-party notice", RuntimeWarning, stacklevel=1)
        warnings.warn("controlmap's own", controlmap.LayerWarning, stacklevel=1)
        warnings.warn("a library's deprecation", FutureWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(controlmap.io.reading, "read_frame", noisy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tl = controlmap.validate(path)
    assert len(tl) == 1
    assert [str(w.message) for w in caught] == [
        "a third-party notice",
        "controlmap's own",
        "a library's deprecation",
    ]
    assert shapely.area(tl.periods.geometry.iloc[0]) == pytest.approx(1.0)
    with pytest.raises(controlmap.DataError, match=r"^a third-party notice \(and 1 more"):
        controlmap.validate(path, strict=True)


def test_silencing_the_family_silences_controlmap_only(tmp_path: Path) -> None:
    path = _file(tmp_path / "bowtie.geojson", BOWTIE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", controlmap.ControlMapWarning)
        controlmap.read(path)
        warnings.warn("other", RuntimeWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["other"]
