-- ReadUserTuple (pkg/storage/postgres/postgres.go), as squirrel writes it: sq.Eq's keys in
-- sorted order.
SELECT object_type, object_id, relation, _user, condition_name, condition_context FROM tuple WHERE _user = $1 AND object_id = $2 AND object_type = $3 AND relation = $4 AND store = $5 AND user_type = $6
