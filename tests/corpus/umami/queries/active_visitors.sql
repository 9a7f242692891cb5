-- getActiveVisitors (src/queries/sql/getActiveVisitors.ts), umami's `{{name}}` parameters as $n.
select count(distinct session_id) as "visitors"
from website_event
where website_id = $1::uuid
and created_at >= $2
