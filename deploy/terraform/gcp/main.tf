# The customer side of keyward's gcp-kms provider (docs/how-to/gcp-kms.md): a key ring and a symmetric
# ENCRYPT_DECRYPT key, and IAM on that key only for keyward's service account.
# keyward calls Encrypt and Decrypt (cloudkms.cryptoKeyVersions.useToEncrypt / useToDecrypt) and, if allowed,
# GetCryptoKey (cloudkms.cryptoKeys.get) to describe the key's state.

resource "google_kms_key_ring" "keyward" {
  name     = "keyward-${var.tenant_id}"
  location = var.location
}

resource "google_kms_crypto_key" "keyward" {
  name            = "tenant-data"
  key_ring        = google_kms_key_ring.keyward.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = var.rotation_period

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = var.protection_level
  }

  # Destroying the key's versions destroys your data for good: make Terraform refuse to plan it.
  lifecycle {
    prevent_destroy = true
  }
}

# On the key, not the ring or the project: keyward can use this key and no other.
resource "google_kms_crypto_key_iam_member" "keyward_encrypter_decrypter" {
  crypto_key_id = google_kms_crypto_key.keyward.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${var.keyward_service_account}"
}

resource "google_kms_crypto_key_iam_member" "keyward_viewer" {
  count         = var.grant_viewer ? 1 : 0
  crypto_key_id = google_kms_crypto_key.keyward.id
  role          = "roles/cloudkms.viewer"
  member        = "serviceAccount:${var.keyward_service_account}"
}
