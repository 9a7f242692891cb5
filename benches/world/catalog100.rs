#![expect(unreachable_pub, reason = "the bench's main reads what it needs")]
//! A realistic catalog, generated: 30 tables of a shop with its customers' activity (about
//! 20M rows at scale 1, two thirds of them in four tables), foreign keys and the indexes a
//! team adds for them, and 100 queries of the kinds a catalog holds: lookups by key, a
//! parent's latest children under a LIMIT, joins, and aggregates.

use std::fmt::Write as _;
use std::path::Path;

use super::{Sample, check_with_memory, median, phases};

/// (name, rows at scale 1 or fixed, columns after `id`, extra config lines for its columns).
struct Table {
    name: &'static str,
    rows: &'static str,
    columns: &'static str,
    generators: &'static str,
}

const TABLES: &[Table] = &[
    t("regions", "fixed_rows = 50", "name text NOT NULL", ""),
    t("countries", "fixed_rows = 200", "region_id int NOT NULL REFERENCES regions, name text NOT NULL", ""),
    t("categories", "fixed_rows = 500", "parent_id bigint REFERENCES categories, name text NOT NULL", ""),
    t("warehouses", "fixed_rows = 40", "country_id bigint NOT NULL REFERENCES countries, name text NOT NULL", ""),
    t("carriers", "fixed_rows = 30", "name text NOT NULL", ""),
    t("suppliers", "rows = 20_000", "country_id bigint NOT NULL REFERENCES countries, name text NOT NULL", ""),
    t("brands", "rows = 5_000", "name text NOT NULL", ""),
    t(
        "products",
        "rows = 200_000",
        "category_id bigint NOT NULL REFERENCES categories, brand_id bigint NOT NULL REFERENCES brands, \
         supplier_id bigint NOT NULL REFERENCES suppliers, name text NOT NULL, price numeric(10, 2) NOT NULL, \
         active boolean NOT NULL, created_at timestamptz NOT NULL",
        "category_id = \"ref(categories.id, zipf = 1.0)\"\nactive = \"bool(0.9)\"\nprice = \"float(1, 500)\"",
    ),
    t(
        "customers",
        "rows = 1_000_000",
        "region_id bigint NOT NULL REFERENCES regions, email text NOT NULL, name text NOT NULL, \
         created_at timestamptz NOT NULL",
        "",
    ),
    t(
        "addresses",
        "rows = 600_000",
        "customer_id bigint NOT NULL REFERENCES customers, country_id bigint NOT NULL REFERENCES countries, \
         city text NOT NULL",
        "",
    ),
    t(
        "orders",
        "rows = 3_000_000",
        "customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL, total numeric(12, 2) NOT NULL, \
         created_at timestamptz NOT NULL",
        "customer_id = \"ref(customers.id, zipf = 0.8)\"\nstatus = 'choice(\"delivered\" = 0.7, \"shipped\" = 0.1, \
         \"paid\" = 0.1, \"pending\" = 0.05, \"cancelled\" = 0.05)'\ntotal = \"float(5, 2000)\"",
    ),
    t(
        "order_items",
        "rows = 4_500_000",
        "order_id bigint NOT NULL REFERENCES orders, product_id bigint NOT NULL REFERENCES products, \
         quantity int NOT NULL, price numeric(10, 2) NOT NULL",
        "product_id = \"ref(products.id, zipf = 1.0)\"\nquantity = \"int(1, 5)\"\nprice = \"float(1, 500)\"",
    ),
    t(
        "payments",
        "rows = 2_000_000",
        "order_id bigint NOT NULL REFERENCES orders, method text NOT NULL, amount numeric(12, 2) NOT NULL, \
         paid_at timestamptz NOT NULL",
        "method = 'choice(\"card\" = 0.8, \"transfer\" = 0.15, \"voucher\" = 0.05)'\namount = \"float(5, 2000)\"",
    ),
    t(
        "shipments",
        "rows = 1_500_000",
        "order_id bigint NOT NULL REFERENCES orders, carrier_id bigint NOT NULL REFERENCES carriers, \
         warehouse_id bigint NOT NULL REFERENCES warehouses, shipped_at timestamptz NOT NULL",
        "",
    ),
    t(
        "events",
        "rows = 2_000_000",
        "customer_id bigint NOT NULL REFERENCES customers, kind text NOT NULL, at timestamptz NOT NULL",
        "customer_id = \"ref(customers.id, zipf = 1.0)\"\nkind = 'choice(\"view\" = 0.8, \"search\" = 0.15, \"login\" = 0.05)'",
    ),
    t(
        "reviews",
        "rows = 1_000_000",
        "product_id bigint NOT NULL REFERENCES products, customer_id bigint NOT NULL REFERENCES customers, \
         rating int NOT NULL, created_at timestamptz NOT NULL",
        "product_id = \"ref(products.id, zipf = 1.1)\"\nrating = \"int(1, 5)\"",
    ),
    t(
        "inventory",
        "rows = 400_000",
        "product_id bigint NOT NULL REFERENCES products, warehouse_id bigint NOT NULL REFERENCES warehouses, \
         quantity int NOT NULL",
        "quantity = \"zipf(500, 0.6)\"",
    ),
    t(
        "inventory_moves",
        "rows = 1_000_000",
        "product_id bigint NOT NULL REFERENCES products, warehouse_id bigint NOT NULL REFERENCES warehouses, \
         delta int NOT NULL, at timestamptz NOT NULL",
        "delta = \"int(-20, 50)\"",
    ),
    t(
        "carts",
        "rows = 300_000",
        "customer_id bigint NOT NULL REFERENCES customers, created_at timestamptz NOT NULL",
        "",
    ),
    t(
        "cart_items",
        "rows = 600_000",
        "cart_id bigint NOT NULL REFERENCES carts, product_id bigint NOT NULL REFERENCES products, quantity int NOT NULL",
        "quantity = \"int(1, 9)\"",
    ),
    t("coupons", "rows = 10_000", "code text NOT NULL, percent int NOT NULL", "percent = \"int(5, 50)\""),
    t(
        "order_coupons",
        "rows = 200_000",
        "order_id bigint NOT NULL REFERENCES orders, coupon_id bigint NOT NULL REFERENCES coupons",
        "",
    ),
    t(
        "returns",
        "rows = 150_000",
        "order_id bigint NOT NULL REFERENCES orders, reason text NOT NULL, created_at timestamptz NOT NULL",
        "reason = 'choice(\"damaged\", \"wrong item\", \"late\", \"changed mind\")'",
    ),
    t(
        "tickets",
        "rows = 200_000",
        "customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL, created_at timestamptz NOT NULL",
        "status = 'choice(\"open\" = 0.2, \"pending\" = 0.1, \"solved\" = 0.7)'",
    ),
    t(
        "ticket_messages",
        "rows = 600_000",
        "ticket_id bigint NOT NULL REFERENCES tickets, body text NOT NULL, created_at timestamptz NOT NULL",
        "body = \"text(5, 30)\"",
    ),
    t(
        "wishlists",
        "rows = 300_000",
        "customer_id bigint NOT NULL REFERENCES customers, product_id bigint NOT NULL REFERENCES products",
        "",
    ),
    t(
        "price_history",
        "rows = 500_000",
        "product_id bigint NOT NULL REFERENCES products, price numeric(10, 2) NOT NULL, changed_at timestamptz NOT NULL",
        "price = \"float(1, 500)\"",
    ),
    t(
        "sessions",
        "rows = 400_000",
        "customer_id bigint NOT NULL REFERENCES customers, device text NOT NULL, started_at timestamptz NOT NULL",
        "device = 'choice(\"mobile\" = 0.6, \"desktop\" = 0.35, \"tablet\" = 0.05)'",
    ),
    t(
        "page_views",
        "rows = 500_000",
        "session_id bigint NOT NULL REFERENCES sessions, path text NOT NULL, at timestamptz NOT NULL",
        "",
    ),
    t(
        "audit_log",
        "rows = 300_000",
        "customer_id bigint REFERENCES customers, action text NOT NULL, at timestamptz NOT NULL",
        "action = 'choice(\"update\", \"delete\", \"export\")'",
    ),
];

