{{/* Names */}}
{{- define "keyward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keyward.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "keyward.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "keyward.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "keyward.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "keyward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keyward.postgresql.secretName" -}}
{{- default (include "keyward.postgresql.fullname" .) .Values.postgresql.bundled.existingSecret -}}
{{- end -}}

{{/* Labels. The component label keeps keyward's selector apart from the bundled PostgreSQL's. */}}
{{- define "keyward.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "keyward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: keyward
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "keyward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keyward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "keyward.labels" -}}
{{ include "keyward.commonLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "keyward.postgresql.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keyward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: postgresql
{{- end -}}

{{- define "keyward.postgresql.labels" -}}
{{ include "keyward.commonLabels" . }}
app.kubernetes.io/component: postgresql
{{- end -}}

{{- define "keyward.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* keyward.x.y-z → KEYWARD_X_Y_Z (docs/reference/configuration.md, "Environment variable spelling"). */}}
{{- define "keyward.envName" -}}
{{- regexReplaceAll "[.-]" . "_" | upper -}}
{{- end -}}

{{/* Whole seconds of a duration in s, m or ms form (a bare number is seconds); -1 for forms not checked here. */}}
{{- define "keyward.seconds" -}}
{{- $d := toString . -}}
{{- if eq $d "" -}}0
{{- else if regexMatch "^[0-9]+s?$" $d -}}{{ trimSuffix "s" $d | atoi }}
{{- else if regexMatch "^[0-9]+ms$" $d -}}{{ div (add (trimSuffix "ms" $d | atoi) 999) 1000 }}
{{- else if regexMatch "^[0-9]+m$" $d -}}{{ mul (trimSuffix "m" $d | atoi) 60 }}
{{- else -}}-1
{{- end -}}
{{- end -}}

{{- define "keyward.sealConfigured" -}}
{{- if or .Values.seal.existingSecret .Values.seal.kms.provider -}}true{{- end -}}
{{- end -}}

{{/* More than one keyward pod can exist. */}}
{{- define "keyward.multiPod" -}}
{{- if or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) -}}true{{- end -}}
{{- end -}}

{{- define "keyward.metadataServerAllowed" -}}
{{- if or .Values.networkPolicy.egress.allowMetadataServer .Values.cloud.gcp.serviceAccount -}}true{{- end -}}
{{- end -}}

{{/*
Cross-value rules the schema cannot say clearly. Each message names the value to change.
Included by the Deployment, so `helm template` and `helm install` stop before anything is applied.
*/}}
{{- define "keyward.validate" -}}
{{- $v := .Values -}}
{{- $sources := list -}}
{{- if $v.database.url }}{{ $sources = append $sources "database.url" }}{{ end -}}
{{- if $v.postgresql.bundled.enabled }}{{ $sources = append $sources "postgresql.bundled.enabled" }}{{ end -}}
{{- if $v.database.embedded }}{{ $sources = append $sources "database.embedded" }}{{ end -}}
{{- if eq (len $sources) 0 -}}
{{- fail "keyward needs a database: set database.url (an external PostgreSQL, with database.existingSecret), or postgresql.bundled.enabled=true (development only, no persistence), or database.embedded=true (H2 in the pod, one-pod trial)" -}}
{{- end -}}
{{- if gt (len $sources) 1 -}}
{{- fail (printf "keyward uses one database, but %s are set together: keep one" (join " and " $sources)) -}}
{{- end -}}
{{- if and $v.database.url (not $v.database.existingSecret) -}}
{{- fail "database.existingSecret is required with database.url: the Secret holding the PostgreSQL user name and password (keys database.usernameKey / database.passwordKey); the chart never takes a password as a value" -}}
{{- end -}}
{{- if $v.database.embedded -}}
{{- if $v.autoscaling.enabled -}}
{{- fail "database.embedded=true runs H2 inside one pod; autoscaling.enabled=true would start more: use database.url (PostgreSQL) to scale" -}}
{{- end -}}
{{- if gt (int $v.replicaCount) 1 -}}
{{- fail (printf "database.embedded=true runs H2 inside one pod; replicaCount is %d: set replicaCount=1, or use database.url (PostgreSQL) to run several" (int $v.replicaCount)) -}}
{{- end -}}
{{- end -}}
{{- if and $v.persistence.enabled (not $v.database.embedded) -}}
{{- fail "persistence.enabled is only for database.embedded=true: on PostgreSQL the data directory holds nothing worth a volume" -}}
{{- end -}}
{{- if and $v.seal.existingSecret $v.seal.kms.provider -}}
{{- fail "seal.existingSecret and seal.kms.provider are both set: keyward takes its seal root key from exactly one source (it refuses to start otherwise); keep one" -}}
{{- end -}}
{{- if $v.seal.kms.provider -}}
{{- if not $v.seal.kms.keyUri }}{{ fail "seal.kms.keyUri is required with seal.kms.provider: the KMS key that wrapped the root key" }}{{ end -}}
{{- if not $v.seal.kms.wrappedRootKey }}{{ fail "seal.kms.wrappedRootKey is required with seal.kms.provider: the wrappedRootKey from POST /v1/admin/seal:wrap-root-key" }}{{ end -}}
{{- end -}}
{{- if and (include "keyward.multiPod" .) (not (include "keyward.sealConfigured" .)) -}}
{{- fail (printf "replicaCount=%d / autoscaling.enabled=%t with no seal root key: every pod would generate its own key and could not open the provider credentials another pod sealed. Set seal.existingSecret (a Secret with base64 of 32 random bytes) or seal.kms.*" (int $v.replicaCount) $v.autoscaling.enabled) -}}
{{- end -}}
{{- if $v.oidc.enabled -}}
{{- if not $v.oidc.audience }}{{ fail "oidc.audience is required when oidc.enabled: without it a token your IdP issued for any other application would be accepted" }}{{ end -}}
{{- if not (or $v.oidc.authServerUrl $v.oidc.publicKey) }}{{ fail "oidc.authServerUrl (or oidc.publicKey) is required when oidc.enabled" }}{{ end -}}
{{- if and $v.oidc.publicKey (not $v.oidc.issuer) }}{{ fail "oidc.issuer is required with oidc.publicKey: there is no discovery document to take it from" }}{{ end -}}
{{- end -}}
{{- if and $v.networkPolicy.enabled $v.database.url (not (or $v.networkPolicy.egress.database.cidrs $v.networkPolicy.egress.database.peers)) -}}
{{- fail "networkPolicy.egress.database.cidrs (or .peers) is empty, so the NetworkPolicy would block keyward from database.url: give the PostgreSQL addresses (NetworkPolicy cannot match host names), or set networkPolicy.enabled=false" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) -}}
{{- fail "ingress.hosts is empty while ingress.enabled: name at least one host" -}}
{{- end -}}
{{- $timeout := include "keyward.seconds" $v.shutdown.timeout | int -}}
{{- $delay := include "keyward.seconds" $v.shutdown.delay | int -}}
{{- /* + 5 s: after the drain keyward gives buffered audit events up to 5 s to reach the database (AuditShutdown). */ -}}
{{- if and (ge $timeout 0) (ge $delay 0) (le (int $v.terminationGracePeriodSeconds) (add $timeout $delay 5)) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed shutdown.delay + shutdown.timeout + 5 s of audit flush (%ds): Kubernetes would kill the pod in the middle of its drain" (int $v.terminationGracePeriodSeconds) (add $timeout $delay 5)) -}}
{{- end -}}
{{- end -}}

{{/* A value as keyward reads it: whole numbers without an exponent (YAML numbers arrive as floats). */}}
{{- define "keyward.scalar" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
The bundled development database's generated password: made once per render and shared by the Secret and the
pods' checksums (stored on the values map, which every template of one render sees; schema checks ran before).
*/}}
{{- define "keyward.postgresql.password" -}}
{{- $pg := .Values.postgresql.bundled -}}
{{- if not (hasKey $pg "generatedPassword") -}}
{{- $_ := set $pg "generatedPassword" (randAlphaNum 32) -}}
{{- end -}}
{{- $pg.generatedPassword -}}
{{- end -}}

{{/* Changes whenever the development database's password does, so PostgreSQL and keyward restart together. */}}
{{- define "keyward.postgresql.passwordChecksum" -}}
{{- if .Values.postgresql.bundled.existingSecret -}}
{{- .Values.postgresql.bundled.existingSecret | sha256sum | trunc 16 -}}
{{- else -}}
{{- include "keyward.postgresql.password" . | sha256sum | trunc 16 -}}
{{- end -}}
{{- end -}}
