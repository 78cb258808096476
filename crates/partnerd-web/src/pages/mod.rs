//! The portal: server-rendered pages for people, sharing the use cases with the API.
//! Session in an `HttpOnly` cookie; every form carries a CSRF token checked against
//! a second cookie (double submit); redirects go to local paths only.

pub mod activity;
pub mod apikeys;
pub mod attention;
pub mod auth;
pub mod catalog;
pub mod commerce;
pub mod connections;
pub mod customer_invitation;
pub mod customers;
pub mod directory;
pub mod enroll;
pub mod home;
pub mod layout;
pub mod organizations;
pub mod partners;
pub mod profiles;
pub mod registry;
pub mod support;
pub mod users;
pub mod webhooks;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use partnerd_app::Refusal;
use partnerd_app::{AppError, Principal};

use crate::AppState;
use crate::extract::ctx_from_parts;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home::dashboard))
        .route("/attention", get(attention::page_view))
        .route(
            "/attention/mail/{id}/retry",
            axum::routing::post(attention::retry_mail),
        )
        .route("/signin", get(auth::signin_page).post(auth::signin_submit))
        .route(
            "/password",
            get(auth::password_page).post(auth::password_submit),
        )
        .route("/signout", axum::routing::post(auth::signout))
        .route(
            "/settings/api-keys",
            get(apikeys::list_page).post(apikeys::create),
        )
        .route(
            "/settings/api-keys/{id}/revoke",
            get(apikeys::revoke_confirm).post(apikeys::revoke),
        )
        .route("/settings/users", get(users::list_page))
        .route(
            "/settings/users/new",
            get(users::new_page).post(users::create),
        )
        .route(
            "/settings/users/{id}",
            get(users::detail_page).post(users::update),
        )
        .route(
            "/settings/users/{id}/resetpassword",
            get(users::reset_confirm).post(users::reset),
        )
        .route(
            "/settings/users/{id}/delete",
            get(users::delete_confirm).post(users::delete),
        )
        .route(
            "/settings/users/{id}/permissions",
            get(users::user_permissions),
        )
        .route("/account/permissions", get(users::my_permissions))
        .route("/catalog", get(catalog::list_page))
        .route("/catalog/new", get(catalog::new_page).post(catalog::create))
        .route(
            "/catalog/{id}",
            get(catalog::detail_page).post(catalog::update),
        )
        .route(
            "/catalog/{id}/retire",
            get(catalog::retire_confirm).post(catalog::retire),
        )
        .route("/operator/organizations", get(organizations::list_page))
        .route(
            "/operator/organizations/new",
            get(organizations::new_page).post(organizations::create),
        )
        .route(
            "/operator/organizations/{id}",
            get(organizations::detail_page),
        )
        .route(
            "/operator/organizations/{id}/authorization",
            axum::routing::post(organizations::authorize),
        )
        .route(
            "/operator/organizations/{id}/authorization/withdraw",
            get(organizations::withdraw_confirm).post(organizations::withdraw),
        )
        .route("/directory", get(directory::list_page))
        .route("/directory/{id}", get(directory::detail_page))
        .route(
            "/settings/directory-listing",
            get(directory::listing_page).post(directory::listing_update),
        )
        .route("/enroll", get(enroll::welcome))
        .route(
            "/enroll/signup",
            get(enroll::signup_page).post(enroll::signup),
        )
        .route(
            "/enroll/start",
            get(enroll::start).post(enroll::start_submit),
        )
        .route(
            "/enroll/membership",
            get(enroll::membership_page).post(enroll::membership_signin),
        )
        .route(
            "/enroll/membership/link",
            axum::routing::post(enroll::membership_link),
        )
        .route(
            "/enroll/profile",
            get(enroll::profile_page).post(enroll::profile_save),
        )
        .route("/enroll/review", get(enroll::review_page))
        .route("/enroll/submit", axum::routing::post(enroll::submit))
        .route("/enroll/status", get(enroll::status_page))
        .route("/enroll/resend", axum::routing::post(enroll::resend))
        .route("/enroll/withdraw", axum::routing::post(enroll::withdraw))
        .route(
            "/enroll/existing",
            get(enroll::existing_page).post(enroll::existing_submit),
        )
        .route(
            "/verify-email",
            get(enroll::verify_page).post(enroll::verify),
        )
        .route("/operator/enrollments", get(enroll::queue_page))
        .route("/operator/enrollments/{id}", get(enroll::review_detail))
        .route(
            "/operator/enrollments/{id}/approve",
            axum::routing::post(enroll::approve),
        )
        .route(
            "/operator/enrollments/{id}/reject",
            axum::routing::post(enroll::reject),
        )
        .route("/operator/registry", get(registry::registry_page))
        .route(
            "/operator/registry/memberships",
            axum::routing::post(registry::add_membership),
        )
        .route(
            "/operator/registry/accounts",
            axum::routing::post(registry::add_account),
        )
        .route(
            "/operator/registry/memberships/{id}/delete",
            get(registry::delete_membership_confirm).post(registry::delete_membership),
        )
        .route(
            "/operator/registry/accounts/{id}/delete",
            get(registry::delete_account_confirm).post(registry::delete_account),
        )
        .route(
            "/settings/profiles",
            get(profiles::profiles_page).post(profiles::profiles_save),
        )
        .route(
            "/partners/resellers",
            get(connections::resellers_page).post(connections::invite),
        )
        .route(
            "/partners/invitations/{id}/revoke",
            axum::routing::post(connections::revoke),
        )
        .route("/partners/providers", get(connections::providers_page))
        .route(
            "/partners/relationships/{id}/terminate",
            get(connections::terminate_confirm).post(connections::terminate),
        )
        .route(
            "/invitations/reseller",
            get(connections::landing).post(connections::answer),
        )
        .route("/customers", get(customers::list_page))
        .route(
            "/customers/request",
            get(customers::request_page).post(customers::request_submit),
        )
        .route("/customers/requests/{id}", get(customers::draft_page))
        .route(
            "/customers/requests/{id}/revoke",
            get(customers::revoke_confirm).post(customers::revoke),
        )
        .route("/customers/{id}", get(customers::record_page))
        .route(
            "/customers/{id}/terminate",
            get(customers::terminate_confirm).post(customers::terminate),
        )
        .route(
            "/customers/{id}/users/new",
            get(customers::new_user_page).post(customers::create_user),
        )
        .route(
            "/customers/{cid}/users/{uid}/resetpassword",
            get(customers::reset_confirm).post(customers::reset),
        )
        .route(
            "/customers/{id}/add-products",
            get(commerce::add_products_page).post(commerce::add_products),
        )
        .route(
            "/customers/{cid}/subscriptions/{sid}",
            get(commerce::subscription_page).post(commerce::change_subscription),
        )
        .route(
            "/customers/{cid}/users/{uid}/licenses",
            get(commerce::licenses_page).post(commerce::update_licenses),
        )
        .route(
            "/partners/relationships/{id}/credit",
            get(commerce::credit_page).post(commerce::set_credit),
        )
        .route(
            "/customer-invitations",
            get(customer_invitation::landing).post(customer_invitation::answer),
        )
        .route(
            "/customer-invitations/signup",
            axum::routing::post(customer_invitation::signup),
        )
        .route("/partners", get(partners::list_page))
        .route(
            "/partners/customer-relationships/{id}/terminate",
            get(partners::terminate_confirm).post(partners::terminate),
        )
        .route(
            "/partners/delegations/{id}/terminate",
            get(partners::end_delegation_confirm).post(partners::end_delegation),
        )
        .route("/support", get(support::list_page).post(support::create))
        .route(
            "/support/{id}",
            get(support::detail_page).post(support::update),
        )
        .route(
            "/support/{id}/notes",
            axum::routing::post(support::add_note),
        )
        .route("/support/{id}/reopen", axum::routing::post(support::reopen))
        .route(
            "/health",
            get(support::health_page).post(support::post_incident),
        )
        .route(
            "/health/{id}",
            get(support::incident_page).post(support::incident_action),
        )
        .route(
            "/settings/webhooks",
            get(webhooks::list_page).post(webhooks::create),
        )
        .route("/settings/webhooks/{id}", get(webhooks::detail_page))
        .route(
            "/settings/webhooks/{id}/test",
            axum::routing::post(webhooks::test),
        )
        .route(
            "/settings/webhooks/{id}/rotate",
            axum::routing::post(webhooks::rotate),
        )
        .route(
            "/settings/webhooks/{id}/deliveries/{did}/redeliver",
            axum::routing::post(webhooks::redeliver),
        )
        .route(
            "/settings/webhooks/{id}/delete",
            get(webhooks::delete_confirm).post(webhooks::delete),
        )
        .route("/activity", get(activity::list_page))
        .route("/activity/{id}", get(activity::detail_page))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .layer(middleware::from_fn_with_state(state, csrf_cookie))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.js"),
    )
        .into_response()
}

