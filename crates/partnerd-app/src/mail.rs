//! Mail (API.md §16): messages are written to the outbox inside the transaction of
//! the change that causes them; [`App::run_outbox_once`] delivers what is due through
//! the configured transport (`.eml` files in a folder, or SMTP), with retry and
//! backoff for up to 24 hours.

use crate::error::Conflict;
use partnerd_domain::states::OutboxStatus;
use std::path::PathBuf;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use partnerd_domain::ids::OutboxId;
use partnerd_domain::policy::Action;
use partnerd_domain::time::Timestamp;
use partnerd_store::{Conn, StoreResult, outbox};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, Entry};
use crate::metrics::TemplateLabels;
use crate::{App, AppConfig, AppError, AppResult, Ctx, MailTransportConfig, Principal};

/// A message waiting in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// `X-Partnerd-Template`.
    pub template: String,
    /// `X-Partnerd-Link`: the one link the message carries, if any.
    pub link: Option<String>,
}

/// Writes `mail` to the outbox on `conn`; returns the outbox id (the Message-ID).
pub async fn enqueue(
    conn: &mut Conn,
    mail: &OutgoingMail,
    now: Timestamp,
) -> StoreResult<OutboxId> {
    let id = OutboxId::generate();
    let payload = serde_json::to_string(mail).unwrap_or_default();
    outbox::enqueue(conn, &id, "mail", &mail.template, &payload, now).await?;
    Ok(id)
}

/// The configured transport.
pub(crate) enum Mailer {
    Dir(PathBuf),
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
}

impl Mailer {
    pub(crate) fn new(config: &AppConfig) -> AppResult<Self> {
        Ok(match &config.mail_transport {
            MailTransportConfig::Dir(dir) => Self::Dir(dir.clone()),
            MailTransportConfig::Smtp(url) => {
                // STARTTLS when the server offers it, unless the URL says otherwise.
                let url = if url.starts_with("smtp://") && !url.contains("tls=") {
                    format!(
                        "{url}{}tls=opportunistic",
                        if url.contains('?') { '&' } else { '?' }
                    )
                } else {
                    url.clone()
                };
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| AppError::bad_request(format!("the SMTP URL is not valid: {e}")))?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build();
                Self::Smtp(Box::new(transport))
            }
        })
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(d) => write!(f, "Mailer::Dir({})", d.display()),
            Self::Smtp(_) => f.write_str("Mailer::Smtp"),
        }
    }
}

/// A mail back in the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailRetry {
    #[schema(value_type = String)]
    pub id: OutboxId,
    /// `pending`: the worker sends it on its next pass.
    pub status: OutboxStatus,
    pub queued_at: Timestamp,
}

/// What one pass of the outbox worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

const LEASE_MS: i64 = 60_000;
const GIVE_UP_AFTER_MS: i64 = 24 * Timestamp::HOUR;

/// Delay before attempt `n + 1`: 30 s doubling, at most 6 h.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (30_000_i64.saturating_mul(1_i64 << exp)).min(6 * Timestamp::HOUR)
}

fn build_message(
    config: &AppConfig,
    id: &OutboxId,
    mail: &OutgoingMail,
) -> Result<Message, String> {
    let from: Mailbox = config
        .mail_from
        .parse()
        .map_err(|e| format!("mail.from: {e}"))?;
    let host = from.email.domain().to_owned();
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{id}@{host}>")))
        .date_now();
    for to in &mail.to {
        builder = builder.to(to
            .parse::<Mailbox>()
            .map_err(|e| format!("recipient {to}: {e}"))?);
    }
    let text = SinglePart::plain(mail.text.clone());
    let mut message = match &mail.html {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(html.clone())),
        ),
        None => builder.singlepart(text),
    }
    .map_err(|e| e.to_string())?;
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Partnerd-Template"),
        mail.template.clone(),
    ));
    if let Some(link) = &mail.link {
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Partnerd-Link"),
            link.clone(),
        ));
    }
    Ok(message)
}

async fn write_eml(dir: &PathBuf, name: &str, bytes: &[u8]) -> Result<(), String> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let mut file = tokio::fs::File::create(&tmp)
        .await
        .map_err(|e| format!("write {}: {e}", tmp.display()))?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes)
        .await
        .map_err(|e| format!("write: {e}"))?;
    file.sync_all().await.map_err(|e| format!("sync: {e}"))?;
    drop(file);
    tokio::fs::rename(&tmp, &target)
        .await
        .map_err(|e| format!("rename: {e}"))
}

