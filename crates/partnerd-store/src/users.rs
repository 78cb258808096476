//! Users of every organisation's directory, and failed sign-ins per e-mail.

use crate::Row;
use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Role, Roles};

use crate::{Conn, StoreResult};

/// A stored user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: UserId,
    pub organization_id: OrgId,
    pub email: String,
    pub email_norm: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Roles,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub last_sign_in_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "id, organization_id, email, email_norm, first_name, last_name, \
     password_hash, must_change_password, disabled, last_sign_in_at, created_at, updated_at, version";

/// The select list of a user read from `table` (the table or its alias), each
/// column named `{prefix}{column}`; the roles come from their rows.
pub(crate) fn columns(table: &str, prefix: &str) -> String {
    let roles = crate::sets::USER_ROLES.list_of(&format!("{table}.id"));
    crate::sets::select_list(table, prefix, COLUMNS, &[(roles, "roles")])
}

impl UserRow {
    pub(crate) fn read(r: &Row, p: &str) -> StoreResult<Self> {
        let c = |n: &str| format!("{p}{n}");
        Ok(Self {
            id: r.try_get(c("id").as_str())?,
            organization_id: r.try_get(c("organization_id").as_str())?,
            email: r.try_get(c("email").as_str())?,
            email_norm: r.try_get(c("email_norm").as_str())?,
            first_name: r.try_get(c("first_name").as_str())?,
            last_name: r.try_get(c("last_name").as_str())?,
            roles: r.try_get(c("roles").as_str())?,
            password_hash: r.try_get(c("password_hash").as_str())?,
            must_change_password: r.try_get::<bool>(c("must_change_password").as_str())?,
            disabled: r.try_get::<bool>(c("disabled").as_str())?,
            last_sign_in_at: r.try_get(c("last_sign_in_at").as_str())?,
            created_at: r.try_get(c("created_at").as_str())?,
            updated_at: r.try_get(c("updated_at").as_str())?,
            version: r.try_get(c("version").as_str())?,
        })
    }
}

pub async fn insert(conn: &mut Conn, u: &UserRow) -> StoreResult<()> {
    crate::query(
        "INSERT INTO users (id, organization_id, email, email_norm, first_name, last_name, \
         password_hash, must_change_password, disabled, last_sign_in_at, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&u.id)
    .bind(&u.organization_id)
    .bind(&u.email)
    .bind(&u.email_norm)
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(&u.password_hash)
    .bind(u.must_change_password)
    .bind(u.disabled)
    .bind(u.last_sign_in_at)
    .bind(u.created_at)
    .bind(u.updated_at)
    .bind(u.version)
    .execute(&mut *conn)
    .await?;
    set_roles(conn, &u.id, &u.roles).await
}

/// Makes `roles` the user's roles.
async fn set_roles(conn: &mut Conn, id: &UserId, roles: &Roles) -> StoreResult<()> {
    let names = roles.names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::sets::USER_ROLES
        .replace(conn, id.as_str(), &names)
        .await
}

pub async fn get(conn: &mut Conn, id: &UserId) -> StoreResult<Option<UserRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM users WHERE id = $1",
        columns("users", "")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| UserRow::read(&r, "")).transpose()
}

pub async fn find_by_email(conn: &mut Conn, email_norm: &str) -> StoreResult<Option<UserRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM users WHERE email_norm = $1",
        columns("users", "")
    ))
    .bind(email_norm)
    .fetch_optional(conn)
    .await?;
    row.map(|r| UserRow::read(&r, "")).transpose()
}

