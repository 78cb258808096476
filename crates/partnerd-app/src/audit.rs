//! Audit records (API.md §12): written in the same transaction as each change, and
//! read back through the activity log with the caller's visibility.

use partnerd_domain::FieldError;
use partnerd_domain::ids::{ApiKeyId, AuditRecordId, OrgId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Role};
use partnerd_domain::states::OperationStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::audit::{self, AuditQuery, AuditRow};
use partnerd_store::{Conn, StoreResult};
use serde::Serialize;
use utoipa::ToSchema;

use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};

/// Who did it, when no principal exists (CLI, workers, failed sign-ins).
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    Principal(&'a Principal),
    /// A person identified by e-mail only (failed sign-in).
    Anonymous {
        email: String,
        user_id: Option<UserId>,
        organization_id: Option<OrgId>,
    },
    /// The platform itself: CLI commands and background jobs.
    System(&'static str),
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: Actor<'a>,
    pub on_behalf_of: Option<(OrgId, String)>,
    pub participants: Vec<OrgId>,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    pub operation_type: &'static str,
    pub succeeded: bool,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    pub fn new(
        actor: Actor<'a>,
        resource_type: &'static str,
        resource_id: Option<impl Into<String>>,
        operation_type: &'static str,
    ) -> Self {
        let participants = match &actor {
            Actor::Principal(p) => vec![p.organization.id.clone()],
            Actor::Anonymous {
                organization_id, ..
            } => organization_id.iter().cloned().collect(),
            Actor::System(_) => vec![],
        };
        Self {
            actor,
            on_behalf_of: None,
            participants,
            resource_type,
            resource_id: resource_id.map(Into::into),
            operation_type,
            succeeded: true,
            before: None,
            after: None,
        }
    }

    pub fn failed(mut self) -> Self {
        self.succeeded = false;
        self
    }

    pub fn participant(mut self, org: &OrgId) -> Self {
        if !self.participants.contains(org) {
            self.participants.push(org.clone());
        }
        self
    }

    pub fn after(mut self, v: impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }

    /// Lists the charge lines the change wrote in `changes.after.chargeLineIds`
    /// (API-billing.md §8.2); nothing when it wrote none.
    pub fn charge_lines(mut self, ids: &[partnerd_domain::ids::ChargeLineId]) -> Self {
        if ids.is_empty() {
            return self;
        }
        let list = serde_json::Value::from(ids.iter().map(|i| i.as_str()).collect::<Vec<_>>());
        match &mut self.after {
            Some(serde_json::Value::Object(m)) => {
                m.insert("chargeLineIds".to_owned(), list);
            }
            _ => self.after = Some(serde_json::json!({ "chargeLineIds": list })),
        }
        self
    }

    pub fn before(mut self, v: impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }
}

/// Writes `entry` on `conn` (normally the change's own transaction).
pub async fn write(
    conn: &mut Conn,
    ctx: &Ctx,
    now: Timestamp,
    entry: Entry<'_>,
) -> StoreResult<AuditRecordId> {
    let id = AuditRecordId::generate();
    let (actor_type, user_id, key_id, name, org) = match &entry.actor {
        Actor::Principal(p) => match &p.credential {
            Credential::Session { .. } => (
                "user",
                p.user.as_ref().map(|u| u.id.clone()),
                None,
                p.user.as_ref().map(|u| u.email.clone()),
                Some(p.organization.id.clone()),
            ),
            Credential::ApiKey { id, name } => (
                "apiKey",
                None,
                Some(id.clone()),
                Some(name.clone()),
                Some(p.organization.id.clone()),
            ),
        },
        Actor::Anonymous {
            email,
            user_id,
            organization_id,
        } => (
            "user",
            user_id.clone(),
            None,
            Some(email.clone()),
            organization_id.clone(),
        ),
        Actor::System(what) => ("system", None, None, Some((*what).to_owned()), None),
    };
    let changes = if entry.before.is_some() || entry.after.is_some() {
        Some(serde_json::json!({"before": entry.before, "after": entry.after}).to_string())
    } else {
        None
    };
    let row = AuditRow {
        id: id.clone(),
        occurred_at: now,
        actor_type: actor_type.into(),
        actor_user_id: user_id,
        actor_api_key_id: key_id,
        actor_name: name,
        actor_organization_id: org,
        on_behalf_of_organization_id: entry.on_behalf_of.as_ref().map(|o| o.0.clone()),
        on_behalf_of_name: entry.on_behalf_of.as_ref().map(|o| o.1.clone()),
        participants: entry
            .participants
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join(","),
        resource_type: entry.resource_type.into(),
        resource_id: entry.resource_id,
        operation_type: entry.operation_type.into(),
        operation_status: if entry.succeeded {
            OperationStatus::Succeeded
        } else {
            OperationStatus::Failed
        },
        changes,
        request_id: Some(ctx.request_id.clone()).filter(|s| !s.is_empty()),
        source_ip: ctx.source_ip.clone(),
    };
    audit::insert(conn, &row).await?;
    Ok(id)
}

/// `actor` of an audit record.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub api_key_id: Option<ApiKeyId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub organization_id: Option<OrgId>,
}

