//! Errors as RFC 9457 problem details (API) with the request id in every body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use partnerd_app::{AppError, Refusal, Unacceptable};
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
    /// Members a conflict adds (`refundableQuantity`, `remainingQuantity`, …).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: partnerd_app::error::Extensions,
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

/// The HTTP status of an application error: the one place where the app's words
/// become numbers.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::Unacceptable(u) => match u {
            Unacceptable::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Unacceptable::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Unacceptable::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Unacceptable::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Unacceptable::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        },
        AppError::Unauthenticated | AppError::InvalidCredentials(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound(_) | AppError::TokenInvalid(_) => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Gone(_) => StatusCode::GONE,
        AppError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The short human title of a problem (and of an error page).
pub fn title_of(e: &AppError) -> &'static str {
    match e {
        AppError::BadRequest(_) => "The request is malformed",
        AppError::Unacceptable(u) => match u {
            Unacceptable::MethodNotAllowed => "Method not allowed",
            Unacceptable::PayloadTooLarge => "Payload too large",
            Unacceptable::UnsupportedMediaType => "Unsupported media type",
            Unacceptable::IdempotencyKeyReused => "Idempotency key reused",
            Unacceptable::RequestTimeout => "Request timeout",
        },
        AppError::Unauthenticated => "Authentication required",
        AppError::InvalidCredentials(_) => "Wrong e-mail or password",
        AppError::Forbidden {
            reason: Refusal::PasswordChangeRequired,
            ..
        } => "Change your password first",
        AppError::Forbidden { .. } => "Not allowed",
        AppError::NotFound(_) => "Not found",
        AppError::TokenInvalid(_) => "Unknown link",
        AppError::Conflict { .. } => "Conflict",
        AppError::Gone(_) => "This link can no longer be used",
        AppError::PreconditionFailed => "The resource has changed",
        AppError::PreconditionRequired => "If-Match required",
        AppError::Validation(_) => "The request is not valid",
        AppError::RateLimited { .. } => "Too many requests",
        AppError::Unavailable(_) => "Service unavailable",
        AppError::Internal(_) => "Internal error",
    }
}

/// The cause of a 500, carried on the response so the request middleware logs it once
/// with its chain (`ops::measure`).
#[derive(Clone)]
pub struct InternalCause(pub Arc<dyn std::error::Error + Send + Sync>);

impl InternalCause {
    /// `outer: inner: innermost`.
    pub fn chain(&self) -> String {
        let mut out = self.0.to_string();
        let mut next = self.0.source();
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

/// Renders an error as problem+json.
pub fn problem_response(e: &AppError) -> Response {
    titled_problem_response(e, title_of(e))
}

/// [`problem_response`] with a title of the caller's (`/readyz` says "Not ready").
pub fn titled_problem_response(e: &AppError, title: &str) -> Response {
    extended_problem_response(e, title, Default::default())
}

/// [`titled_problem_response`] with members of the caller's (the draining
/// `/readyz` adds `checks`).
pub fn extended_problem_response(
    e: &AppError,
    title: &str,
    mut extensions: partnerd_app::error::Extensions,
) -> Response {
    let status = status_of(e);
    let code = e.code();
    let body = Problem {
        kind: format!("https://partnerd.dev/problems/{code}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: e.detail().into_owned(),
        instance: context::current_path(),
        code: code.to_owned(),
        request_id: context::current_request_id(),
        errors: e
            .field_errors()
            .iter()
            .map(|f| ProblemFieldError {
                pointer: f.pointer.clone(),
                code: f.code.to_owned(),
                message: f.message.clone(),
            })
            .collect(),
        extensions: {
            if let Some(own) = e.extensions() {
                extensions.extend(own.clone());
            }
            extensions
        },
    };
    let mut res = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(secs) = e.retry_after()
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    carry_cause(e, &mut res);
    res
}

/// Puts the cause of an internal error on the response for the request log.
pub fn carry_cause(e: &AppError, res: &mut Response) {
    if let AppError::Internal(cause) = e {
        res.extensions_mut().insert(InternalCause(cause.clone()));
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}