/// Reads one cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Cookie names and attributes: `__Host-` and `Secure` when served over https.
pub struct Cookies {
    secure: bool,
}

impl Cookies {
    pub fn new(state: &AppState) -> Self {
        Self {
            secure: state.app.config().public_url.starts_with("https://"),
        }
    }

    pub fn session_name(&self) -> &'static str {
        if self.secure {
            "__Host-partnerd_session"
        } else {
            "partnerd_session"
        }
    }

    pub fn csrf_name(&self) -> &'static str {
        if self.secure {
            "__Host-partnerd_csrf"
        } else {
            "partnerd_csrf"
        }
    }

    fn build(&self, name: &str, value: &str, max_age: i64, same_site: &str) -> String {
        format!(
            "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    pub fn session(&self, token: &str, max_age_secs: i64) -> String {
        self.build(self.session_name(), token, max_age_secs, "Lax")
    }

    pub fn clear_session(&self) -> String {
        self.build(self.session_name(), "", 0, "Lax")
    }

    pub fn csrf(&self, token: &str) -> String {
        self.build(self.csrf_name(), token, 8 * 3600, "Strict")
    }
}

/// The CSRF token of this browser, for forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or(CsrfToken(String::new())))
    }
}

/// Makes sure the browser has a CSRF cookie, and tells handlers its value.
async fn csrf_cookie(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let cookies = Cookies::new(&s);
    let existing = cookie(req.headers(), cookies.csrf_name()).filter(|v| v.len() >= 32);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (partnerd_app::crypto::new_token(""), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh && let Ok(v) = HeaderValue::from_str(&cookies.csrf(&token)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Checks a submitted form's token against the cookie.
pub fn check_csrf(expected: &CsrfToken, submitted: &str) -> Result<(), PageError> {
    if !expected.0.is_empty() && expected.0 == submitted {
        Ok(())
    } else {
        Err(PageError(AppError::forbidden(
            Refusal::Forbidden,
            "the form expired or came from another site; go back, reload the page and try again",
        )))
    }
}

/// A signed-in person in the portal (restricted sessions are sent to /password).
pub struct PageUser {
    pub principal: Principal,
    pub path: String,
}

/// Only a local path may be a redirect target.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.contains("://") =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn to_signin(path: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Redirect::to(&format!("/signin?next={next}")).into_response()
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned());
        let cookies = Cookies::new(s);
        let Some(token) = cookie(&parts.headers, cookies.session_name()) else {
            return Err(to_signin(&path));
        };
        let principal = match s.app.authenticate(&token).await {
            Ok(p) => p,
            Err(AppError::Unauthenticated | AppError::InvalidCredentials(_)) => {
                return Err(to_signin(&path));
            }
            Err(e) => return Err(PageError(e).into_response()),
        };
        if let Err(limited) = s
            .app
            .limits()
            .principal
            .take(&principal.key(), s.app.now().millis())
        {
            return Err(PageError(AppError::rate_limited(limited.retry_after)).into_response());
        }
        if principal.is_restricted() && parts.uri.path() != "/password" {
            return Err(Redirect::to("/password").into_response());
        }
        let _ = ctx_from_parts(parts);
        Ok(Self {
            principal,
            path: parts.uri.path().to_owned(),
        })
    }
}

