output "key_id" {
  description = "The key URI keyward expects for azure-keyvault: the versionless key id, https://<vault>.vault.azure.net/keys/<name>."
  value       = azurerm_key_vault_key.keyward.versionless_id
}

# The body of POST /v1/tenants/{tenant}/keys for keyward's own identity (no secret). With an app registration of
# yours instead, add tenantId, clientId and clientSecret by hand (README): a client secret in Terraform state
# would be readable by everyone who can read the state.
output "keyward_attach_request" {
  description = "JSON body for POST /v1/tenants/<tenant>/keys."
  value = jsonencode({
    provider = "azure-keyvault"
    keyUri   = azurerm_key_vault_key.keyward.versionless_id
    options  = { for k, v in { clientId = var.keyward_client_id } : k => v if v != null }
  })
}
