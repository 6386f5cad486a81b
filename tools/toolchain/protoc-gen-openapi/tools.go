//go:build tools

// Package tools pins the protoc-gen-openapi command so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/google/gnostic/cmd/protoc-gen-openapi"