/// An error shown as a page, with the request id.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = crate::problem::status_of(&self.0);
        let markup = layout::error_page(&self.0);
        let mut res = (status, markup).into_response();
        crate::problem::carry_cause(&self.0, &mut res);
        if let Some(secs) = self.0.retry_after()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// A mailed link (invitation, relationship request, verification) that cannot be
/// used as it stands: unknown, answered already, expired or withdrawn, refused, or
/// tried too often. Its page explains that in place of the error page.
pub(crate) fn link_cannot_be_used(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound(_)
            | AppError::TokenInvalid(_)
            | AppError::Conflict { .. }
            | AppError::Gone(_)
            | AppError::Validation(_)
            | AppError::RateLimited { .. }
    )
}

/// Unknown pages.
pub async fn not_found() -> Response {
    PageError(AppError::not_found().with_detail("there is no page at this address")).into_response()
}

/// A form that carries only its CSRF token (confirmations, sign-out).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// An optional query value, empty text counting as absent.
pub fn blank(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.trim().is_empty())
}

/// The link to the next page of a list: its filters and the continuation token.
pub fn next_page_link(path: &str, filters: &[(&str, &Option<String>)], token: &str) -> String {
    let mut qs = form_urlencoded::Serializer::new(String::new());
    for (k, v) in filters {
        if let Some(v) = v {
            qs.append_pair(k, v);
        }
    }
    qs.append_pair("continuationToken", token);
    format!("{path}?{}", qs.finish())
}
