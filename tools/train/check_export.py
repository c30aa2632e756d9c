"""Loads the exported folder with StableDiffusionPipeline.from_pretrained and renders a few tiles.

    python -m tools.train.check_export [--model models/tessera-tex-v1] [--out tools/train/runs/check_export.png]

Checks: the folder loads as a StableDiffusionPipeline with AutoencoderTiny, LCMScheduler
and no safety checker; every weight is fp16; the folder is <= 60 MB; the tokenizer pads
to the text encoder's length; tiles render at 1, 2 and 4 steps with circular padding and
are seamless (xy seam ratio). Writes a grid (rows: steps; columns: prompts).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
PROMPTS = ["red brick wall", "mossy grey cobblestones", "seamless blue hexagon tiles", "molten orange lava",
           "green circuit board", "rusty riveted metal plates", "brown wood planks", "purple dragon scales"]


def seam_ratio(img: np.ndarray) -> float:
    f = img.astype(np.float32)
    seam = np.abs(f[:, 0] - f[:, -1]).mean() + np.abs(f[0] - f[-1]).mean()
    inner = np.abs(np.diff(f, axis=1)).mean() + np.abs(np.diff(f, axis=0)).mean()
    return float(seam / max(inner, 1e-6))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(REPO / "models" / "tessera-tex-v1"))
    ap.add_argument("--out", default=str(REPO / "tools" / "train" / "runs" / "check_export.png"))
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    from diffusers import AutoencoderTiny, LCMScheduler, StableDiffusionPipeline
    from safetensors import safe_open
    model = Path(args.model)
    size_mb = sum(p.stat().st_size for p in model.rglob("*") if p.is_file()) / 1e6
    problems = []
    if size_mb > 60:
        problems.append(f"folder is {size_mb:.1f} MB (> 60)")
    for p in model.rglob("*.safetensors"):
        with safe_open(str(p), "pt") as f:
            if any(f.get_slice(k).get_dtype() != "F16" for k in f.keys()):
                problems.append(f"{p.relative_to(model)} has non-fp16 tensors")
    idx = json.loads((model / "model_index.json").read_text())
    if idx.get("safety_checker") not in ([None, None], None):
        problems.append("model_index.json names a safety checker")
    pipe = StableDiffusionPipeline.from_pretrained(str(model), torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    if not isinstance(pipe.vae, AutoencoderTiny):
        problems.append(f"vae is {type(pipe.vae).__name__}")
    if not isinstance(pipe.scheduler, LCMScheduler):
        problems.append(f"scheduler is {type(pipe.scheduler).__name__}")
    if pipe.tokenizer.model_max_length != pipe.text_encoder.config.max_position_embeddings:
        problems.append("tokenizer model_max_length differs from the text encoder's positions")
    for m in list(pipe.unet.modules()) + list(pipe.vae.decoder.modules()):
        if isinstance(m, torch.nn.Conv2d) and any(p > 0 for p in m.padding):
            m.padding_mode = "circular"
    card = json.loads((model / "tessera.json").read_text()) if (model / "tessera.json").exists() else {}
    g = float(card.get("guidance_scale", 1.0))
    rows, seams = [], []
    for steps in (1, 2, 4):
        gens = [torch.Generator().manual_seed(i) for i in range(len(PROMPTS))]
        with torch.no_grad():
            ims = pipe(PROMPTS, num_inference_steps=steps, guidance_scale=g, generator=gens,
                       height=128, width=128, output_type="np").images
        u8 = (np.clip(ims, 0, 1) * 255 + 0.5).astype(np.uint8)
        if u8.shape != (len(PROMPTS), 128, 128, 3):
            problems.append(f"output shape {u8.shape}")
        seams += [seam_ratio(x) for x in u8]
        rows.append(np.concatenate(list(u8), axis=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(args.out)
    print(f"{model}: {size_mb:.1f} MB, guidance_scale {g}; rendered {3 * len(PROMPTS)} tiles -> {args.out}")
    print(f"xy seam ratio: mean {np.mean(seams):.3f}, max {np.max(seams):.3f}")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
