//! Service requests (API.md §11.1) — about a customer (admin and helpdesk agents of
//! a related partner) or about partnerd itself (global admins) — worked by the
//! operator; and service health (§11.2): incidents per product family, shown to
//! those whose customers hold the family.

use crate::error::Conflict;
use crate::filters::status_in;
use partnerd_domain::ids::{
    IncidentId, IncidentUpdateId, OrgId, ServiceRequestId, ServiceRequestNoteId, UserId,
};
use partnerd_domain::names::{long_text, short_text};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program};
use partnerd_domain::states::{ServiceIncidentStatus, ServiceRequestStatus};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::support::{
    self, IncidentQuery, IncidentRow, IncidentUpdateRow, NoteRow, RequestQuery, RequestRow,
};
use partnerd_store::{Conn, providers};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::events::{self, Event};
use crate::mail::{self, OutgoingMail};
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

fn ts(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

/// Who opened a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryContact {
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    pub email: Option<String>,
}

/// Who wrote a note.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteAuthor {
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
}

/// A note on a service request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[schema(value_type = String)]
    pub id: ServiceRequestNoteId,
    pub text: String,
    pub author: NoteAuthor,
    pub created_at: String,
}

/// A service request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    #[schema(value_type = String)]
    pub id: ServiceRequestId,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<OrgId>,
    /// `customer` or `partner`.
    pub scope: String,
    pub title: String,
    pub description: String,
    /// `minimal`, `moderate`, `critical`.
    pub severity: String,
    /// `billing`, `technical`, `account`, `other`.
    pub category: String,
    pub product_family: Option<String>,
    /// `open`, `attentionNeeded`, `closed`.
    pub status: ServiceRequestStatus,
    pub primary_contact: PrimaryContact,
    pub assigned_to: Option<String>,
    pub created_at: String,
    pub last_modified_at: String,
    pub closed_at: Option<String>,
    pub etag: String,
    /// On a single request's read only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<Note>>,
}

/// `POST /v1/servicerequests`.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestInput {
    pub title: String,
    pub description: String,
    pub severity: String,
    pub category: Option<String>,
    pub customer_id: Option<OrgId>,
    pub product_family: Option<String>,
}

/// `PATCH /v1/servicerequests/{id}`.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestChanges {
    pub status: Option<String>,
    pub assigned_to: Option<String>,
}

/// Filters of `GET /v1/servicerequests`.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestFilters {
    pub status: Option<String>,
    pub customer_id: Option<OrgId>,
    pub scope: Option<String>,
    /// Operator only: one creator organisation.
    pub organization_id: Option<OrgId>,
}

/// An update on an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentUpdate {
    #[schema(value_type = String)]
    pub id: IncidentUpdateId,
    pub message: String,
    pub posted_at: String,
}

/// A service-health incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceIncident {
    #[schema(value_type = String)]
    pub id: IncidentId,
    pub title: String,
    pub product_families: Vec<String>,
    /// `informational`, `warning`, `critical`.
    pub severity: String,
    /// `active` or `resolved`.
    pub status: ServiceIncidentStatus,
    pub message: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub etag: String,
    /// On a single incident's read only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<IncidentUpdate>>,
}

/// `POST /v1/serviceincidents`.
#[derive(Debug, Clone, Default)]
pub struct IncidentInput {
    pub title: String,
    pub product_families: Vec<String>,
    pub severity: String,
    pub message: String,
    pub started_at: Option<String>,
}

/// `PATCH /v1/serviceincidents/{id}`.
#[derive(Debug, Clone, Default)]
pub struct IncidentChanges {
    pub title: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub resolved_at: Option<String>,
}

/// Filters of `GET /v1/serviceincidents`.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilters {
    /// `active` (default), `resolved`, `all`.
    pub status: Option<String>,
    pub product_family: Option<String>,
    pub since: Option<String>,
}

fn one_of(c: &mut Collect, pointer: &str, v: &str, allowed: &[&str]) -> Option<String> {
    if allowed.contains(&v) {
        Some(v.to_owned())
    } else {
        c.0.push(FieldError::invalid(
            pointer,
            format!("must be one of {}", allowed.join(", ")),
        ));
        None
    }
}

