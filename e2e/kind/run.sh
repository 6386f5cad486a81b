#!/usr/bin/env bash
# BDK end to end in a kind cluster: checks its openssl signing against BDK's verifiers (check-signing.sh), builds
# the three app images from apps/Dockerfile, loads them into kind, makes a test identity provider (an ES256 key
# kept on this machine, its JWKS in a Secret), installs the bdk umbrella chart with global.auth trusting it, waits
# for the rollouts, port-forwards the release's gateway, mints a platform admin's
# and an organisation's bearer tokens, and runs the spec's sequence with them (seed-sequence.sh).
# What it needs and every setting: README.md beside this file.
#
# NOT RUN where BDK is developed and tested: no container registry is reachable there, so kind cannot pull its node
# image (the same install runs there on a real Node instead: e2e/node/test/helm-install.test.ts). It is for machines
# with Docker, a registry, kind, helm and kubectl.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=${BDK_KIND_CLUSTER:-bdk-e2e}
context="kind-$cluster"
namespace=${BDK_E2E_NAMESPACE:-bdk}
release=${BDK_E2E_RELEASE:-bdk}
jwks_secret=${BDK_E2E_JWKS_SECRET_NAME:-bdk-e2e-jwks}
issuer=${BDK_E2E_ISSUER:-https://bdk-e2e.invalid/}
audience=${BDK_E2E_AUDIENCE:-bdk-api}
issuer_dir=${BDK_E2E_ISSUER_DIR:-$repo/.local-stack/kind-e2e/$cluster}
token_ttl=${BDK_E2E_TOKEN_TTL:-3600}
rollout_timeout=${BDK_E2E_ROLLOUT_TIMEOUT:-300s}
gateway_port=${BDK_E2E_GATEWAY_PORT:-18080}
apps=(library-service book-controller webhook-router)
# The spec instance's organisation (libs/testing/src/seed-examples.ts): the organisation token is a member's of it.
organization=org-uuid-123
organization_permissions='books:read instances:read instances:write credentials:rotate deliveries:read deliveries:replay'
# shellcheck source=e2e/kind/signing.sh
source "$repo/e2e/kind/signing.sh"

step() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\nkind e2e FAILED: %s\n' "$*" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not on PATH: $2"; }
kube() { kubectl --context "$context" --namespace "$namespace" "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bdk-kind-e2e-XXXXXX")
forwards=()
cleanup() {
  # Only the port-forwards this script started, by their process ids.
  for pid in ${forwards[@]+"${forwards[@]}"}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# What a failed rollout needs to be understood: the pods, the namespace's recent events, the app's last log lines.
diagnose() {
  local app=$1
  echo "---- pods in $namespace" >&2
  kube get pods --output wide >&2 || true
  echo "---- recent events in $namespace" >&2
  kube get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 25 >&2 || true
  echo "---- last log lines of $release-$app" >&2
  kube logs "deployment/$release-$app" --all-containers --tail=40 >&2 || true
}

step "checking the tools"
need docker "the images are built with Docker"
need kind "the cluster is a kind cluster (https://kind.sigs.k8s.io)"
need helm "the bdk chart is installed with Helm 3"
need kubectl "the rollouts are awaited and the REST ports forwarded with kubectl"
need curl "the spec's requests are sent with curl"
need openssl "the test issuer's key, its tokens and the webhook signatures are made with openssl"
docker info >/dev/null 2>&1 || fail "the Docker engine does not answer (docker info)"
cd "$repo"
if [[ ! -x node_modules/.bin/nx ]]; then
  need npm "npm ci installs the workspace, the repository's Node 24 with it"
  step "installing the workspace (npm ci)"
  npm ci --no-audit --no-fund
fi
# Nx and the scripts it runs use the repository's pinned Node 24 (node_modules/.bin/node), not the machine's node.
export PATH="$repo/node_modules/.bin:$PATH"

step "checking the openssl signing against BDK's verifiers (check-signing.sh)"
bash "$repo/e2e/kind/check-signing.sh"

step "preparing the charts (nx run charts:generate)"
# The charts scripts run the Helm of BDK's toolchain (.tools/bin/helm, `npm run toolchain`); without it, this
# machine's helm stands in, through BDK_TOOLS_DIR, so that the toolchain (which builds kube-apiserver) is not needed.
tools_dir=${BDK_TOOLS_DIR:-$repo/.tools}
if [[ ! -x "$tools_dir/bin/helm" ]]; then
  tools_dir="$work/tools"
  mkdir -p "$tools_dir/bin"
  ln -s "$(command -v helm)" "$tools_dir/bin/helm"
fi
BDK_TOOLS_DIR="$tools_dir" nx run charts:generate --outputStyle=static

step "kind cluster $cluster"
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  echo "reusing it"
  kubectl config get-contexts "$context" >/dev/null 2>&1 || kind export kubeconfig --name "$cluster"
else
  kind create cluster --name "$cluster" ${BDK_KIND_NODE_IMAGE:+--image "$BDK_KIND_NODE_IMAGE"} --wait 120s
fi

step "building and loading the images"
app_version=$(sed -n -E 's/^appVersion:[[:space:]]*"?([^"[:space:]]+)"?.*$/\1/p' charts/bdk/Chart.yaml)
[[ -n "$app_version" ]] || fail "no appVersion in charts/bdk/Chart.yaml"
helm_args=()
for app in "${apps[@]}"; do
  image="ghcr.io/voyager/bdk-$app"
  # No default attestations: with Docker's containerd image store they make `kind load docker-image` fail
  # ("content digest ... not found"). The variable is buildx's; the classic builder ignores it.
  BUILDX_NO_DEFAULT_ATTESTATIONS=1 docker build --file apps/Dockerfile --build-arg "APP=$app" --tag "$image:$app_version-local" .
  if [[ -n "${BDK_IMAGE_TAG:-}" ]]; then
    tag=$BDK_IMAGE_TAG
  else
    # A tag per content: a rebuilt image changes the pod template, so `helm upgrade` rolls the Deployment.
    id=$(docker image inspect --format '{{.Id}}' "$image:$app_version-local")
    id=${id#sha256:}
    tag="$app_version-local.${id:0:12}"
  fi
  docker tag "$image:$app_version-local" "$image:$tag"
  kind load docker-image --name "$cluster" "$image:$tag"
  # Never pull: the image is on the node, and a pull from ghcr.io would hide a failed load.
  helm_args+=(--set-string "$app.image.tag=$tag" --set-string "$app.image.pullPolicy=Never")
done

expect_delivery=${BDK_E2E_EXPECT_DELIVERY:-false}
if [[ -n "${BDK_BOOK_IMAGE_TEMPLATE:-}" ]]; then
  helm_args+=(--set-string "book-controller.books.imageTemplate=$BDK_BOOK_IMAGE_TEMPLATE")
  expect_delivery=${BDK_E2E_EXPECT_DELIVERY:-true}
fi
if [[ -n "${BDK_BOOK_PORT:-}" ]]; then
  helm_args+=(--set "book-controller.books.port=$BDK_BOOK_PORT")
fi

step "namespace $namespace and the test identity provider (JWKS in the Secret $jwks_secret)"
kubectl --context "$context" create namespace "$namespace" --dry-run=client --output yaml | kubectl --context "$context" apply --filename -
# The issuer's private key stays on this machine (ignored by git), kept across runs; only its JWKS goes into the
# cluster, where both public apps read it from the mounted Secret.
for value in "$issuer" "$audience"; do
  if [[ -z "$value" || "$value" == *[[:space:]]* ]] || ! signing_check_value "$value"; then
    fail "BDK_E2E_ISSUER and BDK_E2E_AUDIENCE take no spaces, quotes or backslashes: '$value'"
  fi
done
mkdir -p "$issuer_dir"
chmod 700 "$issuer_dir"
issuer_key_create "$issuer_dir/issuer.pem"
issuer_jwks "$issuer_dir/issuer.pem" >"$work/jwks.json"
existing_jwks=$(kube get secret "$jwks_secret" --ignore-not-found --output 'go-template={{with index .data "jwks.json"}}{{base64decode .}}{{end}}')
jwks_changed=false
if [[ "$(cat "$work/jwks.json")" != "$existing_jwks" ]]; then
  jwks_changed=true
  kube create secret generic "$jwks_secret" --from-file=jwks.json="$work/jwks.json" --dry-run=client --output yaml |
    kube apply --filename -
fi
existing_apps=()
for app in library-service webhook-router; do
  if [[ -n "$(kube get deployment "$release-$app" --ignore-not-found --output name)" ]]; then existing_apps+=("$app"); fi
done

# Both REST APIs are reached through the release's gateway (its Service port-forwarded below), as on the real Node
# of e2e/node, unless URLs are given. The gateway's is also the public URL the library reports for each instance's
# webhooks.
library_url=${BDK_E2E_LIBRARY_URL:-}
webhook_url=${BDK_E2E_WEBHOOK_URL:-}
public_webhook_url=${webhook_url:-http://127.0.0.1:$gateway_port}

# global.auth: the one issuer whose tokens this run mints, its keys from the Secret above, BDK's default claims.
cat >"$work/values.yaml" <<YAML
global:
  auth:
    issuers:
      - issuer: "$issuer"
        audiences: ["$audience"]
        jwks:
          secretName: "$jwks_secret"
          key: jwks.json
library-service:
  webhooks:
    publicUrl: "$public_webhook_url"
YAML

step "helm upgrade --install $release charts/bdk (namespace $namespace)"
helm upgrade --install "$release" charts/bdk --kube-context "$context" --namespace "$namespace" \
  --values "$work/values.yaml" "${helm_args[@]}"
if [[ "$jwks_changed" == true ]]; then
  # The apps re-read the JWKS file when it changes, but the kubelet updates a mounted Secret only on its next sync
  # (a minute or more): restarting them makes the new key count at once.
  for app in ${existing_apps[@]+"${existing_apps[@]}"}; do kube rollout restart "deployment/$release-$app"; done
fi

step "waiting for the rollouts"
for app in "${apps[@]}" gateway; do
  if ! kube rollout status "deployment/$release-$app" --timeout "$rollout_timeout"; then
    diagnose "$app"
    fail "deployment/$release-$app did not roll out within $rollout_timeout"
  fi
done

# forward APP PORT: forwards the http port of the Service <release>-APP (the gateway's REST routes) to
# 127.0.0.1:PORT, and waits until it answers.
forward() {
  local app=$1 port=$2 log="$work/port-forward-$1.log"
  # kubectl itself in the background (not through a function, whose subshell would be the process killed later).
  kubectl --context "$context" --namespace "$namespace" port-forward "service/$release-$app" "$port:http" >"$log" 2>&1 &
  forwards+=("$!")
  local pid=$! deadline=$((SECONDS + 60))
  until curl --silent --output /dev/null --max-time 2 "http://127.0.0.1:$port/"; do
    kill -0 "$pid" 2>/dev/null || fail "kubectl port-forward of $release-$app to port $port stopped: $(cat "$log")"
    ((SECONDS < deadline)) || fail "port $port (service/$release-$app) does not answer after 60 s (kubectl waits for a running pod): $(cat "$log")"
    sleep 1
  done
  echo "service/$release-$app http -> http://127.0.0.1:$port"
}

if [[ -z "$library_url" || -z "$webhook_url" ]]; then
  step "port-forwarding the gateway"
  forward gateway "$gateway_port"
  library_url=${library_url:-http://127.0.0.1:$gateway_port}
  webhook_url=${webhook_url:-http://127.0.0.1:$gateway_port}
fi

step "bearer tokens of the test issuer ($issuer, audience $audience)"
admin_token=$(issuer_token "$issuer_dir/issuer.pem" "$issuer" "$audience" platform-admin '' books:publish "$token_ttl") ||
  fail "minting the platform admin's token failed"
org_token=$(issuer_token "$issuer_dir/issuer.pem" "$issuer" "$audience" seed-member "$organization" "$organization_permissions" "$token_ttl") ||
  fail "minting the organisation's token failed"
echo "platform-admin: books:publish; seed-member of $organization: $organization_permissions (valid $token_ttl s)"

step "the spec's sequence"
# The tokens go to the sequence in its environment, not on a command line.
BDK_LIBRARY_URL="$library_url" BDK_WEBHOOK_URL="$webhook_url" BDK_ADMIN_TOKEN="$admin_token" BDK_ORG_TOKEN="$org_token" \
  BDK_E2E_KUBE_CONTEXT="$context" BDK_E2E_NAMESPACE="$namespace" BDK_E2E_EXPECT_DELIVERY="$expect_delivery" \
  bash "$repo/e2e/kind/seed-sequence.sh"

step "done"
echo "BDK runs in kind cluster $cluster (kubectl context $context, namespace $namespace)."
echo "More tokens: source e2e/kind/signing.sh; issuer_token $issuer_dir/issuer.pem '$issuer' '$audience' <sub> <org> '<permissions>'"
echo "Remove it with: kind delete cluster --name $cluster"
