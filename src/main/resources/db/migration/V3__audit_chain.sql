-- Tamper-evident audit trail (docs/explanation/audit-trail.md): every event carries its position in its chain,
-- the hash of its predecessor and its own hash. One chain per tenant; events without a tenant form the chain
-- '_global' (an id no tenant can have: tenant ids start with [a-z0-9]). Rows written before this migration keep
-- NULLs here and are reported as unchained by :verify.
ALTER TABLE audit_event ADD COLUMN chain_id VARCHAR(63);
ALTER TABLE audit_event ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_event ADD COLUMN prev_hash VARCHAR(64);
ALTER TABLE audit_event ADD COLUMN hash VARCHAR(64);
CREATE UNIQUE INDEX audit_event_chain_position ON audit_event (chain_id, chain_seq);

-- The head of each chain. Appends lock this row (SELECT ... FOR UPDATE) so that concurrent writers, on one
-- replica or many, extend a chain one at a time; :verify compares it with the last row to detect removed tails.
CREATE TABLE audit_chain_head (
    chain_id   VARCHAR(63) NOT NULL PRIMARY KEY,
    last_seq   BIGINT      NOT NULL,
    last_hash  VARCHAR(64) NOT NULL
);

-- A tenant's audit webhook: every event of its chain is POSTed there, signed with HMAC-SHA256 under the secret.
-- The secret is sealed (keyward.seal.root-key, bound to the tenant) and never returned by the API.
CREATE TABLE audit_webhook (
    tenant_id      VARCHAR(63)   NOT NULL PRIMARY KEY REFERENCES tenant (id),
    url            VARCHAR(2048) NOT NULL,
    secret_sealed  VARCHAR(4096) NOT NULL,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
