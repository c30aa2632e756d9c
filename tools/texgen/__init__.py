"""Procedural, seamlessly tileable material textures with captions (the Tessera corpus).

    from tools.texgen import Spec, render, caption
    img = render(Spec("brick", "red", ("mossy",)), seed=3, size=128)   # uint8 (128, 128, 3)
"""

from .captions import NOUNS, canonical, caption
from .modifiers import MODIFIER_NAMES
from .palette import COLOUR_NAMES
from .render import FAMILY_NAMES, Spec, render, render_float

__all__ = ["Spec", "render", "render_float", "caption", "canonical", "NOUNS",
           "FAMILY_NAMES", "COLOUR_NAMES", "MODIFIER_NAMES"]
