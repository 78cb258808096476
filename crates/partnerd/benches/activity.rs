//! `cargo bench -p partnerd --bench activity`: the activity log's filters over
//! 100 000 audit records on SQLite (or `PARTNERD_BENCH_DATABASE_URL`), through the
//! API as a partner's global admin and as the operator. Prints the median and the
//! slowest of 30 reads per filter against the 100 ms target.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use partnerd_domain::ids::{AuditRecordId, OrgId, UserId};
use std::time::{Duration, Instant};

use partnerd_domain::time::Timestamp;
use partnerd_store::audit::{self, AuditRow};

const RECORDS: usize = 100_000;

#[tokio::main]
async fn main() {
    let bench = common::Bench::start().await;
    let app = bench.app.clone();
    let (operator, _) = bench.session("admin@contoso-cloud.example").await;
    let (partner, partner_org) = bench.session("gina@fabrikam.example").await;

    // 100 000 records over the last 300 days; a tenth of them Fabrikam's.
    let now = app.now();
    let started = Instant::now();
    let operations = [
        "createOrder",
        "updateSubscription",
        "signIn",
        "createUser",
        "updateLicenses",
    ];
    for batch in 0..RECORDS / 1000 {
        let mut tx = app.db().begin().await.expect("begin");
        for i in 0..1000 {
            let n = batch * 1000 + i;
            let org = if n % 10 == 0 {
                partner_org.clone()
            } else {
                format!("org_other{}", n % 97)
            };
            let row = AuditRow {
                id: AuditRecordId::from_raw(format!("aud_bench{n:08}")),
                occurred_at: now
                    .minus_millis(i64::try_from(n).unwrap_or(0) * 259 * Timestamp::SECOND),
                actor_type: "user".into(),
                actor_user_id: Some(UserId::from_raw(format!("usr_{}", n % 50))),
                actor_api_key_id: None,
                actor_name: Some("bench@example.com".into()),
                actor_organization_id: Some(OrgId::from_raw(org.clone())),
                on_behalf_of_organization_id: (n % 3 == 0)
                    .then(|| OrgId::from_raw(format!("org_cust{}", n % 200))),
                on_behalf_of_name: (n % 3 == 0).then(|| "Customer".to_owned()),
                participants: org,
                resource_type: "order".into(),
                resource_id: Some(format!("ord_{n}")),
                operation_type: operations[n % operations.len()].into(),
                operation_status: partnerd_domain::states::OperationStatus::Succeeded,
                changes: None,
                request_id: None,
                source_ip: None,
            };
            audit::insert(&mut tx, &row).await.expect("insert");
        }
        partnerd_store::commit(tx).await.expect("commit");
    }
    println!(
        "activity log over {RECORDS} records (seeded in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let cases = [
        (
            "partner: newest page",
            partner.clone(),
            "/v1/auditrecords?size=50",
        ),
        (
            "partner: by operation",
            partner.clone(),
            "/v1/auditrecords?operationType=createOrder&size=50",
        ),
        (
            "partner: by customer",
            partner.clone(),
            "/v1/auditrecords?customerId=org_cust30&size=50",
        ),
        (
            "operator: newest page",
            operator.clone(),
            "/v1/auditrecords?size=50",
        ),
        (
            "operator: by operation",
            operator.clone(),
            "/v1/auditrecords?operationType=updateLicenses&size=50",
        ),
        (
            "operator: by user",
            operator.clone(),
            "/v1/auditrecords?actorUserId=usr_7&size=50",
        ),
        (
            "operator: one organisation",
            operator.clone(),
            &format!("/v1/auditrecords?organizationId={partner_org}&size=50"),
        ),
    ];
    let mut worst = Duration::ZERO;
    for (name, token, path) in &cases {
        worst = worst.max(bench.time(name, token, path, 30).await);
    }
    println!("{}", common::verdict(worst, Duration::from_millis(100)));
    bench.stop().await;
}
