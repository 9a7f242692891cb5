-- Revert flips

BEGIN;

DROP TABLE flipr.flips;

COMMIT;
