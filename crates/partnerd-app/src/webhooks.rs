//! Webhooks (API.md §14): an organisation subscribes URLs to event types; every
//! event in the outbox fans out to one delivery per matching subscription of its
//! participants; a worker posts them signed, retries with exponential backoff and
//! jitter, and gives up after 12 attempts (about a day). Deliveries run off the
//! request path, with a timeout and bounded concurrency, so a slow or dead receiver
//! never slows the server.

mod registration;

pub use registration::WebhookRegistration;

use crate::error::Conflict;
use crate::filters::status_in;
use partnerd_domain::states::WebhookDeliveryStatus;
use std::time::{Duration, Instant};

use partnerd_domain::FieldError;
use partnerd_domain::ids::{DeliveryId, EventId, OrgId, WebhookId};
use partnerd_domain::names::short_text;
use partnerd_domain::policy::Action;
use partnerd_domain::time::Timestamp;
use partnerd_store::webhooks::{self, DeliveryRow, WebhookRow};
use partnerd_store::{Conn, outbox::OutboxRow};
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::{etag, new_token};
use crate::egress::{self, HostCheck};
use crate::error::check_if_match;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// Every event type of API.md §14 (open enum: receivers tolerate new ones).
pub const EVENT_TYPES: &[&str] = &[
    "enrollment.submitted",
    "enrollment.approved",
    "enrollment.rejected",
    "invitation.accepted",
    "invitation.declined",
    "invitation.expired",
    "relationship.created",
    "relationship.terminated",
    "creditLimit.updated",
    "relationshipRequest.accepted",
    "relationshipRequest.declined",
    "relationshipRequest.expired",
    "customer.created",
    "delegatedAdmin.granted",
    "delegatedAdmin.terminated",
    "delegatedAdmin.expired",
    "order.created",
    "subscription.updated",
    "subscription.suspended",
    "subscription.reactivated",
    "subscription.cancelled",
    "subscription.expired",
    "subscription.renewed",
    "subscription.disabled",
    "subscription.deleted",
    "subscription.upgraded",
    "subscription.converted",
    "license.assigned",
    "license.removed",
    "serviceRequest.created",
    "serviceRequest.updated",
    "serviceIncident.created",
    "serviceIncident.updated",
    "offerPrice.scheduled",
    "offerPrice.deleted",
    "repricingConfig.created",
    "repricingConfig.updated",
    "repricingConfig.deleted",
    "billingRun.completed",
    "invoice.created",
    "invoice.issued",
    "invoice.paid",
    "invoice.voided",
    "payment.recorded",
    "payment.reversed",
    "user.created",
    "user.deleted",
    "webhook.test",
];

const MAX_ATTEMPTS: i64 = 12;
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries posted at once by one worker pass.
const CONCURRENCY: i64 = 8;

/// A webhook subscription (the secret is shown only when created or rotated).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    #[schema(value_type = String)]
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: Timestamp,
    pub etag: String,
}

/// One delivery of an event to a webhook.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    #[schema(value_type = String)]
    pub id: DeliveryId,
    #[schema(value_type = String)]
    pub event_id: EventId,
    pub event_type: String,
    pub attempt: i64,
    /// `pending`, `succeeded`, `failed`.
    pub status: WebhookDeliveryStatus,
    pub response_status: Option<i64>,
    pub duration_ms: Option<i64>,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A webhook as its page shows it: the webhook and its latest 50 deliveries.
#[derive(Debug, Clone)]
pub struct WebhookRecord {
    pub webhook: Webhook,
    pub deliveries: Page<WebhookDelivery>,
}

/// `POST` / `PATCH /v1/webhooks`: for PATCH only the members sent change.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// What a delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryOutcome {
    pub succeeded: usize,
    pub retrying: usize,
    pub failed: usize,
}

fn view(w: &WebhookRow, secret: Option<String>) -> Webhook {
    Webhook {
        id: w.id.clone(),
        url: w.url.clone(),
        events: w.events.split(',').map(str::to_owned).collect(),
        description: w.description.clone(),
        enabled: w.enabled,
        secret,
        created_at: w.created_at,
        etag: etag(&w.id, w.version),
    }
}

