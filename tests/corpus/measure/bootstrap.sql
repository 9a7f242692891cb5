-- What self-host/postgres/init-postgres.sh does before dbmate runs: the schema the
-- migrations create their tables in, first on the search path (the script sets it on the
-- database; here it holds for the session that applies the migrations).
CREATE SCHEMA IF NOT EXISTS measure;
SET search_path TO measure, "$user", public;
