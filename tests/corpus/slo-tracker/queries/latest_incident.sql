-- The newest incident of an SLO (store/incident.go): gorm's `First` orders by the primary
-- key after the given order and takes one row.
SELECT * FROM "incidents" WHERE slo_id=$1 AND "incidents"."deleted_at" IS NULL ORDER BY created_at DESC,"incidents"."id" LIMIT 1
