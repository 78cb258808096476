//! Webhook subscriptions and their deliveries.

use crate::Row;
use partnerd_domain::ids::{DeliveryId, EventId, OrgId, WebhookId};
use partnerd_domain::states::WebhookDeliveryStatus;
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Backend, Conn, Db, StoreResult};

/// A stored webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub id: WebhookId,
    pub organization_id: OrgId,
    pub url: String,
    pub events: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "id, organization_id, url, events, description, enabled, secret, previous_secret, \
     previous_secret_until, created_at, updated_at, version";

impl WebhookRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            organization_id: r.try_get("organization_id")?,
            url: r.try_get("url")?,
            events: r.try_get("events")?,
            description: r.try_get("description")?,
            enabled: r.try_get::<bool>("enabled")?,
            secret: r.try_get("secret")?,
            previous_secret: r.try_get("previous_secret")?,
            previous_secret_until: r.try_get("previous_secret_until")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }

    /// Whether it wants events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled && self.events.split(',').any(|e| e == "*" || e == event_type)
    }
}

pub async fn insert(conn: &mut Conn, w: &WebhookRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO webhooks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&w.id)
    .bind(&w.organization_id)
    .bind(&w.url)
    .bind(&w.events)
    .bind(&w.description)
    .bind(w.enabled)
    .bind(&w.secret)
    .bind(&w.previous_secret)
    .bind(w.previous_secret_until)
    .bind(w.created_at)
    .bind(w.updated_at)
    .bind(w.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &WebhookId) -> StoreResult<Option<WebhookRow>> {
    let row = crate::query(format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| WebhookRow::read(&r)).transpose()
}

/// Writes every mutable member if still at `w.version`; false otherwise.
pub async fn update(conn: &mut Conn, w: &WebhookRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE webhooks SET url = $1, events = $2, description = $3, enabled = $4, secret = $5, \
         previous_secret = $6, previous_secret_until = $7, updated_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10",
    )
    .bind(&w.url)
    .bind(&w.events)
    .bind(&w.description)
    .bind(w.enabled)
    .bind(&w.secret)
    .bind(&w.previous_secret)
    .bind(w.previous_secret_until)
    .bind(w.updated_at)
    .bind(&w.id)
    .bind(w.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(conn: &mut Conn, id: &WebhookId) -> StoreResult<()> {
    crate::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn list(
    conn: &mut Conn,
    organization_id: &OrgId,
    page: &PageRequest,
) -> StoreResult<PageOf<WebhookRow>> {
    let mut f = Filter::new();
    f.and("organization_id = ?", [Arg::text(organization_id)]);
    crate::sql::newest_first(
        conn,
        f,
        "webhooks",
        COLUMNS,
        "created_at",
        page,
        WebhookRow::read,
    )
    .await
}

/// The enabled webhooks of these organisations.
pub async fn enabled_for(conn: &mut Conn, organizations: &[OrgId]) -> StoreResult<Vec<WebhookRow>> {
    let mut out = Vec::new();
    for org in organizations {
        let rows = crate::query(format!(
            "SELECT {COLUMNS} FROM webhooks WHERE organization_id = $1 AND enabled = TRUE"
        ))
        .bind(org)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            out.push(WebhookRow::read(r)?);
        }
    }
    Ok(out)
}

/// A delivery of one event to one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub payload: String,
    pub attempt: i64,
    pub status: WebhookDeliveryStatus,
    pub response_status: Option<i64>,
    pub duration_ms: Option<i64>,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event_type, payload, attempt, status, response_status, \
     duration_ms, next_attempt_at, created_at";

impl DeliveryRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            webhook_id: r.try_get("webhook_id")?,
            event_id: r.try_get("event_id")?,
            event_type: r.try_get("event_type")?,
            payload: r.try_get("payload")?,
            attempt: r.try_get("attempt")?,
            status: r.try_get("status")?,
            response_status: r.try_get("response_status")?,
            duration_ms: r.try_get("duration_ms")?,
            next_attempt_at: r.try_get("next_attempt_at")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

pub async fn insert_delivery(conn: &mut Conn, d: &DeliveryRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&d.id)
    .bind(&d.webhook_id)
    .bind(&d.event_id)
    .bind(&d.event_type)
    .bind(&d.payload)
    .bind(d.attempt)
    .bind(d.status)
    .bind(d.response_status)
    .bind(d.duration_ms)
    .bind(d.next_attempt_at)
    .bind(d.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_delivery(conn: &mut Conn, id: &DeliveryId) -> StoreResult<Option<DeliveryRow>> {
    let row = crate::query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| DeliveryRow::read(&r)).transpose()
}

/// Claims up to `limit` due pending deliveries for `lease_ms` (no other worker
/// takes them meanwhile); the attempt counter goes up.
pub async fn claim(
    db: &Db,
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<DeliveryRow>> {
    let inner = "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
                 AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at, id LIMIT $3";
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "UPDATE webhook_deliveries SET locked_until = $1, attempt = attempt + 1 WHERE id IN ({inner} \
             FOR UPDATE SKIP LOCKED) RETURNING {DELIVERY_COLUMNS}"
        ),
        Backend::Sqlite => format!(
            "UPDATE webhook_deliveries SET locked_until = $1, attempt = attempt + 1 WHERE id IN ({inner}) \
             RETURNING {DELIVERY_COLUMNS}"
        ),
    };
    let mut tx = db.begin().await?;
    let rows = crate::query(sql)
        .bind(now.plus_millis(lease_ms))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
    tx.commit().await?;
    rows.iter().map(DeliveryRow::read).collect()
}

/// Records an attempt's outcome: `succeeded`, `failed`, or `pending` again at `next`.
pub async fn finish_attempt(
    conn: &mut Conn,
    id: &DeliveryId,
    status: WebhookDeliveryStatus,
    response_status: Option<i64>,
    duration_ms: i64,
    next: Option<Timestamp>,
) -> StoreResult<()> {
    crate::query(
        "UPDATE webhook_deliveries SET status = $1, response_status = $2, duration_ms = $3, next_attempt_at = $4, \
         locked_until = NULL WHERE id = $5",
    )
    .bind(status)
    .bind(response_status)
    .bind(duration_ms)
    .bind(next)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A failed delivery goes back in line (manual redelivery); false if it was not failed.
pub async fn redeliver(conn: &mut Conn, id: &DeliveryId, now: Timestamp) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE webhook_deliveries SET status = 'pending', attempt = 0, next_attempt_at = $1, locked_until = NULL \
         WHERE id = $2 AND status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list_deliveries(
    conn: &mut Conn,
    webhook_id: &WebhookId,
    status: Option<WebhookDeliveryStatus>,
    page: &PageRequest,
) -> StoreResult<PageOf<DeliveryRow>> {
    let mut f = Filter::new();
    f.and("webhook_id = ?", [Arg::text(webhook_id)]);
    if let Some(s) = status {
        f.state_is("status", s.as_str());
    }
    crate::sql::newest_first(
        conn,
        f,
        "webhook_deliveries",
        DELIVERY_COLUMNS,
        "created_at",
        page,
        DeliveryRow::read,
    )
    .await
}
