//! Our own extractors, so every malformed input gets the same problem format and
//! the checks run in the order API.md §1.0 fixes: authentication, rate limit,
//! restricted session, then (inside the use case) visibility and permission, and
//! only then the request body.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use partnerd_app::{AppError, AppResult, Ctx, Principal, Unacceptable};
use partnerd_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::context::RequestInfo;
use crate::problem::ApiError;

/// What the authentication middleware found out about the caller.
#[derive(Clone, Debug)]
pub enum AuthState {
    Anonymous,
    Failed(AppError),
    Authenticated(Box<Principal>),
}

fn auth_state(parts: &Parts) -> Result<Principal, AppError> {
    match parts.extensions.get::<AuthState>() {
        Some(AuthState::Authenticated(p)) => Ok((**p).clone()),
        Some(AuthState::Failed(e)) => Err(e.clone()),
        _ => Err(AppError::unauthenticated()),
    }
}

/// The authenticated caller; a restricted session (temporary password) is refused.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let p = auth_state(parts)?;
        if p.is_restricted() {
            return Err(AppError::password_change_required().into());
        }
        Ok(Self(p))
    }
}

/// The authenticated caller, restricted sessions included (me, password, sign-out).
pub struct AuthAllowRestricted(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for AuthAllowRestricted {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(auth_state(parts)?))
    }
}

/// Request id and client address, for audit records.
pub struct ReqCtx(pub Ctx);

pub fn ctx_from_parts(parts: &Parts) -> Ctx {
    Ctx {
        request_id: parts
            .extensions
            .get::<RequestInfo>()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
        source_ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        idempotency: parts
            .extensions
            .get::<crate::idempotency::IdempotencySlot>()
            .map(|s| partnerd_app::IdempotentRequest {
                principal: s.principal.clone(),
                key: s.key.clone(),
                created: crate::idempotency::created_response,
            }),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ReqCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(ctx_from_parts(parts)))
    }
}

pub const BODY_LIMIT: usize = 1024 * 1024;

/// Members clients may send back from a resource; they are ignored, not refused.
const READ_ONLY: &[&str] = &["id", "etag", "createdAt", "updatedAt", "lastModifiedAt"];

/// A JSON body, read now and parsed when the use case asks (after its access check).
pub struct ApiBody<T> {
    result: AppResult<serde_json::Value>,
    _t: std::marker::PhantomData<T>,
}

/// Whether the body is declared as JSON the way API-platform.md §2.6 allows:
/// `application/json`, optionally with the one parameter `charset=utf-8` (any case,
/// spaces around `;` and `=`, the value optionally quoted as RFC 9110 allows).
/// `application/*+json`, another charset or any other parameter is not.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    let params: Vec<&str> = parts.collect();
    match params.as_slice() {
        [] => true,
        [param] => param.split_once('=').is_some_and(|(name, value)| {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            name.trim().eq_ignore_ascii_case("charset") && value.eq_ignore_ascii_case("utf-8")
        }),
        _ => false,
    }
}

impl<S: Send + Sync, T> FromRequest<S> for ApiBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let result = match axum::body::to_bytes(req.into_body(), BODY_LIMIT).await {
            Err(e) => Err(crate::timeouts::body_read_failed(&e)),
            Ok(bytes) => parse_value(&bytes, json),
        };
        Ok(Self {
            result,
            _t: std::marker::PhantomData,
        })
    }
}

fn parse_value(bytes: &Bytes, json: bool) -> AppResult<serde_json::Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    if !json {
        return Err(AppError::Unacceptable(Unacceptable::UnsupportedMediaType));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(AppError::bad_request(
            "the body starts with a byte order mark; send UTF-8 without one",
        ));
    }
    let not_json =
        |e: serde_json::Error| AppError::bad_request(format!("the body is not valid JSON: {e}"));
    // Duplicate members first, so that nothing chooses between the two values.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::de::DeserializeSeed::deserialize(UniqueMembers(String::new()), &mut de).map_err(
        |e| match e.classify() {
            serde_json::error::Category::Data => {
                AppError::bad_request(e.to_string().split(" at line ").next().unwrap_or_default())
            }
            _ => not_json(e),
        },
    )?;
    de.end().map_err(not_json)?;
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(not_json)?;
    if !value.is_object() {
        return Err(AppError::bad_request("the body must be a JSON object"));
    }
    Ok(value)
}

/// Walks a JSON value refusing an object that names a member twice (after
/// unescaping: `"a"` and `"\u0061"` are one name); the string is the JSON Pointer
/// of the value being walked.
struct UniqueMembers(String);

