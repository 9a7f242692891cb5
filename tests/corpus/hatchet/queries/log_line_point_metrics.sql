-- GetLogLinePointMetrics (pkg/repository/sqlcv1/log_line.sql) over one day of a tenant.
SELECT
    DATE_BIN('1 minute', created_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')::timestamptz AS minute_bucket,
    COUNT(*) FILTER (WHERE level = 'DEBUG') AS debug_count,
    COUNT(*) FILTER (WHERE level = 'INFO')  AS info_count,
    COUNT(*) FILTER (WHERE level = 'WARN')  AS warn_count,
    COUNT(*) FILTER (WHERE level = 'ERROR') AS error_count
FROM v1_log_line
WHERE
    tenant_id = $1::uuid
    AND created_at BETWEEN $2::timestamptz AND $3::timestamptz
GROUP BY minute_bucket
ORDER BY minute_bucket;
