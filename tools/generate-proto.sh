#!/usr/bin/env bash
# Generates the contract's faces from proto/: TypeScript for @bdk/proto (protoc-gen-es) and the binary
# descriptor set, with imports, that Envoy's gRPC-JSON transcoder loads. Run via `nx run proto:generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
buf lint
buf generate
mkdir -p dist/proto
buf build --output dist/proto/bdk.binpb