const fn t(name: &'static str, rows: &'static str, columns: &'static str, generators: &'static str) -> Table {
    Table { name, rows, columns, generators }
}

/// The indexes a team adds: each big table's foreign keys, with time where lists sort by it.
const INDEXES: &[&str] = &[
    "orders (customer_id, created_at DESC)",
    "orders (status, created_at)",
    "order_items (order_id)",
    "order_items (product_id)",
    "payments (order_id)",
    "shipments (order_id)",
    "events (customer_id, at DESC)",
    "reviews (product_id, created_at DESC)",
    "reviews (customer_id)",
    "addresses (customer_id)",
    "products (category_id, active)",
    "inventory (product_id, warehouse_id)",
    "inventory_moves (product_id, at)",
    "carts (customer_id)",
    "cart_items (cart_id)",
    "order_coupons (order_id)",
    "returns (order_id)",
    "tickets (customer_id, created_at)",
    "ticket_messages (ticket_id, created_at)",
    "wishlists (customer_id)",
    "price_history (product_id, changed_at DESC)",
    "sessions (customer_id, started_at DESC)",
    "page_views (session_id)",
];

/// A query: name, SQL and its parameters.
type Query = (String, String, Vec<String>);

/// The 100 queries, by kind.
fn queries() -> Vec<Query> {
    let mut out: Vec<Query> = Vec::new();
    let mut add = |name: &str, sql: &str, params: &[&str]| {
        out.push((name.to_string(), sql.to_string(), params.iter().map(|p| (*p).to_string()).collect()));
    };
    // Lookups by key: 30, one per table.
    for t in TABLES {
        add(
            &format!("{}_by_id", t.name),
            &format!("SELECT * FROM {} WHERE id = $1", t.name),
            &[&format!("typical({}.id)", t.name)],
        );
    }
    // A parent's latest children under a LIMIT: 20.
    let lists = [
        ("orders", "customer_id", "created_at"),
        ("events", "customer_id", "at"),
        ("reviews", "product_id", "created_at"),
        ("tickets", "customer_id", "created_at"),
        ("ticket_messages", "ticket_id", "created_at"),
        ("price_history", "product_id", "changed_at"),
        ("sessions", "customer_id", "started_at"),
        ("inventory_moves", "product_id", "at"),
        ("payments", "order_id", "paid_at"),
        ("shipments", "order_id", "shipped_at"),
        ("returns", "order_id", "created_at"),
        ("page_views", "session_id", "at"),
        ("carts", "customer_id", "created_at"),
        ("products", "category_id", "created_at"),
        ("audit_log", "customer_id", "at"),
    ];
    for (table, fk, time) in lists {
        add(
            &format!("{table}_latest_by_{fk}"),
            &format!("SELECT * FROM {table} WHERE {fk} = $1 ORDER BY {time} DESC LIMIT 20"),
            &[&format!("typical({table}.{fk})")],
        );
    }
    for (table, fk, time) in lists.iter().take(5) {
        add(
            &format!("{table}_latest_by_hot_{fk}"),
            &format!("SELECT * FROM {table} WHERE {fk} = $1 ORDER BY {time} DESC LIMIT 20"),
            &[&format!("hot({table}.{fk})")],
        );
    }
    // Joins: 25.
    let joins: &[(&str, &str, &str)] = &[
        (
            "order_with_customer",
            "SELECT o.*, c.name, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1",
            "typical(orders.id)",
        ),
        (
            "order_lines",
            "SELECT i.*, p.name FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = $1",
            "typical(order_items.order_id)",
        ),
        (
            "order_payments",
            "SELECT o.id, p.method, p.amount FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
            "typical(payments.order_id)",
        ),
        (
            "order_shipments",
            "SELECT s.*, c.name FROM shipments s JOIN carriers c ON c.id = s.carrier_id WHERE s.order_id = $1",
            "typical(shipments.order_id)",
        ),
        (
            "customer_orders_lines",
            "SELECT o.id, i.product_id, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT 50",
            "typical(orders.customer_id)",
        ),
        (
            "product_reviews_authors",
            "SELECT r.rating, c.name FROM reviews r JOIN customers c ON c.id = r.customer_id WHERE r.product_id = $1 ORDER BY r.created_at DESC LIMIT 20",
            "typical(reviews.product_id)",
        ),
        (
            "hot_product_reviews_authors",
            "SELECT r.rating, c.name FROM reviews r JOIN customers c ON c.id = r.customer_id WHERE r.product_id = $1 ORDER BY r.created_at DESC LIMIT 20",
            "hot(reviews.product_id)",
        ),
        (
            "product_with_brand",
            "SELECT p.*, b.name, s.name FROM products p JOIN brands b ON b.id = p.brand_id JOIN suppliers s ON s.id = p.supplier_id WHERE p.id = $1",
            "typical(products.id)",
        ),
        (
            "product_stock",
            "SELECT w.name, i.quantity FROM inventory i JOIN warehouses w ON w.id = i.warehouse_id WHERE i.product_id = $1",
            "typical(inventory.product_id)",
        ),
        (
            "cart_contents",
            "SELECT ci.quantity, p.name, p.price FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = $1",
            "typical(cart_items.cart_id)",
        ),
        (
            "customer_carts",
            "SELECT c.id, count(ci.id) FROM carts c LEFT JOIN cart_items ci ON ci.cart_id = c.id WHERE c.customer_id = $1 GROUP BY c.id",
            "typical(carts.customer_id)",
        ),
        (
            "ticket_thread",
            "SELECT t.status, m.body FROM tickets t JOIN ticket_messages m ON m.ticket_id = t.id WHERE t.id = $1 ORDER BY m.created_at",
            "typical(ticket_messages.ticket_id)",
        ),
        (
            "customer_tickets_messages",
            "SELECT t.id, count(m.id) FROM tickets t JOIN ticket_messages m ON m.ticket_id = t.id WHERE t.customer_id = $1 GROUP BY t.id",
            "typical(tickets.customer_id)",
        ),
        (
            "order_returns",
            "SELECT r.reason, o.total FROM returns r JOIN orders o ON o.id = r.order_id WHERE r.order_id = $1",
            "typical(returns.order_id)",
        ),
        (
            "order_coupon_codes",
            "SELECT c.code, c.percent FROM order_coupons oc JOIN coupons c ON c.id = oc.coupon_id WHERE oc.order_id = $1",
            "typical(order_coupons.order_id)",
        ),
        (
            "customer_addresses",
            "SELECT a.city, co.name FROM addresses a JOIN countries co ON co.id = a.country_id WHERE a.customer_id = $1",
            "typical(addresses.customer_id)",
        ),
        (
            "customer_region",
            "SELECT c.name, r.name FROM customers c JOIN regions r ON r.id = c.region_id WHERE c.id = $1",
            "typical(customers.id)",
        ),
        (
            "session_pages",
            "SELECT s.device, v.path FROM sessions s JOIN page_views v ON v.session_id = s.id WHERE s.id = $1",
            "typical(page_views.session_id)",
        ),
        (
            "customer_sessions_pages",
            "SELECT s.id, count(v.id) FROM sessions s LEFT JOIN page_views v ON v.session_id = s.id WHERE s.customer_id = $1 GROUP BY s.id",
            "typical(sessions.customer_id)",
        ),
        (
            "wishlist_products",
            "SELECT p.name, p.price FROM wishlists w JOIN products p ON p.id = w.product_id WHERE w.customer_id = $1",
            "typical(wishlists.customer_id)",
        ),
        (
            "product_price_trail",
            "SELECT ph.price, ph.changed_at, p.name FROM price_history ph JOIN products p ON p.id = ph.product_id WHERE ph.product_id = $1 ORDER BY ph.changed_at DESC LIMIT 10",
            "typical(price_history.product_id)",
        ),
        (
            "warehouse_moves_of_product",
            "SELECT w.name, m.delta FROM inventory_moves m JOIN warehouses w ON w.id = m.warehouse_id WHERE m.product_id = $1 ORDER BY m.at DESC LIMIT 20",
            "typical(inventory_moves.product_id)",
        ),
        (
            "supplier_products",
            "SELECT p.id, p.name FROM products p WHERE p.supplier_id = $1 LIMIT 50",
            "typical(products.supplier_id)",
        ),
        (
            "category_active_products",
            "SELECT p.id, p.name FROM products p JOIN categories c ON c.id = p.category_id WHERE c.id = $1 AND p.active LIMIT 50",
            "hot(products.category_id)",
        ),
        (
            "customer_audit",
            "SELECT a.action, a.at FROM audit_log a JOIN customers c ON c.id = a.customer_id WHERE c.id = $1",
            "typical(audit_log.customer_id)",
        ),
    ];
    for (name, sql, param) in joins {
        add(name, sql, &[param]);
    }
    // Aggregates: 25, over one parent's rows or over small tables.
    let aggregates: &[(&str, &str, &str)] = &[
        (
            "customer_order_statuses",
            "SELECT status, count(*) FROM orders WHERE customer_id = $1 GROUP BY status",
            "typical(orders.customer_id)",
        ),
        (
            "hot_customer_order_statuses",
            "SELECT status, count(*) FROM orders WHERE customer_id = $1 GROUP BY status",
            "hot(orders.customer_id)",
        ),
        ("customer_spend", "SELECT sum(total) FROM orders WHERE customer_id = $1", "typical(orders.customer_id)"),
        (
            "order_total_lines",
            "SELECT sum(quantity * price) FROM order_items WHERE order_id = $1",
            "typical(order_items.order_id)",
        ),
        ("order_paid", "SELECT sum(amount) FROM payments WHERE order_id = $1", "typical(payments.order_id)"),
        (
            "product_rating",
            "SELECT avg(rating), count(*) FROM reviews WHERE product_id = $1",
            "typical(reviews.product_id)",
        ),
        (
            "hot_product_rating",
            "SELECT avg(rating), count(*) FROM reviews WHERE product_id = $1",
            "hot(reviews.product_id)",
        ),
        (
            "product_units_sold",
            "SELECT sum(quantity) FROM order_items WHERE product_id = $1",
            "typical(order_items.product_id)",
        ),
        (
            "product_stock_total",
            "SELECT sum(quantity) FROM inventory WHERE product_id = $1",
            "typical(inventory.product_id)",
        ),
        (
            "product_moves_net",
            "SELECT sum(delta) FROM inventory_moves WHERE product_id = $1",
            "typical(inventory_moves.product_id)",
        ),
        (
            "customer_event_kinds",
            "SELECT kind, count(*) FROM events WHERE customer_id = $1 GROUP BY kind",
            "typical(events.customer_id)",
        ),
        (
            "hot_customer_event_kinds",
            "SELECT kind, count(*) FROM events WHERE customer_id = $1 GROUP BY kind",
            "hot(events.customer_id)",
        ),
        (
            "customer_ticket_statuses",
            "SELECT status, count(*) FROM tickets WHERE customer_id = $1 GROUP BY status",
            "typical(tickets.customer_id)",
        ),
        (
            "ticket_message_count",
            "SELECT count(*) FROM ticket_messages WHERE ticket_id = $1",
            "typical(ticket_messages.ticket_id)",
        ),
        ("cart_size", "SELECT sum(quantity) FROM cart_items WHERE cart_id = $1", "typical(cart_items.cart_id)"),
        (
            "session_page_count",
            "SELECT count(*) FROM page_views WHERE session_id = $1",
            "typical(page_views.session_id)",
        ),
        (
            "customer_session_devices",
            "SELECT device, count(*) FROM sessions WHERE customer_id = $1 GROUP BY device",
            "typical(sessions.customer_id)",
        ),
        ("coupons_over", "SELECT count(*) FROM coupons WHERE percent > $1", "typical(coupons.percent)"),
        ("brands_by_initial", "SELECT count(*) FROM brands WHERE name < $1", "typical(brands.name)"),
        (
            "category_product_count",
            "SELECT count(*) FROM products WHERE category_id = $1 AND active",
            "typical(products.category_id)",
        ),
        (
            "warehouse_stock",
            "SELECT sum(quantity) FROM inventory WHERE warehouse_id = $1 AND product_id < 1000",
            "typical(inventory.warehouse_id)",
        ),
        ("country_suppliers", "SELECT count(*) FROM suppliers WHERE country_id = $1", "typical(suppliers.country_id)"),
        ("region_countries", "SELECT count(*) FROM countries WHERE region_id = $1", "typical(countries.region_id)"),
        ("order_returns_count", "SELECT count(*) FROM returns WHERE order_id = $1", "typical(returns.order_id)"),
        (
            "price_changes",
            "SELECT count(*), min(price), max(price) FROM price_history WHERE product_id = $1",
            "typical(price_history.product_id)",
        ),
    ];
    for (name, sql, param) in aggregates {
        add(name, sql, &[param]);
    }
    assert_eq!(out.len(), 100, "the catalog has 100 queries");
    out
}

