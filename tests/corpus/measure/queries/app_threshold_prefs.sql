-- getAppThresholdPrefsByAppID (backend/api/handlers/app_threshold_prefs.go), as sqlf
-- writes it for Postgres.
SELECT app_id, error_good_threshold, error_caution_threshold, error_spike_min_count_threshold, error_spike_min_rate_threshold, created_at, updated_at FROM measure.app_threshold_prefs WHERE app_id = $1
