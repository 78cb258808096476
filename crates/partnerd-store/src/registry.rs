//! The membership registry: memberships (partner-network identities) and the
//! registry accounts that sign in to them during enrollment.

use crate::Row;
use partnerd_domain::ids::{OrgId, RegistryAccountId};
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

/// A stored membership.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRow {
    pub membership_id: String,
    pub legal_name: String,
    pub country: String,
    pub linked_organization_id: Option<OrgId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const MEMBERSHIP_COLUMNS: &str =
    "membership_id, legal_name, country, linked_organization_id, created_at, updated_at, version";

impl MembershipRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            membership_id: r.try_get("membership_id")?,
            legal_name: r.try_get("legal_name")?,
            country: r.try_get("country")?,
            linked_organization_id: r.try_get("linked_organization_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_membership(conn: &mut Conn, m: &MembershipRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO memberships ({MEMBERSHIP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&m.membership_id)
    .bind(&m.legal_name)
    .bind(&m.country)
    .bind(&m.linked_organization_id)
    .bind(m.created_at)
    .bind(m.updated_at)
    .bind(m.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_membership(conn: &mut Conn, id: &str) -> StoreResult<Option<MembershipRow>> {
    let row = crate::query(format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE membership_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| MembershipRow::read(&r)).transpose()
}

/// Writes name, country and link; bumps the version.
pub async fn update_membership(
    conn: &mut Conn,
    m: &MembershipRow,
    now: Timestamp,
) -> StoreResult<()> {
    crate::query(
        "UPDATE memberships SET legal_name = $1, country = $2, linked_organization_id = $3, updated_at = $4, \
         version = version + 1 WHERE membership_id = $5",
    )
    .bind(&m.legal_name)
    .bind(&m.country)
    .bind(&m.linked_organization_id)
    .bind(now)
    .bind(&m.membership_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Links a membership to an organisation unless it is linked already; true when linked now.
pub async fn link_membership(
    conn: &mut Conn,
    id: &str,
    organization_id: &OrgId,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE memberships SET linked_organization_id = $1, updated_at = $2, version = version + 1 \
         WHERE membership_id = $3 AND linked_organization_id IS NULL",
    )
    .bind(organization_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_membership(conn: &mut Conn, id: &str) -> StoreResult<bool> {
    let done = crate::query("DELETE FROM memberships WHERE membership_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of the membership list.
#[derive(Debug, Clone, Default)]
pub struct MembershipQuery {
    pub country: Option<String>,
    /// Legal-name prefix, case-insensitive.
    pub legal_name: Option<String>,
    pub linked: Option<bool>,
}

pub async fn list_memberships(
    conn: &mut Conn,
    q: &MembershipQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<MembershipRow>> {
    let mut f = Filter::new();
    if let Some(c) = &q.country {
        f.and("country = ?", [Arg::Text(c.clone())]);
    }
    if let Some(n) = q.legal_name.as_deref().filter(|n| !n.is_empty()) {
        f.and(
            "LOWER(legal_name) LIKE ? ESCAPE '\\'",
            [Arg::Text(crate::users::like_prefix(n))],
        );
    }
    match q.linked {
        Some(true) => {
            f.and("linked_organization_id IS NOT NULL", []);
        }
        Some(false) => {
            f.and("linked_organization_id IS NULL", []);
        }
        None => {}
    }
    crate::sql::newest_first_by(
        conn,
        f,
        "memberships",
        MEMBERSHIP_COLUMNS,
        "created_at",
        "membership_id",
        page,
        MembershipRow::read,
    )
    .await
}

/// Memberships by id (those an account may choose from).
pub async fn memberships_in(conn: &mut Conn, ids: &[String]) -> StoreResult<Vec<MembershipRow>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(m) = get_membership(conn, id).await? {
            out.push(m);
        }
    }
    Ok(out)
}

/// A stored registry account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRow {
    pub id: RegistryAccountId,
    pub username: String,
    pub username_norm: String,
    pub password_hash: String,
    /// Comma separated.
    pub membership_ids: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const ACCOUNT_COLUMNS: &str =
    "id, username, username_norm, password_hash, membership_ids, created_at, updated_at, version";

impl AccountRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            username_norm: r.try_get("username_norm")?,
            password_hash: r.try_get("password_hash")?,
            membership_ids: r.try_get("membership_ids")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_account(conn: &mut Conn, a: &AccountRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO registry_accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&a.id)
    .bind(&a.username)
    .bind(&a.username_norm)
    .bind(&a.password_hash)
    .bind(&a.membership_ids)
    .bind(a.created_at)
    .bind(a.updated_at)
    .bind(a.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_account(
    conn: &mut Conn,
    id: &RegistryAccountId,
) -> StoreResult<Option<AccountRow>> {
    let row = crate::query(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM registry_accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| AccountRow::read(&r)).transpose()
}

pub async fn find_account(conn: &mut Conn, username_norm: &str) -> StoreResult<Option<AccountRow>> {
    let row = crate::query(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM registry_accounts WHERE username_norm = $1"
    ))
    .bind(username_norm)
    .fetch_optional(conn)
    .await?;
    row.map(|r| AccountRow::read(&r)).transpose()
}

pub async fn update_account(conn: &mut Conn, a: &AccountRow, now: Timestamp) -> StoreResult<()> {
    crate::query(
        "UPDATE registry_accounts SET password_hash = $1, membership_ids = $2, updated_at = $3, version = version + 1 WHERE id = $4",
    )
    .bind(&a.password_hash)
    .bind(&a.membership_ids)
    .bind(now)
    .bind(&a.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_account(conn: &mut Conn, id: &RegistryAccountId) -> StoreResult<bool> {
    let done = crate::query("DELETE FROM registry_accounts WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list_accounts(conn: &mut Conn, page: &PageRequest) -> StoreResult<PageOf<AccountRow>> {
    crate::sql::newest_first(
        conn,
        Filter::new(),
        "registry_accounts",
        ACCOUNT_COLUMNS,
        "created_at",
        page,
        AccountRow::read,
    )
    .await
}
