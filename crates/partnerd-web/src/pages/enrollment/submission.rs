//! Finishing an enrollment: the review before Enroll now, the status page, resending
//! or confirming the verification mail, and withdrawing.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_domain::states::EnrollmentStatus;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{bare, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

use super::*;

pub async fn review_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, PageError> {
    let e = require_enrollment(&s, &user).await?;
    if next_step(&e) != "/enroll/review" {
        return Ok(Redirect::to(next_step(&e)).into_response());
    }
    let body = html! {
        (steps(3))
        p { "Check your details. After you enroll, the primary contact confirms their address and the vendor reviews the application; you can follow it on the status page." }
        (summary(&e))
        form method="post" action="/enroll/submit" {
            (csrf_field(&csrf))
            button type="submit" { "Enroll now" }
            " "
            a.button.secondary href="/enroll/profile" { "Change details" }
        }
    };
    Ok(page("Enroll now", &user, &csrf, body).into_response())
}

pub async fn submit(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app
        .submit_current_enrollment(&user.principal, &ctx)
        .await?;
    Ok(Redirect::to("/enroll/status").into_response())
}

#[derive(Deserialize)]
pub struct StatusQuery {
    done: Option<String>,
}

pub async fn status_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<StatusQuery>,
) -> Result<Markup, PageError> {
    let Some(e) = current(&s, &user).await? else {
        return Ok(page(
            "Your enrollment",
            &user,
            &csrf,
            html! { p.empty { "You have not started an enrollment. " a href="/enroll/start" { "Start now" } } },
        ));
    };
    let body = html! {
        @match q.done.as_deref() {
            Some("resent") => div.alert.success role="status" { "We sent the verification mail again." },
            Some("withdrawn") => div.alert.success role="status" { "Your enrollment was withdrawn." },
            _ => {}
        }
        div.card {
            h2 { "Status" }
            p.status { strong { (status_label(e.status)) } }
            @if let Some(d) = &e.decision { @if let Some(r) = &d.reason { @if e.status == EnrollmentStatus::Rejected { div.alert.error { "Reason: " (r) } } } }
            @if e.status == EnrollmentStatus::Approved {
                p { "You are Global admin and Admin agent. Check it under " a href="/settings/users" { "Account settings > User management" } "." }
            }
            @if e.status == EnrollmentStatus::PendingVerification {
                form method="post" action="/enroll/resend" { (csrf_field(&csrf)) button.secondary type="submit" { "Resend the verification mail" } }
            }
            @if e.status.is_editable() { p { a.button href=(next_step(&e)) { "Continue the enrollment" } } }
        }
        h2 { "History" }
        ol { @for h in &e.history { li { (h.at) " — " (status_label(h.status)) } } }
        (summary(&e))
        @if !e.status.is_terminal() {
            form method="post" action="/enroll/withdraw" { (csrf_field(&csrf)) button.link type="submit" { "Withdraw the enrollment" } }
        }
    };
    Ok(page("Your enrollment", &user, &csrf, body))
}

pub async fn resend(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app
        .resend_current_verification(&user.principal, &ctx)
        .await?;
    Ok(Redirect::to("/enroll/status?done=resent").into_response())
}

pub async fn withdraw(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app
        .withdraw_current_enrollment(&user.principal, &ctx)
        .await?;
    Ok(Redirect::to("/enroll/status?done=withdrawn").into_response())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `/verify-email?token=…`: a GET only shows the page (mail scanners cannot use the
/// link up); the button's POST confirms.
pub async fn verify_page(CsrfToken(csrf): CsrfToken, Query(q): Query<TokenQuery>) -> Markup {
    let token = q.token.unwrap_or_default();
    bare(
        "Confirm your e-mail address",
        html! {
            p { "You were named the primary contact of an enrollment as indirect reseller. Confirm that you signed up and that this address belongs to your organisation." }
            form method="post" action="/verify-email" {
                (csrf_field(&csrf))
                input type="hidden" name="token" value=(token);
                button type="submit" { "Confirm my address" }
            }
        },
    )
}

pub async fn verify(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    match s.app.confirm_email(&ctx, Ok(get(&m, "token"))).await {
        Ok(done) => Ok(bare(
            "Address confirmed",
            html! {
                div.alert.success role="status" { "Thank you: " (done.email) " is confirmed." }
                p { "The vendor reviews the enrollment next; the enrolling team can follow it on their status page." }
            },
        )
        .into_response()),
        Err(e) if crate::pages::link_cannot_be_used(&e) => {
            let status = crate::problem::status_of(&e);
            Ok((status, bare("This link cannot be used", html! { div.alert.error role="alert" { (crate::pages::layout::capitalize(&e.detail())) "." } })).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
