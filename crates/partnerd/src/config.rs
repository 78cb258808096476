//! Configuration in layers: defaults → TOML file (`--config`) → `PARTNERD_*`
//! environment → command-line flags. Secrets may also come from files named by
//! `PARTNERD_DATABASE_URL_FILE` and `PARTNERD_SMTP_URL_FILE`.

use std::path::PathBuf;

use clap::Args;
use partnerd_app::{AppConfig, MailTransportConfig};
use serde::Deserialize;

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct Settings {
    /// TOML configuration file.
    #[arg(long, env = "PARTNERD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://…`.
    #[arg(long, env = "PARTNERD_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Listen address; port 0 picks a free port.
    #[arg(long, env = "PARTNERD_BIND", global = true)]
    pub bind: Option<String>,
    /// Base of links in mail and redirects.
    #[arg(long, env = "PARTNERD_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// `dir` or `smtp`.
    #[arg(long, env = "PARTNERD_MAIL_TRANSPORT", global = true)]
    pub mail_transport: Option<String>,
    /// Where the `dir` transport writes `.eml` files.
    #[arg(long, env = "PARTNERD_MAIL_DIR", global = true)]
    pub mail_dir: Option<PathBuf>,
    /// `smtp://user:pass@host:port` (`smtps://` for implicit TLS).
    #[arg(long, env = "PARTNERD_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of all mail.
    #[arg(long, env = "PARTNERD_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// Suffix of tenants' default domains.
    #[arg(long, env = "PARTNERD_PLATFORM_DOMAIN", global = true)]
    pub platform_domain: Option<String>,
    /// The deployment's one currency (ISO 4217).
    #[arg(long, env = "PARTNERD_CURRENCY", global = true)]
    pub currency: Option<String>,
    #[arg(long, env = "PARTNERD_RATE_LIMIT_PRINCIPAL_PER_MIN", global = true)]
    pub rate_limit_principal_per_min: Option<u32>,
    #[arg(long, env = "PARTNERD_RATE_LIMIT_PUBLIC_PER_MIN", global = true)]
    pub rate_limit_public_per_min: Option<u32>,
    #[arg(long, env = "PARTNERD_RATE_LIMIT_TARGET_PER_MIN", global = true)]
    pub rate_limit_target_per_min: Option<u32>,
    #[arg(long, env = "PARTNERD_SIGNIN_FAILURES_BEFORE_LOCKOUT", global = true)]
    pub signin_failures_before_lockout: Option<u32>,
    #[arg(long, env = "PARTNERD_SIGNIN_LOCKOUT_MINUTES", global = true)]
    pub signin_lockout_minutes: Option<u32>,
    /// Run pending migrations at start-up (default: true for SQLite, false for PostgreSQL).
    #[arg(long, env = "PARTNERD_AUTO_MIGRATE", global = true)]
    pub auto_migrate: Option<bool>,
    /// Tracing filter, such as `info` or `partnerd=debug`.
    #[arg(long = "log", env = "PARTNERD_LOG", global = true)]
    pub log: Option<String>,
    /// `text` or `json`.
    #[arg(long, env = "PARTNERD_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Development conveniences; never in production. A bare `--dev-mode` means true.
    #[arg(long, env = "PARTNERD_DEV_MODE", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub dev_mode: Option<bool>,
    /// RFC 3339 instant the clock starts at; adds `/v1/testing/*` and stops the
    /// background system jobs (needs `--dev-mode`).
    #[arg(long, env = "PARTNERD_TEST_CLOCK", global = true)]
    pub test_clock: Option<String>,
    /// More webmail domains to refuse for primary contacts, comma separated.
    #[arg(
        long,
        env = "PARTNERD_WEBMAIL_DOMAINS",
        global = true,
        value_delimiter = ','
    )]
    pub webmail_domains: Option<Vec<String>>,
    /// On SIGTERM, how long new requests are still served (with `Connection: close`)
    /// after `/readyz` turned 503, so the load balancer sees it first (default 5).
    #[arg(long, env = "PARTNERD_DRAIN_DELAY_SECONDS", global = true)]
    pub drain_delay_seconds: Option<u64>,
    /// After the drain delay, how long in-flight requests may take before they are
    /// dropped (default 25).
    #[arg(long, env = "PARTNERD_SHUTDOWN_TIMEOUT_SECONDS", global = true)]
    pub shutdown_timeout_seconds: Option<u64>,
    /// A request body must arrive within this from the end of the headers, else
    /// 408 (default 30).
    #[arg(long, env = "PARTNERD_HTTP_BODY_TIMEOUT_SECONDS", global = true)]
    pub http_body_timeout_seconds: Option<u64>,
    /// A request must be answered within this from the end of the headers, else
    /// 503 (default 60).
    #[arg(long, env = "PARTNERD_HTTP_REQUEST_TIMEOUT_SECONDS", global = true)]
    pub http_request_timeout_seconds: Option<u64>,
    /// Minutes after a month's end before it is closed and can be billed (0–1440).
    #[arg(long, env = "PARTNERD_BILLING_CLOSE_DELAY_MINUTES", global = true)]
    pub billing_close_delay_minutes: Option<u32>,
    /// Run each month's billing when it closes.
    #[arg(long, env = "PARTNERD_BILLING_AUTO_RUN", global = true)]
    pub billing_auto_run: Option<bool>,
    /// Day of the next month (1–28) every draft is issued; 0 = sellers issue by hand.
    #[arg(long, env = "PARTNERD_BILLING_AUTO_ISSUE_DAY", global = true)]
    pub billing_auto_issue_day: Option<u32>,
    /// Days from an invoice's date to its due date (0–365).
    #[arg(long, env = "PARTNERD_BILLING_PAYMENT_TERMS_DAYS", global = true)]
    pub billing_payment_terms_days: Option<u32>,
}

