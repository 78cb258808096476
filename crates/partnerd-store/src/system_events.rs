//! System events applied (API-billing.md §1.3): one row per (subject, kind,
//! scheduled instant), so each event happens once however late or often the job
//! runs and on however many replicas.

use partnerd_domain::time::Timestamp;

use crate::{Conn, StoreResult};

/// Records that the event is applied now; false if it already was (the caller
/// then leaves it alone).
pub async fn record(
    conn: &mut Conn,
    subject_id: &str,
    kind: &str,
    scheduled_at: Timestamp,
    applied_at: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "INSERT INTO system_events (subject_id, kind, scheduled_at, applied_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(subject_id)
    .bind(kind)
    .bind(scheduled_at)
    .bind(applied_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The events applied to a subject, in the order they were scheduled:
/// `(kind, scheduled at, applied at)`.
pub async fn of_subject(
    conn: &mut Conn,
    subject_id: &str,
) -> StoreResult<Vec<(String, Timestamp, Timestamp)>> {
    let rows = crate::query(
        "SELECT kind, scheduled_at, applied_at FROM system_events WHERE subject_id = $1 \
         ORDER BY scheduled_at, kind",
    )
    .bind(subject_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("kind")?,
                r.try_get("scheduled_at")?,
                r.try_get("applied_at")?,
            ))
        })
        .collect()
}
