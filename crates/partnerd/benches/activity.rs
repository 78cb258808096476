//! `cargo bench -p partnerd --bench activity`: the activity log's filters over
//! 100 000 audit records on SQLite (or `PARTNERD_BENCH_DATABASE_URL`), through the
//! API as a partner's global admin and as the operator. Prints the median and the
//! slowest of 30 reads per filter against the 100 ms target.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use partnerd::config::Settings;
use partnerd::server::{self, StartOptions};
use partnerd_domain::time::Timestamp;
use partnerd_store::audit::{self, AuditRow};

const RECORDS: usize = 100_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let url = std::env::var("PARTNERD_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let settings = Settings {
        database_url: Some(url.clone()),
        bind: Some("127.0.0.1:0".into()),
        mail_dir: Some(dir.path().join("mail")),
        rate_limit_principal_per_min: Some(10_000_000),
        rate_limit_public_per_min: Some(10_000_000),
        log: Some("error".into()),
        auto_migrate: Some(true),
        ..Settings::default()
    };
    let running = server::start(
        settings.resolve().expect("settings"),
        StartOptions {
            workers: false,
            ..StartOptions::default()
        },
    )
    .await
    .expect("server");
    let app = running.app.clone();
    let people = partnerd::demo::seed(&app).await.expect("seed");
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let token = |email: &str| {
        let password = people
            .iter()
            .find(|(_, e, _)| e == email)
            .map(|(_, _, p)| p.clone())
            .expect("sign-in");
        let client = client.clone();
        let base = base.clone();
        let email = email.to_owned();
        async move {
            let signed: serde_json::Value = client
                .post(format!("{base}/v1/sessions"))
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await
                .expect("sign in")
                .json()
                .await
                .expect("json");
            let restricted = signed["token"].as_str().expect("token").to_owned();
            let changed: serde_json::Value = client
                .post(format!("{base}/v1/me/password"))
                .bearer_auth(&restricted)
                .json(&serde_json::json!({"currentPassword": password, "newPassword": "copper kettle mountain river"}))
                .send()
                .await
                .expect("password")
                .json()
                .await
                .expect("json");
            (
                changed["token"].as_str().expect("token").to_owned(),
                signed["organization"]["id"]
                    .as_str()
                    .expect("org")
                    .to_owned(),
            )
        }
    };
    let (operator, _) = token("admin@contoso-cloud.example").await;
    let (partner, partner_org) = token("gina@fabrikam.example").await;

    // 100 000 records over the last 300 days; a tenth of them Fabrikam's.
    let now = app.now().millis();
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
                id: format!("aud_bench{n:08}"),
                occurred_at: now - i64::try_from(n).unwrap_or(0) * 259 * Timestamp::SECOND,
                actor_type: "user".into(),
                actor_user_id: Some(format!("usr_{}", n % 50)),
                actor_api_key_id: None,
                actor_name: Some("bench@example.com".into()),
                actor_organization_id: Some(org.clone()),
                on_behalf_of_organization_id: (n % 3 == 0).then(|| format!("org_cust{}", n % 200)),
                on_behalf_of_name: (n % 3 == 0).then(|| "Customer".to_owned()),
                participants: org,
                resource_type: "order".into(),
                resource_id: Some(format!("ord_{n}")),
                operation_type: operations[n % operations.len()].into(),
                operation_status: "succeeded".into(),
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
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let res = client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .expect("get");
            assert!(res.status().is_success(), "{name}: {}", res.status());
            let _ = res.bytes().await;
            times.push(t.elapsed());
        }
        times.sort();
        worst = worst.max(times[times.len() - 1]);
        println!(
            "  {name:<28} median {:>7.2} ms   slowest {:>7.2} ms",
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0
        );
    }
    println!(
        "  slowest read {:.2} ms against the 100 ms target: {}",
        worst.as_secs_f64() * 1000.0,
        if worst < Duration::from_millis(100) {
            "met"
        } else {
            "missed"
        }
    );
    tokio::time::timeout(Duration::from_secs(10), running.shutdown())
        .await
        .ok();
}
