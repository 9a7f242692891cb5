SELECT kind, created_at FROM app.events
WHERE ticket_id = $1 AND created_at >= '2024-06-01'
ORDER BY created_at;
