"""Stage 3: latent consistency distillation (LCM) of the stage-2 UNet to 1-4 steps.

    python -m tools.train.distill_lcm [--minutes 22 | --steps N] [--resume]

Method: Latent Consistency Models (Luo et al., 2023, arXiv:2310.04378), consistency
distillation with a DDIM solver over 50 skipping-step timesteps (19, 39, ..., 999; skip
k = 20), guidance folded in through a w-embedding (time_cond_proj_dim), Huber loss, and
an EMA target network. Per step:

  x0 (latent), t_n from the 50 solver timesteps, t_{n-1} = t_n - 20, w ~ U[w_min, w_max]
  x_{t_n}    = noised x0
  teacher    : v-predictions with and without the caption at t_n, turned into x0 and eps,
               guided as  x0_g = x0_c + w (x0_c - x0_u)  (eps likewise), then one DDIM
               step to t_{n-1}:  x_{t_{n-1}} = sqrt(a') x0_g + sqrt(1 - a') eps_g
  student    : f(x, t, w) = c_skip(t) x + c_out(t) x0_pred(x, t, w) at (x_{t_n}, t_n)
  target     : the EMA student's f at (x_{t_{n-1}}, t_{n-1}), no gradient
  loss       : Huber(student - target),  target <- EMA(student, 0.95)

c_skip, c_out are LCMScheduler's boundary-condition scalings (sigma_data 0.5, timestep
scaling 10), so the exported LCMScheduler reproduces exactly what was trained. The
pipeline feeds w = guidance_scale - 1 into the embedding (diffusers' convention).

Defaults are the committed model's recipe (v1.3): w fixed at 2 (guidance 3), lr 3e-4. It
gives better 1-step tiles than v1.2's w ~ U[1, 5] at lr 1e-4, at the price of a guidance
knob that only works at 3; the wide range kept the knob harmless (docs/EMBEDDED_MODEL.md,
section 7). With w fixed, the guidance written to tessera.json is 1 + w unless given.

Output: runs/lcm/final/unet (EMA target weights, with time_cond_proj_dim).
"""

from __future__ import annotations

from .common import (CORPUS_DIR, RUNS, Checkpoints, CpuClock, Stopper, already_done, circular, ema_update, mark_done, resume_total,  # noqa: I001
                     log_to, lr_at, plan_steps, setup)

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tools.texgen import corpus  # noqa: E402
from tools.texgen.captions import caption  # noqa: E402

from .configs import (GUIDANCE_EMBED_DIM, LCM_ORIGINAL_STEPS, LCM_TIMESTEP_SCALING, make_tokenizer,  # noqa: E402
                      make_unet, scheduler_config)
from .train_unet import LATENTS, roll_batch, tokenize  # noqa: E402

STAGE = RUNS / "lcm"
SIGMA_DATA = 0.5


def guidance_embedding(w: torch.Tensor, dim: int = GUIDANCE_EMBED_DIM) -> torch.Tensor:
    """Exactly what StableDiffusionPipeline feeds as timestep_cond for a given w."""
    from diffusers import StableDiffusionPipeline
    return StableDiffusionPipeline.get_guidance_scale_embedding(None, w, embedding_dim=dim)


def boundary(t: torch.Tensor):
    """LCMScheduler.get_scalings_for_boundary_condition_discrete."""
    s = t.float() * LCM_TIMESTEP_SCALING
    c_skip = SIGMA_DATA ** 2 / (s ** 2 + SIGMA_DATA ** 2)
    c_out = s / (s ** 2 + SIGMA_DATA ** 2) ** 0.5
    return c_skip[:, None, None, None], c_out[:, None, None, None]


