SELECT c.id, c.body, u.handle
FROM comments c JOIN users u ON u.id = c.user_id
WHERE c.post_id = $1
ORDER BY c.created_at;
