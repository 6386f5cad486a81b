#!/usr/bin/env bash
# `nx run charts:generate`: puts into the charts what Helm cannot read from outside a chart's folder, from the one
# source of each (all of it ignored by git):
#   - charts/{library-service,webhook-router}/files/envoy.yaml  <- envoy/sidecar.yaml
#   - charts/{library-service,webhook-router}/files/bdk.binpb   <- dist/proto/bdk.binpb (nx run proto:generate)
#   - charts/bdk/files/crds/*.yaml                                 <- charts/bdk/crds (rendered by templates/crds)
#   - charts/bdk/files/gateway.yaml                                <- envoy/gateway.yaml (the in-cluster gateway)
#   - charts/bdk/charts/*.tgz: the three app charts packaged into the umbrella (helm dependency build, offline:
#     every dependency is a file:// chart in this folder, and Chart.lock pins them).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/helm-env.sh"

descriptor="$workspace_root/dist/proto/bdk.binpb"
if [[ ! -f "$descriptor" ]]; then
  echo "charts: $descriptor is missing: run \`npx nx run proto:generate\`" >&2
  exit 1
fi
for chart in library-service webhook-router; do
  files="$charts_root/$chart/files"
  rm -rf "$files"
  mkdir -p "$files"
  cp "$workspace_root/envoy/sidecar.yaml" "$files/envoy.yaml"
  cp "$descriptor" "$files/bdk.binpb"
done

crds="$charts_root/bdk/files/crds"
rm -rf "$crds"
mkdir -p "$crds"
cp "$charts_root"/bdk/crds/*.yaml "$crds/"
cp "$workspace_root/envoy/gateway.yaml" "$charts_root/bdk/files/gateway.yaml"

rm -rf "$charts_root/bdk/charts"
# build, not update: it fails when Chart.lock no longer matches Chart.yaml instead of rewriting it silently.
"$helm" dependency build "$charts_root/bdk" --skip-refresh
