"""Stages 2 and 3 again, on one CUDA GPU, in one run with a wall-clock budget.

    python -m tools.train.gpu_chain --init-from models/tessera-tex-v1 --work /tmp/chain --out DIR --budget-s 540

Made for a lent GPU that is held for minutes, not hours: every phase has a deadline, the
step counts follow from the pace measured in the first steps, and each phase writes its
result into --out as soon as it ends, so a run cut short still returns what it finished.
The CPU stages (train_unet, distill_lcm) stay the reference; this runs the same
objectives, vectorised on the device, with far larger batches and step counts.

  corpus   --corpus tiles rendered on all CPU cores (tools.texgen, stage 1's seeds, so the
           first 20000 are the CPU corpus); --captions grammar captions per tile, tokenised once
  encode   latents from --init-from's (whitened) autoencoder; its scaling_factor is kept
  teacher  warm start from --init-from's UNet (guidance projection dropped) and text encoder;
           train_unet's objective (v-prediction, min-SNR-5, 10% empty captions, latent rolls)
  lcm      one process per --lcm-lr value, run side by side: distill_lcm's method
           (DDIM solver on 50 skipping-step timesteps, w ~ U[w_min, w_max], Huber, EMA target);
           the target network is saved at half and at the end of its steps
  decoder  in parallel with the others: the autoencoder's decoder widened to --decoder-width
           (function-preserving: the old channels keep their weights and never read the new
           ones at the start) and trained on the frozen encoder's latents (MSE + 0.1 L1, full
           tiles, circular padding, a little latent noise as in train_vae)

Outputs in --out (fp16 safetensors, each with its diffusers config in the metadata):
teacher_unet, text_encoder_delta (the parameters that moved; token rows by index),
lcm_<lr>[_mid] (students), vae_wide, and log.txt. `python -m tools.train.gpu_import`
turns them back into the runs folder's layout.
"""

from __future__ import annotations

from .common import REPO, circular, lr_at  # noqa: I001

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tools.texgen import corpus  # noqa: E402
from tools.texgen.captions import caption  # noqa: E402

from .configs import GUIDANCE_EMBED_DIM, LATENT_CHANNELS, LCM_ORIGINAL_STEPS, MAX_TOKENS, VAE, make_text_encoder, make_tokenizer, make_unet, scheduler_config  # noqa: E402

VAL_SEED_BASE = 70_000_000


class Log:
    """Prints and appends to --out/log.txt (line by line, so a killed run keeps its log)."""

    def __init__(self, out: Path, tag: str):
        out.mkdir(parents=True, exist_ok=True)
        self.fh = open(out / "log.txt", "a", buffering=1)
        self.tag = tag

    def __call__(self, *a):
        line = f"[{time.strftime('%H:%M:%S')} {self.tag}] " + " ".join(str(x) for x in a)
        print(line, flush=True)
        self.fh.write(line + "\n")


def save_fp16(module_or_sd, path: Path, config: dict | None = None, **extra: torch.Tensor) -> None:
    from safetensors.torch import save_file
    sd = module_or_sd if isinstance(module_or_sd, dict) else module_or_sd.state_dict()
    sd = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in sd.items()}
    sd.update({k: v.detach().cpu().contiguous() for k, v in extra.items()})
    meta = {"config": json.dumps(config)} if config is not None else None
    tmp = path.with_suffix(".tmp")
    save_file(sd, str(tmp), metadata=meta)
    os.replace(tmp, path)


def device_setup(args) -> torch.device:
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    else:
        torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    return dev


def roll(x: torch.Tensor, sh: torch.Tensor, scale: int = 1) -> torch.Tensor:
    """Rolls each item of NCHW x by its own (dy, dx) * scale pixels: one gather, no loop."""
    n, _, h, w = x.shape
    ar_h = torch.arange(h, device=x.device)
    ar_w = torch.arange(w, device=x.device)
    iy = (ar_h[None, :] - sh[:, :1] * scale) % h  # (n, h)
    ix = (ar_w[None, :] - sh[:, 1:] * scale) % w  # (n, w)
    x = torch.gather(x, 2, iy[:, None, :, None].expand(n, x.shape[1], h, w))
    return torch.gather(x, 3, ix[:, None, None, :].expand(n, x.shape[1], h, w))


