//! The request id (`X-Request-Id`) and path, kept for the duration of a request so
//! that error bodies, pages and audit records can name them.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub id: String,
    pub path: String,
}

tokio::task_local! {
    static CURRENT: RequestInfo;
}

pub fn current_request_id() -> String {
    CURRENT.try_with(|c| c.id.clone()).unwrap_or_default()
}

pub fn current_path() -> String {
    CURRENT.try_with(|c| c.path.clone()).unwrap_or_default()
}

fn valid_client_id(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Echoes a valid client `X-Request-Id` or makes one, for the whole request.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_client_id(v))
        .map(str::to_owned)
        .unwrap_or_else(partnerd_domain::ids::random_suffix);
    let info = RequestInfo {
        id: id.clone(),
        path: req.uri().path().to_owned(),
    };
    req.extensions_mut().insert(info.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = CURRENT
        .scope(info, tracing::Instrument::instrument(next.run(req), span))
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}
