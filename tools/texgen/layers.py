"""What a family renderer hands to the compositor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Ctx:
    """Inputs of a family renderer.

    rng draws every random number (its sequence never depends on n); colour is the
    texture's sRGB base colour; scale multiplies feature counts (below 1: larger
    features); level is the modifier-independent detail knob families may use.
    """

    rng: np.random.Generator
    n: int
    colour: np.ndarray
    colour_name: str
    scale: float = 1.0

    def count(self, base: float, lo: int = 1, even: bool = False) -> int:
        """An integer feature count per tile, scaled; `even` keeps staggered rows periodic."""
        c = max(lo, int(round(base * self.scale)))
        if even and c % 2:
            c += 1
        return c


@dataclass
class Layers:
    """A family's material description, composited and lit by render.py.

    albedo: (n, n, 3) base colour before lighting.
    height: (n, n) relief in [0, 1] (lit from the top left with `relief` strength).
    crevice: (n, n) in [0, 1]: gaps, mortar, cracks; where moss, water and glow collect.
    emissive: optional (n, n, 3) light added after shading (lava, stars).
    gloss: 0 (matte) to 1 (mirror-like highlights).
    metal: whether rust and brushed highlights make sense.
    """

    albedo: np.ndarray
    height: np.ndarray
    crevice: np.ndarray
    relief: float = 1.0
    gloss: float = 0.0
    metal: bool = False
    emissive: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
