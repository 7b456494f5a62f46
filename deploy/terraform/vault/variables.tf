variable "tenant_id" {
  description = "Your tenant id at the SaaS, used in names only."
  type        = string
}

variable "transit_path" {
  description = "Mount path of the Transit engine created here."
  type        = string
  default     = "transit"
}

variable "vault_address" {
  description = "Your Vault's API address as keyward reaches it (https, without /v1); goes into the attach request."
  type        = string
}
