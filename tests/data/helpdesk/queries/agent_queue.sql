-- An agent's open tickets, most urgent first.
SELECT id, subject, priority
FROM app.tickets
WHERE assignee_id = $1 AND status IN ('new', 'open')
ORDER BY priority DESC, created_at
LIMIT 25;
