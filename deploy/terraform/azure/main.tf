# The customer side of keyward's azure-keyvault provider (docs/how-to/azure-keyvault.md): a Key Vault with Azure
# RBAC, soft delete and purge protection; an RSA(-HSM) key limited to wrapKey/unwrapKey; and, on that key only,
# "Key Vault Crypto Service Encryption User" for keyward's identity: exactly the key read (get), wrapKey and
# unwrapKey that keyward calls.

data "azurerm_client_config" "current" {}

resource "azurerm_key_vault" "keyward" {
  name                       = var.vault_name
  location                   = var.location
  resource_group_name        = var.resource_group_name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = var.key_type == "RSA-HSM" ? "premium" : "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
}

# Whoever runs Terraform needs to create the key: a data-plane role on the vault (RBAC vaults have no access
# policies). Remove it afterwards if your administrators should not keep it.
resource "azurerm_role_assignment" "terraform_crypto_officer" {
  scope                = azurerm_key_vault.keyward.id
  role_definition_name = "Key Vault Crypto Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_key_vault_key" "keyward" {
  name         = "keyward-${var.tenant_id}"
  key_vault_id = azurerm_key_vault.keyward.id
  key_type     = var.key_type
  key_size     = var.key_size
  key_opts     = ["wrapKey", "unwrapKey"]

  depends_on = [azurerm_role_assignment.terraform_crypto_officer]

  lifecycle {
    prevent_destroy = true
  }
}

# Scoped to the key (its ARM id), not the vault: keyward can use this key and no other.
resource "azurerm_role_assignment" "keyward" {
  scope                = azurerm_key_vault_key.keyward.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = var.keyward_principal_id
}
