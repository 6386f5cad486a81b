{{/*
A component's full name, computed by that chart's own helper with its values, so the names printed here are the
installed ones even with a nameOverride or fullnameOverride. Takes (dict "root" $ "chart" "<component>").
*/}}
{{- define "bdk.componentFullname" -}}
{{- $values := index .root.Values .chart }}
{{- include (printf "%s.fullname" .chart) (dict "Values" $values "Release" .root.Release "Chart" (dict "Name" .chart)) }}
{{- end }}

{{/*
One CRD of files/crds (the copy of crds/ that `nx run charts:generate` makes), as a template, so that `helm upgrade`
applies a changed CRD (Helm installs what is in a chart's crds/ folder once and never updates it; .helmignore keeps
crds/ out of the chart, so Helm does not install it that way as well). It carries the release's labels; crds.keep
marks it helm.sh/resource-policy: keep, so `helm uninstall` leaves it, and with it every book and instance.
Takes (dict "root" $ "file" "<name>.yaml").
*/}}
{{- define "bdk.crd" -}}
{{- if .root.Values.crds.install }}
{{- $path := printf "files/crds/%s" .file }}
{{- $source := .root.Files.Get $path }}
{{- if not $source }}
{{- fail (printf "%s is missing from the chart: run `npx nx run charts:generate`" $path) }}
{{- end }}
{{- $crd := fromYaml $source }}
{{- if hasKey $crd "Error" }}
{{- fail (printf "%s is not valid YAML: %s" $path $crd.Error) }}
{{- end }}
{{- $release := dict "app.kubernetes.io/instance" .root.Release.Name "app.kubernetes.io/managed-by" .root.Release.Service "helm.sh/chart" (printf "%s-%s" .root.Chart.Name .root.Chart.Version) }}
{{- $_ := set $crd.metadata "labels" (merge $release ($crd.metadata.labels | default dict)) }}
{{- if .root.Values.crds.keep }}
{{- $annotations := merge (dict "helm.sh/resource-policy" "keep") ($crd.metadata.annotations | default dict) }}
{{- $_ := set $crd.metadata "annotations" $annotations }}
{{- end }}
{{ toYaml $crd }}
{{- end }}
{{- end }}

{{/* "true" when the release runs the gateway: gateway.enabled, and an app behind it (library-service or webhook-router). */}}
{{- define "bdk.gateway.enabled" -}}
{{- if and .Values.gateway.enabled (or (index .Values "library-service").enabled (index .Values "webhook-router").enabled) }}true{{ end }}
{{- end }}

{{/* The in-cluster gateway's name: <release>-gateway, cut at 63 characters (a Service name is a DNS label). */}}
{{- define "bdk.gateway.fullname" -}}
{{- printf "%s-gateway" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bdk.gateway.selectorLabels" -}}
app.kubernetes.io/name: bdk-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bdk.gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "bdk.gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: bdk
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The gateway's Envoy config: envoy/gateway.yaml (the local stack's gateway, copied to files/gateway.yaml by
`nx run charts:generate`), with its routes, error bodies and rate limit as they are, listening on every address of
the pod, and each cluster sent to the Service of the app it names (the app's REST port: its Envoy sidecar). An app
this release does not install is looked for at <release>-<app>: its routes answer 503 until something serves there.
*/}}
{{- define "bdk.gateway.config" -}}
{{- $source := .Files.Get "files/gateway.yaml" }}
{{- if not $source }}
{{- fail "files/gateway.yaml is missing from the chart: run `npx nx run charts:generate`" }}
{{- end }}
{{- $config := fromYaml $source }}
{{- if hasKey $config "Error" }}
{{- fail (printf "files/gateway.yaml is not valid YAML: %s" $config.Error) }}
{{- end }}
{{- range $listener := $config.static_resources.listeners }}
{{- $_ := set $listener.address.socket_address "address" "0.0.0.0" }}
{{- $_ := set $listener.address.socket_address "port_value" 8080 }}
{{- end }}
{{- $apps := dict "library_service" "library-service" "webhook_router" "webhook-router" }}
{{- range $cluster := $config.static_resources.clusters }}
{{- $app := get $apps $cluster.name }}
{{- if not $app }}
{{- fail (printf "files/gateway.yaml has a cluster %s that names no BDK app" $cluster.name) }}
{{- end }}
{{- $values := index $.Values $app }}
{{- $address := printf "%s-%s" $.Release.Name $app | trunc 63 | trimSuffix "-" }}
{{- if $values.enabled }}
{{- $address = include "bdk.componentFullname" (dict "root" $ "chart" $app) }}
{{- end }}
{{- $port := dig "service" "ports" "http" 8080 $values }}
{{- range $endpoints := $cluster.load_assignment.endpoints }}
{{- range $endpoint := $endpoints.lb_endpoints }}
{{- $_ := set $endpoint.endpoint.address.socket_address "address" $address }}
{{- $_ := set $endpoint.endpoint.address.socket_address "port_value" (int $port) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $config }}
{{- end }}
