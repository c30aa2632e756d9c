#!/usr/bin/env bash
# Runs the embedded-model training chain: stage 1 (VAE) -> 2 (UNet + text encoder)
# -> 3 (LCM distillation) -> export -> check, then trains the evaluation classifier and
# evaluates the exported model with diffusers. Every stage resumes from its latest
# checkpoint and skips itself when already finished, so re-running this script after an
# interruption (or in a later session) continues where the chain stopped.
#
#   nohup nice -n 10 tools/train/run_all.sh > tools/train/runs/run_all.out 2>&1 &
#
# Step counts are fixed (reproducible runs); on this 2-core machine they took about
# 30 + 70 + 12 minutes for stages 1-3 (docs/EMBEDDED_MODEL.md has the measured CPU hours).
# Override with VAE_STEPS, VAE_CROP, VAE_BATCH, UNET_STEPS, LCM_STEPS.
# Logs: tools/train/runs/<stage>/train.log; CPU time per stage: tools/train/runs/cpu_times.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUNS=${TESSERA_RUNS:-tools/train/runs}
mkdir -p "$RUNS"
export OPENBLAS_NUM_THREADS=1 PYTHONUNBUFFERED=1
stamp() { echo "[$(date +%H:%M:%S)] $*"; }

stamp "stage 1: autoencoder"
$PY -m tools.train.train_vae --resume --corpus "${CORPUS:-20000}" --steps "${VAE_STEPS:-7500}" --crop "${VAE_CROP:-64}" --batch "${VAE_BATCH:-12}"
stamp "stage 2: UNet + text encoder"
$PY -m tools.train.train_unet --resume --steps "${UNET_STEPS:-4000}" --lr "${UNET_LR:-8e-4}"
stamp "stage 3: LCM distillation"
$PY -m tools.train.distill_lcm --resume --steps "${LCM_STEPS:-1000}"
stamp "export"
$PY -m tools.train.export
$PY -m tools.train.check_export
stamp "model exported to models/tessera-tex-v1"

if [ "${SKIP_EVAL:-0}" != "1" ]; then
  if [ ! -f tools/eval/out/classifier.pt ]; then
    stamp "evaluation classifier"
    $PY -m tools.eval.train_classifier --count 16000 --val 1500 --epochs 13
  fi
  stamp "evaluation (diffusers, 1/2/4 steps)"
  $PY -m tools.eval.evaluate --model models/tessera-tex-v1 --tag diffusers --docs
fi
stamp "chain finished"
