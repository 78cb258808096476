//! The customer's landing page for a reseller's request (`/customer-invitations`):
//! who asks for what, then sign in or create the organisation's account, tick what
//! is asked, accept or decline.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::customers::{
    AcceptConsent, RequestAnswer, RequestAnswered, RequestLanding, RequestSignUp, ResolvedRequest,
};
use partnerd_app::enrollment::TenantInput;
use partnerd_app::{AppError, Conflict};
use partnerd_domain::roles::OrgKind;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::Values;
use crate::pages::auth::set_cookie;
use crate::pages::layout::{FormErrors, bare, capitalize, field};
use crate::pages::{Cookies, CsrfForm, CsrfToken, PageError, PageUser, cookie, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/customer-invitations", get(landing).post(answer))
        .route("/customer-invitations/signup", post(signup))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn here(token: &str) -> String {
    format!(
        "/customer-invitations?token={}",
        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    )
}

fn days(duration: &str) -> String {
    duration
        .trim_start_matches('P')
        .trim_end_matches('D')
        .to_owned()
}

fn summary(r: &ResolvedRequest) -> Markup {
    html! {
        p { strong { (r.reseller_name) } " (" (r.reseller_country) ") asks your organisation to accept:" }
        div.card {
            ul {
                li { strong { (r.reseller_name) } " as your reseller: it manages your subscriptions and orders products for you." }
                @if let Some(p) = &r.indirect_provider_name {
                    li { strong { (p) } " as your indirect provider: it supplies " (r.reseller_name) " and may order for you through them." }
                }
                @if let Some(d) = &r.delegated_admin_duration {
                    li { "Delegated admin privileges for " (r.reseller_name) " for " (days(d)) " days: it may manage your users, licenses and subscriptions on your behalf. You can end them at any time on your Partners page." }
                }
            }
            p.muted { "The request expires " (r.expires_at) ". Accepting covers everything listed, or nothing." }
        }
    }
}

fn signup_form(token: &str, csrf: &str, m: &Values, errors: &FormErrors) -> Markup {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    html! {
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action="/customer-invitations/signup" novalidate {
            (csrf_field(csrf))
            input type="hidden" name="token" value=(token);
            (field("company_name", "Company name", "text", &get("company_name"), "organization", None, errors.for_field("/companyName")))
            (field("domain_prefix", "Domain prefix", "text", &get("domain_prefix"), "off", Some("Your organisation's default domain: 3–40 of a-z, 0-9 and '-'."), errors.for_field("/domainPrefix")))
            (field("country", "Country/region", "text", &get("country"), "country", Some("Two letters, such as DE."), errors.for_field("/country")))
            fieldset {
                legend { "You, your organisation's global admin" }
                (field("first_name", "First name", "text", &get("first_name"), "given-name", None, errors.for_field("/admin/firstName")))
                (field("last_name", "Last name", "text", &get("last_name"), "family-name", None, errors.for_field("/admin/lastName")))
                (field("email", "E-mail", "email", &get("email"), "email", None, errors.for_field("/admin/email")))
                (field("password", "Password", "password", "", "new-password", Some("At least 15 characters; a passphrase works well."), errors.for_field("/admin/password")))
            }
            button type="submit" { "Create the account and continue" }
        }
    }
}

fn unusable(e: &partnerd_app::AppError) -> Response {
    let status = crate::problem::status_of(e);
    (
        status,
        bare(
            "This request cannot be used",
            html! { div.alert.error role="alert" { (capitalize(&e.detail())) "." } p { "Ask the reseller for a new request." } },
        ),
    )
        .into_response()
}

fn landing_body(
    csrf: &str,
    token: &str,
    landing: &RequestLanding,
    signup: (&Values, &FormErrors),
    answer_errors: &FormErrors,
) -> Markup {
    let (r, principal) = (&landing.request, &landing.signed_in);
    let next: String = form_urlencoded::byte_serialize(here(token).as_bytes()).collect();
    html! {
        (summary(r))
        @match principal {
            None => {
                h2 { "Answer as your organisation's global admin" }
                p { "Does your organisation have an account here? " a.button href=(format!("/signin?next={next}")) { "Sign in" } }
                h2 { "New here? Create your organisation's account" }
                (signup_form(token, csrf, signup.0, signup.1))
            }
            Some(p) if !matches!(p.organization.kind, OrgKind::Customer | OrgKind::None) => {
                div.alert.error role="alert" {
                    "You are signed in for " (p.organization.name) ", a " (p.organization.kind.as_str()) " organisation. Only the customer's global admin can answer; sign out and sign in with the customer's account."
                }
                form method="post" action="/signout" { (csrf_field(csrf)) button.secondary type="submit" { "Sign out" } }
            }
            Some(p) => {
                p { "Signed in for " strong { (p.organization.name) } "." }
                @if let Some(g) = &answer_errors.general { div.alert.error role="alert" { (g) } }
                form method="post" action="/customer-invitations" {
                    (csrf_field(csrf))
                    input type="hidden" name="token" value=(token);
                    fieldset {
                        legend { "Your consent" }
                        div { label { input type="checkbox" name="accept_reseller" value="yes"; " I accept " (r.reseller_name) " as our reseller." } }
                        @if let Some(e) = answer_errors.for_field("/consent/acceptReseller") { p.field-error { (capitalize(e)) } }
                        @if let Some(pn) = &r.indirect_provider_name {
                            div { label { input type="checkbox" name="accept_indirect_provider" value="yes"; " I accept " (pn) " as our indirect provider." } }
                            @if let Some(e) = answer_errors.for_field("/consent/acceptIndirectProvider") { p.field-error { (capitalize(e)) } }
                        }
                        @if let Some(d) = &r.delegated_admin_duration {
                            div { label { input type="checkbox" name="grant_delegated_admin" value="yes"; " I grant " (r.reseller_name) " delegated admin privileges for " (days(d)) " days." } }
                            @if let Some(e) = answer_errors.for_field("/consent/grantDelegatedAdmin") { p.field-error { (capitalize(e)) } }
                        }
                    }
                    button type="submit" name="decision" value="accept" { "Accept" }
                    " " button.secondary type="submit" name="decision" value="decline" { "Decline" }
                }
            }
        }
    }
}

/// `GET /customer-invitations?token=…`.
pub async fn landing(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, PageError> {
    let token = q.token.unwrap_or_default();
    let session = cookie(&headers, Cookies::new(&s).session_name());
    let landing = match s
        .app
        .request_landing(&ctx, &token, session.as_deref())
        .await
    {
        Ok(l) => l,
        Err(e) if crate::pages::link_cannot_be_used(&e) => {
            return Ok(unusable(&e));
        }
        Err(e) => return Err(e.into()),
    };
    let body = landing_body(
        &csrf,
        &token,
        &landing,
        (&Values::new(), &FormErrors::default()),
        &FormErrors::default(),
    );
    Ok(bare("A reseller relationship request", body).into_response())
}

/// `POST /customer-invitations/signup`: a new tenant, signed in, back to the request.
pub async fn signup(
    State(s): State<AppState>,
    headers: HeaderMap,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let token = get("token");
    let input = TenantInput {
        company_name: get("company_name"),
        domain_prefix: get("domain_prefix"),
        country: get("country").trim().to_uppercase(),
        admin_email: get("email"),
        admin_first_name: get("first_name"),
        admin_last_name: get("last_name"),
        admin_password: get("password"),
    };
    let session = cookie(&headers, Cookies::new(&s).session_name());
    match s
        .app
        .sign_up_for_request(&ctx, &token, session.as_deref(), input)
        .await?
    {
        RequestSignUp::SignedUp(done) => {
            let mut res = Redirect::to(&here(&token)).into_response();
            set_cookie(
                &mut res,
                &Cookies::new(&s)
                    .session(&done.session.token, s.app.config().session_ttl_ms / 1000),
            );
            Ok(res)
        }
        RequestSignUp::Unusable(e) => Ok(unusable(&e)),
        RequestSignUp::Refused { error: e, landing } => {
            let mut errors = FormErrors::from_app(&e);
            let pointer = match e.conflict_kind() {
                Some(Conflict::EmailInUse) => Some("/admin/email"),
                Some(Conflict::DomainUnavailable) => Some("/domainPrefix"),
                _ => None,
            };
            if let Some(p) = pointer {
                errors.fields.push(partnerd_domain::FieldError::new(
                    p,
                    e.code(),
                    e.detail().into_owned(),
                ));
                errors.general = None;
            }
            let body = landing_body(
                &csrf.0,
                &token,
                &landing,
                (&m, &errors),
                &FormErrors::default(),
            );
            Ok((
                crate::problem::status_of(&e),
                bare("A reseller relationship request", body),
            )
                .into_response())
        }
    }
}

/// `POST /customer-invitations`: accept (with the ticked consents) or decline.
pub async fn answer(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let token = m.get("token").cloned().unwrap_or_default();
    let ticked = |k: &str| Some(m.get(k).is_some_and(|v| v == "yes"));
    let answer = if m.get("decision").map(String::as_str) == Some("decline") {
        RequestAnswer::Decline
    } else {
        RequestAnswer::Accept(AcceptConsent {
            accept_reseller: ticked("accept_reseller"),
            accept_indirect_provider: ticked("accept_indirect_provider"),
            grant_delegated_admin: ticked("grant_delegated_admin"),
        })
    };
    match s
        .app
        .answer_customer_request(&user.principal, &ctx, &token, answer)
        .await
    {
        Ok(RequestAnswered::Accepted(_)) => Ok(Redirect::to("/partners?done=accepted").into_response()),
        Ok(RequestAnswered::Declined) => Ok(bare(
            "Request declined",
            html! { div.alert.success role="status" { "You declined the request; the reseller was told." } },
        )
        .into_response()),
        Ok(RequestAnswered::Unusable(e)) => Ok(unusable(&e)),
        Ok(RequestAnswered::ConsentMissing { error: e, landing }) => {
            let body = landing_body(
                &csrf.0,
                &token,
                &landing,
                (&Values::new(), &FormErrors::default()),
                &FormErrors::from_app(&e),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, bare("A reseller relationship request", body)).into_response())
        }
        Err(e) if matches!(e, AppError::Forbidden { .. } | AppError::NotFound(_) | AppError::TokenInvalid(_) | AppError::Conflict { .. } | AppError::Gone(_)) => {
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                bare(
                    "The request was not answered",
                    html! { div.alert.error role="alert" { (capitalize(&e.detail())) "." } p { a href=(here(&token)) { "Back to the request" } } },
                ),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
