//! A database written by an earlier release upgrades in place with nothing lost.

use partnerd::demo;
use partnerd_app::{App, Clock};
use partnerd_store::{Backend, Db, query};

use crate::helpers::{fresh_postgres_database, postgres_url, settings_for};

/// The schema version of the last release before the typed core (main at f3ccab6).
/// Databases written by it must keep opening, whatever migrations come after.
const RELEASED: i64 = 13;

/// Every row of every table, as text, sorted: what an upgrade must keep.
async fn dump(db: &Db) -> Vec<(String, Vec<String>)> {
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
    let mut out = Vec::new();
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
        let row = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> = query(format!("SELECT {row} FROM {table}"))
            .fetch_all_scalar(&mut conn)
            .await
            .expect("rows");
        rows.sort();
        out.push((table, rows));
    }
    out
}

async fn upgrade_drill(url: String, mail_dir: &std::path::Path) {
    let db = Db::connect(&url, 4).await.expect("connect");
    db.migrate_to(RELEASED).await.expect("the released schema");
    let config = settings_for(&url, mail_dir);
    let app = App::new(db.clone(), config.app.clone(), Clock::default()).expect("app");
    demo::seed(&app)
        .await
        .expect("demo data on the released schema");
    let before = dump(&db).await;
    for table in [
        "organizations",
        "users",
        "orders",
        "subscriptions",
        "audit_records",
    ] {
        let rows = before
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, r)| r.len());
        assert!(rows > 0, "the demo wrote no {table}");
    }
    db.migrate().await.expect("upgrade to this build's schema");
    let (applied, known) = db.migration_status().await.expect("status");
    assert_eq!(applied, Some(known));
    assert!(known > RELEASED);
    let after = dump(&db).await;
    assert_eq!(before.len(), after.len(), "tables appeared or vanished");
    for ((table, old), (_, new)) in before.iter().zip(&after) {
        assert_eq!(old, new, "{table} changed in the upgrade");
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_sqlite_database_upgrades_with_nothing_lost() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    upgrade_drill(url, &dir.path().join("mail")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_postgres_database_upgrades_with_nothing_lost() {
    let Some(base) = postgres_url() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_postgres_database(&base).await;
    upgrade_drill(url, &dir.path().join("mail")).await;
}