/// Sets a new password hash (temporary or chosen) and bumps the version.
pub async fn set_password(
    conn: &mut Conn,
    id: &UserId,
    hash: &str,
    must_change: bool,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3, \
         version = version + 1 WHERE id = $4",
    )
    .bind(hash)
    .bind(must_change)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch_sign_in(conn: &mut Conn, id: &UserId, now: Timestamp) -> StoreResult<()> {
    crate::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_signin_failure(
    conn: &mut Conn,
    email_norm: &str,
    at: Timestamp,
) -> StoreResult<()> {
    crate::query("INSERT INTO signin_failures (email_norm, failed_at) VALUES ($1, $2)")
        .bind(email_norm)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest failed sign-ins for an e-mail since `since`, newest first.
pub async fn recent_signin_failures(
    conn: &mut Conn,
    email_norm: &str,
    since: Timestamp,
    limit: i64,
) -> StoreResult<Vec<Timestamp>> {
    crate::query(
        "SELECT failed_at FROM signin_failures WHERE email_norm = $1 AND failed_at >= $2 \
         ORDER BY failed_at DESC LIMIT $3",
    )
    .bind(email_norm)
    .bind(since)
    .bind(limit)
    .fetch_all_scalar(conn)
    .await
}

/// Forgets failures of an e-mail (after a successful sign-in), and old ones of everybody.
pub async fn clear_signin_failures(
    conn: &mut Conn,
    email_norm: &str,
    older_than: Timestamp,
) -> StoreResult<()> {
    crate::query("DELETE FROM signin_failures WHERE email_norm = $1 OR failed_at < $2")
        .bind(email_norm)
        .bind(older_than)
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters of a user list (one organisation).
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub organization_id: OrgId,
    /// A role name the user must hold.
    pub role: Option<String>,
    /// Prefix of the e-mail, first or last name (case-insensitive).
    pub q: Option<String>,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_prefix(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A page of an organisation's users, newest first.
pub async fn list(
    conn: &mut Conn,
    q: &UserQuery,
    page: &crate::sql::PageRequest,
) -> StoreResult<crate::sql::PageOf<UserRow>> {
    use crate::sql::{Arg, Filter};
    let mut f = Filter::new();
    f.and("organization_id = ?", [Arg::text(&q.organization_id)]);
    if let Some(role) = &q.role {
        f.and(
            &crate::sets::USER_ROLES.holds("users.id", "?"),
            [Arg::text(role)],
        );
    }
    if let Some(text) = q.q.as_deref().filter(|t| !t.is_empty()) {
        let p = like_prefix(text);
        f.and(
            "(email_norm LIKE ? ESCAPE '\\' OR LOWER(first_name) LIKE ? ESCAPE '\\' OR LOWER(last_name) LIKE ? ESCAPE '\\')",
            [Arg::Text(p.clone()), Arg::Text(p.clone()), Arg::Text(p)],
        );
    }
    crate::sql::newest_first(
        conn,
        f,
        "users",
        &columns("users", ""),
        "created_at",
        page,
        |r| UserRow::read(r, ""),
    )
    .await
}

/// Writes names, roles and the disabled flag if the row is still at `u.version`;
/// bumps the version. False when another transaction changed it first.
pub async fn update(conn: &mut Conn, u: &UserRow, now: Timestamp) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE users SET first_name = $1, last_name = $2, disabled = $3, updated_at = $4, \
         version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(u.disabled)
    .bind(now)
    .bind(&u.id)
    .bind(u.version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    set_roles(conn, &u.id, &u.roles).await?;
    Ok(true)
}

pub async fn delete(conn: &mut Conn, id: &UserId) -> StoreResult<bool> {
    crate::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = crate::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ids of the organisation's enabled global admins.
pub async fn active_global_admins(
    conn: &mut Conn,
    organization_id: &OrgId,
) -> StoreResult<Vec<UserId>> {
    crate::query(format!(
        "SELECT id FROM users WHERE organization_id = $1 AND disabled = FALSE AND {}",
        crate::sets::USER_ROLES.holds("users.id", "$2")
    ))
    .bind(organization_id)
    .bind(Role::GlobalAdmin.as_str())
    .fetch_all_scalar(conn)
    .await
}
