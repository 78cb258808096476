//! The statements that differ between SQLite and PostgreSQL. Everything else is
//! written once.

use crate::Backend;

/// Claims due outbox rows for one worker. PostgreSQL skips rows another replica has
/// locked (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, and the claim
/// runs inside `BEGIN IMMEDIATE`, so the plain sub-select is already exclusive.
/// Binds: `$1` lease end, `$2` now, `$3` limit.
pub fn claim_outbox(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at, id LIMIT $3 \
             FOR UPDATE SKIP LOCKED) RETURNING id, kind, topic, payload, attempts, created_at"
        }
        Backend::Sqlite => {
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at, id LIMIT $3) \
             RETURNING id, kind, topic, payload, attempts, created_at"
        }
    }
}

/// Serialises changes within one organisation (the last-global-admin guard): a row
/// lock on PostgreSQL; on SQLite the write transaction (`BEGIN IMMEDIATE`) already
/// holds the database's single write lock. Bind: `$1` organisation id.
pub fn lock_organization(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "SELECT id FROM organizations WHERE id = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT id FROM organizations WHERE id = $1",
    }
}
