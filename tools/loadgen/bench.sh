#!/usr/bin/env bash
# The daemon load benchmark of docs/BENCHMARKS.md ("Daemon load (tools/loadgen)"):
# builds a release tesserad (into .build-samples), starts it with the fixture model on free
# loopback ports, records the machine state, runs the result-cache round trip and
# find-capacity (saturation probe, ramp, 1.5x overload), then stops the daemon.
#
#   bash tools/loadgen/bench.sh [OUTPUT_DIR]          # default: tools/loadgen/out (git-ignored)
#
# Environment: PYTHON (default .venv/bin/python, needs pyzmq: tools/loadgen/requirements.txt),
# TESSERAD (a prebuilt binary), MODEL (default the sd1_tiny fixture), DURATION (benchmark
# seconds, default 60), LOADGEN_ARGS (extra arguments for find-capacity).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${1:-tools/loadgen/out}"
PYTHON="${PYTHON:-.venv/bin/python}"
MODEL="${MODEL:-Tests/Fixtures/pipelines/sd1_tiny}"
DURATION="${DURATION:-60}"
mkdir -p "$OUT"
DAEMON_PID=""

cleanup() {
  local rc=$?
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT

if [ -z "${TESSERAD:-}" ]; then
  swift build -c release --product tesserad --scratch-path .build-samples
  TESSERAD="$(swift build -c release --scratch-path .build-samples --show-bin-path)/tesserad"
fi

read -r CONTROL_PORT STREAM_PORT < <("$PYTHON" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
CONTROL="tcp://127.0.0.1:$CONTROL_PORT"
"$TESSERAD" --model "$MODEL" --control "$CONTROL" --stream "tcp://127.0.0.1:$STREAM_PORT" \
  >"$OUT/tesserad.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 60); do
  "$PYTHON" samples/python/client.py hello --endpoint "$CONTROL" --timeout 1 >/dev/null 2>&1 && break
  kill -0 "$DAEMON_PID" || { cat "$OUT/tesserad.log"; exit 1; }
done

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD) ($(git status --porcelain | wc -l) uncommitted paths)"
  echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "uptime: $(uptime)"
  echo "training processes (pgrep -af train):"
  pgrep -af train | sed 's/^/  /' || echo "  none"
  echo "top CPU users:"
  ps -eo pid,ni,pcpu,etime,comm --sort=-pcpu | head -8 | sed 's/^/  /'
} | tee "$OUT/machine.txt"

"$PYTHON" tools/loadgen/loadgen.py cache-hit --endpoint "$CONTROL" --count 5000 --json "$OUT/cache_hit.json" \
  | tee "$OUT/cache_hit.txt"
# shellcheck disable=SC2086
"$PYTHON" tools/loadgen/loadgen.py find-capacity --endpoint "$CONTROL" --clients 8 --duration "$DURATION" \
  --json "$OUT/find_capacity.json" ${LOADGEN_ARGS:-} | tee "$OUT/find_capacity.txt"
echo "load after the run: $(uptime)" | tee -a "$OUT/machine.txt"
