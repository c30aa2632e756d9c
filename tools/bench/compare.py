"""Side-by-side benchmark: Tessera against PyTorch, ONNX Runtime and OpenVINO.

    bash tools/bench/run.sh [--cases tex128-unet,tex128-decoder,unet256,taesd256,e2e256] [--rounds 3]

Every engine runs the same architecture with the same random (or embedded) weights on the
same inputs, each in its own process, alternating engine by engine within each round so
that machine noise falls on all of them alike. Reported per case and engine: median
seconds per call over all rounds, Tessera's time as a ratio of each peer's, achieved
GFLOP/s (torch.utils.flop_counter's count of the module) and the process's peak RSS.

Tessera is timed through `tessera bench` (UNet per step, decode, or for the e2e cases the
whole 1-step generation from noise to RGBA8; p50 of its runs);
its backend is chosen with --tessera-backend (default onednn; openblas is the reference).
Engines `tessera-mixed` and `tessera-bf16` are the oneDNN backend's other precisions
(`--precision`). Each case ends with its fastest Tessera mode against its fastest peer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .cases import CASES, REPO, model_folder

PEERS = ["torch", "onnxruntime", "openvino-f32", "openvino"]
TESSERA = {"tessera": "fp32", "tessera-mixed": "mixed", "tessera-bf16": "bf16"}


def tessera(case: str, args, work: Path, precision: str = "fp32") -> tuple[float, int]:
    c = CASES[case]
    folder = model_folder(c, work)
    cmd = [args.tessera, "bench", "--model", str(folder), "--width", str(c.size), "--height", str(c.size),
           "--steps", "1", "--runs", str(args.iters), "--warmup", "1", "--tiling", "none",
           "--backend", args.tessera_backend, "--precision", precision]
    if c.model == "fullsize":
        cmd += ["--guidance", "0"]
    out, _, rss = run_child_rusage(cmd)
    if c.part == "clip":
        return float(re.search(r"text encoder p50 ([0-9.]+) ms", out).group(1)) / 1000, rss
    row = next(line for line in out.splitlines() if re.match(r"\s*1\s", line))
    cols = row.split()  # steps, total p50, total p90, unet/step p50, decode p50, rgba8 p50 (ms)
    # e2e: the whole 1-step generation, noise to RGBA8 (the peers stop at the decoded image).
    ms = float({"unet": cols[3], "decoder": cols[4], "e2e": cols[1]}[c.part])
    return ms / 1000, rss


def flops(case: str, work: Path) -> float:
    """The case's flop count, computed in a child process (see tools/bench/cases.py)."""
    out = subprocess.run([sys.executable, "-m", "tools.bench.cases", case, str(work)], check=True,
                         capture_output=True, text=True, cwd=REPO).stdout
    return float(out.strip().splitlines()[-1])


def run_child_rusage(cmd: list[str]) -> tuple[str, float, int]:
    t = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        last = err.strip().splitlines()[-1] if err.strip() else str(code)
        raise RuntimeError(f"{Path(cmd[0]).name} {' '.join(cmd[1:4])}: {last}")
    return out, time.time() - t, usage.ru_maxrss // 1024


def peer(engine: str, case: str, args) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "tools.bench.engines", "--engine", engine, "--case", case,
           "--iters", str(args.iters), "--work", args.work]
    out, _, rss = run_child_rusage(cmd)
    return json.loads(out.strip().splitlines()[-1])["median_s"], rss


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="tex128-unet,tex128-decoder,unet256,taesd256")
    ap.add_argument("--engines", default=",".join(["tessera"] + PEERS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iters", type=int, default=5, help="timed calls per engine per round")
    ap.add_argument("--tessera", default=str(REPO / ".build" / "release" / "tessera"))
    ap.add_argument("--tessera-backend", default="onednn")
    ap.add_argument("--work", default="/tmp/tessera-bench")
    ap.add_argument("--out", default=str(REPO / "tools" / "bench" / "out"))
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    engines = args.engines.split(",")
    results: dict = {}
    for case in args.cases.split(","):
        gflop = flops(case, work) / 1e9
        times: dict[str, list[float]] = {e: [] for e in engines}
        rss: dict[str, int] = {}
        errors: dict[str, str] = {}
        for r in range(args.rounds):
            for e in engines:
                if e in errors:
                    continue
                try:
                    t, m = tessera(case, args, work, TESSERA[e]) if e in TESSERA else peer(e, case, args)
                    times[e].append(t)
                    rss[e] = max(rss.get(e, 0), m)
                    print(f"[{case} round {r + 1}] {e}: {t * 1000:.1f} ms, peak RSS {m} MiB", flush=True)
                except Exception as exc:  # an engine that cannot run this case is reported, not fatal
                    errors[e] = str(exc)[:300]
                    print(f"[{case}] {e} failed: {errors[e]}", flush=True)
        results[case] = {"gflop": gflop, "median_s": {e: statistics.median(v) for e, v in times.items() if v},
                         "all_s": times, "peak_rss_mib": rss, "errors": errors}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": " ".join(sys.argv), "rounds": args.rounds, "iters": args.iters,
            "tessera_backend": args.tessera_backend, "cpus": os.cpu_count(), "results": results}
    (out / "results.json").write_text(json.dumps(meta, indent=1))
    lines = ["| case | GFLOP | engine | median | GFLOP/s | Tessera ÷ engine | peak RSS |", "|---|---:|---|---:|---:|---:|---:|"]
    for case, res in results.items():
        tess = res["median_s"].get("tessera")
        for e in engines:
            if e in res["median_s"]:
                s = res["median_s"][e]
                ratio = f"{tess / s:.2f}" if tess else "n/a"
                lines.append(f"| {case} | {res['gflop']:.2f} | {e} | {s * 1000:.1f} ms | {res['gflop'] / s:.0f} | {ratio} | {res['peak_rss_mib'][e]} MiB |")
            else:
                lines.append(f"| {case} | {res['gflop']:.2f} | {e} | failed: {res['errors'].get(e, '?')[:80]} | | | |")
        ours = {e: t for e, t in res["median_s"].items() if e in TESSERA}
        peers = {e: t for e, t in res["median_s"].items() if e not in TESSERA}
        if ours and peers:
            a, b = min(ours, key=ours.get), min(peers, key=peers.get)
            # The same round's two times, side by side: their spread shows the VM's noise.
            rounds = [x / y for x, y in zip(res["all_s"][a], res["all_s"][b])]
            res["fastest"] = {"tessera": a, "peer": b, "ratio": ours[a] / peers[b], "round_ratios": rounds}
            spread = f" (rounds {min(rounds):.2f} to {max(rounds):.2f})" if len(rounds) > 1 else ""
            lines.append(f"| {case} | | fastest: {a} ÷ {b} | | | {ours[a] / peers[b]:.2f}{spread} | |")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