/// Write the catalog's project into `dir`, its rows multiplied by `rows_factor`.
fn write_project(dir: &Path, rows_factor: f64) {
    let mut schema = String::new();
    let mut config = String::from("[scales]\nfactors = [0.01, 0.1, 1.0]\nseed = 7\n\n");
    for t in TABLES {
        let _ = writeln!(schema, "CREATE TABLE {} (id bigint PRIMARY KEY, {});", t.name, t.columns);
        let rows = match t.rows.strip_prefix("rows = ") {
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(n) => {
                format!("rows = {}", (n.replace('_', "").parse::<f64>().expect("a row count") * rows_factor) as u64)
            }
            None => t.rows.to_string(),
        };
        let _ = writeln!(config, "[tables.{}]\n{rows}", t.name);
        if !t.generators.is_empty() {
            let _ = writeln!(config, "[tables.{}.columns]\n{}", t.name, t.generators);
        }
        config.push('\n');
    }
    for (i, ix) in INDEXES.iter().enumerate() {
        let _ = writeln!(schema, "CREATE INDEX catalog_idx_{i} ON {ix};");
    }
    std::fs::create_dir_all(dir.join("schema")).expect("a folder");
    std::fs::create_dir_all(dir.join("queries")).expect("a folder");
    std::fs::write(dir.join("schema/catalog.sql"), schema).expect("the schema written");
    for (name, sql, params) in queries() {
        std::fs::write(dir.join(format!("queries/{name}.sql")), format!("{sql};\n")).expect("a query written");
        let list: Vec<String> = params.iter().map(|p| format!("{p:?}")).collect();
        let _ = writeln!(config, "[query.{name}]\nparams = [{}]\n", list.join(", "));
    }
    std::fs::write(dir.join("plangate.toml"), config).expect("the config written");
}