fn request_view(r: &RequestRow, notes: Option<Vec<NoteRow>>) -> ServiceRequest {
    ServiceRequest {
        id: r.id.clone(),
        organization_id: r.organization_id.clone(),
        customer_id: r.customer_id.clone(),
        scope: r.scope.clone(),
        title: r.title.clone(),
        description: r.description.clone(),
        severity: r.severity.clone(),
        category: r.category.clone(),
        product_family: r.product_family.clone(),
        status: r.status,
        primary_contact: PrimaryContact {
            user_id: r.primary_contact_user_id.clone(),
            email: r.primary_contact_email.clone(),
        },
        assigned_to: r.assigned_to.clone(),
        created_at: ts(r.created_at),
        last_modified_at: ts(r.last_modified_at),
        closed_at: r.closed_at.map(ts),
        etag: etag(&r.id, r.version),
        notes: notes.map(|ns| {
            ns.into_iter()
                .map(|n| Note {
                    id: n.id,
                    text: n.text,
                    author: NoteAuthor {
                        user_id: n.author_user_id,
                        organization_id: n.author_organization_id,
                        name: n.author_name,
                    },
                    created_at: ts(n.created_at),
                })
                .collect()
        }),
    }
}

fn incident_view(i: &IncidentRow, updates: Option<Vec<IncidentUpdateRow>>) -> ServiceIncident {
    ServiceIncident {
        id: i.id.clone(),
        title: i.title.clone(),
        product_families: i
            .product_families
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        severity: i.severity.clone(),
        status: i.status,
        message: i.message.clone(),
        started_at: ts(i.started_at),
        resolved_at: i.resolved_at.map(ts),
        created_at: ts(i.created_at),
        updated_at: ts(i.updated_at),
        etag: etag(&i.id, i.version),
        updates: updates.map(|us| {
            us.into_iter()
                .map(|u| IncidentUpdate {
                    id: u.id,
                    message: u.message,
                    posted_at: ts(u.posted_at),
                })
                .collect()
        }),
    }
}

fn is_operator(p: &Principal) -> bool {
    p.organization.kind == OrgKind::Operator
}

/// The operator works the queue; everyone else reads their own organisation's
/// requests: the action that lets the caller see (and close or reopen) one.
fn read_requests_action(p: &Principal) -> Action {
    if is_operator(p) {
        Action::HandleServiceRequests
    } else {
        Action::ReadServiceRequests
    }
}

impl App {
    /// A request the caller may see: its own organisation's, or any for the operator.
    async fn visible_service_request(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &ServiceRequestId,
    ) -> AppResult<RequestRow> {
        support::get_request(conn, id)
            .await?
            .filter(|r| is_operator(p) || r.organization_id == p.organization.id)
            .ok_or_else(AppError::not_found)
    }

    /// Mails the request's primary contact about a change the operator made.
    async fn mail_request_update(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
        what: &str,
    ) -> AppResult<()> {
        let Some(to) = r.primary_contact_email.clone() else {
            return Ok(());
        };
        let link = format!("{}/support/{}", self.config().public_url, r.id);
        mail::enqueue(
            conn,
            &OutgoingMail {
                to: vec![to],
                subject: format!("Your service request \"{}\" was updated", r.title),
                text: format!("{what}\n\n{link}\n"),
                html: None,
                template: "service_request_updated".into(),
                link: Some(link),
            },
            self.now(),
        )
        .await?;
        Ok(())
    }

