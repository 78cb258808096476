//! Cross-site request forgery protection for the portal's forms, in one place
//! (API-platform.md §2.2).
//!
//! A layer of the page router ([`csrf_binding`]) works out what the browser's token is
//! bound to — its session when signed in, else its `partnerd_presession` cookie (made
//! here when missing) — and derives the token from it with the platform key
//! ([`partnerd_app::csrf`]). The token is never a cookie of its own, so a cookie an
//! attacker plants (a sibling subdomain can) chooses nothing, and it changes with the
//! session: at sign-in, password change and sign-out. The same layer refuses any
//! state-changing request another site sent (`Sec-Fetch-Site`, `Origin`). Every form
//! renders the token as the hidden field `csrf` ([`csrf_field`]); every handler of a
//! submitted form takes [`CsrfForm<T>`], which refuses the request before the handler
//! runs when the token is missing or wrong. A handler can therefore neither forget
//! the check nor do it differently from the others.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use partnerd_app::csrf::CsrfBinding;
use partnerd_app::{AppError, AppResult, Credential, Principal};

use crate::pages::layout::bare;
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::AppState;
use crate::pages::{Cookies, PageError, cookie};

/// The name of the form field that carries the token.
const FIELD: &str = "csrf";

/// The header that may carry it instead (scripts).
const HEADER: &str = "x-csrf-token";

/// The error code of a refused form.
pub const CSRF_FAILED: &str = "csrf_failed";

/// The CSRF token of this browser, for rendering forms.
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

/// What the session cookie of this request authenticated, found once by
/// [`csrf_binding`] and reused by [`crate::pages::PageUser`].
#[derive(Clone, Debug)]
pub(crate) struct PortalSession(pub Option<AppResult<Principal>>);

/// The hidden field every portal form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(token); }
}

/// A pre-session value as this server makes it: 32 random bytes in base64url.
fn valid_presession(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `scheme://host[:port]` of a URL, as a browser writes it in `Origin` (lower case,
/// without the scheme's default port).
pub(crate) fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    format!("{scheme}://{authority}")
}

/// Whether another site sent this request: `Sec-Fetch-Site` other than
/// `same-origin`, or an `Origin` other than the public URL's.
///
/// `Origin: null` says nothing either way: browsers send it for every form a page
/// with `Referrer-Policy: no-referrer` posts (§2.1 makes that every page), so it is
/// left to `Sec-Fetch-Site` and the token. A sandboxed or `data:` document elsewhere,
/// which also sends `null`, is `cross-site` for `Sec-Fetch-Site`.
fn cross_site(headers: &HeaderMap, public_origin: &str) -> bool {
    // A value that is not text counts as a foreign one.
    let header_text = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().trim().to_owned())
    };
    let site = header_text("sec-fetch-site");
    let origin = header_text("origin");
    site.is_some_and(|s| !s.eq_ignore_ascii_case("same-origin"))
        || origin.is_some_and(|o| o != "null" && origin_of(&o) != public_origin)
}

