{{/*
Names and labels. Kubernetes limits names used as DNS labels (Services) and label values to 63 characters, so
every name is cut there; objects that add a suffix (the Envoy ConfigMap) have room for it, their limit is 253.
*/}}

{{/* The chart's name, for app.kubernetes.io/name. */}}
{{- define "library-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every object: <release>-<chart>, or the release name alone when it already contains the chart
name.
*/}}
{{- define "library-service.fullname" -}}
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

{{- define "library-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "library-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "library-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "library-service.labels" -}}
helm.sh/chart: {{ include "library-service.chart" . }}
{{ include "library-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: bdk
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "library-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "library-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is pinned. Takes an image values object. */}}
{{- define "library-service.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (.image.tag | default .appVersion) }}
{{- end }}
{{- end }}

{{/* Cluster-scoped RBAC objects are shared by every namespace: the release namespace keeps two releases apart. */}}
{{- define "library-service.clusterRoleName" -}}
{{- printf "%s-%s" .Release.Namespace (include "library-service.fullname" .) }}
{{- end }}