/// `onBehalfOf` of an audit record.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnBehalfOf {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
}

/// One entry of the activity log.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    #[schema(value_type = String)]
    pub id: AuditRecordId,
    pub occurred_at: Timestamp,
    pub actor: AuditActor,
    pub on_behalf_of: Option<OnBehalfOf>,
    pub participants: Vec<String>,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub operation_type: String,
    pub operation_status: OperationStatus,
    #[schema(value_type = Object)]
    pub changes: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        let (email, name) = match r.actor_type.as_str() {
            "user" => (r.actor_name, None),
            _ => (None, r.actor_name),
        };
        Self {
            id: r.id,
            occurred_at: r.occurred_at,
            actor: AuditActor {
                kind: r.actor_type,
                user_id: r.actor_user_id,
                api_key_id: r.actor_api_key_id,
                email,
                name,
                organization_id: r.actor_organization_id,
            },
            on_behalf_of: r.on_behalf_of_organization_id.map(|id| OnBehalfOf {
                organization_id: id,
                name: r.on_behalf_of_name.unwrap_or_default(),
            }),
            participants: r
                .participants
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            operation_type: r.operation_type,
            operation_status: r.operation_status,
            changes: r.changes.and_then(|c| serde_json::from_str(&c).ok()),
            request_id: r.request_id,
            source_ip: r.source_ip,
        }
    }
}

/// Filters of `GET /v1/auditrecords`, as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct AuditFilters {
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub actor_user_id: Option<UserId>,
    pub actor_type: Option<String>,
    pub on_behalf_of_organization_id: Option<OrgId>,
    pub customer_id: Option<OrgId>,
    pub organization_id: Option<OrgId>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub operation_type: Option<String>,
    pub operation_status: Option<String>,
}

/// How long audit records are kept (API.md §12).
pub const RETENTION_DAYS: i64 = 400;
pub const RESOURCE_TYPES: &[&str] = &[
    "organization",
    "enrollment",
    "user",
    "apiKey",
    "invitation",
    "relationship",
    "creditLimit",
    "relationshipRequest",
    "customer",
    "delegatedAdmin",
    "customerUser",
    "license",
    "order",
    "subscription",
    "offer",
    "offerPrice",
    "repricingConfig",
    "billingRun",
    "invoice",
    "payment",
    "membership",
    "serviceRequest",
    "serviceIncident",
    "webhook",
    "session",
    "mail",
];

impl App {
    /// Whether the principal sees every record (the operator's global admins).
    fn sees_all_audit(p: &Principal) -> bool {
        p.organization.kind == OrgKind::Operator && p.roles.contains(Role::GlobalAdmin)
    }

