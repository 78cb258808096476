//! `cargo bench -p partnerd --bench throughput`: ratios that tell where time goes,
//! measured in one run on this machine (loopback traffic only, bounded loops).
//!
//! 1. `GET /v1/me` with a bearer token (authentication, rate limit, a database read,
//!    JSON) against a bare axum hello-world handler: the cost of our stack per call.
//! 2. Sign-ins per second against raw argon2id hashes per second: how close sign-in
//!    comes to its floor, the password hash.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use partnerd::config::Settings;
use partnerd::server::{self, StartOptions};
use partnerd_app::bootstrap::BootstrapInput;

const CONCURRENCY: usize = 8;

async fn hammer(client: &reqwest::Client, url: &str, token: Option<&str>, total: usize) -> f64 {
    let started = Instant::now();
    let per_task = total / CONCURRENCY;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let url = url.to_owned();
        let token = token.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let mut req = client.get(&url);
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let res = req.send().await.expect("request");
                assert!(res.status().is_success(), "{}", res.status());
                let _ = res.bytes().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    (per_task * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let backend = std::env::var("PARTNERD_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let settings = Settings {
        database_url: Some(backend.clone()),
        bind: Some("127.0.0.1:0".into()),
        mail_dir: Some(dir.path().join("mail")),
        rate_limit_principal_per_min: Some(10_000_000),
        rate_limit_public_per_min: Some(10_000_000),
        rate_limit_target_per_min: Some(10_000_000),
        signin_failures_before_lockout: Some(1_000_000),
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
    let base = format!("http://{}", running.addr);
    let op = running
        .app
        .bootstrap(BootstrapInput {
            name: "Bench".into(),
            domain_prefix: "bench".into(),
            country: "DE".into(),
            admin_email: "bench@bench.example".into(),
            admin_first_name: "B".into(),
            admin_last_name: "B".into(),
        })
        .await
        .expect("bootstrap");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let signin = |password: String| {
        let client = client.clone();
        let url = format!("{base}/v1/sessions");
        async move {
            let res = client
                .post(url)
                .json(&serde_json::json!({"email": "bench@bench.example", "password": password}))
                .send()
                .await
                .expect("sign in");
            assert_eq!(res.status().as_u16(), 201);
            res.json::<serde_json::Value>().await.expect("json")["token"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    };
    let restricted = signin(op.temporary_password.clone()).await;
    let new_password = "copper kettle mountain river".to_owned();
    let res = client
        .post(format!("{base}/v1/me/password"))
        .bearer_auth(&restricted)
        .json(&serde_json::json!({"currentPassword": op.temporary_password, "newPassword": new_password}))
        .send()
        .await
        .expect("password");
    let token = res.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();

    // The reference: a bare axum hello-world on the same runtime and client.
    let hello = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hello_addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, hello).await });

    let n = 4000;
    hammer(&client, &format!("http://{hello_addr}/hello"), None, 400).await;
    hammer(&client, &format!("{base}/v1/me"), Some(&token), 400).await;
    let hello_rps = hammer(&client, &format!("http://{hello_addr}/hello"), None, n).await;
    let me_rps = hammer(&client, &format!("{base}/v1/me"), Some(&token), n).await;

    // argon2id floor: as many hashes in parallel as the sign-in path allows (one per core).
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let hashes = 8 * cores;
    let started = Instant::now();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut threads = Vec::new();
    for _ in 0..cores {
        let counter = counter.clone();
        threads.push(std::thread::spawn(move || {
            while counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < hashes {
                partnerd_app::crypto::hash_blocking("copper kettle mountain river").expect("hash");
            }
        }));
    }
    for t in threads {
        t.join().expect("thread");
    }
    let hash_rate = hashes as f64 / started.elapsed().as_secs_f64();

    let signins = 8 * cores;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..signins {
        tasks.push(tokio::spawn(signin(new_password.clone())));
    }
    for t in tasks {
        t.await.expect("sign-in task");
    }
    let signin_rate = signins as f64 / started.elapsed().as_secs_f64();

    let backend_name = if backend.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!(
        "partnerd throughput ({backend_name}, {cores} cores, {CONCURRENCY} concurrent clients on loopback)"
    );
    println!("  bare axum hello-world       {hello_rps:>10.0} req/s");
    println!("  GET /v1/me (bearer token)   {me_rps:>10.0} req/s");
    println!("  ratio /v1/me : hello-world  {:>10.2}", me_rps / hello_rps);
    println!("  argon2id hashes             {hash_rate:>10.1} /s");
    println!("  sign-ins (POST /v1/sessions){signin_rate:>10.1} /s");
    println!(
        "  ratio sign-ins : hashes     {:>10.2}",
        signin_rate / hash_rate
    );
    tokio::time::timeout(Duration::from_secs(10), running.shutdown())
        .await
        .ok();
}