/// The TOML file's shape (camelCase keys, like the API).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    platform_domain: Option<String>,
    currency: Option<String>,
    auto_migrate: Option<bool>,
    dev_mode: Option<bool>,
    test_clock: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    mail: FileMail,
    #[serde(default)]
    rate_limit: FileRateLimit,
    signin_failures_before_lockout: Option<u32>,
    signin_lockout_minutes: Option<u32>,
    webmail_domains: Option<Vec<String>>,
    drain_delay_seconds: Option<u64>,
    shutdown_timeout_seconds: Option<u64>,
    http_body_timeout_seconds: Option<u64>,
    http_request_timeout_seconds: Option<u64>,
    #[serde(default)]
    billing: FileBilling,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileBilling {
    close_delay_minutes: Option<u32>,
    auto_run: Option<bool>,
    auto_issue_day: Option<u32>,
    payment_terms_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileMail {
    transport: Option<String>,
    dir: Option<PathBuf>,
    smtp_url: Option<String>,
    from: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileRateLimit {
    principal_per_min: Option<u32>,
    public_per_min: Option<u32>,
    target_per_min: Option<u32>,
}

/// Everything resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    /// None = derive from the bound address.
    pub public_url: Option<String>,
    pub auto_migrate: bool,
    pub log: String,
    pub log_format: String,
    /// API-platform.md §2.5: requests still served after SIGTERM.
    pub drain_delay: std::time::Duration,
    /// API-platform.md §2.5: then the time in-flight requests have to finish.
    pub shutdown_timeout: std::time::Duration,
    pub app: AppConfig,
}

fn secret_from_file(var: &str) -> Result<Option<String>, String> {
    match std::env::var_os(format!("{var}_FILE")) {
        Some(path) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim().to_owned()))
            .map_err(|e| format!("{var}_FILE ({}): {e}", PathBuf::from(path).display())),
        None => Ok(None),
    }
}

