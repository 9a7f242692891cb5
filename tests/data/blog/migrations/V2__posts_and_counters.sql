CREATE TABLE posts (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    title        text NOT NULL,
    body         text NOT NULL,
    published_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A per-user counter kept up to date by a trigger: the application never writes it.
CREATE TABLE user_stats (
    user_id    bigint PRIMARY KEY REFERENCES users (id),
    post_count integer NOT NULL DEFAULT 0 CHECK (post_count >= 0)
);

CREATE FUNCTION bump_post_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_stats (user_id, post_count) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET post_count = user_stats.post_count + 1;
    RETURN NEW;
END;
$$;

CREATE TRIGGER posts_count AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION bump_post_count();
