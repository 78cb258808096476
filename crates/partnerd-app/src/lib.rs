//! partnerd's use cases.
//!
//! One method on [`App`] per thing a person or program does. Each takes the acting
//! [`Principal`] (or nothing, for public calls) and the request [`Ctx`], asks the
//! policy first, runs one transaction, and writes its audit record and outbox rows in
//! that transaction. The web layer only extracts input, calls one method, renders.

pub mod api_keys;
pub mod attention;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod bootstrap;
pub mod catalog;
mod change;
pub mod clock;
pub mod commerce;
pub mod connections;
pub mod credit;
pub mod crypto;
pub mod csrf;
pub mod customer_users;
pub mod customers;
pub mod dashboard;
pub mod egress;
pub mod enrollment;
pub mod error;
pub(crate) mod events;
pub mod expiry;
pub mod filters;
pub mod idempotency;
pub mod mail;
pub mod metrics;
pub mod organizations;
pub mod paging;
pub mod policy_trace;
pub mod profiles;
pub mod providers;
pub mod ratelimit;
pub mod registry;
pub mod support;
pub mod tenancy;
pub mod testing;
pub mod urls;
pub mod users;
pub mod views;
pub mod webhooks;

use partnerd_domain::ids::{ApiKeyId, SessionId};
use std::path::PathBuf;
use std::sync::Arc;

use partnerd_domain::policy::{self, Action, Actor, Decision};
use partnerd_domain::{Roles, time::Timestamp};
use partnerd_store::Db;

pub use clock::Clock;
pub use error::{AppError, AppResult, Conflict, Refusal, Unacceptable};
pub use metrics::Metrics;

/// Where outgoing mail goes.
#[derive(Debug, Clone)]
pub enum MailTransportConfig {
    /// Each message as an `.eml` file in this folder.
    Dir(PathBuf),
    /// `smtp://user:pass@host:port` or `smtps://…`.
    Smtp(String),
}

/// Settings the use cases read.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub public_url: String,
    pub platform_domain: String,
    pub currency: partnerd_domain::money::Currency,
    pub session_ttl_ms: i64,
    pub rate_limit_principal_per_min: u32,
    pub rate_limit_public_per_min: u32,
    pub rate_limit_target_per_min: u32,
    pub signin_failures_before_lockout: u32,
    pub signin_lockout_minutes: u32,
    pub mail_transport: MailTransportConfig,
    pub mail_from: String,
    pub dev_mode: bool,
    /// `--test-clock`: the clock starts here, `/v1/testing/*` exists and system
    /// events are applied only when asked (dev mode only).
    pub test_clock: Option<partnerd_domain::time::Timestamp>,
    /// Webmail domains refused for primary contacts, besides the built-in list.
    pub webmail_domains: Vec<String>,
    /// Answer each request with the policy actions it asked for (`Partnerd-Policy-Asked`);
    /// see [`policy_trace`].
    pub policy_trace: bool,
    /// API-platform.md §2.4: a request body must arrive within this from the end of
    /// its headers (else 408 `request_timeout`).
    pub http_body_timeout: std::time::Duration,
    /// API-platform.md §2.4: a request must be answered within this from the end of
    /// its headers (else its handler is dropped and it answers 503).
    pub http_request_timeout: std::time::Duration,
    pub billing: BillingConfig,
}

