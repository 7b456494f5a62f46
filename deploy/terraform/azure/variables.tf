variable "resource_group_name" {
  description = "An existing resource group for the vault."
  type        = string
}

variable "location" {
  description = "Azure region of the vault, e.g. westeurope."
  type        = string
}

variable "vault_name" {
  description = "Globally unique Key Vault name (3-24 letters, digits and dashes)."
  type        = string
}

variable "tenant_id" {
  description = "Your tenant id at the SaaS, used in names only."
  type        = string
}

variable "keyward_principal_id" {
  description = "Object id of the identity keyward uses for your key: keyward's workload/managed identity (given by the SaaS), or the service principal of an app registration you created for keyward."
  type        = string
}

variable "keyward_client_id" {
  description = "Only when keyward should use one of its user-assigned identities: that identity's client id (sent as option clientId). Leave null for keyward's default identity."
  type        = string
  default     = null
}

variable "key_type" {
  description = "RSA-HSM (needs the premium SKU, the key lives in an HSM) or RSA. keyward wraps with RSA-OAEP-256."
  type        = string
  default     = "RSA-HSM"
  validation {
    condition     = contains(["RSA-HSM", "RSA"], var.key_type)
    error_message = "keyward's azure-keyvault provider wraps with RSA keys in Key Vault (EC keys cannot wrap; oct keys exist only in Managed HSM)."
  }
}

variable "key_size" {
  description = "RSA key size: 2048, 3072 or 4096."
  type        = number
  default     = 3072
}
