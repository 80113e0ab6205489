"""How far apart two colours look: CIELAB and the CIEDE2000 colour difference.

A palette for many actors is judged by what a reader sees, not by RGB sums: two
purples 90 RGB units apart can look alike, a green and a grey 60 apart do not.
CIEDE2000 (ΔE00) is the CIE's measure of perceived difference: about 1 is the
smallest difference one notices side by side, under 10 reads as "the same colour"
on a map, 20 and more as clearly different.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["delta_e", "delta_e_matrix", "lab"]


def _rgb(colour: str) -> np.ndarray:
    text = colour.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    return np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255


def lab(colours: Sequence[str]) -> np.ndarray:
    """CIELAB (D65) coordinates of ``#rrggbb`` colours, one row each.

    Examples
    --------
    >>> lab(["#ffffff", "#000000"]).round(1).tolist()
    [[100.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    rgb = np.array([_rgb(c) for c in colours]).reshape(-1, 3)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    # The white point as the matrix maps sRGB white (D65), so white is exactly grey.
    xyz = linear @ to_xyz.T / to_xyz.sum(axis=1)
    eps = 216 / 24389
    f = np.where(xyz > eps, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    # + 0.0: a grey's a and b are 0, never -0 (which would print as "-0.0").
    return (
        np.column_stack(
            [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])]
        ).round(10)
        + 0.0
    )


def _ciede2000(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ΔE00 between rows of Lab arrays ``a`` and ``b`` (broadcast)."""
    l1, a1, b1 = a[..., 0], a[..., 1], a[..., 2]
    l2, a2, b2 = b[..., 0], b[..., 1], b[..., 2]
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dl = l2 - l1
    dc = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean = (l1 + l2) / 2
    cp_mean = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(
        c1p * c2p == 0,
        h_sum,
        np.where(
            np.abs(h1p - h2p) <= 180,
            h_sum / 2,
            np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2),
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    d_theta = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return np.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (dhh / s_h) ** 2 + r_t * (dc / s_c) * (dhh / s_h)
    )


def delta_e(first: str, second: str) -> float:
    """The CIEDE2000 difference between two ``#rrggbb`` colours.

    Examples
    --------
    >>> round(delta_e("#b2182b", "#b2182b"), 6)
    0.0
    >>> delta_e("#b2182b", "#2166ac") > 40
    True
    """
    pair = lab([first, second])
    return float(_ciede2000(pair[0], pair[1]))


def delta_e_matrix(colours: Sequence[str]) -> np.ndarray:
    """CIEDE2000 differences between every pair of ``colours`` (a square matrix).

    Examples
    --------
    >>> delta_e_matrix(["#000000", "#ffffff"]).round(0).tolist()
    [[0.0, 100.0], [100.0, 0.0]]
    """
    points = lab(colours)
    return _ciede2000(points[:, None, :], points[None, :, :])
