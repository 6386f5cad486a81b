#!/usr/bin/env bash
# `nx run charts:docs`: writes each chart's README.md with helm-docs (the pinned build in .tools/, see
# tools/toolchain/helm-docs) from its Chart.yaml and the comments of its values.yaml. The comment block right above a
# key is that key's description: helm-docs reads descriptions marked `# --`, so the first line of each unmarked block
# is marked in a copy of the chart, and values.yaml itself stays as written. A comment block separated from the key
# below it by a blank line describes a group of keys and is not repeated in the table.
#   docs.sh [--check] [charts root]
# --check writes nothing and fails, naming each README.md that differs from what it would write (`nx run
# charts:lint` runs it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/helm-env.sh"
helm_docs="${BDK_TOOLS_DIR:-$workspace_root/.tools}/bin/helm-docs"
if [[ ! -x "$helm_docs" ]]; then
  echo "charts: helm-docs is not installed at $helm_docs: run \`npm run toolchain\` (tools/install-toolchain.sh)" >&2
  exit 1
fi
check=false
if [[ ${1:-} == --check ]]; then
  check=true
  shift
fi
root=${1:-$charts_root}
work=$(mktemp -d "${TMPDIR:-/tmp}/bdk-helm-docs-XXXXXX")
trap 'rm -rf "$helm_home" "$work"' EXIT

for chart in "${all_charts[@]}"; do
  mkdir -p "$work/$chart"
  cp "$root/$chart/Chart.yaml" "$work/$chart/Chart.yaml"
  awk '
    function flush() { for (i = 1; i <= n; i++) print block[i]; n = 0 }
    /^[[:space:]]*#/ { block[++n] = $0; next }
    /^[[:space:]]*[A-Za-z0-9_."-]+:/ {
      if (n > 0) {
        marked = 0
        for (i = 1; i <= n; i++) if (block[i] ~ /^[[:space:]]*# --/) marked = 1
        if (!marked) sub(/#[[:space:]]?/, "# -- ", block[1])
      }
      flush(); print; next
    }
    { flush(); print }
    END { flush() }
  ' "$root/$chart/values.yaml" >"$work/$chart/values.yaml"
done

"$helm_docs" --chart-search-root "$work" --sort-values-order file --skip-version-footer --log-level warning

stale=()
for chart in "${all_charts[@]}"; do
  if $check; then
    cmp -s "$work/$chart/README.md" "$root/$chart/README.md" || stale+=("$chart/README.md")
  else
    cp "$work/$chart/README.md" "$root/$chart/README.md"
  fi
done
if ((${#stale[@]} > 0)); then
  echo "charts: ${stale[*]} not as generated from values.yaml: run \`npx nx run charts:docs\`" >&2
  exit 1
fi
