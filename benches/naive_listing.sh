#!/usr/bin/env bash
# The listing benchmark done by hand, as a team without plangate would: a fresh cluster,
# then per scale a fresh database, the two tables filled by INSERT .. SELECT with random(),
# ANALYZE, and each of the two queries under EXPLAIN (ANALYZE, BUFFERS) six times.
# benches/world.rs times it as a whole process beside plangate. Runs Postgres as the
# `postgres` account when started as root.
set -eu
bindir=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
dir=$(mktemp -d)
chmod 777 "$dir"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
as_pg "$bindir/initdb -D $dir/data -A trust --no-sync -U postgres >/dev/null"
as_pg "$bindir/pg_ctl -D $dir/data -o '-k $dir -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $dir/log -w start >/dev/null"
trap 'as_pg "$bindir/pg_ctl -D $dir/data -m immediate stop >/dev/null"; rm -rf "$dir"' EXIT
psql_() { psql -X -q -t -A -h "$dir" -U postgres "$@"; }
for rows in 11900 102000 340000; do
  psql_ -d postgres -c "DROP DATABASE IF EXISTS listing" -c "CREATE DATABASE listing" >/dev/null
  psql_ -d listing >/dev/null <<SQL
CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (
  id bigserial PRIMARY KEY, category_id int NOT NULL REFERENCES categories (id), name text NOT NULL,
  price numeric(10, 2) NOT NULL, active boolean NOT NULL, featured boolean NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_created_idx ON products (created_at);
INSERT INTO categories SELECT g, 'category ' || g FROM generate_series(1, 400) g;
INSERT INTO products (category_id, name, price, active, featured, created_at)
SELECT 1 + floor(400 * power(random(), 3))::int, 'product ' || g, round((1 + random() * 499)::numeric, 2),
       random() < 0.9, random() < 0.05, now() - random() * interval '1000 days'
FROM generate_series(1, $rows) g;
ANALYZE;
SQL
  for _ in 1 2 3 4 5 6; do
    psql_ -d listing -c "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id, name, price, created_at FROM products WHERE category_id = 1 AND active ORDER BY featured DESC, created_at DESC LIMIT 20" >/dev/null
    psql_ -d listing -c "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT p.id, p.name, p.price, c.name FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = 77" >/dev/null
  done
done
