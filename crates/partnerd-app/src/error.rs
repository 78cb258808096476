//! The application error: one value that both faces (problem+json, HTML) render.

use partnerd_domain::FieldError;
use partnerd_store::StoreError;

/// A failed use case, with the stable `code` of API.md §1.2.
#[derive(Debug, Clone)]
pub struct AppError {
    pub status: u16,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl std::error::Error for AppError {}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(
        status: u16,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad_request", "The request is malformed", detail)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            401,
            "unauthenticated",
            "Authentication required",
            "sign in, or send a valid bearer token",
        )
    }

    pub fn invalid_credentials() -> Self {
        Self::new(
            401,
            "invalid_credentials",
            "Wrong e-mail or password",
            "the e-mail address or the password is wrong",
        )
    }

    pub fn password_change_required() -> Self {
        Self::new(
            403,
            "password_change_required",
            "Change your password first",
            "this session was opened with a temporary password; choose a new password with POST /v1/me/password",
        )
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(403, code, "Not allowed", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            404,
            "not_found",
            "Not found",
            "no such resource, or it is not visible to you",
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(409, code, "Conflict", detail)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            412,
            "precondition_failed",
            "The resource has changed",
            "If-Match does not match the current ETag",
        )
    }

    pub fn precondition_required() -> Self {
        Self::new(
            428,
            "precondition_required",
            "If-Match required",
            "send the resource's current ETag in If-Match",
        )
    }

    /// 422 `validation_failed` with field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let code = match errors.as_slice() {
            [one] if one.code != "validation_failed" => one.code,
            _ => "validation_failed",
        };
        Self {
            errors,
            ..Self::new(422, code, "The request is not valid", detail)
        }
    }

    pub fn field(e: FieldError) -> Self {
        Self::validation(vec![e])
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                429,
                "rate_limited",
                "Too many requests",
                format!("try again in {} seconds", retry_after.max(1)),
            )
        }
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "internal_error",
            "Internal error",
            "something went wrong on our side; the request id helps us find it",
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(503, "service_unavailable", "Service unavailable", detail)
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        Self::internal()
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::field(e)
    }
}

/// Optimistic concurrency (API.md §1): compares `If-Match` with the current ETag.
/// With `required`, a missing header is 428; a stale one is always 412.
pub fn check_if_match(current_etag: &str, if_match: Option<&str>, required: bool) -> AppResult<()> {
    match if_match {
        None if required => Err(AppError::precondition_required()),
        None => Ok(()),
        Some("*") => Ok(()),
        Some(tag) if tag == current_etag => Ok(()),
        Some(_) => Err(AppError::precondition_failed()),
    }
}

/// Turns a version-checked write's answer into 409 when another request changed the
/// row between our read and our write (so a check made on the read still holds).
pub fn written(updated: bool) -> AppResult<()> {
    if updated {
        Ok(())
    } else {
        Err(AppError::conflict(
            "conflict",
            "it was changed by another request at the same time; reload and try again",
        ))
    }
}

/// Like [`written`] for state actions: the loser sees the state has moved on.
pub fn written_state(updated: bool) -> AppResult<()> {
    if updated {
        Ok(())
    } else {
        Err(AppError::conflict(
            "invalid_state",
            "another request changed its status at the same time; reload to see where it stands",
        ))
    }
}
