# Sourced by the charts scripts: the pinned Helm from the toolchain, with its config, cache and data kept in a
# throw-away folder so that no repository, plugin or registry login of the user's own Helm changes the result.
charts_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
workspace_root=$(dirname "$charts_root")
# HELM_BIN=helm4 runs them with Helm 4 instead of Helm 3.
helm="${BDK_TOOLS_DIR:-$workspace_root/.tools}/bin/${HELM_BIN:-helm}"
if [[ ! -x "$helm" ]]; then
  echo "charts: helm is not installed at $helm: run \`npm run toolchain\` (tools/install-toolchain.sh)" >&2
  exit 1
fi
helm_home=$(mktemp -d "${TMPDIR:-/tmp}/bdk-helm-XXXXXX")
trap 'rm -rf "$helm_home"' EXIT
export HELM_CONFIG_HOME="$helm_home/config" HELM_CACHE_HOME="$helm_home/cache" HELM_DATA_HOME="$helm_home/data"
# The three application charts, then the umbrella that vendors them.
app_charts=(library-service book-controller webhook-router)
all_charts=("${app_charts[@]}" bdk)
