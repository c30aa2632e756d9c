"""Reference images of the embedded model from diffusers, for the Swift parity test.

    python -m tools.train.make_reference [--model models/tessera-tex-v1]

Runs StableDiffusionPipeline in fp32 on the exported folder (circular padding in the UNet
and the decoder for xy tiling, as Tessera does) and writes
Tests/Fixtures/embedded/reference_e2e.{json,safetensors}: per case the final latents and
the pixels that `numpy_to_pil` would store (as fp16, exact for 0..255).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from tools.fixtures.make_pipelines import circularize, decircularize

from .common import REPO

OUT = REPO / "Tests" / "Fixtures" / "embedded"
CASES = [
    dict(name="brick_1", prompt="red brick wall", steps=1, seed=0, tiling="xy"),
    dict(name="lava_2", prompt="glowing orange lava with dark crust", steps=2, seed=7, tiling="xy"),
    dict(name="hex_4", prompt="seamless blue hexagon tiles", steps=4, seed=1234, tiling="xy"),
    dict(name="moss_4_none", prompt="mossy grey cobblestones", steps=4, seed=99, tiling="none"),
]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(REPO / "models" / "tessera-tex-v1"))
    args = ap.parse_args(argv)
    from diffusers import StableDiffusionPipeline
    torch.set_num_threads(2)
    card = json.loads((Path(args.model) / "tessera.json").read_text())
    pipe = StableDiffusionPipeline.from_pretrained(args.model, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    tensors, cases = {}, []
    for case in CASES:
        case = dict(case, guidance=card["guidance_scale"], height=128, width=128, negative=None)
        if case["tiling"] == "xy":
            circularize(pipe.unet, pipe.vae)
        kwargs = dict(prompt=case["prompt"], guidance_scale=case["guidance"], num_inference_steps=case["steps"],
                      height=128, width=128)
        with torch.no_grad():
            latents = pipe(**kwargs, generator=torch.Generator().manual_seed(case["seed"]), output_type="latent").images
            image = pipe(**kwargs, generator=torch.Generator().manual_seed(case["seed"]), output_type="np").images
        decircularize(pipe.unet, pipe.vae)
        tensors[f"{case['name']}.latents"] = latents.float().contiguous()
        tensors[f"{case['name']}.pixels"] = torch.from_numpy((image * 255).round().astype(np.float16)).contiguous()
        cases.append(case)
    OUT.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT / "reference_e2e.safetensors"))
    (OUT / "reference_e2e.json").write_text(json.dumps(cases, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
