//! Errors as RFC 9457 problem details (API) with the request id in every body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use partnerd_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::context;

/// One field error of a 422.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemFieldError {
    pub pointer: String,
    pub code: String,
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub instance: String,
    pub code: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemFieldError>,
}

/// An [`AppError`] on its way out of an API handler.
#[derive(Debug)]
pub struct ApiError(pub AppError);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Renders an error as problem+json.
pub fn problem_response(e: &AppError) -> Response {
    let body = Problem {
        kind: format!("https://partnerd.dev/problems/{}", e.code),
        title: e.title.to_owned(),
        status: e.status,
        detail: e.detail.clone(),
        instance: context::current_path(),
        code: e.code.to_owned(),
        request_id: context::current_request_id(),
        errors: e
            .errors
            .iter()
            .map(|f| ProblemFieldError {
                pointer: f.pointer.clone(),
                code: f.code.to_owned(),
                message: f.message.clone(),
            })
            .collect(),
    };
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(secs) = e.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if e.status == 401 {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}
