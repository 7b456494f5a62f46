output "key_name" {
  description = "The key URI keyward expects for gcp-kms: projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k> (no version)."
  value       = google_kms_crypto_key.keyward.id
}

# The body of POST /v1/tenants/{tenant}/keys. keyward uses its own identity: no options, no secret.
output "keyward_attach_request" {
  description = "JSON body for POST /v1/tenants/<tenant>/keys."
  value = jsonencode({
    provider = "gcp-kms"
    keyUri   = google_kms_crypto_key.keyward.id
    options  = {}
  })
}