def update(opt, loss, params: list, clip: float, ema: list | None = None, rate: float = 0.0) -> None:
    """One optimizer step with gradient clipping, then the EMA copy moved by `rate` toward the weights."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    if ema is not None:
        with torch.no_grad():
            torch._foreach_lerp_(ema, params, rate)


class Pace:
    """Plans a step total that ends by a deadline, from the pace of the first steps.

    The plan is redone every `every` steps from the latest pace, so a run that slows down
    (a shared GPU, a busy CPU) still reaches its learning-rate decay before the deadline."""

    def __init__(self, until: float, probe: int = 40, every: int = 200):
        self.until, self.probe, self.every = until, probe, every
        self.t0, self.mark = None, None
        self.total = 10 ** 9

    def _plan(self, step: int, pace: float) -> None:
        self.total = step + max(10, int(0.97 * (self.until - time.time()) / pace))

    def tick(self, step: int, log) -> None:
        if step == 5:
            self.t0 = time.time()  # after the first (warm-up, autotuning) steps
        elif step == 5 + self.probe:
            pace = (time.time() - self.t0) / self.probe
            self._plan(step, pace)
            self.mark = (step, time.time())
            log(f"{pace * 1000:.1f} ms/step -> {self.total} steps by the deadline")
        elif self.mark and step - self.mark[0] >= self.every:
            self._plan(step, (time.time() - self.mark[1]) / (step - self.mark[0]))
            self.mark = (step, time.time())

    def done(self, step: int) -> bool:
        return step >= self.total or time.time() >= self.until


# ---------------------------------------------------------------- corpus, captions, latents

def prepare(args, log) -> None:
    work = Path(args.work)
    meta = corpus.build(work / "corpus", args.corpus, 128, 0, True, workers=os.cpu_count() or 2, chunk=128, log=log)
    log(f"corpus: {args.corpus} tiles, {meta.get('wall_s', 0):.0f} s")
    corpus.build(work / "val", args.val, 128, VAL_SEED_BASE, False, workers=os.cpu_count() or 2, chunk=64, log=log)
    if not (work / "captions.npy").exists():
        t0 = time.time()
        tok = make_tokenizer(work / "tokenizer")
        _, items = corpus.load(work / "corpus")
        ids = np.zeros((len(items), args.captions, MAX_TOKENS), np.int32)
        for s in range(0, len(items), 4096):
            texts = []
            for i in range(s, min(s + 4096, len(items))):
                rng = np.random.default_rng([args.seed, 5, i])
                spec = corpus.spec_of(items[i])
                texts += [caption(spec, rng) for _ in range(args.captions)]
            enc = tok(texts, padding="max_length", max_length=MAX_TOKENS, truncation=True).input_ids
            ids[s:s + len(texts) // args.captions] = np.asarray(enc, np.int32).reshape(-1, args.captions, MAX_TOKENS)
        empty = np.asarray(tok([""], padding="max_length", max_length=MAX_TOKENS).input_ids[0], np.int32)
        np.save(work / "empty_ids.npy", empty)
        np.save(work / "captions.npy", ids)
        log(f"caption pool: {ids.shape} tokenised in {time.time() - t0:.1f} s")


@torch.no_grad()
def encode(args, log) -> None:
    from diffusers import AutoencoderTiny
    work = Path(args.work)
    if (work / "latents.npy").exists():
        return
    dev = device_setup(args)
    vae = AutoencoderTiny.from_pretrained(Path(args.init_from) / "vae").float().to(dev).eval()
    circular(vae, True)
    images, _ = corpus.load(work / "corpus")
    out = np.zeros((len(images), LATENT_CHANNELS, 16, 16), np.float16)
    t0 = time.time()
    for i in range(0, len(images), 1024):
        x = torch.from_numpy(np.array(images[i:i + 1024])).to(dev).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        out[i:i + len(x)] = vae.encoder(x).cpu().numpy().astype(np.float16)
    z = torch.from_numpy(out[:4096]).float()
    log(f"latents {out.shape} in {time.time() - t0:.1f} s; std {z.std():.4f} (scaling_factor {vae.config.scaling_factor:.4f})")
    np.save(work / "latents.npy", out)


class Batches:
    """Random training batches drawn on the device: latents (scaled, rolled) and caption ids."""

    def __init__(self, args, dev, sf: float):
        work = Path(args.work)
        self.lat = torch.from_numpy(np.load(work / "latents.npy")).to(dev).float() * sf
        self.ids = torch.from_numpy(np.load(work / "captions.npy")).to(dev).long()
        self.empty = torch.from_numpy(np.load(work / "empty_ids.npy")).to(dev).long()
        self.gen = torch.Generator(device=dev).manual_seed(args.seed)
        self.dev = dev

    def draw(self, b: int, drop: float = 0.0):
        g, dev = self.gen, self.dev
        idx = torch.randint(0, len(self.lat), (b,), device=dev, generator=g)
        sh = torch.randint(0, 16, (b, 2), device=dev, generator=g)
        x0 = roll(self.lat[idx], sh)
        k = torch.randint(0, self.ids.shape[1], (b,), device=dev, generator=g)
        ids = self.ids[idx, k]
        if drop > 0:
            d = torch.rand(b, device=dev, generator=g) < drop
            ids = torch.where(d[:, None], self.empty[None, :], ids)
        return x0, ids


def vae_scaling_factor(args) -> float:
    return json.loads((Path(args.init_from) / "vae" / "config.json").read_text())["scaling_factor"]


# ---------------------------------------------------------------- teacher

def teacher(args, log) -> None:
    from diffusers import DDPMScheduler

    from .train_unet import min_snr_weight, warm_start
    dev = device_setup(args)
    out, work = Path(args.out), Path(args.work)
    data = Batches(args, dev, vae_scaling_factor(args))
    unet, te = make_unet(), make_text_encoder()
    circular(unet, True)
    ema_u, ema_t = copy.deepcopy(unet), copy.deepcopy(te)
    warm_start(args.init_from, unet, te, ema_u, ema_t, log)
    te0 = {k: v.clone() for k, v in te.state_dict().items()}
    for m in (unet, te, ema_u, ema_t):
        m.to(dev)
    params = list(unet.parameters()) + list(te.parameters())
    ema_params = list(ema_u.parameters()) + list(ema_t.parameters())
    opt = torch.optim.AdamW(params, lr=args.teacher_lr, weight_decay=0.0, betas=(0.9, 0.99),
                            **({"fused": True} if dev.type == "cuda" else {}))
    acp = DDPMScheduler(**scheduler_config()).alphas_cumprod.to(dev)
    pace = Pace(args.until)
    step, losses, t_last = 0, [], time.time()
    b = args.teacher_batch
    while not pace.done(step):
        x0, ids = data.draw(b, drop=0.1)
        t = torch.randint(0, 1000, (b,), device=dev, generator=data.gen)
        eps = torch.randn(x0.shape, device=dev, generator=data.gen)
        a = acp[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        target = a.sqrt() * eps - (1 - a).sqrt() * x0  # v
        for g in opt.param_groups:
            g["lr"] = lr_at(step, pace.total, args.teacher_lr, warmup=300)
        pred = unet(xt, t, te(ids)[0]).sample
        loss = ((pred - target).pow(2).mean(dim=(1, 2, 3)) * min_snr_weight(acp, t)).mean()
        update(opt, loss, params, 1.0, ema_params, 1.0 - (0.999 if step > 1000 else 0.99))
        losses.append(loss.detach())
        step += 1
        pace.tick(step, log)
        if step % 500 == 0:
            log(f"step {step}/{pace.total} loss {torch.stack(losses).mean():.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{(time.time() - t_last) / 500 * 1000:.1f} ms/step")
            losses, t_last = [], time.time()
    log(f"teacher: {step} steps of batch {b}")
    ema_u.cpu().save_pretrained(work / "teacher" / "unet", safe_serialization=True)
    ema_t.cpu().save_pretrained(work / "teacher" / "text_encoder", safe_serialization=True)
    save_fp16(ema_u, out / "teacher_unet.safetensors", dict(ema_u.config))
    sd = ema_t.state_dict()
    moved = {k: v for k, v in sd.items() if not torch.equal(v, te0[k]) and "token_embedding" not in k}
    emb_key = next(k for k in sd if k.endswith("token_embedding.weight"))  # "text_model." or not, by version
    rows = torch.nonzero((sd[emb_key] != te0[emb_key]).any(dim=1)).flatten()
    save_fp16(moved, out / "text_encoder_delta.safetensors", None,
              token_rows=rows.to(torch.int64), token_values=sd[emb_key][rows].to(torch.float16))
    (work / "teacher" / "done").write_text(json.dumps({"steps": step, "batch": b}))
    log(f"teacher saved: {len(moved)} text-encoder tensors and {len(rows)} token rows moved")


# ---------------------------------------------------------------- LCM students

def lcm(args, log) -> None:
    from diffusers import DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel

    from .distill_lcm import boundary, guidance_embedding, split_v
    dev = device_setup(args)
    out, work = Path(args.out), Path(args.work)
    name = f"lcm_{args.lcm_lr[0]:g}".replace(".", "p").replace("-", "m")
    data = Batches(args, dev, vae_scaling_factor(args))
    te = CLIPTextModel.from_pretrained(work / "teacher" / "text_encoder").to(dev).eval().requires_grad_(False)
    tea = UNet2DConditionModel.from_pretrained(work / "teacher" / "unet").to(dev).eval().requires_grad_(False)
    student = make_unet(time_cond_proj_dim=GUIDANCE_EMBED_DIM)
    missing, unexpected = student.load_state_dict(tea.state_dict(), strict=False)
    assert not unexpected and all("cond_proj" in k for k in missing), (missing, unexpected)
    torch.nn.init.zeros_(student.time_embedding.cond_proj.weight)
    student.to(dev)
    for m in (tea, student):
        circular(m, True)
    target = copy.deepcopy(student).requires_grad_(False)
    opt = torch.optim.AdamW(student.parameters(), lr=args.lcm_lr[0], weight_decay=0.0, betas=(0.9, 0.999),
                            **({"fused": True} if dev.type == "cuda" else {}))
    acp = DDPMScheduler(**scheduler_config()).alphas_cumprod.to(dev)
    k = 1000 // LCM_ORIGINAL_STEPS
    solver_t = (torch.arange(1, LCM_ORIGINAL_STEPS + 1) * k - 1).to(dev)
    with torch.no_grad():
        unc = te(data.empty[None])[0]
    pace = Pace(args.until)
    step, losses, t_last, mid_saved = 0, [], time.time(), False
    b = args.lcm_batch
    sp, tp = list(student.parameters()), list(target.parameters())
    while not pace.done(step):
        x0, ids = data.draw(b)
        g = data.gen
        with torch.no_grad():
            cond = te(ids)[0]
        t = solver_t[torch.randint(0, LCM_ORIGINAL_STEPS, (b,), device=dev, generator=g)]
        t_prev = (t - k).clamp_min(0)
        w = args.w_min + (args.w_max - args.w_min) * torch.rand(b, device=dev, generator=g)
        w_emb = guidance_embedding(w.cpu()).to(dev)  # the pipeline's formula builds CPU tensors
        eps = torch.randn(x0.shape, device=dev, generator=g)
        a_t, a_p = acp[t].view(-1, 1, 1, 1), acp[t_prev].view(-1, 1, 1, 1)
        xt = a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step, pace.total, args.lcm_lr[0], warmup=100, decay_frac=0.2)
        x0_s, _ = split_v(student(xt, t, cond, timestep_cond=w_emb).sample, xt, a_t)
        cs, co = boundary(t)
        pred = cs * xt + co * x0_s
        with torch.no_grad():
            v_c, v_u = tea(torch.cat([xt, xt]), torch.cat([t, t]), torch.cat([cond, unc.expand(b, -1, -1)])).sample.chunk(2)
            x0_c, e_c = split_v(v_c, xt, a_t)
            x0_u, e_u = split_v(v_u, xt, a_t)
            ww = w.view(-1, 1, 1, 1)
            x_prev = a_p.sqrt() * (x0_c + ww * (x0_c - x0_u)) + (1 - a_p).sqrt() * (e_c + ww * (e_c - e_u))
            x0_t, _ = split_v(target(x_prev, t_prev, cond, timestep_cond=w_emb).sample, x_prev, a_p)
            cs_p, co_p = boundary(t_prev)
            tgt = cs_p * x_prev + co_p * x0_t
        c = args.huber_c
        loss = (torch.sqrt((pred - tgt) ** 2 + c * c) - c).mean()
        update(opt, loss, sp, 1.0, tp, 1.0 - args.ema)
        losses.append(loss.detach())
        step += 1
        pace.tick(step, log)
        if step % 250 == 0:
            log(f"{name} step {step}/{pace.total} huber {torch.stack(losses).mean():.5f} "
                f"lr {opt.param_groups[0]['lr']:.2e} {(time.time() - t_last) / 250 * 1000:.1f} ms/step")
            losses, t_last = [], time.time()
        if not mid_saved and pace.total < 10 ** 9 and step >= pace.total // 2:
            save_fp16(target, out / f"{name}_mid.safetensors", dict(target.config), steps=torch.tensor(step))
            mid_saved = True
            log(f"{name}: mid snapshot at step {step}")
    save_fp16(target, out / f"{name}.safetensors", dict(target.config), steps=torch.tensor(step))
    log(f"{name}: {step} steps of batch {b} saved")


# ---------------------------------------------------------------- wider decoder

@torch.no_grad()
def widen(old: torch.nn.Module, new: torch.nn.Module) -> None:
    """Copies a narrower decoder into a wider one so that both compute the same image.

    Old output channels keep their weights and get zero weights from the new input
    channels; new channels start from the default init (halved). Same layer order required."""
    olds = [m for m in old.modules() if isinstance(m, torch.nn.Conv2d)]
    news = [m for m in new.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(olds) == len(news), (len(olds), len(news))
    for o, n in zip(olds, news):
        oo, oi = o.weight.shape[:2]
        n.weight.mul_(0.5)
        n.weight[:oo, :oi] = o.weight
        n.weight[:oo, oi:] = 0
        if o.bias is not None:
            n.bias[:oo] = o.bias


def wide_vae(init_from: Path, width: int):
    from diffusers import AutoencoderTiny
    old = AutoencoderTiny.from_pretrained(init_from / "vae").float()
    cfg = dict(VAE, decoder_block_out_channels=(width,) * 4, scaling_factor=old.config.scaling_factor)
    new = AutoencoderTiny(**cfg)
    new.encoder.load_state_dict(old.encoder.state_dict())
    widen(old.decoder, new.decoder)
    return old, new


@torch.no_grad()
def psnr(decoder, lat: torch.Tensor, imgs: torch.Tensor) -> float:
    mse = []
    for i in range(0, len(lat), 256):
        y = decoder(lat[i:i + 256]).clamp(-1, 1).add(1).mul(127.5).round()
        x = imgs[i:i + 256].permute(0, 3, 1, 2).float()
        mse.append((y - x).pow(2).mean(dim=(1, 2, 3)))
    return float((10 * torch.log10(255.0 ** 2 / torch.cat(mse).clamp_min(1e-10))).mean())


def decoder(args, log) -> None:
    dev = device_setup(args)
    out, work = Path(args.out), Path(args.work)
    old, vae = wide_vae(Path(args.init_from), args.decoder_width)
    for m in (old, vae):
        circular(m, True)
        m.to(dev)
    images = torch.from_numpy(np.array(corpus.load(work / "corpus")[0])).to(dev)
    lat = torch.from_numpy(np.load(work / "latents.npy")).to(dev).float()
    val_img = torch.from_numpy(np.array(corpus.load(work / "val")[0])).to(dev)
    val_lat = old.encoder(val_img.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)).detach()
    log(f"decoder: held-out PSNR {psnr(old.decoder, val_lat, val_img):.2f} dB (committed, width "
        f"{old.config.decoder_block_out_channels[0]}), {psnr(vae.decoder, val_lat, val_img):.2f} dB (widened to {args.decoder_width}, before training)")
    dec = vae.decoder.train()
    params = list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=args.decoder_lr, weight_decay=0.0, betas=(0.9, 0.99),
                            **({"fused": True} if dev.type == "cuda" else {}))
    g = torch.Generator(device=dev).manual_seed(args.seed + 11)
    pace = Pace(args.until)
    step, losses, t_last, b = 0, [], time.time(), args.decoder_batch
    std = float(lat[:4096].std())
    while not pace.done(step):
        idx = torch.randint(0, len(lat), (b,), device=dev, generator=g)
        sh = torch.randint(0, 16, (b, 2), device=dev, generator=g)
        z = roll(lat[idx], sh)
        x = roll(images[idx].permute(0, 3, 1, 2).float().div(127.5).sub(1.0), sh, scale=8)
        amp = 0.03 * std * torch.rand(b, 1, 1, 1, device=dev, generator=g)
        z = z + amp * torch.randn(z.shape, device=dev, generator=g)
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step, pace.total, args.decoder_lr, warmup=200)
        y = dec(z)
        loss = F.mse_loss(y, x) + 0.1 * F.l1_loss(y, x)
        update(opt, loss, params, 5.0)
        losses.append(loss.detach())
        step += 1
        pace.tick(step, log)
        if step % 500 == 0:
            log(f"decoder step {step}/{pace.total} loss {torch.stack(losses).mean():.5f} "
                f"{(time.time() - t_last) / 500 * 1000:.1f} ms/step")
            losses, t_last = [], time.time()
        if step % 2000 == 0:  # long CPU runs keep what they have
            save_fp16(vae, out / "vae_wide.safetensors", dict(vae.config), steps=torch.tensor(step))
    dec.eval()
    log(f"decoder: {step} steps of batch {b}; held-out PSNR {psnr(dec, val_lat, val_img):.2f} dB")
    save_fp16(vae, out / "vae_wide.safetensors", dict(vae.config), steps=torch.tensor(step))


# ---------------------------------------------------------------- driver

def spawn(stage: str, args, until: float, extra: list[str] = ()) -> subprocess.Popen:
    argv = [sys.executable, "-m", "tools.train.gpu_chain", "--stage", stage, "--until", f"{until:.1f}"]
    for k, v in vars(args).items():
        if k in ("stage", "until", "lcm_lr"):
            continue
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return subprocess.Popen(argv + list(extra), cwd=REPO)


def drive(args, log) -> None:
    t0 = time.time()
    end = t0 + args.budget_s
    prepare(args, log)
    if spawn("encode", args, end).wait() != 0:
        raise SystemExit("encode failed")
    left = end - time.time() - 25.0  # saving and the students' start-up
    t_teacher = time.time() + left * args.teacher_share
    log(f"prepared in {time.time() - t0:.0f} s; teacher until +{t_teacher - t0:.0f} s, students until +{end - 15 - t0:.0f} s")
    dec = spawn("decoder", args, end - 15.0)
    if spawn("teacher", args, t_teacher).wait() != 0:
        log("teacher failed; no students")
        dec.wait()
        return
    students = [spawn("lcm", args, end - 15.0, ["--lcm-lr", str(lr)]) for lr in args.lcm_lr]
    codes = [p.wait() for p in students + [dec]]
    log(f"done in {time.time() - t0:.0f} s; exit codes {codes}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stage", default="all", choices=["all", "encode", "teacher", "lcm", "decoder"])
    ap.add_argument("--init-from", default=str(REPO / "models" / "tessera-tex-v1"))
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--budget-s", type=float, default=540.0)
    ap.add_argument("--until", type=float, default=0.0, help="(internal) deadline, seconds since the epoch")
    ap.add_argument("--corpus", type=int, default=80000)
    ap.add_argument("--val", type=int, default=512)
    ap.add_argument("--captions", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--teacher-share", type=float, default=0.5, help="teacher's share of the training time")
    ap.add_argument("--teacher-batch", type=int, default=512)
    ap.add_argument("--teacher-lr", type=float, default=5e-4)
    ap.add_argument("--lcm-batch", type=int, default=256)
    ap.add_argument("--lcm-lr", type=float, nargs="+", default=[1e-4, 3e-4])
    ap.add_argument("--w-min", type=float, default=1.0)
    ap.add_argument("--w-max", type=float, default=5.0)
    ap.add_argument("--ema", type=float, default=0.95)
    ap.add_argument("--huber-c", type=float, default=1e-3)
    ap.add_argument("--decoder-width", type=int, default=32)
    ap.add_argument("--decoder-batch", type=int, default=64)
    ap.add_argument("--decoder-lr", type=float, default=5e-4)
    args = ap.parse_args(argv)
    log = Log(Path(args.out), args.stage if args.stage != "lcm" else f"lcm {args.lcm_lr[0]:g}")
    if args.stage == "all":
        drive(args, log)
        return
    if not args.until:
        args.until = time.time() + args.budget_s
    {"encode": encode, "teacher": teacher, "lcm": lcm, "decoder": decoder}[args.stage](args, log)


if __name__ == "__main__":
    main()