fn is_state_changing(m: &Method) -> bool {
    matches!(
        *m,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Binds the browser's CSRF token (making a pre-session when it has neither a
/// session nor a pre-session), tells handlers the token, and refuses a
/// state-changing request another site sent before anything reads it.
pub(super) async fn csrf_binding(
    State(s): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_state_changing(req.method())
        && cross_site(req.headers(), &origin_of(&s.app.config().public_url))
    {
        return refused();
    }
    let cookies = Cookies::new(&s);
    let session = match cookie(req.headers(), cookies.session_name()) {
        Some(token) => Some(s.app.authenticate(&token).await),
        None => None,
    };
    let session_id = match &session {
        Some(Ok(Principal {
            credential: Credential::Session { session_id, .. },
            ..
        })) => Some(session_id.clone()),
        _ => None,
    };
    let mut fresh_presession = None;
    let token = match &session_id {
        Some(id) => s.app.csrf_token(CsrfBinding::Session(id)).await,
        None => {
            let existing =
                cookie(req.headers(), cookies.presession_name()).filter(|v| valid_presession(v));
            let presession = existing.unwrap_or_else(|| {
                let made = partnerd_app::crypto::new_token("");
                fresh_presession = Some(made.clone());
                made
            });
            s.app.csrf_token(CsrfBinding::Presession(&presession)).await
        }
    };
    let token = match token {
        Ok(t) => t,
        Err(e) => return PageError(e).into_response(),
    };
    req.extensions_mut().insert(CsrfToken(token));
    req.extensions_mut().insert(PortalSession(session));
    let mut res = next.run(req).await;
    // Sign-out sets a new pre-session of its own.
    let prefix = format!("{}=", cookies.presession_name());
    let set_by_handler = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(prefix.as_bytes()));
    if let Some(p) = fresh_presession
        && !set_by_handler
        && let Ok(v) = HeaderValue::from_str(&cookies.presession(&p))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Whether two tokens are equal, taking the same time wherever they differ.
fn same_token(expected: &str, submitted: &str) -> bool {
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The 403 page of a refused form (`csrf_failed`); nothing was read or changed.
fn refused() -> Response {
    let page = bare(
        "The form expired",
        html! {
            div.alert.error role="alert" {
                p { "The form expired or came from another site. Go back, reload the page and try again." }
            }
            p.muted { "Error code: " code { (CSRF_FAILED) } }
            p.muted { "Request id: " code { (crate::context::current_request_id()) } }
            p { a href="/" { "Back to the dashboard" } }
        },
    );
    (StatusCode::FORBIDDEN, page).into_response()
}

/// A submitted portal form (`application/x-www-form-urlencoded`) whose CSRF token
/// matched this browser's, deserialised into `T`. A field sent several times (ticked
/// boxes) fills a `Vec`; the `csrf` field itself is not part of `T`.
///
/// Use [`Confirmed`] for a form that carries nothing but the token.
pub struct CsrfForm<T>(pub T);

/// A form that carries nothing but its token (confirmations, sign-out).
pub type Confirmed = CsrfForm<IgnoredAny>;

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let expected = req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let in_header = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(e) if crate::timeouts::is_body_timeout(&e) => {
                return Err(PageError(AppError::Unacceptable(
                    partnerd_app::Unacceptable::RequestTimeout,
                ))
                .into_response());
            }
            Err(e) => return Err(e.into_response()),
        };
        let submitted = in_header.unwrap_or_else(|| {
            form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        });
        if expected.is_empty() || !same_token(&expected, &submitted) {
            return Err(refused());
        }
        let names = name_fields(&bytes);
        if !names.is_empty() {
            return Err(PageError(AppError::Validation(names)).into_response());
        }
        serde_html_form::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|e| {
                PageError(AppError::bad_request(format!(
                    "the form could not be read: {e}"
                )))
                .into_response()
            })
    }
}

/// Name and title fields (`name`, `title`, `…_name`) must show, as in the API
/// (API-platform.md §2.7); errors point at the member the API would name
/// (`company_name` → `/companyName`).
fn name_fields(body: &[u8]) -> Vec<partnerd_domain::FieldError> {
    form_urlencoded::parse(body)
        .filter(|(k, _)| partnerd_domain::names::is_name_member(k))
        .filter_map(|(k, v)| {
            let mut pointer = String::from("/");
            let mut upper = false;
            for c in k.chars() {
                match c {
                    '_' => upper = true,
                    c if upper => {
                        pointer.extend(c.to_uppercase());
                        upper = false;
                    }
                    c => pointer.push(c),
                }
            }
            partnerd_domain::names::visible_text(&pointer, &v).err()
        })
        .collect()
}

/// Every field of a form as sent, a field sent several times once per value, for
/// forms whose fields do not map one-to-one onto a struct. Fields keep the order of
/// their first appearance.
#[derive(Debug, Default, PartialEq)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// Every value of one field.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of one field, or empty text.
    pub fn one(&self, name: &str) -> String {
        self.all(name).next().unwrap_or_default().to_owned()
    }
}

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("form fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some((k, OneOrMany(vs))) = m.next_entry::<String, OneOrMany>()? {
                    out.extend(vs.into_iter().map(|v| (k.clone(), v)));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Fields)
    }
}

/// The value or values of one form field.
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Values;
        impl<'de> Visitor<'de> for Values {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text or a list of text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = s.next_element::<String>()? {
                    out.push(v);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(Values)
    }
}

/// A ticked checkbox: present with any value but `false` or `off`; absent (with
/// `#[serde(default)]`) is unticked.
pub fn checkbox<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = String::deserialize(d)?;
    Ok(v != "false" && v != "off")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{Pairs, same_token};

    #[test]
    fn repeated_fields_become_several_pairs() {
        let p: Pairs = serde_html_form::from_str("a=1&b=x&a=2&csrf=t").unwrap();
        assert_eq!(p.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(p.one("b"), "x");
        assert_eq!(p.one("missing"), "");
    }

    #[test]
    fn a_map_form_reads_single_fields() {
        let m: super::super::Values = serde_html_form::from_str("a=1&b=").unwrap();
        assert_eq!(m.get("a").map(String::as_str), Some("1"));
        assert_eq!(m.get("b").map(String::as_str), Some(""));
    }

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", "x"));
    }
}
