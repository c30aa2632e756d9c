"""Stage 1: renders the corpus (once) and trains the AutoencoderTiny.

    python -m tools.train.train_vae [--minutes 20 | --steps N] [--resume]

Trains on whole 128x128 corpus tiles, randomly rolled (they are periodic) and flipped,
with circular padding in every conv, exactly as the model is used (--crop 64 trains on
wrapped 64x64 crops with zero padding instead). Loss: MSE + 0.1 L1 on pixels; an
auxiliary loss asking a 1x1 conv of the latents for each 8x8 block's mean colour (the
head is discarded); small penalties that keep latents centred and inside the decoder's
tanh clamp. The decoder sees latents with a little Gaussian noise (up to 3% of their
standard deviation) so it tolerates imperfect diffusion outputs.

Output: tools/train/runs/vae/final/ (diffusers AutoencoderTiny, EMA weights, fp32) and
runs/vae/metrics.json with the held-out PSNR.
"""

from __future__ import annotations

from .common import (CORPUS_DIR, CORPUS_SEED_BASE, RUNS, VAL_DIR, VAL_SEED_BASE, Checkpoints, CpuClock,  # noqa: I001
                     Stopper, already_done, circular, ema_update, log_to, lr_at, mark_done, plan_steps,
                     resume_total, setup)

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tools.texgen import corpus  # noqa: E402

from .configs import LATENT_CHANNELS, make_vae  # noqa: E402

STAGE = RUNS / "vae"


