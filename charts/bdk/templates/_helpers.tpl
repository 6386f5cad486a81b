{{/*
A component's full name, computed by that chart's own helper with its values, so the names printed here are the
installed ones even with a nameOverride or fullnameOverride. Takes (dict "root" $ "chart" "<component>").
*/}}
{{- define "bdk.componentFullname" -}}
{{- $values := index .root.Values .chart }}
{{- include (printf "%s.fullname" .chart) (dict "Values" $values "Release" .root.Release "Chart" (dict "Name" .chart)) }}
{{- end }}
