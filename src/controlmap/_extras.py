"""Optional dependencies: which extra installs a module, and the error saying so.

The core (reading, areas, exports, the CLI's data commands) needs none of them. Maps
and figures need the ``render`` extra, the dask engine the ``dask`` extra; whatever
needs one and lacks it raises :class:`~controlmap.errors.MissingExtraError`, whose
message names the extra and the ``pip install`` line, in the library and the CLI alike.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtraError

__all__ = ["EXTRAS", "extra_of", "missing_extra", "require"]

#: The import names each extra provides (top-level packages), as pyproject.toml lists them.
EXTRAS: dict[str, tuple[str, ...]] = {
    "render": ("folium", "branca", "matplotlib", "xstatic", "tqdm", "imageio_ffmpeg", "PIL"),
    "dask": ("dask", "dask_geopandas", "distributed"),
}
#: Import names whose distribution is called something else on PyPI.
_DISTRIBUTIONS = {
    "PIL": "pillow",
    "xstatic": "xstatic-leaflet",
    "imageio_ffmpeg": "imageio-ffmpeg",
    "dask_geopandas": "dask-geopandas",
}


def extra_of(module: str | None) -> str | None:
    """The extra that installs ``module`` (a dotted import name), or None.

    Examples
    --------
    >>> extra_of("matplotlib.pyplot"), extra_of("dask_geopandas"), extra_of("numpy")
    ('render', 'dask', None)
    """
    root = (module or "").split(".")[0]
    return next((extra for extra, roots in EXTRAS.items() if root in roots), None)


def missing_extra(what: str, module: str | None, extra: str | None = None) -> MissingExtraError:
    """The error for ``what`` needing ``module``, which is not installed.

    Examples
    --------
    >>> print(missing_extra("controlmap map", "PIL"))  # doctest: +NORMALIZE_WHITESPACE
    controlmap map needs the render extra (pillow is not installed):
    pip install 'controlmap[render]'
    """
    root = (module or "?").split(".")[0]
    extra = extra or extra_of(root) or "render"
    return MissingExtraError(what, extra, _DISTRIBUTIONS.get(root, root))


def require(module: str, what: str) -> ModuleType:
    """Import ``module``, or raise the :class:`MissingExtraError` naming its extra.

    Examples
    --------
    >>> require("numpy", "a test").__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if extra_of(exc.name) is None:
            raise  # not an optional dependency: a broken install, shown as it is
        raise missing_extra(what, exc.name) from None
