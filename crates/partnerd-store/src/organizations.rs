//! Organisations (tenants).

use crate::Row;
use partnerd_domain::ids::OrgId;
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{OrgKind, Program};

use crate::{Conn, StoreResult};

/// A stored organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationRow {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub legal_name: Option<String>,
    pub country: String,
    pub domain_prefix: String,
    pub default_domain: String,
    pub programs: Vec<Program>,
    pub enrollment_status: Option<EnrollmentStatus>,
    pub membership_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "id, kind, name, legal_name, country, domain_prefix, default_domain, \
     enrollment_status, membership_id, created_at, updated_at, version";

/// The select list of an organisation read from `table` (the table or its alias),
/// each column named `{prefix}{column}`; the programmes come from their rows.
pub(crate) fn columns(table: &str, prefix: &str) -> String {
    let programs = crate::sets::ORGANIZATION_PROGRAMS.list_of(&format!("{table}.id"));
    crate::sets::select_list(table, prefix, COLUMNS, &[(programs, "programs")])
}

/// Makes `programs` the organisation's programmes.
async fn replace_programs(conn: &mut Conn, id: &OrgId, programs: &[Program]) -> StoreResult<()> {
    let names: Vec<&str> = programs.iter().map(|p| p.as_str()).collect();
    crate::sets::ORGANIZATION_PROGRAMS
        .replace(conn, id.as_str(), &names)
        .await
}

impl OrganizationRow {
    pub(crate) fn read(r: &Row, p: &str) -> StoreResult<Self> {
        let c = |n: &str| format!("{p}{n}");
        Ok(Self {
            id: r.try_get(c("id").as_str())?,
            kind: r.try_get(c("kind").as_str())?,
            name: r.try_get(c("name").as_str())?,
            legal_name: r.try_get(c("legal_name").as_str())?,
            country: r.try_get(c("country").as_str())?,
            domain_prefix: r.try_get(c("domain_prefix").as_str())?,
            default_domain: r.try_get(c("default_domain").as_str())?,
            programs: r.try_get(c("programs").as_str())?,
            enrollment_status: r.try_get(c("enrollment_status").as_str())?,
            membership_id: r.try_get(c("membership_id").as_str())?,
            created_at: r.try_get(c("created_at").as_str())?,
            updated_at: r.try_get(c("updated_at").as_str())?,
            version: r.try_get(c("version").as_str())?,
        })
    }
}

pub async fn insert(conn: &mut Conn, o: &OrganizationRow) -> StoreResult<()> {
    crate::query(
        "INSERT INTO organizations (id, kind, name, legal_name, country, domain_prefix, default_domain, \
         enrollment_status, membership_id, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&o.id)
    .bind(o.kind)
    .bind(&o.name)
    .bind(&o.legal_name)
    .bind(&o.country)
    .bind(&o.domain_prefix)
    .bind(&o.default_domain)
    .bind(o.enrollment_status)
    .bind(&o.membership_id)
    .bind(o.created_at)
    .bind(o.updated_at)
    .bind(o.version)
    .execute(&mut *conn)
    .await?;
    replace_programs(conn, &o.id, &o.programs).await
}

pub async fn get(conn: &mut Conn, id: &OrgId) -> StoreResult<Option<OrganizationRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM organizations WHERE id = $1",
        columns("organizations", "")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| OrganizationRow::read(&r, "")).transpose()
}

pub async fn operator(conn: &mut Conn) -> StoreResult<Option<OrganizationRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM organizations WHERE kind = 'operator'",
        columns("organizations", "")
    ))
    .fetch_optional(conn)
    .await?;
    row.map(|r| OrganizationRow::read(&r, "")).transpose()
}

/// Takes the organisation's lock for the rest of the transaction.
pub async fn lock(conn: &mut Conn, backend: crate::Backend, id: &OrgId) -> StoreResult<()> {
    crate::query(crate::dialect::lock_organization(backend))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(())
}

