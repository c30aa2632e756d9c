"""Trains the evaluation classifier (family + dominant colour) on its own corpus render.

    python -m tools.eval.train_classifier [--count 24000] [--epochs 4] [--out tools/eval/out]

The corpus uses seeds disjoint from the generator's (seed base 50,000,000) and includes
the held-out combinations. The last 2,000 items are a validation split; its accuracy
is stored with the weights in tools/eval/out/classifier.pt.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy renders: one BLAS thread per worker

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from tools.eval.classifier import OUT_DIR, TextureClassifier, augment, to_tensor
from tools.texgen import corpus
from tools.texgen.palette import COLOUR_NAMES
from tools.texgen.render import FAMILY_NAMES

SEED_BASE = 50_000_000


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=24000)
    ap.add_argument("--val", type=int, default=2000)
    ap.add_argument("--epochs", type=float, default=4.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", default=str(OUT_DIR))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--input-size", type=int, default=128, help="side the tile is area-averaged to first (128: none)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = Path(args.out)
    t0, cpu0 = time.time(), time.process_time()
    meta = corpus.build(out / "corpus_cls", args.count, 128, SEED_BASE, exclude_held_out=False,
                        workers=args.threads)
    images, items = corpus.load(out / "corpus_cls")
    fam_idx = np.array([FAMILY_NAMES.index(d["family"]) for d in items])
    col_idx = np.array([COLOUR_NAMES.index(d["colour"]) for d in items])
    n_train = args.count - args.val
    model = TextureClassifier(list(FAMILY_NAMES), list(COLOUR_NAMES), args.width, args.input_size)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = int(math.ceil(args.epochs * n_train / args.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    model.train()
    perm = rng.permutation(n_train)
    pos = 0
    for step in range(steps):
        if pos + args.batch > n_train:
            perm, pos = rng.permutation(n_train), 0
        idx = np.sort(perm[pos:pos + args.batch])
        pos += args.batch
        x = augment(to_tensor(images[idx]), gen)
        lf, lc, _ = model(x)
        loss = F.cross_entropy(lf, torch.from_numpy(fam_idx[idx])) + F.cross_entropy(lc, torch.from_numpy(col_idx[idx]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        pf, pc = [], []
        for i in range(n_train, args.count, 200):
            lf, lc, _ = model(to_tensor(images[i:min(i + 200, args.count)]))
            pf.append(lf.argmax(1).numpy())
            pc.append(lc.argmax(1).numpy())
    pf, pc = np.concatenate(pf), np.concatenate(pc)
    fam_acc = float((pf == fam_idx[n_train:]).mean())
    col_acc = float((pc == col_idx[n_train:]).mean())
    info = {"val_family_acc": fam_acc, "val_colour_acc": col_acc, "train_items": n_train, "val_items": args.val,
            "steps": steps, "batch": args.batch, "width": args.width, "input_size": args.input_size, "epochs": args.epochs, "wall_s": time.time() - t0,
            "cpu_s": time.process_time() - cpu0, "corpus": meta, "threads": args.threads}
    model.save(out / "classifier.pt", info)
    (out / "classifier.json").write_text(json.dumps(info, indent=1))
    print(f"validation: family {fam_acc:.3f}, colour {col_acc:.3f}; saved {out / 'classifier.pt'}")


if __name__ == "__main__":
    main()
