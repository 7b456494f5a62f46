-- Provider credentials (Vault AppRole secret id, Azure client secret...) of a tenant key, as one sealed JSON map.
-- Sealed with AES-256-GCM under keyward.seal.root-key, which is never stored in this database.
ALTER TABLE tenant_key ADD COLUMN secrets_sealed VARCHAR(16384);
