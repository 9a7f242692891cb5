CREATE INDEX IF NOT EXISTS index_version_crate_id ON versions USING btree (crate_id);
