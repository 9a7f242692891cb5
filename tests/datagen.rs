//! Synthetic data against real Postgres: distributions, determinism, the prefix property
//! across scales, and inference over a schema with no generator configured at all.
#![allow(clippy::float_cmp, reason = "counts and shares of seeded data are exact")]

use plangate::config::Overrides;
use plangate::config::Settings;
use plangate::datagen::load::Loader;
use plangate::datagen::model::DataModel;
use plangate::postgres::local::{LocalCluster, find_bindir};
use plangate::postgres::schema;
use sqlx::{Connection, PgConnection};

/// A cluster with `schema` applied and the world of `config` grown through `scales`.
async fn load(config: &str, schema_sql: &str, scales: &[f64]) -> plangate::error::Result<(LocalCluster, PgConnection)> {
    load_with_notes(config, schema_sql, scales).await.map(|(c, conn, _)| (c, conn))
}

/// [`load`], with the data model's notes.
async fn load_with_notes(
    config: &str,
    schema_sql: &str,
    scales: &[f64],
) -> plangate::error::Result<(LocalCluster, PgConnection, Vec<String>)> {
    load_on(config, schema_sql, scales, false, false).await
}

/// [`load_with_notes`] with one loading session, or two (tables load, index and analyze
/// on both at once, as a check does); with `skip`, one load goes straight to the last of
/// `scales`, as a lane of a check that does not stop at the others does.
async fn load_on(
    config: &str,
    schema_sql: &str,
    scales: &[f64],
    two_sessions: bool,
    skip: bool,
) -> plangate::error::Result<(LocalCluster, PgConnection, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schema")).unwrap();
    std::fs::write(dir.path().join("schema/s.sql"), schema_sql).unwrap();
    let settings = Settings::from_text(&dir.path().join("plangate.toml"), config, &Overrides::default())?;
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await?;
    let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    schema::apply(&mut conn, &settings.schema, schema::Target::Throwaway).await?;
    let catalog = plangate::datagen::schema::read(&mut conn).await?;
    let model = DataModel::build(&settings, &catalog)?;
    let notes = model.notes.clone();
    let helper = if two_sessions {
        Some(PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap())
    } else {
        None
    };
    let mut loader = Loader::new(&mut conn, helper, model, settings.seed).await?;
    loader.follow_scales(scales);
    let stops = if skip { &scales[scales.len() - 1..] } else { scales };
    for &s in stops {
        loader.grow_to(&mut conn, s, |_| {}).await?;
    }
    Ok((cluster, conn, notes))
}

async fn scalar_f64(conn: &mut PgConnection, sql: &'static str) -> f64 {
    sqlx::query_scalar::<_, f64>(sql).fetch_one(conn).await.unwrap()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} +- {tol}");
}

const DIST_SCHEMA: &str = "CREATE TABLE parents (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, z int, b bool, n int, c text, f float8, i int, ts timestamp, g float8,
                u int, w text, q uuid, k int, p int REFERENCES parents (id));";

