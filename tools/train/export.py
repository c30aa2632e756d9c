"""Stage 4: writes the diffusers folder models/tessera-tex-v1 (fp16 safetensors, <= 60 MB).

    python -m tools.train.export [--out models/tessera-tex-v1]
    python -m tools.train.export --teacher --out /tmp/teacher   # the undistilled UNet, to measure it

Parts: unet/ (the LCM-distilled UNet, with the guidance embedding), vae/ (the stage-1
AutoencoderTiny, scaling_factor from the latent statistics), text_encoder/ (stage-2 CLIP
text encoder), tokenizer/ (the real CLIP BPE files, model_max_length 32), scheduler/
(LCMScheduler, v-prediction), model_index.json for StableDiffusionPipeline with no
safety checker, README.md (the model card) and tessera.json (recommended settings).

--teacher writes the stage-2 UNet instead (no guidance embedding) with a DDIM scheduler
(trailing spacing) and tessera.json's defaults of 20 steps at guidance 3, so
`tools.eval.evaluate --model DIR [--swift]` measures what distillation starts from.
"""

from __future__ import annotations

from .common import REPO, RUNS, CpuClock, log_to  # noqa: I001

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from . import flops  # noqa: E402
from .configs import LCM_ORIGINAL_STEPS, LCM_TIMESTEP_SCALING, MAX_TOKENS, UNET, VAE, scheduler_config, write_tokenizer  # noqa: E402

DEFAULT_OUT = REPO / "models" / "tessera-tex-v1"
LIMIT_MB = 60.0


def folder_mb(d: Path) -> float:
    return sum(p.stat().st_size for p in d.rglob("*") if p.is_file()) / 1e6


def guidance_note(w_range: list) -> str:
    """What the card says about other guidance scales: a student distilled at one w has
    never seen any other, so the knob is only safe inside the range it was trained on."""
    lo, hi = (1.0 + w for w in w_range)
    if lo == hi:
        return (f"\nThe guidance embedding was trained at `guidance_scale` {lo:g} only. Other values are\n"
                "outside what it saw and make worse tiles (measured for v1.3 in `docs/EMBEDDED_MODEL.md` of\n"
                "the Tessera repository); leave it at the default.\n")
    return f"\nThe guidance embedding was trained for `guidance_scale` {lo:g} to {hi:g}.\n"