def crops(images: np.ndarray, idx: np.ndarray, rng: np.random.Generator, size: int) -> torch.Tensor:
    """Random size x size crops with wrap-around from periodic tiles, as [-1, 1] NCHW."""
    n = images.shape[1]
    out = np.empty((len(idx), size, size, 3), np.uint8)
    for k, i in enumerate(idx):
        oy, ox = rng.integers(0, n, 2)
        ys = (oy + np.arange(size)) % n
        xs = (ox + np.arange(size)) % n
        out[k] = images[i][ys][:, xs]
    if rng.random() < 0.5:
        out = out[:, :, ::-1]
    return torch.from_numpy(out.copy()).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_tensor(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(u8)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


@torch.no_grad()
def validate(vae, val: np.ndarray, batch: int = 64) -> dict:
    """PSNR of full 128x128 tiles through encoder and decoder with circular padding."""
    was = next(m.padding_mode for m in vae.modules() if isinstance(m, torch.nn.Conv2d) and m.padding != (0, 0))
    circular(vae, True)
    vae.eval()
    mse, lat = [], []
    for i in range(0, len(val), batch):
        x = to_tensor(val[i:i + batch])
        z = vae.encoder(x)
        y = vae.decoder(z).clamp(-1, 1)
        a = ((y + 1) * 127.5).round()
        b = ((x + 1) * 127.5).round()
        mse.append(((a - b) ** 2).mean(dim=(1, 2, 3)))
        lat.append(z)
    circular(vae, was == "circular")
    vae.train()
    mse = torch.cat(mse)
    psnr = 10 * torch.log10(255.0 ** 2 / mse.clamp_min(1e-10))
    z = torch.cat(lat)
    return {"psnr_mean": float(psnr.mean()), "psnr_median": float(psnr.median()),
            "psnr_p10": float(psnr.quantile(0.1)), "psnr_of_mean_mse": float(10 * torch.log10(255.0 ** 2 / mse.mean())),
            "latent_mean": z.mean(dim=(0, 2, 3)).tolist(), "latent_std": z.std(dim=(0, 2, 3)).tolist()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="time budget when --steps is not given")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--corpus", type=int, default=24000, help="training corpus size (128 px tiles)")
    ap.add_argument("--val", type=int, default=512, help="held-out tiles for PSNR")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--aux", type=float, default=0.5, help="weight of the block-colour auxiliary loss")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    setup(args.threads, args.seed)
    log = log_to(STAGE / "train.log")
    if already_done(STAGE / "final", args, log):
        return
    clock = CpuClock("1_vae")
    log(f"stage 1 (vae) args {vars(args)}")
    corpus.build(CORPUS_DIR, args.corpus, 128, CORPUS_SEED_BASE, True, workers=args.threads, log=log)
    corpus.build(VAL_DIR, args.val, 128, VAL_SEED_BASE, False, workers=args.threads, log=log)
    images, _ = corpus.load(CORPUS_DIR)
    val = np.array(corpus.load(VAL_DIR)[0])
    clock.commit()
    clock = CpuClock("1_vae")

    vae = make_vae()
    circular(vae, args.crop == 128)
    ema = copy.deepcopy(vae)
    # Auxiliary head (discarded after training): the latents must predict each 8x8 block's
    # mean colour. It gets the autoencoder off its initial plateau fast and keeps the
    # latents image-like, which suits the diffusion model.
    head = torch.nn.Conv2d(LATENT_CHANNELS, 3, 1)
    opt = torch.optim.AdamW(list(vae.parameters()) + list(head.parameters()), lr=args.lr, weight_decay=0.0,
                            betas=(0.9, 0.99))
    ck = Checkpoints(STAGE)
    step, total = 0, None
    if args.resume and (state := ck.load()):
        vae.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        step, total = state["step"], resume_total(state, args)
        log(f"resumed at step {step}/{total}")
    stopper = Stopper()
    n = len(images)
    t_start, t_last = time.time(), time.time()
    losses = []
    while total is None or step < total:
        rng = np.random.default_rng([args.seed, step])
        idx = np.sort(rng.choice(n, args.batch, replace=False))
        x = crops(images, idx, rng, args.crop)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total or 10 ** 9, args.lr, warmup=200)
        z = vae.encoder(x)
        noise = torch.randn(z.shape, generator=torch.Generator().manual_seed(args.seed * 7919 + step))
        # A little noise, relative to the latent scale, so the decoder tolerates imperfect latents.
        amp = 0.03 * z.detach().std() * torch.rand(z.shape[0], 1, 1, 1, generator=torch.Generator().manual_seed(step))
        zn = z + noise * amp
        y = vae.decoder(zn)
        rec = F.mse_loss(y, x) + 0.1 * F.l1_loss(y, x)
        reg = 1e-2 * z.mean(dim=(0, 2, 3)).pow(2).sum() + 1e-2 * F.relu(z.abs() - 2.5).pow(2).mean()
        aux = F.mse_loss(head(z), F.avg_pool2d(x, x.shape[-1] // z.shape[-1]))
        loss = rec + reg + args.aux * aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 5.0)
        opt.step()
        ema_update(ema, vae, 0.999 if step > 500 else 0.9)
        losses.append(float(rec))
        step += 1
        if total is None and step == 30:
            total = plan_steps(args, (time.time() - t_start) / 30, log)
        if step % 50 == 0:
            log(f"step {step}/{total} rec {np.mean(losses):.5f} (psnr~{10 * np.log10(4 / max(np.mean(losses), 1e-9)):.1f} on crops) "
                f"lr {opt.param_groups[0]['lr']:.2e} {(time.time() - t_last) / 50:.3f} s/step")
            losses, t_last = [], time.time()
        if ck.due() or stopper.stop or step == total:
            ck.save({"model": vae.state_dict(), "ema": ema.state_dict(), "head": head.state_dict(),
                     "opt": opt.state_dict(), "step": step,
                     "total": total, "args": vars(args)}, step)
            clock.commit(steps_done=step, steps_total=total)
            clock = CpuClock("1_vae")
            if stopper.stop:
                log(f"stopped by signal at step {step}; resume with --resume")
                return
    metrics = validate(ema, val)
    metrics.update(steps=total, batch=args.batch, crop=args.crop)
    log(f"held-out PSNR (EMA, full tiles, circular): mean {metrics['psnr_mean']:.2f} dB, median "
        f"{metrics['psnr_median']:.2f}, p10 {metrics['psnr_p10']:.2f}; latent std {metrics['latent_std']}")
    ema.save_pretrained(STAGE / "final", safe_serialization=True)
    (STAGE / "metrics.json").write_text(json.dumps(metrics, indent=1))
    mark_done(STAGE / "final", total, psnr=metrics["psnr_mean"])
    clock.commit(steps_done=step, steps_total=total, psnr=metrics["psnr_mean"])
    log("stage 1 done")


if __name__ == "__main__":
    main()
