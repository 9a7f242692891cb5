CREATE INDEX posts_user_created_idx ON posts (user_id, created_at DESC);
CREATE INDEX comments_post_idx ON comments (post_id, created_at);
CREATE INDEX user_stats_top_idx ON user_stats (post_count DESC);
