{{/*
Names and labels. Kubernetes limits names used as DNS labels (Services) and label values to 63 characters, so
every name is cut there; objects that add a suffix (the Envoy ConfigMap) have room for it, their limit is 253.
*/}}

{{/* The chart's name, for app.kubernetes.io/name. */}}
{{- define "book-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every object: <release>-<chart>, or the release name alone when it already contains the chart
name. The webhook-router chart derives this Service's name the same way for its default controller URL
(webhook-router.controllerUrl): keep the two in step.
*/}}
{{- define "book-controller.fullname" -}}
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

{{- define "book-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "book-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "book-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "book-controller.labels" -}}
helm.sh/chart: {{ include "book-controller.chart" . }}
{{ include "book-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: bdk
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "book-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "book-controller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is pinned. Takes an image values object. */}}
{{- define "book-controller.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (.image.tag | default .appVersion) }}
{{- end }}
{{- end }}

{{/* Cluster-scoped RBAC objects are shared by every namespace: the release namespace keeps two releases apart. */}}
{{- define "book-controller.clusterRoleName" -}}
{{- printf "%s-%s" .Release.Namespace (include "book-controller.fullname" .) }}
{{- end }}

{{/*
The Kubernetes username a caller's ServiceAccount tokens authenticate as, for BDK_LIBRARY_SERVICE_IDENTITY and
BDK_WEBHOOK_ROUTER_IDENTITY: system:serviceaccount:<namespace>:<name> from internalAuth.callers.<caller>, each part
defaulting to what the caller chart installed by the same release uses: the release namespace, and the caller's
full name (its default ServiceAccount name), derived by the same rule as library-service.fullname and
webhook-router.fullname. The bdk umbrella chart checks the result against the ServiceAccounts it renders.
Takes (dict "root" $ "chart" "library-service" | "webhook-router").
*/}}
{{- define "book-controller.callerIdentity" -}}
{{- $key := ternary "libraryService" "webhookRouter" (eq .chart "library-service") }}
{{- $caller := index .root.Values.internalAuth.callers $key }}
{{- $release := .root.Release.Name }}
{{- $default := ternary $release (printf "%s-%s" $release .chart) (contains .chart $release) | trunc 63 | trimSuffix "-" }}
{{- printf "system:serviceaccount:%s:%s" ($caller.namespace | default .root.Release.Namespace) ($caller.serviceAccount | default $default) }}
{{- end }}

{{/* The leader-election Lease in the release namespace: leaderElection.leaseName, or the full name. */}}
{{- define "book-controller.leaseName" -}}
{{- .Values.leaderElection.leaseName | default (include "book-controller.fullname" .) }}
{{- end }}

{{/*
Refuses settings under which two pods could reconcile at once: several replicas without leader election, or
timings where the leader would still act after its Lease may have passed to another pod.
*/}}
{{- define "book-controller.checkLeaderElection" -}}
{{- $election := .Values.leaderElection }}
{{- if and (not $election.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "book-controller: replicaCount is %d with leaderElection.enabled false: every pod would reconcile the same instances at once. Enable leader election, or keep replicaCount at 1" (int .Values.replicaCount)) }}
{{- end }}
{{- if not (and (gt (int $election.leaseDurationMs) (int $election.renewDeadlineMs)) (gt (int $election.renewDeadlineMs) (int $election.retryPeriodMs))) }}
{{- fail (printf "book-controller: leaderElection needs leaseDurationMs > renewDeadlineMs > retryPeriodMs, got %d, %d, %d" (int $election.leaseDurationMs) (int $election.renewDeadlineMs) (int $election.retryPeriodMs)) }}
{{- end }}
{{- end }}
