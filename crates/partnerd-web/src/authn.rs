//! Authentication and the per-principal rate limit for `/v1`, plus the
//! `RateLimit-*` headers every `/v1` response carries.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerd_app::AppError;
use partnerd_app::ratelimit::Quota;

use crate::AppState;
use crate::extract::AuthState;
use crate::problem::ApiError;

fn set_quota_headers(res: &mut Response, q: Quota) {
    let h = res.headers_mut();
    for (name, value) in [
        ("ratelimit-limit", q.limit.to_string()),
        ("ratelimit-remaining", q.remaining.to_string()),
        ("ratelimit-reset", q.reset_secs.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
}

/// Reads `Authorization: Bearer …` and leaves an [`AuthState`] for the extractors.
pub async fn authenticate(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let now = s.app.now();
    let header_value = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().map(str::to_owned));
    let mut principal_key = None;
    let state = match header_value {
        None => AuthState::Anonymous,
        Some(Err(_)) => AuthState::Failed(AppError::unauthenticated()),
        Some(Ok(v)) => match v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(str::trim)
        {
            None | Some("") => AuthState::Failed(AppError::unauthenticated()),
            Some(token) => match s.app.authenticate(token).await {
                Ok(p) => {
                    let key = p.key();
                    match s.app.limits().principal.take(&key, now) {
                        Ok(_) => {}
                        Err(limited) => {
                            s.app.metrics().rate_limited.inc();
                            let mut res = ApiError(AppError::rate_limited(limited.retry_after))
                                .into_response();
                            set_quota_headers(&mut res, limited.quota);
                            return res;
                        }
                    }
                    principal_key = Some(key);
                    AuthState::Authenticated(Box::new(p))
                }
                Err(e) => AuthState::Failed(e),
            },
        },
    };
    req.extensions_mut().insert(state);
    let mut res = next.run(req).await;
    let quota = match &principal_key {
        Some(k) => s.app.limits().principal.peek(k, s.app.now()),
        None => s.app.limits().public_ip.peek(&ip, s.app.now()),
    };
    set_quota_headers(&mut res, quota);
    res
}
