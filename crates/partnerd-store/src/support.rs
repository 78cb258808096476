//! Service requests with their notes, and service-health incidents with updates.

use crate::Row;
use partnerd_domain::ids::{
    IncidentId, IncidentUpdateId, OrgId, ServiceRequestId, ServiceRequestNoteId, UserId,
};
use partnerd_domain::states::{ServiceIncidentStatus, ServiceRequestStatus};
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

// ---------------------------------------------------------- service requests

/// A stored service request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    pub id: ServiceRequestId,
    pub organization_id: OrgId,
    pub customer_id: Option<OrgId>,
    /// `customer` or `partner`.
    pub scope: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub category: String,
    pub product_family: Option<String>,
    pub status: ServiceRequestStatus,
    pub primary_contact_user_id: Option<UserId>,
    pub primary_contact_email: Option<String>,
    pub assigned_to: Option<String>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub version: i64,
}

const REQUEST_COLUMNS: &str = "id, organization_id, customer_id, scope, title, description, severity, category, \
     product_family, status, primary_contact_user_id, primary_contact_email, assigned_to, created_at, \
     last_modified_at, closed_at, version";

impl RequestRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            organization_id: r.try_get("organization_id")?,
            customer_id: r.try_get("customer_id")?,
            scope: r.try_get("scope")?,
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            severity: r.try_get("severity")?,
            category: r.try_get("category")?,
            product_family: r.try_get("product_family")?,
            status: r.try_get("status")?,
            primary_contact_user_id: r.try_get("primary_contact_user_id")?,
            primary_contact_email: r.try_get("primary_contact_email")?,
            assigned_to: r.try_get("assigned_to")?,
            created_at: r.try_get("created_at")?,
            last_modified_at: r.try_get("last_modified_at")?,
            closed_at: r.try_get("closed_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_request(conn: &mut Conn, q: &RequestRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO service_requests ({REQUEST_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&q.id)
    .bind(&q.organization_id)
    .bind(&q.customer_id)
    .bind(&q.scope)
    .bind(&q.title)
    .bind(&q.description)
    .bind(&q.severity)
    .bind(&q.category)
    .bind(&q.product_family)
    .bind(q.status)
    .bind(&q.primary_contact_user_id)
    .bind(&q.primary_contact_email)
    .bind(&q.assigned_to)
    .bind(q.created_at)
    .bind(q.last_modified_at)
    .bind(q.closed_at)
    .bind(q.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_request(
    conn: &mut Conn,
    id: &ServiceRequestId,
) -> StoreResult<Option<RequestRow>> {
    let row = crate::query(format!(
        "SELECT {REQUEST_COLUMNS} FROM service_requests WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| RequestRow::read(&r)).transpose()
}

/// Writes status, assignment and times if still at `q.version`; false otherwise.
pub async fn update_request(conn: &mut Conn, q: &RequestRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE service_requests SET status = $1, assigned_to = $2, last_modified_at = $3, closed_at = $4, \
         version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(q.status)
    .bind(&q.assigned_to)
    .bind(q.last_modified_at)
    .bind(q.closed_at)
    .bind(&q.id)
    .bind(q.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of a request list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// The creator organisation (None: every one — the operator's queue).
    pub organization_id: Option<OrgId>,
    pub status: Option<ServiceRequestStatus>,
    pub customer_id: Option<OrgId>,
    pub scope: Option<String>,
}

pub async fn list_requests(
    conn: &mut Conn,
    q: &RequestQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<RequestRow>> {
    let mut f = Filter::new();
    if let Some(s) = q.status {
        f.state_is("status", s.as_str());
    }
    f.equal_if("organization_id", q.organization_id.as_ref());
    f.equal_if("customer_id", q.customer_id.as_ref());
    f.equal_if("scope", q.scope.as_ref());
    crate::sql::newest_first(
        conn,
        f,
        "service_requests",
        REQUEST_COLUMNS,
        "created_at",
        page,
        RequestRow::read,
    )
    .await
}

/// A note on a request.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    pub id: ServiceRequestNoteId,
    pub request_id: ServiceRequestId,
    pub text: String,
    pub author_user_id: Option<UserId>,
    pub author_organization_id: OrgId,
    pub author_name: String,
    pub created_at: Timestamp,
}

pub async fn insert_note(conn: &mut Conn, n: &NoteRow) -> StoreResult<()> {
    crate::query(
        "INSERT INTO service_request_notes (id, request_id, text, author_user_id, author_organization_id, \
         author_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&n.id)
    .bind(&n.request_id)
    .bind(&n.text)
    .bind(&n.author_user_id)
    .bind(&n.author_organization_id)
    .bind(&n.author_name)
    .bind(n.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A request's notes, oldest first.
pub async fn notes(conn: &mut Conn, request_id: &ServiceRequestId) -> StoreResult<Vec<NoteRow>> {
    let rows = crate::query(
        "SELECT id, request_id, text, author_user_id, author_organization_id, author_name, created_at \
         FROM service_request_notes WHERE request_id = $1 ORDER BY created_at, id",
    )
    .bind(request_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NoteRow {
                id: r.try_get("id")?,
                request_id: r.try_get("request_id")?,
                text: r.try_get("text")?,
                author_user_id: r.try_get("author_user_id")?,
                author_organization_id: r.try_get("author_organization_id")?,
                author_name: r.try_get("author_name")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- incidents

/// A stored incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: IncidentId,
    pub title: String,
    pub product_families: String,
    pub severity: String,
    pub status: ServiceIncidentStatus,
    pub message: String,
    pub started_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const INCIDENT_COLUMNS: &str = "id, title, severity, status, message, started_at, resolved_at, \
     created_at, updated_at, version";

/// The select list of an incident; its product families come from their rows.
fn incident_columns() -> String {
    let families = crate::sets::INCIDENT_FAMILIES.list_of("service_incidents.id");
    crate::sets::select_list(
        "service_incidents",
        "",
        INCIDENT_COLUMNS,
        &[(families, "product_families")],
    )
}

impl IncidentRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            title: r.try_get("title")?,
            product_families: r.try_get("product_families")?,
            severity: r.try_get("severity")?,
            status: r.try_get("status")?,
            message: r.try_get("message")?,
            started_at: r.try_get("started_at")?,
            resolved_at: r.try_get("resolved_at")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_incident(conn: &mut Conn, i: &IncidentRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO service_incidents ({INCIDENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&i.id)
    .bind(&i.title)
    .bind(&i.severity)
    .bind(i.status)
    .bind(&i.message)
    .bind(i.started_at)
    .bind(i.resolved_at)
    .bind(i.created_at)
    .bind(i.updated_at)
    .bind(i.version)
    .execute(&mut *conn)
    .await?;
    let families: Vec<&str> = i
        .product_families
        .split(',')
        .filter(|f| !f.is_empty())
        .collect();
    crate::sets::INCIDENT_FAMILIES
        .replace(conn, i.id.as_str(), &families)
        .await
}

pub async fn get_incident(conn: &mut Conn, id: &IncidentId) -> StoreResult<Option<IncidentRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM service_incidents WHERE id = $1",
        incident_columns()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| IncidentRow::read(&r)).transpose()
}

pub async fn update_incident(conn: &mut Conn, i: &IncidentRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE service_incidents SET title = $1, severity = $2, status = $3, resolved_at = $4, updated_at = $5, \
         version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(&i.title)
    .bind(&i.severity)
    .bind(i.status)
    .bind(i.resolved_at)
    .bind(i.updated_at)
    .bind(&i.id)
    .bind(i.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of the incident list.
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    pub status: Option<ServiceIncidentStatus>,
    /// Only incidents touching one of these families (None: all families).
    pub families: Option<Vec<String>>,
    pub since: Option<Timestamp>,
}

pub async fn list_incidents(
    conn: &mut Conn,
    q: &IncidentQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<IncidentRow>> {
    let mut f = Filter::new();
    if let Some(s) = q.status {
        f.state_is("status", s.as_str());
    }
    if let Some(families) = &q.families {
        if families.is_empty() {
            f.and("1 = 0", []);
        } else {
            f.and(
                &crate::sets::INCIDENT_FAMILIES.holds_any("service_incidents.id", families.len()),
                families.iter().map(Arg::text),
            );
        }
    }
    if let Some(t) = q.since {
        f.and("(resolved_at IS NULL OR resolved_at >= ?)", [Arg::Time(t)]);
    }
    crate::sql::newest_first(
        conn,
        f,
        "service_incidents",
        &incident_columns(),
        "created_at",
        page,
        IncidentRow::read,
    )
    .await
}

/// An update posted on an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentUpdateRow {
    pub id: IncidentUpdateId,
    pub incident_id: IncidentId,
    pub message: String,
    pub posted_at: Timestamp,
}

pub async fn insert_incident_update(conn: &mut Conn, u: &IncidentUpdateRow) -> StoreResult<()> {
    crate::query(
        "INSERT INTO service_incident_updates (id, incident_id, message, posted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&u.id)
    .bind(&u.incident_id)
    .bind(&u.message)
    .bind(u.posted_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn incident_updates(
    conn: &mut Conn,
    incident_id: &IncidentId,
) -> StoreResult<Vec<IncidentUpdateRow>> {
    let rows = crate::query(
        "SELECT id, incident_id, message, posted_at FROM service_incident_updates WHERE incident_id = $1 \
         ORDER BY posted_at, id",
    )
    .bind(incident_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(IncidentUpdateRow {
                id: r.try_get("id")?,
                incident_id: r.try_get("incident_id")?,
                message: r.try_get("message")?,
                posted_at: r.try_get("posted_at")?,
            })
        })
        .collect()
}

/// The product families an organisation's customers hold (active or suspended
/// subscriptions): as customer, as reseller of record, or as supplying provider.
pub async fn families_held(conn: &mut Conn, organization_id: &OrgId) -> StoreResult<Vec<String>> {
    crate::query(
        "SELECT DISTINCT product_family FROM subscriptions WHERE status IN ('active', 'suspended') \
         AND (customer_id = $1 OR reseller_organization_id = $1 OR indirect_provider_id = $1)",
    )
    .bind(organization_id)
    .fetch_all_scalar(conn)
    .await
}

/// The organisations an incident on `families` concerns that can receive its
/// events (the fan-out of `serviceIncident.*`): among those with an enabled
/// webhook, the operator, the customers holding one of the families (active or
/// suspended), their resellers and supplying providers, and the providers
/// authorised for one of the families. Only webhook owners are looked at, so the
/// work grows with subscribers, not with customers.
pub async fn incident_participants(
    conn: &mut Conn,
    families: &[String],
) -> StoreResult<Vec<OrgId>> {
    let rows = crate::query(
        "SELECT DISTINCT w.organization_id, o.kind FROM webhooks w \
         JOIN organizations o ON o.id = w.organization_id WHERE w.enabled = TRUE ORDER BY w.organization_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut concerned = Vec::new();
    for r in &rows {
        let org: OrgId = r.try_get("organization_id")?;
        let kind: partnerd_domain::OrgKind = r.try_get("kind")?;
        if kind == partnerd_domain::OrgKind::Operator || concerns(conn, &org, families).await? {
            concerned.push(org);
        }
    }
    Ok(concerned)
}

/// Whether an incident on `families` concerns `org` (see `incident_participants`).
async fn concerns(conn: &mut Conn, org: &OrgId, families: &[String]) -> StoreResult<bool> {
    let authorised: Vec<String> = crate::query(
        "SELECT product_family FROM provider_product_families WHERE organization_id = $1",
    )
    .bind(org)
    .fetch_all_scalar(&mut *conn)
    .await?;
    if authorised.iter().any(|f| families.contains(f)) {
        return Ok(true);
    }
    for family in families {
        for side in [
            "customer_id",
            "reseller_organization_id",
            "indirect_provider_id",
        ] {
            let held = crate::query(format!(
                "SELECT id FROM subscriptions WHERE {side} = $1 AND product_family = $2 \
                 AND status IN ('active', 'suspended') LIMIT 1"
            ))
            .bind(org)
            .bind(family)
            .fetch_optional(&mut *conn)
            .await?;
            if held.is_some() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