/// Bytes of every cached world (not the empty clusters).
fn world_bytes(cache: &Path) -> u64 {
    std::fs::read_dir(cache.join("worlds"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("entry.json")).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .filter(|v| v["scales"].as_array().is_some_and(|s| !s.is_empty()))
        .filter_map(|v| v["bytes"].as_u64())
        .sum()
}

fn show(what: &str, s: &Sample) {
    println!(
        "{what}: {:.1} s; peak memory: plangate {:.0} MiB, server {:.0} MiB\n    {}",
        s.secs,
        s.plangate_mib,
        s.server_mib,
        phases(&s.report)
    );
}

/// Write the catalog's project (full size) into `dir`, to run or read by hand.
pub fn write(dir: &Path) {
    write_project(dir, 1.0);
    println!("wrote the 100-query catalog's project into {}", dir.display());
}

pub fn run() {
    let dir = tempfile::Builder::new().prefix("plangate-bench-").tempdir().expect("a temporary folder");
    let cache = dir.path().join(".cache");
    let full = dir.path().join("full");
    write_project(&full, 1.0);
    let names: Vec<String> = queries().into_iter().map(|(n, _, _)| n).collect();
    let rows: u64 = {
        let config = std::fs::read_to_string(full.join("plangate.toml")).expect("the config");
        config
            .lines()
            .filter_map(|l| l.strip_prefix("rows = ").or_else(|| l.strip_prefix("fixed_rows = ")))
            .filter_map(|n| n.parse::<u64>().ok())
            .sum()
    };
    println!("catalog: {} tables, {} queries, {rows} rows at scale 1 (scales 0.01, 0.1, 1)", TABLES.len(), names.len());
    let cold = check_with_memory(&full, &cache, &[]);
    show("cold check, 100 queries, keeping its world", &cold);
    #[expect(clippy::cast_precision_loss)]
    let gib = world_bytes(&cache) as f64 / f64::from(1 << 30);
    println!("    the world on disk: {gib:.2} GiB (3 scales)");
    let mut warm100 = Vec::new();
    for n in [25, 50, 100] {
        let selected: Vec<&str> = names[..n].iter().map(String::as_str).collect();
        let s = check_with_memory(&full, &cache, &selected);
        show(&format!("warm check, {n} queries"), &s);
        if n == 100 {
            warm100.push(s.secs);
        }
    }
    let again = check_with_memory(&full, &cache, &[]);
    show("warm check, 100 queries, again", &again);
    warm100.push(again.secs);
    println!("warm check of 100 queries: median {:.1} s", median(&warm100));
    let quarter = dir.path().join("quarter");
    write_project(&quarter, 0.25);
    let small = check_with_memory(&quarter, &cache, &["--no-cache"]);
    show("cold check at a quarter of the rows (5M), 100 queries, not kept", &small);
    let full_again = check_with_memory(&full, &cache, &["--no-cache"]);
    show("cold check at full size, 100 queries, not kept", &full_again);
    println!(
        "growth: a quarter of the rows {:.1} s, all of them {:.1} s ({:.2}x for 4x the rows)",
        small.secs,
        full_again.secs,
        full_again.secs / small.secs
    );
}
