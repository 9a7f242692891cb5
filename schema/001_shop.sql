-- The demo shop: the catalog that plangate checks on itself.

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'delivered', 'cancelled');

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

CREATE TABLE customers (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status      order_status NOT NULL,
    total       numeric(12, 2) NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE order_items (
    order_id   bigint NOT NULL REFERENCES orders (id),
    line_no    integer NOT NULL,
    product_id bigint NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 20),
    unit_price numeric(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE inventory (
    product_id   bigint PRIMARY KEY REFERENCES products (id),
    warehouse    text NOT NULL CHECK (warehouse IN ('ams', 'fra', 'iad', 'sfo')),
    quantity     integer NOT NULL CHECK (quantity >= 0),
    restocked_at timestamptz
);

CREATE TABLE cart_items (
    customer_id bigint NOT NULL REFERENCES customers (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    smallint NOT NULL CHECK (quantity BETWEEN 1 AND 9),
    added_at    timestamptz NOT NULL
);

-- The index that took the listing query from 1.8 s to 12 ms at 340k products.
CREATE INDEX idx_products_category_listing
    ON products (category_id, active, featured DESC, created_at DESC) WHERE active;

-- The homepage feed: featured first, newest first, across all categories. Without the
-- listing index above, the planner reads this one for a category's listing too once the
-- table is large, filtering out the other categories' rows: the index gives order, not
-- selection. `plangate curve product_listing` shows the scale where that happens.
CREATE INDEX products_featured_created_idx ON products (featured DESC, created_at DESC);

CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC);
CREATE INDEX order_items_product_idx ON order_items (product_id);
CREATE INDEX cart_items_customer_idx ON cart_items (customer_id);
CREATE INDEX inventory_low_stock_idx ON inventory (quantity, product_id) WHERE quantity < 10;
