SELECT u.handle, s.post_count
FROM user_stats s JOIN users u ON u.id = s.user_id
ORDER BY s.post_count DESC
LIMIT 10;
