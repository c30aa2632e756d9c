"""Evaluates generated textures against the held-out prompt set.

Judge a directory of PNGs from any runtime (Tessera's Swift runtime, diffusers, ...):

    python -m tools.eval.evaluate --images DIR [--tag swift]

or generate them first with diffusers from an exported model folder, then judge:

    python -m tools.eval.evaluate --model models/tessera-tex-v1 [--steps 1 2 4] [--tag diffusers]
    python -m tools.eval.evaluate --model models/tessera-tex-v1 --swift [--tag swift]   # Tessera's runtime

Image files in DIR are named  p{prompt_id:03d}_s{seed}_n{steps}.png  (128x128 RGB or RGBA,
rendered with xy tiling), or listed in DIR/manifest.json as
{"images": [{"file": ..., "prompt_id": ..., "seed": ..., "steps": ...}]}.

Writes tools/eval/out/results_<tag>.json and .md; with --docs also
docs/embedded_eval_<tag>.md and docs/embedded_eval_<tag>.png (a contact sheet of generated
textures with their prompts).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from tools.eval.classifier import DEFAULT_PATH, OUT_DIR, TextureClassifier, predict  # noqa: E402
from tools.eval.metrics import accuracy, mean_pairwise_distance, seam_ratio  # noqa: E402
from tools.texgen.render import Spec, render  # noqa: E402

PROMPTS = Path(__file__).resolve().parent / "prompts.json"
NAME = re.compile(r"p(\d+)_s(\d+)_n(\d+)\.png$")
REF_SEED_BASE = 9_000_000
REPO = Path(__file__).resolve().parents[2]


def load_dir(d: Path) -> list[dict]:
    """[{path, prompt_id, seed, steps}] from a manifest or from file names."""
    man = d / "manifest.json"
    if man.exists():
        rows = json.loads(man.read_text())["images"]
        return [{"path": d / r["file"], "prompt_id": int(r["prompt_id"]), "seed": int(r["seed"]),
                 "steps": int(r["steps"])} for r in rows]
    out = []
    for p in sorted(d.glob("*.png")):
        m = NAME.search(p.name)
        if m:
            out.append({"path": p, "prompt_id": int(m[1]), "seed": int(m[2]), "steps": int(m[3])})
    if not out:
        raise SystemExit(f"no p###_s#_n#.png files or manifest.json in {d}")
    return out


def read_rgb(p: Path) -> np.ndarray:
    return np.asarray(Image.open(p).convert("RGB"))


def circular_padding(pipe) -> None:
    """xy tiling: every padded conv of the UNet and the VAE decoder wraps around."""
    import torch.nn as nn
    for module in (pipe.unet, pipe.vae.decoder):
        for m in module.modules():
            if isinstance(m, nn.Conv2d) and any(p > 0 for p in m.padding):
                m.padding_mode = "circular"


def generate(model_dir: str, prompts: list[dict], seeds: list[int], steps: list[int], out: Path,
             guidance: float | None, batch: int = 16) -> Path:
    import torch
    from diffusers import StableDiffusionPipeline
    torch.set_num_threads(int(os.environ.get("TESSERA_THREADS", "2")))
    pipe = StableDiffusionPipeline.from_pretrained(model_dir, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    circular_padding(pipe)
    card = Path(model_dir) / "tessera.json"
    defaults = json.loads(card.read_text()) if card.exists() else {}
    g = guidance if guidance is not None else float(defaults.get("guidance_scale", 1.0))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for n in steps:
        jobs = [(p, s) for p in prompts for s in seeds]
        for i in range(0, len(jobs), batch):
            chunk = jobs[i:i + batch]
            gens = [torch.Generator().manual_seed(s) for _, s in chunk]
            with torch.no_grad():
                imgs = pipe([p["prompt"] for p, _ in chunk], num_inference_steps=n, guidance_scale=g,
                            generator=gens, height=128, width=128, output_type="np").images
            for (p, s), im in zip(chunk, imgs):
                Image.fromarray((np.clip(im, 0, 1) * 255 + 0.5).astype(np.uint8)).save(
                    out / f"p{p['id']:03d}_s{s}_n{n}.png")
        print(f"generated {len(jobs)} images at {n} step(s) ({time.time() - t0:.0f} s)", flush=True)
    (out / "generation.json").write_text(json.dumps({"model": str(model_dir), "guidance_scale": g,
                                                     "steps": steps, "seeds": seeds, "wall_s": time.time() - t0}))
    return out


def generate_swift(model_dir: str, prompts: list[dict], seeds: list[int], steps: list[int], out: Path,
                   guidance: float | None, tessera: str) -> Path:
    """Renders the same images with Tessera's Swift runtime (`tessera batch`, xy tiling)."""
    import subprocess
    out.mkdir(parents=True, exist_ok=True)
    jobs = [{"prompt": p["prompt"], "seed": s, "steps": n, "width": 128, "height": 128, "tiling": "xy",
             "output": f"p{p['id']:03d}_s{s}_n{n}.png", **({"guidance": guidance} if guidance is not None else {})}
            for n in steps for p in prompts for s in seeds]
    (out / "jobs.json").write_text(json.dumps({"jobs": jobs}))
    t0 = time.time()
    subprocess.run([tessera, "batch", "--model", model_dir, "--jobs", str(out / "jobs.json")], check=True)
    (out / "generation.json").write_text(json.dumps({"model": str(model_dir), "runtime": "tessera batch",
                                                     "steps": steps, "seeds": seeds, "wall_s": time.time() - t0}))
    return out