/// Filters of the operator's organisation list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationQuery {
    pub kind: Option<String>,
    pub program: Option<String>,
    pub country: Option<String>,
    /// Name prefix, case-insensitive.
    pub name: Option<String>,
}

/// A page of organisations, newest first.
pub async fn list(
    conn: &mut Conn,
    q: &OrganizationQuery,
    page: &crate::sql::PageRequest,
) -> StoreResult<crate::sql::PageOf<OrganizationRow>> {
    use crate::sql::{Arg, Filter};
    let mut f = Filter::new();
    if let Some(k) = &q.kind {
        f.and("kind = ?", [Arg::Text(k.clone())]);
    }
    if let Some(p) = &q.program {
        f.and(
            &crate::sets::ORGANIZATION_PROGRAMS.holds("organizations.id", "?"),
            [Arg::Text(p.clone())],
        );
    }
    if let Some(c) = &q.country {
        f.and("country = ?", [Arg::Text(c.clone())]);
    }
    if let Some(n) = q.name.as_deref().filter(|n| !n.is_empty()) {
        f.and(
            "LOWER(name) LIKE ? ESCAPE '\\'",
            [Arg::Text(crate::users::like_prefix(n))],
        );
    }
    let columns = columns("organizations", "");
    crate::sql::newest_first(
        conn,
        f,
        "organizations",
        &columns,
        "created_at",
        page,
        |r| OrganizationRow::read(r, ""),
    )
    .await
}

/// Replaces the programme list; bumps the version.
pub async fn set_programs(
    conn: &mut Conn,
    id: &OrgId,
    programs: &[Program],
    now: Timestamp,
) -> StoreResult<()> {
    crate::query("UPDATE organizations SET updated_at = $1, version = version + 1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    replace_programs(conn, id, programs).await
}

/// Records where the organisation's enrollment stands (shown on `Organization`).
pub async fn set_enrollment_status(
    conn: &mut Conn,
    id: &OrgId,
    status: EnrollmentStatus,
    now: Timestamp,
) -> StoreResult<()> {
    crate::query("UPDATE organizations SET enrollment_status = $1, updated_at = $2, version = version + 1 WHERE id = $3")
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Approval of an enrollment: the organisation becomes a partner with its legal name
/// and membership.
pub async fn become_partner(
    conn: &mut Conn,
    id: &OrgId,
    legal_name: Option<&str>,
    membership_id: Option<&str>,
    programs: &[Program],
    now: Timestamp,
) -> StoreResult<()> {
    crate::query(
        "UPDATE organizations SET kind = 'partner', legal_name = COALESCE($1, legal_name), \
         membership_id = COALESCE($2, membership_id), enrollment_status = 'approved', \
         updated_at = $3, version = version + 1 WHERE id = $4",
    )
    .bind(legal_name)
    .bind(membership_id)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    replace_programs(conn, id, programs).await
}

/// The organisation's global admins' e-mail addresses (mail to an organisation).
/// E-mail addresses of the organisation's active users holding `role`.
pub async fn emails_holding(
    conn: &mut Conn,
    id: &OrgId,
    role: partnerd_domain::Role,
) -> StoreResult<Vec<String>> {
    crate::query(format!(
        "SELECT email FROM users WHERE organization_id = $1 AND disabled = FALSE AND {} \
         ORDER BY created_at",
        crate::sets::USER_ROLES.holds("users.id", "$2")
    ))
    .bind(id)
    .bind(role.as_str())
    .fetch_all_scalar(conn)
    .await
}

pub async fn global_admin_emails(conn: &mut Conn, id: &OrgId) -> StoreResult<Vec<String>> {
    crate::query(format!(
        "SELECT email FROM users WHERE organization_id = $1 AND disabled = FALSE AND {} \
         ORDER BY created_at",
        crate::sets::USER_ROLES.holds("users.id", "$2")
    ))
    .bind(id)
    .bind(partnerd_domain::Role::GlobalAdmin.as_str())
    .fetch_all_scalar(conn)
    .await
}
