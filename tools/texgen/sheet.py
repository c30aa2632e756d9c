"""Contact sheet of corpus samples with their captions.

    python -m tools.texgen.sheet [--out docs/corpus_contact_sheet.png] [--cols 8] [--seed 0]

The first row(s) show one training-corpus sample per family; the rest are random
training-corpus items. The caption under each tile is the one a training step could see.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .captions import caption
from .corpus import is_held_out, item, sample_spec
from .render import FAMILY_NAMES, render

TILE = 128
TEXT_H = 46


def _font(size: int = 11):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def draw_sheet(tiles: list[np.ndarray], labels: list[str], cols: int, title: str | None = None,
               tile: int = TILE, text_h: int = TEXT_H) -> Image.Image:
    """Tiles in a grid with wrapped text under each; shared by tools/eval for generated sheets."""
    rows = (len(tiles) + cols - 1) // cols
    head = 24 if title else 0
    sheet = Image.new("RGB", (cols * (tile + 4) + 4, head + rows * (tile + text_h + 4) + 4), (24, 24, 26))
    draw = ImageDraw.Draw(sheet)
    font = _font(11)
    if title:
        draw.text((6, 5), title, fill=(235, 235, 235), font=_font(14))
    chars = max(12, int(tile / 5.6))
    for i, (img, lab) in enumerate(zip(tiles, labels)):
        r, c = divmod(i, cols)
        x = 4 + c * (tile + 4)
        y = head + 4 + r * (tile + text_h + 4)
        im = Image.fromarray(img)
        if im.size != (tile, tile):
            im = im.resize((tile, tile), Image.LANCZOS)
        sheet.paste(im, (x, y))
        lines = textwrap.wrap(lab, chars)[:4]
        for k, line in enumerate(lines):
            draw.text((x + 1, y + tile + 2 + 11 * k), line, fill=(220, 220, 220), font=font)
    return sheet


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs/corpus_contact_sheet.png")
    ap.add_argument("--cols", type=int, default=8)
    ap.add_argument("--random", type=int, default=28, help="random corpus items after the per-family row(s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    tiles, labels = [], []
    for fam in FAMILY_NAMES:  # one training-valid sample per family
        while True:
            spec = sample_spec(rng)
            if spec.family == fam and not is_held_out(spec):
                break
        seed = int(rng.integers(1 << 30))
        tiles.append(render(spec, seed, args.size))
        labels.append(caption(spec, rng))
    for i in range(args.random):
        spec, seed = item(int(rng.integers(1 << 20)), 0, True)
        tiles.append(render(spec, seed, args.size))
        labels.append(caption(spec, rng))
    img = draw_sheet(tiles, labels, args.cols,
                     title=f"Tessera texture corpus (tools/texgen): {len(FAMILY_NAMES)} families, "
                           f"one per family then random items; captions as used in training")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    img.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(tiles)} tiles)")


if __name__ == "__main__":
    main()