const DIST_CONFIG: &str = r#"
[scales]
seed = 7
[tables.parents]
fixed_rows = 1000
[tables.t]
rows = 40000
[tables.t.columns]
z  = "zipf(100, 1.1)"
b  = "bool(0.3)"
n  = "null(0.2, int(1, 10))"
c  = 'choice("a" = 0.7, "b" = 0.3)'
f  = "float(5, 10)"
i  = "int(-3, 3)"
ts = "timestamp(days = 10)"
g  = "normal(50, 5)"
u  = "unique(int(1, 40000))"
w  = "text(2, 4)"
q  = "uuid"
k  = "const(7)"
p  = "ref(parents.id, zipf = 1.2)"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn generators_have_their_distributions() {
    let (_cluster, mut c) = load(DIST_CONFIG, DIST_SCHEMA, &[1.0]).await.unwrap();
    // zipf(100, 1.1): the top value's share is 1 / H(100, 1.1), and it is not simply 1.
    let h: f64 = (1..=100).map(|k| f64::from(k).powf(-1.1)).sum();
    let top = scalar_f64(&mut c, "SELECT max(n)::float8 / 40000 FROM (SELECT count(*) n FROM t GROUP BY z) x").await;
    close(top, 1.0 / h, 0.015, "zipf top share");
    let distinct_top = scalar_f64(
        &mut c,
        "SELECT count(*)::float8 FROM (SELECT z FROM t GROUP BY z ORDER BY count(*) DESC LIMIT 5) x WHERE z <= 5",
    )
    .await;
    assert!(distinct_top < 5.0, "popularity order is shuffled, not 1..5");
    close(scalar_f64(&mut c, "SELECT avg(b::int)::float8 FROM t").await, 0.3, 0.015, "bool fraction");
    close(scalar_f64(&mut c, "SELECT avg((n IS NULL)::int)::float8 FROM t").await, 0.2, 0.015, "null fraction");
    close(scalar_f64(&mut c, "SELECT avg((c = 'a')::int)::float8 FROM t").await, 0.7, 0.015, "weighted choice");
    assert!(scalar_f64(&mut c, "SELECT min(f) FROM t").await >= 5.0);
    assert!(scalar_f64(&mut c, "SELECT max(f) FROM t").await <= 10.0);
    assert_eq!(scalar_f64(&mut c, "SELECT min(i)::float8 FROM t").await, -3.0);
    assert_eq!(scalar_f64(&mut c, "SELECT max(i)::float8 FROM t").await, 3.0);
    let span = scalar_f64(&mut c, "SELECT extract(epoch FROM '2025-01-01'::timestamp - min(ts))::float8 FROM t").await;
    assert!(span <= 10.0 * 86_400.0 && span > 9.0 * 86_400.0, "timestamps within 10 days before the epoch: {span}");
    assert_eq!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM t WHERE ts >= '2025-01-01'").await, 0.0);
    close(scalar_f64(&mut c, "SELECT avg(g) FROM t").await, 50.0, 0.2, "normal mean");
    close(scalar_f64(&mut c, "SELECT stddev(g) FROM t").await, 5.0, 0.2, "normal sd");
    assert_eq!(scalar_f64(&mut c, "SELECT count(DISTINCT u)::float8 FROM t").await, 40000.0, "unique()");
    assert_eq!(scalar_f64(&mut c, "SELECT (min(u) >= 1 AND max(u) <= 40000)::int::float8 FROM t").await, 1.0);
    let words = scalar_f64(
        &mut c,
        "SELECT count(*)::float8 FROM t WHERE array_length(string_to_array(w, ' '), 1) NOT BETWEEN 2 AND 4",
    )
    .await;
    assert_eq!(words, 0.0, "text(2, 4) word counts");
    assert_eq!(scalar_f64(&mut c, "SELECT count(DISTINCT q)::float8 FROM t").await, 40000.0, "uuids");
    assert_eq!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM t WHERE k <> 7").await, 0.0, "const");
    // ref with zipf: popular parents. The top parent gets far more than the uniform 1/1000.
    let top_parent =
        scalar_f64(&mut c, "SELECT max(n)::float8 / 40000 FROM (SELECT count(*) n FROM t GROUP BY p) x").await;
    let h: f64 = (1..=1000).map(|k| f64::from(k).powf(-1.2)).sum();
    close(top_parent, 1.0 / h, 0.015, "ref zipf top parent share");
}

