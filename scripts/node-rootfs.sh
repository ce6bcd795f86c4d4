# Sourced by the offline image builds: a root filesystem holding the project's Node 22 binary and
# the shared libraries it links, with /tmp and a minimal /etc. No base image, no registry.
#   node_rootfs_libs            — prints the libraries the binary needs (one per line)
#   stage_node_rootfs ROOT      — fills ROOT with node, its libraries, /tmp and /etc
#   image_up_to_date TAG HASH   — true (and says so) when TAG already carries build hash HASH
#   import_rootfs ROOT TAG HASH TITLE [docker import flags…]
#                               — imports ROOT as TAG (WORKDIR /app, the hash and title labels, the
#                                 given flags), then drops the image it replaced
#   (ROOTFS_TAR_FLAGS: extra tar flags for the import, e.g. to make every file root's)

NODE_BIN="$(readlink -f node_modules/node/bin/node)"
[ -x "$NODE_BIN" ] || { echo "node_modules/node/bin/node is missing; run npm install first" >&2; exit 1; }

node_rootfs_libs() {
  # Resolved on this machine (glibc, libstdc++ …).
  ldd "$NODE_BIN" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u
}

stage_node_rootfs() {
  local root="$1" lib
  mkdir -p "$root/usr/local/bin" "$root/app" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  # Debug symbols are a sixth of the binary and of no use inside the image.
  strip -o "$root/usr/local/bin/node" "$NODE_BIN" 2>/dev/null || cp "$NODE_BIN" "$root/usr/local/bin/node"
  while read -r lib; do
    # Keep the path the dynamic loader looks for, and the real file behind any symlink.
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(node_rootfs_libs)
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

image_up_to_date() {
  local tag="$1" hash="$2"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "silvana.build-hash" }}' "$tag" 2>/dev/null || true)" = "$hash" ]; then
    echo "$tag is up to date ($hash)"
    return 0
  fi
  return 1
}

import_rootfs() {
  local root="$1" tag="$2" hash="$3" title="$4" old_id
  shift 4
  old_id="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  # shellcheck disable=SC2086
  tar -C "$root" --numeric-owner ${ROOTFS_TAR_FLAGS:-} -cf - . | docker import \
    --change 'WORKDIR /app' \
    --change "LABEL silvana.build-hash=$hash org.opencontainers.image.title=$title" \
    "$@" - "$tag" >/dev/null
  # The image this build replaced is now untagged: drop it unless a container still uses it.
  if [ -n "$old_id" ]; then docker image rm "$old_id" >/dev/null 2>&1 || true; fi
  echo "built $tag ($(docker image inspect -f '{{.Id}}' "$tag"))"
}
