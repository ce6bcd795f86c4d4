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
EXAMPLE="${2:-add-agent}"
OUT_DIR="examples/$EXAMPLE/dist"
BUNDLE="$OUT_DIR/$EXAMPLE.cjs"

. scripts/node-rootfs.sh
command -v docker >/dev/null || { echo "docker CLI not found; run scripts/start-dockerd.sh" >&2; exit 1; }

mkdir -p "$OUT_DIR"
# Test files running in parallel may all ask for the image: one build at a time.
exec 9>"$OUT_DIR/.build.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

npx esbuild "examples/$EXAMPLE/main.ts" --bundle --platform=node --target=node22 --format=cjs \
  --outfile="$BUNDLE.tmp" --log-level=warning
mv -f "$BUNDLE.tmp" "$BUNDLE"

mapfile -t LIBS < <(node_rootfs_libs)
HASH="$( { sha256sum "$BUNDLE" "$NODE_BIN" "${LIBS[@]}"; echo "$TAG"; cat "$0" scripts/node-rootfs.sh; } | sha256sum | cut -c1-32)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "silvana.build-hash" }}' "$TAG" 2>/dev/null || true)" = "$HASH" ]; then
  echo "$TAG is up to date ($HASH)"
  exit 0
fi

OLD_ID="$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)"
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
stage_node_rootfs "$ROOT"
cp "$BUNDLE" "$ROOT/app/$EXAMPLE.cjs"

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
