//! A database written by an earlier release upgrades in place with nothing lost.
//!
//! The released data is a fixture, not written by this build: `fixtures/schema-13.json`
//! holds every row of the demo's organisations as a database at schema version 13
//! (the last release before the typed core) kept them. The drill loads it onto a
//! schema migrated to 13, upgrades to this build's schema, and reads every row back:
//! every value of every column that still exists must be the same, where a column
//! whose type changed compares by meaning (`0`/`1` and `false`/`true`). A column an
//! upgrade drops on purpose is listed in [`DROPPED`] with the reason.

use std::collections::BTreeMap;

use partnerd_store::{Backend, Db, query};
use serde_json::Value;

use crate::helpers::{fresh_postgres_database, postgres_url};

/// The schema version of the last release before the typed core (main at f3ccab6).
/// Databases written by it must keep opening, whatever migrations come after.
const RELEASED: i64 = 13;

/// `(table, column)` an upgrade removes, each with the migration that says why.
const DROPPED: &[(&str, &str)] = &[
    // 0016: a partial unique index on the pair replaces the glued "a:b" key; the
    // pair and its state, from which the key was made, are kept and compared.
    ("partner_relationships", "active_key"),
    ("customer_relationships", "active_key"),
    ("delegated_admin_relationships", "active_key"),
    // 0017: comma lists moved into rows of a child table; compared there (MOVED).
    ("users", "roles"),
    ("api_keys", "roles"),
    ("organizations", "programs"),
    // 0018: the same for providers' countries and families and incidents' families.
    ("provider_authorizations", "countries"),
    ("provider_authorizations", "product_families"),
    ("service_incidents", "product_families"),
    // 0019: an offer's one cycle and price became its plan and its first price
    // version; compared there (`offers_became_plans`).
    ("offers", "billing_cycle"),
    ("offers", "unit_price_minor"),
];

/// `(table, column)` an upgrade rewrites on purpose; each is compared by its rule in
/// [`rewritten_as_the_contract_says`].
const REWRITTEN: &[(&str, &str)] = &[
    // 0020: τ is the start of the UTC day of the v1 commitment end (API-billing.md
    // §10 item 7), and a cancel now deletes.
    ("subscriptions", "commitment_end"),
    ("subscriptions", "status"),
];

/// 0020's rewrite of v1 subscriptions: P1M monthly or P1Y annual per billing
/// cycle, every tier at the v1 price, τ floored to its UTC day and `TE` the day
/// before, `cancelled` → `deleted` keeping `cancelledAt`, and no seat batch.
fn rewritten_as_the_contract_says(
    before: &BTreeMap<String, Vec<BTreeMap<String, String>>>,
    after: &BTreeMap<String, Vec<BTreeMap<String, String>>>,
) {
    let day = 86_400_000_i64;
    let old = &before["subscriptions"];
    assert!(
        old.iter().any(|r| r["status"] == "cancelled"),
        "the fixture holds no cancelled subscription"
    );
    for o in old {
        let n = after["subscriptions"]
            .iter()
            .find(|r| r["id"] == o["id"])
            .expect("the subscription is kept");
        let end: i64 = o["commitment_end"].parse().expect("millis");
        let tau = end - end.rem_euclid(day);
        assert_eq!(n["commitment_end"], tau.to_string(), "τ of {}", o["id"]);
        let te = partnerd_domain::calendar::Date::of(partnerd_domain::time::Timestamp(tau - day));
        assert_eq!(n["term_end_date"], te.to_string());
        let (term, frequency) = match o["billing_cycle"].as_str() {
            "annual" => ("P1Y", "annual"),
            _ => ("P1M", "monthly"),
        };
        assert_eq!(
            (n["term_duration"].as_str(), n["billing_frequency"].as_str()),
            (term, frequency)
        );
        assert_eq!(n["operator_price_minor"], o["unit_price_minor"]);
        assert_eq!(n["customer_price_minor"], o["unit_price_minor"]);
        let status = match o["status"].as_str() {
            "cancelled" => "deleted",
            other => other,
        };
        assert_eq!(n["status"], status);
        if status == "deleted" {
            assert_eq!(n["deleted_at"], o["cancelled_at"]);
            assert_eq!(n["next_event_at"], "<null>");
        } else {
            assert_eq!(n["next_event_at"], tau.to_string(), "the next event is τ");
        }
    }
    assert!(
        after
            .get("subscription_seat_batches")
            .is_none_or(Vec::is_empty),
        "a v1 subscription has no seat batch"
    );
    for l in &after["order_lines"] {
        let sub = after["subscriptions"]
            .iter()
            .find(|s| s["id"] == l["subscription_id"])
            .expect("its subscription");
        assert_eq!(l["term_end_date"], sub["term_end_date"]);
        assert_eq!(l["term_duration"], sub["term_duration"]);
    }
}

