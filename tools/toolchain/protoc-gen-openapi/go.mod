// Wrapper module: builds gnostic's protoc-gen-openapi from the Go module proxy (docs/api/openapi.json is generated
// from proto/ with it, tools/generate-openapi.sh).
module bdk.local/toolchain/protoc-gen-openapi

go 1.26.0

require github.com/google/gnostic v0.7.1

require (
	github.com/google/gnostic-models v0.7.0 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20250811160224-6b04f9b4fc78 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20250811160224-6b04f9b4fc78 // indirect
	google.golang.org/protobuf v1.36.7 // indirect
)