impl App {
    async fn deliver(&self, id: &OutboxId, mail: &OutgoingMail) -> Result<(), String> {
        let message = build_message(self.config(), id, mail)?;
        match self.mailer() {
            Mailer::Dir(dir) => {
                let name = format!("{}-{id}.eml", self.now().compact());
                write_eml(dir, &name, &message.formatted()).await
            }
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }

    /// One pass of the outbox worker: claims due rows and delivers them.
    pub async fn run_outbox_once(&self) -> AppResult<Outcome> {
        let now = self.now();
        let rows = outbox::claim(self.db(), now, LEASE_MS, 20).await?;
        let mut outcome = Outcome {
            claimed: rows.len(),
            ..Outcome::default()
        };
        for row in rows {
            let result = match row.kind.as_str() {
                "mail" => match serde_json::from_str::<OutgoingMail>(&row.payload) {
                    Ok(mail) => self.deliver(&row.id, &mail).await,
                    Err(e) => Err(format!("unreadable payload: {e}")),
                },
                // Events fan out to one delivery per matching webhook subscription.
                "event" => self.fan_out(&row).await.map_err(|e| e.to_string()),
                other => Err(format!("no deliverer for outbox kind {other}")),
            };
            let now = self.now();
            let mut conn = self.db().conn().await?;
            match result {
                Ok(()) => {
                    outbox::mark_sent(&mut conn, &row.id, now).await?;
                    if row.kind == "mail" {
                        self.metrics()
                            .mail_sent
                            .get_or_create(&TemplateLabels {
                                template: row.topic.clone(),
                            })
                            .inc();
                        outcome.sent += 1;
                    }
                }
                Err(error)
                    if now.since(row.created_at) + backoff_ms(row.attempts) > GIVE_UP_AFTER_MS =>
                {
                    tracing::error!(outbox_id = %row.id, %error, "giving up on delivery");
                    drop(conn);
                    let mut tx = self.db().begin().await?;
                    outbox::mark_failed(&mut tx, &row.id, now, &error).await?;
                    let entry = Entry::new(Actor::System("outbox"), "mail", Some(row.id.clone()), "deliverMail")
                        .failed()
                        .after(serde_json::json!({"template": row.topic, "attempts": row.attempts, "error": error}));
                    self.commit_change(tx, &Ctx::default(), now, entry, Vec::new())
                        .await?;
                    self.metrics().outbox_failed.inc();
                    outcome.failed += 1;
                }
                Err(error) => {
                    tracing::warn!(outbox_id = %row.id, attempts = row.attempts, %error, "delivery failed; will retry");
                    outbox::mark_retry(
                        &mut conn,
                        &row.id,
                        now.plus_millis(backoff_ms(row.attempts)),
                        &error,
                    )
                    .await?;
                    outcome.retried += 1;
                }
            }
        }
        Ok(outcome)
    }

    /// Runs the worker until nothing is due (tests and the CLI use this).
    pub async fn drain_outbox(&self) -> AppResult<Outcome> {
        let mut total = Outcome::default();
        loop {
            let o = self.run_outbox_once().await?;
            total.claimed += o.claimed;
            total.sent += o.sent;
            total.retried += o.retried;
            total.failed += o.failed;
            if o.claimed == 0 || o.sent + o.failed == 0 {
                return Ok(total);
            }
        }
    }

    /// `partnerd mail test --to`: queues a test message (through the outbox, like
    /// every mail) so an operator can check the transport settings.
    pub async fn queue_test_mail(&self, to: &str) -> AppResult<OutboxId> {
        let email = partnerd_domain::EmailAddress::parse("/to", to)?;
        let now = self.now();
        let mail = OutgoingMail {
            to: vec![email.as_str().to_owned()],
            subject: "partnerd test message".into(),
            text: format!(
                "This message checks partnerd's mail settings.\n\nIt was queued at {} and sent by the outbox worker.\n\n{}\n",
                now,
                self.config().public_url
            ),
            html: None,
            template: "mail_test".into(),
            link: Some(self.config().public_url.clone()),
        };
        let mut tx = self.db().begin().await?;
        let id = enqueue(&mut tx, &mail, now).await?;
        partnerd_store::commit(tx).await?;
        Ok(id)
    }

    /// `POST /v1/mail/{id}/retry`: the operator puts a mail the worker gave up on
    /// back in the queue (after fixing the mail settings or the recipient's server).
    pub async fn retry_mail(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &OutboxId,
    ) -> AppResult<MailRetry> {
        p.require(Action::RetryMail)?;
        self.requeue_mail(Actor::Principal(p), ctx, id).await
    }

    /// `partnerd mail retry`: every mail the worker gave up on (at most `limit`),
    /// back in the queue. Returns what was queued again.
    pub async fn retry_failed_mail_cli(&self, limit: i64) -> AppResult<Vec<MailRetry>> {
        let failed = {
            let mut conn = self.db().conn().await?;
            outbox::failed_mail(&mut conn, limit).await?
        };
        let mut done = Vec::new();
        for (id, _, _, _) in failed {
            match self
                .requeue_mail(Actor::System("cli"), &Ctx::default(), &id)
                .await
            {
                Ok(r) => done.push(r),
                // Retried by someone else meanwhile.
                Err(AppError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    async fn requeue_mail(
        &self,
        actor: Actor<'_>,
        ctx: &Ctx,
        id: &OutboxId,
    ) -> AppResult<MailRetry> {
        let mut tx = self.db().begin().await?;
        let (kind, status) = outbox::kind_and_status(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if kind != "mail" {
            return Err(AppError::not_found());
        }
        let now = self.now();
        if !outbox::retry_failed_mail(&mut tx, id, now).await? {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!("the mail is {status}; only mail that could not be delivered is retried"),
            ));
        }
        let retry = MailRetry {
            id: id.to_owned(),
            status: status.retry()?,
            queued_at: now,
        };
        let entry = Entry::new(actor, "mail", Some(id.to_owned()), "retryMail").after(&retry);
        self.commit_change(tx, ctx, now, entry, vec![]).await?;
        Ok(retry)
    }

    /// Rows waiting in the outbox (for `/metrics` and readiness).
    pub async fn outbox_pending(&self) -> AppResult<i64> {
        let mut conn = self.db().conn().await?;
        Ok(outbox::count_pending(&mut conn).await?)
    }

    /// Status of one outbox row: `(status, attempts, last_error)`.
    pub async fn outbox_status(
        &self,
        id: &OutboxId,
    ) -> AppResult<Option<(OutboxStatus, i64, Option<String>)>> {
        let mut conn = self.db().conn().await?;
        Ok(outbox::status(&mut conn, id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(12), 6 * Timestamp::HOUR);
    }
}
