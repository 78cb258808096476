//! Cross-site request forgery protection for the portal's forms, in one place.
//!
//! Every browser gets a random token in a cookie (`csrf_cookie`, a layer of the page
//! router); every form renders it as the hidden field `csrf` ([`csrf_field`]); and every
//! handler of a submitted form takes [`CsrfForm<T>`], which refuses the request before
//! the handler runs when the field is missing or differs from the cookie. A handler can
//! therefore neither forget the check nor do it differently from the others.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::Refusal;
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::AppState;
use crate::pages::{Cookies, PageError, cookie};

/// The name of the form field that carries the token.
const FIELD: &str = "csrf";

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

/// The hidden field every portal form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(token); }
}

/// Makes sure the browser has a CSRF cookie, and tells handlers its value.
pub(super) async fn csrf_cookie(
    State(s): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
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

/// Whether two tokens are equal, taking the same time wherever they differ.
fn same_token(expected: &str, submitted: &str) -> bool {
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refused() -> PageError {
    PageError(AppError::forbidden(
        Refusal::Forbidden,
        "the form expired or came from another site; go back, reload the page and try again",
    ))
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
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let submitted = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        if expected.is_empty() || !same_token(&expected, &submitted) {
            return Err(refused().into_response());
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
