CREATE INDEX index_version_num ON versions (num);
CREATE INDEX path_categories_idx ON categories (path);
