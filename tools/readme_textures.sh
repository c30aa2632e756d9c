#!/usr/bin/env bash
# Makes the example textures shown in the README with the README's own run command:
# starts the daemon exactly as `make run` does (the embedded model, default endpoints),
# asks it for a few tiles with `tessera generate`, writes docs/readme/<name>.png and stops it.
#
#   bash tools/readme_textures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=docs/readme
mkdir -p "$OUT"
make build >/dev/null
make run > /tmp/tessera-readme-daemon.log 2>&1 &
RUNNER=$!
trap 'pkill -TERM -f "release/tesserad" 2>/dev/null || true; wait $RUNNER 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  .build/release/tessera ping --timeout 1 >/dev/null 2>&1 && break
  sleep 1
done
while IFS='|' read -r name seed prompt; do
  .build/release/tessera generate --prompt "$prompt" --seed "$seed" -o "$OUT/$name.png"
done <<'LIST'
brick|1|red brick wall
cobble|2|mossy grey cobblestones
lava|3|glowing orange lava
hex|4|blue hexagon tiles
wood|5|brown wood planks
circuit|6|green circuit board
scales|7|purple dragon scales
ice|8|cracked white ice
LIST
echo "wrote $(ls "$OUT" | wc -l) textures to $OUT"
