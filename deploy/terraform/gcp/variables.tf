variable "project" {
  description = "Your Google Cloud project that holds the key."
  type        = string
}

variable "location" {
  description = "Cloud KMS location: global, a region (europe-west3) or a multi-region (eu)."
  type        = string
}

variable "tenant_id" {
  description = "Your tenant id at the SaaS, used in names only."
  type        = string
}

variable "keyward_service_account" {
  description = "The service account keyward runs as, given to you by the SaaS, e.g. keyward@operator-project.iam.gserviceaccount.com."
  type        = string
}

variable "protection_level" {
  description = "SOFTWARE or HSM."
  type        = string
  default     = "SOFTWARE"
}

variable "rotation_period" {
  description = "Automatic rotation period (seconds, with an s suffix). Older versions keep decrypting."
  type        = string
  default     = "7776000s" # 90 days
}

variable "grant_viewer" {
  description = "Also grant roles/cloudkms.viewer on the key, so keyward's health reports name the key's state (it reads the key with GetCryptoKey). keyward works without it."
  type        = bool
  default     = true
}
