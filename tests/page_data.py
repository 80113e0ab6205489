"""Reading back the data a controlmap page hands its script, for the tests."""

from __future__ import annotations

import json
from typing import Any


def payload_of(html_text: str) -> dict[str, Any]:
    """The data a page hands its script (``controlmap.init(map, {...});``), parsed."""
    start = html_text.index("controlmap.init(")
    call = html_text[start : html_text.index(");\n", start)]
    return dict(json.loads(call[call.index(", ") + 2 :]))
