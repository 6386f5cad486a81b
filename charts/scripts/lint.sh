#!/usr/bin/env bash
# `nx run charts:lint` (with ESLint on the tests): `helm lint --strict` of every chart with its smallest install,
# ci/default-values.yaml (every default, plus an identity provider where authentication needs one), so a warning
# fails too, and a chart README.md that helm-docs would write otherwise (scripts/docs.sh). charts/test/lint.test.ts
# lints each ci/*-values.yaml scenario as well.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/helm-env.sh"
for chart in "${all_charts[@]}"; do
  "$helm" lint --strict "$charts_root/$chart" --values "$charts_root/$chart/ci/default-values.yaml"
done
# Each chart's README.md is generated from its values.yaml by helm-docs: a stale one fails the lint.
bash "$charts_root/scripts/docs.sh" --check