def model_card(arch: dict, info: dict) -> str:
    u, dec, te = arch["unet"], arch["vae_decoder"], arch["text_encoder"]
    cpu = info.get("cpu_times", {})
    cpu_h = cpu.get("total", {}).get("cpu_h")
    return f"""---
library_name: diffusers
pipeline_tag: text-to-image
tags: [tessera, textures, tileable, lcm, tiny]
---

# tessera-tex-v1: Tessera's embedded texture model

A small text-to-image latent diffusion model that makes **seamlessly tileable 128x128
material textures** in 1 to 4 steps on a CPU. It ships inside Tessera so that `tesserad`
serves textures on a fresh machine with no downloads. It is a standard diffusers folder
(`StableDiffusionPipeline`) and loads with diffusers and with Tessera's Swift loader.

## What it is

| part | class | parameters | cost |
|---|---|---:|---:|
| UNet (LCM-distilled, guidance embedding) | `UNet2DConditionModel` ({'/'.join(map(str, UNET['block_out_channels']))}, {UNET['layers_per_block']} layer per block, cross-attention below the 16x16 level) | {u['params'] / 1e6:.2f} M | {u['gflop_per_eval_16x16']:.3f} GFLOP per evaluation (16x16x16 latents) |
| decoder | `AutoencoderTiny` (TAESD layout, decoder width {VAE['decoder_block_out_channels'][0]}, blocks {VAE['num_decoder_blocks']}, f = 8, {VAE['latent_channels']} latent channels, whitened per channel) | {dec['params'] / 1e3:.0f} k | {dec['gflop_128px']:.3f} GFLOP per 128x128 tile |
| text encoder | `CLIPTextModel` (4 layers, width 256, 32 positions) | {te['params'] / 1e6:.2f} M ({te['params_without_token_embedding'] / 1e6:.2f} M without the token table) | {te['gflop_per_prompt']:.3f} GFLOP per prompt |
| tokenizer | `CLIPTokenizer`, the real CLIP BPE vocabulary (49,408 tokens) | | |
| scheduler | `LCMScheduler`, v-prediction, SD 1.x betas, 50 original steps | | |

FLOPs measured with `torch.utils.flop_counter` (multiply-add = 2). Weights are fp16.

## Use

```python
import torch
from diffusers import StableDiffusionPipeline
pipe = StableDiffusionPipeline.from_pretrained("models/tessera-tex-v1")
for m in list(pipe.unet.modules()) + list(pipe.vae.decoder.modules()):   # xy tiling
    if isinstance(m, torch.nn.Conv2d) and m.padding != (0, 0):
        m.padding_mode = "circular"
image = pipe("mossy red brick wall", num_inference_steps=4, guidance_scale={info['guidance_scale']},
             height=128, width=128, generator=torch.Generator().manual_seed(0)).images[0]
```

Recommended: 128x128, 1-4 steps, `guidance_scale` {info['guidance_scale']} (folded into the UNet's
guidance embedding as w = guidance_scale - 1; no classifier-free guidance pass), circular
padding on both axes for seamless tiles (`tessera.json` records these).
{guidance_note(info['w_range'])}
## Training data

Only procedural images from Tessera's own generator, `tools/texgen`: {info.get('corpus_items', 'n/a')}
seamlessly tileable 128x128 renders of 28 material families (brick, cobblestone, wood
planks, bark, marble, granite, sand, grass, moss, dirt, gravel, lava, water caustics,
ice, snow, rusted metal, brushed metal, riveted plates, hex tiles, ceramic tiles, woven
fabric, leather, dragon scales, clouds, starfield, circuit board, camouflage, cracked
mud) in 21 colours with 12 modifiers (mossy, cracked, wet, weathered, rusty, glowing,
dark, bright, worn, polished, large, small), captioned by a grammar with synonyms.
Some family-colour and family-modifier combinations were held out of training on
purpose (see `tools/texgen/corpus.py`). No photographs, no scraped data, no third-party
weights: every network was trained from random initialisation.

Training: AutoencoderTiny (its 16 latent channels then whitened per channel by a fixed
rescale of the encoder's last and the decoder's first conv), then UNet + text encoder
(v-prediction, min-SNR weighting),
then LCM consistency distillation (Luo et al. 2023) with a w-conditioned student. Held-out
autoencoder PSNR: {info.get('psnr', float('nan')):.2f} dB. Training took {f'{cpu_h:.2f}' if cpu_h else 'n/a'} CPU hours
on 2 cores. See `docs/EMBEDDED_MODEL.md` in the Tessera repository.

## What it is not good for

- Anything outside the corpus: faces, people, animals, objects, scenes, text, logos,
  photographs. Words it never saw in a caption have untrained embeddings and are ignored
  or misread.
- Sizes other than 128x128 (256x256 works but repeats features of the 128 px scale;
  larger tiles are better made as tile grids).
- Fine control: colours are the 21 named ones, layouts are whatever the corpus had;
  it does not follow long or compositional prompts beyond family, colour and modifiers.
- Photorealism or high detail: it is a tiny model and its textures are as simple as the
  procedural corpus it imitates.
- Non-tiling use without circular padding gives visible seams at the tile border.
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--teacher", action="store_true", help="export the undistilled stage-2 UNet with DDIM (not for models/)")
    args = ap.parse_args(argv)
    models = (REPO / "models").resolve()
    if args.teacher and (Path(args.out).resolve() == models or models in Path(args.out).resolve().parents):
        raise SystemExit("--teacher needs an --out outside models/")
    log = log_to(RUNS / "export.log")
    clock = CpuClock("4_export")
    from diffusers import AutoencoderTiny, DDIMScheduler, LCMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    out = Path(args.out)
    meta = json.loads((RUNS / "unet" / "final" / "latents.json").read_text())
    vae = AutoencoderTiny.from_pretrained(RUNS / "latents" / "vae")  # whitened per channel (train_unet.whiten_vae)
    vae.register_to_config(scaling_factor=round(meta["scaling_factor"], 6))
    unet = UNet2DConditionModel.from_pretrained(RUNS / ("unet" if args.teacher else "lcm") / "final" / "unet")
    te = CLIPTextModel.from_pretrained(RUNS / "unet" / "final" / "text_encoder")
    tok_dir = RUNS / "export_tokenizer"
    write_tokenizer(tok_dir)
    tok = CLIPTokenizer.from_pretrained(str(tok_dir))
    if args.teacher:
        sched = DDIMScheduler(**scheduler_config(set_alpha_to_one=True, timestep_spacing="trailing"))
    else:
        sched = LCMScheduler(**scheduler_config(set_alpha_to_one=True, steps_offset=1), original_inference_steps=LCM_ORIGINAL_STEPS,
                             timestep_scaling=LCM_TIMESTEP_SCALING)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet, scheduler=sched,
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.to(torch.float16)
    if out.exists():
        shutil.rmtree(out)
    pipe.save_pretrained(out, safe_serialization=True)
    shutil.rmtree(out / "tokenizer")
    write_tokenizer(out / "tokenizer")  # exactly the CLIP files, model_max_length 32
    if args.teacher:
        (out / "README.md").write_text("Undistilled stage-2 UNet of tessera-tex-v1 with DDIM, for evaluation only "
                                       "(python -m tools.train.export --teacher).\n")
        (out / "tessera.json").write_text(json.dumps({"resolution": 128, "tiling": "xy", "steps": [20], "default_steps": 20,
                                                      "guidance_scale": 3.0, "max_tokens": MAX_TOKENS}, indent=1) + "\n")
        log(f"exported the teacher to {out} ({folder_mb(out):.1f} MB)")
        return
    distill = json.loads((RUNS / "lcm" / "final" / "distill.json").read_text())
    arch = flops.measure(str(out))
    cpu = json.loads((RUNS / "cpu_times.json").read_text()) if (RUNS / "cpu_times.json").exists() else {}
    vmet = json.loads((RUNS / "vae" / "metrics.json").read_text())
    info = {"guidance_scale": distill["guidance_scale"], "w_range": distill["w_range"], "cpu_times": cpu, "psnr": vmet["psnr_mean"],
            "corpus_items": f"{meta['count']:,}"}
    (out / "README.md").write_text(model_card(arch, info))
    (out / "tessera.json").write_text(json.dumps({
        "resolution": 128, "tiling": "xy", "steps": [1, 2, 4], "default_steps": 4,
        "guidance_scale": distill["guidance_scale"], "max_tokens": MAX_TOKENS}, indent=1) + "\n")
    (RUNS / "arch.json").write_text(json.dumps(arch, indent=1))
    for p in out.rglob("*.safetensors"):
        from safetensors import safe_open
        with safe_open(str(p), "pt") as f:
            bad = [k for k in f.keys() if f.get_slice(k).get_dtype() not in ("F16",)]
        assert not bad, f"{p}: non-fp16 tensors {bad[:3]}"
    mb = folder_mb(out)
    log(f"exported {out} ({mb:.1f} MB): " + json.dumps(arch))
    if mb > LIMIT_MB:
        raise SystemExit(f"{out} is {mb:.1f} MB, over the {LIMIT_MB} MB budget")
    clock.commit(size_mb=mb)


if __name__ == "__main__":
    main()
