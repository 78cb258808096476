//! What can go wrong in a use case, in the product's words.
//!
//! Nothing here knows HTTP: the web crate chooses the status, the problem+json body and
//! the page for each variant (`partnerd_web::problem`). The `code()` of an error is the
//! machine-readable code of the contract (API.md §1) and is the same on every face.

use std::sync::Arc;

use partnerd_domain::FieldError;
pub use partnerd_domain::policy::Refusal;
use partnerd_store::StoreError;

/// A closed list of codes: one enum per refusal family, each variant with its code.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$v),+];

            /// The contract's error code.
            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
    };
}

codes!(
    /// Why a well-formed request cannot be carried out in the current state.
    Conflict {
        /// Another request changed the resource between our read and our write.
        Concurrent = "conflict",
        InvalidState = "invalid_state",
        TokenUsed = "token_used",
        WrongOrganizationKind = "wrong_organization_kind",
        RelationshipExists = "relationship_exists",
        MembershipAlreadyLinked = "membership_already_linked",
        OfferNotAvailable = "offer_not_available",
        EmailInUse = "email_in_use",
        SubscriptionNotActive = "subscription_not_active",
        SubscriptionCancelled = "subscription_cancelled",
        QuantityBelowAssigned = "quantity_below_assigned",
        LicenseQuotaExceeded = "license_quota_exceeded",
        LastGlobalAdmin = "last_global_admin",
        DomainUnavailable = "domain_unavailable",
        CreditLimitExceeded = "credit_limit_exceeded",
        ActiveSubscriptions = "active_subscriptions",
        CancellationWindowClosed = "cancellation_window_closed",
        TrialChangeNotAllowed = "trial_change_not_allowed",
        TrialAlreadyUsed = "trial_already_used",
        UpgradeNotAllowed = "upgrade_not_allowed",
        PrerequisiteRequired = "prerequisite_required",
        CustomerSeatLimitExceeded = "customer_seat_limit_exceeded",
        AutoRenewDisabled = "auto_renew_disabled",
        PricePeriodLocked = "price_period_locked",
        BillingPeriodOpen = "billing_period_open",
        InvoiceHasPayments = "invoice_has_payments",
    }
);

codes!(
    /// A request the server will not read at all, before any use case runs.
    Unacceptable {
        MethodNotAllowed = "method_not_allowed",
        PayloadTooLarge = "payload_too_large",
        UnsupportedMediaType = "unsupported_media_type",
        /// The same Idempotency-Key came back with another body.
        IdempotencyKeyReused = "idempotency_key_reused",
        /// The body did not arrive in time (API-platform.md §2.4).
        RequestTimeout = "request_timeout",
    }
);

/// A use case's failure. Each variant carries what a person needs to fix it; the cause
/// of an [`AppError::Internal`] is kept for the log and never shown.
#[derive(Debug, Clone)]
pub enum AppError {
    BadRequest(String),
    Unacceptable(Unacceptable),
    Unauthenticated,
    InvalidCredentials(String),
    Forbidden {
        reason: Refusal,
        detail: String,
    },
    NotFound(String),
    /// A mailed link (invitation, verification, request) that never existed.
    TokenInvalid(String),
    Conflict {
        kind: Conflict,
        detail: String,
        /// Members the contract adds to this problem (`refundableQuantity`,
        /// `remainingQuantity`, …), by name.
        extensions: Extensions,
    },
    /// A mailed link that expired or was withdrawn.
    Gone(String),
    PreconditionFailed,
    PreconditionRequired,
    Validation(Vec<FieldError>),
    RateLimited {
        retry_after: u64,
        detail: String,
    },
    Unavailable(String),
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

/// Extension members of a problem, in the order they were added.
pub type Extensions = serde_json::Map<String, serde_json::Value>;

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Internal(cause) => write!(f, "internal_error: {cause}"),
            other => write!(f, "{}: {}", other.code(), other.detail()),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Internal(cause) => Some(cause.as_ref()),
            _ => None,
        }
    }
}

