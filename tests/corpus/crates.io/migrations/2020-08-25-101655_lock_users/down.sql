ALTER TABLE users
    DROP COLUMN account_lock_reason,
    DROP COLUMN account_lock_until;