/// The monthly billing's settings (API-billing.md §8.6).
#[derive(Debug, Clone)]
pub struct BillingConfig {
    /// Minutes after a month's end before it is closed and can be billed (0–1440).
    pub close_delay_minutes: u32,
    /// Run each month when it closes.
    pub auto_run: bool,
    /// Day of the next month (1–28) the drafts are issued; 0 = sellers issue by hand.
    pub auto_issue_day: u32,
    /// Days from an invoice's date to its due date (0–365).
    pub payment_terms_days: u32,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            close_delay_minutes: 60,
            auto_run: true,
            auto_issue_day: 8,
            payment_terms_days: 30,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            platform_domain: "partnerd.test".into(),
            currency: partnerd_domain::money::Currency::USD,
            session_ttl_ms: 8 * Timestamp::HOUR,
            rate_limit_principal_per_min: 600,
            rate_limit_public_per_min: 60,
            rate_limit_target_per_min: 10,
            signin_failures_before_lockout: 10,
            signin_lockout_minutes: 15,
            mail_transport: MailTransportConfig::Dir(PathBuf::from("./partnerd-data/mail")),
            mail_from: "partnerd <no-reply@localhost>".into(),
            dev_mode: false,
            test_clock: None,
            webmail_domains: Vec::new(),
            policy_trace: false,
            http_body_timeout: std::time::Duration::from_secs(30),
            http_request_timeout: std::time::Duration::from_secs(60),
            billing: BillingConfig::default(),
        }
    }
}

/// Facts about the request that audit records keep.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub request_id: String,
    pub source_ip: Option<String>,
    /// The `Idempotency-Key` this request runs under. A use case that creates
    /// something stores its response in its own transaction, so a crash between
    /// commit and answer still replays.
    pub idempotency: Option<IdempotentRequest>,
}

/// A request under an `Idempotency-Key`: whose, which key, and how the web layer
/// writes a created resource for replay (the app knows no HTTP).
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    /// The principal's key (`Principal::key`).
    pub principal: String,
    pub key: String,
    /// `(status, headers)` of the response that created the resource at
    /// `location` with entity tag `etag`.
    pub created: fn(location: &str, etag: &str) -> (i64, String),
}

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    Session {
        session_id: SessionId,
        restricted: bool,
    },
    ApiKey {
        id: ApiKeyId,
        name: String,
    },
}

/// The authenticated caller: a user's session or an API key, acting as one
/// organisation with some roles.
#[derive(Debug, Clone)]
pub struct Principal {
    pub credential: Credential,
    /// The signed-in user (None for an API key).
    pub user: Option<views::User>,
    pub organization: views::Organization,
    pub roles: Roles,
}

impl Principal {
    /// Key of the caller's rate-limit bucket and idempotency records.
    pub fn key(&self) -> String {
        match &self.credential {
            Credential::Session { .. } => self
                .user
                .as_ref()
                .map(|u| u.id.to_string())
                .unwrap_or_default(),
            Credential::ApiKey { id, .. } => id.to_string(),
        }
    }

    pub fn is_restricted(&self) -> bool {
        matches!(
            self.credential,
            Credential::Session {
                restricted: true,
                ..
            }
        )
    }

    pub fn actor(&self) -> Actor {
        Actor {
            org_kind: self.organization.kind,
            programs: self.organization.programs.clone(),
            roles: self.roles.clone(),
            user_session: matches!(self.credential, Credential::Session { .. }),
        }
    }

    /// Asks the policy; a refusal becomes the 403 it names.
    pub fn require(&self, action: Action) -> AppResult<()> {
        policy_trace::record(action, true);
        match policy::can(&self.actor(), action) {
            Decision::Allow { .. } => Ok(()),
            Decision::Deny { code, reason } => Err(AppError::forbidden(code, reason)),
        }
    }

    /// [`Principal::require`] with the facts of the resource at hand (delegated admin).
    pub fn require_with(&self, action: Action, facts: policy::Facts) -> AppResult<()> {
        policy_trace::record(action, true);
        match policy::can_with(&self.actor(), action, facts) {
            Decision::Allow { .. } => Ok(()),
            Decision::Deny { code, reason } => Err(AppError::forbidden(code, reason)),
        }
    }

    pub fn may(&self, action: Action) -> bool {
        policy_trace::record(action, false);
        policy::can(&self.actor(), action).is_allowed()
    }
}

