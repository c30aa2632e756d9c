"""Shared pieces of the training stages: paths, threads, checkpoints, CPU accounting, schedules."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# TESSERA_RUNS redirects everything a stage reads and writes (smoke tests use a scratch dir).
RUNS = Path(os.environ.get("TESSERA_RUNS", REPO / "tools" / "train" / "runs"))
TOKENIZER_SRC = REPO / "Tests" / "Fixtures" / "tokenizer" / "clip"

# The generator's training corpus and the VAE's held-out check set.
CORPUS_DIR = RUNS / "corpus"
CORPUS_SEED_BASE = 0
VAL_DIR = RUNS / "corpus_val"
VAL_SEED_BASE = 70_000_000


def setup(threads: int = 2, seed: int = 0) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(seed)


def log_to(path: Path):
    """A print that also appends to a log file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a", buffering=1)

    def log(*a):
        msg = " ".join(str(x) for x in a)
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        fh.write(line + "\n")
    return log


def circular(module: nn.Module, on: bool = True) -> None:
    """Circular (or zero) padding in every padded conv: seamless tiles on both axes."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d) and any(p > 0 for p in m.padding):
            m.padding_mode = "circular" if on else "zeros"


class Stopper:
    """Turns SIGTERM/SIGINT into a flag, so the loop can checkpoint and exit cleanly."""

    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self._hit)
        signal.signal(signal.SIGINT, self._hit)

    def _hit(self, *_):
        self.stop = True


class Checkpoints:
    """ckpt-<step>.pt files in a stage directory; the newest two are kept."""

    def __init__(self, directory: Path, every_s: float = 180.0):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.every_s = every_s
        self.last = time.time()

    def latest(self) -> Path | None:
        c = sorted(self.dir.glob("ckpt-*.pt"), key=lambda p: int(p.stem.split("-")[1]))
        return c[-1] if c else None

    def due(self) -> bool:
        return time.time() - self.last >= self.every_s

    def save(self, state: dict, step: int) -> Path:
        path = self.dir / f"ckpt-{step:07d}.pt"
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
        for old in sorted(self.dir.glob("ckpt-*.pt"), key=lambda p: int(p.stem.split("-")[1]))[:-2]:
            old.unlink()
        self.last = time.time()
        return path

    def load(self) -> dict | None:
        p = self.latest()
        return torch.load(p, map_location="cpu", weights_only=False) if p else None


class CpuClock:
    """Adds a stage's wall time and CPU time (this process and its children) to runs/cpu_times.json."""

    def __init__(self, stage: str):
        self.stage = stage
        self.t0 = time.time()
        self.c0 = self._cpu()

    @staticmethod
    def _cpu() -> float:
        s = resource.getrusage(resource.RUSAGE_SELF)
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

    def commit(self, **extra) -> dict:
        path = RUNS / "cpu_times.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        d = data.setdefault(self.stage, {"wall_s": 0.0, "cpu_s": 0.0, "sessions": 0})
        d["wall_s"] += time.time() - self.t0
        d["cpu_s"] += self._cpu() - self.c0
        d["sessions"] += 1
        d.update(extra)
        total = sum(v["cpu_s"] for k, v in data.items() if isinstance(v, dict) and "cpu_s" in v and k != "total")
        data["total"] = {"cpu_s": total, "cpu_h": total / 3600.0}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1))
        self.t0, self.c0 = time.time(), self._cpu()
        return d


def lr_at(step: int, total: int, base: float, warmup: int = 200, decay_frac: float = 0.25) -> float:
    """Linear warm-up, constant, then linear decay to 10% over the last decay_frac of training."""
    if step < warmup:
        return base * (step + 1) / warmup
    start = int(total * (1.0 - decay_frac))
    if step < start:
        return base
    return base * (1.0 - 0.9 * min(1.0, (step - start) / max(1, total - start)))


def plan_steps(args, step_time_s: float, log) -> int:
    """Total steps: --steps if given, else as many as fit in --minutes at the measured pace."""
    if args.steps:
        return int(args.steps)
    total = max(100, int(args.minutes * 60.0 / max(step_time_s, 1e-3)))
    log(f"measured {step_time_s:.3f} s/step -> {total} steps for {args.minutes} min")
    return total


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(decay).add_(pm.detach(), alpha=1.0 - decay)
    for be, bm in zip(ema.buffers(), model.buffers()):
        be.copy_(bm)


def already_done(final_dir: Path, args, log) -> bool:
    """True when --resume finds this stage finished with at least the requested steps."""
    f = final_dir / "train_state.json"
    if not (args.resume and f.exists()):
        return False
    done = json.loads(f.read_text()).get("steps", 0)
    if args.steps and args.steps > done:
        log(f"stage finished at {done} steps; extending to {args.steps} from the last checkpoint")
        return False
    log(f"stage already finished ({final_dir}, {done} steps); nothing to do")
    return True


def mark_done(final_dir: Path, steps: int, **extra) -> None:
    final_dir.mkdir(parents=True, exist_ok=True)
    (final_dir / "train_state.json").write_text(json.dumps({"steps": steps, **extra}, indent=1))


def resume_total(state: dict, args) -> int:
    """The saved step total, or --steps when given: a run can be extended or shortened."""
    return args.steps or state["total"]
