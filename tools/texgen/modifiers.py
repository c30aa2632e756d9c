"""Modifiers: changes to a family's layers (before lighting) and to the final image.

Each modifier draws from its own random stream, so adding one to a texture leaves the
family's layout (bricks, cells, veins) exactly as it was for the same seed.
"""

from __future__ import annotations

import numpy as np

from .layers import Ctx, Layers
from .noise import blur, fbm, lattice, smoothstep, standardize, worley
from .palette import luminance, mix, saturate

# label: caption forms. "adj" precede the noun; "phrase" follow it ("bricks covered in moss").
MODIFIERS: dict[str, dict[str, tuple[str, ...]]] = {
    "mossy":     {"adj": ("mossy", "moss-covered", "overgrown"), "phrase": ("covered in moss", "overgrown with moss")},
    "cracked":   {"adj": ("cracked", "fractured"), "phrase": ("with cracks", "full of cracks")},
    "wet":       {"adj": ("wet", "rain-soaked", "glistening"), "phrase": ("wet from rain", "glistening with water")},
    "weathered": {"adj": ("weathered", "aged", "grimy"), "phrase": ("weathered by age", "stained with grime")},
    "rusty":     {"adj": ("rusty", "rust-stained", "corroded"), "phrase": ("with rust stains", "streaked with rust")},
    "glowing":   {"adj": ("glowing", "luminous", "neon"), "phrase": ("with glowing seams", "glowing from within")},
    "dark":      {"adj": ("dark", "shadowy", "dim"), "phrase": ("in dark tones", "in shadow")},
    "bright":    {"adj": ("bright", "vivid", "brilliant"), "phrase": ("in bright tones", "brightly lit")},
    "worn":      {"adj": ("worn", "scuffed", "battered"), "phrase": ("worn with use", "with scuffs and scratches")},
    "polished":  {"adj": ("polished", "glossy", "shiny"), "phrase": ("with a polished finish", "polished to a shine")},
    "large":     {"adj": ("large", "big", "large-scale"), "phrase": ("at large scale", "in close-up")},
    "small":     {"adj": ("small", "fine", "small-scale"), "phrase": ("at small scale", "seen from afar")},
}

MODIFIER_NAMES: tuple[str, ...] = tuple(MODIFIERS)

# Modifiers that cannot appear together.
EXCLUSIVE: tuple[frozenset, ...] = (
    frozenset({"dark", "bright"}),
    frozenset({"large", "small"}),
    frozenset({"worn", "polished"}),
    frozenset({"wet", "weathered"}),
)

SCALE = {"large": 0.6, "small": 1.65}

# Applied in this order; scale is handled by the family itself through Ctx.scale.
LAYER_ORDER = ("worn", "weathered", "cracked", "rusty", "mossy", "wet", "polished", "glowing")
TONE_ORDER = ("dark", "bright")

MOSS = np.array([0.27, 0.42, 0.12], dtype=np.float32)
MOSS_LIGHT = np.array([0.52, 0.60, 0.20], dtype=np.float32)
RUST_DARK = np.array([0.38, 0.17, 0.07], dtype=np.float32)
RUST_LIGHT = np.array([0.75, 0.38, 0.12], dtype=np.float32)
GRIME = np.array([0.25, 0.22, 0.18], dtype=np.float32)


def scale_of(mods) -> float:
    s = 1.0
    for m in mods:
        s *= SCALE.get(m, 1.0)
    return s


def _glow_colour(c: np.ndarray) -> np.ndarray:
    m = float(max(c.max(), 1e-3))
    g = c / m if m >= 0.2 else np.full(3, 0.8, np.float32)
    return mix(g, np.ones(3, np.float32), 0.15).astype(np.float32)


