//! `Idempotency-Key` on `POST` (API.md §1): the first response is stored for 24 h
//! and replayed for the same caller, key and body.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerd_app::AppError;
use partnerd_app::idempotency::Begin;
use partnerd_app::{Conflict, Unacceptable};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::extract::{AuthState, BODY_LIMIT};
use crate::problem::ApiError;

/// Headers of a stored response that are replayed with it.
const KEPT: &[&str] = &["content-type", "location", "etag"];

/// Marks a request that runs under a fresh `Idempotency-Key` (see `Ctx::idempotency`).
#[derive(Debug, Clone)]
pub struct IdempotencySlot {
    pub principal: String,
    pub key: String,
}

fn valid_key(k: &str) -> bool {
    (1..=128).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

pub async fn idempotency(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get("idempotency-key") else {
        return next.run(req).await;
    };
    let Some(key) = raw
        .to_str()
        .ok()
        .filter(|k| valid_key(k))
        .map(str::to_owned)
    else {
        return ApiError(AppError::bad_request(
            "Idempotency-Key must be 1–128 printable ASCII characters",
        ))
        .into_response();
    };
    // Only an authenticated, unrestricted caller owns keys; anything else is
    // answered by the handler as usual (401/403) without storing it.
    let principal = match req.extensions().get::<AuthState>() {
        Some(AuthState::Authenticated(p)) if !p.is_restricted() => p.key(),
        _ => return next.run(req).await,
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError(crate::timeouts::body_read_failed(&e)).into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());
    let begun = match s.app.idempotency_begin(&principal, &key, &hash).await {
        Ok(b) => b,
        Err(e) => return ApiError(e).into_response(),
    };
    match begun {
        Begin::Mismatch => {
            ApiError(AppError::Unacceptable(Unacceptable::IdempotencyKeyReused)).into_response()
        }
        Begin::InFlight => ApiError(AppError::conflict(
            Conflict::Concurrent,
            "a request with this Idempotency-Key is still in progress",
        ))
        .into_response(),
        Begin::Replay {
            status,
            headers,
            body,
        } => {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() = StatusCode::from_u16(u16::try_from(status).unwrap_or(200))
                .unwrap_or(StatusCode::OK);
            let stored: Vec<(String, String)> = serde_json::from_str(&headers).unwrap_or_default();
            for (k, v) in stored {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
                    res.headers_mut().insert(k, v);
                }
            }
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
        Begin::Started => {
            let mut parts = parts;
            parts.extensions.insert(IdempotencySlot {
                principal: principal.clone(),
                key: key.clone(),
            });
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let status = res.status().as_u16();
            let keep = !(status >= 500 || status == 401 || status == 403 || status == 429);
            let (rparts, rbody) = res.into_parts();
            let Ok(rbytes) = axum::body::to_bytes(rbody, usize::MAX).await else {
                let _ = s.app.idempotency_abandon(&principal, &key).await;
                return ApiError(AppError::internal(
                    "could not read the response to store it under its Idempotency-Key",
                ))
                .into_response();
            };
            let stored = if keep {
                let headers = kept_headers(&rparts.headers);
                s.app
                    .idempotency_complete(
                        &principal,
                        &key,
                        i64::from(status),
                        &headers,
                        &String::from_utf8_lossy(&rbytes),
                    )
                    .await
            } else {
                s.app.idempotency_abandon(&principal, &key).await
            };
            if let Err(e) = stored {
                tracing::error!(error = %e, "could not store the idempotent response");
            }
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}

/// The stored form of a "201 Created" JSON response for `location` with entity tag
/// `etag`: what a use case that creates a resource writes in its own transaction
/// (`partnerd_app::IdempotentRequest::created`), the same as the middleware keeps.
pub fn created_response(location: &str, etag: &str) -> (i64, String) {
    let headers = serde_json::json!([
        ["content-type", "application/json"],
        ["location", location],
        ["etag", format!("\"{etag}\"")]
    ]);
    (i64::from(StatusCode::CREATED.as_u16()), headers.to_string())
}

fn kept_headers(h: &HeaderMap) -> String {
    let pairs: Vec<(String, String)> = KEPT
        .iter()
        .filter_map(|name| {
            h.get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*name).to_owned(), v.to_owned()))
        })
        .collect();
    serde_json::to_string(&pairs).unwrap_or_default()
}
