//! The append-only audit trail: one row per change (or failed attempt), plus one
//! participant row per organisation allowed to read it.

use crate::Row;
use partnerd_domain::ids::{ApiKeyId, AuditRecordId, OrgId, UserId};
use partnerd_domain::states::OperationStatus;
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

/// A stored audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: AuditRecordId,
    pub occurred_at: Timestamp,
    pub actor_type: String,
    pub actor_user_id: Option<UserId>,
    pub actor_api_key_id: Option<ApiKeyId>,
    pub actor_name: Option<String>,
    pub actor_organization_id: Option<OrgId>,
    pub on_behalf_of_organization_id: Option<OrgId>,
    pub on_behalf_of_name: Option<String>,
    /// Organisation ids, comma separated.
    pub participants: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub operation_type: String,
    pub operation_status: OperationStatus,
    /// JSON `{before, after}`.
    pub changes: Option<String>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
}

const COLUMNS: &str = "id, occurred_at, actor_type, actor_user_id, actor_api_key_id, actor_name, \
     actor_organization_id, on_behalf_of_organization_id, on_behalf_of_name, participants, resource_type, \
     resource_id, operation_type, operation_status, changes, request_id, source_ip";

impl AuditRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            occurred_at: r.try_get("occurred_at")?,
            actor_type: r.try_get("actor_type")?,
            actor_user_id: r.try_get("actor_user_id")?,
            actor_api_key_id: r.try_get("actor_api_key_id")?,
            actor_name: r.try_get("actor_name")?,
            actor_organization_id: r.try_get("actor_organization_id")?,
            on_behalf_of_organization_id: r.try_get("on_behalf_of_organization_id")?,
            on_behalf_of_name: r.try_get("on_behalf_of_name")?,
            participants: r.try_get("participants")?,
            resource_type: r.try_get("resource_type")?,
            resource_id: r.try_get("resource_id")?,
            operation_type: r.try_get("operation_type")?,
            operation_status: r.try_get("operation_status")?,
            changes: r.try_get("changes")?,
            request_id: r.try_get("request_id")?,
            source_ip: r.try_get("source_ip")?,
        })
    }
}

pub async fn insert(conn: &mut Conn, a: &AuditRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO audit_records ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&a.id)
    .bind(a.occurred_at)
    .bind(&a.actor_type)
    .bind(&a.actor_user_id)
    .bind(&a.actor_api_key_id)
    .bind(&a.actor_name)
    .bind(&a.actor_organization_id)
    .bind(&a.on_behalf_of_organization_id)
    .bind(&a.on_behalf_of_name)
    .bind(&a.participants)
    .bind(&a.resource_type)
    .bind(&a.resource_id)
    .bind(&a.operation_type)
    .bind(a.operation_status)
    .bind(&a.changes)
    .bind(&a.request_id)
    .bind(&a.source_ip)
    .execute(&mut *conn)
    .await?;
    for org in a.participants.split(',').filter(|s| !s.is_empty()) {
        crate::query(
            "INSERT INTO audit_participants (organization_id, occurred_at, record_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(org)
        .bind(a.occurred_at)
        .bind(&a.id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Filters of the activity log. `participant` limits to one organisation's records.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub participant: Option<OrgId>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub actor_user_id: Option<UserId>,
    pub actor_type: Option<String>,
    pub on_behalf_of_organization_id: Option<OrgId>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub operation_type: Option<String>,
    pub operation_status: Option<OperationStatus>,
}

fn filter(q: &AuditQuery) -> Filter {
    let mut f = Filter::new();
    if let Some(p) = &q.participant {
        f.and(
            "id IN (SELECT record_id FROM audit_participants WHERE organization_id = ? AND occurred_at >= ? AND occurred_at < ?)",
            [Arg::text(p), Arg::Time(q.from), Arg::Time(q.to)],
        );
    }
    f.and(
        "occurred_at >= ? AND occurred_at < ?",
        [Arg::Time(q.from), Arg::Time(q.to)],
    );
    f.equal_if("actor_user_id", q.actor_user_id.as_ref());
    f.equal_if("actor_type", q.actor_type.as_ref());
    f.equal_if(
        "on_behalf_of_organization_id",
        q.on_behalf_of_organization_id.as_ref(),
    );
    f.equal_if("resource_type", q.resource_type.as_ref());
    f.equal_if("resource_id", q.resource_id.as_ref());
    f.equal_if("operation_type", q.operation_type.as_ref());
    if let Some(s) = q.operation_status {
        f.state_is("operation_status", s.as_str());
    }
    f
}

/// A page of matching records, newest first.
pub async fn list(
    conn: &mut Conn,
    q: &AuditQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<AuditRow>> {
    crate::sql::newest_first(
        conn,
        filter(q),
        "audit_records",
        COLUMNS,
        "occurred_at",
        page,
        AuditRow::read,
    )
    .await
}

pub async fn get(conn: &mut Conn, id: &AuditRecordId) -> StoreResult<Option<AuditRow>> {
    let row = crate::query(format!("SELECT {COLUMNS} FROM audit_records WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| AuditRow::read(&r)).transpose()
}

/// Deletes the records that occurred before `before` and their participant rows
/// (the retention job); returns how many records went.
pub async fn prune(conn: &mut Conn, before: Timestamp) -> StoreResult<u64> {
    crate::query("DELETE FROM audit_participants WHERE occurred_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    let done = crate::query("DELETE FROM audit_records WHERE occurred_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