    fn audit_query(&self, p: &Principal, f: &AuditFilters) -> AppResult<AuditQuery> {
        let now = self.now();
        let mut errors = Vec::new();
        let mut date = |name: &str, v: &Option<String>| -> Option<Timestamp> {
            let raw = v.as_deref()?;
            match Timestamp::parse_rfc3339(raw) {
                Some(t) => Some(t),
                None => {
                    errors.push(FieldError::invalid(
                        format!("/query/{name}"),
                        "must be an RFC 3339 instant such as 2025-01-31T09:00:00Z",
                    ));
                    None
                }
            }
        };
        let end = date("endDate", &f.end_date).unwrap_or(now.plus_millis(1));
        let start =
            date("startDate", &f.start_date).unwrap_or(end.minus_millis(30 * Timestamp::DAY));
        if end <= start {
            errors.push(FieldError::invalid(
                "/query/endDate",
                "must be after startDate",
            ));
        }
        if end.since(start) > 366 * Timestamp::DAY {
            errors.push(FieldError::invalid(
                "/query/startDate",
                "the range may span at most 366 days",
            ));
        }
        if start < now.minus_millis(RETENTION_DAYS * Timestamp::DAY) {
            errors.push(FieldError::invalid(
                "/query/startDate",
                "records are kept for 400 days; start later",
            ));
        }
        let one_of =
            |errors: &mut Vec<FieldError>, name: &str, v: &Option<String>, allowed: &[&str]| {
                if let Some(v) = v
                    && !allowed.contains(&v.as_str())
                {
                    errors.push(FieldError::invalid(
                        format!("/query/{name}"),
                        format!("must be one of {}", allowed.join(", ")),
                    ));
                }
            };
        one_of(
            &mut errors,
            "actorType",
            &f.actor_type,
            &["user", "apiKey", "system"],
        );
        one_of(
            &mut errors,
            "operationStatus",
            &f.operation_status,
            &["succeeded", "failed"],
        );
        one_of(
            &mut errors,
            "resourceType",
            &f.resource_type,
            RESOURCE_TYPES,
        );
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let participant = if Self::sees_all_audit(p) {
            f.organization_id.clone()
        } else {
            Some(p.organization.id.clone())
        };
        Ok(AuditQuery {
            participant,
            from: start,
            to: end,
            actor_user_id: f.actor_user_id.clone(),
            actor_type: f.actor_type.clone(),
            on_behalf_of_organization_id: f
                .on_behalf_of_organization_id
                .clone()
                .or(f.customer_id.clone()),
            resource_type: f.resource_type.clone(),
            resource_id: f.resource_id.clone(),
            operation_type: f.operation_type.clone(),
            // Checked against the same list just above.
            operation_status: f
                .operation_status
                .as_deref()
                .and_then(|s| OperationStatus::parse(s).ok()),
        })
    }

    /// `GET /v1/auditrecords`.
    pub async fn list_audit_records(
        &self,
        p: &Principal,
        f: &AuditFilters,
        page: &PageParams,
    ) -> AppResult<Page<AuditRecord>> {
        p.require(Action::ReadAuditRecords)?;
        let q = self.audit_query(p, f)?;
        let now = self.now();
        let fingerprint = format!("{f:?}|{:?}", q.participant);
        let start = paging::start(page, &fingerprint, now)?;
        let mut conn = self.db().conn().await?;
        let rows = audit::list(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.occurred_at, r.id.to_string()),
            AuditRecord::from,
        ))
    }

    /// `GET /v1/auditrecords/{id}`.
    pub async fn get_audit_record(
        &self,
        p: &Principal,
        id: &AuditRecordId,
    ) -> AppResult<AuditRecord> {
        p.require(Action::ReadAuditRecords)?;
        let mut conn = self.db().conn().await?;
        let row = audit::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let visible = Self::sees_all_audit(p)
            || row
                .participants
                .split(',')
                .any(|o| o == p.organization.id.as_str());
        if !visible {
            return Err(AppError::not_found());
        }
        Ok(row.into())
    }
}

impl App {
    /// The retention job: deletes audit records older than the retention window
    /// (400 days). Returns how many went.
    pub async fn prune_audit_once(&self) -> AppResult<u64> {
        let before = self.now().minus_millis(RETENTION_DAYS * Timestamp::DAY);
        let mut tx = self.db().begin().await?;
        let pruned = audit::prune(&mut tx, before).await?;
        partnerd_store::commit(tx).await?;
        Ok(pruned)
    }
}
