#!/usr/bin/env bash
# Side-by-side benchmark (docs/BENCHMARKS.md): builds Tessera in release, sets up the
# benchmark's own venv with the peers from PyPI (CPU torch, diffusers, ONNX Runtime,
# OpenVINO), then runs tools/bench/compare.py with the arguments given.
#   bash tools/bench/run.sh --cases tex128-unet,tex128-decoder --rounds 3
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${BENCH_VENV:-tools/bench/.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "torch==2.13.0+cpu" || "$VENV/bin/pip" install -q torch
  "$VENV/bin/pip" uninstall -y -q torchvision 2>/dev/null || true
  "$VENV/bin/pip" install -q -r tools/bench/requirements.txt
fi
make build CONFIG=release >/dev/null
exec "$VENV/bin/python" -m tools.bench.compare "$@"
