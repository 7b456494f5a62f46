-- When a tenant key last unwrapped a DEK (cache hits included), so that :retire on any replica can refuse a key
-- still in use. Each replica writes it at most once a minute per key: it may lag the truth by up to a minute.
ALTER TABLE tenant_key ADD COLUMN last_used_at TIMESTAMP WITH TIME ZONE;
