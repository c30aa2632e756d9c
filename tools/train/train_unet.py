"""Stage 2: encodes the corpus with the stage-1 encoder, then trains UNet + CLIP text encoder jointly.

    python -m tools.train.train_unet [--minutes 40 | --steps N] [--resume] [--init-from DIR]

--init-from DIR warm-starts from an exported diffusers folder (models/tessera-tex-v1):
its UNet and text encoder become the starting weights (and the EMA), and, when stage 1's
autoencoder is not on disk, its already whitened autoencoder stands in for it (the
re-whitening gains then come out at 1 to within fp16 rounding). The exported UNet is
the LCM student; its guidance projection is dropped. The optimizer starts fresh with the
usual warm-up. This continues training in a session whose checkpoints
are gone, without repeating stages 1 and 2.

Latents: every corpus tile goes once through the encoder (circular padding) into
runs/latents/latents.npy (float16). The 16 channels come out with standard deviations
from 0.07 to 0.36, which one scalar scaling_factor cannot equalise, so the autoencoder is
then whitened per channel by weight surgery (whiten_vae): the encoder's last conv is
scaled by g_c = s / s_c and the decoder's first conv by 1 / g_c, so every channel has the
common std s and the scalar scaling_factor 1 / s gives the UNet unit variance in every
channel. The whitened autoencoder (runs/latents/vae) is the one exported. Training rolls each latent by a
random whole number of latent pixels (an exact augmentation for periodic tiles) and
draws a fresh caption from the grammar every time; 10% of captions are dropped to "" so
classifier-free guidance works. Objective: v-prediction on the SD 1.x DDPM schedule
(scaled_linear, 1000 steps) with min-SNR-5 weighting; UNet convs pad circularly.

Output: runs/unet/final/{unet,text_encoder} (EMA weights) and runs/unet/samples.png.
"""

from __future__ import annotations

from .common import (CORPUS_DIR, CORPUS_SEED_BASE, RUNS, Checkpoints, CpuClock, Stopper, already_done, circular, ema_update, mark_done, resume_total,  # noqa: I001
                     log_to, lr_at, plan_steps, setup)

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tools.texgen import corpus  # noqa: E402
from tools.texgen.captions import caption  # noqa: E402

from .configs import LATENT_CHANNELS, MAX_TOKENS, make_text_encoder, make_tokenizer, make_unet, scheduler_config  # noqa: E402

STAGE = RUNS / "unet"
LATENTS = RUNS / "latents"