def evaluate(rows: list[dict], prompts: dict[int, dict], clf: TextureClassifier) -> dict:
    imgs = np.stack([read_rgb(r["path"]) for r in rows])
    pred = predict(clf, imgs)
    for r, f, c, e, im in zip(rows, pred["family"], pred["colour"], pred["embedding"], imgs):
        r.update(pred_family=f, pred_colour=c, emb=e, seam=seam_ratio(im, "xy"))
    # Within-class spread of the corpus for each prompt's spec, same number of seeds.
    seeds_per_prompt = defaultdict(set)
    for r in rows:
        seeds_per_prompt[r["prompt_id"]].add(r["seed"])
    ref_spread = {}
    ids = sorted(seeds_per_prompt)
    k = max(len(v) for v in seeds_per_prompt.values())
    if k >= 2:
        ref_imgs, owners = [], []
        for pid in ids:
            p = prompts[pid]
            spec = Spec(p["family"], p["colour"], tuple(p["modifiers"]))
            for j in range(k):
                ref_imgs.append(render(spec, REF_SEED_BASE + 1000 * pid + j, 128))
                owners.append(pid)
        emb = predict(clf, np.stack(ref_imgs))["embedding"]
        owners = np.array(owners)
        for pid in ids:
            ref_spread[pid] = mean_pairwise_distance(emb[owners == pid])
    results = {}
    by_steps = defaultdict(list)
    for r in rows:
        by_steps[r["steps"]].append(r)
    for n, rs in sorted(by_steps.items()):
        fam_ok = [r["pred_family"] == prompts[r["prompt_id"]]["family"] for r in rs]
        col_ok = [r["pred_colour"] == prompts[r["prompt_id"]]["colour"] for r in rs]
        cats = defaultdict(lambda: [[], []])
        for r, a, b in zip(rs, fam_ok, col_ok):
            c = prompts[r["prompt_id"]]["category"]
            cats[c][0].append(a)
            cats[c][1].append(b)
        div = []
        groups = defaultdict(list)
        for r in rs:
            groups[r["prompt_id"]].append(r["emb"])
        for pid, es in groups.items():
            if len(es) >= 2 and ref_spread.get(pid, 0) > 0:
                div.append(mean_pairwise_distance(np.stack(es)) / ref_spread[pid])
        seams = np.array([r["seam"] for r in rs])
        results[str(n)] = {
            "images": len(rs),
            "family_accuracy": float(np.mean(fam_ok)),
            "colour_accuracy": float(np.mean(col_ok)),
            "both_accuracy": float(np.mean(np.logical_and(fam_ok, col_ok))),
            "seam_ratio_mean": float(seams.mean()), "seam_ratio_median": float(np.median(seams)),
            "seam_ratio_p95": float(np.percentile(seams, 95)),
            "seed_diversity": float(np.mean(div)) if div else float("nan"),
            "by_category": {c: {"images": len(v[0]), "family_accuracy": float(np.mean(v[0])),
                                "colour_accuracy": float(np.mean(v[1]))} for c, v in sorted(cats.items())},
        }
    return results


