#!/usr/bin/env bash
# The Docker Engine of BDK's container tests, and the local base images they build on (no container registry is
# reachable here, so no base image can be pulled: they are made from Debian's packages and the pinned binaries).
#
#   docker.sh install   installs docker.io (dockerd, containerd, runc) and debootstrap from Debian when missing (root)
#   docker.sh start     starts dockerd unless one answers already (overlay2, or vfs where overlayfs cannot mount; no
#                       iptables, no bridge: containers use the host network), its data root, log and pid file in
#                       .tools/docker/ and .tools/logs/
#   docker.sh images    install and start, then builds each base image its versions lack (a stamp label, checked with
#                       `docker image inspect`):
#                         bdk-local/node:<NODE_VERSION>-slim  stands in for node:<NODE_VERSION>-slim (apps/Dockerfile)
#                         bdk-local/envoy:<ENVOY_VERSION>     stands in for envoyproxy/envoy (the charts' sidecar)
#   docker.sh with-images <command>
#                       images, then runs the command, then stops dockerd again if it started it (the tests' target)
#   docker.sh stop      stops the dockerd this script started (by its pid file)
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=versions.env
source "$repo/tools/toolchain/versions.env"
tools_dir=${BDK_TOOLS_DIR:-$repo/.tools}
docker_dir="$tools_dir/docker"
logs="$tools_dir/logs"
# The Node package.json pins (devDependencies.node): its real binary, not the .bin shell shim.
node_version=$(sed -n 's/^ *"node": "\([0-9.]*\)".*/\1/p' "$repo/package.json" | head -1)
node_binary="$repo/node_modules/node/bin/node"
envoy_binary="$tools_dir/envoy-$ENVOY_VERSION/site/envoy/_bin/envoy"
debian_suite=bookworm
debian_mirror=${BDK_DEBIAN_MIRROR:-http://deb.debian.org/debian}

node_image="bdk-local/node:$node_version-slim"
envoy_image="bdk-local/envoy:$ENVOY_VERSION"

fail() {
  echo "docker.sh: $*" >&2
  exit 1
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "toolchain: docker $(dockerd --version | cut -d' ' -f3 | tr -d ,) and debootstrap are installed"
    return
  fi
  [[ $(id -u) -eq 0 ]] || fail "${missing[*]} missing, and installing Debian packages needs root: run as root, or apt-get install ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and no apt-get: install the Docker Engine and debootstrap yourself"
  echo "toolchain: installing ${missing[*]} from Debian (log: $logs/docker-install.log)"
  mkdir -p "$logs"
  {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >"$logs/docker-install.log" 2>&1 || { tail -n 20 "$logs/docker-install.log" >&2; fail "apt-get install ${missing[*]} failed"; }
}

engine_answers() {
  docker info >/dev/null 2>&1
}

# overlay2 where the kernel mounts overlayfs on the data root's filesystem: vfs copies the whole filesystem for
# every build step and container (gigabytes and minutes for an npm ci layer). vfs where it does not, which works
# everywhere. BDK_DOCKER_STORAGE_DRIVER chooses.
storage_driver() {
  if [[ -n "${BDK_DOCKER_STORAGE_DRIVER:-}" ]]; then
    echo "$BDK_DOCKER_STORAGE_DRIVER"
    return
  fi
  local probe="$docker_dir/overlay-probe"
  rm -rf "$probe"
  mkdir -p "$probe"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    echo overlay2
  else
    echo vfs
  fi
  rm -rf "$probe"
}

start_engine() {
  command -v dockerd >/dev/null 2>&1 || fail "dockerd is not installed: run tools/toolchain/docker.sh install (as root)"
  if engine_answers; then
    return
  fi
  [[ $(id -u) -eq 0 ]] || fail "no Docker Engine answers, and starting dockerd needs root"
  mkdir -p "$docker_dir/data" "$logs"
  local driver
  driver=$(storage_driver)
  echo "toolchain: starting dockerd (storage driver $driver, data $docker_dir/data, log $logs/dockerd.log)"
  # No iptables and no bridge: this machine has no netfilter to spare, so containers run on the host network.
  nohup dockerd --storage-driver "$driver" --iptables=false --ip-masq=false --bridge=none \
    --data-root "$docker_dir/data" --pidfile "$docker_dir/dockerd.pid" >>"$logs/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    engine_answers && return
    sleep 0.5
  done
  tail -n 20 "$logs/dockerd.log" >&2
  fail "dockerd did not answer within 60 s"
}

stop_engine() {
  local pid_file="$docker_dir/dockerd.pid"
  [[ -f "$pid_file" ]] || { echo "docker.sh: no dockerd started from $docker_dir"; return; }
  local pid
  pid=$(cat "$pid_file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  fail "dockerd ($pid) did not stop"
}

# The stamp names everything that decides an image: a change to any of it means a rebuild.
stamp_of() {
  { echo "$@"; sed -n '/^# BEGIN IMAGE RECIPES/,/^# END IMAGE RECIPES/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16
}

image_is_current() {
  [[ "$(docker image inspect -f '{{index .Config.Labels "bdk.local.stamp"}}' "$1" 2>/dev/null)" == "$2" ]]
}

# BEGIN IMAGE RECIPES
# A Debian minbase root filesystem (no ca-certificates: Node carries its own CA store, Envoy gets none), once per
# suite, without documentation, locales or apt's caches.
make_rootfs() {
  local rootfs="$docker_dir/rootfs-$debian_suite"
  if [[ -f "$rootfs.done" ]]; then
    return
  fi
  [[ $(id -u) -eq 0 ]] || fail "debootstrap needs root"
  command -v debootstrap >/dev/null 2>&1 || fail "debootstrap is not installed: run tools/toolchain/docker.sh install (as root)"
  echo "toolchain: debootstrap $debian_suite minbase (log: $logs/debootstrap.log)"
  rm -rf "$rootfs"
  debootstrap --variant=minbase "$debian_suite" "$rootfs" "$debian_mirror" >"$logs/debootstrap.log" 2>&1 ||
    { tail -n 20 "$logs/debootstrap.log" >&2; fail "debootstrap failed"; }
  rm -rf "$rootfs"/usr/share/{doc,man,info,locale}/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*
  touch "$rootfs.done"
}

# import_image IMAGE STAMP STAGING CHANGE...: the staged root filesystem as a one-layer image.
import_image() {
  local image=$1 stamp=$2 staging=$3
  shift 3
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  tar --numeric-owner -C "$staging" -c . |
    docker import "${changes[@]}" --change "LABEL bdk.local.stamp=$stamp" - "$image" >/dev/null
  rm -rf "$staging"
}

stage_rootfs() {
  local staging="$docker_dir/staging-$1"
  rm -rf "$staging"
  cp -a "$docker_dir/rootfs-$debian_suite" "$staging"
  echo "$staging"
}

# add_user STAGING NAME ID: a system user and its group, as the official images have them.
add_user() {
  echo "$2:x:$3:$3::/home/$2:/bin/sh" >>"$1/etc/passwd"
  echo "$2:x:$3:" >>"$1/etc/group"
  echo "$2:!:20000::::::" >>"$1/etc/shadow"
  mkdir -p "$1/home/$2"
  chown "$3:$3" "$1/home/$2"
}

build_node_image() {
  local stamp
  # The CAs this machine adds for Node (NODE_EXTRA_CA_CERTS, e.g. an egress proxy's), so that `npm ci` in a build
  # reaches the registry as it does here; none where the machine adds none.
  local extra_cas=${NODE_EXTRA_CA_CERTS:-}
  stamp=$(stamp_of node "$node_version" "$(sha256sum <"$node_binary" | cut -c1-16)" "$([[ -f "$extra_cas" ]] && sha256sum <"$extra_cas")")
  if image_is_current "$node_image" "$stamp"; then
    echo "toolchain: $node_image is built"
    return
  fi
  [[ -x "$node_binary" ]] || fail "$node_binary is missing: run npm ci"
  local file_type
  file_type=$(head -c 4 "$node_binary" | od -An -c | tr -d ' ')
  [[ "$file_type" == '177ELF' ]] || fail "$node_binary is not an ELF binary"
  local npm_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [[ -f "$npm_dir/package.json" ]] || fail "no npm to copy into $node_image (found $npm_dir)"
  echo "toolchain: building $node_image (Node $node_version, npm $(node -p "require('$npm_dir/package.json').version"))"
  make_rootfs
  local staging
  staging=$(stage_rootfs node)
  install -m 0755 "$node_binary" "$staging/usr/local/bin/node"
  mkdir -p "$staging/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$staging/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$staging/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$staging/usr/local/bin/npx"
  add_user "$staging" node 1000
  local ca_env=()
  if [[ -f "$extra_cas" ]]; then
    mkdir -p "$staging/etc/ssl/certs"
    install -m 0644 "$extra_cas" "$staging/etc/ssl/certs/ca-certificates.crt"
    ca_env=('ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
  fi
  import_image "$node_image" "$stamp" "$staging" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "ENV NODE_VERSION=$node_version" "${ca_env[@]}" 'CMD ["node"]'
}

build_envoy_image() {
  local stamp
  stamp=$(stamp_of envoy "$ENVOY_VERSION")
  if image_is_current "$envoy_image" "$stamp"; then
    echo "toolchain: $envoy_image is built"
    return
  fi
  [[ -x "$envoy_binary" ]] || fail "$envoy_binary is missing: run tools/install-toolchain.sh"
  echo "toolchain: building $envoy_image"
  make_rootfs
  local staging
  staging=$(stage_rootfs envoy)
  install -m 0755 "$envoy_binary" "$staging/usr/local/bin/envoy"
  # 101: the envoy user of the official image, which the charts' securityContext names.
  add_user "$staging" envoy 101
  mkdir -p "$staging/etc/envoy"
  import_image "$envoy_image" "$stamp" "$staging" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'USER 101:101' 'ENTRYPOINT ["/usr/local/bin/envoy"]' \
    'CMD ["--config-path", "/etc/envoy/envoy.yaml"]'
}
# END IMAGE RECIPES

case "${1:-}" in
  install) install_packages ;;
  start) start_engine ;;
  stop) stop_engine ;;
  images)
    # The container tests are the only users of the engine: it is installed for them, so `npm start` needs no root.
    install_packages
    start_engine
    mkdir -p "$docker_dir" "$logs"
    build_node_image
    build_envoy_image
    ;;
  with-images)
    # The container tests' target: the engine and the base images for the command, and no dockerd left behind by
    # it (one that was running before stays running).
    shift
    install_packages
    mkdir -p "$docker_dir"
    # One at a time: the targets that use the engine run side by side under Nx, and the one that started dockerd
    # stops it when its command ends.
    exec 9>"$docker_dir/with-images.lock"
    flock 9
    started_here=false
    engine_answers || started_here=true
    start_engine
    if [[ $started_here == true ]]; then trap stop_engine EXIT; fi
    mkdir -p "$docker_dir" "$logs"
    build_node_image
    build_envoy_image
    "$@"
    ;;
  names) echo "$node_image $envoy_image" ;;
  *) fail "usage: docker.sh install|start|images|with-images <command>|stop|names" ;;
esac
