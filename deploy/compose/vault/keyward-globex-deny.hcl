# The "switch off" for tenant globex (docs/how-to/vault-transit.md, step 6): the same policy name, denying
# the three paths. Vault applies a policy change on the very next request.
path "transit/encrypt/globex-keyward" { capabilities = ["deny"] }
path "transit/decrypt/globex-keyward" { capabilities = ["deny"] }
path "transit/keys/globex-keyward"    { capabilities = ["deny"] }
