SELECT id, subject FROM app.tickets WHERE search @@ plainto_tsquery('english', $1) LIMIT 20;
