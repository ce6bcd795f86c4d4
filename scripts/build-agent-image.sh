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
image_up_to_date "$TAG" "$HASH" && exit 0

ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
stage_node_rootfs "$ROOT"
cp "$BUNDLE" "$ROOT/app/$EXAMPLE.cjs"

ROOTFS_TAR_FLAGS="--owner=0 --group=0" import_rootfs "$ROOT" "$TAG" "$HASH" "silvana-$EXAMPLE" \
  --change 'ENTRYPOINT ["/usr/local/bin/node"]' \
  --change "CMD [\"/app/$EXAMPLE.cjs\"]" \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production'
