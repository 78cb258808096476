//! The activity log: who did what, for whom, when and from where.

use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use partnerd_app::audit::{AuditFilters, RESOURCE_TYPES};
use partnerd_app::paging::PageParams;
use partnerd_domain::ids::AuditRecordId;
use serde::Deserialize;

use crate::AppState;
use crate::pages::layout::page;
use crate::pages::{CsrfToken, PageError, PageUser, blank};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/activity", get(list_page))
        .route("/activity/{id}", get(detail_page))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ActivityQuery {
    operation_type: Option<String>,
    resource_type: Option<String>,
    operation_status: Option<String>,
    continuation_token: Option<String>,
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ActivityQuery>,
) -> Result<Markup, PageError> {
    let filters = AuditFilters {
        operation_type: blank(&q.operation_type),
        resource_type: blank(&q.resource_type),
        operation_status: blank(&q.operation_status),
        ..AuditFilters::default()
    };
    let records = s
        .app
        .list_audit_records(
            &user.principal,
            &filters,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let sel = |v: &Option<String>, o: &str| v.as_deref() == Some(o);
    let next_link = records.continuation_token.as_ref().map(|t| {
        crate::pages::next_page_link(
            "/activity",
            &[
                ("operationType", &filters.operation_type),
                ("resourceType", &filters.resource_type),
                ("operationStatus", &filters.operation_status),
            ],
            t,
        )
    });
    let body = html! {
        form.filters method="get" action="/activity" {
            div { label for="operationType" { "Operation" } input #operationType name="operationType" type="text" value=(q.operation_type.clone().unwrap_or_default()) placeholder="e.g. signIn"; }
            div { label for="resourceType" { "Resource" }
                select #resourceType name="resourceType" {
                    option value="" { "Any" }
                    @for r in RESOURCE_TYPES { option value=(r) selected[sel(&q.resource_type, r)] { (r) } }
                }
            }
            div { label for="operationStatus" { "Outcome" }
                select #operationStatus name="operationStatus" {
                    option value="" { "Any" }
                    option value="succeeded" selected[sel(&q.operation_status, "succeeded")] { "Succeeded" }
                    option value="failed" selected[sel(&q.operation_status, "failed")] { "Failed" }
                }
            }
            div { button type="submit" { "Filter" } }
        }
        p.muted { (crate::pages::layout::count(records.total_count, "record", "records")) " in the last 30 days" }
        @if records.items.is_empty() {
            p.empty { "Nothing matches these filters in the last 30 days." }
        } @else {
            table {
                thead { tr { th { "When (UTC)" } th { "Who" } th { "For" } th { "What" } th { "Resource" } th { "Outcome" } th { "From" } } }
                tbody {
                    @for r in &records.items {
                        tr {
                            td { a href=(format!("/activity/{}", r.id)) { (r.occurred_at) } }
                            td { (r.actor.email.clone().or(r.actor.name.clone()).unwrap_or_else(|| r.actor.kind.clone())) }
                            td { @if let Some(o) = &r.on_behalf_of { (o.name) } @else { span.muted { "—" } } }
                            td { (r.operation_type) }
                            td { (r.resource_type) @if let Some(id) = &r.resource_id { br; code { (id) } } }
                            td { (r.operation_status) }
                            td { (r.source_ip.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
            @if let Some(link) = next_link { p { a href=(link) { "Older records" } } }
        }
    };
    Ok(page("Activity log", &user, &csrf, body))
}

pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<AuditRecordId>,
) -> Result<Markup, PageError> {
    let r = s.app.get_audit_record(&user.principal, &id).await?;
    let changes = r
        .changes
        .as_ref()
        .and_then(|c| serde_json::to_string_pretty(c).ok());
    let body = html! {
        div.card {
            table { tbody {
                tr { th scope="row" { "When (UTC)" } td { (r.occurred_at) } }
                tr { th scope="row" { "Who" } td { (r.actor.kind) ": " (r.actor.email.clone().or(r.actor.name.clone()).unwrap_or_default())
                    @if let Some(org) = &r.actor.organization_id { " (organisation " code { (org) } ")" } } }
                tr { th scope="row" { "On behalf of" } td { @if let Some(o) = &r.on_behalf_of { (o.name) " (" code { (o.organization_id) } ")" } @else { "—" } } }
                tr { th scope="row" { "What" } td { (r.operation_type) " · " (r.operation_status) } }
                tr { th scope="row" { "Resource" } td { (r.resource_type) " " code { (r.resource_id.clone().unwrap_or_default()) } } }
                tr { th scope="row" { "Request id" } td { code { (r.request_id.clone().unwrap_or_default()) } } }
                tr { th scope="row" { "From" } td { (r.source_ip.clone().unwrap_or_default()) } }
            } }
        }
        @if let Some(c) = changes { div.card { h2 { "Changes" } pre { (c) } } }
        p { a href="/activity" { "Back to the activity log" } }
    };
    Ok(page("Activity record", &user, &csrf, body))
}
