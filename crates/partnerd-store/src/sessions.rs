//! Sign-in sessions, and the one query that turns a bearer token into a principal.

use crate::organizations::OrganizationRow;
use crate::users::UserRow;
use crate::{Conn, StoreResult, organizations, users};
use partnerd_domain::ids::{SessionId, UserId};
use partnerd_domain::time::Timestamp;

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub token_hash: String,
    pub user_id: UserId,
    pub restricted: bool,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A session with its user and organisation, as read on every request.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPrincipal {
    pub session_id: SessionId,
    pub restricted: bool,
    pub expires_at: Timestamp,
    pub revoked: bool,
    pub user: UserRow,
    pub organization: OrganizationRow,
}

pub async fn insert(conn: &mut Conn, s: &NewSession) -> StoreResult<()> {
    crate::query(
        "INSERT INTO sessions (id, token_hash, user_id, restricted, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.id)
    .bind(&s.token_hash)
    .bind(&s.user_id)
    .bind(s.restricted)
    .bind(s.created_at)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_principal(
    conn: &mut Conn,
    token_hash: &str,
) -> StoreResult<Option<SessionPrincipal>> {
    let sql = format!(
        "SELECT s.id AS s_id, s.restricted AS s_restricted, s.expires_at AS s_expires_at, \
         s.revoked_at AS s_revoked_at, {}, {} FROM sessions s \
         JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.organization_id \
         WHERE s.token_hash = $1",
        users::columns("u", "u_"),
        organizations::columns("o", "o_")
    );
    let Some(r) = crate::query(sql)
        .bind(token_hash)
        .fetch_optional(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(SessionPrincipal {
        session_id: r.try_get("s_id")?,
        restricted: r.try_get::<bool>("s_restricted")?,
        expires_at: r.try_get("s_expires_at")?,
        revoked: r.try_get::<Option<i64>>("s_revoked_at")?.is_some(),
        user: UserRow::read(&r, "u_")?,
        organization: OrganizationRow::read(&r, "o_")?,
    }))
}

pub async fn revoke(conn: &mut Conn, id: &SessionId, now: Timestamp) -> StoreResult<()> {
    crate::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes every live session of a user; returns how many.
pub async fn revoke_all_for_user(
    conn: &mut Conn,
    user_id: &UserId,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = crate::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
