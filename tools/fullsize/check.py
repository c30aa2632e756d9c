#!/usr/bin/env python3
"""Full-size parity check: SD-Turbo-size random weights, Tessera vs diffusers.

Builds (once) a random-weight diffusers folder with SD-Turbo's architecture: an 865M-parameter
UNet (SD 2.x layout), an OpenCLIP-H-size text encoder (23 layers, width 1024) and a standard
TAESD, in fp16. It is large (about 2.5 GB) and is never committed. Then, for each case, it runs
diffusers' StableDiffusionPipeline and `tessera render` with the same prompt and seed, and
reports the max latent error, the pixel agreement and both stage timings.

Cases: 512x512, 1 step, EulerDiscrete trailing (SD-Turbo's scheduler), guidance 0;
       256x256, 4 steps, LCM, guidance 0.

Usage: .venv/bin/python tools/fullsize/check.py [--work /tmp/tessera-fullsize] [--tessera PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))


def build(folder: str) -> None:
    from diffusers import AutoencoderTiny, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    if os.path.exists(os.path.join(folder, "model_index.json")):
        return
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        attention_head_dim=(5, 10, 20, 20), cross_attention_dim=1024, use_linear_projection=True,
    )
    perturb(unet, 1)
    print("unet params", sum(p.numel() for p in unet.parameters()))
    unet.half().save_pretrained(os.path.join(folder, "unet"))
    del unet
    te = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=1024, intermediate_size=4096,
                                      num_hidden_layers=23, num_attention_heads=16, max_position_embeddings=77,
                                      hidden_act="gelu", projection_dim=1024, bos_token_id=49406,
                                      eos_token_id=49407, pad_token_id=0))
    perturb(te, 2)
    te.half().save_pretrained(os.path.join(folder, "text_encoder"))
    del te
    taesd = AutoencoderTiny()
    perturb(taesd, 3)
    taesd.half().save_pretrained(os.path.join(folder, "vae"))
    tok = os.path.join(folder, "tokenizer")
    os.makedirs(tok, exist_ok=True)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(REPO, "Tests/Fixtures/tokenizer/clip", name), tok)
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(REPO, "Tests/Fixtures/tokenizer/clip-sd2", name), tok)
    os.makedirs(os.path.join(folder, "scheduler"), exist_ok=True)
    sched = {"_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085,
             "beta_end": 0.012, "beta_schedule": "scaled_linear", "prediction_type": "epsilon",
             "timestep_spacing": "trailing", "steps_offset": 1, "interpolation_type": "linear",
             "use_karras_sigmas": False, "set_alpha_to_one": False, "clip_sample": False}
    json.dump(sched, open(os.path.join(folder, "scheduler", "scheduler_config.json"), "w"), indent=2)
    index = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.42.1",
             "feature_extractor": [None, None], "image_encoder": [None, None], "requires_safety_checker": False,
             "safety_checker": [None, None], "scheduler": ["diffusers", "EulerDiscreteScheduler"],
             "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
             "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderTiny"]}
    json.dump(index, open(os.path.join(folder, "model_index.json"), "w"), indent=2)


def diffusers_run(folder, prompt, seed, size, steps, scheduler):
    from diffusers import LCMScheduler, StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(folder, torch_dtype=torch.float32, safety_checker=None,
                                                   requires_safety_checker=False)
    if scheduler == "lcm":
        pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    timings = {}
    kwargs = dict(prompt=prompt, num_inference_steps=steps, guidance_scale=0.0, height=size, width=size)
    t = time.time()
    with torch.no_grad():
        latents = pipe(**kwargs, generator=torch.Generator().manual_seed(seed), output_type="latent").images
    timings["latents_s"] = time.time() - t
    t = time.time()
    with torch.no_grad():
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor).sample
    timings["decode_s"] = time.time() - t
    pixels = ((image / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy() * 255).round()
    return latents.numpy(), pixels[0], timings


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/tessera-fullsize")
    ap.add_argument("--tessera", default=os.path.join(REPO, ".build/release/tessera"))
    ap.add_argument("--cases", default="512x1,256x4lcm")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 2)
    folder = os.path.join(args.work, "sd-turbo-size-random")
    build(folder)
    prompt = "seamless mossy cobblestone texture, top-down"
    from PIL import Image

    for case in args.cases.split(","):
        size, rest = case.split("x")
        size = int(size)
        steps = int(rest.rstrip("lcm"))
        scheduler = "lcm" if rest.endswith("lcm") else "euler"
        seed = 42
        ref_lat, ref_px, dt = diffusers_run(folder, prompt, seed, size, steps, scheduler)
        out_png = os.path.join(args.work, f"tessera_{case}.png")
        out_lat = os.path.join(args.work, f"tessera_{case}.npy")
        cmd = [args.tessera, "render", "--model", folder, "--prompt", prompt, "--seed", str(seed),
               "--steps", str(steps), "--width", str(size), "--height", str(size), "--guidance", "0",
               "--scheduler", scheduler, "--save-latents", out_lat, "-o", out_png]
        t = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.time() - t
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
            sys.exit(1)
        lat = np.load(out_lat)
        px = np.asarray(Image.open(out_png).convert("RGB")).astype(np.float32)
        err = float(np.abs(lat - ref_lat).max())
        agree = float((np.abs(px - ref_px) <= 1).mean())
        print(f"== {size}x{size}, {steps} step(s), {scheduler}")
        print(f"max latent error {err:.3e}; pixels within 1/255: {agree * 100:.3f}%")
        print(f"diffusers: latents {dt['latents_s']:.2f} s, decode {dt['decode_s']:.2f} s")
        print(f"tessera (wall {wall:.2f} s incl. load):\n{proc.stdout}")


if __name__ == "__main__":
    main()
