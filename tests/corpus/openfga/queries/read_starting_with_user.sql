-- ReadStartingWithUser (pkg/storage/postgres/postgres.go) for one user, as squirrel writes it.
SELECT store, object_type, object_id, relation, _user, condition_name, condition_context, ulid, inserted_at FROM tuple WHERE _user IN ($1) AND object_type = $2 AND relation = $3 AND store = $4 ORDER BY object_id collate "C"
