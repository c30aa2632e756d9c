#!/usr/bin/env bash
# CI check: runs both sample clients (samples/python, samples/c) against a real tesserad.
#
#   bash tools/ci/samples.sh
#
# Installs what it needs when missing (python3-zmq for the system python3, gcc, make,
# libzmq3-dev, pkg-config), builds tesserad (debug, the build `make test` already made),
# starts it with the fixture model on free loopback ports, waits for it to answer, runs the
# Python sample's demo and the C sample, checks their PNGs (signature, chunk CRCs, IHDR size,
# inflated data length), then stops the daemon with SIGTERM and checks that it exits.
# Exits non-zero on any failure; the daemon is stopped on every exit path.
#
# Environment:
#   TESSERAD=path   use this tesserad binary instead of building one
#   SWIFT=swift     the swift driver;  PYTHON=/usr/bin/python3  the interpreter for the sample
#   KEEP_OUTPUT=1   keep the work directory (outputs, daemon log) and print its path
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SWIFT="${SWIFT:-swift}"
PYTHON="${PYTHON:-/usr/bin/python3}"
MODEL="Tests/Fixtures/pipelines/sd1_tiny"
TIMEOUT=60          # seconds a sample may wait for its replies
START_TIMEOUT=90    # seconds for the daemon to load the model and answer hello
STOP_TIMEOUT=30     # seconds for the daemon to exit after SIGTERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tessera-samples.XXXXXX")"
DAEMON_PID=""

log() { printf '[samples] %s\n' "$*"; }

show_daemon_log() {
  if [ -s "$WORK/tesserad.log" ]; then
    echo "---- tesserad log (last 40 lines) ----" >&2
    tail -n 40 "$WORK/tesserad.log" >&2
    echo "--------------------------------------" >&2
  fi
}

