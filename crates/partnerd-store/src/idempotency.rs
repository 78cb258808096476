//! Stored responses of `POST` requests sent with an `Idempotency-Key`.

use crate::{Conn, StoreResult};
use partnerd_domain::time::Timestamp;

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time: run it, then `complete` (or `abandon`).
    Started,
    /// Done before with the same body: send this again.
    Replay {
        status: i64,
        headers: String,
        body: String,
    },
    /// Still running elsewhere.
    InFlight,
    /// The key was used with another body.
    Mismatch,
}

/// Registers a key, or tells how it was used before. Records older than `ttl_ms`
/// are forgotten; an in-flight marker older than `stale_ms` is taken over (its
/// request died without an answer).
pub async fn begin(
    conn: &mut Conn,
    principal: &str,
    key: &str,
    request_hash: &str,
    now: Timestamp,
    ttl_ms: i64,
    stale_ms: i64,
) -> StoreResult<Begin> {
    crate::query(
        "DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2 AND created_at < $3",
    )
    .bind(principal)
    .bind(key)
    .bind(now.minus_millis(ttl_ms))
    .execute(&mut *conn)
    .await?;
    let inserted = crate::query(
        "INSERT INTO idempotency_keys (principal, idem_key, request_hash, state, created_at) \
         VALUES ($1, $2, $3, 'inflight', $4) ON CONFLICT DO NOTHING",
    )
    .bind(principal)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Begin::Started);
    }
    let Some(r) = crate::query(
        "SELECT request_hash, state, response_status, response_headers, response_body, created_at \
         FROM idempotency_keys WHERE principal = $1 AND idem_key = $2",
    )
    .bind(principal)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Begin::InFlight);
    };
    let hash: String = r.try_get("request_hash")?;
    if hash != request_hash {
        return Ok(Begin::Mismatch);
    }
    let state: String = r.try_get("state")?;
    if state == "done" {
        return Ok(Begin::Replay {
            status: r.try_get::<Option<i64>>("response_status")?.unwrap_or(200),
            headers: r
                .try_get::<Option<String>>("response_headers")?
                .unwrap_or_default(),
            body: r
                .try_get::<Option<String>>("response_body")?
                .unwrap_or_default(),
        });
    }
    let created: Timestamp = r.try_get("created_at")?;
    if created < now.minus_millis(stale_ms) {
        let taken = crate::query(
            "UPDATE idempotency_keys SET created_at = $1 WHERE principal = $2 AND idem_key = $3 \
             AND state = 'inflight' AND created_at = $4",
        )
        .bind(now)
        .bind(principal)
        .bind(key)
        .bind(created)
        .execute(&mut *conn)
        .await?;
        if taken.rows_affected() == 1 {
            return Ok(Begin::Started);
        }
    }
    Ok(Begin::InFlight)
}

pub async fn complete(
    conn: &mut Conn,
    principal: &str,
    key: &str,
    status: i64,
    headers: &str,
    body: &str,
) -> StoreResult<()> {
    crate::query(
        "UPDATE idempotency_keys SET state = 'done', response_status = $1, response_headers = $2, \
         response_body = $3 WHERE principal = $4 AND idem_key = $5",
    )
    .bind(status)
    .bind(headers)
    .bind(body)
    .bind(principal)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a key whose request failed on our side, so the client may retry it.
pub async fn abandon(conn: &mut Conn, principal: &str, key: &str) -> StoreResult<()> {
    crate::query("DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2 AND state = 'inflight'")
        .bind(principal)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes records past their 24 h window.
pub async fn purge(conn: &mut Conn, older_than: Timestamp) -> StoreResult<u64> {
    Ok(
        crate::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(older_than)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
