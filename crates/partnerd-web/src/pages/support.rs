//! Support in the portal: service requests (open, follow, note, close, reopen; the
//! operator's queue with status and assignee) and service health (incidents that
//! concern you; the operator posts, updates and resolves them).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::paging::PageParams;
use partnerd_app::support::{
    IncidentAction, IncidentFilters, IncidentInput, ServiceRequestChanges, ServiceRequestFilters,
    ServiceRequestForm, ServiceRequestInput, ServiceRequestList, ServiceRequestOpened,
};
use partnerd_domain::ids::{IncidentId, OrgId, ServiceRequestId};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::{ServiceIncidentStatus, ServiceRequestStatus};
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::Values;
use crate::pages::layout::{FormErrors, capitalize, field, nothing_changed, page};
use crate::pages::{
    Confirmed, CsrfForm, CsrfToken, PageError, PageUser, blank, csrf_field, next_page_link,
};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/support", get(list_page).post(create))
        .route("/support/{id}", get(detail_page).post(update))
        .route("/support/{id}/notes", post(add_note))
        .route("/support/{id}/reopen", post(reopen))
        .route("/health", get(health_page).post(post_incident))
        .route("/health/{id}", get(incident_page).post(incident_action))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    #[serde(rename = "continuationToken")]
    continuation_token: Option<String>,
    done: Option<String>,
}

fn severity_select(name: &str, chosen: &str, options: &[&str]) -> Markup {
    html! {
        select id=(name) name=(name) {
            @for o in options { option value=(o) selected[*o == chosen] { (capitalize(o)) } }
        }
    }
}

fn new_request_form(
    user: &PageUser,
    csrf: &str,
    form: &ServiceRequestForm,
    m: &Values,
    errors: &FormErrors,
) -> Markup {
    let p = &user.principal;
    let customers = &form.customers;
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let about = get("customer_id");
    html! {
        div.card {
            h2 { "Open a service request" }
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/support" novalidate {
                (csrf_field(csrf))
                label for="customer_id" { "About" }
                select #customer_id name="customer_id" {
                    @if p.may(Action::PartnerServiceRequests) { option value="" { "partnerd itself (your partner account)" } }
                    @for c in customers { option value=(c.id) selected[about == c.id.as_str()] { "Customer: " (c.company_name) } }
                }
                (field("title", "Title", "text", &get("title"), "off", None, errors.for_field("/title")))
                label for="description" { "What happens, and since when?" }
                textarea #description name="description" rows="5" { (get("description")) }
                @if let Some(e) = errors.for_field("/description") { p.field-error { (capitalize(e)) } }
                label for="severity" { "Severity" }
                (severity_select("severity", &m.get("severity").cloned().unwrap_or_else(|| "moderate".into()), &["minimal", "moderate", "critical"]))
                label for="category" { "Category" }
                (severity_select("category", &m.get("category").cloned().unwrap_or_else(|| "technical".into()), &["technical", "billing", "account", "other"]))
                button type="submit" { "Open request" }
            }
        }
    }
}

/// `/support`: the organisation's requests (the operator: the queue) and the form.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let operator = p.organization.kind == OrgKind::Operator;
    let ServiceRequestList {
        requests: list,
        form,
    } = s
        .app
        .service_request_list(
            p,
            &ServiceRequestFilters {
                status: blank(&q.status),
                ..Default::default()
            },
            &PageParams {
                size: Some(25),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let form =
        form.map(|f| new_request_form(&user, &csrf, &f, &Values::new(), &FormErrors::default()));
    let body = html! {
        @if q.done.is_some() { div.alert.success role="status" { "Your request was opened. We mail you when the operator updates it." } }
        form.filters method="get" action="/support" {
            label for="status" { "Status" }
            select #status name="status" {
                option value="" { "Any" }
                @for st in ["open", "attentionNeeded", "closed"] { option value=(st) selected[q.status.as_deref() == Some(st)] { (st) } }
            }
            button type="submit" { "Filter" }
        }
        @if list.items.is_empty() { p.empty { @if operator { "The queue is empty." } @else { "No service requests yet." } } } @else {
            table {
                thead { tr { th { "Title" } th { "About" } th { "Severity" } th { "Status" } th { "Updated" } } }
                tbody { @for r in &list.items { tr {
                    td { a href=(format!("/support/{}", r.id)) { (r.title) } }
                    td { @if r.scope == "customer" { "A customer" } @else { "partnerd" } }
                    td { (r.severity) } td { (r.status) } td { (r.last_modified_at) }
                } } }
            }
        }
        @if let Some(t) = &list.continuation_token { p { a href=(next_page_link("/support", &[("status", &q.status)], t)) { "Next page" } } }
        @if let Some(f) = form { (f) }
    };
    Ok(page(
        if operator {
            "Service request queue"
        } else {
            "Service requests"
        },
        &user,
        &csrf,
        body,
    ))
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let input = ServiceRequestInput {
        title: get("title"),
        description: get("description"),
        severity: get("severity"),
        category: Some(get("category")),
        customer_id: m
            .get("customer_id")
            .filter(|c| !c.is_empty())
            .cloned()
            .map(OrgId::from_raw),
        product_family: None,
    };
    match s
        .app
        .open_service_request(&user.principal, &ctx, input)
        .await?
    {
        ServiceRequestOpened::Opened(r) => {
            Ok(Redirect::to(&format!("/support/{}?done=1", r.id)).into_response())
        }
        ServiceRequestOpened::Refused { error, form } => {
            let form = new_request_form(&user, &csrf.0, &form, &m, &FormErrors::from_app(&error));
            Ok((
                crate::problem::status_of(&error),
                page("Service requests", &user, &csrf.0, form),
            )
                .into_response())
        }
    }
}