struct Inner {
    db: Db,
    config: AppConfig,
    clock: Clock,
    hasher: crypto::PasswordHasherPool,
    limits: ratelimit::RateLimits,
    mailer: mail::Mailer,
    metrics: Metrics,
    /// The key customer-request links are derived from (read once from the database).
    link_key: tokio::sync::OnceCell<Vec<u8>>,
    /// The key portal CSRF tokens are derived from (read once from the database).
    csrf_key: tokio::sync::OnceCell<Vec<u8>>,
    /// Outgoing HTTP (webhook deliveries): no redirects, bounded time.
    http: reqwest::Client,
}

/// The application: cheap to clone, shared by every request and worker.
#[derive(Clone)]
pub struct App(Arc<Inner>);

impl App {
    pub fn new(db: Db, config: AppConfig, clock: Clock) -> AppResult<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let limits = ratelimit::RateLimits::new(
            config.rate_limit_principal_per_min,
            config.rate_limit_public_per_min,
            config.rate_limit_target_per_min,
        );
        let mailer = mail::Mailer::new(&config)?;
        let deliveries_to_loopback = config.dev_mode;
        // The store reads this clock where a stored value depends on the date.
        let db = db.with_clock({
            let clock = clock.clone();
            partnerd_store::Clock::new(move || clock.now())
        });
        Ok(Self(Arc::new(Inner {
            db,
            config,
            clock,
            hasher: crypto::PasswordHasherPool::new(cores),
            limits,
            mailer,
            metrics: Metrics::new(),
            link_key: tokio::sync::OnceCell::new(),
            csrf_key: tokio::sync::OnceCell::new(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(std::sync::Arc::new(egress::PublicOnly {
                    allow_loopback: deliveries_to_loopback,
                }))
                .connect_timeout(std::time::Duration::from_secs(5))
                .user_agent("partnerd-webhooks")
                .build()
                .map_err(|e| AppError::unavailable(format!("cannot build the HTTP client: {e}")))?,
        })))
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    pub fn config(&self) -> &AppConfig {
        &self.0.config
    }

    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    pub fn limits(&self) -> &ratelimit::RateLimits {
        &self.0.limits
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub(crate) fn hasher(&self) -> &crypto::PasswordHasherPool {
        &self.0.hasher
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    pub(crate) fn mailer(&self) -> &mail::Mailer {
        &self.0.mailer
    }

    /// The platform key that request links are derived from; made on first use and
    /// shared by every replica through the database.
    pub(crate) async fn link_key(&self) -> AppResult<&[u8]> {
        let key = self
            .0
            .link_key
            .get_or_try_init(|| async {
                let mut conn = self.db().conn().await?;
                let hex_key = partnerd_store::customers::platform_secret(
                    &mut conn,
                    "customer_request_links",
                    crypto::new_platform_key,
                    self.now(),
                )
                .await?;
                Ok::<_, AppError>(hex_key.into_bytes())
            })
            .await?;
        Ok(key)
    }

    /// Readiness: the database answers and every migration is applied.
    pub async fn readiness(&self) -> Result<(), Unready> {
        self.db().ping().await.map_err(|e| Unready {
            check: "database",
            detail: "the database does not answer".into(),
            cause: Some(e.to_string()),
        })?;
        match self.db().migration_status().await {
            Ok((Some(applied), known)) if applied >= known => Ok(()),
            Ok((applied, known)) => Err(Unready {
                check: "migrations",
                detail: format!(
                    "database is at version {}, this build needs {known}",
                    applied.unwrap_or(0)
                ),
                cause: None,
            }),
            Err(e) => Err(Unready {
                check: "migrations",
                detail: "the migration history cannot be read".into(),
                cause: Some(e.to_string()),
            }),
        }
    }
}

/// Why this replica should not get traffic: the dependency that failed, a sentence for
/// the probe's answer, and the raw cause for the log only.
#[derive(Debug, Clone)]
pub struct Unready {
    pub check: &'static str,
    pub detail: String,
    pub cause: Option<String>,
}
