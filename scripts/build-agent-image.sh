#!/usr/bin/env bash
# Builds the example add agent's image offline: no base image, no registry.
#   1. bundles examples/add-agent/main.ts (and the Agent SDK) into one CommonJS file with esbuild;
#   2. stages a root filesystem: the project's Node 22 binary, the shared libraries it links
#      (from ldd), the bundle, /tmp and a minimal /etc;
#   3. `docker import`s it with ENTRYPOINT node / CMD the bundle.
# Idempotent and fast: the image carries a label with the hash of its inputs and is only rebuilt
# when they change. Usage: scripts/build-agent-image.sh [tag] [example]
#   (defaults silvana/add-agent:dev, add-agent; the pipeline demo's agent:
#    scripts/build-agent-image.sh silvana/pipeline-agent:dev pipeline-agent)
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${1:-${AGENT_IMAGE:-silvana/add-agent:dev}}"
NODE_BIN="$(readlink -f node_modules/node/bin/node)"
EXAMPLE="${2:-add-agent}"
OUT_DIR="examples/$EXAMPLE/dist"
BUNDLE="$OUT_DIR/$EXAMPLE.cjs"

[ -x "$NODE_BIN" ] || { echo "node_modules/node/bin/node is missing; run npm install first" >&2; exit 1; }
command -v docker >/dev/null || { echo "docker CLI not found; run scripts/start-dockerd.sh" >&2; exit 1; }

mkdir -p "$OUT_DIR"
# Test files running in parallel may all ask for the image: one build at a time.
exec 9>"$OUT_DIR/.build.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

npx esbuild "examples/$EXAMPLE/main.ts" --bundle --platform=node --target=node22 --format=cjs \
  --outfile="$BUNDLE.tmp" --log-level=warning
mv -f "$BUNDLE.tmp" "$BUNDLE"

# The shared libraries the binary needs, resolved on this machine (glibc, libstdc++ …).
mapfile -t LIBS < <(ldd "$NODE_BIN" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u)

HASH="$( { sha256sum "$BUNDLE" "$NODE_BIN" "${LIBS[@]}"; echo "$TAG"; cat "$0"; } | sha256sum | cut -c1-32)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "silvana.build-hash" }}' "$TAG" 2>/dev/null || true)" = "$HASH" ]; then
  echo "$TAG is up to date ($HASH)"
  exit 0
fi

OLD_ID="$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)"
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/local/bin" "$ROOT/app" "$ROOT/tmp" "$ROOT/etc"
chmod 1777 "$ROOT/tmp"
# Debug symbols are a sixth of the binary and of no use inside the image.
strip -o "$ROOT/usr/local/bin/node" "$NODE_BIN" 2>/dev/null || cp "$NODE_BIN" "$ROOT/usr/local/bin/node"
for lib in "${LIBS[@]}"; do
  # Keep the path the dynamic loader looks for, and the real file behind any symlink.
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
cp "$BUNDLE" "$ROOT/app/$EXAMPLE.cjs"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
printf 'hosts: files dns\n' >"$ROOT/etc/nsswitch.conf"

tar -C "$ROOT" --numeric-owner --owner=0 --group=0 -cf - . | docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/node"]' \
  --change "CMD [\"/app/$EXAMPLE.cjs\"]" \
  --change 'WORKDIR /app' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production' \
  --change "LABEL silvana.build-hash=$HASH org.opencontainers.image.title=silvana-$EXAMPLE" \
  - "$TAG" >/dev/null
# The image this build replaced is now untagged: drop it unless a container still uses it.
if [ -n "$OLD_ID" ]; then docker image rm "$OLD_ID" >/dev/null 2>&1 || true; fi
echo "built $TAG ($(docker image inspect -f '{{.Id}}' "$TAG"))"
