//! partnerd's storage layer.
//!
//! One code path over SQLite and PostgreSQL: statements are written once in portable
//! SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`) and run through sqlx's `Any`
//! driver. Values cross the boundary as text and 64-bit integers (times are epoch
//! milliseconds, flags 0/1), which both backends store natively; that is why the
//! `Any` driver's small type set is enough here. The few statements that differ live
//! in [`dialect`].

pub mod api_keys;
pub mod audit;
pub mod commerce;
pub mod customers;
mod db;
pub mod dialect;
pub mod enrollments;
mod error;
pub mod idempotency;
pub mod migrations;
pub mod offers;
pub mod organizations;
pub mod outbox;
pub mod providers;
pub mod registry;
pub mod relationships;
pub mod sessions;
pub mod sql;
pub mod support;
pub mod users;
pub mod webhooks;

pub use db::{Backend, Conn, Db, Tx, commit};
pub use error::StoreError;

/// Result of every store function.
pub type StoreResult<T> = Result<T, StoreError>;

/// Stored form of a flag.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}