/// `/support/{id}`: the request, its notes, and what the viewer may do with it.
pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<ServiceRequestId>,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let r = s.app.get_service_request(p, &id).await?;
    let operator = p.organization.kind == OrgKind::Operator;
    let action = format!("/support/{id}");
    let body = html! {
        @if q.done.is_some() { div.alert.success role="status" { "Saved." } }
        dl {
            dt { "Status" } dd { (r.status) }
            dt { "Severity" } dd { (r.severity) " · " (r.category) }
            dt { "Opened" } dd { (r.created_at) " by " (r.primary_contact.email.clone().unwrap_or_default()) }
            @if let Some(a) = &r.assigned_to { dt { "Assigned to" } dd { (a) } }
        }
        p { (r.description) }
        h2 { "Notes" }
        @let notes = r.notes.clone().unwrap_or_default();
        @if notes.is_empty() { p.empty { "No notes yet." } }
        @for n in &notes { div.card { p.muted { (n.author.name) " · " (n.created_at) } p { (n.text) } } }
        @if r.status != ServiceRequestStatus::Closed {
            form method="post" action=(format!("{action}/notes")) {
                (csrf_field(&csrf))
                label for="text" { "Add a note" }
                textarea #text name="text" rows="3" {}
                button type="submit" { "Add note" }
            }
        }
        div.card {
            @if r.status == ServiceRequestStatus::Closed {
                form method="post" action=(format!("{action}/reopen")) { (csrf_field(&csrf)) button type="submit" { "Reopen" } }
            } @else if operator {
                form method="post" action=(action) {
                    (csrf_field(&csrf))
                    input type="hidden" name="etag" value=(r.etag);
                    label for="status" { "Status" }
                    select #status name="status" { @for st in ["open", "attentionNeeded", "closed"] { option value=(st) selected[r.status.as_str() == st] { (st) } } }
                    (field("assigned_to", "Assigned to", "text", &r.assigned_to.clone().unwrap_or_default(), "off", None, None))
                    button type="submit" { "Save" }
                }
            } @else {
                form method="post" action=(action) {
                    (csrf_field(&csrf))
                    input type="hidden" name="etag" value=(r.etag);
                    input type="hidden" name="status" value="closed";
                    button.secondary type="submit" { "Close request" }
                }
            }
        }
        p { a href="/support" { "Back to the requests" } }
    };
    Ok(page(&r.title, &user, &csrf, body))
}

