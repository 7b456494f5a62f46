# What keyward may do with tenant globex's Transit key (docs/how-to/vault-transit.md, step 2).
path "transit/encrypt/globex-keyward" {
  capabilities = ["update"]
}
path "transit/decrypt/globex-keyward" {
  capabilities = ["update"]
}
path "transit/keys/globex-keyward" {
  capabilities = ["read"]
}
