-- Revert appschema

BEGIN;

DROP SCHEMA flipr;

COMMIT;