impl AppError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(detail.into())
    }

    pub fn unauthenticated() -> Self {
        Self::Unauthenticated
    }

    pub fn invalid_credentials() -> Self {
        Self::InvalidCredentials("the e-mail address or the password is wrong".into())
    }

    pub fn password_change_required() -> Self {
        Self::forbidden(
            Refusal::PasswordChangeRequired,
            "this session was opened with a temporary password; choose a new password with POST /v1/me/password",
        )
    }

    pub fn forbidden(reason: Refusal, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            reason,
            detail: detail.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::NotFound("no such resource, or it is not visible to you".into())
    }

    pub fn conflict(kind: Conflict, detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            detail: detail.into(),
            extensions: Extensions::new(),
        }
    }

    /// The same conflict with one more member of its problem.
    #[must_use]
    pub fn with_extension(mut self, name: &str, value: impl serde::Serialize) -> Self {
        if let Self::Conflict { extensions, .. } = &mut self {
            extensions.insert(
                name.to_owned(),
                serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
            );
        }
        self
    }

    /// The members this problem carries beyond the standard ones.
    pub fn extensions(&self) -> Option<&Extensions> {
        match self {
            Self::Conflict { extensions, .. } if !extensions.is_empty() => Some(extensions),
            _ => None,
        }
    }

    pub fn token_invalid(detail: impl Into<String>) -> Self {
        Self::TokenInvalid(detail.into())
    }

    pub fn gone(detail: impl Into<String>) -> Self {
        Self::Gone(detail.into())
    }

    pub fn precondition_failed() -> Self {
        Self::PreconditionFailed
    }

    pub fn precondition_required() -> Self {
        Self::PreconditionRequired
    }

    /// `validation_failed` with field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::Validation(errors)
    }

    pub fn field(e: FieldError) -> Self {
        Self::Validation(vec![e])
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let retry_after = retry_after.max(1);
        Self::RateLimited {
            retry_after,
            detail: format!("try again in {retry_after} seconds"),
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable(detail.into())
    }

    /// A failure on our side. The cause goes to the log, once, with its chain; the
    /// person sees only the request id.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(Arc::from(cause.into()))
    }

    /// The same error with another explanation for the person (the code stays).
    /// Variants without an explanation of their own are returned unchanged.
    #[must_use]
    pub fn with_detail(self, text: impl Into<String>) -> Self {
        let text = text.into();
        match self {
            Self::BadRequest(_) => Self::BadRequest(text),
            Self::InvalidCredentials(_) => Self::InvalidCredentials(text),
            Self::Forbidden { reason, .. } => Self::Forbidden {
                reason,
                detail: text,
            },
            Self::NotFound(_) => Self::NotFound(text),
            Self::TokenInvalid(_) => Self::TokenInvalid(text),
            Self::Conflict {
                kind, extensions, ..
            } => Self::Conflict {
                kind,
                detail: text,
                extensions,
            },
            Self::Gone(_) => Self::Gone(text),
            Self::RateLimited { retry_after, .. } => Self::RateLimited {
                retry_after,
                detail: text,
            },
            Self::Unavailable(_) => Self::Unavailable(text),
            other => other,
        }
    }

    /// The contract's machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unacceptable(u) => u.code(),
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials(_) => "invalid_credentials",
            Self::Forbidden { reason, .. } => reason.code(),
            Self::NotFound(_) => "not_found",
            Self::TokenInvalid(_) => "token_invalid",
            Self::Conflict { kind, .. } => kind.code(),
            Self::Gone(_) => "token_expired",
            Self::PreconditionFailed => "precondition_failed",
            Self::PreconditionRequired => "precondition_required",
            // Field errors that share a code of their own (`weak_password`,
            // `consent_required`) lend it to the whole answer, except the codes the
            // contract gives only to fields (`invisible_text`, …).
            Self::Validation(errors) => match errors.split_first() {
                Some((first, rest))
                    if first.code != "validation_failed"
                        && !partnerd_domain::names::FIELD_ONLY_CODES.contains(&first.code)
                        && rest.iter().all(|e| e.code == first.code) =>
                {
                    first.code
                }
                _ => "validation_failed",
            },
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// What the person is told.
    pub fn detail(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            Self::BadRequest(d)
            | Self::InvalidCredentials(d)
            | Self::NotFound(d)
            | Self::TokenInvalid(d)
            | Self::Gone(d)
            | Self::Unavailable(d)
            | Self::Forbidden { detail: d, .. }
            | Self::Conflict { detail: d, .. }
            | Self::RateLimited { detail: d, .. } => Borrowed(d),
            Self::Unacceptable(u) => Borrowed(match u {
                Unacceptable::MethodNotAllowed => {
                    "this path does not accept that method; see Allow"
                }
                Unacceptable::PayloadTooLarge => "the request body exceeds 1 MiB",
                Unacceptable::UnsupportedMediaType => "send the body as application/json",
                Unacceptable::IdempotencyKeyReused => {
                    "this Idempotency-Key was used with another request body"
                }
                Unacceptable::RequestTimeout => {
                    "the request body did not arrive in time; send it again"
                }
            }),
            Self::Unauthenticated => Borrowed("sign in, or send a valid bearer token"),
            Self::PreconditionFailed => Borrowed("If-Match does not match the current ETag"),
            Self::PreconditionRequired => Borrowed("send the resource's current ETag in If-Match"),
            Self::Validation(errors) if errors.is_empty() => Borrowed("the request is not valid"),
            Self::Validation(errors) => Owned(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.pointer, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Self::Internal(_) => {
                Borrowed("something went wrong on our side; the request id helps us find it")
            }
        }
    }

    /// Which conflict this is, if it is one.
    pub fn conflict_kind(&self) -> Option<Conflict> {
        match self {
            Self::Conflict { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The field errors of a validation failure (empty otherwise).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors,
            _ => &[],
        }
    }

    /// Seconds the client should wait before trying again, where that is known.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::Unavailable(_) => Some(5),
            _ => None,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        Self::Internal(Arc::new(e))
    }
}

