"""Architectures of the embedded texture model (standard diffusers/transformers classes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .common import TOKENIZER_SRC

MAX_TOKENS = 32          # prompts are short; the tokenizer pads to this length
TEXT_WIDTH = 256         # CLIP hidden size = UNet cross_attention_dim
GUIDANCE_EMBED_DIM = 256  # time_cond_proj_dim of the LCM student
# 16 latent channels at f = 8 (as in SD3/FLUX autoencoders): 4 channels cap reconstruction of
# the corpus near 20 dB, 16 reach the 28 dB target (docs/EMBEDDED_MODEL.md section 3).
LATENT_CHANNELS = 16

VAE = dict(
    in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS,
    # diffusers' EncoderTiny/DecoderTiny need one width for all stages.
    encoder_block_out_channels=(32, 32, 32, 32), num_encoder_blocks=(0, 2, 2, 2),
    decoder_block_out_channels=(24, 24, 24, 24), num_decoder_blocks=(2, 2, 1, 0),
    act_fn="relu", upsample_fn="nearest", upsampling_scaling_factor=2,
    latent_magnitude=3, latent_shift=0.5, scaling_factor=1.0,
)

UNET = dict(
    sample_size=16, in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, layers_per_block=1,
    block_out_channels=(32, 64, 128),
    # No attention at the 16x16 level (as SD leaves it out at its first level): 30% fewer ops.
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    mid_block_type="UNetMidBlock2DCrossAttn",
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    cross_attention_dim=TEXT_WIDTH, attention_head_dim=(2, 4, 4), norm_num_groups=16,
    act_fn="silu", flip_sin_to_cos=True, freq_shift=0,
)

TEXT = dict(
    vocab_size=49408, hidden_size=TEXT_WIDTH, intermediate_size=1024, num_hidden_layers=4,
    num_attention_heads=4, max_position_embeddings=MAX_TOKENS, hidden_act="quick_gelu",
    bos_token_id=49406, eos_token_id=49407, pad_token_id=49407, projection_dim=TEXT_WIDTH,
)

# DDPM noise schedule of SD 1.x, v-prediction.
SCHEDULE = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                prediction_type="v_prediction", clip_sample=False)

# LCM: 50 skipping-step solver timesteps (19, 39, ..., 999), boundary condition scale 10.
LCM_ORIGINAL_STEPS = 50
LCM_TIMESTEP_SCALING = 10.0


def make_vae():
    from diffusers import AutoencoderTiny
    return AutoencoderTiny(**VAE)


def make_unet(time_cond_proj_dim: int | None = None):
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(**UNET, time_cond_proj_dim=time_cond_proj_dim)


def make_text_encoder():
    from transformers import CLIPTextConfig, CLIPTextModel
    return CLIPTextModel(CLIPTextConfig(**TEXT))


def write_tokenizer(dst: Path) -> None:
    """The real CLIP BPE files, with model_max_length set to the text encoder's length."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.json", "merges.txt", "special_tokens_map.json"):
        shutil.copyfile(TOKENIZER_SRC / name, dst / name)
    cfg = json.loads((TOKENIZER_SRC / "tokenizer_config.json").read_text())
    cfg["model_max_length"] = MAX_TOKENS
    (dst / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2) + "\n")


def make_tokenizer(cache: Path):
    from transformers import CLIPTokenizer
    if not (cache / "tokenizer_config.json").exists():
        write_tokenizer(cache)
    return CLIPTokenizer.from_pretrained(str(cache))


def scheduler_config(**extra) -> dict:
    return dict(SCHEDULE, **extra)
