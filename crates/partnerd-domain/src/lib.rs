//! partnerd's domain: the words of the product as types, and the rules that need no I/O.
//!
//! Everything past the HTTP boundary travels as one of these validated types, so the
//! layers above never re-check an e-mail address or a role list.

pub mod calendar;
pub mod email;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod names;
pub mod password;
pub mod policy;
pub mod roles;
pub mod states;
pub mod terms;
pub mod time;
pub mod webmail;

pub use email::EmailAddress;
pub use roles::{OrgKind, Program, Role, Roles};

/// One problem with one input field, addressed by a JSON Pointer (`/email`,
/// `/query/size`). The web layer turns a list of these into a 422 problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub pointer: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code,
            message: message.into(),
        }
    }

    /// The common case: `validation_failed` at a pointer.
    pub fn invalid(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(pointer, "validation_failed", message)
    }
}

/// Collects field errors while a request's members are validated one by one, so a
/// single answer names every problem.
#[derive(Debug, Default)]
pub struct Collect(pub Vec<FieldError>);

impl Collect {
    /// The value, or None with its error kept.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// An optional member: absent or blank is None; otherwise validated by `f`.
    pub fn opt<T>(
        &mut self,
        v: Option<&str>,
        f: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        v.filter(|s| !s.trim().is_empty())
            .and_then(|s| self.take(f(s)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