impl Settings {
    /// Applies the layers; errors are messages for the operator (exit 2).
    pub fn resolve(&self) -> Result<Config, String> {
        let file: FileConfig = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--config {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("--config {}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let d = AppConfig::default();
        let database_url = self
            .database_url
            .clone()
            .or(secret_from_file("PARTNERD_DATABASE_URL")?)
            .or(file.database_url)
            .unwrap_or_else(|| "sqlite://./partnerd-data/partnerd.db".into());
        let is_sqlite = database_url.starts_with("sqlite:");
        let transport = self
            .mail_transport
            .clone()
            .or(file.mail.transport)
            .unwrap_or_else(|| "dir".into());
        let mail_transport = match transport.as_str() {
            "dir" => MailTransportConfig::Dir(
                self.mail_dir
                    .clone()
                    .or(file.mail.dir)
                    .unwrap_or_else(|| PathBuf::from("./partnerd-data/mail")),
            ),
            "smtp" => MailTransportConfig::Smtp(
                self.smtp_url
                    .clone()
                    .or(secret_from_file("PARTNERD_SMTP_URL")?)
                    .or(file.mail.smtp_url)
                    .ok_or("--mail-transport smtp needs --smtp-url")?,
            ),
            other => return Err(format!("--mail-transport must be dir or smtp, not {other}")),
        };
        let currency = match self.currency.clone().or(file.currency) {
            Some(code) => partnerd_domain::money::Currency::parse(&code).map_err(|_| {
                format!("--currency must be an ISO 4217 code such as EUR, not {code}")
            })?,
            None => d.currency,
        };
        let log_format = self
            .log_format
            .clone()
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            return Err(format!(
                "--log-format must be text or json, not {log_format}"
            ));
        }
        let dev_mode = self.dev_mode.or(file.dev_mode).unwrap_or(false);
        let test_clock = match self.test_clock.clone().or(file.test_clock) {
            None => None,
            Some(_) if !dev_mode => {
                return Err("--test-clock needs --dev-mode: it is for tests, never production".into());
            }
            Some(raw) => Some(partnerd_domain::time::Timestamp::parse_rfc3339(&raw).ok_or_else(
                || format!("--test-clock must be an RFC 3339 instant such as 2026-03-03T09:00:00Z, not {raw}"),
            )?),
        };
        let billing = {
            let d = partnerd_app::BillingConfig::default();
            let b = partnerd_app::BillingConfig {
                close_delay_minutes: self
                    .billing_close_delay_minutes
                    .or(file.billing.close_delay_minutes)
                    .unwrap_or(d.close_delay_minutes),
                auto_run: self
                    .billing_auto_run
                    .or(file.billing.auto_run)
                    .unwrap_or(d.auto_run),
                auto_issue_day: self
                    .billing_auto_issue_day
                    .or(file.billing.auto_issue_day)
                    .unwrap_or(d.auto_issue_day),
                payment_terms_days: self
                    .billing_payment_terms_days
                    .or(file.billing.payment_terms_days)
                    .unwrap_or(d.payment_terms_days),
            };
            if b.close_delay_minutes > 1440 {
                return Err(format!(
                    "--billing-close-delay-minutes must be 0 to 1440, not {}",
                    b.close_delay_minutes
                ));
            }
            if b.auto_issue_day > 28 {
                return Err(format!(
                    "--billing-auto-issue-day must be 1 to 28 (0 = sellers issue by hand), not {}",
                    b.auto_issue_day
                ));
            }
            if b.payment_terms_days > 365 {
                return Err(format!(
                    "--billing-payment-terms-days must be 0 to 365, not {}",
                    b.payment_terms_days
                ));
            }
            b
        };
        Ok(Config {
            bind: self
                .bind
                .clone()
                .or(file.bind)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_url: self
                .public_url
                .clone()
                .or(file.public_url)
                .map(|u| u.trim_end_matches('/').to_owned()),
            auto_migrate: self.auto_migrate.or(file.auto_migrate).unwrap_or(is_sqlite),
            log: self
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            log_format,
            database_url,
            drain_delay: std::time::Duration::from_secs(
                self.drain_delay_seconds
                    .or(file.drain_delay_seconds)
                    .unwrap_or(5),
            ),
            shutdown_timeout: std::time::Duration::from_secs(
                self.shutdown_timeout_seconds
                    .or(file.shutdown_timeout_seconds)
                    .unwrap_or(25),
            ),
            app: AppConfig {
                public_url: String::new(),
                platform_domain: self
                    .platform_domain
                    .clone()
                    .or(file.platform_domain)
                    .unwrap_or(d.platform_domain),
                currency,
                session_ttl_ms: d.session_ttl_ms,
                rate_limit_principal_per_min: self
                    .rate_limit_principal_per_min
                    .or(file.rate_limit.principal_per_min)
                    .unwrap_or(d.rate_limit_principal_per_min),
                rate_limit_public_per_min: self
                    .rate_limit_public_per_min
                    .or(file.rate_limit.public_per_min)
                    .unwrap_or(d.rate_limit_public_per_min),
                rate_limit_target_per_min: self
                    .rate_limit_target_per_min
                    .or(file.rate_limit.target_per_min)
                    .unwrap_or(d.rate_limit_target_per_min),
                signin_failures_before_lockout: self
                    .signin_failures_before_lockout
                    .or(file.signin_failures_before_lockout)
                    .unwrap_or(d.signin_failures_before_lockout),
                signin_lockout_minutes: self
                    .signin_lockout_minutes
                    .or(file.signin_lockout_minutes)
                    .unwrap_or(d.signin_lockout_minutes),
                mail_transport,
                mail_from: self
                    .mail_from
                    .clone()
                    .or(file.mail.from)
                    .unwrap_or(d.mail_from),
                dev_mode,
                test_clock,
                http_body_timeout: self
                    .http_body_timeout_seconds
                    .or(file.http_body_timeout_seconds)
                    .map_or(d.http_body_timeout, std::time::Duration::from_secs),
                http_request_timeout: self
                    .http_request_timeout_seconds
                    .or(file.http_request_timeout_seconds)
                    .map_or(d.http_request_timeout, std::time::Duration::from_secs),
                webmail_domains: self
                    .webmail_domains
                    .clone()
                    .or(file.webmail_domains)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| d.trim().to_lowercase())
                    .filter(|d| !d.is_empty())
                    .collect(),
                policy_trace: false,
                billing,
            },
        })
    }
}
