#!/usr/bin/env bash
# Builds the coordinator's own image offline (the Dockerfile needs a registry's node image; this
# needs none): the bundled daemon (dist/silvana.mjs, its chunks, the status page and the gRPC
# descriptor), the few packages the bundle leaves external (ssh2 and its dependencies, loaded by
# dockerode for ssh:// engines), and the project's Node 22 on a bare root filesystem. It runs as
# nobody (65534), like the Dockerfile's image runs as an unprivileged user.
# Usage: scripts/build-coordinator-image.sh [tag]   (default silvana/coordinator:dev)
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${1:-silvana/coordinator:dev}"
. scripts/node-rootfs.sh
command -v docker >/dev/null || { echo "docker CLI not found; run scripts/start-dockerd.sh" >&2; exit 1; }

# Test files running in parallel may all ask for the image: one build at a time.
mkdir -p dist
exec 9>"dist/.coordinator-image.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

npm run --silent build:web >/dev/null
npm run --silent build:bundle >/dev/null
EXTERNAL=(ssh2 asn1 bcrypt-pbkdf safer-buffer tweetnacl)
for p in "${EXTERNAL[@]}"; do [ -d "node_modules/$p" ] || { echo "node_modules/$p is missing; run npm install first" >&2; exit 1; }; done

mapfile -t LIBS < <(node_rootfs_libs)
HASH="$( {
  find dist/silvana.mjs dist/silvana-main.js dist/chunks dist/web/static src/gen/descriptor.binpb -type f -not -name '*.map' -print0 | sort -z | xargs -0 sha256sum
  sha256sum "$NODE_BIN" "${LIBS[@]}"; echo "$TAG"; cat "$0" scripts/node-rootfs.sh
} | sha256sum | cut -c1-32)"
image_up_to_date "$TAG" "$HASH" && exit 0

ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
stage_node_rootfs "$ROOT"
mkdir -p "$ROOT/app/dist/gen" "$ROOT/app/dist/web" "$ROOT/app/node_modules" "$ROOT/var/lib/silvana" "$ROOT/run/silvana"
cp dist/silvana.mjs dist/silvana-main.js "$ROOT/app/dist/"
# Source maps stay out: a third of the size, and the image's stack traces name bundle lines.
(cd dist && find chunks -type f -not -name '*.map' -exec cp --parents {} "$ROOT/app/dist/" \;)
cp -r dist/web/static "$ROOT/app/dist/web/"
cp src/gen/descriptor.binpb "$ROOT/app/dist/gen/"
for p in "${EXTERNAL[@]}"; do cp -rL "node_modules/$p" "$ROOT/app/node_modules/"; done
printf '{ "name": "silvana-coordinator", "type": "module", "private": true }\n' >"$ROOT/app/package.json"
# The state directory and the socket directory belong to the user the daemon runs as.
chown 65534:65534 "$ROOT/var/lib/silvana" "$ROOT/run/silvana"
chmod 0700 "$ROOT/var/lib/silvana"

import_rootfs "$ROOT" "$TAG" "$HASH" silvana-coordinator \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "/app/dist/silvana.mjs"]' \
  --change 'CMD ["start"]' \
  --change 'USER 65534:65534' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production NODE_NO_WARNINGS=1 STATE_DIR=/var/lib/silvana GRPC_SOCKET_PATH=/run/silvana/coordinator.sock' \
  --change 'VOLUME ["/var/lib/silvana"]'
