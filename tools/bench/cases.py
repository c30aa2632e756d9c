"""The benchmark cases: which module, which inputs, and how Tessera runs the same thing.

Random weights with real architectures: the SD-Turbo-size UNet and TAESD built by
tools/fullsize/check.py (random, fp16 on disk, fp32 in every engine), and the embedded
model's own UNet and decoder.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
EMBEDDED = REPO / "models" / "tessera-tex-v1"


@dataclass(frozen=True)
class Case:
    model: str          # "fullsize" or "embedded"
    part: str           # "unet", "decoder", "e2e" (1 UNet step, then TAESD decoding) or "clip" (text encoder)
    size: int           # image side in pixels


CASES = {
    "unet256": Case("fullsize", "unet", 256), "unet512": Case("fullsize", "unet", 512),
    "taesd256": Case("fullsize", "decoder", 256), "taesd512": Case("fullsize", "decoder", 512),
    "e2e256": Case("fullsize", "e2e", 256), "e2e512": Case("fullsize", "e2e", 512),
    "clip": Case("fullsize", "clip", 256),
    "tex128-unet": Case("embedded", "unet", 128), "tex128-decoder": Case("embedded", "decoder", 128),
}


def fullsize_folder(work: Path) -> Path:
    """The SD-Turbo-size random model of tools/fullsize/check.py, built on first use."""
    folder = work / "sd-turbo-size-random"
    spec = importlib.util.spec_from_file_location("fullsize_check", REPO / "tools" / "fullsize" / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    check.build(str(folder))
    return folder


def model_folder(case: Case, work: Path) -> Path:
    return fullsize_folder(work) if case.model == "fullsize" else EMBEDDED


class UNetCall(torch.nn.Module):
    """UNet2DConditionModel as a plain function of tensors (for ONNX and OpenVINO tracing)."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, context, *cond):
        return self.unet(sample, timestep, context, timestep_cond=cond[0] if cond else None, return_dict=False)[0]


class DecoderCall(torch.nn.Module):
    """AutoencoderTiny's decoder (the whole of TAESD decoding, clamp included)."""

    def __init__(self, vae):
        super().__init__()
        self.decoder = vae.decoder

    def forward(self, latents):
        return self.decoder(latents)


class TextEncoderCall(torch.nn.Module):
    """CLIPTextModel's last hidden state for one prompt's token ids."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, ids):
        return self.encoder(ids, return_dict=False)[0]


class EndToEndCall(torch.nn.Module):
    """One SD-Turbo step, prompt already encoded: the UNet's epsilon at t = 999 turned into
    the clean latents (what a 1-step Euler or LCM step returns), then TAESD decoding."""

    def __init__(self, unet, vae):
        super().__init__()
        from diffusers import DDPMScheduler
        self.unet, self.decoder = unet, vae.decoder
        alpha_bar = float(DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012).alphas_cumprod[999])
        self.a, self.s = alpha_bar ** 0.5, (1 - alpha_bar) ** 0.5

    def forward(self, sample, timestep, context):
        eps = self.unet(sample, timestep, context, return_dict=False)[0]
        return self.decoder((sample - self.s * eps) / self.a)


def load_module(name: str, work: Path) -> torch.nn.Module:
    from diffusers import AutoencoderTiny, UNet2DConditionModel
    case = CASES[name]
    folder = model_folder(case, work)
    if case.part == "clip":
        from transformers import CLIPTextModel
        module = TextEncoderCall(CLIPTextModel.from_pretrained(folder / "text_encoder", torch_dtype=torch.float32))
    elif case.part == "e2e":
        module = EndToEndCall(UNet2DConditionModel.from_pretrained(folder / "unet", torch_dtype=torch.float32),
                              AutoencoderTiny.from_pretrained(folder / "vae", torch_dtype=torch.float32))
    elif case.part == "unet":
        module = UNetCall(UNet2DConditionModel.from_pretrained(folder / "unet", torch_dtype=torch.float32))
    else:
        module = DecoderCall(AutoencoderTiny.from_pretrained(folder / "vae", torch_dtype=torch.float32))
    return module.eval()


def unet_config(name: str) -> dict:
    import json
    case = CASES[name]
    folder = EMBEDDED if case.model == "embedded" else None
    if folder is None:
        return {"in_channels": 4, "cross_attention_dim": 1024, "time_cond_proj_dim": None, "tokens": 77}
    cfg = json.loads((folder / "unet" / "config.json").read_text())
    return {"in_channels": cfg["in_channels"], "cross_attention_dim": cfg["cross_attention_dim"],
            "time_cond_proj_dim": cfg.get("time_cond_proj_dim"), "tokens": 32}


def build_inputs(name: str) -> list[torch.Tensor]:
    case = CASES[name]
    g = torch.Generator().manual_seed(0)
    cfg = unet_config(name)
    latent = case.size // 8
    if case.part == "clip":  # token ids as the tokenizer pads a short prompt: BOS, words, then EOS padding
        ids = torch.full((1, cfg["tokens"]), 49407, dtype=torch.int64)
        ids[0, :6] = torch.tensor([49406, 1215, 4996, 2862, 2870, 49407])
        return [ids]
    if case.part == "decoder":
        return [torch.randn((1, cfg["in_channels"], latent, latent), generator=g) * 0.5]
    inputs = [torch.randn((1, cfg["in_channels"], latent, latent), generator=g), torch.tensor([999], dtype=torch.int64),
              torch.randn((1, cfg["tokens"], cfg["cross_attention_dim"]), generator=g)]
    if cfg["time_cond_proj_dim"]:
        inputs.append(torch.randn((1, cfg["time_cond_proj_dim"]), generator=g))
    return inputs


def flops(name: str, work: Path) -> float:
    """Floating-point operations of one call, counted by torch.utils.flop_counter."""
    from torch.utils.flop_counter import FlopCounterMode
    module = load_module(name, work)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        module(*build_inputs(name))
    return float(counter.get_total_flops())


if __name__ == "__main__":
    # `python -m tools.bench.cases CASE WORK`: prints the case's flop count. compare.py runs
    # this in a child so that its own process stays small: a child forked from a parent
    # that had loaded the SD-size UNet would report that parent's memory as its peak RSS.
    import sys
    print(flops(sys.argv[1], Path(sys.argv[2])))
