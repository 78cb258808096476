//! The transactional outbox: mail (and, later, webhook events) written in the same
//! transaction as the change that causes it, delivered by a worker afterwards.

use crate::{Conn, Db, StoreResult, dialect};
use partnerd_domain::ids::OutboxId;
use partnerd_domain::states::OutboxStatus;
use partnerd_domain::time::Timestamp;

/// A row claimed for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: OutboxId,
    pub kind: String,
    pub topic: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub created_at: Timestamp,
}

pub async fn enqueue(
    conn: &mut Conn,
    id: &OutboxId,
    kind: &str,
    topic: &str,
    payload: &str,
    now: Timestamp,
) -> StoreResult<()> {
    crate::query(
        "INSERT INTO outbox (id, kind, topic, payload, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
    )
    .bind(id)
    .bind(kind)
    .bind(topic)
    .bind(payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `limit` due rows for `lease_ms`; safe with several replicas.
pub async fn claim(
    db: &Db,
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxRow>> {
    let mut tx = db.begin().await?;
    let rows = crate::query(dialect::claim_outbox(db.backend()))
        .bind(now.plus_millis(lease_ms))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok(OutboxRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                topic: r.try_get("topic")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn mark_sent(conn: &mut Conn, id: &OutboxId, now: Timestamp) -> StoreResult<()> {
    crate::query("UPDATE outbox SET status = 'sent', completed_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_retry(
    conn: &mut Conn,
    id: &OutboxId,
    next_attempt_at: Timestamp,
    error: &str,
) -> StoreResult<()> {
    crate::query("UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_failed(
    conn: &mut Conn,
    id: &OutboxId,
    now: Timestamp,
    error: &str,
) -> StoreResult<()> {
    crate::query(
        "UPDATE outbox SET status = 'failed', completed_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Rows still waiting for delivery.
pub async fn count_pending(conn: &mut Conn) -> StoreResult<i64> {
    crate::query("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .fetch_scalar(conn)
        .await
}

/// `(status, attempts, last_error)` of one row, for operators and tests.
pub async fn status(
    conn: &mut Conn,
    id: &OutboxId,
) -> StoreResult<Option<(OutboxStatus, i64, Option<String>)>> {
    let row = crate::query("SELECT status, attempts, last_error FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok((
            r.try_get("status")?,
            r.try_get("attempts")?,
            r.try_get("last_error")?,
        ))
    })
    .transpose()
}

/// Mail the worker gave up on, newest first: (id, topic, last error, completed at).
pub async fn failed_mail(
    conn: &mut Conn,
    limit: i64,
) -> StoreResult<Vec<(OutboxId, String, Option<String>, Option<Timestamp>)>> {
    let rows = crate::query(
        "SELECT id, topic, last_error, completed_at FROM outbox WHERE kind = 'mail' AND status = 'failed' \
         ORDER BY created_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("topic")?,
                r.try_get("last_error")?,
                r.try_get("completed_at")?,
            ))
        })
        .collect()
}

/// `(kind, status)` of one row.
pub async fn kind_and_status(
    conn: &mut Conn,
    id: &OutboxId,
) -> StoreResult<Option<(String, OutboxStatus)>> {
    let row = crate::query("SELECT kind, status FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get("kind")?, r.try_get("status")?)))
        .transpose()
}

/// Puts a mail the worker gave up on back in the queue, due now, with a fresh
/// attempt count and give-up window. False when it is not a failed mail.
pub async fn retry_failed_mail(
    conn: &mut Conn,
    id: &OutboxId,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, created_at = $1, \
         completed_at = NULL, locked_until = NULL WHERE id = $2 AND kind = 'mail' AND status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
