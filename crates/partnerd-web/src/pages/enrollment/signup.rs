//! Starting an enrollment: the welcome page, a new work account (tenant and global
//! admin), the start for someone signed in, and the existing-partner shortcut.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::enrollment::{
    ExistingPartnerSubmit, StartEnrollmentInput, SupportProfile, TenantInput,
};
use partnerd_app::{AppError, Conflict};
use partnerd_domain::password::MIN_CHARS;
use partnerd_domain::policy::Action;
use partnerd_domain::states::EnrollmentStatus;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::auth::set_cookie;
use crate::pages::layout::{FormErrors, bare, field, page};
use crate::pages::{Cookies, CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

use super::*;

/// `/enroll`: what you need before you start.
pub async fn welcome() -> Markup {
    bare(
        "Enroll as an indirect reseller",
        html! {
            p { "Work with indirect providers (distributors) who buy from the vendor and give you billing, credit, training and support, so you do not have to start alone." }
            h2 { "Before you start, have ready" }
            ul {
                li { "A work account that is the " strong { "global admin" } " of your organisation's tenant, or create the tenant and that account now." }
                li { "The sign-in of your " strong { "membership registry" } " account: its membership ID carries your benefits." }
                li { "Your " strong { "legal business name and address" } " (in your tenant's country), a " strong { "primary contact" } " with an e-mail address of your organisation (not a webmail address), and your " strong { "customer support" } " e-mail and phone." }
            }
            p { "After you enroll, the primary contact confirms their e-mail address and the vendor reviews your application. That can take a few days; every change of status is mailed to you." }
            p {
                a.button href="/signin?next=/enroll/start" { "Sign in with a work account" }
                " "
                a.button.secondary href="/enroll/signup" { "Create a tenant and enroll" }
            }
        },
    )
}

pub(crate) fn signup_form(
    csrf: &str,
    m: &std::collections::HashMap<String, String>,
    errors: &FormErrors,
) -> Markup {
    bare(
        "Create your tenant",
        html! {
            (steps(0))
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/enroll/signup" novalidate {
                (csrf_field(csrf))
                (field("company_name", "Company name", "text", &get(m, "company_name"), "organization", None, errors.for_field("/companyName")))
                (field("domain_prefix", "Domain prefix", "text", &get(m, "domain_prefix"), "off", Some("Your tenant's default domain: 3–40 of a-z, 0-9 and '-'."), errors.for_field("/domainPrefix")))
                (field("country", "Country/region", "text", &get(m, "country"), "country", Some("Two letters, such as DE. Your legal address and membership must be in this country."), errors.for_field("/country")))
                fieldset {
                    legend { "You, the global admin" }
                    (field("first_name", "First name", "text", &get(m, "first_name"), "given-name", None, errors.for_field("/admin/firstName")))
                    (field("last_name", "Last name", "text", &get(m, "last_name"), "family-name", None, errors.for_field("/admin/lastName")))
                    (field("email", "Work e-mail", "email", &get(m, "email"), "email", None, errors.for_field("/admin/email")))
                    (field("password", "Password", "password", "", "new-password", Some(&format!("At least {MIN_CHARS} characters.")), errors.for_field("/admin/password")))
                }
                button type="submit" { "Create tenant and continue" }
            }
        },
    )
}

pub async fn signup_page(CsrfToken(csrf): CsrfToken) -> Markup {
    signup_form(&csrf, &Default::default(), &FormErrors::default())
}

