-- Deploy appschema

BEGIN;

CREATE SCHEMA flipr;

COMMIT;
