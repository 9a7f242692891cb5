-- GetIncidents (store/incident.go) as gorm writes it: the soft-delete filter added,
-- `Find(&Incidents, "slo_id=?", SLOID)` ordered by `created_at desc`.
SELECT * FROM "incidents" WHERE slo_id=$1 AND "incidents"."deleted_at" IS NULL ORDER BY created_at desc