impl From<partnerd_domain::states::InvalidTransition> for AppError {
    fn from(e: partnerd_domain::states::InvalidTransition) -> Self {
        Self::conflict(Conflict::InvalidState, e.to_string())
    }
}

/// Arithmetic on stored amounts that overflows or mixes currencies is a fault of the
/// server, never of the request (requests are checked before any sum).
impl From<partnerd_domain::money::MoneyError> for AppError {
    fn from(e: partnerd_domain::money::MoneyError) -> Self {
        AppError::internal(e)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::field(e)
    }
}

/// Optimistic concurrency (API.md §1): compares `If-Match` with the current ETag.
/// With `required`, a missing header is a required precondition; a stale one always fails.
pub fn check_if_match(current_etag: &str, if_match: Option<&str>, required: bool) -> AppResult<()> {
    match if_match {
        None if required => Err(AppError::precondition_required()),
        None => Ok(()),
        Some("*") => Ok(()),
        Some(tag) if tag == current_etag => Ok(()),
        Some(_) => Err(AppError::precondition_failed()),
    }
}

/// Turns a version-checked write's answer into a conflict when another request changed
/// the row between our read and our write (so a check made on the read still holds).
pub fn written(updated: bool) -> AppResult<()> {
    if updated {
        Ok(())
    } else {
        Err(AppError::conflict(
            Conflict::Concurrent,
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
            Conflict::InvalidState,
            "another request changed its status at the same time; reload to see where it stands",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_across_families() {
        let mut seen = std::collections::HashSet::new();
        let all = Refusal::ALL
            .iter()
            .map(|r| r.code())
            .chain(Conflict::ALL.iter().map(|c| c.code()))
            .chain(Unacceptable::ALL.iter().map(|u| u.code()));
        for code in all {
            assert!(seen.insert(code), "{code} is used twice");
        }
    }

    #[test]
    fn one_field_code_names_the_answer_and_many_do_not() {
        let one = AppError::field(FieldError::new("/x", "consent_required", "tick it"));
        assert_eq!(one.code(), "consent_required");
        let two = AppError::validation(vec![
            FieldError::new("/x", "consent_required", "tick it"),
            FieldError::invalid("/y", "bad"),
        ]);
        assert_eq!(two.code(), "validation_failed");
        assert_eq!(two.detail(), "/x: tick it; /y: bad");
    }

    #[test]
    fn an_internal_error_keeps_its_cause_but_does_not_show_it() {
        let e = AppError::from(StoreError::Corrupt("orders.status = 'lost'".into()));
        assert_eq!(e.code(), "internal_error");
        assert!(!e.detail().contains("lost"));
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert!(cause.is_some_and(|c| c.contains("orders.status = 'lost'")));
    }

    #[test]
    fn with_detail_keeps_the_code() {
        let e = AppError::rate_limited(60).with_detail("ten mails today");
        assert_eq!(e.code(), "rate_limited");
        assert_eq!(e.retry_after(), Some(60));
        assert_eq!(e.detail(), "ten mails today");
    }
}
