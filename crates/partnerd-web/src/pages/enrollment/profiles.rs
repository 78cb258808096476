//! The business and support profiles step.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::enrollment::{Address, LegalProfile, PrimaryContact, SupportProfile};

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

use super::*;

pub(crate) fn profile_form(
    csrf: &str,
    country: &str,
    m: &Values,
    legal_errors: &FormErrors,
    support_errors: &FormErrors,
) -> Markup {
    html! {
        (steps(2))
        @if let Some(g) = legal_errors.general.as_ref().or(support_errors.general.as_ref()) { div.alert.error role="alert" { (g) } }
        form method="post" action="/enroll/profile" novalidate {
            (csrf_field(csrf))
            (legal_fields(country, m, legal_errors))
            (support_fields(m, support_errors))
            button type="submit" { "Save and continue" }
        }
    }
}

pub async fn profile_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, PageError> {
    let e = require_enrollment(&s, &user).await?;
    if !e.status.is_editable() || e.existing_partner {
        return Ok(Redirect::to(next_step(&e)).into_response());
    }
    let m = values_of(&e);
    let body = profile_form(
        &csrf,
        &user.principal.organization.country,
        &m,
        &FormErrors::default(),
        &FormErrors::default(),
    );
    Ok(page("Your business profile", &user, &csrf, body).into_response())
}

pub async fn profile_save(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let legal = LegalProfile {
        legal_name: get(&m, "legal_name"),
        address: Address {
            line1: get(&m, "line1"),
            line2: opt(&m, "line2"),
            city: get(&m, "city"),
            region: opt(&m, "region"),
            postal_code: get(&m, "postal_code"),
            country: get(&m, "address_country").trim().to_uppercase(),
        },
        phone: get(&m, "phone"),
        website: opt(&m, "website"),
        primary_contact: PrimaryContact {
            first_name: get(&m, "contact_first_name"),
            last_name: get(&m, "contact_last_name"),
            email: get(&m, "contact_email"),
            phone: opt(&m, "contact_phone"),
        },
    };
    let support = SupportProfile {
        email: get(&m, "support_email"),
        phone: get(&m, "support_phone"),
        website: opt(&m, "support_website"),
        hours: opt(&m, "support_hours"),
    };
    let saved = s
        .app
        .save_enrollment_profiles(&user.principal, &ctx, legal, support)
        .await?;
    if saved.saved() {
        return Ok(Redirect::to("/enroll/review").into_response());
    }
    let errors = |e: &Option<AppError>| e.as_ref().map(FormErrors::from_app).unwrap_or_default();
    let (legal_errors, support_errors) = (errors(&saved.legal), errors(&saved.support));
    let body = profile_form(
        &csrf.0,
        &user.principal.organization.country,
        &m,
        &legal_errors,
        &support_errors,
    );
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        page("Your business profile", &user, &csrf.0, body),
    )
        .into_response())
}
