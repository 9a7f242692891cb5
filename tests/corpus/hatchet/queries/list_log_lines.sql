-- ListLogLines (pkg/repository/sqlcv1/log_line.sql) for one task, newest first, as the
-- dashboard asks for it: the optional filters are NULL.
SELECT *
FROM v1_log_line l
WHERE l.tenant_id = $1::uuid
    AND l.task_id = ANY(ARRAY[$2]::bigint[])
    AND (NULL::text IS NULL OR l.message ILIKE CONCAT('%', NULL::text, '%'))
ORDER BY
    CASE WHEN 'DESC' = 'DESC' THEN l.created_at END DESC,
    CASE WHEN 'DESC' = 'ASC' THEN l.created_at END ASC
LIMIT COALESCE(NULL::bigint, 1000)
OFFSET COALESCE(NULL::bigint, 0);
