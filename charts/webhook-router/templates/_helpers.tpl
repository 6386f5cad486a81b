{{/*
Names and labels. Kubernetes limits names used as DNS labels (Services) and label values to 63 characters, so
every name is cut there; objects that add a suffix (the Envoy ConfigMap) have room for it, their limit is 253.
*/}}

{{/* The chart's name, for app.kubernetes.io/name. */}}
{{- define "webhook-router.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every object: <release>-<chart>, or the release name alone when it already contains the chart
name.
*/}}
{{- define "webhook-router.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "webhook-router.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "webhook-router.selectorLabels" -}}
app.kubernetes.io/name: {{ include "webhook-router.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "webhook-router.labels" -}}
helm.sh/chart: {{ include "webhook-router.chart" . }}
{{ include "webhook-router.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: webhooks
app.kubernetes.io/part-of: bdk
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "webhook-router.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "webhook-router.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is pinned. Takes an image values object. */}}
{{- define "webhook-router.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (.image.tag | default .appVersion) }}
{{- end }}
{{- end }}

{{/*
BDK_CONTROLLER_URL: controllerUrl, or the book-controller installed by the same release (the bdk umbrella chart
installs both under one release name). The host is that chart's full name, derived by the same rule as
book-controller.fullname with the chart's default name; set controllerUrl when the book-controller has a
nameOverride or fullnameOverride, or lives in another release or namespace.
*/}}
{{- define "webhook-router.controllerUrl" -}}
{{- if .Values.controllerUrl }}
{{- .Values.controllerUrl }}
{{- else }}
{{- $name := "book-controller" }}
{{- $host := ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) | trunc 63 | trimSuffix "-" }}
{{- printf "http://%s:9090" $host }}
{{- end }}
{{- end }}