@torch.no_grad()
def encode_corpus(log) -> dict:
    """runs/latents/latents.npy (N, LATENT_CHANNELS, 16, 16) float16, raw encoder output, plus stats."""
    done = LATENTS / "meta.json"
    if done.exists():
        return json.loads(done.read_text())
    from diffusers import AutoencoderTiny
    vae = AutoencoderTiny.from_pretrained(RUNS / "vae" / "final")
    circular(vae, True)
    vae.eval()
    images, _ = corpus.load(CORPUS_DIR)
    LATENTS.mkdir(parents=True, exist_ok=True)
    out = np.lib.format.open_memmap(LATENTS / "latents.npy", mode="w+", dtype=np.float16,
                                    shape=(len(images), LATENT_CHANNELS, 16, 16))
    t0 = time.time()
    s1 = np.zeros(LATENT_CHANNELS)
    s2 = np.zeros(LATENT_CHANNELS)
    for i in range(0, len(images), 128):
        x = torch.from_numpy(np.array(images[i:i + 128])).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        z = vae.encoder(x)
        out[i:i + len(z)] = z.numpy().astype(np.float16)
        s1 += z.sum(dim=(0, 2, 3)).double().numpy()
        s2 += z.pow(2).sum(dim=(0, 2, 3)).double().numpy()
        if (i // 128) % 20 == 0:
            log(f"encoded {i + len(z)}/{len(images)} ({time.time() - t0:.0f} s)")
    out.flush()
    count = len(images) * 16 * 16
    mean = s1 / count
    std = np.sqrt(s2 / count - mean ** 2)
    overall = float(np.sqrt((s2.sum() / (LATENT_CHANNELS * count)) - (s1.sum() / (LATENT_CHANNELS * count)) ** 2))
    meta = {"count": len(images), "channel_mean": mean.tolist(), "channel_std": std.tolist(),
            "std": overall, "scaling_factor": float(1.0 / overall), "encode_wall_s": time.time() - t0}
    done.write_text(json.dumps(meta, indent=1))
    log(f"latents: mean {np.round(mean, 3).tolist()} std {np.round(std, 3).tolist()} -> scaling_factor {meta['scaling_factor']:.4f}")
    return meta


WHITE_VAE = LATENTS / "vae"


@torch.no_grad()
def whiten_vae(meta: dict, log) -> dict:
    """Per-channel whitening folded into the autoencoder's weights, and applied to latents.npy.

    Exact for the encoder (its last layer is a conv). The decoder applies tanh(x / 3) * 3
    before its first conv, so after the fold it sees every channel at the common std
    (0.16) instead of 0.07-0.36: the clamp stays in its near-linear range either way."""
    if "channel_gain" in meta:
        return meta
    from diffusers import AutoencoderTiny
    vae = AutoencoderTiny.from_pretrained(RUNS / "vae" / "final")
    gain = torch.tensor([meta["std"] / s for s in meta["channel_std"]], dtype=torch.float32)
    last = vae.encoder.layers[-1]
    first = vae.decoder.layers[0][0] if isinstance(vae.decoder.layers[0], torch.nn.Sequential) else vae.decoder.layers[0]
    assert isinstance(last, torch.nn.Conv2d) and last.out_channels == LATENT_CHANNELS
    assert isinstance(first, torch.nn.Conv2d) and first.in_channels == LATENT_CHANNELS
    last.weight.mul_(gain.view(-1, 1, 1, 1))
    last.bias.mul_(gain)
    first.weight.div_(gain.view(1, -1, 1, 1))
    vae.save_pretrained(WHITE_VAE, safe_serialization=True)
    lat = np.load(LATENTS / "latents.npy", mmap_mode="r+")
    g16 = gain.numpy().reshape(1, -1, 1, 1)
    for i in range(0, len(lat), 1024):
        lat[i:i + 1024] = (lat[i:i + 1024].astype(np.float32) * g16).astype(np.float16)
    lat.flush()
    meta = dict(meta, channel_gain=gain.tolist(), raw_channel_std=meta["channel_std"],
                channel_std=[meta["std"]] * LATENT_CHANNELS,
                channel_mean=[m * g for m, g in zip(meta["channel_mean"], gain.tolist())])
    (LATENTS / "meta.json").write_text(json.dumps(meta, indent=1))
    log(f"whitened latents: gains {np.round(gain.numpy(), 3).tolist()}; autoencoder folded into {WHITE_VAE}")
    return meta


@torch.no_grad()
def adopt_exported_vae(folder: str, log) -> None:
    """Stage 1's output stand-in: the exported (fp16, whitened) autoencoder saved in fp32."""
    dst = RUNS / "vae" / "final"
    if dst.exists():
        return
    from diffusers import AutoencoderTiny
    vae = AutoencoderTiny.from_pretrained(f"{folder}/vae").float()
    vae.save_pretrained(dst, safe_serialization=True)
    log(f"autoencoder taken from {folder}/vae (already whitened) into {dst}")
    measure_vae(vae, log)


@torch.no_grad()
def measure_vae(vae, log) -> dict:
    """Stage 1's held-out PSNR (runs/vae/metrics.json, which export reads) for an adopted autoencoder."""
    from .common import VAL_DIR, VAL_SEED_BASE
    from .train_vae import validate
    corpus.build(VAL_DIR, 512, 128, VAL_SEED_BASE, False, log=log)
    circular(vae, True)
    metrics = validate(vae.eval(), np.array(corpus.load(VAL_DIR)[0]))
    (RUNS / "vae" / "metrics.json").write_text(json.dumps(metrics, indent=1))
    log(f"held-out PSNR of the adopted autoencoder: mean {metrics['psnr_mean']:.2f} dB")
    return metrics


@torch.no_grad()
def warm_start(folder: str, unet, te, ema_u, ema_t, log) -> None:
    """Starting weights (model and EMA) from an exported folder's UNet and text encoder.

    The exported UNet is the LCM student: the teacher's architecture plus the guidance
    projection (time_embedding.cond_proj, no bias), which is dropped here. The v-prediction
    objective pulls the distilled weights back to a diffusion model within a few hundred
    steps (the log shows the loss)."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel
    u = UNet2DConditionModel.from_pretrained(f"{folder}/unet").float().state_dict()
    u = {k: v for k, v in u.items() if not k.startswith("time_embedding.cond_proj.")}
    t = CLIPTextModel.from_pretrained(f"{folder}/text_encoder").float().state_dict()
    for m, sd in ((unet, u), (ema_u, u), (te, t), (ema_t, t)):
        m.load_state_dict(sd)  # strict: any other difference in architecture is an error
    log(f"warm start from {folder}: UNet and text encoder weights (EMA too); fresh optimizer")


def tokenize(tok, texts: list[str]) -> torch.Tensor:
    return tok(texts, padding="max_length", max_length=MAX_TOKENS, truncation=True, return_tensors="pt").input_ids


def roll_batch(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    sh = rng.integers(0, x.shape[-1], (x.shape[0], 2))
    return torch.stack([torch.roll(x[i], (int(a), int(b)), dims=(1, 2)) for i, (a, b) in enumerate(sh)])


def min_snr_weight(alphas_cumprod: torch.Tensor, t: torch.Tensor, gamma: float = 5.0) -> torch.Tensor:
    a = alphas_cumprod[t]
    snr = a / (1 - a)
    return torch.clamp(snr, max=gamma) / (snr + 1)  # v-prediction form


@torch.no_grad()
def sample_grid(unet, te, tok, prompts: list[str], sf: float, path, steps: int = 25, cfg: float = 4.0) -> None:
    """DDIM samples (circular padding) for a quick look; decoded with the stage-1 VAE."""
    from diffusers import AutoencoderTiny, DDIMScheduler
    from PIL import Image
    sched = DDIMScheduler(**scheduler_config(set_alpha_to_one=False, steps_offset=1, timestep_spacing="trailing"))
    sched.set_timesteps(steps)
    vae = AutoencoderTiny.from_pretrained(WHITE_VAE)
    circular(vae, True)
    cond = te(tokenize(tok, prompts))[0]
    unc = te(tokenize(tok, [""] * len(prompts)))[0]
    x = torch.randn((len(prompts), LATENT_CHANNELS, 16, 16), generator=torch.Generator().manual_seed(0))
    for t in sched.timesteps:
        v = unet(torch.cat([x, x]), t, torch.cat([cond, unc])).sample
        vc, vu = v.chunk(2)
        x = sched.step(vu + cfg * (vc - vu), t, x).prev_sample
    img = vae.decoder(x / sf).clamp(-1, 1).add(1).mul(127.5).round().byte().permute(0, 2, 3, 1).numpy()
    Image.fromarray(np.concatenate(list(img), axis=1)).save(path)


SAMPLE_PROMPTS = ["red brick wall", "mossy grey cobblestones", "blue hexagon tiles", "molten orange lava",
                  "green circuit board", "white snow", "brown wood planks", "purple dragon scales"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=40.0)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--drop", type=float, default=0.1, help="caption dropout for classifier-free guidance")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-from", help="exported diffusers folder to warm-start from")
    ap.add_argument("--corpus", type=int, default=20000, help="corpus size, as stage 1's (with --init-from)")
    args = ap.parse_args(argv)
    setup(args.threads, args.seed)
    log = log_to(STAGE / "train.log")
    if already_done(STAGE / "final", args, log):
        return
    clock = CpuClock("2a_encode_latents")
    log(f"stage 2 (unet + text encoder) args {vars(args)}")
    if args.init_from:
        # Stage 1 normally renders the corpus; the same call is a no-op when it is there.
        corpus.build(CORPUS_DIR, args.corpus, 128, CORPUS_SEED_BASE, True, workers=args.threads, log=log)
        adopt_exported_vae(args.init_from, log)
    meta = whiten_vae(encode_corpus(log), log)
    clock.commit()
    clock = CpuClock("2_unet")
    sf = meta["scaling_factor"]
    lat = torch.from_numpy(np.load(LATENTS / "latents.npy").astype(np.float32)) * sf
    items = [corpus.spec_of(d) for d in corpus.load(CORPUS_DIR)[1]]
    tok = make_tokenizer(RUNS / "tokenizer")

    from diffusers import DDPMScheduler
    sched = DDPMScheduler(**scheduler_config())
    acp = sched.alphas_cumprod
    unet, te = make_unet(), make_text_encoder()
    circular(unet, True)
    ema_u, ema_t = copy.deepcopy(unet), copy.deepcopy(te)
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0, betas=(0.9, 0.99))
    ck = Checkpoints(STAGE)
    step, total = 0, None
    if args.init_from and ck.latest() is None:
        warm_start(args.init_from, unet, te, ema_u, ema_t, log)
    if args.resume and (state := ck.load()):
        unet.load_state_dict(state["unet"])
        te.load_state_dict(state["te"])
        ema_u.load_state_dict(state["ema_unet"])
        ema_t.load_state_dict(state["ema_te"])
        opt.load_state_dict(state["opt"])
        step, total = state["step"], resume_total(state, args)
        log(f"resumed at step {step}/{total}")
    stopper = Stopper()
    n = len(lat)
    t_start, t_last, losses = time.time(), time.time(), []
    while total is None or step < total:
        rng = np.random.default_rng([args.seed, 2, step])
        gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        idx = rng.choice(n, args.batch, replace=False)
        x0 = roll_batch(lat[idx], rng)
        texts = ["" if rng.random() < args.drop else caption(items[i], rng) for i in idx]
        ids = tokenize(tok, texts)
        t = torch.randint(0, 1000, (args.batch,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        xt = sched.add_noise(x0, eps, t)
        target = sched.get_velocity(x0, eps, t)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total or 10 ** 9, args.lr, warmup=300)
        enc = te(ids)[0]
        pred = unet(xt, t, enc).sample
        per = (pred - target).pow(2).mean(dim=(1, 2, 3))
        loss = (per * min_snr_weight(acp, t)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        d = 0.999 if step > 1000 else 0.99
        ema_update(ema_u, unet, d)
        ema_update(ema_t, te, d)
        losses.append(float(loss))
        step += 1
        if total is None and step == 20:
            total = plan_steps(args, (time.time() - t_start) / 20, log)
        if step % 50 == 0:
            log(f"step {step}/{total} loss {np.mean(losses):.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{(time.time() - t_last) / 50:.3f} s/step")
            losses, t_last = [], time.time()
        if ck.due() or stopper.stop or step == total:
            ck.save({"unet": unet.state_dict(), "te": te.state_dict(), "ema_unet": ema_u.state_dict(),
                     "ema_te": ema_t.state_dict(), "opt": opt.state_dict(), "step": step, "total": total,
                     "args": vars(args)}, step)
            clock.commit(steps_done=step, steps_total=total)
            clock = CpuClock("2_unet")
            if stopper.stop:
                log(f"stopped by signal at step {step}; resume with --resume")
                return
    ema_u.save_pretrained(STAGE / "final" / "unet", safe_serialization=True)
    ema_t.save_pretrained(STAGE / "final" / "text_encoder", safe_serialization=True)
    (STAGE / "final" / "latents.json").write_text(json.dumps(meta, indent=1))
    try:
        sample_grid(ema_u.eval(), ema_t.eval(), tok, SAMPLE_PROMPTS, sf, STAGE / "samples.png")
        log(f"samples: {STAGE / 'samples.png'} ({', '.join(SAMPLE_PROMPTS)})")
    except Exception as e:  # a preview must not fail the stage
        log(f"sample grid failed: {e!r}")
    mark_done(STAGE / "final", total)
    clock.commit(steps_done=step, steps_total=total)
    log("stage 2 done")


if __name__ == "__main__":
    main()
