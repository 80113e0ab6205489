"""Leaflet and controlmap's own script and style, inlined or linked.

Leaflet comes from the pinned, installed PyPI package ``xstatic-leaflet`` (the
exact files Leaflet publishes), read at run time: nothing is copied into this
repository and nothing is fetched from a CDN for a self-contained page.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from pathlib import Path

from .._extras import missing_extra
from ..errors import ControlMapError

__all__ = [
    "LEAFLET_CSS_URL",
    "LEAFLET_JS_URL",
    "LEAFLET_VERSION",
    "controlmap_css",
    "controlmap_js",
    "leaflet_css",
    "leaflet_js",
    "script_safe",
]

LEAFLET_VERSION = "1.9.3"
LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"


def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as package
    except ModuleNotFoundError:
        raise missing_extra("a self-contained map", "xstatic") from None
    if package.VERSION != LEAFLET_VERSION:
        # The page's JavaScript is written against this Leaflet; another version may differ.
        raise ControlMapError(
            f"xstatic-leaflet {package.VERSION} is installed; controlmap needs Leaflet "
            f"{LEAFLET_VERSION} (pip install 'xstatic-leaflet=={LEAFLET_VERSION}.0')"
        )
    return Path(package.BASE_DIR)


@cache
def leaflet_js() -> str:
    """Leaflet's minified script, ready to sit inside a ``<script>`` element.

    Examples
    --------
    >>> "L.version" in leaflet_js() or '"1.9.3"' in leaflet_js()
    True
    """
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    # The source-map comment would make developer tools look for a file beside the page.
    return _checked_script(re.sub(r"(?m)^//# sourceMappingURL=.*$", "", text), "leaflet.js")


@cache
def leaflet_css() -> str:
    """Leaflet's style sheet with the images it names inlined as ``data:`` URIs.

    Examples
    --------
    >>> "data:image/png;base64," in leaflet_css()
    True
    """
    folder = _leaflet_dir()
    text = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, text)


def _own(name: str) -> str:
    return resources.files("controlmap.render").joinpath("assets", name).read_text("utf-8")


@cache
def controlmap_js() -> str:
    """The script controlmap adds to every map (time slider, legend, tooltips)."""
    return _checked_script(_own("controlmap.js"), "controlmap.js")


@cache
def controlmap_css() -> str:
    """The style of controlmap's controls, legend and labels."""
    return _own("controlmap.css")


def _checked_script(text: str, name: str) -> str:
    # Code (unlike JSON) cannot be escaped: ``a<b`` must stay as it is. Refuse the
    # rare script that would end its own element instead.
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise ControlMapError(f"{name}: contains '</script' or '<!--'; cannot inline it")
    return text


def script_safe(text: str) -> str:
    r"""Make text safe to place between ``<script>`` and ``</script>``.

    JSON from data may hold ``</script>`` or ``<!--``; written as ``\u003c`` it means
    the same to JavaScript but cannot end the element. U+2028/2029 are escaped for
    older JavaScript engines.

    Examples
    --------
    >>> script_safe('{"a": "</script>"}')
    '{"a": "\\u003c/script\\u003e"}'
    """
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