async fn checksum(conn: &mut PgConnection, table: &'static str) -> String {
    let sql = format!("SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM {table} x");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn same_seed_same_rows_and_scales_are_prefixes() {
    let config =
        DIST_CONFIG.replace("rows = 40000", "rows = 5000").replace("unique(int(1, 40000))", "unique(int(1, 5000))");
    // Grown in two steps, and loaded in one: the same rows.
    let (_a, mut a) = load(&config, DIST_SCHEMA, &[0.1, 1.0]).await.unwrap();
    let (_b, mut b) = load(&config, DIST_SCHEMA, &[1.0]).await.unwrap();
    assert_eq!(checksum(&mut a, "t").await, checksum(&mut b, "t").await, "growing must not change rows");
    assert_eq!(checksum(&mut a, "parents").await, checksum(&mut b, "parents").await);
    // The smaller scale is a prefix: its 500 rows are the first 500 rows of the larger.
    let (_s, mut small) = load(&config, DIST_SCHEMA, &[0.1]).await.unwrap();
    let sql = "SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM (SELECT * FROM t WHERE id <= 500) x";
    let first: String = sqlx::query_scalar(sql).fetch_one(&mut b).await.unwrap();
    assert_eq!(checksum(&mut small, "t").await, first);
    // Another seed, other rows.
    let (_c, mut other) = load(&config.replace("seed = 7", "seed = 8"), DIST_SCHEMA, &[1.0]).await.unwrap();
    assert_ne!(checksum(&mut other, "t").await, checksum(&mut b, "t").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dependent_column_follows_its_column_up_to_the_noise() {
    let schema = "CREATE TABLE people (id int PRIMARY KEY, city int NOT NULL, zip int NOT NULL, tag text);";
    let config = |noise: &str| {
        format!(
            "[tables.people]\nrows = 20000\n[tables.people.columns]\ncity = \"zipf(50, 1.0)\"\n\
             zip = \"depends(city, int(1, 1000000){noise})\"\ntag = \"depends(zip, choice('a', 'b', 'c'))\"\n"
        )
    };
    // The share of rows whose zip code is not their city's most common one.
    let off = "SELECT 1 - sum(top)::float8 / 20000 FROM (SELECT max(n) AS top FROM
               (SELECT city, zip, count(*) AS n FROM people GROUP BY 1, 2) g GROUP BY city) t";
    let err = load(&config(""), schema, &[1.0]).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains("tables.people.columns.tag") && err.contains("`zip` depends on a column itself"),
        "a chain is refused, naming the key: {err}"
    );
    let config = |noise: &str| config(noise).replace("tag = \"depends(zip, choice('a', 'b', 'c'))\"\n", "");
    let (_a, mut exact) = load(&config(""), schema, &[0.3, 1.0]).await.unwrap();
    assert_eq!(scalar_f64(&mut exact, off).await, 0.0, "one zip code per city");
    let cities = scalar_f64(&mut exact, "SELECT count(DISTINCT city)::float8 FROM people").await;
    let zips = scalar_f64(&mut exact, "SELECT count(DISTINCT zip)::float8 FROM people").await;
    assert_eq!(cities, zips, "different cities, different zip codes (one in a million collide)");
    let (_b, mut noisy) = load(&config(", noise = 0.1"), schema, &[1.0]).await.unwrap();
    close(scalar_f64(&mut noisy, off).await, 0.1, 0.01, "a tenth of the rows draw their own zip code");
    // The column it depends on keeps its own values: the same as without the dependency.
    let city = "SELECT md5(string_agg(city::text, ',' ORDER BY id)) FROM people";
    let a: String = sqlx::query_scalar(city).fetch_one(&mut exact).await.unwrap();
    let b: String = sqlx::query_scalar(city).fetch_one(&mut noisy).await.unwrap();
    assert_eq!(a, b);
}

const RICH_SCHEMA: &str = "
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE regions (name varchar(8) NOT NULL, code int NOT NULL, PRIMARY KEY (name, code));
CREATE TABLE people (
    id        uuid PRIMARY KEY,
    num       bigint GENERATED ALWAYS AS IDENTITY,
    boss      uuid REFERENCES people (id),
    feeling   mood NOT NULL,
    status    text NOT NULL CHECK (status IN ('new', 'active', 'gone')),
    age       int NOT NULL CHECK (age BETWEEN 18 AND 99),
    score     smallint CHECK (score > 0 AND score <= 10),
    nick      varchar(5) NOT NULL,
    balance   numeric(6, 2) NOT NULL,
    prefs     jsonb,
    tags      text[],
    born      date NOT NULL,
    seen      timestamptz,
    region    varchar(8) NOT NULL,
    region_no int NOT NULL,
    name_len  int GENERATED ALWAYS AS (length(nick)) STORED,
    email     text UNIQUE,
    FOREIGN KEY (region, region_no) REFERENCES regions (name, code)
);
CREATE TABLE visits (
    person uuid NOT NULL REFERENCES people (id),
    seq    int NOT NULL,
    at     timestamp NOT NULL,
    PRIMARY KEY (person, seq)
);
CREATE INDEX visits_at_idx ON visits (at);
";

const RICH_CONFIG: &str = "
[tables.regions]
fixed_rows = 20
[tables.people]
rows = 3000
[tables.visits]
rows = 9000
";

/// Every relation of the world as stored: each table's rows in physical order, and the
/// pages of every table, TOAST table and index.
async fn storage(conn: &mut PgConnection) -> Vec<(String, String)> {
    let rels: Vec<String> = sqlx::query_scalar(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut out = Vec::new();
    for r in rels {
        let sql = format!("SELECT coalesce(md5(string_agg(ctid::text || x::text, '|' ORDER BY ctid)), '') FROM {r} x");
        out.push((r, sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await.unwrap()));
    }
    let pages: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, (pg_relation_size(c.oid) / 8192)::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't')
           AND c.relname NOT LIKE 'pg_toast_%' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    out.extend(pages);
    let toast: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.relname::text || ' toast', (pg_relation_size(t.reltoastrelid) / 8192)::text FROM pg_class t
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND t.reltoastrelid <> 0 ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    out.extend(toast);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn two_loading_sessions_store_the_same_world_as_one() {
    // Tables of about equal size, so both sessions load at once; long text goes to TOAST.
    let schema = format!(
        "{RICH_SCHEMA}
         CREATE TABLE notes (id bigserial PRIMARY KEY, person uuid REFERENCES people (id), body text NOT NULL);
         CREATE INDEX notes_person_idx ON notes (person);"
    );
    let config =
        format!("{RICH_CONFIG}[tables.notes]\nrows = 3000\n[tables.notes.columns]\nbody = \"text(400, 900)\"\n");
    let (_a, mut one, _) = load_on(&config, &schema, &[0.4, 1.0], false, false).await.unwrap();
    let (_b, mut two, _) = load_on(&config, &schema, &[0.4, 1.0], true, false).await.unwrap();
    let (one, two) = (storage(&mut one).await, storage(&mut two).await);
    assert!(one.iter().any(|(r, p)| r == "notes toast" && p != "0"), "the test stores TOAST values: {one:?}");
    assert_eq!(one, two, "the same rows in the same places, the same pages");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_load_past_a_scale_stores_the_world_of_one_that_stops_there() {
    // A check builds its largest scale in one load while the smaller ones grow elsewhere:
    // the rows generated for each scale passed must be those a stop there makes (their
    // references reach only the parents of that scale), and land in the same places.
    let schema = format!("{RICH_SCHEMA}\n{DIST_SCHEMA}");
    let config = format!("{RICH_CONFIG}{}", DIST_CONFIG.replace("[scales]\nseed = 7\n", ""));
    let scales = [0.1, 0.4, 1.0];
    let (_a, mut stopping, _) = load_on(&config, &schema, &scales, true, false).await.unwrap();
    let (_b, mut passing, _) = load_on(&config, &schema, &scales, true, true).await.unwrap();
    let (stopping, passing) = (storage(&mut stopping).await, storage(&mut passing).await);
    assert!(stopping.iter().any(|(r, _)| r == "t"), "{stopping:?}");
    assert_eq!(stopping, passing, "the same rows in the same places, the same pages");
}

#[tokio::test(flavor = "multi_thread")]
async fn inference_fills_a_rich_schema_within_its_constraints() {
    // Loading succeeds only if every key is unique, every foreign key (composite and self)
    // finds its parent, and every CHECK, enum, varchar(n) and numeric(p, s) holds.
    let (_cluster, mut c) = load(RICH_CONFIG, RICH_SCHEMA, &[0.5, 1.0]).await.unwrap();
    assert_eq!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM people").await, 3000.0);
    assert_eq!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM visits").await, 9000.0);
    // Identity and generated columns are Postgres': 1..n and length(nick).
    assert_eq!(scalar_f64(&mut c, "SELECT (min(num) = 1 AND max(num) = 3000)::int::float8 FROM people").await, 1.0);
    assert_eq!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM people WHERE name_len <> length(nick)").await, 0.0);
    assert_eq!(scalar_f64(&mut c, "SELECT count(DISTINCT status)::float8 FROM people").await, 3.0);
    assert_eq!(scalar_f64(&mut c, "SELECT count(DISTINCT feeling)::float8 FROM people").await, 3.0);
    assert!(scalar_f64(&mut c, "SELECT max(length(nick))::float8 FROM people").await <= 5.0);
    assert!(scalar_f64(&mut c, "SELECT max(balance)::float8 FROM people").await < 10_000.0);
    assert_eq!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM people WHERE age NOT BETWEEN 18 AND 99").await, 0.0);
    // Nullable columns get some NULLs, and NOT NULL ones none; self-references point back.
    let null_share = scalar_f64(&mut c, "SELECT avg((seen IS NULL)::int)::float8 FROM people").await;
    assert!(null_share > 0.0 && null_share < 0.2, "{null_share}");
    assert_eq!(
        scalar_f64(&mut c, "SELECT count(*)::float8 FROM people WHERE boss IS NULL").await,
        1.0,
        "only the first row has no earlier row"
    );
    assert!(
        scalar_f64(&mut c, "SELECT count(*)::float8 FROM people WHERE tags IS NOT NULL AND cardinality(tags) > 0")
            .await
            > 0.0
    );
    assert!(scalar_f64(&mut c, "SELECT count(*)::float8 FROM people WHERE prefs ? 'tag'").await > 0.0);
    // The deferred index came back exactly as defined.
    let def: String = sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'visits_at_idx'")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(def, "CREATE INDEX visits_at_idx ON public.visits USING btree (at)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_type_it_cannot_generate_names_table_column_and_type() {
    let err =
        load("[tables.hosts]\nrows = 10\n", "CREATE TABLE hosts (id int PRIMARY KEY, spot point NOT NULL);", &[1.0])
            .await
            .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("tables.hosts.columns.spot"), "{msg}");
    assert!(msg.contains("type point"), "{msg}");
    assert!(msg.contains("configure a generator"), "{msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_key_to_an_empty_table_names_both_tables() {
    let err = load(
        "[tables.child]\nrows = 10\n",
        "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent (id));",
        &[1.0],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("`child`") && err.contains("`parent`") && err.contains("stays empty"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_table_keyed_by_two_foreign_keys_loads_each_pair_once() {
    // 100 products x 10 tags: 500 random pairs collide; the first row of each pair is kept.
    let schema = "CREATE TABLE products (id int PRIMARY KEY);
        CREATE TABLE tags (id int PRIMARY KEY);
        CREATE TABLE product_tags (product_id int REFERENCES products (id), tag_id int REFERENCES tags (id),
                                   PRIMARY KEY (product_id, tag_id));";
    let config = "[tables.products]\nrows = 100\n[tables.tags]\nfixed_rows = 10\n[tables.product_tags]\nrows = 500\n";
    let (_a, mut grown) = load(config, schema, &[0.3, 1.0]).await.unwrap();
    let n = scalar_f64(&mut grown, "SELECT count(*)::float8 FROM product_tags").await;
    assert!(n > 200.0 && n < 500.0, "duplicates dropped, most pairs kept: {n}");
    let pk: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'product_tags_pkey'")
        .fetch_one(&mut grown)
        .await
        .unwrap();
    assert_eq!(pk, 1, "the key was recreated over the loaded rows");
    let (_b, mut direct) = load(config, schema, &[1.0]).await.unwrap();
    assert_eq!(
        checksum(&mut grown, "product_tags").await,
        checksum(&mut direct, "product_tags").await,
        "still one world"
    );
}

async fn strings(conn: &mut PgConnection, sql: &'static str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql).fetch_all(conn).await.unwrap()
}

/// A domain's CHECKs, NOT NULL and base type hold, also for a domain built on another.
/// They were ignored (a domain over a domain could not even be generated).
#[tokio::test(flavor = "multi_thread")]
async fn domains_are_inferred_with_their_checks_and_not_null() {
    let schema = "CREATE DOMAIN pct AS int CHECK (VALUE BETWEEN 10 AND 20);
        CREATE DOMAIN low_pct AS pct NOT NULL CHECK (VALUE <= 15);
        CREATE DOMAIN code AS varchar(3) CHECK (VALUE IN ('abc', 'xyz'));
        CREATE DOMAIN money_amount AS numeric(6, 2) CHECK (VALUE > 0);
        CREATE TABLE t (id int PRIMARY KEY, a pct NOT NULL, b low_pct, c code NOT NULL, d money_amount NOT NULL);";
    let (_c, mut conn) = load("[tables.t]\nrows = 3000\n", schema, &[0.5, 1.0]).await.unwrap();
    close(scalar_f64(&mut conn, "SELECT min(a)::float8 FROM t").await, 10.0, 0.0, "min a");
    close(scalar_f64(&mut conn, "SELECT max(a)::float8 FROM t").await, 20.0, 0.0, "max a");
    close(
        scalar_f64(&mut conn, "SELECT max(b)::float8 FROM t").await,
        15.0,
        0.0,
        "max b: the inner domain's check holds too",
    );
    close(
        scalar_f64(&mut conn, "SELECT count(*)::float8 FROM t WHERE b IS NULL").await,
        0.0,
        0.0,
        "the domain is NOT NULL",
    );
    close(scalar_f64(&mut conn, "SELECT max(d)::float8 FROM t").await, 9999.99, 9000.0, "numeric(6, 2) of the domain");
    assert_eq!(strings(&mut conn, "SELECT DISTINCT c::text FROM t ORDER BY 1").await, ["abc", "xyz"]);
}

/// bytea, tsvector and the other common types are generated; a nullable column of a type
/// plangate cannot make is NULL with a note instead of an error.
#[tokio::test(flavor = "multi_thread")]
async fn common_types_are_generated_and_unknown_nullable_ones_left_null() {
    let schema = "CREATE TABLE k (id int PRIMARY KEY, blob bytea NOT NULL, doc tsvector NOT NULL, ip inet NOT NULL,
        net cidr NOT NULL, mac macaddr NOT NULL, dur interval NOT NULL, t time NOT NULL, tz timetz NOT NULL,
        m money NOT NULL, flag \"char\" NOT NULL, r int4range NOT NULL, dr daterange NOT NULL, tr tstzrange NOT NULL,
        spot point);";
    let (_c, mut conn, notes) = load_with_notes("[tables.k]\nrows = 2000\n", schema, &[1.0]).await.unwrap();
    close(scalar_f64(&mut conn, "SELECT count(*)::float8 FROM k").await, 2000.0, 0.0, "rows");
    close(scalar_f64(&mut conn, "SELECT min(octet_length(blob))::float8 FROM k").await, 8.0, 0.0, "bytes at least");
    close(scalar_f64(&mut conn, "SELECT max(octet_length(blob))::float8 FROM k").await, 64.0, 0.0, "bytes at most");
    assert!(
        scalar_f64(&mut conn, "SELECT count(*)::float8 FROM k WHERE doc @@ 'amber'::tsquery").await > 0.0,
        "words to search"
    );
    assert!(scalar_f64(&mut conn, "SELECT count(*)::float8 FROM k WHERE ip << '10.0.0.0/8'").await == 2000.0);
    assert!(
        scalar_f64(&mut conn, "SELECT count(*)::float8 FROM k WHERE NOT isempty(r) AND NOT isempty(tr)").await
            == 2000.0
    );
    close(scalar_f64(&mut conn, "SELECT count(spot)::float8 FROM k").await, 0.0, 0.0, "point is left NULL");
    assert!(notes.iter().any(|n| n.contains("k.spot") && n.contains("left NULL")), "{notes:?}");
}

const PARTITIONS: &str = "CREATE TABLE parents (id int PRIMARY KEY);
CREATE TABLE ev (id bigint GENERATED ALWAYS AS IDENTITY, p int NOT NULL, at timestamptz NOT NULL,
                 PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE ev_jan PARTITION OF ev FOR VALUES FROM ('2024-01-01 00:00+00') TO ('2024-02-01 00:00+00');
CREATE TABLE ev_feb PARTITION OF ev FOR VALUES FROM ('2024-02-01 00:00+00') TO ('2024-03-01 00:00+00');
ALTER TABLE ev_jan ADD CONSTRAINT ev_jan_parent FOREIGN KEY (p) REFERENCES parents (id);
ALTER TABLE ev_feb ADD CONSTRAINT ev_feb_parent FOREIGN KEY (p) REFERENCES parents (id);
CREATE INDEX ev_p_idx ON ONLY ev (p);
CREATE INDEX ev_jan_by_p ON ev_jan (p);
ALTER INDEX ev_p_idx ATTACH PARTITION ev_jan_by_p;
CREATE INDEX ev_feb_by_p ON ev_feb (p);
ALTER INDEX ev_p_idx ATTACH PARTITION ev_feb_by_p;
CREATE TABLE msg (id int NOT NULL, kind text NOT NULL, v int) PARTITION BY LIST (kind);
CREATE TABLE msg_x PARTITION OF msg FOR VALUES IN ('x');
CREATE TABLE msg_yz PARTITION OF msg FOR VALUES IN ('y', 'z');
CREATE TABLE h (id int PRIMARY KEY, v int) PARTITION BY HASH (id);
CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 1);";

/// Values fall in the partitions that exist (range, list, hash), a foreign key declared on
/// the partitions fills the column like one on the table, and the partitions' indexes come
/// back with their names after each growth step. Rows used to miss every partition.
#[tokio::test(flavor = "multi_thread")]
async fn partitioned_tables_load_into_their_partitions() {
    let config =
        "[tables.parents]\nrows = 100\n[tables.ev]\nrows = 5000\n[tables.msg]\nrows = 1000\n[tables.h]\nrows = 1000\n";
    let (_c, mut conn) = load(config, PARTITIONS, &[0.2, 1.0]).await.unwrap();
    close(scalar_f64(&mut conn, "SELECT count(*)::float8 FROM ev").await, 5000.0, 0.0, "ev rows");
    close(
        scalar_f64(&mut conn, "SELECT count(*)::float8 FROM ev_jan").await,
        2650.0,
        250.0,
        "january's share (31 of 60 days)",
    );
    close(
        scalar_f64(&mut conn, "SELECT count(*)::float8 FROM ev WHERE p NOT IN (SELECT id FROM parents)").await,
        0.0,
        0.0,
        "orphans",
    );
    close(scalar_f64(&mut conn, "SELECT count(*)::float8 FROM h0").await, 500.0, 100.0, "hash partition");
    assert_eq!(strings(&mut conn, "SELECT DISTINCT kind FROM msg ORDER BY 1").await, ["x", "y", "z"]);
    let attached = strings(
        &mut conn,
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'ev_p_idx'::regclass ORDER BY 1",
    )
    .await;
    assert_eq!(attached, ["ev_feb_by_p", "ev_jan_by_p"], "the schema's names, attached");
    let fks = strings(&mut conn, "SELECT conname::text FROM pg_constraint WHERE contype = 'f' ORDER BY 1").await;
    assert_eq!(fks, ["ev_feb_parent", "ev_jan_parent"], "the partitions' foreign keys are back");
}

/// timestamp(from, to) and date(from, to) place data in a period.
#[tokio::test(flavor = "multi_thread")]
async fn dates_fall_in_the_configured_period() {
    let config = r#"[tables.d]
rows = 5000
[tables.d.columns]
day = 'date(from = "1992-01-01", to = "1999-01-01")'
at = 'timestamp(from = "2024-10-01", to = "2025-01-01")'
"#;
    let schema = "CREATE TABLE d (id int PRIMARY KEY, day date NOT NULL, at timestamptz NOT NULL)";
    let (_c, mut conn) = load(config, schema, &[1.0]).await.unwrap();
    let range = strings(
        &mut conn,
        "SELECT min(day)::text FROM d UNION ALL SELECT max(day)::text FROM d
         UNION ALL SELECT (min(at) AT TIME ZONE 'UTC')::date::text FROM d UNION ALL SELECT (max(at) AT TIME ZONE 'UTC')::date::text FROM d",
    )
    .await;
    assert!(range[0].as_str() >= "1992-01-01" && range[0].as_str() < "1992-01-10", "{range:?}");
    assert!(range[1].as_str() <= "1998-12-31" && range[1].as_str() > "1998-12-20", "{range:?}");
    assert!(range[2].as_str() >= "2024-10-01" && range[3].as_str() <= "2024-12-31", "{range:?}");
}

/// The mean number of children of the oldest tenth of the parents over the mean of all.
async fn oldest_share(config: &str) -> f64 {
    let schema = "CREATE TABLE parents (id int PRIMARY KEY); CREATE TABLE kids (id int PRIMARY KEY, p int NOT NULL REFERENCES parents (id));";
    let (_c, mut conn) = load(config, schema, &[0.1, 1.0]).await.unwrap();
    scalar_f64(
        &mut conn,
        "SELECT (SELECT count(*) FROM kids WHERE p <= 1000)::float8 / 1000 / ((SELECT count(*) FROM kids)::float8 / 10000)",
    )
    .await
}

/// `ref()` without zipf gives every parent but the newest the same share at every scale;
/// `spread = 1` (any parent) shows the ageing it used to have: the oldest gather more.
#[tokio::test(flavor = "multi_thread")]
async fn references_are_uniform_over_parents_unless_asked_to_age() {
    let base = "[tables.parents]\nrows = 10000\n[tables.kids]\nrows = 100000\n";
    let uniform = oldest_share(base).await;
    assert!((0.85..1.25).contains(&uniform), "the oldest tenth gets about its share: {uniform}");
    let ageing = oldest_share(&format!("{base}[tables.kids.columns]\np = \"ref(parents.id, spread = 1)\"\n")).await;
    assert!(ageing > 2.5, "with spread = 1 the oldest tenth gets several times its share: {ageing}");
}

/// Heap pages that hold one parent's children, on average.
async fn pages_per_parent(config: &str) -> f64 {
    let schema = "CREATE TABLE orders (id int PRIMARY KEY, note text);
        CREATE TABLE lines (order_id int NOT NULL REFERENCES orders (id), line_no int NOT NULL, qty int NOT NULL,
                            PRIMARY KEY (order_id, line_no));";
    let (_c, mut conn) = load(config, schema, &[0.3, 1.0]).await.unwrap();
    scalar_f64(
        &mut conn,
        "SELECT avg(n)::float8 FROM (SELECT count(DISTINCT (ctid::text::point)[0]) AS n FROM lines GROUP BY order_id) x",
    )
    .await
}

/// An order's lines are stored together by default (their foreign key is part of the
/// primary key: they are inserted with their order); `cluster = "none"` scatters them.
#[tokio::test(flavor = "multi_thread")]
async fn child_rows_are_stored_near_their_parent() {
    let base = "[tables.orders]\nrows = 20000\n[tables.lines]\nrows = 100000\n";
    let together = pages_per_parent(base).await;
    let scattered = pages_per_parent(&base.replace("[tables.lines]\n", "[tables.lines]\ncluster = \"none\"\n")).await;
    assert!(together < 2.0, "an order's lines sit on one or two pages: {together}");
    assert!(scattered > 3.5, "scattered, most lines of an order sit on pages of their own: {scattered}");
}

/// A CHECK plangate cannot read (a domain's pattern) makes the load fail naming the table,
/// the column and what to do, where it used to give Postgres' message alone.
#[tokio::test(flavor = "multi_thread")]
async fn a_value_a_domain_refuses_names_the_column_and_the_fix() {
    let schema = "CREATE DOMAIN email AS text CHECK (VALUE ~ '@');
        CREATE TABLE u (id int PRIMARY KEY, mail email NOT NULL);";
    let err = load("[tables.u]\nrows = 10\n", schema, &[1.0]).await.unwrap_err().to_string();
    assert!(err.contains("loading table `u`: value for domain email violates check constraint"), "{err}");
    assert!(err.contains("(column `mail`)") && err.contains("[tables.u.columns]"), "{err}");
}

/// A one-to-one link (a store's manager, unique by an index rather than a constraint)
/// gives each row its own parent, and nothing is dropped: dropping a duplicate used to
/// leave a hole in the stores' ids that customers then pointed at.
#[tokio::test(flavor = "multi_thread")]
async fn a_one_to_one_link_gets_a_parent_per_row_and_keeps_every_row() {
    let schema = "CREATE TABLE staff (staff_id serial PRIMARY KEY);
        CREATE TABLE store (store_id serial PRIMARY KEY, manager_staff_id int NOT NULL REFERENCES staff);
        CREATE UNIQUE INDEX store_manager ON store (manager_staff_id);
        CREATE TABLE customer (customer_id serial PRIMARY KEY, store_id int NOT NULL REFERENCES store);";
    let config = "[tables.staff]\nrows = 1000\n[tables.store]\nrows = 100\n[tables.customer]\nrows = 5000\n";
    let (_c, mut conn) = load(config, schema, &[0.3, 1.0]).await.unwrap();
    close(scalar_f64(&mut conn, "SELECT count(*)::float8 FROM store").await, 100.0, 0.0, "every store kept");
    close(
        scalar_f64(&mut conn, "SELECT count(DISTINCT manager_staff_id)::float8 FROM store").await,
        100.0,
        0.0,
        "a manager per store",
    );
    close(
        scalar_f64(
            &mut conn,
            "SELECT count(*)::float8 FROM customer WHERE store_id NOT IN (SELECT store_id FROM store)",
        )
        .await,
        0.0,
        0.0,
        "no customer of a missing store",
    );
}

/// Every column type plangate sends in COPY's binary format stores exactly what the text
/// format stores from the same generated rows: each row's text, in heap order, and the
/// table's size. The schema mixes types, typmods, a domain, an enum and escapes.
#[tokio::test]
async fn binary_copy_stores_what_text_copy_stores() {
    let schema_sql = "
        CREATE TYPE mood AS ENUM ('calm', 'tense');
        CREATE DOMAIN small_positive AS int2 CHECK (VALUE > -1000);
        CREATE TABLE wide (
            id bigserial PRIMARY KEY,
            i2 small_positive, i4 int, i8 bigint, f4 real, f8 double precision,
            money numeric(10, 2), ratio numeric, whole numeric(6, 0), flag boolean,
            label varchar(12), code char(4), body text, feeling mood,
            at timestamptz, local_at timestamp, day date, picked timestamptz, counted int,
            up bigint, noon date, distinct_n int, distinct_at timestamptz, f8_flat double precision
        );";
    let config = r#"
        [scales]
        factors = [1.0]
        seed = 9
        [tables.wide]
        rows = 20000
        [tables.wide.columns]
        i2 = "int(-300, 300)"
        i4 = "zipf(1000, 1.2)"
        i8 = "null(0.2, int(-5000000000, 5000000000))"
        f4 = "float(0, 1)"
        f8 = "normal(0, 1000)"
        money = "float(0.001, 99999)"
        ratio = "float(-1, 1)"
        whole = "float(0, 5000)"
        flag = "bool(0.3)"
        label = "choice(\"plain\", \"tab\there\", \"back\\slash\", \"new\nline\")"
        code = 'const("ab")'
        body = "text(0, 4)"
        feeling = 'choice("calm" = 0.8, "tense" = 0.2)'
        at = "timestamp(days = 4000)"
        local_at = 'timestamp(from = "1999-12-31", to = "2000-01-02")'
        day = "date(days = 10000)"
        picked = 'choice("2024-02-29 12:00:00+00", "2023-01-01")'
        counted = "float(0, 1e6)"
        up = "ref(wide.id)"
        noon = 'timestamp(from = "1970-01-01", to = "2030-01-01")'
        distinct_n = "unique(int(-50000, 50000))"
        distinct_at = "unique(timestamp(days = 3000))"
        f8_flat = "float(-5, 5)"
    "#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schema")).unwrap();
    std::fs::write(dir.path().join("schema/s.sql"), schema_sql).unwrap();
    let settings = Settings::from_text(&dir.path().join("plangate.toml"), config, &Overrides::default()).unwrap();
    let cluster = LocalCluster::start(find_bindir().expect("Postgres server binaries"), &[]).await.unwrap();
    let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    schema::apply(&mut conn, &settings.schema, schema::Target::Throwaway).await.unwrap();
    let catalog = plangate::datagen::schema::read(&mut conn).await.unwrap();
    let model = DataModel::build(&settings, &catalog).unwrap();
    let gens = plangate::datagen::generate::compile(&model, settings.seed, None, &[1.0]).unwrap();
    let g = gens.iter().find(|g| g.name.ends_with("wide")).unwrap();
    assert!(g.binary(), "every column of `wide` goes in binary");
    let columns = g.columns.join(", ");
    sqlx::raw_sql("SET TimeZone = 'UTC'; CREATE TABLE as_text (LIKE wide); CREATE TABLE as_binary (LIKE wide)")
        .execute(&mut conn)
        .await
        .unwrap();
    let (mut text, mut binary, mut scratch) = (Vec::new(), plangate::datagen::wire::HEADER.to_vec(), Vec::new());
    g.write_rows(g.start, g.end, &mut text);
    g.write_rows_binary(g.start, g.end, &mut binary, &mut scratch).unwrap();
    binary.extend_from_slice(plangate::datagen::wire::TRAILER);
    for (table, format, rows) in [("as_text", "", text), ("as_binary", " (FORMAT binary)", binary)] {
        let mut copy = conn.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN{format}")).await.unwrap();
        copy.send(rows.as_slice()).await.unwrap();
        assert_eq!(copy.finish().await.unwrap(), 20_000);
    }
    let rows = |table: &str| sqlx::AssertSqlSafe(format!("SELECT t::text FROM {table} t ORDER BY ctid"));
    let as_text: Vec<String> = sqlx::query_scalar(rows("as_text")).fetch_all(&mut conn).await.unwrap();
    let as_binary: Vec<String> = sqlx::query_scalar(rows("as_binary")).fetch_all(&mut conn).await.unwrap();
    assert_eq!(as_text.len(), 20_000);
    for (t, b) in as_text.iter().zip(&as_binary) {
        assert_eq!(t, b);
    }
    let sizes: (i64, i64) = sqlx::query_as("SELECT pg_relation_size('as_text'), pg_relation_size('as_binary')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(sizes.0, sizes.1);
    // The values the binary format carried cover what matters: rounding to a typmod,
    // escapes, NULLs, dates before 2000, a time zone, a time read as a date.
    let seen: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE label LIKE E'%\\t%'), count(*) FILTER (WHERE i8 IS NULL),
                count(*) FILTER (WHERE day < '2000-01-01'), count(*) FILTER (WHERE picked = '2023-01-01')
         FROM as_binary",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0 && seen.3 > 0, "{seen:?}");
}

/// A value out of its column's range is refused by the server's own message, as in a text
/// COPY: the binary encoding gives up, and the text COPY names the value and the column.
#[tokio::test]
async fn a_value_out_of_range_is_the_servers_error() {
    let schema_sql = "CREATE TABLE t (id bigserial PRIMARY KEY, n int2);";
    let config = "[scales]\nfactors = [1.0]\n[tables.t]\nrows = 100\n[tables.t.columns]\nn = \"int(1, 100000)\"\n";
    let err = load(config, schema_sql, &[1.0]).await.unwrap_err().to_string();
    assert!(err.contains("out of range for type smallint") && err.contains("`n`"), "{err}");
}
