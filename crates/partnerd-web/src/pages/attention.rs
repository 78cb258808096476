//! Home > Waiting on you: what is stuck, why, and where to unblock it.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_domain::ids::OutboxId;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{capitalize, page};
use crate::pages::{Confirmed, CsrfToken, PageError, PageUser, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/attention", get(page_view))
        .route("/attention/mail/{id}/retry", post(retry_mail))
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page_view(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let items = s.app.attention(&user.principal).await?;
    let body = html! {
        @if q.done.as_deref() == Some("mail") {
            div.alert.success role="status" { "The mail is back in the queue; the worker sends it within a few seconds." }
        }
        @if items.is_empty() {
            p.empty { "Nothing waits on you: no invitation or request is about to expire, and every delivery went out." }
        } @else {
            table {
                thead { tr { th { "What" } th { "Why it waits" } th { "Due" } th { span.skip { "Actions" } } } }
                tbody { @for i in &items { tr {
                    td { (i.resource_type) } td { (capitalize(&i.reason)) } td { (i.due_at.map(|t| t.to_string()).unwrap_or_default()) }
                    td { @if let Some(a) = &i.action {
                        // Actions done right here post a form; the others open their page.
                        @if i.kind == "mailFailed" {
                            form.inline method="post" action=(a.portal_href) {
                                (csrf_field(&csrf))
                                button.link type="submit" { (a.label) }
                            }
                        } @else {
                            a href=(a.portal_href) { (a.label) }
                        }
                    } }
                } } }
            }
        }
    };
    Ok(page("Waiting on you", &user, &csrf, body))
}

/// `POST /attention/mail/{id}/retry`.
pub async fn retry_mail(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OutboxId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.retry_mail(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to("/attention?done=mail").into_response())
}