def split_v(v, x, a):
    """x0 and eps from a v-prediction at alpha_cumprod a."""
    sa, sb = a.sqrt(), (1 - a).sqrt()
    return sa * x - sb * v, sb * x + sa * v


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=22.0)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--w-min", type=float, default=2.0)
    ap.add_argument("--w-max", type=float, default=2.0)
    ap.add_argument("--guidance", type=float,
                    help="default guidance_scale written to tessera.json (default: 1 + w when w is fixed, else 3)")
    ap.add_argument("--ema", type=float, default=0.95)
    ap.add_argument("--huber-c", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.guidance is None:  # a student trained at one w only works at that guidance
        args.guidance = 1.0 + args.w_min if args.w_min == args.w_max else 3.0
    setup(args.threads, args.seed)
    log = log_to(STAGE / "train.log")
    if already_done(STAGE / "final", args, log):
        return
    clock = CpuClock("3_lcm")
    log(f"stage 3 (LCM distillation) args {vars(args)}")
    from diffusers import DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel
    src = RUNS / "unet" / "final"
    meta = json.loads((src / "latents.json").read_text())
    sf = meta["scaling_factor"]
    lat = torch.from_numpy(np.load(LATENTS / "latents.npy").astype(np.float32)) * sf
    items = [corpus.spec_of(d) for d in corpus.load(CORPUS_DIR)[1]]
    tok = make_tokenizer(RUNS / "tokenizer")
    te = CLIPTextModel.from_pretrained(src / "text_encoder").eval().requires_grad_(False)
    teacher = UNet2DConditionModel.from_pretrained(src / "unet").eval().requires_grad_(False)
    student = make_unet(time_cond_proj_dim=GUIDANCE_EMBED_DIM)
    missing, unexpected = student.load_state_dict(teacher.state_dict(), strict=False)
    assert not unexpected and all("cond_proj" in k for k in missing), (missing, unexpected)
    torch.nn.init.zeros_(student.time_embedding.cond_proj.weight)  # starts as the teacher
    for m in (teacher, student):
        circular(m, True)
    target = copy.deepcopy(student).requires_grad_(False)
    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.0, betas=(0.9, 0.999))
    acp = DDPMScheduler(**scheduler_config()).alphas_cumprod
    k = 1000 // LCM_ORIGINAL_STEPS
    solver_t = torch.arange(1, LCM_ORIGINAL_STEPS + 1) * k - 1  # 19, 39, ..., 999
    with torch.no_grad():
        unc_emb = te(tokenize(tok, [""]))[0]
    ck = Checkpoints(STAGE)
    step, total = 0, None
    if args.resume and (state := ck.load()):
        student.load_state_dict(state["student"])
        target.load_state_dict(state["target"])
        opt.load_state_dict(state["opt"])
        step, total = state["step"], resume_total(state, args)
        log(f"resumed at step {step}/{total}")
    stopper = Stopper()
    n = len(lat)
    t_start, t_last, losses = time.time(), time.time(), []
    while total is None or step < total:
        rng = np.random.default_rng([args.seed, 3, step])
        gen = torch.Generator().manual_seed(args.seed * 1_000_033 + step)
        idx = rng.choice(n, args.batch, replace=False)
        x0 = roll_batch(lat[idx], rng)
        texts = [caption(items[i], rng) for i in idx]
        with torch.no_grad():
            cond = te(tokenize(tok, texts))[0]
        unc = unc_emb.expand(args.batch, -1, -1)
        j = torch.randint(0, LCM_ORIGINAL_STEPS, (args.batch,), generator=gen)
        t = solver_t[j]
        t_prev = (t - k).clamp_min(0)
        w = args.w_min + (args.w_max - args.w_min) * torch.rand(args.batch, generator=gen)
        w_emb = guidance_embedding(w)
        eps = torch.randn(x0.shape, generator=gen)
        a_t = acp[t][:, None, None, None]
        a_p = acp[t_prev][:, None, None, None]
        xt = a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total or 10 ** 9, args.lr, warmup=100, decay_frac=0.2)
        # Student at t_n.
        v_s = student(xt, t, cond, timestep_cond=w_emb).sample
        x0_s, _ = split_v(v_s, xt, a_t)
        cs, co = boundary(t)
        pred = cs * xt + co * x0_s
        with torch.no_grad():
            v = teacher(torch.cat([xt, xt]), torch.cat([t, t]), torch.cat([cond, unc])).sample
            v_c, v_u = v.chunk(2)
            x0_c, e_c = split_v(v_c, xt, a_t)
            x0_u, e_u = split_v(v_u, xt, a_t)
            ww = w[:, None, None, None]
            x0_g = x0_c + ww * (x0_c - x0_u)
            e_g = e_c + ww * (e_c - e_u)
            x_prev = a_p.sqrt() * x0_g + (1 - a_p).sqrt() * e_g
            v_t = target(x_prev, t_prev, cond, timestep_cond=w_emb).sample
            x0_t, _ = split_v(v_t, x_prev, a_p)
            cs_p, co_p = boundary(t_prev)
            tgt = cs_p * x_prev + co_p * x0_t
        c = args.huber_c
        loss = (torch.sqrt((pred.float() - tgt.float()) ** 2 + c * c) - c).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        ema_update(target, student, args.ema)
        losses.append(float(loss))
        step += 1
        if total is None and step == 15:
            total = plan_steps(args, (time.time() - t_start) / 15, log)
        if step % 25 == 0:
            log(f"step {step}/{total} huber {np.mean(losses):.5f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{(time.time() - t_last) / 25:.3f} s/step")
            losses, t_last = [], time.time()
        if ck.due() or stopper.stop or step == total:
            ck.save({"student": student.state_dict(), "target": target.state_dict(), "opt": opt.state_dict(),
                     "step": step, "total": total, "args": vars(args)}, step)
            clock.commit(steps_done=step, steps_total=total)
            clock = CpuClock("3_lcm")
            if stopper.stop:
                log(f"stopped by signal at step {step}; resume with --resume")
                return
    target.save_pretrained(STAGE / "final" / "unet", safe_serialization=True)
    (STAGE / "final" / "distill.json").write_text(json.dumps(
        {"method": "LCM consistency distillation (Luo et al. 2023, arXiv:2310.04378)", "steps": total,
         "batch": args.batch, "w_range": [args.w_min, args.w_max], "ema": args.ema, "huber_c": args.huber_c,
         "lr": args.lr, "original_inference_steps": LCM_ORIGINAL_STEPS, "timestep_scaling": LCM_TIMESTEP_SCALING,
         "guidance_scale": args.guidance}, indent=1))
    mark_done(STAGE / "final", total)
    clock.commit(steps_done=step, steps_total=total)
    log("stage 3 done")


if __name__ == "__main__":
    main()