    /// `POST /v1/servicerequests`.
    pub async fn create_service_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<ServiceRequestInput>,
    ) -> AppResult<ServiceRequest> {
        // The gate every opener passes (GA, AA, HA of a partner, a new tenant or the
        // operator); which of the two actions applies depends on the body.
        p.require(Action::ReadServiceRequests)?;
        let input = input?;
        let mut tx = self.db().begin().await?;
        let customer = match &input.customer_id {
            Some(cid) => {
                let (org, _) = self.visible_customer(&mut tx, p, cid).await?;
                p.require(Action::CustomerServiceRequests)?;
                Some(org)
            }
            None => {
                p.require(Action::PartnerServiceRequests)?;
                None
            }
        };
        let mut c = Collect::default();
        let title = c.take(short_text("/title", &input.title, 200));
        let description = c.take(long_text("/description", &input.description, 10_000));
        let severity = one_of(
            &mut c,
            "/severity",
            &input.severity,
            &["minimal", "moderate", "critical"],
        );
        let category = one_of(
            &mut c,
            "/category",
            input.category.as_deref().unwrap_or("other"),
            &["billing", "technical", "account", "other"],
        );
        let family = c.opt(input.product_family.as_deref(), |f| {
            short_text("/productFamily", f, 200)
        });
        let (Some(title), Some(Some(description)), Some(severity), Some(category), true) =
            (title, description, severity, category, c.is_empty())
        else {
            if c.is_empty() {
                c.0.push(FieldError::invalid("/description", "must not be empty"));
            }
            return Err(AppError::validation(c.0));
        };
        let now = self.now().millis();
        let row = RequestRow {
            id: ServiceRequestId::generate(),
            organization_id: p.organization.id.clone(),
            customer_id: customer.as_ref().map(|o| o.id.clone()),
            scope: if customer.is_some() {
                "customer"
            } else {
                "partner"
            }
            .into(),
            title,
            description,
            severity,
            category,
            product_family: family,
            status: ServiceRequestStatus::Open,
            primary_contact_user_id: p.user.as_ref().map(|u| u.id.clone()),
            primary_contact_email: p.user.as_ref().map(|u| u.email.clone()),
            assigned_to: None,
            created_at: now,
            last_modified_at: now,
            closed_at: None,
            version: 1,
        };
        support::insert_request(&mut tx, &row).await?;
        let view = request_view(&row, None);
        let mut entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(row.id.clone()),
            "createServiceRequest",
        )
        .after(&view);
        if let Some(org) = &customer {
            entry = entry.participant(&org.id);
            entry.on_behalf_of = Some((org.id.clone(), org.name.clone()));
        }
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                Event {
                    event_type: "serviceRequest.created",
                    resource_type: "serviceRequest",
                    resource_id: &row.id,
                    resource_url: crate::urls::service_request(&row.id),
                    participants: std::iter::once(row.organization_id.as_str())
                        .chain(row.customer_id.as_deref())
                        .collect(),
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/servicerequests`: the caller's organisation's; the operator's queue.
    pub async fn list_service_requests(
        &self,
        p: &Principal,
        f: &ServiceRequestFilters,
        page: &PageParams,
    ) -> AppResult<Page<ServiceRequest>> {
        let operator = is_operator(p);
        p.require(read_requests_action(p))?;
        let mut c = Collect::default();
        let status = c
            .take(status_in(
                "/query/status",
                f.status.as_deref(),
                ServiceRequestStatus::ALL,
            ))
            .flatten();
        if let Some(s) = &f.scope {
            one_of(&mut c, "/query/scope", s, &["customer", "partner"]);
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let now = self.now().millis();
        let start = paging::start(page, &format!("servicerequests{f:?}"), now)?;
        let q = RequestQuery {
            organization_id: if operator {
                f.organization_id.clone()
            } else {
                Some(p.organization.id.clone())
            },
            status,
            customer_id: f.customer_id.clone(),
            scope: f.scope.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = support::list_requests(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| request_view(&r, None),
        ))
    }

    /// `GET /v1/servicerequests/{id}` with its notes.
    pub async fn get_service_request(
        &self,
        p: &Principal,
        id: &ServiceRequestId,
    ) -> AppResult<ServiceRequest> {
        let mut conn = self.db().conn().await?;
        let r = self.visible_service_request(&mut conn, p, id).await?;
        p.require(read_requests_action(p))?;
        let notes = support::notes(&mut conn, &r.id).await?;
        Ok(request_view(&r, Some(notes)))
    }

    /// `PATCH /v1/servicerequests/{id}`: the creator closes; the operator sets any
    /// status and the assignee. A closed request opens again only by `reopen`.
    pub async fn update_service_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ServiceRequestId,
        if_match: Option<&str>,
        input: AppResult<ServiceRequestChanges>,
    ) -> AppResult<ServiceRequest> {
        let mut tx = self.db().begin().await?;
        let before = self.visible_service_request(&mut tx, p, id).await?;
        let operator = is_operator(p);
        p.require(read_requests_action(p))?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        let mut c = Collect::default();
        let status = input.status.as_deref().and_then(|s| {
            c.take(status_in("/status", Some(s), ServiceRequestStatus::ALL))
                .flatten()
        });
        if !operator {
            if input.assigned_to.is_some() {
                c.0.push(FieldError::invalid(
                    "/assignedTo",
                    "only the operator assigns requests",
                ));
            }
            if status.is_some_and(|s| s != ServiceRequestStatus::Closed) {
                c.0.push(FieldError::invalid(
                    "/status",
                    "you can close the request; the operator sets other statuses",
                ));
            }
        }
        let assignee = c.opt(input.assigned_to.as_deref(), |a| {
            short_text("/assignedTo", a, 200)
        });
        if status.is_none() && input.assigned_to.is_none() && c.is_empty() {
            c.0.push(FieldError::invalid("", "send status or assignedTo"));
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        if before.status == ServiceRequestStatus::Closed
            && status.is_some_and(|s| s != ServiceRequestStatus::Closed)
        {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the request is closed; reopen it first",
            ));
        }
        let now = self.now().millis();
        let mut after = before.clone();
        if let Some(s) = status
            && s != before.status
        {
            after.status = before.status.move_to(s)?;
            after.closed_at =
                (s == ServiceRequestStatus::Closed).then_some(before.closed_at.unwrap_or(now));
        }
        if let Some(a) = assignee {
            after.assigned_to = Some(a);
        }
        after.last_modified_at = now;
        crate::error::written(support::update_request(&mut tx, &after).await?)?;
        after.version += 1;
        if operator && after.status != before.status {
            self.mail_request_update(
                &mut tx,
                &after,
                &format!("Its status is now: {}.", after.status),
            )
            .await?;
        }
        let view = request_view(&after, None);
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(after.id.clone()),
            "updateServiceRequest",
        )
        .participant(&after.organization_id)
        .before(request_view(&before, None))
        .after(&view);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                Event {
                    event_type: "serviceRequest.updated",
                    resource_type: "serviceRequest",
                    resource_id: &after.id,
                    resource_url: crate::urls::service_request(&after.id),
                    participants: vec![after.organization_id.as_str()],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// `POST /v1/servicerequests/{id}/notes`.
    pub async fn add_service_request_note(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ServiceRequestId,
        text: AppResult<String>,
    ) -> AppResult<Note> {
        let mut tx = self.db().begin().await?;
        let r = self.visible_service_request(&mut tx, p, id).await?;
        let operator = is_operator(p);
        p.require(if operator {
            Action::HandleServiceRequests
        } else if r.scope == "customer" {
            Action::CustomerServiceRequests
        } else {
            Action::PartnerServiceRequests
        })?;
        let text = long_text("/text", &text?, 10_000)?
            .ok_or_else(|| AppError::field(FieldError::invalid("/text", "must not be empty")))?;
        if r.status == ServiceRequestStatus::Closed {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the request is closed; reopen it to add a note",
            ));
        }
        let now = self.now().millis();
        let note = NoteRow {
            id: ServiceRequestNoteId::generate(),
            request_id: r.id.clone(),
            text,
            author_user_id: p.user.as_ref().map(|u| u.id.clone()),
            author_organization_id: p.organization.id.clone(),
            author_name: p
                .user
                .as_ref()
                .map(|u| u.display_name())
                .unwrap_or_else(|| p.organization.name.clone()),
            created_at: now,
        };
        support::insert_note(&mut tx, &note).await?;
        let mut touched = r.clone();
        touched.last_modified_at = now;
        crate::error::written(support::update_request(&mut tx, &touched).await?)?;
        if operator {
            self.mail_request_update(&mut tx, &r, &format!("A note was added:\n\n{}", note.text))
                .await?;
        }
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(r.id.clone()),
            "addServiceRequestNote",
        )
        .participant(&r.organization_id);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                Event {
                    event_type: "serviceRequest.updated",
                    resource_type: "serviceRequest",
                    resource_id: &r.id,
                    resource_url: crate::urls::service_request(&r.id),
                    participants: vec![r.organization_id.as_str()],
                }
                .with(&serde_json::json!({"noteId": note.id})),
            ],
        )
        .await?;
        Ok(Note {
            id: note.id,
            text: note.text,
            author: NoteAuthor {
                user_id: note.author_user_id,
                organization_id: note.author_organization_id,
                name: note.author_name,
            },
            created_at: ts(note.created_at),
        })
    }

    /// `POST /v1/servicerequests/{id}/reopen`.
    pub async fn reopen_service_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ServiceRequestId,
    ) -> AppResult<ServiceRequest> {
        let mut tx = self.db().begin().await?;
        let before = self.visible_service_request(&mut tx, p, id).await?;
        let operator = is_operator(p);
        p.require(read_requests_action(p))?;
        if before.status != ServiceRequestStatus::Closed {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!(
                    "the request is {}; only a closed request reopens",
                    before.status
                ),
            ));
        }
        let mut after = before.clone();
        after.status = before.status.reopen()?;
        after.closed_at = None;
        after.last_modified_at = self.now().millis();
        crate::error::written(support::update_request(&mut tx, &after).await?)?;
        after.version += 1;
        if operator {
            self.mail_request_update(&mut tx, &after, "It was reopened.")
                .await?;
        }
        let view = request_view(&after, None);
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(after.id.clone()),
            "reopenServiceRequest",
        )
        .participant(&after.organization_id);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                Event {
                    event_type: "serviceRequest.updated",
                    resource_type: "serviceRequest",
                    resource_id: &after.id,
                    resource_url: crate::urls::service_request(&after.id),
                    participants: vec![after.organization_id.as_str()],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// The product families whose incidents concern the caller (None: all of them).
    async fn relevant_families(
        &self,
        conn: &mut Conn,
        p: &Principal,
    ) -> AppResult<Option<Vec<String>>> {
        Ok(match p.organization.kind {
            OrgKind::Operator => None,
            OrgKind::None => Some(Vec::new()),
            OrgKind::Customer => Some(support::families_held(conn, &p.organization.id).await?),
            OrgKind::Partner => {
                let mut families = Vec::new();
                if !p.organization.programs.is_empty() {
                    families = support::families_held(conn, &p.organization.id).await?;
                }
                if p.organization.programs.contains(&Program::IndirectProvider)
                    && let Some(a) = providers::get(conn, &p.organization.id).await?
                {
                    families.extend(
                        a.product_families
                            .split(',')
                            .filter(|f| !f.is_empty())
                            .map(str::to_owned),
                    );
                }
                families.sort();
                families.dedup();
                Some(families)
            }
        })
    }

    /// `GET /v1/serviceincidents`: the incidents relevant to the caller.
    pub async fn list_incidents(
        &self,
        p: &Principal,
        f: &IncidentFilters,
        page: &PageParams,
    ) -> AppResult<Page<ServiceIncident>> {
        p.require(Action::ReadServiceHealth)?;
        let mut c = Collect::default();
        let status = match f.status.as_deref() {
            None | Some("active") => Some(ServiceIncidentStatus::Active),
            Some("resolved") => Some(ServiceIncidentStatus::Resolved),
            Some("all") => None,
            Some(_) => {
                c.0.push(FieldError::invalid(
                    "/query/status",
                    "must be active, resolved or all",
                ));
                None
            }
        };
        let since = f.since.as_deref().and_then(|s| {
            c.take(
                Timestamp::parse_rfc3339(s)
                    .map(|t| t.millis())
                    .ok_or_else(|| FieldError::invalid("/query/since", "must be an RFC 3339 time")),
            )
        });
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let mut conn = self.db().conn().await?;
        let mut families = self.relevant_families(&mut conn, p).await?;
        if let Some(fam) = &f.product_family {
            families = Some(match families {
                None => vec![fam.clone()],
                Some(v) => v.into_iter().filter(|x| x == fam).collect(),
            });
        }
        let now = self.now().millis();
        let start = paging::start(page, &format!("incidents{f:?}"), now)?;
        let q = IncidentQuery {
            status,
            families,
            since,
        };
        let rows = support::list_incidents(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |i| (i.created_at, i.id.to_string()),
            |i| incident_view(&i, None),
        ))
    }

    /// `GET /v1/serviceincidents/{id}` with its updates; 404 when not relevant.
    pub async fn get_incident(&self, p: &Principal, id: &IncidentId) -> AppResult<ServiceIncident> {
        p.require(Action::ReadServiceHealth)?;
        let mut conn = self.db().conn().await?;
        let i = support::get_incident(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if let Some(families) = self.relevant_families(&mut conn, p).await?
            && !i
                .product_families
                .split(',')
                .any(|f| families.iter().any(|x| x == f))
        {
            return Err(AppError::not_found());
        }
        let updates = support::incident_updates(&mut conn, &i.id).await?;
        Ok(incident_view(&i, Some(updates)))
    }

    /// `POST /v1/serviceincidents` (the operator's GA and agents).
    pub async fn create_incident(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<IncidentInput>,
    ) -> AppResult<ServiceIncident> {
        p.require(Action::ManageServiceIncidents)?;
        let input = input?;
        let mut c = Collect::default();
        let title = c.take(short_text("/title", &input.title, 200));
        let severity = one_of(
            &mut c,
            "/severity",
            &input.severity,
            &["informational", "warning", "critical"],
        );
        let message = c
            .take(long_text("/message", &input.message, 10_000))
            .flatten();
        if message.is_none() && c.is_empty() {
            c.0.push(FieldError::invalid("/message", "must not be empty"));
        }
        let mut families = Vec::new();
        for (i, f) in input.product_families.iter().enumerate() {
            if let Some(f) = c.take(short_text(&format!("/productFamilies/{i}"), f, 200)) {
                if f.contains(',') {
                    c.0.push(FieldError::invalid(
                        format!("/productFamilies/{i}"),
                        "must not contain commas",
                    ));
                } else if !families.contains(&f) {
                    families.push(f);
                }
            }
        }
        if families.is_empty() {
            c.0.push(FieldError::invalid(
                "/productFamilies",
                "name at least one product family",
            ));
        }
        let now = self.now().millis();
        let started = match &input.started_at {
            Some(s) => c.take(
                Timestamp::parse_rfc3339(s)
                    .map(|t| t.millis())
                    .ok_or_else(|| FieldError::invalid("/startedAt", "must be an RFC 3339 time")),
            ),
            None => Some(now),
        };
        let (Some(title), Some(severity), Some(message), Some(started), true) =
            (title, severity, message, started, c.is_empty())
        else {
            return Err(AppError::validation(c.0));
        };
        let row = IncidentRow {
            id: IncidentId::generate(),
            title,
            product_families: families.join(","),
            severity,
            status: ServiceIncidentStatus::Active,
            message,
            started_at: started,
            resolved_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.db().begin().await?;
        support::insert_incident(&mut tx, &row).await?;
        let view = incident_view(&row, Some(Vec::new()));
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceIncident",
            Some(row.id.clone()),
            "createServiceIncident",
        )
        .after(&view);
        audit::write(&mut tx, ctx, self.now(), entry).await?;
        self.emit_incident(&mut tx, "serviceIncident.created", &row, &view)
            .await?;
        partnerd_store::commit(tx).await?;
        Ok(view)
    }

    /// Emits `event_type` for an incident to every organisation it concerns.
    async fn emit_incident(
        &self,
        conn: &mut Conn,
        event_type: &str,
        i: &IncidentRow,
        view: &ServiceIncident,
    ) -> AppResult<()> {
        let families: Vec<String> = i.product_families.split(',').map(str::to_owned).collect();
        let participants = support::incident_participants(conn, &families).await?;
        events::emit(
            conn,
            Event {
                event_type,
                resource_type: "serviceIncident",
                resource_id: &i.id,
                resource_url: crate::urls::incident(&i.id),
                participants: participants.iter().map(|o| o.as_str()).collect(),
            },
            view,
            self.now(),
        )
        .await?;
        Ok(())
    }

    /// `PATCH /v1/serviceincidents/{id}`.
    pub async fn update_incident(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &IncidentId,
        if_match: Option<&str>,
        input: AppResult<IncidentChanges>,
    ) -> AppResult<ServiceIncident> {
        p.require(Action::ManageServiceIncidents)?;
        let mut tx = self.db().begin().await?;
        let before = support::get_incident(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        let mut c = Collect::default();
        let mut after = before.clone();
        if let Some(t) = input
            .title
            .as_deref()
            .and_then(|t| c.take(short_text("/title", t, 200)))
        {
            after.title = t;
        }
        if let Some(s) = input.severity.as_deref().and_then(|s| {
            one_of(
                &mut c,
                "/severity",
                s,
                &["informational", "warning", "critical"],
            )
        }) {
            after.severity = s;
        }
        let now = self.now().millis();
        if let Some(s) = input.status.as_deref().and_then(|s| {
            c.take(status_in("/status", Some(s), ServiceIncidentStatus::ALL))
                .flatten()
        }) {
            after.resolved_at =
                (s == ServiceIncidentStatus::Resolved).then_some(before.resolved_at.unwrap_or(now));
            if s != before.status {
                after.status = before.status.move_to(s)?;
            }
        }
        if let Some(r) = &input.resolved_at {
            match Timestamp::parse_rfc3339(r) {
                Some(t) if after.status == ServiceIncidentStatus::Resolved => {
                    after.resolved_at = Some(t.millis())
                }
                Some(_) => c.0.push(FieldError::invalid(
                    "/resolvedAt",
                    "only with status resolved",
                )),
                None => c.0.push(FieldError::invalid(
                    "/resolvedAt",
                    "must be an RFC 3339 time",
                )),
            }
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        after.updated_at = now;
        crate::error::written(support::update_incident(&mut tx, &after).await?)?;
        after.version += 1;
        let updates = support::incident_updates(&mut tx, &after.id).await?;
        let view = incident_view(&after, Some(updates));
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceIncident",
            Some(after.id.clone()),
            "updateServiceIncident",
        )
        .before(incident_view(&before, None))
        .after(&view);
        audit::write(&mut tx, ctx, self.now(), entry).await?;
        self.emit_incident(&mut tx, "serviceIncident.updated", &after, &view)
            .await?;
        partnerd_store::commit(tx).await?;
        Ok(view)
    }

    /// `POST /v1/serviceincidents/{id}/updates`.
    pub async fn post_incident_update(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &IncidentId,
        message: AppResult<String>,
    ) -> AppResult<IncidentUpdate> {
        p.require(Action::ManageServiceIncidents)?;
        let mut tx = self.db().begin().await?;
        let i = support::get_incident(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let message = long_text("/message", &message?, 10_000)?
            .ok_or_else(|| AppError::field(FieldError::invalid("/message", "must not be empty")))?;
        let now = self.now().millis();
        let u = IncidentUpdateRow {
            id: IncidentUpdateId::generate(),
            incident_id: i.id.clone(),
            message,
            posted_at: now,
        };
        support::insert_incident_update(&mut tx, &u).await?;
        let mut touched = i.clone();
        touched.updated_at = now;
        crate::error::written(support::update_incident(&mut tx, &touched).await?)?;
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceIncident",
            Some(i.id.clone()),
            "postServiceIncidentUpdate",
        );
        audit::write(&mut tx, ctx, self.now(), entry).await?;
        touched.version += 1;
        let updates = support::incident_updates(&mut tx, &touched.id).await?;
        let view = incident_view(&touched, Some(updates));
        self.emit_incident(&mut tx, "serviceIncident.updated", &touched, &view)
            .await?;
        partnerd_store::commit(tx).await?;
        Ok(IncidentUpdate {
            id: u.id,
            message: u.message,
            posted_at: ts(u.posted_at),
        })
    }
}
