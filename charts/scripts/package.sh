#!/usr/bin/env bash
# `nx run charts:build`: the four charts as installable archives in dist/charts (the umbrella with the app charts
# vendored by `nx run charts:generate`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/helm-env.sh"
out="$workspace_root/dist/charts"
rm -rf "$out"
mkdir -p "$out"
for chart in "${all_charts[@]}"; do
  "$helm" package "$charts_root/$chart" --destination "$out"
done
