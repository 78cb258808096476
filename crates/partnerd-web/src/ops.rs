//! Operational endpoints (API.md §15) and the middleware that measures and
//! normalises every response.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerd_app::metrics::{HttpLabels, RouteLabels};
use partnerd_app::{AppError, Unacceptable};

use crate::AppState;
use crate::problem::{
    InternalCause, PROBLEM_JSON, extended_problem_response, problem_response, title_of,
    titled_problem_response,
};

/// `GET /healthz`: the process runs.
pub async fn healthz() -> Response {
    Json(serde_json::json!({"status": "ok"})).into_response()
}

/// `GET /readyz`: database reachable, migrations applied, not draining.
pub async fn readyz(State(s): State<AppState>) -> Response {
    if s.draining.load(Ordering::SeqCst) {
        let e = AppError::unavailable("the server is shutting down");
        let mut checks = serde_json::Map::new();
        checks.insert("checks".into(), serde_json::json!({"draining": "draining"}));
        return extended_problem_response(&e, title_of(&e), checks);
    }
    match s.app.readiness().await {
        Ok(()) => Json(serde_json::json!({
            "status": "ready",
            "checks": {"database": "ok", "migrations": "ok", "outbox": "ok"}
        }))
        .into_response(),
        Err(unready) => {
            if let Some(cause) = &unready.cause {
                tracing::warn!(check = unready.check, %cause, "not ready");
            }
            let e = AppError::unavailable(format!("{}: {}", unready.check, unready.detail));
            titled_problem_response(&e, "Not ready")
        }
    }
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(s): State<AppState>) -> Response {
    if let Ok(n) = s.app.outbox_pending().await {
        s.app.metrics().outbox_pending.set(n);
    }
    s.app
        .metrics()
        .db_pool_connections
        .set(i64::from(s.app.db().pool_size()));
    let mut res = s.app.metrics().encode().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}

/// Counts and times every request under its route template (never raw ids).
/// With `policy_trace` on, answers with the policy actions the request asked for
/// (`Partnerd-Policy-Asked: ~readOrganizations,manageApiKeys`; `~` marks a query
/// that only shapes what is visible; empty when it asked none).
pub async fn policy_trace(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if !s.app.config().policy_trace {
        return next.run(req).await;
    }
    let (mut res, asked) = partnerd_app::policy_trace::traced(next.run(req)).await;
    let names = asked
        .iter()
        .map(|a| a.label())
        .collect::<Vec<_>>()
        .join(",");
    if let Ok(v) = HeaderValue::from_str(&names) {
        res.headers_mut().insert("partnerd-policy-asked", v);
    }
    res
}

pub async fn measure(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let m = s.app.metrics();
    m.http_requests
        .get_or_create(&HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status: res.status().as_u16().to_string(),
        })
        .inc();
    m.http_duration
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    if res.status().is_server_error() {
        // The one place a failed request is logged, with the cause's whole chain when
        // a use case gave one.
        match res.extensions().get::<InternalCause>() {
            Some(cause) => tracing::error!(
                status = res.status().as_u16(),
                cause = %cause.chain(),
                "request failed"
            ),
            None => tracing::error!(status = res.status().as_u16(), "request failed"),
        }
    }
    res
}

/// Makes sure every API error is problem+json, including the ones the router
/// produces itself (405 with its `Allow` header, 413, 415, ...).
pub async fn normalize_api_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return res;
    }
    let e = match status {
        StatusCode::NOT_FOUND => AppError::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => AppError::Unacceptable(Unacceptable::MethodNotAllowed),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::Unacceptable(Unacceptable::PayloadTooLarge),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            AppError::Unacceptable(Unacceptable::UnsupportedMediaType)
        }
        StatusCode::BAD_REQUEST => AppError::bad_request("the request is malformed"),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::validation(Vec::new()),
        s if s.is_server_error() => {
            AppError::internal(format!("the router answered {s} without a problem body"))
        }
        _ => AppError::bad_request("the request failed"),
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut out = problem_response(&e);
    // A status the list above does not name keeps its number.
    *out.status_mut() = status;
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// Unknown `/v1` paths.
pub async fn api_not_found() -> Response {
    problem_response(&AppError::not_found())
}
