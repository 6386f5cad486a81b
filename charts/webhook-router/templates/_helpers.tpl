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

{{/*
Where the projected ServiceAccount token for the book-controller is mounted; BDK_CONTROLLER_TOKEN_FILE is the
token file in it, which the kubelet renews before the token expires.
*/}}
{{- define "webhook-router.controllerTokenDir" -}}
/var/run/secrets/bdk/controller-token
{{- end }}

{{/*
The authentication settings in force, as JSON: the chart's own auth when it names an issuer, else global.auth
(the bdk umbrella chart's one place for them). Authentication is mandatory: with neither, rendering fails here;
so does an issuer listed twice, which the app would refuse at start.
*/}}
{{- define "webhook-router.auth" -}}
{{- $auth := .Values.auth | default dict }}
{{- if not $auth.issuers }}
{{- $auth = (.Values.global | default dict).auth | default dict }}
{{- end }}
{{- if not $auth.issuers }}
{{- fail "webhook-router: authentication is mandatory and no identity provider is configured. Set at least one issuer in global.auth.issuers (bdk chart) or auth.issuers (this chart alone): see the chart's values.yaml" }}
{{- end }}
{{- $seen := dict }}
{{- range $auth.issuers }}
{{- if hasKey $seen .issuer }}
{{- fail (printf "%s: the issuer %s is listed twice in auth.issuers (or global.auth.issuers): list each identity provider once, with all its audiences" "webhook-router" .issuer) }}
{{- end }}
{{- $_ := set $seen .issuer true }}
{{- end }}
{{- toJson $auth }}
{{- end }}

{{/*
The file BDK_AUTH_CONFIG names, built from the auth settings: one entry per issuer with jwksUrl, or jwksFile where
the issuer's JWKS Secret or ConfigMap is mounted (webhook-router.jwksVolumes).
*/}}
{{- define "webhook-router.authConfig" -}}
{{- $auth := include "webhook-router.auth" . | fromJson }}
{{- $issuers := list }}
{{- range $index, $issuer := $auth.issuers }}
{{- $entry := dict "issuer" $issuer.issuer "audiences" $issuer.audiences "organizationClaim" (dig "claims" "organization" "org_id" $issuer) "permissionsClaim" (dig "claims" "permissions" "permissions" $issuer) }}
{{- if $issuer.jwks.url }}
{{- $_ := set $entry "jwksUrl" $issuer.jwks.url }}
{{- else }}
{{- $_ := set $entry "jwksFile" (printf "/etc/bdk/jwks/%d/jwks.json" $index) }}
{{- end }}
{{- $issuers = append $issuers $entry }}
{{- end }}
{{- dict "issuers" $issuers "clockToleranceSeconds" (ternary $auth.clockToleranceSeconds 30 (hasKey $auth "clockToleranceSeconds")) | toPrettyJson }}
{{- end }}

{{/*
The pod's volumes for the JWKS documents kept in Secrets or ConfigMaps, one per such issuer, each holding the key
as jwks.json. Whole-directory mounts (no subPath), so the kubelet brings a rotated key set into the pod.
*/}}
{{- define "webhook-router.jwksVolumes" -}}
{{- $auth := include "webhook-router.auth" . | fromJson }}
{{- range $index, $issuer := $auth.issuers }}
{{- if $issuer.jwks.secretName }}
- name: jwks-{{ $index }}
  secret:
    secretName: {{ $issuer.jwks.secretName }}
    items:
      - key: {{ $issuer.jwks.key | quote }}
        path: jwks.json
{{- else if $issuer.jwks.configMapName }}
- name: jwks-{{ $index }}
  configMap:
    name: {{ $issuer.jwks.configMapName }}
    items:
      - key: {{ $issuer.jwks.key | quote }}
        path: jwks.json
{{- end }}
{{- end }}
{{- end }}