pub async fn update(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ServiceRequestId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let changes = ServiceRequestChanges {
        status: m.get("status").cloned(),
        assigned_to: m
            .get("assigned_to")
            .filter(|a| !a.trim().is_empty())
            .cloned(),
    };
    match s
        .app
        .update_service_request(
            &user.principal,
            &ctx,
            &id,
            m.get("etag").map(String::as_str),
            Ok(changes),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/support/{id}?done=1")).into_response()),
        Err(e)
            if matches!(
                e,
                AppError::Conflict { .. } | AppError::PreconditionFailed | AppError::Validation(_)
            ) =>
        {
            Ok(nothing_changed(
                &user,
                &csrf.0,
                (&format!("/support/{id}"), "Back"),
                &e,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_note(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ServiceRequestId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    match s
        .app
        .add_service_request_note(
            &user.principal,
            &ctx,
            &id,
            Ok(m.get("text").cloned().unwrap_or_default()),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/support/{id}")).into_response()),
        Err(e) if matches!(e, AppError::Conflict { .. } | AppError::Validation(_)) => Ok(
            nothing_changed(&user, &csrf.0, (&format!("/support/{id}"), "Back"), &e),
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn reopen(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ServiceRequestId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    match s
        .app
        .reopen_service_request(&user.principal, &ctx, &id)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/support/{id}?done=1")).into_response()),
        Err(e) if matches!(e, AppError::Conflict { .. }) => Ok(nothing_changed(
            &user,
            &csrf.0,
            (&format!("/support/{id}"), "Back"),
            &e,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct HealthQuery {
    status: Option<String>,
}

/// `/health`: the incidents that concern you; the operator posts new ones here.
pub async fn health_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<HealthQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let list = s
        .app
        .list_incidents(
            p,
            &IncidentFilters {
                status: blank(&q.status),
                ..Default::default()
            },
            &PageParams::first(100),
        )
        .await?;
    let body = html! {
        p { @if q.status.as_deref() == Some("all") { a href="/health" { "Show active incidents only" } } @else { a href="/health?status=all" { "Show resolved incidents too" } } }
        @if list.items.is_empty() { p.empty { "No incident affects the products you or your customers use." } } @else {
            table {
                thead { tr { th { "Incident" } th { "Products" } th { "Severity" } th { "Status" } th { "Since" } } }
                tbody { @for i in &list.items { tr {
                    td { a href=(format!("/health/{}", i.id)) { (i.title) } } td { (i.product_families.join(", ")) }
                    td { (i.severity) } td { (i.status) } td { (i.started_at) }
                } } }
            }
        }
        @if p.may(Action::ManageServiceIncidents) {
            div.card {
                h2 { "Post an incident" }
                form method="post" action="/health" novalidate {
                    (csrf_field(&csrf))
                    (field("title", "Title", "text", "", "off", None, None))
                    (field("product_families", "Product families", "text", "", "off", Some("Comma separated, as in the catalog."), None))
                    label for="severity" { "Severity" }
                    (severity_select("severity", "warning", &["informational", "warning", "critical"]))
                    label for="message" { "Message" }
                    textarea #message name="message" rows="3" {}
                    button type="submit" { "Post incident" }
                }
            }
        }
    };
    Ok(page("Service health", &user, &csrf, body))
}

pub async fn post_incident(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let input = IncidentInput {
        title: get("title"),
        product_families: get("product_families")
            .split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect(),
        severity: get("severity"),
        message: get("message"),
        started_at: None,
    };
    match s
        .app
        .create_incident(&user.principal, &ctx, Ok(input))
        .await
    {
        Ok(i) => Ok(Redirect::to(&format!("/health/{}", i.id)).into_response()),
        Err(e) if matches!(e, AppError::Validation(_)) => {
            Ok(nothing_changed(&user, &csrf.0, ("/health", "Back"), &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// `/health/{id}`: the incident and its updates; the operator updates and resolves.
pub async fn incident_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<IncidentId>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let i = s.app.get_incident(p, &id).await?;
    let body = html! {
        dl {
            dt { "Products" } dd { (i.product_families.join(", ")) }
            dt { "Severity" } dd { (i.severity) }
            dt { "Status" } dd { (i.status) @if let Some(r) = &i.resolved_at { " (" (r) ")" } }
            dt { "Started" } dd { (i.started_at) }
        }
        p { (i.message) }
        h2 { "Updates" }
        @let updates = i.updates.clone().unwrap_or_default();
        @if updates.is_empty() { p.empty { "No updates yet." } }
        @for u in &updates { div.card { p.muted { (u.posted_at) } p { (u.message) } } }
        @if p.may(Action::ManageServiceIncidents) {
            form method="post" action=(format!("/health/{id}")) {
                (csrf_field(&csrf))
                input type="hidden" name="etag" value=(i.etag);
                label for="message" { "Post an update" }
                textarea #message name="message" rows="3" {}
                button type="submit" name="do" value="update" { "Post update" }
                @if i.status == ServiceIncidentStatus::Active { " " button.secondary type="submit" name="do" value="resolve" { "Resolve incident" } }
            }
        }
        p { a href="/health" { "Back to service health" } }
    };
    Ok(page(&i.title, &user, &csrf, body))
}

pub async fn incident_action(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<IncidentId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let message = m.get("message").filter(|t| !t.trim().is_empty()).cloned();
    let action = if m.get("do").map(String::as_str) == Some("resolve") {
        IncidentAction::Resolve { message }
    } else {
        IncidentAction::PostUpdate {
            message: message.unwrap_or_default(),
        }
    };
    let result = s
        .app
        .act_on_incident(
            &user.principal,
            &ctx,
            &id,
            m.get("etag").map(String::as_str),
            action,
        )
        .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/health/{id}")).into_response()),
        Err(e) if matches!(e, AppError::PreconditionFailed | AppError::Validation(_)) => Ok(
            nothing_changed(&user, &csrf.0, (&format!("/health/{id}"), "Back"), &e),
        ),
        Err(e) => Err(e.into()),
    }
}
