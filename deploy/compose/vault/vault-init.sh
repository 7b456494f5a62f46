#!/bin/sh
# One-shot set-up of the trial Vault, as the customer's Vault administrator would do it
# (docs/how-to/vault-transit.md, steps 1-3), for the tenant "globex". Runs in the vault-init service;
# VAULT_ADDR and VAULT_TOKEN (the dev root token) come from compose.yaml and compose/secrets/vault.env.
# Safe to run again: every step is skipped or rewritten with the same result.
set -eu

if ! vault secrets list -format=json | grep -q '"transit/"'; then
    vault secrets enable -path=transit transit
fi
# aes256-gcm96 is Transit's default; not derived, not convergent (keyward refuses derived keys).
if ! vault read -format=json transit/keys/globex-keyward >/dev/null 2>&1; then
    vault write -f transit/keys/globex-keyward type=aes256-gcm96
fi
# encrypt + decrypt + read on this one key; nothing else (no create: keyward can never create or upsert keys).
vault policy write keyward-globex /init/keyward-globex.hcl

if ! vault auth list -format=json | grep -q '"approle/"'; then
    vault auth enable approle
fi
vault write auth/approle/role/keyward-globex \
    token_policies=keyward-globex token_ttl=1h token_max_ttl=24h

echo "vault-init: transit/keys/globex-keyward, policy keyward-globex and AppRole keyward-globex are ready"
