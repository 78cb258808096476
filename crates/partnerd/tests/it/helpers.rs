//! `TestApp`: the real server on port 0 over a fresh database, plus typed helpers.

use std::path::{Path, PathBuf};

use partnerd::config::{Config, Settings};
use partnerd::server::{self, Running, StartOptions};
use partnerd_app::{App, Clock, MailTransportConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Runs a scenario `async fn name(app: TestApp)` on each backend.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        both!($name, |c| c);
    };
    ($name:ident, $tune:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app =
                    $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite, $tune).await;
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::spawn_postgres($tune).await else {
                    return;
                };
                super::$name(app).await;
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server for tests, or None (with a notice; a failure under CI).
pub fn postgres_url() -> Option<String> {
    match std::env::var("PARTNERD_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PARTNERD_TEST_DATABASE_URL must be set under CI=true: the PostgreSQL suite is required"
            );
            eprintln!(
                "skipping the PostgreSQL variant: set PARTNERD_TEST_DATABASE_URL=postgres://… to run it"
            );
            None
        }
    }
}

/// Creates a fresh database on the test server and returns its URL.
pub async fn fresh_postgres_database(base: &str) -> String {
    use sqlx::Connection;
    let name = format!("partnerd_t_{}", partnerd_domain::ids::random_suffix());
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to PARTNERD_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let _ = conn.close().await;
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("database URL with a database name");
    let query = base
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{prefix}/{name}{query}")
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub app: App,
    pub backend: Backend,
    pub database_url: String,
    pub mail_dir: PathBuf,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

/// A JSON response.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and code.
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.body["code"], code,
            "unexpected code; body: {}",
            self.text
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "errors are problem+json: {:?}",
            self.header("content-type")
        );
        assert!(
            self.body["requestId"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "problem has a requestId"
        );
        self
    }

    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }
}

pub const OPERATOR_EMAIL: &str = "olivia@operator.example";
pub const NEW_PASSWORD: &str = "correct horse battery staple";

pub fn settings_for(database_url: &str, mail_dir: &Path) -> Config {
    let settings = Settings {
        database_url: Some(database_url.to_owned()),
        bind: Some("127.0.0.1:0".into()),
        mail_dir: Some(mail_dir.to_owned()),
        auto_migrate: Some(true),
        // Tests stop servers often; the drain delay is the drain test's own.
        drain_delay_seconds: Some(0),
        ..Settings::default()
    };
    settings.resolve().expect("test settings resolve")
}

impl TestApp {
    pub async fn spawn(backend: Backend, tune: impl FnOnce(Config) -> Config) -> Self {
        Self::spawn_with(backend, tune, false).await
    }

    /// As `spawn`, with the background workers running as in production (tests
    /// otherwise drive the workers' passes themselves).
    pub async fn spawn_with_workers(backend: Backend, tune: impl FnOnce(Config) -> Config) -> Self {
        Self::spawn_with(backend, tune, true).await
    }

    async fn spawn_with(
        backend: Backend,
        tune: impl FnOnce(Config) -> Config,
        workers: bool,
    ) -> Self {
        // Server-side errors show up in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("error")
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("partnerd.db").display()),
            Backend::Postgres => {
                let base = postgres_url().expect("postgres url");
                fresh_postgres_database(&base).await
            }
        };
        let mail_dir = dir.path().join("mail");
        let config = tune(settings_for(&database_url, &mail_dir));
        if let MailTransportConfig::Dir(d) = &config.app.mail_transport {
            assert_eq!(d, &mail_dir);
        }
        let running = server::start(
            config,
            StartOptions {
                workers,
                clock: Clock::default(),
            },
        )
        .await
        .expect("server starts");
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            base,
            client,
            app: running.app.clone(),
            backend,
            database_url,
            mail_dir,
            running: Some(running),
            _dir: dir,
        }
    }

    pub async fn spawn_postgres(tune: impl FnOnce(Config) -> Config) -> Option<Self> {
        postgres_url()?;
        Some(Self::spawn(Backend::Postgres, tune).await)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Any request; `body` is sent as JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request")).await
    }

    pub async fn read(res: reqwest::Response) -> Resp {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Resp {
        self.call(
            Method::POST,
            "/v1/sessions",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Bootstraps the operator; returns its temporary password.
    pub async fn bootstrap(&self) -> String {
        let done = self
            .app
            .bootstrap(partnerd_app::bootstrap::BootstrapInput {
                name: "Operator Inc".into(),
                domain_prefix: "operator".into(),
                country: "DE".into(),
                admin_email: OPERATOR_EMAIL.into(),
                admin_first_name: "Olivia".into(),
                admin_last_name: "Operator".into(),
            })
            .await
            .expect("bootstrap");
        done.temporary_password
    }

    /// A full (unrestricted) session of the operator's global admin.
    pub async fn operator_token(&self) -> String {
        let temporary = self.bootstrap().await;
        let restricted = self.sign_in(OPERATOR_EMAIL, &temporary).await;
        let token = restricted.ok(201)["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let changed = self
            .post(
                "/v1/me/password",
                &token,
                json!({"currentPassword": temporary, "newPassword": NEW_PASSWORD}),
            )
            .await;
        changed.ok(200)["token"]
            .as_str()
            .expect("new token")
            .to_owned()
    }

    /// Delivers everything due in the outbox.
    pub async fn drain_mail(&self) -> partnerd_app::mail::Outcome {
        self.app.drain_outbox().await.expect("outbox drains")
    }

    /// Messages written by the `dir` transport, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(&self.mail_dir) else {
            return vec![];
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("read eml"))
            .collect()
    }

    /// Turns readiness off, as SIGTERM does first.
    pub fn start_draining(&self) {
        if let Some(r) = &self.running {
            r.state.start_draining();
        }
    }

    /// Stops the server; on PostgreSQL the test's database is dropped.
    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        if self.backend == Backend::Postgres {
            use sqlx::Connection;
            let name = self
                .database_url
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            if let (Some(base), true) = (postgres_url(), name.starts_with("partnerd_t_"))
                && let Ok(mut conn) = sqlx::PgConnection::connect(&base).await
            {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
                let _ = conn.close().await;
            }
        }
    }
}

/// A header of an RFC 5322 message.
pub fn mail_header<'a>(eml: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}: ", name.to_ascii_lowercase());
    eml.lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim())
}
