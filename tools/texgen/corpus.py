"""Corpus sampling: which specs exist, which are held out, and rendering a corpus to disk.

A corpus item i is fully determined by (seed_base + i): the spec is sampled from that
seed and the texture rendered with it, so any item can be re-rendered on its own.

Held-out combinations never appear in the generator's training corpus (sample_spec with
exclude_held_out=True); the evaluation prompts use them to test composition.
"""

from __future__ import annotations

import json
import os
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .modifiers import EXCLUSIVE, MODIFIER_NAMES
from .palette import COLOUR_NAMES
from .render import FAMILY_NAMES, Spec, render

# Family-colour pairs absent from training (one per family).
HELD_OUT_COLOUR_PAIRS: tuple[tuple[str, str], ...] = (
    ("brick", "blue"), ("cobblestone", "pink"), ("wood_planks", "cyan"), ("bark", "purple"),
    ("marble", "orange"), ("granite", "lime"), ("sand", "navy"), ("grass", "magenta"),
    ("moss", "red"), ("dirt", "teal"), ("gravel", "yellow"), ("lava", "green"),
    ("water_caustics", "maroon"), ("ice", "gold"), ("snow", "olive"), ("rusted_metal", "lavender"),
    ("brushed_metal", "brown"), ("riveted_plates", "tan"), ("hex_tiles", "grey"), ("ceramic_tiles", "black"),
    ("woven_fabric", "white"), ("leather", "blue"), ("dragon_scales", "white"), ("clouds", "magenta"),
    ("starfield", "lime"), ("circuit_board", "maroon"), ("camouflage", "cyan"), ("cracked_mud", "purple"),
)

# Family-modifier pairs absent from training.
HELD_OUT_MODIFIER_PAIRS: tuple[tuple[str, str], ...] = (
    ("brick", "glowing"), ("marble", "cracked"), ("wood_planks", "mossy"), ("cobblestone", "wet"),
    ("hex_tiles", "worn"), ("ceramic_tiles", "cracked"), ("riveted_plates", "rusty"), ("leather", "polished"),
    ("gravel", "large"), ("sand", "dark"), ("ice", "glowing"), ("dragon_scales", "bright"),
    ("woven_fabric", "weathered"), ("circuit_board", "glowing"),
)

SKY_MODS = frozenset({"glowing", "dark", "bright", "large", "small"})

# Modifiers that make no sense for a family (a duplicate of what it is, or nonsense).
DISALLOWED: dict[str, frozenset] = {
    "moss": frozenset({"mossy"}),
    "rusted_metal": frozenset({"rusty"}),
    "cracked_mud": frozenset({"cracked"}),
    "lava": frozenset({"glowing", "wet", "mossy"}),
    "ice": frozenset({"rusty", "mossy"}),
    "snow": frozenset({"rusty", "polished"}),
    "grass": frozenset({"rusty", "polished", "cracked"}),
    "sand": frozenset({"polished", "rusty"}),
    "clouds": frozenset(MODIFIER_NAMES) - SKY_MODS,
    "starfield": frozenset(MODIFIER_NAMES) - SKY_MODS,
    "water_caustics": frozenset(MODIFIER_NAMES) - SKY_MODS,
}

_HELD_COLOUR = frozenset(HELD_OUT_COLOUR_PAIRS)
_HELD_MOD = frozenset(HELD_OUT_MODIFIER_PAIRS)


def allowed_modifiers(family: str) -> tuple[str, ...]:
    bad = DISALLOWED.get(family, frozenset())
    return tuple(m for m in MODIFIER_NAMES if m not in bad)


def is_held_out(spec: Spec) -> bool:
    if (spec.family, spec.colour) in _HELD_COLOUR:
        return True
    return any((spec.family, m) in _HELD_MOD for m in spec.modifiers)


def is_valid(spec: Spec) -> bool:
    mods = set(spec.modifiers)
    if mods - set(allowed_modifiers(spec.family)):
        return False
    return not any(len(mods & ex) > 1 for ex in EXCLUSIVE)


def sample_spec(rng: np.random.Generator, exclude_held_out: bool = True) -> Spec:
    """A random valid spec: uniform family and colour, 0-3 modifiers."""
    while True:
        family = FAMILY_NAMES[int(rng.integers(len(FAMILY_NAMES)))]
        colour = COLOUR_NAMES[int(rng.integers(len(COLOUR_NAMES)))]
        k = int(rng.choice(4, p=[0.34, 0.40, 0.20, 0.06]))
        pool = list(allowed_modifiers(family))
        mods: list[str] = []
        while len(mods) < k and pool:
            m = pool.pop(int(rng.integers(len(pool))))
            if any(m in ex and set(mods) & ex for ex in EXCLUSIVE):
                continue
            mods.append(m)
        spec = Spec(family, colour, tuple(mods))
        if exclude_held_out and is_held_out(spec):
            continue
        return spec


def item(index: int, seed_base: int, exclude_held_out: bool) -> tuple[Spec, int]:
    """The spec and render seed of corpus item `index`."""
    seed = seed_base + index
    return sample_spec(np.random.default_rng([seed, 7]), exclude_held_out), seed


def _render_chunk(args):
    start, stop, seed_base, exclude, size, path, total = args
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    arr = np.lib.format.open_memmap(path, mode="r+")
    for i in range(start, stop):
        spec, seed = item(i, seed_base, exclude)
        arr[i] = render(spec, seed, size)
    arr.flush()
    return stop - start


def build(out_dir: str | Path, count: int, size: int = 128, seed_base: int = 0,
          exclude_held_out: bool = True, workers: int = 2, chunk: int = 256, log=print) -> dict:
    """Renders `count` items to out_dir/images.npy (uint8 memmap) with out_dir/items.json.

    Skips the work when out_dir/done.json says the same corpus is already there.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"count": count, "size": size, "seed_base": seed_base, "exclude_held_out": exclude_held_out,
            "generator": "tools.texgen v1"}
    done = out / "done.json"
    if done.exists():
        prev = json.loads(done.read_text())
        if all(prev.get(k) == v for k, v in meta.items()):
            log(f"corpus {out} already rendered ({count} x {size}^2)")
            return prev
    items = []
    for i in range(count):
        spec, seed = item(i, seed_base, exclude_held_out)
        items.append({"seed": seed, **spec.to_dict()})
    (out / "items.json").write_text(json.dumps(items))
    path = str(out / "images.npy")
    np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(count, size, size, 3)).flush()
    jobs = [(s, min(s + chunk, count), seed_base, exclude_held_out, size, path, count)
            for s in range(0, count, chunk)]
    t0 = time.time()
    cpu0 = time.process_time()
    done_n = 0
    with get_context("fork").Pool(workers) as pool:
        for k in pool.imap_unordered(_render_chunk, jobs):
            done_n += k
            if done_n % (chunk * 8) < chunk or done_n == count:
                log(f"rendered {done_n}/{count} ({time.time() - t0:.0f} s)")
    wall = time.time() - t0
    meta.update({"wall_s": wall, "ms_per_image_wall": 1000 * wall / count, "workers": workers,
                 "parent_cpu_s": time.process_time() - cpu0})
    done.write_text(json.dumps(meta, indent=1))
    return meta


def load(out_dir: str | Path) -> tuple[np.ndarray, list[dict]]:
    out = Path(out_dir)
    return np.load(out / "images.npy", mmap_mode="r"), json.loads((out / "items.json").read_text())


def spec_of(d: dict) -> Spec:
    return Spec(d["family"], d["colour"], tuple(d.get("modifiers", ())))
