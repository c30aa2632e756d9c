"""Caption grammar: a spec (family, colour, modifiers) becomes one of many phrasings.

Captions vary the template, the words for the family and the colour (synonyms), the
order of the modifiers, and whether a modifier reads as an adjective ("mossy") or a
trailing phrase ("covered in moss"). The structured labels travel with the caption.
"""

from __future__ import annotations

import numpy as np

from .modifiers import MODIFIERS
from .palette import COLOURS
from .render import Spec

NOUNS: dict[str, tuple[str, ...]] = {
    "brick": ("brick wall", "bricks", "brickwork"),
    "cobblestone": ("cobblestones", "cobblestone pavement", "cobbled street"),
    "wood_planks": ("wood planks", "wooden planks", "floorboards", "wooden boards"),
    "bark": ("tree bark", "bark", "bark of a tree trunk"),
    "marble": ("marble", "marble slab", "veined marble"),
    "granite": ("granite", "speckled granite", "granite stone"),
    "sand": ("sand", "rippled sand", "sand dunes", "desert sand"),
    "grass": ("grass", "lawn", "grass field", "turf"),
    "moss": ("moss", "moss carpet", "cushion moss"),
    "dirt": ("dirt", "soil", "earth", "dirt ground"),
    "gravel": ("gravel", "pebbles", "loose gravel", "pebble stones"),
    "lava": ("lava", "molten lava", "magma"),
    "water_caustics": ("water caustics", "caustic light on water", "pool water", "underwater caustics"),
    "ice": ("ice", "ice sheet", "frozen ice", "glacier ice"),
    "snow": ("snow", "snowfield", "fresh snow", "snow drift"),
    "rusted_metal": ("rusted metal", "rusted steel", "rusted painted metal"),
    "brushed_metal": ("brushed metal", "brushed steel", "brushed aluminium"),
    "riveted_plates": ("riveted metal plates", "riveted steel panels", "metal plates with rivets", "hull plating"),
    "hex_tiles": ("hexagon tiles", "hex tiles", "hexagonal tiles", "honeycomb tiles"),
    "ceramic_tiles": ("ceramic tiles", "square tiles", "glazed tiles", "bathroom tiles"),
    "woven_fabric": ("woven fabric", "woven cloth", "basket weave fabric", "textile weave"),
    "leather": ("leather", "leather hide", "grained leather"),
    "dragon_scales": ("dragon scales", "reptile scales", "scaly dragon skin"),
    "clouds": ("clouds", "cloudy sky", "sky with clouds"),
    "starfield": ("starfield", "starry sky", "night sky with stars", "outer space with stars"),
    "circuit_board": ("circuit board", "printed circuit board", "PCB", "circuitry"),
    "camouflage": ("camouflage", "camo pattern", "camouflage pattern", "military camo"),
    "cracked_mud": ("cracked mud", "dried mud", "dry cracked earth", "parched clay"),
}

PREFIXES = ("seamless texture of", "tileable texture of", "seamless", "tileable", "texture of", "game texture of")


def _colour_word(rng: np.random.Generator, colour: str) -> str:
    words = COLOURS[colour][1]
    return words[0] if rng.random() < 0.5 else words[int(rng.integers(len(words)))]


def _noun(rng: np.random.Generator, family: str) -> str:
    nouns = NOUNS[family]
    return nouns[0] if rng.random() < 0.4 else nouns[int(rng.integers(len(nouns)))]


def caption(spec: Spec, rng: np.random.Generator) -> str:
    """One caption for the spec, chosen with rng."""
    colour = _colour_word(rng, spec.colour)
    noun = _noun(rng, spec.family)
    mods = list(spec.modifiers)
    rng.shuffle(mods)
    # Each modifier becomes an adjective or, sometimes, a trailing phrase.
    adjs, phrases = [], []
    for m in mods:
        forms = MODIFIERS[m]
        if rng.random() < 0.3:
            phrases.append(forms["phrase"][int(rng.integers(len(forms["phrase"])))])
        else:
            a = forms["adj"]
            adjs.append(a[0] if rng.random() < 0.5 else a[int(rng.integers(len(a)))])
    adj = " ".join(adjs)
    tail = (" " + " and ".join(phrases)) if phrases else ""
    t = int(rng.integers(6))
    if t == 0:     # "mossy red brick wall"
        text = f"{adj} {colour} {noun}{tail}"
    elif t == 1:   # "seamless texture of crimson bricks covered in moss"
        pre = PREFIXES[int(rng.integers(len(PREFIXES)))]
        text = f"{pre} {adj} {colour} {noun}{tail}"
    elif t == 2:   # "tileable red brickwork, mossy"
        pre = ("tileable", "seamless", "")[int(rng.integers(3))]
        text = f"{pre} {colour} {noun}" + (", " + ", ".join(adjs) if adjs else "") + tail
    elif t == 3:   # "mossy brick wall in red"
        text = f"{adj} {noun} in {colour}{tail}"
    elif t == 4:   # "red brick wall texture, mossy"
        text = f"{colour} {noun} texture" + (", " + ", ".join(adjs) if adjs else "") + tail
    else:          # "mossy red brick wall, seamless"
        text = f"{adj} {colour} {noun}{tail}, " + ("seamless", "tileable", "game texture")[int(rng.integers(3))]
    return " ".join(text.replace(" ,", ",").split())


def canonical(spec: Spec) -> str:
    """The plain form: adjectives, first colour word, first noun ("mossy red brick wall")."""
    adjs = [MODIFIERS[m]["adj"][0] for m in spec.modifiers]
    return " ".join(adjs + [COLOURS[spec.colour][1][0], NOUNS[spec.family][0]])
