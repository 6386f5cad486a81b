#!/usr/bin/env bash
# What the kubelet of e2e/node needs beside itself (tools/install-toolchain.sh builds it): a container runtime and
# the CNI plugins, from Debian's packages: containerd (1.6 in bookworm, with its CRI plugin), runc, and
# containernetworking-plugins (bridge, host-local, loopback, portmap in /usr/lib/cni).
#
#   kubelet-runtime.sh install   installs the packages that are missing (root)
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
logs="${BDK_TOOLS_DIR:-$repo/.tools}/logs"

fail() {
  echo "kubelet-runtime.sh: $*" >&2
  exit 1
}

install_packages() {
  local missing=()
  command -v containerd >/dev/null 2>&1 || missing+=(containerd)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "toolchain: containerd $(containerd --version | cut -d' ' -f3), runc and the CNI plugins are installed"
    return
  fi
  [[ $(id -u) -eq 0 ]] || fail "${missing[*]} missing, and installing Debian packages needs root: run as root, or apt-get install ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and no apt-get: install containerd, runc and the CNI plugins yourself"
  echo "toolchain: installing ${missing[*]} from Debian (log: $logs/kubelet-runtime-install.log)"
  mkdir -p "$logs"
  {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >"$logs/kubelet-runtime-install.log" 2>&1 || { tail -n 20 "$logs/kubelet-runtime-install.log" >&2; fail "apt-get install ${missing[*]} failed"; }
}

case "${1:-}" in
  install) install_packages ;;
  *) fail "usage: kubelet-runtime.sh install" ;;
esac
