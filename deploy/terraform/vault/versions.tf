terraform {
  required_version = ">= 1.5"
  required_providers {
    vault = {
      source  = "hashicorp/vault"
      version = "~> 4.0"
    }
  }
}

# Address and token from VAULT_ADDR / VAULT_TOKEN of whoever runs Terraform (a Vault administrator).
provider "vault" {}