/// `(table, column, child table, owner column, name column)`: a comma list the
/// upgrade moves into a child table, one row per holder and name; the owner column
/// holds the table's key (`id`, or `organization_id` for provider authorisations).
const MOVED: &[(&str, &str, &str, &str, &str)] = &[
    ("users", "roles", "user_roles", "user_id", "role"),
    ("api_keys", "roles", "api_key_roles", "api_key_id", "role"),
    (
        "organizations",
        "programs",
        "organization_programs",
        "organization_id",
        "program",
    ),
    (
        "provider_authorizations",
        "countries",
        "provider_countries",
        "organization_id",
        "country",
    ),
    (
        "provider_authorizations",
        "product_families",
        "provider_product_families",
        "organization_id",
        "product_family",
    ),
    (
        "service_incidents",
        "product_families",
        "incident_product_families",
        "incident_id",
        "product_family",
    ),
];

/// The key column of `table`, which a moved list's child rows point at.
fn key_of(table: &str) -> &'static str {
    if table == "provider_authorizations" {
        "organization_id"
    } else {
        "id"
    }
}

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/schema-13.json"
    );
    let text = std::fs::read_to_string(path).expect("the released data");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

/// Writes the fixture's rows, table by table in the order they were created (so a
/// row's references exist before it).
async fn load(db: &Db, data: &Value) {
    let mut conn = db.conn().await.expect("conn");
    for table in data["tables"].as_array().expect("tables") {
        let name = table["name"].as_str().expect("name");
        let columns: Vec<(&str, bool)> = table["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().expect("column name"),
                    c["integer"].as_bool().expect("column kind"),
                )
            })
            .collect();
        let names = columns.iter().map(|c| c.0).collect::<Vec<_>>().join(", ");
        let slots = (1..=columns.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO {name} ({names}) VALUES ({slots})");
        for row in table["rows"].as_array().expect("rows") {
            let mut q = query(sql.clone());
            for ((_, integer), v) in columns.iter().zip(row.as_array().expect("row")) {
                q = if *integer {
                    q.bind(v.as_i64())
                } else {
                    q.bind(v.as_str().map(str::to_owned))
                };
            }
            q.execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("loading {name}: {e}"));
        }
    }
}

/// Every table's rows as column → text, a row per entry.
type Dump = BTreeMap<String, Vec<BTreeMap<String, String>>>;

async fn dump(db: &Db) -> Dump {
    let mut conn = db.conn().await.expect("conn");
    let tables: Vec<String> = match db.backend() {
        Backend::Sqlite => query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
        ),
        Backend::Postgres => query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_name <> '_sqlx_migrations' ORDER BY table_name",
        ),
    }
    .fetch_all_scalar(&mut conn)
    .await
    .expect("tables");
    let mut out = Dump::new();
    for table in tables {
        let columns: Vec<String> = match db.backend() {
            Backend::Sqlite => query("SELECT name FROM pragma_table_info($1) ORDER BY cid"),
            Backend::Postgres => query(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            ),
        }
        .bind(&table)
        .fetch_all_scalar(&mut conn)
        .await
        .expect("columns");
        // One text per row, columns joined by a separator no value holds.
        let row = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')"))
            .collect::<Vec<_>>()
            .join(" || '\u{1f}' || ");
        let rows: Vec<String> = query(format!("SELECT {row} FROM {table}"))
            .fetch_all_scalar(&mut conn)
            .await
            .expect("rows");
        let rows = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .cloned()
                    .zip(r.split('\u{1f}').map(meaning))
                    .collect()
            })
            .collect();
        out.insert(table, rows);
    }
    out
}

