//! The enrollment wizard (PRODUCT.md §2): welcome → work account → membership ID →
//! business and support profiles → Enroll now → status; the verification landing
//! page; the existing-partner shortcut; and the operator's review queue.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::enrollment::{
    Address, Enrollment, EnrollmentFilters, LegalProfile, PrimaryContact, StartEnrollmentInput,
    SupportProfile, TenantInput,
};
use partnerd_app::paging::PageParams;
use partnerd_app::{AppError, Conflict};
use partnerd_domain::ids::EnrollmentId;
use partnerd_domain::password::MIN_CHARS;
use partnerd_domain::policy::Action;
use partnerd_domain::states::EnrollmentStatus;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::auth::set_cookie;
use crate::pages::layout::{FormErrors, bare, field, page};
use crate::pages::{
    Confirmed, Cookies, CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field,
};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/enroll", get(welcome))
        .route("/enroll/signup", get(signup_page).post(signup))
        .route("/enroll/start", get(start).post(start_submit))
        .route(
            "/enroll/membership",
            get(membership_page).post(membership_signin),
        )
        .route("/enroll/membership/link", post(membership_link))
        .route("/enroll/profile", get(profile_page).post(profile_save))
        .route("/enroll/review", get(review_page))
        .route("/enroll/submit", post(submit))
        .route("/enroll/status", get(status_page))
        .route("/enroll/resend", post(resend))
        .route("/enroll/withdraw", post(withdraw))
        .route("/enroll/existing", get(existing_page).post(existing_submit))
        .route("/verify-email", get(verify_page).post(verify))
        .route("/operator/enrollments", get(queue_page))
        .route("/operator/enrollments/{id}", get(review_detail))
        .route("/operator/enrollments/{id}/approve", post(approve))
        .route("/operator/enrollments/{id}/reject", post(reject))
}

pub fn form_map(body: &str) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get(m: &std::collections::HashMap<String, String>, k: &str) -> String {
    m.get(k).cloned().unwrap_or_default()
}

fn opt(m: &std::collections::HashMap<String, String>, k: &str) -> Option<String> {
    m.get(k).filter(|v| !v.trim().is_empty()).cloned()
}

fn status_label(s: EnrollmentStatus) -> &'static str {
    match s {
        EnrollmentStatus::Draft => "Draft: not submitted yet",
        EnrollmentStatus::PendingVerification => {
            "Waiting for the primary contact to confirm their e-mail address"
        }
        EnrollmentStatus::PendingReview => {
            "Waiting for the vendor's review (this can take a few days)"
        }
        EnrollmentStatus::Approved => "Approved: you are an indirect reseller",
        EnrollmentStatus::Rejected => {
            "Needs changes: see the reason below, correct and submit again"
        }
        EnrollmentStatus::Withdrawn => "Withdrawn",
    }
}

fn steps(current: usize) -> Markup {
    let names = [
        "Work account",
        "Membership ID",
        "Business profile",
        "Enroll now",
    ];
    html! {
        ol.steps aria-label="Enrollment steps" {
            @for (i, n) in names.iter().enumerate() {
                li aria-current=[(i == current).then_some("step")] { (i + 1) ". " (n) }
            }
        }
    }
}

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

