CREATE TABLE categories (
    id        integer PRIMARY KEY,
    name      text NOT NULL UNIQUE,
    parent_id integer REFERENCES categories (id)
);
CREATE TABLE products (
    id          bigserial PRIMARY KEY,
    category_id integer NOT NULL REFERENCES categories (id),
    name        varchar(120) NOT NULL,
    active      boolean NOT NULL,
    featured    boolean NOT NULL,
    price       numeric(10, 2) NOT NULL CHECK (price > 0),
    created_at  timestamptz NOT NULL
);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_created_idx ON products (created_at);
