"""Fuzzing the readers: broken GeoJSON may only ever raise ControlMapError.

Every kind of damage in :data:`controlmap.testing.strategies.DAMAGES` is tried
(by parametrisation, so none is left to chance), then random bytes and random
JSON documents. The examples per test are kept low enough for the suite to stay
fast; raise them with ``--hypothesis-seed`` / a profile for a long hunt.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import controlmap
from controlmap.testing.strategies import DAMAGES, BrokenGeoJSON, broken_geojson, json_values

EXAMPLES = int(os.environ.get("CONTROLMAP_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _outcome(path: Path, function: Callable[[Path], Any]) -> controlmap.ControlMapError | None:
    """Call read/validate: a ControlMapError is returned, any other exception propagates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid polygons warn on read: not an error
        try:
            function(path)
        except controlmap.ControlMapError as exc:
            return exc
    return None


@pytest.mark.parametrize("damage", DAMAGES)
def test_broken_geojson_raises_only_controlmap_errors(folder: Path, damage: str) -> None:
    path = folder / f"{damage.replace(' ', '_')}.geojson"

    @FUZZ
    @given(broken=broken_geojson(damage))
    def check(broken: BrokenGeoJSON) -> None:
        path.write_bytes(broken.content)
        for function in (controlmap.read, controlmap.validate):
            error = _outcome(path, function)
            if broken.must_fail:
                assert error is not None, f"{damage}: {function.__name__} accepted it"
            if error is not None:
                message = str(error)
                assert message.startswith(f"{path}: "), message
                assert "\n" not in message, message
                if broken.must_fail and broken.feature is not None:
                    assert f"feature {broken.feature}" in message, message

    check()


@FUZZ
@given(content=st.binary(max_size=400))
def test_random_bytes_raise_only_controlmap_errors(folder: Path, content: bytes) -> None:
    path = folder / "bytes.geojson"
    path.write_bytes(content)
    error = _outcome(path, controlmap.read)
    assert error is not None  # no short byte string is a timeline
    assert str(error).startswith(f"{path}: ")


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(value=json_values(max_leaves=20))
def test_random_json_raises_only_controlmap_errors(folder: Path, value: object) -> None:
    path = folder / "value.geojson"
    path.write_text(json.dumps(value))
    error = _outcome(path, controlmap.validate)
    assert error is not None
    assert str(error).startswith(f"{path}: ")


@FUZZ
@given(broken=broken_geojson(), suffix=st.sampled_from([".gpkg", ".shp", ".fgb", ".parquet"]))
def test_geojson_bytes_under_other_extensions_raise_only_controlmap_errors(
    folder: Path, broken: BrokenGeoJSON, suffix: str
) -> None:
    # The GDAL path (pyogrio) must wrap its own errors too.
    path = folder / f"misnamed{suffix}"
    path.write_bytes(broken.content)
    _outcome(path, controlmap.read)
