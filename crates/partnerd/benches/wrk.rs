//! `cargo bench -p partnerd --bench wrk`: `GET /v1/me` and order creation under an
//! external load generator (`wrk`, 2 threads, 64 connections), each run alternated
//! with a bare axum hello-world on the same machine, so the figures are ratios that
//! survive a slower or busier machine. SQLite by default; PostgreSQL with
//! `PARTNERD_BENCH_DATABASE_URL`. Loopback only; every run lasts `WRK_SECONDS`
//! (default 10).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

mod common;

/// Requests per second and non-2xx answers of one wrk run.
struct Run {
    rps: f64,
    failed: u64,
}

fn wrk(url: &str, seconds: u32, script: Option<&std::path::Path>) -> Run {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output().expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    let number = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().parse::<f64>().expect("a number"))
    };
    Run {
        rps: number("Requests/sec:").expect("Requests/sec in wrk's report"),
        failed: number("Non-2xx or 3xx responses:").unwrap_or(0.0) as u64,
    }
}

/// A wrk script sending `method` with a bearer token, a JSON body and a fresh
/// Idempotency-Key per request (unique across wrk's threads).
fn script(
    dir: &std::path::Path,
    name: &str,
    method: &str,
    token: &str,
    body: &str,
) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.lua"));
    let lua = format!(
        r#"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{body}]]
function request()
  n = n + 1
  wrk.headers["Idempotency-Key"] = "wrk-" .. os.time() .. "-" .. tid .. "-" .. n
  return wrk.format()
end
"#
    );
    std::fs::write(&path, lua).expect("script");
    path
}

#[tokio::main]
async fn main() {
    let seconds: u32 = std::env::var("WRK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let database = if std::env::var("PARTNERD_BENCH_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let bench = common::Bench::start().await;
    let (operator, _) = bench.session("admin@contoso-cloud.example").await;
    let (nora, _) = bench.session("nora@northwind.example").await;
    let customers = bench.get(&nora, "/v1/customers?q=Wingtip").await;
    let wingtip = customers["items"][0]["id"]
        .as_str()
        .expect("Wingtip")
        .to_owned();

    let hello = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hello_url = format!("http://{}/hello", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, hello).await });

    let dir = tempfile::tempdir().expect("dir");
    let me = script(dir.path(), "me", "GET", &operator, "");
    let order = script(
        dir.path(),
        "order",
        "POST",
        &nora,
        r#"{"lineItems": [{"lineItemNumber": 0, "offerId": "m365-business-basic", "quantity": 1}]}"#,
    );
    let base = bench.base.clone();
    let me_url = format!("{base}/v1/me");
    let orders_url = format!("{base}/v1/customers/{wingtip}/orders");

    // wrk blocks; run it off the runtime that serves the requests.
    let results = tokio::task::spawn_blocking(move || {
        wrk(&hello_url, 2, None);
        let hello_1 = wrk(&hello_url, seconds, None);
        let me_run = wrk(&me_url, seconds, Some(&me));
        let hello_2 = wrk(&hello_url, seconds, None);
        let order_run = wrk(&orders_url, seconds, Some(&order));
        let hello_3 = wrk(&hello_url, seconds, None);
        (hello_1, me_run, hello_2, order_run, hello_3)
    })
    .await
    .expect("wrk runs");
    let (h1, me_run, h2, order_run, h3) = results;
    println!("wrk -t2 -c64 -d{seconds}s on {database}, alternated with a bare hello-world");
    println!(
        "  hello-world                  {:>9.0} req/s, {:>9.0} req/s, {:>9.0} req/s",
        h1.rps, h2.rps, h3.rps
    );
    println!(
        "  GET /v1/me                   {:>9.0} req/s  = {:.3} of hello-world ({} non-2xx)",
        me_run.rps,
        me_run.rps / ((h1.rps + h2.rps) / 2.0),
        me_run.failed
    );
    println!(
        "  POST .../orders              {:>9.0} req/s  = {:.4} of hello-world ({} non-2xx)",
        order_run.rps,
        order_run.rps / ((h2.rps + h3.rps) / 2.0),
        order_run.failed
    );
    bench.stop().await;
}