# Stops the daemon: SIGTERM, then SIGKILL after STOP_TIMEOUT. Returns 1 if it had to be killed.
# Sets DAEMON_STATUS to its exit status.
DAEMON_STATUS=""
stop_daemon() {
  local pid="$DAEMON_PID" waited=0
  [ -n "$pid" ] || return 0
  DAEMON_PID=""
  if ! kill -0 "$pid" 2>/dev/null; then
    DAEMON_STATUS=0; wait "$pid" 2>/dev/null || DAEMON_STATUS=$?
    echo "tesserad (pid $pid) had already exited with status $DAEMON_STATUS" >&2
    return 1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((STOP_TIMEOUT * 10)) ]; then
      echo "tesserad (pid $pid) still running ${STOP_TIMEOUT}s after SIGTERM: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  DAEMON_STATUS=0; wait "$pid" 2>/dev/null || DAEMON_STATUS=$?
  return 0
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$DAEMON_PID" ]; then
    stop_daemon || rc=1
  fi
  [ "$rc" -ne 0 ] && show_daemon_log
  if [ "${KEEP_OUTPUT:-0}" = 1 ]; then
    log "outputs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  [ "$rc" -eq 0 ] && log "OK" || log "FAILED (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- dependencies (apt only when something is missing) --------------------------------------
packages=(gcc make libzmq3-dev pkg-config)
"$PYTHON" -c 'import zmq' 2>/dev/null || packages+=(python3-zmq)
bash tools/install-deps.sh "${packages[@]}"
"$PYTHON" -c 'import zmq' || { echo "$PYTHON cannot import zmq" >&2; exit 1; }

# ---- build -------------------------------------------------------------------------------------
if [ -z "${TESSERAD:-}" ]; then
  log "building tesserad (debug)"
  "$SWIFT" build --product tesserad
  TESSERAD="$("$SWIFT" build --show-bin-path)/tesserad"
fi
[ -x "$TESSERAD" ] || { echo "no tesserad binary at $TESSERAD" >&2; exit 1; }
log "building the C sample"
make -s -C samples/c BIN="$WORK/tessera-client"

# ---- start the daemon on free ports ------------------------------------------------------------
free_ports() {  # two distinct free TCP ports on 127.0.0.1 (held together while chosen)
  "$PYTHON" - <<'EOF'
import socket
held = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

started=0
for attempt in 1 2 3; do
  read -r CONTROL_PORT STREAM_PORT < <(free_ports)
  CONTROL="tcp://127.0.0.1:$CONTROL_PORT"
  STREAM="tcp://127.0.0.1:$STREAM_PORT"
  log "starting tesserad on $CONTROL / $STREAM (attempt $attempt)"
  "$TESSERAD" --model "$MODEL" --control "$CONTROL" --stream "$STREAM" \
    --cache-dir "$WORK/cache" >"$WORK/tesserad.log" 2>&1 &
  DAEMON_PID=$!
  deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      wait "$DAEMON_PID" 2>/dev/null || true
      DAEMON_PID=""
      log "tesserad exited during start-up (port taken?)"
      tail -n 5 "$WORK/tesserad.log" >&2 || true
      break
    fi
    if "$PYTHON" samples/python/client.py hello --endpoint "$CONTROL" --timeout 2 >"$WORK/hello.txt" 2>&1; then
      started=1
      break
    fi
  done
  [ "$started" = 1 ] && break
  if [ -n "$DAEMON_PID" ]; then
    echo "tesserad did not answer hello within ${START_TIMEOUT}s" >&2
    exit 1
  fi
done
[ "$started" = 1 ] || { echo "could not start tesserad" >&2; exit 1; }
sed 's/^/  /' "$WORK/hello.txt"

# ---- the samples -------------------------------------------------------------------------------
mkdir -p "$WORK/python" "$WORK/c"
log "Python sample: demo (tile + backdrop 32x32, previews)"
if ! "$PYTHON" samples/python/client.py demo --endpoint "$CONTROL" --stream "$STREAM" \
     --width 32 --height 32 --steps 2 --timeout "$TIMEOUT" --output-dir "$WORK/python" | sed 's/^/  /'; then
  echo "Python sample failed" >&2
  exit 1
fi

log "C sample: tile 32x32 rgba8+mips, backdrop 64x32 png, previews"
if ! "$WORK/tessera-client" --control "$CONTROL" --stream "$STREAM" --tile 32x32 --backdrop 64x32 \
     --steps 2 --timeout "$TIMEOUT" --output-dir "$WORK/c" | sed 's/^/  /'; then
  echo "C sample failed" >&2
  exit 1
fi

log "C sample against a wrong endpoint (the XPUB port) must fail within its timeout, not hang"
if timeout 20 "$WORK/tessera-client" --control "tcp://127.0.0.1:$STREAM_PORT" --stream '' --timeout 1 \
     --output-dir "$WORK/c" >/dev/null 2>&1; then
  echo "C sample succeeded against the stream port: it should have timed out" >&2
  exit 1
fi

# ---- check the images --------------------------------------------------------------------------
log "checking outputs"
"$PYTHON" - "$WORK" <<'EOF'
import struct, sys, zlib
work = sys.argv[1]
expected = {"python/tile.png": (32, 32), "python/backdrop.png": (32, 32),
            "c/tile.png": (32, 32), "c/backdrop.png": (64, 32)}
channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
for name, (w, h) in expected.items():
    data = open("%s/%s" % (work, name), "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s: no PNG signature" % name
    at, idat, ihdr, end = 8, b"", None, False
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + size]
        (crc,) = struct.unpack(">I", data[at + 8 + size:at + 12 + size])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "%s: bad CRC in %r" % (name, kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            end = True
        at += 12 + size
    assert ihdr and end, "%s: no IHDR or IEND" % name
    width, height, depth, colour, _, _, interlace = ihdr
    assert (width, height) == (w, h), "%s: %dx%d, expected %dx%d" % (name, width, height, w, h)
    assert depth == 8 and colour in channels and interlace == 0, "%s: unexpected IHDR %r" % (name, ihdr)
    raw = zlib.decompress(idat)
    assert len(raw) == h * (1 + w * channels[colour]), "%s: %d bytes of image data" % (name, len(raw))
    print("  %s: %dx%d PNG, colour type %d, %d bytes, valid" % (name, w, h, colour, len(data)))
EOF

# ---- graceful shutdown -------------------------------------------------------------------------
log "stopping tesserad with SIGTERM"
pid="$DAEMON_PID"
stop_daemon || { echo "tesserad did not stop cleanly after SIGTERM" >&2; exit 1; }
[ "$DAEMON_STATUS" = 0 ] || { echo "tesserad exited with status $DAEMON_STATUS after SIGTERM" >&2; exit 1; }
log "tesserad (pid $pid) stopped after SIGTERM with status 0"
