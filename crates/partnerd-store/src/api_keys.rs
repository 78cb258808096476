//! API keys of an organisation.

use crate::Row;
use partnerd_domain::Roles;
use partnerd_domain::ids::{ApiKeyId, OrgId};
use partnerd_domain::time::Timestamp;

use crate::organizations::OrganizationRow;
use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult, organizations};

/// A stored API key (never its secret, only the secret's hash).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub organization_id: OrgId,
    pub name: String,
    pub roles: Roles,
    pub prefix: String,
    pub secret_hash: String,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub version: i64,
}

const COLUMNS: &str = "id, organization_id, name, prefix, secret_hash, created_by, created_at, \
     expires_at, last_used_at, revoked_at, version";

/// The select list of a key read from `table` (the table or its alias), each column
/// named `{prefix}{column}`; the roles come from their rows.
fn columns(table: &str, prefix: &str) -> String {
    let roles = crate::sets::API_KEY_ROLES.list_of(&format!("{table}.id"));
    crate::sets::select_list(table, prefix, COLUMNS, &[(roles, "roles")])
}

impl ApiKeyRow {
    fn read(r: &Row, p: &str) -> StoreResult<Self> {
        let c = |n: &str| format!("{p}{n}");
        Ok(Self {
            id: r.try_get(c("id").as_str())?,
            organization_id: r.try_get(c("organization_id").as_str())?,
            name: r.try_get(c("name").as_str())?,
            roles: r.try_get(c("roles").as_str())?,
            prefix: r.try_get(c("prefix").as_str())?,
            secret_hash: r.try_get(c("secret_hash").as_str())?,
            created_by: r.try_get(c("created_by").as_str())?,
            created_at: r.try_get(c("created_at").as_str())?,
            expires_at: r.try_get(c("expires_at").as_str())?,
            last_used_at: r.try_get(c("last_used_at").as_str())?,
            revoked_at: r.try_get(c("revoked_at").as_str())?,
            version: r.try_get(c("version").as_str())?,
        })
    }
}

pub async fn insert(conn: &mut Conn, k: &ApiKeyRow) -> StoreResult<()> {
    crate::query(
        "INSERT INTO api_keys (id, organization_id, name, prefix, secret_hash, created_by, created_at, \
         expires_at, last_used_at, revoked_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&k.id)
    .bind(&k.organization_id)
    .bind(&k.name)
    .bind(&k.prefix)
    .bind(&k.secret_hash)
    .bind(&k.created_by)
    .bind(k.created_at)
    .bind(k.expires_at)
    .bind(k.last_used_at)
    .bind(k.revoked_at)
    .bind(k.version)
    .execute(&mut *conn)
    .await?;
    let names = k.roles.names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::sets::API_KEY_ROLES
        .replace(conn, k.id.as_str(), &names)
        .await
}

/// The key behind a secret hash, with its organisation.
pub async fn find_principal(
    conn: &mut Conn,
    secret_hash: &str,
) -> StoreResult<Option<(ApiKeyRow, OrganizationRow)>> {
    let sql = format!(
        "SELECT {}, {} FROM api_keys k JOIN organizations o ON o.id = k.organization_id WHERE k.secret_hash = $1",
        columns("k", "k_"),
        organizations::columns("o", "o_")
    );
    let Some(r) = crate::query(sql)
        .bind(secret_hash)
        .fetch_optional(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        ApiKeyRow::read(&r, "k_")?,
        OrganizationRow::read(&r, "o_")?,
    )))
}

/// Records use at most once a minute, so reads stay reads.
pub async fn touch_used(conn: &mut Conn, id: &ApiKeyId, now: Timestamp) -> StoreResult<()> {
    crate::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(now)
        .bind(id)
        .bind(now.minus_millis(Timestamp::MINUTE))
        .execute(conn)
        .await?;
    Ok(())
}

/// The organisation's keys that are not revoked, newest first.
pub async fn list(
    conn: &mut Conn,
    organization_id: &OrgId,
    page: &PageRequest,
) -> StoreResult<PageOf<ApiKeyRow>> {
    let mut f = Filter::new();
    f.and("organization_id = ?", [Arg::text(organization_id)])
        .and("revoked_at IS NULL", []);
    crate::sql::newest_first(
        conn,
        f,
        "api_keys",
        &columns("api_keys", ""),
        "created_at",
        page,
        |r| ApiKeyRow::read(r, ""),
    )
    .await
}

pub async fn get(
    conn: &mut Conn,
    organization_id: &OrgId,
    id: &ApiKeyId,
) -> StoreResult<Option<ApiKeyRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM api_keys WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL",
        columns("api_keys", "")
    ))
    .bind(id)
    .bind(organization_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| ApiKeyRow::read(&r, "")).transpose()
}

pub async fn revoke(conn: &mut Conn, id: &ApiKeyId, now: Timestamp) -> StoreResult<bool> {
    let done = crate::query("UPDATE api_keys SET revoked_at = $1, version = version + 1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
