variable "region" {
  description = "AWS Region of the key. keyward takes the Region from the key ARN."
  type        = string
}

variable "tenant_id" {
  description = "Your tenant id at the SaaS (keyward's ^[a-z0-9][a-z0-9-]{1,62}$), used in names only."
  type        = string
}

variable "keyward_principal_arn" {
  description = "keyward's AWS principal, given to you by the SaaS, e.g. arn:aws:iam::999988887777:role/keyward-service. The only identity the role trusts."
  type        = string
}

variable "external_id" {
  description = "The ExternalId the SaaS gave you (unique to you). Not a secret, but never reuse another tenant's."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Waiting period when the key is scheduled for deletion (7-30 days); cancel-key-deletion works until it ends."
  type        = number
  default     = 30
}
