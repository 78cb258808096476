//! Home > Waiting on you: what is stuck, why, and where to unblock it.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_domain::ids::OutboxId;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{capitalize, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, check_csrf};

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
                    td { (i.resource_type) } td { (capitalize(&i.reason)) } td { (i.due_at.clone().unwrap_or_default()) }
                    td { @if let Some(a) = &i.action {
                        // Actions done right here post a form; the others open their page.
                        @if i.kind == "mailFailed" {
                            form.inline method="post" action=(a.portal_href) {
                                input type="hidden" name="csrf" value=(csrf);
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
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OutboxId>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&csrf, &f.csrf)?;
    s.app.retry_mail(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to("/attention?done=mail").into_response())
}