def apply_layer_modifier(name: str, lay: Layers, ctx: Ctx, rng: np.random.Generator) -> None:
    n = ctx.n
    if name == "worn":
        a = blur(lay.albedo, 0.008)
        lay.albedo = mix(lay.albedo, a, 0.5)
        h = lay.height
        wear = smoothstep(0.55, 0.95, h + 0.25 * lattice(rng, n, 16, 16))
        scratch = smoothstep(1.1, 1.8, np.abs(lattice(rng, n, 3, 48)) + np.abs(lattice(rng, n, 40, 4)))
        pale = mix(saturate(lay.albedo, 0.6), np.ones(3, np.float32), 0.35)
        lay.albedo = mix(lay.albedo, pale, np.clip(0.55 * wear + 0.7 * scratch, 0.0, 0.8))
        lay.relief *= 0.6
    elif name == "weathered":
        lay.albedo = saturate(lay.albedo, 0.5)
        grime = smoothstep(-0.1, 0.9, fbm(rng, n, 3, 4) + 0.6 * lattice(rng, n, 2, 24))
        lay.albedo = mix(lay.albedo, GRIME * (0.8 + 0.4 * luminance(lay.albedo))[..., None], 0.45 * grime)
        fade = smoothstep(0.4, 1.2, fbm(rng, n, 4, 2))
        lay.albedo = mix(lay.albedo, np.full(3, 0.75, np.float32), 0.25 * fade)
    elif name == "cracked":
        cells = ctx.count(4, 2)
        f1, f2, _, _ = worley(rng, n, cells, cells, jitter=0.95)
        e = (f2 - f1) + 0.05 * lattice(rng, n, 12, 12)
        crack = smoothstep(0.035, 0.008, e)
        cells2 = ctx.count(9, 3)
        g1, g2, _, _ = worley(rng, n, cells2, cells2, jitter=0.95)
        crack = np.maximum(crack, 0.7 * smoothstep(0.02, 0.004, (g2 - g1) + 0.03 * lattice(rng, n, 16, 16))
                           * smoothstep(0.0, 0.6, fbm(rng, n, 3, 2)))
        lay.albedo = lay.albedo * (1.0 - 0.8 * crack)[..., None]
        lay.height = lay.height - 0.35 * crack
        lay.crevice = np.maximum(lay.crevice, crack)
    elif name == "rusty":
        streak = lattice(rng, n, 2, ctx.count(30, 8))
        m = standardize(fbm(rng, n, 4, 4, gain=0.6)) + 0.5 * streak + 0.6 * lay.crevice
        rust = smoothstep(0.9, 1.4, m)
        grain = lattice(rng, n, 48, 48)
        col = mix(RUST_DARK, RUST_LIGHT, smoothstep(-1.2, 1.2, grain + fbm(rng, n, 6, 2)))
        lay.albedo = mix(lay.albedo, col, rust * 0.9)
        lay.height = lay.height + 0.04 * grain * rust
    elif name == "mossy":
        m = standardize(fbm(rng, n, 3, 4, gain=0.55)) + 1.2 * blur(lay.crevice, 0.01)
        cover = smoothstep(0.8, 1.3, m)
        fuzz = lattice(rng, n, 56, 56)
        col = mix(MOSS, MOSS_LIGHT, smoothstep(-1.0, 1.5, fbm(rng, n, 6, 2) + 0.5 * fuzz))
        col = col * (0.8 + 0.2 * fuzz)[..., None]
        lay.albedo = mix(lay.albedo, col, cover)
        lay.height = lay.height + cover * (0.15 + 0.05 * fuzz)
        lay.crevice = lay.crevice * (1.0 - cover)
    elif name == "wet":
        lum = luminance(lay.albedo)[..., None]
        lay.albedo = (saturate(lay.albedo, 1.25) * (0.55 + 0.25 * lum)).astype(np.float32)
        puddle = smoothstep(0.3, 0.8, blur(lay.crevice, 0.006))
        lay.albedo = lay.albedo * (1.0 - 0.35 * puddle)[..., None]
        lay.gloss = min(1.0, lay.gloss + 0.65)
        lay.extra["wet"] = True
    elif name == "polished":
        a = blur(lay.albedo, 0.004)
        lum = luminance(a).mean()
        lay.albedo = saturate((a - lum) * 1.2 + lum, 1.2).astype(np.float32)
        lay.relief *= 0.6
        lay.gloss = min(1.0, lay.gloss + 0.6)
        lay.extra["polished"] = True
    elif name == "glowing":
        crev = lay.crevice
        if not 0.04 < float(crev.mean()) < 0.3:  # no thin seams of its own: glowing veins
            y = np.arange(n, dtype=np.float32)[:, None] / n
            x = np.arange(n, dtype=np.float32)[None, :] / n
            k1, k2 = int(rng.integers(1, 3)), int(rng.integers(-2, 3))
            ph = np.pi * (k1 * x + k2 * y) + 2.5 * fbm(rng, n, 2, 4)
            crev = smoothstep(0.12, 0.0, np.abs(np.sin(ph)))
        core = np.clip(crev, 0.0, 1.0)
        halo = blur(core, 0.015)
        halo = halo / np.float32(max(float(halo.max()), 1e-3))
        gc = _glow_colour(ctx.colour)
        glow = gc * (0.9 * core + 0.6 * halo)[..., None]
        lay.albedo = lay.albedo * np.float32(0.55)
        lay.emissive = glow if lay.emissive is None else lay.emissive + glow


def apply_tone(name: str, rgb: np.ndarray) -> np.ndarray:
    if name == "dark":
        return (rgb ** np.float32(1.35)) * np.float32(0.55)
    if name == "bright":
        return np.clip(rgb * np.float32(1.3) + np.float32(0.1), 0.0, 1.0) ** np.float32(0.85)
    return rgb
