ALTER TABLE publish_rate_overrides DROP COLUMN expires_at;