/// A flag reads `0`/`1` as a number and `false`/`true` as a boolean: the same fact.
fn meaning(v: &str) -> String {
    match v {
        "false" => "0".to_owned(),
        "true" => "1".to_owned(),
        other => other.to_owned(),
    }
}

/// The rows of `table` restricted to `columns`, as sorted lines.
fn lines(rows: &[BTreeMap<String, String>], columns: &[&String]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| format!("{c}={}", r.get(*c).map_or("<absent>", String::as_str)))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    out.sort();
    out
}

async fn upgrade_drill(url: String) {
    let data = fixture();
    assert_eq!(data["schemaVersion"], RELEASED, "the fixture's schema");
    let db = Db::connect(&url, 4).await.expect("connect");
    db.migrate_to(RELEASED).await.expect("the released schema");
    load(&db, &data).await;
    let before = dump(&db).await;
    for table in [
        "organizations",
        "users",
        "orders",
        "subscriptions",
        "audit_records",
    ] {
        let rows = before.get(table).map_or(0, Vec::len);
        assert!(rows > 0, "the fixture holds no {table}");
    }
    db.migrate().await.expect("upgrade to this build's schema");
    let (applied, known) = db.migration_status().await.expect("status");
    assert_eq!(applied, Some(known));
    assert!(known >= RELEASED);
    let after = dump(&db).await;
    for (table, old) in &before {
        let new = after
            .get(table)
            .unwrap_or_else(|| panic!("the upgrade dropped {table}"));
        assert_eq!(old.len(), new.len(), "{table} lost or gained rows");
        let Some(first) = old.first() else { continue };
        let kept: Vec<&String> = first
            .keys()
            .filter(|c| !DROPPED.contains(&(table.as_str(), c.as_str())))
            .filter(|c| !REWRITTEN.contains(&(table.as_str(), c.as_str())))
            .collect();
        for c in &kept {
            assert!(
                new.first().is_some_and(|r| r.contains_key(*c)),
                "the upgrade dropped {table}.{c} without saying why in DROPPED"
            );
        }
        assert_eq!(
            lines(old, &kept),
            lines(new, &kept),
            "{table} changed in the upgrade"
        );
    }
    rewritten_as_the_contract_says(&before, &after);
    // Every name of every moved list is a row of its child table, and no row more.
    for (table, column, child, owner, name) in MOVED {
        let children = after
            .get(*child)
            .unwrap_or_else(|| panic!("the upgrade made no {child}"));
        // Where the child keeps the order (a `position`), the order is compared too.
        let ordered = children.first().is_some_and(|r| r.contains_key("position"));
        let mut held: Vec<String> = before[*table]
            .iter()
            .flat_map(|r| {
                let id = r[key_of(table)].clone();
                r[*column]
                    .split(',')
                    .filter(|n| !n.is_empty() && *n != "<null>")
                    .enumerate()
                    .map(move |(i, n)| match ordered {
                        true => format!("{id}={n}@{i}"),
                        false => format!("{id}={n}"),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut rows: Vec<String> = children
            .iter()
            .map(|r| match ordered {
                true => format!("{}={}@{}", r[*owner], r[*name], r["position"]),
                false => format!("{}={}", r[*owner], r[*name]),
            })
            .collect();
        held.sort();
        rows.sort();
        assert!(
            !held.is_empty() || *table == "api_keys",
            "the fixture holds no {table}.{column}"
        );
        assert_eq!(
            held, rows,
            "{table}.{column} did not move whole into {child}"
        );
    }
    offers_became_plans(&db, &before, &after).await;
    // The upgraded schema refuses a status its enum does not know.
    let mut conn = db.conn().await.expect("conn");
    for sql in [
        "UPDATE orders SET status = 'lost'",
        "UPDATE subscriptions SET status = 'paused'",
        "UPDATE enrollments SET status = 'approvedd'",
    ] {
        let refused = query(sql).execute(&mut conn).await;
        assert!(refused.is_err(), "{sql} was accepted");
    }
    drop(conn);
    db.close().await;
}

/// Each offer of the release is sold on one plan (`monthly` → P1M monthly,
/// `annual` → P1Y annual), its default, priced at its old price in one version
/// effective from the month it was created; and the store reads it back with the
/// same v1 cycle and price.
async fn offers_became_plans(db: &Db, before: &Dump, after: &Dump) {
    use partnerd_domain::calendar::Month;
    use partnerd_domain::terms::Plan;
    use partnerd_domain::time::Timestamp;
    let rows_of = |table: &str, id: &str| -> Vec<BTreeMap<String, String>> {
        after[table]
            .iter()
            .filter(|r| r["offer_id"] == id)
            .cloned()
            .collect()
    };
    let old = &before["offers"];
    let cycles: Vec<&str> = old.iter().map(|o| o["billing_cycle"].as_str()).collect();
    assert!(
        cycles.contains(&"monthly") && cycles.contains(&"annual"),
        "the fixture holds offers of both cycles: {cycles:?}"
    );
    let mut conn = db.conn().await.expect("conn");
    for o in old {
        let id = o["id"].as_str();
        let (term, frequency) = match o["billing_cycle"].as_str() {
            "monthly" => ("P1M", "monthly"),
            "annual" => ("P1Y", "annual"),
            other => panic!("{id}: a cycle the release did not have: {other}"),
        };
        let now = after["offers"]
            .iter()
            .find(|r| r["id"] == id)
            .expect("the offer is kept");
        assert_eq!(
            (
                now["default_term_duration"].as_str(),
                now["default_billing_frequency"].as_str()
            ),
            (term, frequency),
            "{id}: its default plan"
        );
        let plans = rows_of("offer_plans", id);
        assert_eq!(plans.len(), 1, "{id}: one plan: {plans:?}");
        assert_eq!(
            (
                plans[0]["term_duration"].as_str(),
                plans[0]["billing_frequency"].as_str(),
                plans[0]["position"].as_str()
            ),
            (term, frequency, "0")
        );
        let created: i64 = o["created_at"].parse().expect("created_at");
        let month = Month::of(Timestamp(created)).to_string();
        let versions = rows_of("offer_price_versions", id);
        assert_eq!(versions.len(), 1, "{id}: one price version: {versions:?}");
        assert_eq!(versions[0]["effective_from"], month, "{id}");
        assert_eq!(versions[0]["created_at"], o["created_at"], "{id}");
        assert_eq!(versions[0]["created_by_type"], "system", "{id}");
        let prices = rows_of("offer_prices", id);
        assert_eq!(prices.len(), 1, "{id}: one price: {prices:?}");
        assert_eq!(
            (
                prices[0]["effective_from"].as_str(),
                prices[0]["term_duration"].as_str(),
                prices[0]["billing_frequency"].as_str(),
                prices[0]["unit_price_minor"].as_str()
            ),
            (
                month.as_str(),
                term,
                frequency,
                o["unit_price_minor"].as_str()
            ),
            "{id}: its price"
        );
        // What the v1 order code reads of it is what the release stored.
        let read = partnerd_store::offers::get(&mut conn, id)
            .await
            .expect("read")
            .expect("the offer");
        assert_eq!(read.billing_cycle, o["billing_cycle"], "{id}");
        assert_eq!(
            read.unit_price.minor().to_string(),
            o["unit_price_minor"],
            "{id}"
        );
        let plan = Plan::parse(term, frequency).expect("a plan");
        assert_eq!(read.default_plan, plan);
        assert_eq!(
            partnerd_store::offers::list_price(
                &mut conn,
                id,
                plan,
                Month::parse(&month).expect("month")
            )
            .await
            .expect("price")
            .map(|p| p.to_string()),
            Some(o["unit_price_minor"].clone()),
            "{id}: its list price"
        );
        assert_eq!(
            partnerd_store::offers::list_price(
                &mut conn,
                id,
                plan,
                Month::parse(&month).expect("month").previous()
            )
            .await
            .expect("price"),
            None,
            "{id}: unpriced before it was created"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_sqlite_database_upgrades_with_nothing_lost() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    upgrade_drill(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_postgres_database_upgrades_with_nothing_lost() {
    let Some(base) = postgres_url() else {
        return;
    };
    let url = fresh_postgres_database(&base).await;
    upgrade_drill(url).await;
}
