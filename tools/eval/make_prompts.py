"""Writes tools/eval/prompts.json, the held-out evaluation prompt set (deterministic).

    python -m tools.eval.make_prompts

Categories:
  seen               family-colour-modifier combinations the generator trains on, phrased by the grammar
  held_out_colour    family-colour pairs the training corpus never contains (corpus.HELD_OUT_COLOUR_PAIRS)
  held_out_modifier  family-modifier pairs the training corpus never contains (corpus.HELD_OUT_MODIFIER_PAIRS)
  synonym            seen combinations, but every word a secondary synonym ("crimson floorboards")
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tools.texgen.captions import NOUNS, caption
from tools.texgen.corpus import (HELD_OUT_COLOUR_PAIRS, HELD_OUT_MODIFIER_PAIRS, allowed_modifiers, is_held_out,
                                 is_valid, sample_spec)
from tools.texgen.modifiers import EXCLUSIVE, MODIFIERS
from tools.texgen.palette import COLOUR_NAMES, COLOURS
from tools.texgen.render import FAMILY_NAMES, Spec

OUT = Path(__file__).resolve().parent / "prompts.json"
SEEDS = [0, 1, 2, 3]
STEPS = [1, 2, 4]


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _one_modifier(rng, family: str, banned: set[str]) -> str:
    pool = [m for m in allowed_modifiers(family) if m not in banned and m not in ("large", "small")]
    return _pick(rng, pool)


def synonym_caption(spec: Spec, rng) -> str:
    """Secondary words only: colour synonym, noun synonym, modifier synonym or phrase."""
    colour = _pick(rng, COLOURS[spec.colour][1][1:])
    noun = _pick(rng, NOUNS[spec.family][1:])
    adjs, phrases = [], []
    for m in spec.modifiers:
        if rng.random() < 0.4:
            phrases.append(_pick(rng, MODIFIERS[m]["phrase"]))
        else:
            adjs.append(_pick(rng, MODIFIERS[m]["adj"][1:]))
    text = " ".join(adjs + [colour, noun])
    if phrases:
        text += " " + " and ".join(phrases)
    if rng.random() < 0.5:
        text = _pick(rng, ("seamless texture of", "tileable", "game texture of")) + " " + text
    return text


def build() -> dict:
    rng = np.random.default_rng(2024)
    prompts = []

    def add(spec: Spec, text: str, cat: str):
        assert is_valid(spec), spec
        prompts.append({"id": len(prompts), "prompt": text, "family": spec.family, "colour": spec.colour,
                        "modifiers": list(spec.modifiers), "category": cat})

    # seen: cover every family at least twice, then random.
    fams = list(FAMILY_NAMES) * 2
    while len([p for p in prompts if p["category"] == "seen"]) < 72:
        want = fams.pop(0) if fams else None
        s = sample_spec(rng, exclude_held_out=True)
        if want is not None and s.family != want:
            fams.insert(0, want)
            continue
        add(s, caption(s, rng), "seen")

    # held-out family-colour pairs: plain, and with one allowed modifier.
    held_mod = set(HELD_OUT_MODIFIER_PAIRS)
    for fam, col in HELD_OUT_COLOUR_PAIRS:
        add(Spec(fam, col), caption(Spec(fam, col), rng), "held_out_colour")
        m = _one_modifier(rng, fam, {mm for f, mm in held_mod if f == fam})
        s = Spec(fam, col, (m,))
        add(s, caption(s, rng), "held_out_colour")

    # held-out family-modifier pairs, with colours that are not themselves held out.
    held_col = set(HELD_OUT_COLOUR_PAIRS)
    for fam, mod in HELD_OUT_MODIFIER_PAIRS:
        for _ in range(2):
            while True:
                col = _pick(rng, COLOUR_NAMES)
                if (fam, col) not in held_col:
                    break
            s = Spec(fam, col, (mod,))
            add(s, caption(s, rng), "held_out_modifier")

    # synonyms on seen combinations.
    n_syn = 0
    while n_syn < 48:
        s = sample_spec(rng, exclude_held_out=True)
        if len(s.modifiers) > 2 or any(len(set(s.modifiers) & ex) > 1 for ex in EXCLUSIVE):
            continue
        add(s, synonym_caption(s, rng), "synonym")
        n_syn += 1

    for p in prompts:
        spec = Spec(p["family"], p["colour"], tuple(p["modifiers"]))
        assert is_held_out(spec) == p["category"].startswith("held_out"), p
    return {
        "version": 1,
        "description": "Held-out evaluation prompts for the embedded texture model; see docs/EMBEDDED_MODEL.md",
        "size": 128, "tiling": "xy", "seeds": SEEDS, "steps": STEPS,
        "held_out": {"colour_pairs": [list(p) for p in HELD_OUT_COLOUR_PAIRS],
                     "modifier_pairs": [list(p) for p in HELD_OUT_MODIFIER_PAIRS]},
        "prompts": prompts,
    }


def main() -> None:
    data = build()
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    cats = {}
    for p in data["prompts"]:
        cats[p["category"]] = cats.get(p["category"], 0) + 1
    print(f"wrote {OUT}: {len(data['prompts'])} prompts {cats}")


if __name__ == "__main__":
    main()
