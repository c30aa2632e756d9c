"""What the judge can score at best on the held-out prompts, through a model's autoencoder.

    python -m tools.eval.ceiling [--model models/tessera-tex-v1] [--seeds 4] [--docs]

For every evaluation prompt it renders the prompt's own spec (family, colour, modifiers)
with the corpus generator, on seeds disjoint from every training and judge corpus, and
judges those renders twice: as rendered, and after a round trip through the model's
autoencoder (encode, decode, circular padding). A generator can at best produce what its
decoder can draw, so the round-trip figures are the ceiling of the family and colour
accuracies that `tools.eval.evaluate` measures on generated images with the same judge;
the raw figures are the judge's own ceiling on this prompt set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from tools.eval.classifier import DEFAULT_PATH, OUT_DIR, TextureClassifier, predict
from tools.texgen.render import Spec, render

PROMPTS = Path(__file__).resolve().parent / "prompts.json"
REPO = Path(__file__).resolve().parents[2]
# Disjoint from the generator's corpus (0...), the judge's (50,000,000...), the validation
# tiles (70,000,000...) and evaluate.py's diversity references (9,000,000...).
SEED_BASE = 31_000_000


def renders(prompts: list[dict], seeds: int) -> tuple[np.ndarray, list[dict]]:
    imgs, owners = [], []
    for p in prompts:
        spec = Spec(p["family"], p["colour"], tuple(p.get("modifiers", [])))
        for j in range(seeds):
            imgs.append(render(spec, SEED_BASE + 1000 * p["id"] + j, 128))
            owners.append(p)
    return np.stack(imgs), owners


def round_trip(model_dir: Path, imgs: np.ndarray, batch: int = 32) -> np.ndarray:
    """uint8 tiles through the folder's autoencoder, with circular padding as in xy tiling."""
    import torch
    from diffusers import AutoencoderTiny

    from tools.train.common import circular

    vae = AutoencoderTiny.from_pretrained(model_dir / "vae").float().eval()
    circular(vae, True)
    out = []
    with torch.no_grad():
        for i in range(0, len(imgs), batch):
            x = torch.from_numpy(imgs[i:i + batch]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
            y = vae.decode(vae.encode(x).latents).sample.clamp(-1, 1)
            out.append(((y + 1.0) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def scores(clf: TextureClassifier, imgs: np.ndarray, owners: list[dict]) -> dict:
    p = predict(clf, imgs)
    fam = np.array([a == o["family"] for a, o in zip(p["family"], owners)])
    col = np.array([a == o["colour"] for a, o in zip(p["colour"], owners)])
    cats = np.array([o["category"] for o in owners])
    return {"family": float(fam.mean()), "colour": float(col.mean()), "both": float((fam & col).mean()),
            "by_category": {c: {"family": float(fam[cats == c].mean()), "colour": float(col[cats == c].mean())}
                            for c in dict.fromkeys(cats.tolist())}}


def main(argv=None) -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/tessera-tex-v1")
    ap.add_argument("--prompts", default=str(PROMPTS))
    ap.add_argument("--classifier", default=str(DEFAULT_PATH))
    ap.add_argument("--seeds", type=int, default=4, help="renders per prompt")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(OUT_DIR))
    ap.add_argument("--docs", action="store_true", help="also write docs/embedded_eval_ceiling.md")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    prompts = json.loads(Path(args.prompts).read_text())["prompts"]
    clf = TextureClassifier.load(Path(args.classifier))
    imgs, owners = renders(prompts, args.seeds)
    result = {"images": len(imgs), "model": args.model, "classifier": clf.info,
              "corpus_render": scores(clf, imgs, owners),
              "autoencoder_round_trip": scores(clf, round_trip(REPO / args.model, imgs), owners)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ceiling.json").write_text(json.dumps(result, indent=1))
    raw, rt = result["corpus_render"], result["autoencoder_round_trip"]
    md = "\n".join([
        "# Judge ceiling on the held-out prompts",
        "",
        f"`python -m tools.eval.ceiling --model {args.model}`: corpus renders of each of the "
        f"{len(prompts)} prompts' specs, {args.seeds} seeds each ({len(imgs)} tiles), judged as rendered and "
        "after a round trip through the model's autoencoder. Judge: tools/eval classifier (validation "
        f"accuracy on corpus renders: family {clf.info.get('val_family_acc', float('nan')):.3f}, "
        f"colour {clf.info.get('val_colour_acc', float('nan')):.3f}).",
        "",
        "| tiles | family acc | colour acc | both |",
        "|---|---:|---:|---:|",
        f"| corpus renders | {raw['family']:.3f} | {raw['colour']:.3f} | {raw['both']:.3f} |",
        f"| through the autoencoder | {rt['family']:.3f} | {rt['colour']:.3f} | {rt['both']:.3f} |",
        "",
        "By prompt category (family / colour accuracy):",
        "",
        "| tiles | " + " | ".join(raw["by_category"]) + " |",
        "|---|" + "---|" * len(raw["by_category"]),
        *(f"| {name} | " + " | ".join(f"{v['family']:.2f} / {v['colour']:.2f}" for v in r["by_category"].values()) + " |"
          for name, r in (("corpus renders", raw), ("through the autoencoder", rt))),
        "",
    ])
    (out / "ceiling.md").write_text(md)
    print(md)
    if args.docs:
        (REPO / "docs" / "embedded_eval_ceiling.md").write_text(md)
        print("wrote docs/embedded_eval_ceiling.md")


if __name__ == "__main__":
    main()
