//! Opening a service request — about a customer or about partnerd itself — and
//! reading them: the caller's organisation's, or the operator's whole queue.

use crate::filters::status_in;
use partnerd_domain::ids::{OrgId, ServiceRequestId};
use partnerd_domain::names::{long_text, short_text};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::ServiceRequestStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::Conn;
use partnerd_store::organizations::OrganizationRow;
use partnerd_store::support::{self, NoteRow, RequestQuery, RequestRow};

use super::notes::note_view;
use super::{PrimaryContact, ServiceRequest, one_of};
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::events::Event;
use crate::mail::{self, OutgoingMail};
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

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

/// Filters of `GET /v1/servicerequests`.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestFilters {
    pub status: Option<String>,
    pub customer_id: Option<OrgId>,
    pub scope: Option<String>,
    /// Operator only: one creator organisation.
    pub organization_id: Option<OrgId>,
}

/// What the opener writes in a new request, checked.
struct RequestText {
    title: String,
    description: String,
    severity: String,
    category: String,
    product_family: Option<String>,
}

/// A request as the API shows it, with its notes on a single request's read.
pub(super) fn request_view(r: &RequestRow, notes: Option<Vec<NoteRow>>) -> ServiceRequest {
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
        created_at: r.created_at,
        last_modified_at: r.last_modified_at,
        closed_at: r.closed_at,
        etag: etag(&r.id, r.version),
        notes: notes.map(|ns| ns.into_iter().map(note_view).collect()),
    }
}

/// `serviceRequest.updated` for the organisation that opened the request.
pub(super) fn updated_event(r: &RequestRow) -> Event<'_> {
    Event {
        event_type: "serviceRequest.updated",
        resource_type: "serviceRequest",
        resource_id: &r.id,
        resource_url: crate::urls::service_request(&r.id),
        participants: vec![r.organization_id.as_str()],
    }
}

/// The caller belongs to the operator.
pub(super) fn is_operator(p: &Principal) -> bool {
    p.organization.kind == OrgKind::Operator
}

/// The operator works the queue; everyone else reads their own organisation's
/// requests: the action that lets the caller see (and close or reopen) one.
pub(super) fn read_requests_action(p: &Principal) -> Action {
    if is_operator(p) {
        Action::HandleServiceRequests
    } else {
        Action::ReadServiceRequests
    }
}

impl App {
    /// A request the caller may see: its own organisation's, or any for the operator.
    pub(super) async fn visible_service_request(
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
    pub(super) async fn mail_request_update(
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
        let customer = self
            .request_customer(&mut tx, p, input.customer_id.as_ref())
            .await?;
        let text = validate_request(&input)?;
        let row = new_request_row(p, customer.as_ref(), text, self.now());
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

    /// The customer a new request is about, which the caller must see and may open
    /// requests for; or none, for a request about partnerd itself.
    async fn request_customer(
        &self,
        conn: &mut Conn,
        p: &Principal,
        customer_id: Option<&OrgId>,
    ) -> AppResult<Option<OrganizationRow>> {
        Ok(match customer_id {
            Some(cid) => {
                let (org, _) = self.visible_customer(conn, p, cid).await?;
                p.require(Action::CustomerServiceRequests)?;
                Some(org)
            }
            None => {
                p.require(Action::PartnerServiceRequests)?;
                None
            }
        })
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
        let now = self.now();
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
}

/// Checks what a new request says: a title, a description, a severity and a
/// category (`other` when none is given).
fn validate_request(input: &ServiceRequestInput) -> AppResult<RequestText> {
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
    Ok(RequestText {
        title,
        description,
        severity,
        category,
        product_family: family,
    })
}

/// A new open request of the caller's organisation, with the caller as its
/// primary contact.
fn new_request_row(
    p: &Principal,
    customer: Option<&OrganizationRow>,
    text: RequestText,
    now: Timestamp,
) -> RequestRow {
    RequestRow {
        id: ServiceRequestId::generate(),
        organization_id: p.organization.id.clone(),
        customer_id: customer.map(|o| o.id.clone()),
        scope: if customer.is_some() {
            "customer"
        } else {
            "partner"
        }
        .into(),
        title: text.title,
        description: text.description,
        severity: text.severity,
        category: text.category,
        product_family: text.product_family,
        status: ServiceRequestStatus::Open,
        primary_contact_user_id: p.user.as_ref().map(|u| u.id.clone()),
        primary_contact_email: p.user.as_ref().map(|u| u.email.clone()),
        assigned_to: None,
        created_at: now,
        last_modified_at: now,
        closed_at: None,
        version: 1,
    }
}
