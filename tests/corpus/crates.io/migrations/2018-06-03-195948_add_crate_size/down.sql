ALTER TABLE versions
DROP COLUMN crate_size;
