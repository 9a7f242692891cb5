ALTER TABLE versions DROP CONSTRAINT versions_num_max_length;
