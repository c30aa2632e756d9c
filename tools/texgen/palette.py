"""Named colours, their caption synonyms, and colour helpers.

Each colour is a label (what the classifier predicts) with an sRGB base value in [0, 1]
and the words captions may use for it. The base colours are spread out in hue and
lightness so that the dominant colour of a texture stays recognisable.
"""

from __future__ import annotations

import numpy as np

# label: (base sRGB, synonyms used in captions; the label itself comes first)
COLOURS: dict[str, tuple[tuple[float, float, float], tuple[str, ...]]] = {
    "red":      ((0.78, 0.13, 0.11), ("red", "crimson", "scarlet")),
    "maroon":   ((0.42, 0.07, 0.12), ("maroon", "burgundy", "wine-coloured")),
    "orange":   ((0.93, 0.47, 0.10), ("orange", "tangerine")),
    "yellow":   ((0.93, 0.82, 0.18), ("yellow", "lemon yellow")),
    "gold":     ((0.80, 0.60, 0.16), ("gold", "golden")),
    "lime":     ((0.58, 0.84, 0.16), ("lime", "lime green", "chartreuse")),
    "green":    ((0.15, 0.55, 0.17), ("green", "emerald")),
    "olive":    ((0.44, 0.44, 0.16), ("olive", "olive green", "khaki green")),
    "teal":     ((0.07, 0.48, 0.47), ("teal", "turquoise")),
    "cyan":     ((0.30, 0.82, 0.92), ("cyan", "aqua")),
    "blue":     ((0.15, 0.32, 0.82), ("blue", "azure", "cobalt")),
    "navy":     ((0.08, 0.11, 0.36), ("navy", "navy blue", "midnight blue")),
    "purple":   ((0.44, 0.16, 0.62), ("purple", "violet")),
    "lavender": ((0.72, 0.62, 0.90), ("lavender", "lilac")),
    "magenta":  ((0.84, 0.13, 0.64), ("magenta", "fuchsia")),
    "pink":     ((0.96, 0.62, 0.72), ("pink", "rose")),
    "brown":    ((0.42, 0.26, 0.13), ("brown", "chocolate", "umber")),
    "tan":      ((0.80, 0.69, 0.50), ("tan", "beige", "sandy")),
    "white":    ((0.92, 0.92, 0.90), ("white", "ivory", "snow-white")),
    "grey":     ((0.50, 0.50, 0.50), ("grey", "gray", "ash grey")),
    "black":    ((0.10, 0.10, 0.11), ("black", "charcoal", "jet black")),
}

COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)


def base_rgb(name: str) -> np.ndarray:
    return np.array(COLOURS[name][0], dtype=np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def mix(a, b, t):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    t = np.asarray(t, dtype=np.float32)
    if t.ndim == 2:
        t = t[..., None]
    return a + (b - a) * t


def saturate(rgb: np.ndarray, amount: float) -> np.ndarray:
    """amount > 1 boosts saturation, < 1 greys the colour out."""
    lum = luminance(rgb)[..., None]
    return lum + (rgb - lum) * np.float32(amount)


def jitter(rng: np.random.Generator, rgb: np.ndarray, count: int, amount: float) -> np.ndarray:
    """`count` variants of a colour: a shared brightness wobble plus small per-channel shifts."""
    b = 1.0 + amount * rng.standard_normal((count, 1))
    c = 1.0 + 0.35 * amount * rng.standard_normal((count, 3))
    return np.clip(rgb[None, :] * b * c, 0.0, 1.0).astype(np.float32)


def sample_variant(rng: np.random.Generator, name: str) -> np.ndarray:
    """The texture's colour: the named base with a small per-texture hue/brightness shift."""
    c = base_rgb(name)
    c = c * (1.0 + 0.06 * rng.standard_normal(3)).astype(np.float32)
    c = c * np.float32(1.0 + 0.08 * rng.standard_normal())
    return np.clip(c, 0.02, 1.0).astype(np.float32)


def shade(rgb: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A colour modulated by a brightness field v (1.0 = the colour itself).

    Values above 1 move toward white rather than clipping, so bright parts of a dark
    colour stay tinted.
    """
    v = v[..., None].astype(np.float32)
    c = rgb.reshape((1,) * (v.ndim - 1) + (-1,)) if rgb.ndim == 1 else rgb
    low = c * np.minimum(v, 1.0)
    high = np.maximum(v - 1.0, 0.0)
    return (low + (1.0 - c) * np.clip(high, 0.0, 1.0) * 0.6).astype(np.float32)
