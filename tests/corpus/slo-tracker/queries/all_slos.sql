-- GetAllSLOs (store/slo.go) as gorm writes it: every SLO not deleted, by name.
SELECT * FROM "slos" WHERE "slos"."deleted_at" IS NULL ORDER BY slo_name
