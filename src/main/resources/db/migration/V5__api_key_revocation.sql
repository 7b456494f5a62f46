-- Revoked API keys keep their row (GET /v1/api-keys shows them, with revokedAt; the audit trail names them), so a
-- revocation is a timestamp, never a DELETE. A row with revoked_at set never authenticates again, on any replica.
ALTER TABLE api_key ADD COLUMN revoked_at TIMESTAMP WITH TIME ZONE;