fn delivery_view(d: &DeliveryRow) -> WebhookDelivery {
    WebhookDelivery {
        id: d.id.clone(),
        event_id: d.event_id.clone(),
        event_type: d.event_type.clone(),
        attempt: d.attempt,
        status: d.status,
        response_status: d.response_status,
        duration_ms: d.duration_ms,
        next_attempt_at: d
            .next_attempt_at
            .filter(|_| d.status == WebhookDeliveryStatus::Pending),
        created_at: d.created_at,
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` for each secret.
pub fn signature(secrets: &[&str], t: i64, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut out = format!("t={t}");
    for s in secrets {
        if let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(s.as_bytes()) {
            mac.update(format!("{t}.{body}").as_bytes());
            out.push_str(&format!(",v1={}", hex::encode(mac.finalize().into_bytes())));
        }
    }
    out
}

/// 30 s doubling per attempt up to 6 h, ±10 % jitter so retries do not bunch up.
fn backoff_ms(attempt: i64) -> i64 {
    let base = (30_000_i64 << (attempt - 1).clamp(0, 10)).min(6 * Timestamp::HOUR);
    let jitter = rand::rng().random_range(-(base / 10)..=(base / 10));
    base + jitter
}

impl App {
    async fn check_url(&self, pointer: &str, raw: &str) -> Result<String, FieldError> {
        let url = raw.trim();
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                url.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
        if url.len() > 2000 || url.contains(char::is_whitespace) {
            return Err(FieldError::invalid(
                pointer,
                "must be a URL of up to 2000 characters",
            ));
        }
        let https = url.starts_with("https://") && url.len() > "https://".len();
        if !(https || (loopback && self.config().dev_mode)) {
            return Err(FieldError::invalid(
                pointer,
                "must be an https:// URL (http:// to loopback addresses only in dev mode)",
            ));
        }
        // A name that does not resolve now is kept: deliveries try again later.
        match egress::check_host(url, self.config().dev_mode).await {
            HostCheck::Refused => Err(FieldError::invalid(pointer, egress::REFUSED)),
            HostCheck::Fine | HostCheck::Unresolved => Ok(url.to_owned()),
        }
    }

    fn check_events(pointer: &str, events: &[String]) -> Result<String, FieldError> {
        if events.is_empty() {
            return Err(FieldError::invalid(
                pointer,
                "name at least one event type, or \"*\"",
            ));
        }
        if let Some(bad) = events
            .iter()
            .find(|e| *e != "*" && !EVENT_TYPES.contains(&e.as_str()))
        {
            return Err(FieldError::invalid(
                pointer,
                format!("'{bad}' is not an event type"),
            ));
        }
        let mut v: Vec<&str> = events.iter().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        Ok(v.join(","))
    }

    async fn own_webhook(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &WebhookId,
    ) -> AppResult<WebhookRow> {
        // The policy first: a caller who may not manage webhooks learns nothing
        // about which ids exist.
        p.require(Action::ManageWebhooks)?;
        webhooks::get(conn, id)
            .await?
            .filter(|w| w.organization_id == p.organization.id)
            .ok_or_else(AppError::not_found)
    }

    /// `POST /v1/webhooks`: the secret is in this answer only.
    pub async fn create_webhook(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<WebhookInput>,
    ) -> AppResult<Webhook> {
        p.require(Action::ManageWebhooks)?;
        let input = input?;
        let mut errors = Vec::new();
        let url = match &input.url {
            Some(u) => self
                .check_url("/url", u)
                .await
                .map_err(|e| errors.push(e))
                .ok(),
            None => {
                errors.push(FieldError::invalid("/url", "is required"));
                None
            }
        };
        let events = Self::check_events("/events", input.events.as_deref().unwrap_or_default())
            .map_err(|e| errors.push(e))
            .ok();
        let description = input
            .description
            .as_deref()
            .map(|d| short_text("/description", d, 500))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let (Some(url), Some(events), true) = (url, events, errors.is_empty()) else {
            return Err(AppError::validation(errors));
        };
        let now = self.now();
        let secret = new_token("whsec_");
        let row = WebhookRow {
            id: WebhookId::generate(),
            organization_id: p.organization.id.clone(),
            url,
            events,
            description,
            enabled: input.enabled.unwrap_or(true),
            secret: secret.clone(),
            previous_secret: None,
            previous_secret_until: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.db().begin().await?;
        webhooks::insert(&mut tx, &row).await?;
        let shown = view(&row, None);
        let entry = Entry::new(
            Actor::Principal(p),
            "webhook",
            Some(row.id.clone()),
            "createWebhook",
        )
        .after(&shown);
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view(&row, Some(secret)))
    }

    /// `GET /v1/webhooks`.
    pub async fn list_webhooks(
        &self,
        p: &Principal,
        page: &PageParams,
    ) -> AppResult<Page<Webhook>> {
        p.require(Action::ManageWebhooks)?;
        let now = self.now();
        let start = paging::start(page, "webhooks", now)?;
        let mut conn = self.db().conn().await?;
        let rows = webhooks::list(&mut conn, &p.organization.id, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |w| (w.created_at, w.id.to_string()),
            |w| view(&w, None),
        ))
    }

    /// `GET /v1/webhooks/{id}`.
    pub async fn get_webhook(&self, p: &Principal, id: &WebhookId) -> AppResult<Webhook> {
        let mut conn = self.db().conn().await?;
        Ok(view(&self.own_webhook(&mut conn, p, id).await?, None))
    }

    /// `/settings/webhooks/{id}` in the portal.
    pub async fn webhook_record(&self, p: &Principal, id: &WebhookId) -> AppResult<WebhookRecord> {
        let webhook = self.get_webhook(p, id).await?;
        let deliveries = self
            .list_deliveries(p, id, None, &PageParams::first(50))
            .await?;
        Ok(WebhookRecord {
            webhook,
            deliveries,
        })
    }

    /// `PATCH /v1/webhooks/{id}`.
    pub async fn update_webhook(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &WebhookId,
        if_match: Option<&str>,
        input: AppResult<WebhookInput>,
    ) -> AppResult<Webhook> {
        // Read and check (a new URL's name is resolved) before taking the write
        // lock; the update below is version-checked, so nothing slips in between.
        let before = {
            let mut conn = self.db().conn().await?;
            self.own_webhook(&mut conn, p, id).await?
        };
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        let mut after = before.clone();
        let mut errors = Vec::new();
        if let Some(u) = &input.url {
            match self.check_url("/url", u).await {
                Ok(u) => after.url = u,
                Err(e) => errors.push(e),
            }
        }
        if let Some(ev) = &input.events {
            match Self::check_events("/events", ev) {
                Ok(e) => after.events = e,
                Err(e) => errors.push(e),
            }
        }
        if let Some(d) = &input.description {
            match short_text("/description", d, 500) {
                Ok(d) => after.description = Some(d),
                Err(e) => errors.push(e),
            }
        }
        if let Some(en) = input.enabled {
            after.enabled = en;
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        after.updated_at = self.now();
        let mut tx = self.db().begin().await?;
        crate::error::written(webhooks::update(&mut tx, &after).await?)?;
        after.version += 1;
        let entry = Entry::new(
            Actor::Principal(p),
            "webhook",
            Some(after.id.clone()),
            "updateWebhook",
        )
        .before(view(&before, None))
        .after(view(&after, None));
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view(&after, None))
    }

    /// `DELETE /v1/webhooks/{id}`.
    pub async fn delete_webhook(&self, p: &Principal, ctx: &Ctx, id: &WebhookId) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let w = self.own_webhook(&mut tx, p, id).await?;
        webhooks::delete(&mut tx, &w.id).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "webhook",
            Some(w.id.clone()),
            "deleteWebhook",
        );
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(())
    }

    /// `POST /v1/webhooks/{id}/rotatesecret`: a new secret; the old one still signs
    /// (a second `v1=`) for `grace_seconds`.
    pub async fn rotate_webhook_secret(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &WebhookId,
        grace_seconds: AppResult<Option<i64>>,
    ) -> AppResult<String> {
        let mut tx = self.db().begin().await?;
        let mut w = self.own_webhook(&mut tx, p, id).await?;
        let grace = grace_seconds?.unwrap_or(3600);
        if !(0..=86_400).contains(&grace) {
            return Err(FieldError::invalid("/graceSeconds", "must be 0 to 86400").into());
        }
        let now = self.now();
        let secret = new_token("whsec_");
        w.previous_secret = (grace > 0).then(|| w.secret.clone());
        w.previous_secret_until = (grace > 0).then_some(now.plus_millis(grace * 1000));
        w.secret = secret.clone();
        w.updated_at = now;
        crate::error::written(webhooks::update(&mut tx, &w).await?)?;
        let entry = Entry::new(
            Actor::Principal(p),
            "webhook",
            Some(w.id.clone()),
            "rotateWebhookSecret",
        );
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(secret)
    }

    fn delivery_for(
        w: &WebhookRow,
        event_id: &EventId,
        event_type: &str,
        occurred_at: &str,
        data: &serde_json::Value,
        now: Timestamp,
    ) -> DeliveryRow {
        let body = serde_json::json!({
            "id": event_id,
            "type": event_type,
            "occurredAt": occurred_at,
            "organizationId": w.organization_id,
            "data": data,
        });
        DeliveryRow {
            id: DeliveryId::generate(),
            webhook_id: w.id.clone(),
            event_id: event_id.to_owned(),
            event_type: event_type.to_owned(),
            payload: body.to_string(),
            attempt: 0,
            status: WebhookDeliveryStatus::Pending,
            response_status: None,
            duration_ms: None,
            next_attempt_at: Some(now),
            created_at: now,
        }
    }

    /// `POST /v1/webhooks/{id}/test`: a `webhook.test` delivery to this webhook.
    pub async fn test_webhook(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &WebhookId,
    ) -> AppResult<WebhookDelivery> {
        let mut tx = self.db().begin().await?;
        let w = self.own_webhook(&mut tx, p, id).await?;
        let now = self.now();
        let event_id = EventId::generate();
        let d = Self::delivery_for(
            &w,
            &event_id,
            "webhook.test",
            &now.to_string(),
            &serde_json::json!({"resourceType": "webhook", "resourceId": w.id, "resourceUrl": format!("/v1/webhooks/{}", w.id)}),
            now,
        );
        webhooks::insert_delivery(&mut tx, &d).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "webhook",
            Some(w.id.clone()),
            "testWebhook",
        );
        self.commit_change(tx, ctx, now, entry, vec![]).await?;
        Ok(delivery_view(&d))
    }

    /// `GET /v1/webhooks/{id}/deliveries`.
    pub async fn list_deliveries(
        &self,
        p: &Principal,
        id: &WebhookId,
        status: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<WebhookDelivery>> {
        let mut conn = self.db().conn().await?;
        let w = self.own_webhook(&mut conn, p, id).await?;
        let status = status_in(
            "/query/status",
            status.as_deref(),
            WebhookDeliveryStatus::ALL,
        )?;
        let now = self.now();
        let start = paging::start(page, &format!("deliveries{id}{status:?}"), now)?;
        let rows = webhooks::list_deliveries(&mut conn, &w.id, status, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |d| (d.created_at, d.id.to_string()),
            |d| delivery_view(&d),
        ))
    }

    /// `POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver`: a failed delivery
    /// is tried again from the first attempt.
    pub async fn redeliver(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &WebhookId,
        delivery_id: &DeliveryId,
    ) -> AppResult<WebhookDelivery> {
        let mut tx = self.db().begin().await?;
        let w = self.own_webhook(&mut tx, p, id).await?;
        let d = webhooks::get_delivery(&mut tx, delivery_id)
            .await?
            .filter(|d| d.webhook_id == w.id)
            .ok_or_else(AppError::not_found)?;
        if !webhooks::redeliver(&mut tx, &d.id, self.now()).await? {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!(
                    "the delivery is {}; only failed deliveries are redelivered",
                    d.status
                ),
            ));
        }
        let entry = Entry::new(
            Actor::Principal(p),
            "webhook",
            Some(w.id.clone()),
            "redeliverWebhook",
        );
        let d = webhooks::get_delivery(&mut tx, delivery_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("webhooks::get_delivery found no row where one must exist")
            })?;
        self.commit_change(tx, ctx, self.now(), entry, Vec::new())
            .await?;
        Ok(delivery_view(&d))
    }

    /// Fans an outbox event out to the webhooks of its participants.
    pub(crate) async fn fan_out(&self, row: &OutboxRow) -> AppResult<()> {
        let event: serde_json::Value =
            serde_json::from_str(&row.payload).map_err(|e| AppError::internal(e.to_string()))?;
        let participants: Vec<OrgId> = event["participants"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(OrgId::from_raw))
                    .collect()
            })
            .unwrap_or_default();
        let event_type = event["type"].as_str().unwrap_or_default();
        let mut tx = self.db().begin().await?;
        let now = self.now();
        for w in webhooks::enabled_for(&mut tx, &participants).await? {
            if !w.wants(event_type) {
                continue;
            }
            let d = Self::delivery_for(
                &w,
                &EventId::from_raw(event["id"].as_str().unwrap_or_default()),
                event_type,
                event["occurredAt"].as_str().unwrap_or_default(),
                &event["data"],
                now,
            );
            webhooks::insert_delivery(&mut tx, &d).await?;
        }
        partnerd_store::commit(tx).await?;
        Ok(())
    }

    async fn post_delivery(&self, d: &DeliveryRow) -> (Option<i64>, i64) {
        let mut conn = match self.db().conn().await {
            Ok(c) => c,
            Err(_) => return (None, 0),
        };
        let Ok(Some(w)) = webhooks::get(&mut conn, &d.webhook_id).await else {
            return (None, 0);
        };
        drop(conn);
        let now = self.now();
        let mut secrets = vec![w.secret.as_str()];
        if let (Some(prev), Some(until)) = (&w.previous_secret, w.previous_secret_until)
            && until > now
        {
            secrets.push(prev);
        }
        let sig = signature(&secrets, now.unix_seconds(), &d.payload);
        let started = Instant::now();
        let res = self
            .http()
            .post(&w.url)
            .header("content-type", "application/json")
            .header("Partnerd-Event-Id", d.event_id.as_str())
            .header("Partnerd-Event-Type", &d.event_type)
            .header("Partnerd-Delivery-Attempt", d.attempt.to_string())
            .header("Partnerd-Signature", sig)
            .body(d.payload.clone())
            .timeout(TIMEOUT)
            .send()
            .await;
        let took = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        (res.ok().map(|r| i64::from(r.status().as_u16())), took)
    }

    /// One pass of the delivery worker: posts due deliveries (a few at once) and
    /// records each outcome.
    pub async fn run_webhook_deliveries_once(&self) -> AppResult<DeliveryOutcome> {
        let due = webhooks::claim(self.db(), self.now(), 60_000, CONCURRENCY).await?;
        let mut set = tokio::task::JoinSet::new();
        for d in due {
            let app = self.clone();
            set.spawn(async move {
                let (status, took) = app.post_delivery(&d).await;
                (d, status, took)
            });
        }
        let mut outcome = DeliveryOutcome::default();
        while let Some(done) = set.join_next().await {
            let Ok((d, status, took)) = done else {
                continue;
            };
            // The receiver's HTTP answer (this is egress): any 2xx accepts the event.
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            let now = self.now();
            let (state, next) = if ok {
                outcome.succeeded += 1;
                (d.status.succeed()?, None)
            } else if d.attempt >= MAX_ATTEMPTS {
                outcome.failed += 1;
                (d.status.give_up()?, None)
            } else {
                outcome.retrying += 1;
                // Still pending: another attempt is due later.
                (
                    WebhookDeliveryStatus::Pending,
                    Some(now.plus_millis(backoff_ms(d.attempt))),
                )
            };
            let mut conn = self.db().conn().await?;
            webhooks::finish_attempt(&mut conn, &d.id, state, status, took, next).await?;
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_documented_formula() {
        // HMAC-SHA256("whsec_k", "1700000000.{}") in hex, computed independently.
        let sig = signature(&["whsec_k"], 1_700_000_000, "{}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.matches("v1=").count(), 1);
        assert_eq!(signature(&["a", "b"], 1, "x").matches("v1=").count(), 2);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps_at_six_hours() {
        for attempt in 1..=12 {
            let b = backoff_ms(attempt);
            let base = (30_000_i64 << (attempt - 1).min(10)).min(6 * Timestamp::HOUR);
            assert!(
                (base - base / 10..=base + base / 10).contains(&b),
                "{attempt}: {b}"
            );
        }
    }
}
