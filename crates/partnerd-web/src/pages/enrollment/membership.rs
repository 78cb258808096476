//! The membership step: signing in to the partner registry and linking a membership ID.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::enrollment::MembershipLink;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, field, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

use super::*;

pub(crate) fn membership_intro() -> Markup {
    html! {
        div.card {
            h2 { "Why we link your membership ID" }
            p { "Your membership in the partner network carries your benefits. We link its membership ID to this tenant, so what you sell through providers counts for your organisation." }
            p { "Sign in with your membership registry account, then choose the organisation profile whose membership ID carries the benefits. It must be in the same country or region as your tenant." }
        }
    }
}

pub(crate) fn registry_form(csrf: &str, errors: &FormErrors) -> Markup {
    html! {
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action="/enroll/membership" novalidate {
            (csrf_field(csrf))
            (field("username", "Membership registry username", "text", "", "off", None, errors.for_field("/username")))
            (field("password", "Membership registry password", "password", "", "off", None, errors.for_field("/password")))
            button type="submit" { "Sign in to the membership registry" }
        }
    }
}

pub async fn membership_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, PageError> {
    let e = require_enrollment(&s, &user).await?;
    if next_step(&e) == "/enroll/status" || e.existing_partner {
        return Ok(Redirect::to(next_step(&e)).into_response());
    }
    let body = html! {
        (steps(1))
        @if let Some(m) = &e.membership { div.alert.success { "Linked: membership ID " strong { (m.membership_id) } " (" (m.legal_name) ", " (m.country) "). You can choose another below, or " a href="/enroll/profile" { "continue" } "." } }
        (membership_intro())
        (registry_form(&csrf, &FormErrors::default()))
    };
    Ok(page("Link your membership ID", &user, &csrf, body).into_response())
}

pub async fn membership_signin(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    match s
        .app
        .current_membership_sign_in(
            &user.principal,
            &ctx,
            Ok((get(&m, "username"), get(&m, "password"))),
        )
        .await
    {
        Ok(signin) => {
            let any = signin.profiles.iter().any(|p| p.linkable);
            let body = html! {
                (steps(1))
                p { "Choose the organisation profile whose membership ID carries the benefits. Profiles outside " strong { (user.principal.organization.country) } " are shown but cannot be chosen." }
                form method="post" action="/enroll/membership/link" {
                    (csrf_field(&csrf.0))
                    input type="hidden" name="token" value=(signin.membership_session_token);
                    fieldset {
                        legend { "Organisation profiles" }
                        @for p in &signin.profiles {
                            div {
                                label {
                                    input type="radio" name="membership_id" value=(p.membership_id) disabled[!p.linkable] required;
                                    " " (p.legal_name) " · " (p.country) " · membership ID " (p.membership_id)
                                }
                                @match p.reason.as_deref() {
                                    Some("countryMismatch") => p.hint { "Not selectable: registered in " (p.country) ", your tenant is in " (user.principal.organization.country) "." },
                                    Some("alreadyLinked") => p.hint { "Not selectable: linked to another organisation already." },
                                    _ => {}
                                }
                            }
                        }
                    }
                    @if any { button type="submit" { "Link this membership ID" } }
                }
                @if !any { div.alert.warning { "None of this account's profiles can be linked to your tenant." } }
                p { a href="/enroll/membership" { "Cancel and sign in with another registry account" } }
            };
            Ok(page("Choose your organisation profile", &user, &csrf.0, body).into_response())
        }
        Err(err)
            if matches!(
                err,
                AppError::Unauthenticated
                    | AppError::InvalidCredentials(_)
                    | AppError::Validation(_)
                    | AppError::RateLimited { .. }
            ) =>
        {
            let body = html! { (steps(1)) (membership_intro()) (registry_form(&csrf.0, &FormErrors::from_app(&err))) };
            let status = crate::problem::status_of(&err);
            Ok((
                status,
                page("Link your membership ID", &user, &csrf.0, body),
            )
                .into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn membership_link(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    match s
        .app
        .link_current_membership(
            &user.principal,
            &ctx,
            Ok((get(&m, "token"), get(&m, "membership_id"))),
        )
        .await?
    {
        MembershipLink::Linked(_) => Ok(Redirect::to("/enroll/profile").into_response()),
        MembershipLink::Refused(err) => {
            let mut errors = FormErrors::from_app(&err);
            if errors.general.is_none() {
                errors.general = errors
                    .fields
                    .first()
                    .map(|f| crate::pages::layout::capitalize(&f.message));
            }
            let body = html! { (steps(1)) (membership_intro()) (registry_form(&csrf.0, &errors)) };
            let status = crate::problem::status_of(&err);
            Ok((
                status,
                page("Link your membership ID", &user, &csrf.0, body),
            )
                .into_response())
        }
    }
}
