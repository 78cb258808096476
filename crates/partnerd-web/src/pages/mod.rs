//! The portal: server-rendered pages for people, sharing the use cases with the API.
//! Session in an `HttpOnly` cookie; every form carries a CSRF token bound to the
//! session or pre-session ([`csrf`]); redirects go to local paths only. Each
//! area's module has a `router()` with its pages; this one merges them.

pub mod activity;
pub mod apikeys;
pub mod attention;
pub mod auth;
pub mod billing;
pub mod catalog;
pub mod commerce;
pub mod connections;
pub mod csrf;
pub mod customers;
pub mod directory;
pub mod enrollment;
pub mod home;
pub mod layout;
pub mod organizations;
pub mod partners;
pub mod profiles;
pub mod registry;
pub mod relationship_requests;
pub mod subscriptions;
pub mod support;
pub mod users;
pub mod webhooks;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use partnerd_app::{AppError, Principal};

use crate::AppState;
use crate::extract::ctx_from_parts;
pub use csrf::{Confirmed, CsrfForm, CsrfToken, Pairs, checkbox, csrf_field};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(attention::router())
        .merge(auth::router())
        .merge(apikeys::router())
        .merge(users::router())
        .merge(catalog::router())
        .merge(organizations::router())
        .merge(directory::router())
        .merge(enrollment::router())
        .merge(registry::router())
        .merge(profiles::router())
        .merge(connections::router())
        .merge(customers::router())
        .merge(commerce::router())
        .merge(subscriptions::router())
        .merge(billing::router())
        .merge(relationship_requests::router())
        .merge(partners::router())
        .merge(support::router())
        .merge(webhooks::router())
        .merge(activity::router())
        .layer(middleware::from_fn_with_state(state, csrf::csrf_binding))
        // Assets need no session and no token: outside the layer, they cost no
        // database read.
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
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

    pub fn presession_name(&self) -> &'static str {
        if self.secure {
            "__Host-partnerd_presession"
        } else {
            "partnerd_presession"
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

    /// The pre-session of a browser without a session (§2.2): two hours.
    pub fn presession(&self, value: &str) -> String {
        self.build(self.presession_name(), value, 2 * 3600, "Lax")
    }
}

/// A signed-in person in the portal (restricted sessions are sent to /password).
pub struct PageUser {
    pub principal: Principal,
    pub path: String,
}

/// The longest `next` followed (API-platform.md §2.3).
const NEXT_MAX_CHARS: usize = 2000;

/// A redirect target the request chose (`next`, already decoded once), if it is a
/// local path by API-platform.md §2.3; anything else goes to the dashboard. No
/// `//` anywhere and no `\` (browsers read `/\host` as `//host`), and no control
/// character (a tab or newline is dropped by the URL parser, turning `/\t/host`
/// into `//host`, and would not fit a header anyway).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if (1..=NEXT_MAX_CHARS).contains(&p.chars().count())
                && p.starts_with('/')
                && !p.contains("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A 303 to a local path. Unlike axum's `Redirect`, a path that cannot be a header
/// value (which `local_path` never lets through) goes to `/` instead of a 500, and
/// non-ASCII characters are percent-encoded.
pub fn see_other(path: &str) -> Response {
    let mut encoded = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii() {
            encoded.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let location =
        HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
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
        // The CSRF layer authenticated the cookie already.
        let known = parts
            .extensions
            .get::<csrf::PortalSession>()
            .map(|p| p.0.clone());
        let authenticated = match known {
            Some(Some(result)) => result,
            Some(None) => return Err(to_signin(&path)),
            None => {
                let Some(token) = cookie(&parts.headers, cookies.session_name()) else {
                    return Err(to_signin(&path));
                };
                s.app.authenticate(&token).await
            }
        };
        let principal = match authenticated {
            Ok(p) => p,
            Err(AppError::Unauthenticated | AppError::InvalidCredentials(_)) => {
                return Err(to_signin(&path));
            }
            Err(e) => return Err(PageError(e).into_response()),
        };
        if let Err(limited) = s.app.limits().principal.take(&principal.key(), s.app.now()) {
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

/// A submitted form's fields by name (the last value of a field sent twice).
pub type Values = std::collections::HashMap<String, String>;

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