{{/* The app container's mounts of those volumes, read-only, at the directory of each issuer's jwksFile. */}}
{{- define "webhook-router.jwksVolumeMounts" -}}
{{- $auth := include "webhook-router.auth" . | fromJson }}
{{- range $index, $issuer := $auth.issuers }}
{{- if not $issuer.jwks.url }}
- name: jwks-{{ $index }}
  mountPath: /etc/bdk/jwks/{{ $index }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* Where the deliveries volume is mounted (the SQLite store's directory); the root filesystem is read-only. */}}
{{- define "webhook-router.deliveriesDir" -}}
/var/lib/bdk/webhook-router
{{- end }}

{{/* The PersistentVolumeClaim the SQLite store lives on: existingClaim, or the one this chart creates. */}}
{{- define "webhook-router.deliveriesClaim" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-deliveries" (include "webhook-router.fullname" .)) }}
{{- end }}

{{/*
Refuses settings that would lose or corrupt deliveries: SQLite is one file that exactly one pod may open, and the
NATS store needs to know where NATS is.
*/}}
{{- define "webhook-router.checkDelivery" -}}
{{- if eq .Values.delivery.store "sqlite" }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "webhook-router: replicaCount is %d, but delivery.store sqlite keeps the queue in one SQLite file that only one pod may open. Keep replicaCount at 1, or set delivery.store to nats (with delivery.nats.url) to run several replicas" (int .Values.replicaCount)) }}
{{- end }}
{{- else if not .Values.delivery.nats.url }}
{{- fail "webhook-router: delivery.store is nats, but delivery.nats.url is empty: name the NATS servers, e.g. nats://nats.messaging.svc:4222" }}
{{- end }}
{{- end }}

{{/*
The Envoy sidecar's per-source token bucket (rateLimits.edge), an http_filters entry placed before the transcoder,
which rewrites the REST path. The {source} segment of a webhook POST is the descriptor; an empty descriptor value
gives every source a bucket of its own. Any other request makes the expression fail (a path it does not match, or
the match against '' for another method), and is not limited.
*/}}
{{- define "webhook-router.edgeRateLimitFilter" -}}
{{- $edge := .Values.rateLimits.edge -}}
- name: envoy.filters.http.local_ratelimit
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
    stat_prefix: webhook_source
    max_dynamic_descriptors: {{ $edge.maxSources | int64 }}
    filter_enabled: { default_value: { numerator: 100, denominator: HUNDRED }, runtime_key: sidecar.webhook_rate_limit.enabled }
    filter_enforced: { default_value: { numerator: 100, denominator: HUNDRED }, runtime_key: sidecar.webhook_rate_limit.enforced }
    always_consume_default_token_bucket: false
    rate_limits:
      - actions:
          - extension:
              name: webhook_source
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor
                descriptor_key: webhook_source
                skip_if_error: true
                text: >-
                  request.method == 'POST'
                  ? re.extract(request.path, '^/api/v1/webhooks/([^/?:]+)(/instances/[^/?]+)?([?].*)?$', '\\1')
                  : re.extract('', '^x$', '')
    descriptors:
      - entries: [{ key: webhook_source, value: "" }]
        token_bucket: { max_tokens: {{ $edge.burst | int64 }}, tokens_per_fill: {{ $edge.requestsPerSecond | int64 }}, fill_interval: 1s }
    response_headers_to_add:
      - header: { key: retry-after, value: "1" }
        append_action: OVERWRITE_IF_EXISTS_OR_ADD
      - header: { key: x-envoy-ratelimited, value: "true" }
        append_action: OVERWRITE_IF_EXISTS_OR_ADD
{{- end }}

{{/* The answer to a rate-limited request, JSON like every other error of the sidecar: RESOURCE_EXHAUSTED. */}}
{{- define "webhook-router.edgeRateLimitReply" -}}
- filter:
    status_code_filter: { comparison: { op: EQ, value: { default_value: 429, runtime_key: sidecar.local_reply.429 } } }
  body_format_override:
    json_format: { code: 8, message: "too many webhooks from this source: retry after the Retry-After header's seconds" }
{{- end }}
