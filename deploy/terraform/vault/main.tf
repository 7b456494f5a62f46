# The customer side of keyward's vault-transit provider (docs/how-to/vault-transit.md): a Transit key, a policy
# that allows encrypt, decrypt and reading that one key (keyward's key check reads its type and version), and an
# AppRole keyward logs in with. The AppRole secret id is not created here: it would sit in the state in clear.

resource "vault_mount" "transit" {
  path        = var.transit_path
  type        = "transit"
  description = "Transit keys that wrap keyward's data keys"
}

resource "vault_transit_secret_backend_key" "keyward" {
  backend          = vault_mount.transit.path
  name             = "${var.tenant_id}-keyward"
  type             = "aes256-gcm96" # not derived, not convergent: keyward refuses derived keys
  deletion_allowed = false          # a deleted key takes the data with it

  lifecycle {
    prevent_destroy = true
  }
}

locals {
  key_path = "${vault_mount.transit.path}/keys/${vault_transit_secret_backend_key.keyward.name}"
}

# No "create" on encrypt/: without it keyward can never upsert a key, and a deleted key stays deleted.
resource "vault_policy" "keyward" {
  name   = "keyward-${var.tenant_id}"
  policy = <<-EOT
    path "${vault_mount.transit.path}/encrypt/${vault_transit_secret_backend_key.keyward.name}" {
      capabilities = ["update"]
    }
    path "${vault_mount.transit.path}/decrypt/${vault_transit_secret_backend_key.keyward.name}" {
      capabilities = ["update"]
    }
    path "${local.key_path}" {
      capabilities = ["read"]
    }
  EOT
}

resource "vault_auth_backend" "approle" {
  type = "approle"
}

resource "vault_approle_auth_backend_role" "keyward" {
  backend        = vault_auth_backend.approle.path
  role_name      = "keyward-${var.tenant_id}"
  token_policies = [vault_policy.keyward.name]
  token_ttl      = 3600
  token_max_ttl  = 86400
}
