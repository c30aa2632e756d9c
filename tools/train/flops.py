"""Measures parameters and FLOPs of the embedded model's parts with torch.utils.flop_counter.

    python -m tools.train.flops [--model models/tessera-tex-v1] [--json out.json]

Without --model it measures freshly built networks of tools/train/configs.py (same
shapes as the trained ones). FLOPs count a multiply-add as 2, at a 128x128 tile
(16x16x16 latents), batch 1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from .configs import GUIDANCE_EMBED_DIM, LATENT_CHANNELS, MAX_TOKENS, make_text_encoder, make_unet, make_vae


def _flops(fn) -> float:
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        fn()
    return fc.get_total_flops() / 1e9


def _params(m) -> int:
    return sum(p.numel() for p in m.parameters())


def measure(model_dir: str | None = None) -> dict:
    if model_dir:
        from diffusers import AutoencoderTiny, UNet2DConditionModel
        from transformers import CLIPTextModel
        d = Path(model_dir)
        unet = UNet2DConditionModel.from_pretrained(d / "unet", torch_dtype=torch.float32)
        vae = AutoencoderTiny.from_pretrained(d / "vae", torch_dtype=torch.float32)
        te = CLIPTextModel.from_pretrained(d / "text_encoder", torch_dtype=torch.float32)
    else:
        unet, vae, te = make_unet(time_cond_proj_dim=GUIDANCE_EMBED_DIM), make_vae(), make_text_encoder()
    z = torch.randn(1, LATENT_CHANNELS, 16, 16)
    cond = torch.randn(1, MAX_TOKENS, te.config.hidden_size)
    t = torch.tensor([999])
    kw = {}
    if unet.config.time_cond_proj_dim:
        kw["timestep_cond"] = torch.randn(1, unet.config.time_cond_proj_dim)
    ids = torch.randint(0, 49406, (1, MAX_TOKENS))
    return {
        "unet": {"params": _params(unet), "gflop_per_eval_16x16": _flops(lambda: unet(z, t, cond, **kw))},
        "vae_decoder": {"params": _params(vae.decoder), "gflop_128px": _flops(lambda: vae.decoder(z))},
        "vae_encoder": {"params": _params(vae.encoder),
                        "gflop_128px": _flops(lambda: vae.encoder(torch.randn(1, 3, 128, 128)))},
        "text_encoder": {"params": _params(te), "gflop_per_prompt": _flops(lambda: te(ids)),
                         "params_without_token_embedding": _params(te) - te.get_input_embeddings().weight.numel()},
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    r = measure(args.model)
    for k, v in r.items():
        print(f"{k:13s} " + ", ".join(f"{a} {b:,.3f}" if isinstance(b, float) else f"{a} {b:,}" for a, b in v.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
