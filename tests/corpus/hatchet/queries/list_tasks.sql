-- ListTasks (pkg/repository/sqlcv1/tasks.sql) for one id.
SELECT *
FROM v1_task
WHERE tenant_id = $1
    AND id = ANY(ARRAY[$2]::bigint[]);
