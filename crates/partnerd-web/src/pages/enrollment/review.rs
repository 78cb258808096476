//! The operator's review: the queue of enrollments, one enrollment, approve and reject.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::enrollment::{Enrollment, EnrollmentFilters, EnrollmentRejection};
use partnerd_app::paging::PageParams;
use partnerd_domain::ids::EnrollmentId;
use partnerd_domain::states::EnrollmentStatus;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

use super::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueueQuery {
    status: Option<String>,
    continuation_token: Option<String>,
}

/// The operator's review queue, oldest first.
pub async fn queue_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<QueueQuery>,
) -> Result<Markup, PageError> {
    let status = q
        .status
        .clone()
        .filter(|v| !v.is_empty())
        .or(Some("pendingReview".into()))
        .filter(|v| v != "all");
    let f = EnrollmentFilters {
        status: status.clone(),
        ..EnrollmentFilters::default()
    };
    let list = s
        .app
        .list_enrollments(
            &user.principal,
            &f,
            &PageParams {
                size: Some(50),
                continuation_token: q.continuation_token.clone(),
            },
        )
        .await?;
    let body = html! {
        form.filters method="get" action="/operator/enrollments" {
            div { label for="status" { "Status" }
                select #status name="status" {
                    @for (v, l) in [("pendingReview", "Pending review"), ("pendingVerification", "Pending verification"), ("draft", "Draft"), ("approved", "Approved"), ("rejected", "Rejected"), ("withdrawn", "Withdrawn"), ("all", "All")] {
                        option value=(v) selected[status.as_deref().unwrap_or("all") == v] { (l) }
                    }
                }
            }
            div { button type="submit" { "Show" } }
        }
        @if list.items.is_empty() {
            p.empty { "Nothing waits here." }
        } @else {
            table {
                thead { tr { th { "Applicant" } th { "Membership" } th { "Status" } th { "Submitted" } } }
                tbody {
                    @for e in &list.items {
                        tr {
                            td { a href=(format!("/operator/enrollments/{}", e.id)) { (e.legal_profile.as_ref().map(|l| l.legal_name.clone()).unwrap_or_else(|| e.organization_id.to_string())) } }
                            td { (e.membership.as_ref().map(|m| m.membership_id.clone()).unwrap_or_default()) }
                            td { (e.status) }
                            td { (e.submitted_at.map(|t| t.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
            @if let Some(t) = &list.continuation_token { p { a href=(format!("/operator/enrollments?status={}&continuationToken={t}", status.clone().unwrap_or_else(|| "all".into()))) { "Next page" } } }
        }
    };
    Ok(page("Enrollment review", &user, &csrf, body))
}

pub(crate) fn review_body(csrf: &str, e: &Enrollment, errors: &FormErrors) -> Markup {
    html! {
        p { "Status: " strong { (status_label(e.status)) } }
        (summary(e))
        @if e.status == EnrollmentStatus::PendingReview {
            div.card {
                h2 { "Decide" }
                form method="post" action=(format!("/operator/enrollments/{}/approve", e.id)) {
                    (csrf_field(csrf))
                    label for="note" { "Note (optional)" }
                    textarea #note name="note" rows="2" {}
                    button type="submit" { "Approve" }
                }
                form method="post" action=(format!("/operator/enrollments/{}/reject", e.id)) novalidate {
                    (csrf_field(csrf))
                    label for="reason" { "Reason for rejecting (required; the applicant reads it)" }
                    textarea #reason name="reason" rows="3" aria-invalid=[errors.for_field("/reason").map(|_| "true")] {}
                    @if let Some(m) = errors.for_field("/reason") { p.field-error { (crate::pages::layout::capitalize(m)) } }
                    button.danger type="submit" { "Reject" }
                }
            }
        }
        p { a href="/operator/enrollments" { "Back to the queue" } }
    }
}

pub async fn review_detail(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<EnrollmentId>,
) -> Result<Markup, PageError> {
    let e = s.app.get_enrollment(&user.principal, &id).await?;
    Ok(page(
        "Enrollment",
        &user,
        &csrf,
        review_body(&csrf, &e, &FormErrors::default()),
    ))
}

pub async fn approve(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    s.app
        .approve_enrollment(&user.principal, &ctx, &id, Ok(opt(&m, "note")))
        .await?;
    Ok(Redirect::to(&format!("/operator/enrollments/{id}")).into_response())
}

pub async fn reject(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    match s
        .app
        .reject_from_review(&user.principal, &ctx, &id, get(&m, "reason"))
        .await?
    {
        EnrollmentRejection::Rejected(_) => {
            Ok(Redirect::to(&format!("/operator/enrollments/{id}")).into_response())
        }
        EnrollmentRejection::Invalid {
            error: err,
            enrollment: e,
        } => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            page(
                "Enrollment",
                &user,
                &csrf.0,
                review_body(&csrf.0, &e, &FormErrors::from_app(&err)),
            ),
        )
            .into_response()),
    }
}
