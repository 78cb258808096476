//! What the API benchmarks share: a server on SQLite (or
//! `PARTNERD_BENCH_DATABASE_URL`) with the demo's organisations, sessions for
//! their people, and timed reads through HTTP.

// Every bench binary compiles this module and uses its own part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use partnerd::config::Settings;
use partnerd::server::{self, Running, StartOptions};
use partnerd_app::App;

pub struct Bench {
    pub running: Running,
    pub app: App,
    pub base: String,
    pub client: reqwest::Client,
    people: Vec<(String, String, String)>,
    _dir: tempfile::TempDir,
}

impl Bench {
    /// A server with the demo seeded, no background workers, no rate limits or
    /// lockouts.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let url = std::env::var("PARTNERD_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
        let settings = Settings {
            database_url: Some(url),
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
        let app = running.app.clone();
        let people = partnerd::demo::seed(&app).await.expect("seed");
        let base = format!("http://{}", running.addr);
        Self {
            running,
            app,
            base,
            client: reqwest::Client::new(),
            people,
            _dir: dir,
        }
    }

    /// A full session for one of the demo's people (its temporary password
    /// replaced): (token, organisation id).
    pub async fn session(&self, email: &str) -> (String, String) {
        let password = self.password_of(email);
        let signed: serde_json::Value = self
            .client
            .post(format!("{}/v1/sessions", self.base))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("json");
        let mut token = signed["token"].as_str().expect("token").to_owned();
        if signed["passwordChangeRequired"] == true {
            let changed: serde_json::Value = self
                .client
                .post(format!("{}/v1/me/password", self.base))
                .bearer_auth(&token)
                .json(&serde_json::json!({"currentPassword": password, "newPassword": "copper kettle mountain river"}))
                .send()
                .await
                .expect("password")
                .json()
                .await
                .expect("json");
            token = changed["token"].as_str().expect("token").to_owned();
        }
        (
            token,
            signed["organization"]["id"]
                .as_str()
                .expect("org")
                .to_owned(),
        )
    }

    /// The password the demo printed for one of its people.
    pub fn password_of(&self, email: &str) -> String {
        self.people
            .iter()
            .find(|(_, e, _)| e == email)
            .map(|(_, _, p)| p.clone())
            .expect("a sign-in of the demo")
    }

    /// One read, checked for success; the answer's body as JSON.
    pub async fn get(&self, token: &str, path: &str) -> serde_json::Value {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.expect("json")
    }

    /// Reads `path` `times` times and prints the median and the slowest; returns
    /// the slowest.
    pub async fn time(&self, name: &str, token: &str, path: &str, times: usize) -> Duration {
        let mut took = Vec::new();
        for _ in 0..times {
            let t = Instant::now();
            self.get(token, path).await;
            took.push(t.elapsed());
        }
        took.sort();
        let slowest = took[took.len() - 1];
        println!(
            "  {name:<34} median {:>8.2} ms   slowest {:>8.2} ms",
            took[took.len() / 2].as_secs_f64() * 1000.0,
            slowest.as_secs_f64() * 1000.0
        );
        slowest
    }

    pub async fn stop(self) {
        tokio::time::timeout(Duration::from_secs(10), self.running.shutdown())
            .await
            .ok();
    }
}

/// The verdict line against a target.
pub fn verdict(worst: Duration, target: Duration) -> String {
    format!(
        "  slowest read {:.2} ms against the {} ms target: {}",
        worst.as_secs_f64() * 1000.0,
        target.as_millis(),
        if worst < target { "met" } else { "missed" }
    )
}
