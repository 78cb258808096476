//! `cargo bench -p partnerd --bench throughput`: ratios that tell where time goes,
//! measured in one run on this machine (loopback traffic only, bounded loops).
//!
//! 1. `GET /v1/me` with a bearer token (authentication, rate limit, a database read,
//!    JSON) against a bare axum hello-world handler: the cost of our stack per call.
//! 2. Sign-ins per second against raw argon2id hashes per second: how close sign-in
//!    comes to its floor, the password hash.
//! 3. Orders per second (idempotency record, order, subscription, audit record and
//!    outbox event in one transaction) against raw single-row insert transactions on
//!    the same database: what the bookkeeping of an order costs over a bare commit.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

mod common;

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
    let bench = common::Bench::start().await;
    let base = bench.base.clone();
    let op_email = "admin@contoso-cloud.example".to_owned();
    let op_password = bench.password_of(&op_email);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let signin_as = |email: String, password: String| {
        let client = client.clone();
        let url = format!("{base}/v1/sessions");
        async move {
            let res = client
                .post(url)
                .json(&serde_json::json!({"email": email, "password": password}))
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
    let new_password = "copper kettle mountain river".to_owned();
    let own_password = |email: String, temporary: String| {
        let client = client.clone();
        let base = base.clone();
        let new_password = new_password.clone();
        async move {
            let restricted = signin_as(email, temporary.clone()).await;
            let res = client
                .post(format!("{base}/v1/me/password"))
                .bearer_auth(&restricted)
                .json(
                    &serde_json::json!({"currentPassword": temporary, "newPassword": new_password}),
                )
                .send()
                .await
                .expect("password");
            res.json::<serde_json::Value>().await.expect("json")["token"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    };
    let token = own_password(op_email.clone(), op_password).await;
    let signin = |password: String| signin_as(op_email.clone(), password);

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

    // Order creation (idempotency record + order + subscription + audit + outbox
    // event, one transaction, over HTTP) against raw single-row insert transactions
    // on the same database and pool.
    let nora = own_password(
        "nora@northwind.example".into(),
        bench.password_of("nora@northwind.example"),
    )
    .await;
    let customers: serde_json::Value = client
        .get(format!("{base}/v1/customers?q=Wingtip"))
        .bearer_auth(&nora)
        .send()
        .await
        .expect("customers")
        .json()
        .await
        .expect("json");
    let wingtip = customers["items"][0]["id"]
        .as_str()
        .expect("Wingtip")
        .to_owned();
    let orders_url = format!("{base}/v1/customers/{wingtip}/orders");
    let orders = 400;
    let place = |from: usize, count: usize| {
        let mut tasks = Vec::new();
        for t in 0..CONCURRENCY {
            let client = client.clone();
            let url = orders_url.clone();
            let token = nora.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..count / CONCURRENCY {
                    let res = client
                        .post(&url)
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("bench-{from}-{t}-{i}"))
                        .json(&serde_json::json!({"lineItems": [{"lineItemNumber": 0, "offerId": "m365-business-basic", "quantity": 1}]}))
                        .send()
                        .await
                        .expect("order");
                    assert_eq!(res.status().as_u16(), 201);
                }
            }));
        }
        tasks
    };
    for t in place(0, 40) {
        t.await.expect("warm-up");
    }
    let started = Instant::now();
    for t in place(1, orders) {
        t.await.expect("orders");
    }
    let order_rate = orders as f64 / started.elapsed().as_secs_f64();
    {
        let mut conn = bench.app.db().conn().await.expect("conn");
        partnerd_store::query("CREATE TABLE bench_rows (id TEXT PRIMARY KEY, v BIGINT NOT NULL)")
            .execute(&mut conn)
            .await
            .expect("table");
    }
    let inserts = 2000;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let db = bench.app.db().clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..inserts / CONCURRENCY {
                let mut tx = db.begin().await.expect("begin");
                partnerd_store::query("INSERT INTO bench_rows (id, v) VALUES ($1, $2)")
                    .bind(format!("{t}-{i}"))
                    .bind(i64::try_from(i).unwrap_or_default())
                    .execute(&mut tx)
                    .await
                    .expect("insert");
                partnerd_store::commit(tx).await.expect("commit");
            }
        }));
    }
    for t in tasks {
        t.await.expect("inserts");
    }
    let insert_rate = inserts as f64 / started.elapsed().as_secs_f64();

    let backend_name = match bench.app.db().backend() {
        partnerd_store::Backend::Sqlite => "SQLite",
        partnerd_store::Backend::Postgres => "PostgreSQL",
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
    println!("  orders (POST …/orders)      {order_rate:>10.1} /s");
    println!("  raw insert transactions     {insert_rate:>10.1} /s");
    println!(
        "  ratio orders : inserts      {:>10.2}",
        order_rate / insert_rate
    );
    bench.stop().await;
}