pub async fn signup(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let tenant = TenantInput {
        company_name: get(&m, "company_name"),
        domain_prefix: get(&m, "domain_prefix"),
        country: get(&m, "country").trim().to_uppercase(),
        admin_email: get(&m, "email"),
        admin_first_name: get(&m, "first_name"),
        admin_last_name: get(&m, "last_name"),
        admin_password: get(&m, "password"),
    };
    match s
        .app
        .start_enrollment(
            None,
            &ctx,
            Ok(StartEnrollmentInput {
                existing_partner: false,
                new_tenant: Some(tenant),
            }),
        )
        .await
    {
        Ok(started) => {
            let mut res = Redirect::to("/enroll/membership").into_response();
            if let Some(session) = started.session {
                set_cookie(
                    &mut res,
                    &Cookies::new(&s).session(&session.token, s.app.config().session_ttl_ms / 1000),
                );
            }
            Ok(res)
        }
        Err(e)
            if matches!(
                e,
                AppError::Conflict { .. } | AppError::Validation(_) | AppError::RateLimited { .. }
            ) =>
        {
            let mut errors = FormErrors::from_app(&e);
            match e.conflict_kind() {
                Some(Conflict::DomainUnavailable) => {
                    errors = FormErrors {
                        general: None,
                        fields: vec![partnerd_domain::FieldError::invalid(
                            "/domainPrefix",
                            e.detail().into_owned(),
                        )],
                    }
                }
                Some(Conflict::EmailInUse) => {
                    errors.general = Some(format!(
                        "{}. Sign in with that account instead.",
                        crate::pages::layout::capitalize(&e.detail())
                    ))
                }
                _ => {}
            }
            let status = crate::problem::status_of(&e);
            Ok((status, signup_form(&csrf.0, &m, &errors)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `/enroll/start`: a signed-in global admin begins, or continues where they were.
pub async fn start(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, PageError> {
    user.principal.require(Action::ManageEnrollment)?;
    if let Some(e) = current(&s, &user)
        .await?
        .filter(|e| e.status != EnrollmentStatus::Withdrawn)
    {
        return Ok(Redirect::to(next_step(&e)).into_response());
    }
    let partner = user.principal.organization.kind == partnerd_domain::OrgKind::Partner;
    let body = html! {
        (steps(0))
        p { "You are signed in as global admin of " strong { (user.principal.organization.name) } "." }
        @if partner {
            div.card {
                h2 { "Your organisation is a partner already" }
                p { "It becomes an indirect reseller with only its customer-support contact; no membership link and no review are needed." }
                form method="post" action="/enroll/start" { (csrf_field(&csrf)) input type="hidden" name="existing_partner" value="true"; button type="submit" { "Use the existing-partner shortcut" } }
            }
        }
        form method="post" action="/enroll/start" { (csrf_field(&csrf)) button type="submit" { "Start the enrollment" } }
    };
    Ok(page("Enroll as an indirect reseller", &user, &csrf, body).into_response())
}

pub async fn start_submit(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let existing = get(&m, "existing_partner") == "true";
    let started = s
        .app
        .start_enrollment(
            Some(&user.principal),
            &ctx,
            Ok(StartEnrollmentInput {
                existing_partner: existing,
                new_tenant: None,
            }),
        )
        .await?;
    Ok(Redirect::to(next_step(&started.enrollment)).into_response())
}

/// The existing-partner shortcut: the support profile only.
pub async fn existing_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, PageError> {
    let e = require_enrollment(&s, &user).await?;
    if next_step(&e) != "/enroll/existing" {
        return Ok(Redirect::to(next_step(&e)).into_response());
    }
    let body = html! {
        p { "As a partner already, your organisation becomes an indirect reseller with only its customer-support contact. It is approved at once." }
        form method="post" action="/enroll/existing" novalidate {
            (csrf_field(&csrf))
            (support_fields(&values_of(&e), &FormErrors::default()))
            button type="submit" { "Become an indirect reseller" }
        }
    };
    Ok(page("Become an indirect reseller", &user, &csrf, body).into_response())
}

pub async fn existing_submit(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let support = SupportProfile {
        email: get(&m, "support_email"),
        phone: get(&m, "support_phone"),
        website: opt(&m, "support_website"),
        hours: opt(&m, "support_hours"),
    };
    match s
        .app
        .submit_as_existing_partner(&user.principal, &ctx, support)
        .await?
    {
        ExistingPartnerSubmit::Submitted(_) => Ok(Redirect::to("/enroll/status").into_response()),
        ExistingPartnerSubmit::Invalid(err) => {
            let body = html! {
                form method="post" action="/enroll/existing" novalidate {
                    (csrf_field(&csrf.0))
                    (support_fields(&m, &FormErrors::from_app(&err)))
                    button type="submit" { "Become an indirect reseller" }
                }
            };
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page("Become an indirect reseller", &user, &csrf.0, body),
            )
                .into_response())
        }
    }
}
