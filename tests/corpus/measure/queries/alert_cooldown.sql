-- isInCooldown (backend/alerts/alerts/alerts.go), as sqlf writes it for Postgres.
SELECT created_at FROM alerts WHERE team_id = $1 AND app_id = $2 AND entity_id = $3 AND type = $4 ORDER BY created_at DESC LIMIT $5
