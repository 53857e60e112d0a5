{{- define "maas.labels" -}}
app.kubernetes.io/part-of: maas
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "maas.image" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}
{{- if $root.Values.image.registry -}}{{ $root.Values.image.registry }}/{{- end -}}maas-{{ $name }}:{{ $root.Values.image.tag }}
{{- end -}}

{{- define "maas.commonEnv" -}}
- name: ConnectionStrings__Postgres
  valueFrom: { secretKeyRef: { name: {{ .Values.postgres.existingSecret }}, key: connectionString } }
- name: ConnectionStrings__Redis
  valueFrom: { secretKeyRef: { name: {{ .Values.redis.existingSecret }}, key: configuration } }
- name: Maas__Orleans__Clustering
  value: Redis
- name: Maas__Orleans__ClusterId
  value: {{ .Values.orleans.clusterId | quote }}
- name: Maas__Orleans__ServiceId
  value: {{ .Values.orleans.serviceId | quote }}
- name: POD_IP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
{{- end -}}
