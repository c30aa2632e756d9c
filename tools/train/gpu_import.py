"""Turns tools.train.gpu_chain's outputs back into a runs folder that export reads.

    python -m tools.train.gpu_import --from DIR --runs /tmp/runs_gpu [--lcm lcm_0p0001] [--vae-only]
    TESSERA_RUNS=/tmp/runs_gpu python -m tools.train.export --out /tmp/candidate

What the chain did not return comes from --init-from (the committed folder): a run that
returned only vae_wide gives a runs folder with the committed UNets and text encoder and
the new autoencoder, so each part can be measured on its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from .common import REPO, VAL_DIR, VAL_SEED_BASE


def read(path: Path) -> tuple[dict, dict | None]:
    from safetensors import safe_open
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
        sd = {k: f.get_tensor(k) for k in f.keys()}
    return sd, (json.loads(meta["config"]) if "config" in meta else None)


def model_folder(cls, src: Path, dst: Path):
    """A diffusers model folder (fp32) from one of gpu_chain's fp16 files."""
    sd, cfg = read(src)
    sd.pop("steps", None)
    model = cls.from_config(cfg)
    model.load_state_dict({k: v.float() for k, v in sd.items()})
    model.save_pretrained(dst, safe_serialization=True)
    return model


def unet_folder(src: Path, dst: Path) -> None:
    from diffusers import UNet2DConditionModel
    model_folder(UNet2DConditionModel, src, dst)


def text_encoder_folder(base: Path, delta: Path, dst: Path) -> int:
    """The committed text encoder with the tensors and token rows that training moved."""
    from transformers import CLIPTextModel
    te = CLIPTextModel.from_pretrained(base).float()
    sd = te.state_dict()
    strip = lambda k: k.removeprefix("text_model.")  # noqa: E731  (key prefixes differ between versions)
    by_suffix = {strip(k): k for k in sd}
    d, _ = read(delta)
    rows, values = d.pop("token_rows"), d.pop("token_values")
    for k, v in d.items():
        sd[by_suffix[strip(k)]] = v.float()
    emb = next(k for k in sd if k.endswith("token_embedding.weight"))
    sd[emb][rows] = values.float()
    te.load_state_dict(sd)
    te.save_pretrained(dst, safe_serialization=True)
    return len(d)


def vae_folder(src: Path, dst: Path) -> dict:
    """The widened autoencoder, and its held-out PSNR in the layout export reads."""
    from diffusers import AutoencoderTiny

    from tools.texgen import corpus

    from .train_vae import validate
    vae = model_folder(AutoencoderTiny, src, dst)
    corpus.build(VAL_DIR, 512, 128, VAL_SEED_BASE, False, log=lambda *a: None)
    return validate(vae.eval(), np.array(corpus.load(VAL_DIR)[0]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="src", required=True, help="gpu_chain's --out folder")
    ap.add_argument("--runs", required=True, help="runs folder to write (must not exist)")
    ap.add_argument("--init-from", default=str(REPO / "models" / "tessera-tex-v1"))
    ap.add_argument("--lcm", default="lcm_0p0001", help="which student: a file name in --from without .safetensors")
    ap.add_argument("--corpus-count", type=int, help="the chain's --corpus, when its teacher is imported")
    ap.add_argument("--base", default=str(REPO / "tools" / "train" / "runs"), help="runs folder for cpu_times.json")
    args = ap.parse_args(argv)
    src, runs, init = Path(args.src), Path(args.runs), Path(args.init_from)
    if runs.exists():
        raise SystemExit(f"{runs} exists; give a new folder")
    torch.set_num_threads(2)
    fin = runs / "unet" / "final"
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel
    if (src / "teacher_unet.safetensors").exists():
        unet_folder(src / "teacher_unet.safetensors", fin / "unet")
        moved = text_encoder_folder(init / "text_encoder", src / "text_encoder_delta.safetensors", fin / "text_encoder")
        print(f"teacher and text encoder ({moved} tensors moved) from {src}")
    else:
        # Export reads the teacher only with --teacher; the student and text encoder stand in.
        UNet2DConditionModel.from_pretrained(init / "unet").float().save_pretrained(fin / "unet")
        CLIPTextModel.from_pretrained(init / "text_encoder").float().save_pretrained(fin / "text_encoder")
    base_meta = Path(args.base) / "unet" / "final" / "latents.json"
    meta = json.loads(base_meta.read_text()) if base_meta.exists() else {"count": 0}
    meta["scaling_factor"] = json.loads((init / "vae" / "config.json").read_text())["scaling_factor"]
    if args.corpus_count:
        meta["count"] = args.corpus_count
    (fin / "latents.json").write_text(json.dumps(meta, indent=1))
    lcm = src / f"{args.lcm}.safetensors"
    ldir = runs / "lcm" / "final"
    if lcm.exists():
        unet_folder(lcm, ldir / "unet")
        print(f"student {lcm.name}")
    else:
        UNet2DConditionModel.from_pretrained(init / "unet").float().save_pretrained(ldir / "unet")
    base_distill = Path(args.base) / "lcm" / "final" / "distill.json"
    distill = json.loads(base_distill.read_text()) if base_distill.exists() else {"guidance_scale": 3.0}
    if lcm.exists():
        distill.update({"source": f"tools.train.gpu_chain ({lcm.name})", "steps": int(read(lcm)[0]["steps"])})
    (ldir / "distill.json").write_text(json.dumps(distill, indent=1))
    vdir = runs / "latents" / "vae"
    if (src / "vae_wide.safetensors").exists():
        metrics = vae_folder(src / "vae_wide.safetensors", vdir)
        print(f"autoencoder from {src}: held-out PSNR {metrics['psnr_mean']:.2f} dB")
    else:
        from diffusers import AutoencoderTiny
        AutoencoderTiny.from_pretrained(init / "vae").float().save_pretrained(vdir)
        metrics = json.loads((Path(args.base) / "vae" / "metrics.json").read_text())
    (runs / "vae").mkdir(parents=True, exist_ok=True)
    (runs / "vae" / "metrics.json").write_text(json.dumps(metrics, indent=1))
    if (Path(args.base) / "cpu_times.json").exists():
        shutil.copyfile(Path(args.base) / "cpu_times.json", runs / "cpu_times.json")
    print(f"runs folder {runs} ready: TESSERA_RUNS={runs} python -m tools.train.export --out DIR")


if __name__ == "__main__":
    main()
