output "key_uri" {
  description = "The key URI keyward expects for vault-transit: vault-transit://<mount>/<key>."
  value       = "vault-transit://${vault_mount.transit.path}/${vault_transit_secret_backend_key.keyward.name}"
}

output "role_id" {
  description = "The AppRole role id (an identifier, not a secret)."
  value       = vault_approle_auth_backend_role.keyward.role_id
}

# The body of POST /v1/tenants/{tenant}/keys without the secret id, which you add (README).
output "keyward_attach_request" {
  description = "JSON body for POST /v1/tenants/<tenant>/keys, without secretId."
  value = jsonencode({
    provider = "vault-transit"
    keyUri   = "vault-transit://${vault_mount.transit.path}/${vault_transit_secret_backend_key.keyward.name}"
    options = {
      address = var.vault_address
      roleId  = vault_approle_auth_backend_role.keyward.role_id
    }
  })
}
