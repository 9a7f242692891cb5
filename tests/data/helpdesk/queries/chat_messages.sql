SELECT m.body, u.handle
FROM app.messages m JOIN app.users u ON u.id = m.author_id
WHERE m.ticket_id = $1 AND m.channel = 'chat'
ORDER BY m.sent_at;