def markdown(results: dict, tag: str, source: str, clf_info: dict) -> str:
    lines = [f"# Embedded model evaluation: {tag}", "",
             f"Source: {source}. Judge: tools/eval classifier (validation accuracy on corpus renders: "
             f"family {clf_info.get('val_family_acc', float('nan')):.3f}, "
             f"colour {clf_info.get('val_colour_acc', float('nan')):.3f}).", "",
             "| steps | images | family acc | colour acc | both | seam ratio (mean / median / p95) | seed diversity |",
             "|---:|---:|---:|---:|---:|---|---:|"]
    for n, r in results.items():
        lines.append(f"| {n} | {r['images']} | {r['family_accuracy']:.3f} | {r['colour_accuracy']:.3f} | "
                     f"{r['both_accuracy']:.3f} | {r['seam_ratio_mean']:.3f} / {r['seam_ratio_median']:.3f} / "
                     f"{r['seam_ratio_p95']:.3f} | {r['seed_diversity']:.3f} |")
    lines += ["", "By prompt category (family / colour accuracy):", "",
              "| steps | " + " | ".join(next(iter(results.values()))["by_category"]) + " |",
              "|---:|" + "---|" * len(next(iter(results.values()))["by_category"])]
    for n, r in results.items():
        lines.append(f"| {n} | " + " | ".join(f"{v['family_accuracy']:.2f} / {v['colour_accuracy']:.2f}"
                                              for v in r["by_category"].values()) + " |")
    return "\n".join(lines) + "\n"


def sheet(rows: list[dict], prompts: dict[int, dict], steps: int, path: Path, count: int = 48) -> None:
    from tools.texgen.sheet import draw_sheet
    pick = {}
    for r in rows:
        if r["steps"] == steps and r["prompt_id"] not in pick and (r["seed"] == min(
                x["seed"] for x in rows if x["prompt_id"] == r["prompt_id"])):
            pick[r["prompt_id"]] = r
    ids = sorted(pick)
    if len(ids) > count:
        ids = [ids[int(i)] for i in np.linspace(0, len(ids) - 1, count)]
    tiles = [read_rgb(pick[i]["path"]) for i in ids]
    labels = [prompts[i]["prompt"] for i in ids]
    draw_sheet(tiles, labels, 8, title=f"Generated at {steps} step(s), seed {pick[ids[0]]['seed']}, "
                                       f"xy tiling; held-out prompts from tools/eval/prompts.json").save(path, optimize=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--images", help="directory of generated PNGs")
    src.add_argument("--model", help="diffusers model folder to generate from first")
    ap.add_argument("--swift", action="store_true",
                    help="with --model: generate with Tessera's Swift runtime (tessera batch) instead of diffusers")
    ap.add_argument("--tessera", default=str(REPO / ".build" / "release" / "tessera"), help="the tessera executable")
    ap.add_argument("--prompts", default=str(PROMPTS))
    ap.add_argument("--classifier", default=str(DEFAULT_PATH))
    ap.add_argument("--steps", type=int, nargs="*", help="generation steps (default: prompts.json)")
    ap.add_argument("--seeds", type=int, nargs="*", help="generation seeds (default: prompts.json)")
    ap.add_argument("--limit", type=int, help="only the first N prompts (smoke tests)")
    ap.add_argument("--guidance", type=float, help="guidance_scale (default: model's tessera.json)")
    ap.add_argument("--tag", help="name of this run (default: swift/diffusers from the source)")
    ap.add_argument("--out", default=str(OUT_DIR))
    ap.add_argument("--docs", action="store_true", help="also write docs/embedded_eval_<tag>.{md,png}")
    args = ap.parse_args(argv)
    data = json.loads(Path(args.prompts).read_text())
    plist = data["prompts"][: args.limit] if args.limit else data["prompts"]
    prompts = {p["id"]: p for p in plist}
    out = Path(args.out)
    if args.model and args.swift:
        tag = args.tag or "swift"
        img_dir = generate_swift(args.model, plist, args.seeds or data["seeds"], args.steps or data["steps"],
                                 out / f"generated_{tag}", args.guidance, args.tessera)
        source = f"Tessera Swift runtime (`tessera batch`) from {args.model}"
    elif args.model:
        tag = args.tag or "diffusers"
        img_dir = generate(args.model, plist, args.seeds or data["seeds"], args.steps or data["steps"],
                           out / f"generated_{tag}", args.guidance)
        source = f"diffusers StableDiffusionPipeline from {args.model}"
    else:
        tag = args.tag or Path(args.images).name
        img_dir = Path(args.images)
        source = f"PNGs in {args.images}"
    rows = [r for r in load_dir(img_dir) if r["prompt_id"] in prompts]
    clf = TextureClassifier.load(Path(args.classifier))
    results = evaluate(rows, prompts, clf)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"results_{tag}.json").write_text(json.dumps({"source": source, "results": results,
                                                         "classifier": clf.info}, indent=1))
    md = markdown(results, tag, source, clf.info)
    (out / f"results_{tag}.md").write_text(md)
    print(md)
    if args.docs:
        docs = REPO / "docs"
        (docs / f"embedded_eval_{tag}.md").write_text(md)
        top = max(int(n) for n in results)
        sheet(rows, prompts, top, docs / f"embedded_eval_{tag}.png")
        print(f"wrote docs/embedded_eval_{tag}.md and .png")


if __name__ == "__main__":
    main()
