terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {
    key_vault {
      # Never purge a deleted key or vault on `terraform destroy`: purge protection would refuse anyway, and a
      # soft-deleted key can still be recovered (az keyvault key recover) within the retention period.
      purge_soft_delete_on_destroy       = false
      purge_soft_deleted_keys_on_destroy = false
    }
  }
}
