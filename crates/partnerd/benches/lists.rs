//! `cargo bench -p partnerd --bench lists`: the customer list at a million rows
//! (PRODUCT.md: every list pages, filters and stays fast at a million rows).
//! Northwind gets `PARTNERD_BENCH_ROWS` customers (default 1 000 000) on SQLite
//! (or `PARTNERD_BENCH_DATABASE_URL`); then the reseller's and the operator's
//! customer lists are read through the API: the first page (with its total), a
//! later page, search, a country filter. Prints the median and the slowest of 20
//! reads per case against a 100 ms target.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use partnerd_domain::ids::{CustomerRelationshipId, OrgId};
use std::time::{Duration, Instant};

use partnerd_domain::time::Timestamp;
use partnerd_store::customers::{self, CustomerRelationshipRow};
use partnerd_store::organizations::{self, OrganizationRow};

const COUNTRIES: [&str; 5] = ["DE", "FR", "US", "GB", "NL"];

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("PARTNERD_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let bench = common::Bench::start().await;
    let app = bench.app.clone();
    let (operator, _) = bench.session("admin@contoso-cloud.example").await;
    let (reseller, reseller_org) = bench.session("nora@northwind.example").await;

    let now = app.now();
    let started = Instant::now();
    for batch in 0..rows.div_ceil(10_000) {
        let mut tx = app.db().begin().await.expect("begin");
        for n in batch * 10_000..((batch + 1) * 10_000).min(rows) {
            let at = now.minus_millis(i64::try_from(n).unwrap_or(0) * 17 * Timestamp::SECOND);
            let id = OrgId::from_raw(format!("org_bench{n:08}"));
            organizations::insert(
                &mut tx,
                &OrganizationRow {
                    id: id.clone(),
                    kind: partnerd_domain::OrgKind::Customer,
                    name: format!("Customer {n:07} Trading"),
                    legal_name: None,
                    country: COUNTRIES[n % COUNTRIES.len()].into(),
                    domain_prefix: format!("cust{n:07}"),
                    default_domain: format!("cust{n:07}.partnerd.test"),
                    programs: Vec::new(),
                    enrollment_status: None,
                    membership_id: None,
                    created_at: at,
                    updated_at: at,
                    version: 1,
                },
            )
            .await
            .expect("organisation");
            customers::insert_relationship(
                &mut tx,
                &CustomerRelationshipRow {
                    id: CustomerRelationshipId::from_raw(format!("crl_bench{n:08}")),
                    customer_id: id,
                    partner_organization_id: OrgId::from_raw(reseller_org.clone()),
                    role: "indirectReseller".into(),
                    linked_reseller_id: None,
                    request_id: None,
                    state: partnerd_domain::states::CustomerRelationshipStatus::Active,
                    created_at: at,
                    terminated_at: None,
                    terminated_by_organization_id: None,
                    terminated_by_user_id: None,
                    version: 1,
                },
            )
            .await
            .expect("relationship");
        }
        partnerd_store::commit(tx).await.expect("commit");
    }
    if app.db().backend() == partnerd_store::Backend::Sqlite {
        // As a long-running server's file would be: the seeding's log folded in.
        let mut conn = app.db().conn().await.expect("conn");
        partnerd_store::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .expect("checkpoint");
    }
    println!(
        "customer lists over {rows} customers of one reseller (seeded in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let first = bench.get(&reseller, "/v1/customers?size=50").await;
    let next = first["continuationToken"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let needle = format!("customer {:07}", rows / 2);
    let cases = [
        (
            "reseller: first page with total",
            reseller.clone(),
            "/v1/customers?size=50".to_owned(),
        ),
        (
            "reseller: next page",
            reseller.clone(),
            format!("/v1/customers?size=50&continuationToken={next}"),
        ),
        (
            "reseller: search by name",
            reseller.clone(),
            format!("/v1/customers?size=50&q={}", needle.replace(' ', "%20")),
        ),
        (
            "reseller: search, a tenth matches",
            reseller.clone(),
            "/v1/customers?size=50&q=customer%2005".to_owned(),
        ),
        (
            "reseller: by country",
            reseller.clone(),
            "/v1/customers?size=50&country=NL".to_owned(),
        ),
        (
            "operator: every customer",
            operator.clone(),
            "/v1/customers?size=50".to_owned(),
        ),
    ];
    let found = bench.get(&reseller, &cases[2].2).await["totalCount"]
        .as_i64()
        .unwrap_or(0);
    assert!(found >= 1, "the search finds {needle}");
    let mut worst = Duration::ZERO;
    for (name, token, path) in &cases {
        worst = worst.max(bench.time(name, token, path, 20).await);
    }
    println!("{}", common::verdict(worst, Duration::from_millis(100)));
    bench.stop().await;
}