fn signup_form(
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

/// The caller's enrollment, or None.
async fn current(s: &AppState, user: &PageUser) -> Result<Option<Enrollment>, PageError> {
    match s.app.current_enrollment(&user.principal).await {
        Ok(e) => Ok(Some(e)),
        Err(AppError::NotFound(_) | AppError::TokenInvalid(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn next_step(e: &Enrollment) -> &'static str {
    if !e.status.is_editable() {
        "/enroll/status"
    } else if e.existing_partner {
        "/enroll/existing"
    } else if e.membership.is_none() {
        "/enroll/membership"
    } else if e.legal_profile.is_none() || e.support_profile.is_none() {
        "/enroll/profile"
    } else {
        "/enroll/review"
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

async fn require_enrollment(s: &AppState, user: &PageUser) -> Result<Enrollment, PageError> {
    current(s, user).await?.ok_or_else(|| {
        PageError(partnerd_app::AppError::not_found().with_detail("start your enrollment first"))
    })
}

fn membership_intro() -> Markup {
    html! {
        div.card {
            h2 { "Why we link your membership ID" }
            p { "Your membership in the partner network carries your benefits. We link its membership ID to this tenant, so what you sell through providers counts for your organisation." }
            p { "Sign in with your membership registry account, then choose the organisation profile whose membership ID carries the benefits. It must be in the same country or region as your tenant." }
        }
    }
}

fn registry_form(csrf: &str, errors: &FormErrors) -> Markup {
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
    let e = require_enrollment(&s, &user).await?;
    match s
        .app
        .membership_sign_in(
            &user.principal,
            &ctx,
            &e.id,
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
    let e = require_enrollment(&s, &user).await?;
    match s
        .app
        .link_membership(
            &user.principal,
            &ctx,
            &e.id,
            Ok((get(&m, "token"), get(&m, "membership_id"))),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/enroll/profile").into_response()),
        Err(err)
            if matches!(
                err,
                AppError::Forbidden { .. }
                    | AppError::NotFound(_)
                    | AppError::TokenInvalid(_)
                    | AppError::Conflict { .. }
                    | AppError::Gone(_)
                    | AppError::Validation(_)
            ) =>
        {
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
        Err(err) => Err(err.into()),
    }
}

pub fn values_of(e: &Enrollment) -> Values {
    values_of_profiles(e.legal_profile.as_ref(), e.support_profile.as_ref())
}

/// Form values of a legal and a support profile.
pub fn values_of_profiles(
    legal: Option<&LegalProfile>,
    support: Option<&SupportProfile>,
) -> Values {
    let mut m = Values::new();
    if let Some(l) = legal {
        for (k, v) in [
            ("legal_name", l.legal_name.clone()),
            ("line1", l.address.line1.clone()),
            ("line2", l.address.line2.clone().unwrap_or_default()),
            ("city", l.address.city.clone()),
            ("region", l.address.region.clone().unwrap_or_default()),
            ("postal_code", l.address.postal_code.clone()),
            ("phone", l.phone.clone()),
            ("website", l.website.clone().unwrap_or_default()),
            ("contact_first_name", l.primary_contact.first_name.clone()),
            ("contact_last_name", l.primary_contact.last_name.clone()),
            ("contact_email", l.primary_contact.email.clone()),
            (
                "contact_phone",
                l.primary_contact.phone.clone().unwrap_or_default(),
            ),
        ] {
            m.insert(k.into(), v);
        }
    }
    if let Some(sp) = support {
        for (k, v) in [
            ("support_email", sp.email.clone()),
            ("support_phone", sp.phone.clone()),
            ("support_website", sp.website.clone().unwrap_or_default()),
            ("support_hours", sp.hours.clone().unwrap_or_default()),
        ] {
            m.insert(k.into(), v);
        }
    }
    m
}

pub fn support_fields(m: &Values, errors: &FormErrors) -> Markup {
    html! {
        fieldset {
            legend { "Customer support profile" }
            p.hint { "How your customers reach your support." }
            (field("support_email", "Support e-mail", "email", &get(m, "support_email"), "off", None, errors.for_field("/email")))
            (field("support_phone", "Support phone", "text", &get(m, "support_phone"), "off", None, errors.for_field("/phone")))
            (field("support_website", "Support website (optional)", "text", &get(m, "support_website"), "off", None, errors.for_field("/website")))
            (field("support_hours", "Support hours (optional)", "text", &get(m, "support_hours"), "off", Some("Such as Mon–Fri 8–18 CET."), errors.for_field("/hours")))
        }
    }
}

/// The legal business profile and primary contact fields (enrollment and profiles).
pub fn legal_fields(country: &str, m: &Values, legal_errors: &FormErrors) -> Markup {
    html! {
    fieldset {
        legend { "Legal business profile" }
        (field("legal_name", "Legal business name", "text", &get(m, "legal_name"), "organization", None, legal_errors.for_field("/legalName")))
        (field("line1", "Address", "text", &get(m, "line1"), "address-line1", None, legal_errors.for_field("/address/line1")))
        (field("line2", "Address line 2 (optional)", "text", &get(m, "line2"), "address-line2", None, legal_errors.for_field("/address/line2")))
        (field("postal_code", "Postal code", "text", &get(m, "postal_code"), "postal-code", None, legal_errors.for_field("/address/postalCode")))
        (field("city", "City", "text", &get(m, "city"), "address-level2", None, legal_errors.for_field("/address/city")))
        (field("region", "Region (optional)", "text", &get(m, "region"), "address-level1", None, legal_errors.for_field("/address/region")))
        (field("address_country", "Country/region", "text", &get(m, "address_country").chars().next().map(|_| get(m, "address_country")).unwrap_or_else(|| country.to_owned()), "country", Some("Must be your tenant's country."), legal_errors.for_field("/address/country")))
        (field("phone", "Phone", "text", &get(m, "phone"), "tel", None, legal_errors.for_field("/phone")))
        (field("website", "Website (optional)", "text", &get(m, "website"), "url", None, legal_errors.for_field("/website")))
    }
    fieldset {
        legend { "Primary contact" }
        p.hint { "We mail them a link to confirm that they signed up and that the address belongs to your organisation. Webmail addresses (gmail, outlook.com, …) are not accepted." }
        (field("contact_first_name", "First name", "text", &get(m, "contact_first_name"), "off", None, legal_errors.for_field("/primaryContact/firstName")))
        (field("contact_last_name", "Last name", "text", &get(m, "contact_last_name"), "off", None, legal_errors.for_field("/primaryContact/lastName")))
        (field("contact_email", "E-mail", "email", &get(m, "contact_email"), "off", None, legal_errors.for_field("/primaryContact/email")))
        (field("contact_phone", "Phone (optional)", "text", &get(m, "contact_phone"), "off", None, legal_errors.for_field("/primaryContact/phone")))
    }
    }
}

fn profile_form(
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
    let e = require_enrollment(&s, &user).await?;
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
    let legal_result = s
        .app
        .put_legal_profile(&user.principal, &ctx, &e.id, None, Ok(legal))
        .await;
    let support_result = s
        .app
        .put_support_profile(&user.principal, &ctx, &e.id, None, Ok(support))
        .await;
    let legal_errors = match &legal_result {
        Err(err)
            if matches!(err, AppError::Validation(_))
                || matches!(err, AppError::Conflict { .. }) =>
        {
            FormErrors::from_app(err)
        }
        Err(err) => return Err(err.clone().into()),
        Ok(_) => FormErrors::default(),
    };
    let support_errors = match &support_result {
        Err(err)
            if matches!(err, AppError::Validation(_))
                || matches!(err, AppError::Conflict { .. }) =>
        {
            FormErrors::from_app(err)
        }
        Err(err) => return Err(err.clone().into()),
        Ok(_) => FormErrors::default(),
    };
    if legal_result.is_ok() && support_result.is_ok() {
        return Ok(Redirect::to("/enroll/review").into_response());
    }
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

fn summary(e: &Enrollment) -> Markup {
    html! {
        div.card {
            h2 { "Membership" }
            @if let Some(m) = &e.membership { p { (m.legal_name) " · " (m.country) " · membership ID " (m.membership_id) } } @else { p.muted { "Not linked." } }
        }
        @if let Some(l) = &e.legal_profile {
            div.card {
                h2 { "Legal business profile" }
                p { strong { (l.legal_name) } br; (l.address.line1) br; (l.address.postal_code) " " (l.address.city) ", " (l.address.country) br; (l.phone) }
                p { "Primary contact: " (l.primary_contact.first_name) " " (l.primary_contact.last_name) " · " (l.primary_contact.email)
                    " · " @if e.primary_contact_verified { "confirmed" } @else { "not confirmed yet" } }
            }
        }
        @if let Some(sp) = &e.support_profile {
            div.card { h2 { "Support" } p { (sp.email) " · " (sp.phone) @if let Some(h) = &sp.hours { " · " (h) } } }
        }
    }
}

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
    let e = require_enrollment(&s, &user).await?;
    s.app
        .submit_enrollment(&user.principal, &ctx, &e.id)
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
    let e = require_enrollment(&s, &user).await?;
    s.app
        .resend_verification(&user.principal, &ctx, &e.id)
        .await?;
    Ok(Redirect::to("/enroll/status?done=resent").into_response())
}

pub async fn withdraw(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    _: Confirmed,
) -> Result<Response, PageError> {
    let e = require_enrollment(&s, &user).await?;
    s.app
        .withdraw_enrollment(&user.principal, &ctx, &e.id)
        .await?;
    Ok(Redirect::to("/enroll/status?done=withdrawn").into_response())
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
    let e = require_enrollment(&s, &user).await?;
    let support = SupportProfile {
        email: get(&m, "support_email"),
        phone: get(&m, "support_phone"),
        website: opt(&m, "support_website"),
        hours: opt(&m, "support_hours"),
    };
    match s
        .app
        .put_support_profile(&user.principal, &ctx, &e.id, None, Ok(support))
        .await
    {
        Ok(_) => {
            s.app
                .submit_enrollment(&user.principal, &ctx, &e.id)
                .await?;
            Ok(Redirect::to("/enroll/status").into_response())
        }
        Err(err) if matches!(err, AppError::Validation(_)) => {
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
        Err(err) => Err(err.into()),
    }
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
                            td { (e.submitted_at.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
            @if let Some(t) = &list.continuation_token { p { a href=(format!("/operator/enrollments?status={}&continuationToken={t}", status.clone().unwrap_or_else(|| "all".into()))) { "Next page" } } }
        }
    };
    Ok(page("Enrollment review", &user, &csrf, body))
}

fn review_body(csrf: &str, e: &Enrollment, errors: &FormErrors) -> Markup {
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
        .reject_enrollment(&user.principal, &ctx, &id, Ok(get(&m, "reason")))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/operator/enrollments/{id}")).into_response()),
        Err(err) if matches!(err, AppError::Validation(_)) => {
            let e = s.app.get_enrollment(&user.principal, &id).await?;
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    "Enrollment",
                    &user,
                    &csrf.0,
                    review_body(&csrf.0, &e, &FormErrors::from_app(&err)),
                ),
            )
                .into_response())
        }
        Err(err) => Err(err.into()),
    }
}
