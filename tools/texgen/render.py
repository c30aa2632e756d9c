"""Renders a texture spec (family, colour, modifiers) for a seed at a given size."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from . import families_built as fb
from . import families_ground as fg
from . import families_matter as fm
from .layers import Ctx, Layers
from .modifiers import LAYER_ORDER, TONE_ORDER, apply_layer_modifier, apply_tone, scale_of
from .noise import fbm, lambert, specular
from .palette import COLOURS, sample_variant

FAMILIES = {
    "brick": fb.brick,
    "cobblestone": fb.cobblestone,
    "wood_planks": fb.wood_planks,
    "bark": fg.bark,
    "marble": fm.marble,
    "granite": fm.granite,
    "sand": fg.sand,
    "grass": fg.grass,
    "moss": fg.moss,
    "dirt": fg.dirt,
    "gravel": fg.gravel,
    "lava": fm.lava,
    "water_caustics": fm.water_caustics,
    "ice": fm.ice,
    "snow": fg.snow,
    "rusted_metal": fm.rusted_metal,
    "brushed_metal": fm.brushed_metal,
    "riveted_plates": fb.riveted_plates,
    "hex_tiles": fb.hex_tiles,
    "ceramic_tiles": fb.ceramic_tiles,
    "woven_fabric": fb.woven_fabric,
    "leather": fg.leather,
    "dragon_scales": fb.dragon_scales,
    "clouds": fm.clouds,
    "starfield": fm.starfield,
    "circuit_board": fb.circuit_board,
    "camouflage": fg.camouflage,
    "cracked_mud": fg.cracked_mud,
}

FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)


@dataclass(frozen=True)
class Spec:
    """What to render: structured labels of one texture."""

    family: str
    colour: str
    modifiers: tuple[str, ...] = ()

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}")
        if self.colour not in COLOURS:
            raise ValueError(f"unknown colour {self.colour!r}")
        order = LAYER_ORDER + TONE_ORDER + ("large", "small")
        for m in self.modifiers:
            if m not in order:
                raise ValueError(f"unknown modifier {m!r}")
        object.__setattr__(self, "modifiers", tuple(sorted(set(self.modifiers), key=order.index)))

    def key(self) -> str:
        return "|".join((self.family, self.colour) + self.modifiers)

    def to_dict(self) -> dict:
        return {"family": self.family, "colour": self.colour, "modifiers": list(self.modifiers)}


def _stream(seed: int, tag: str) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(tag.encode())])


# Optical softening, in pixels at 128 px: a periodic Gaussian blur that keeps tiles seamless
# and takes off the sub-pixel speckle and 1 px grout lines an f = 8 autoencoder cannot
# reconstruct (docs/EMBEDDED_MODEL.md section 3).
SOFTEN_SIGMA = 1.0


def soften(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur on the torus (FFT), so the result tiles exactly like the input."""
    if sigma <= 0:
        return rgb
    fy = np.fft.fftfreq(rgb.shape[0])[:, None]
    fx = np.fft.rfftfreq(rgb.shape[1])[None, :]
    gain = np.exp(-2.0 * (np.pi * sigma) ** 2 * (fy ** 2 + fx ** 2))[..., None]
    spec = np.fft.rfft2(rgb, axes=(0, 1)) * gain
    return np.fft.irfft2(spec, s=rgb.shape[:2], axes=(0, 1)).astype(np.float32)


def render_float(spec: Spec, seed: int, size: int = 128) -> np.ndarray:
    """The texture as float32 (size, size, 3) in [0, 1]."""
    colour = sample_variant(_stream(seed, "colour:" + spec.colour), spec.colour)
    ctx = Ctx(_stream(seed, "family:" + spec.family), size, colour, spec.colour, scale_of(spec.modifiers))
    lay: Layers = FAMILIES[spec.family](ctx)
    for m in LAYER_ORDER:
        if m in spec.modifiers:
            ctx.rng = _stream(seed, "mod:" + m)
            apply_layer_modifier(m, lay, ctx, ctx.rng)
    rgb = lay.albedo
    if lay.relief > 0:
        rgb = rgb * np.clip(lambert(lay.height, lay.relief * 3.0), 0.35, 1.6)[..., None]
    if lay.gloss > 0:
        sharp = 40.0 if (lay.extra.get("wet") or lay.extra.get("polished")) else 12.0
        spec_h = specular(lay.height, max(lay.relief, 0.3) * 3.0, sharp)
        env = np.clip(fbm(_stream(seed, "env"), size, 1, 2), 0.0, None)
        rgb = rgb + np.float32(0.45 * lay.gloss) * spec_h[..., None] + np.float32(0.12 * lay.gloss) * env[..., None]
    if lay.emissive is not None:
        rgb = rgb + lay.emissive
    rgb = np.clip(rgb, 0.0, 1.0)
    for m in TONE_ORDER:
        if m in spec.modifiers:
            rgb = apply_tone(m, rgb)
    rgb = soften(rgb, SOFTEN_SIGMA * size / 128.0)
    # A random torus shift, so layouts (plank edges, tile grout) do not line up with the
    # tile border. Drawn in 1/128ths so 128 and 256 px renders shift alike.
    oy, ox = _stream(seed, "roll").integers(0, 128, 2) * (size // 128 if size >= 128 else 1)
    rgb = np.roll(rgb, (int(oy), int(ox)), axis=(0, 1))
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def render(spec: Spec, seed: int, size: int = 128) -> np.ndarray:
    """The texture as uint8 (size, size, 3), sRGB."""
    return (render_float(spec, seed, size) * 255.0 + 0.5).astype(np.uint8)