impl<'de> serde::de::DeserializeSeed<'de> for UniqueMembers {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueMembers {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while seq
            .next_element_seed(UniqueMembers(format!("{}/{index}", self.0)))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            let pointer = format!("{}/{}", self.0, name.replace('~', "~0").replace('/', "~1"));
            if !seen.insert(name.clone()) {
                let object = if self.0.is_empty() {
                    "the top-level object"
                } else {
                    &self.0
                };
                return Err(serde::de::Error::custom(format!(
                    "duplicate member \"{name}\" in {object}"
                )));
            }
            map.next_value_seed(UniqueMembers(pointer))?;
        }
        Ok(())
    }
}

/// Every name or title member at any depth must show (API-platform.md §2.7); the
/// rule is `partnerd_domain::names`', applied here by member name so that no request
/// type can miss it.
fn check_names(value: &serde_json::Value, pointer: &str, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (member, v) in map {
                let here = format!("{pointer}/{}", member.replace('~', "~0").replace('/', "~1"));
                match v {
                    Value::String(text) if partnerd_domain::names::is_name_member(member) => {
                        if let Err(e) = partnerd_domain::names::visible_text(&here, text) {
                            errors.push(e);
                        }
                    }
                    _ => check_names(v, &here, errors),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_names(v, &format!("{pointer}/{i}"), errors);
            }
        }
        _ => {}
    }
}

/// Turns a serde path and message into a JSON Pointer field error.
fn field_error<E: std::fmt::Display>(
    err: serde_path_to_error::Error<E>,
    query: bool,
) -> FieldError {
    let mut pointer = String::new();
    for seg in err.path().iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&format!("/{key}"))
            }
            Segment::Unknown => {}
        }
    }
    let message = err.inner().to_string();
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
            .map(str::to_owned)
    };
    let (pointer, message) = if let Some(field) = named("missing field `") {
        (format!("{pointer}/{field}"), "is required".to_owned())
    } else if let Some(field) = named("unknown field `") {
        // The path already ends at the unknown member.
        let pointer = if pointer.ends_with(&format!("/{field}")) {
            pointer
        } else {
            format!("{pointer}/{field}")
        };
        (pointer, "is not a member of this request".to_owned())
    } else {
        let msg = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        (pointer, msg)
    };
    let pointer = if query {
        format!("/query{pointer}")
    } else {
        pointer
    };
    FieldError::invalid(pointer, message)
}

impl<T: DeserializeOwned> ApiBody<T> {
    /// The typed body, or the problem that explains why not.
    pub fn parse(self) -> AppResult<T> {
        let mut value = self.result?;
        let mut names = Vec::new();
        check_names(&value, "", &mut names);
        if !names.is_empty() {
            return Err(AppError::Validation(names));
        }
        loop {
            match serde_path_to_error::deserialize::<_, T>(value.clone()) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    // A read-only member the request type does not take (`id` sent
                    // back from a resource) is dropped, not refused; one the type
                    // does take (an offer's `id`) is kept.
                    let message = e.inner().to_string();
                    let top_level_read_only = READ_ONLY
                        .iter()
                        .filter(|_| e.path().iter().count() == 1)
                        .find(|k| message.starts_with(&format!("unknown field `{k}`")));
                    let removed = match (top_level_read_only, value.as_object_mut()) {
                        (Some(k), Some(map)) => map.remove(*k).is_some(),
                        _ => false,
                    };
                    if !removed {
                        return Err(AppError::field(field_error(e, false)));
                    }
                }
            }
        }
    }
}

/// Query parameters, with unknown or malformed ones as 422 at `/query/<name>`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(Self)
            .map_err(|e| ApiError(AppError::field(field_error(e, true))))
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// `If-Match`, quoted or not.
pub struct IfMatch(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let v = v
            .to_str()
            .map_err(|_| ApiError(AppError::bad_request("If-Match is not valid text")))?;
        let v = v
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned();
        Ok(Self(Some(v)))
    }
}

/// The caller if authenticated (restricted sessions refused), None when no token was
/// sent; a bad token is still 401.
pub struct MaybeAuth(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<AuthState>() {
            Some(AuthState::Authenticated(p)) if p.is_restricted() => {
                Err(AppError::password_change_required().into())
            }
            Some(AuthState::Authenticated(p)) => Ok(Self(Some((**p).clone()))),
            Some(AuthState::Failed(e)) => Err(e.clone().into()),
            _ => Ok(Self(None)),
        }
    }
}
