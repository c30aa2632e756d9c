"""Metrics: family/colour accuracy, seam ratio under tiling, seed diversity.

All functions take uint8 RGB arrays (H, W, 3), so they judge any runtime's PNGs.
"""

from __future__ import annotations

import itertools

import numpy as np


def seam_ratio(img: np.ndarray, axes: str = "xy") -> float:
    """Mean |difference| across the wrap seam(s) / mean |difference| between interior neighbours.

    "x": the left/right seam against interior column pairs; "y": top/bottom against
    interior row pairs; "xy": both, summed. About 1 for a seamless tile.
    """
    f = img.astype(np.float32)
    seam = inner = 0.0
    if "x" in axes:
        seam += float(np.abs(f[:, 0] - f[:, -1]).mean())
        inner += float(np.abs(np.diff(f, axis=1)).mean())
    if "y" in axes:
        seam += float(np.abs(f[0, :] - f[-1, :]).mean())
        inner += float(np.abs(np.diff(f, axis=0)).mean())
    return seam / max(inner, 1e-6)


def mean_pairwise_distance(feats: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of rows."""
    if len(feats) < 2:
        return float("nan")
    d = [float(np.linalg.norm(feats[i] - feats[j])) for i, j in itertools.combinations(range(len(feats)), 2)]
    return float(np.mean(d))


def seed_diversity(gen_feats: np.ndarray, ref_feats: np.ndarray) -> float:
    """Spread of one prompt's outputs across seeds relative to the corpus's spread.

    gen_feats: embeddings of the generated images of one prompt (one per seed);
    ref_feats: embeddings of corpus renders of the same spec with as many seeds (the
    within-class spread). 1.0 means the model varies as much as the corpus does.
    """
    ref = mean_pairwise_distance(ref_feats)
    return mean_pairwise_distance(gen_feats) / max(ref, 1e-6)


def accuracy(pred: list[str], truth: list[str]) -> float:
    return float(np.mean([p == t for p, t in zip(pred, truth)])) if pred else float("nan")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10.0 * np.log10(255.0 ** 2 / max(mse, 1e-10))
