"""Checks that every family tiles seamlessly and renders deterministically.

    python tools/texgen/check_tiling.py [--seeds 12] [--json out.json]

Seam ratio: mean absolute difference across the wrap seam (last column vs first, last
row vs first) divided by the mean absolute difference between neighbouring interior
columns and rows. A periodic texture scores about 1; a hard seam scores well above.
The ratio of one image is noisy (one seam column against ~127 interior ones), so each
family is judged on the ratio pooled over many seeds and random modifier sets (sum of
seam differences over sum of interior differences), at 128 and 256 px; it must lie in
[0.7, 1.4]. Textures with rare, sharp grout lines make even the pooled ratio swing, so
the main test is the seam's rank among interior column differences, which is uniform
for a seamless texture: its mean over images must lie in [0.38, 0.62] (a real seam
ranks near 1).

Determinism: the same spec and seed give identical bytes on a second call, in a fresh
process with a different BLAS thread count, and at 256 px the image matches the 128 px
one after 2x downsampling (same layout, finer detail).
Exit status 1 if any family fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.texgen.corpus import sample_spec  # noqa: E402
from tools.texgen.render import FAMILY_NAMES, Spec, render  # noqa: E402

SEAM_MAX = 1.4
SEAM_MIN = 0.7
PCT_LO, PCT_HI = 0.38, 0.62


def seam_parts(img: np.ndarray) -> tuple[float, float]:
    """(mean |difference| across the x and y wrap seams, same between interior neighbours)."""
    f = img.astype(np.float32)
    seam = np.abs(f[:, 0] - f[:, -1]).mean() + np.abs(f[0, :] - f[-1, :]).mean()
    inner = np.abs(np.diff(f, axis=1)).mean() + np.abs(np.diff(f, axis=0)).mean()
    return float(seam), float(inner)


def seam_ratio(img: np.ndarray) -> float:
    seam, inner = seam_parts(img)
    return seam / max(inner, 1e-6)


def seam_percentile(img: np.ndarray) -> float:
    """Where the seam difference ranks among the interior neighbour differences (0..1).

    For a periodic texture shifted at random the seam is just another column, so the
    rank is uniform and its mean over images is 0.5. Unlike the ratio, this does not
    swing when a rare high-contrast column (a grout line) happens to fall on the seam.
    """
    f = img.astype(np.float32)
    out = []
    for g in (f, f.transpose(1, 0, 2)):
        inner = np.abs(np.diff(g, axis=1)).mean(axis=(0, 2))
        seam = np.abs(g[:, 0] - g[:, -1]).mean()
        out.append(((inner < seam).sum() + 0.5 * (inner == seam).sum()) / inner.size)
    return float(np.mean(out))


def pooled(parts: list[tuple[float, float]]) -> float:
    """Seam ratio over several images: total seam difference / total interior difference."""
    return sum(p[0] for p in parts) / max(sum(p[1] for p in parts), 1e-6)


def specs_for(family: str, count: int, seed: int) -> list[tuple[Spec, int]]:
    rng = np.random.default_rng([seed, len(family)])
    out = [(Spec(family, "grey"), 1000)]
    while len(out) < count:
        s = sample_spec(rng, exclude_held_out=False)
        if s.family == family:
            out.append((s, int(rng.integers(1 << 30))))
    return out


def digest(spec: Spec, seed: int, size: int) -> str:
    return hashlib.sha256(render(spec, seed, size).tobytes()).hexdigest()[:16]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=40, help="renders per family and size")
    ap.add_argument("--json", help="write the per-family numbers here")
    ap.add_argument("--digests", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.digests:  # child mode: print digests of a fixed set, one per family
        print(json.dumps({f: digest(*specs_for(f, 2, 5)[1], 128) for f in FAMILY_NAMES}))
        return 0

    report, failed = {}, []
    t_render, n_render = 0.0, 0
    for fam in FAMILY_NAMES:
        ratios, parts, parts256, pct = [], [], [], []
        det_ok, scale_err = True, []
        for k, (spec, seed) in enumerate(specs_for(fam, args.seeds, 1)):
            t = time.perf_counter()
            a = render(spec, seed, 128)
            t_render += time.perf_counter() - t
            n_render += 1
            parts.append(seam_parts(a))
            pct.append(seam_percentile(a))
            ratios.append(seam_ratio(a))
            big = render(spec, seed, 256)
            parts256.append(seam_parts(big))
            pct.append(seam_percentile(big))
            if k < 3:
                det_ok &= bool(np.array_equal(a, render(spec, seed, 128)))
                down = big.astype(np.float32).reshape(128, 2, 128, 2, 3).mean(axis=(1, 3))
                scale_err.append(float(np.abs(down - a.astype(np.float32)).mean()))
        r = pooled(parts)
        r256 = pooled(parts256)
        p = float(np.mean(pct))
        ok = (SEAM_MIN <= r <= SEAM_MAX and SEAM_MIN <= r256 <= SEAM_MAX and det_ok
              and PCT_LO <= p <= PCT_HI)
        report[fam] = {"seam_ratio_128": round(r, 3), "seam_ratio_256": round(r256, 3),
                       "seam_rank": round(p, 3),
                       "seam_ratio_128_max": round(float(np.max(ratios)), 3),
                       "deterministic": det_ok, "mean_abs_diff_256_vs_128": round(float(np.mean(scale_err)), 2),
                       "ok": ok}
        print(f"{fam:16s} seam ratio {r:5.3f} (256px {r256:5.3f}, worst single {np.max(ratios):5.2f})  rank {p:4.2f}  "
              f"repeat {'same' if det_ok else 'DIFFERENT'}  256-vs-128 |d| {np.mean(scale_err):5.1f}/255"
              f"  {'ok' if ok else 'FAIL'}")
        if not ok:
            failed.append(fam)

    # A fresh process with another BLAS thread count must give the same bytes.
    here = {f: digest(*specs_for(f, 2, 5)[1], 128) for f in FAMILY_NAMES}
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2" if os.environ.get("OPENBLAS_NUM_THREADS") == "1" else "1",
               PYTHONHASHSEED="123")
    child = subprocess.run([sys.executable, "-m", "tools.texgen.check_tiling", "--digests"], env=env,
                           cwd=str(Path(__file__).resolve().parents[2]), capture_output=True, text=True, check=True)
    there = json.loads(child.stdout)
    cross = [f for f in FAMILY_NAMES if here[f] != there[f]]
    if cross:
        print("differs across processes:", ", ".join(cross))
        failed += cross
    else:
        print("identical bytes in a fresh process with a different BLAS thread count: ok")
    ms = 1000 * t_render / max(n_render, 1)
    print(f"mean render time at 128 px: {ms:.2f} ms ({n_render} renders, this process)")
    if args.json:
        Path(args.json).write_text(json.dumps({"families": report, "ms_per_128_render": ms,
                                               "cross_process_identical": not cross}, indent=1))
    print("FAILED: " + ", ".join(sorted(set(failed))) if failed else "all families seamless and deterministic")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
