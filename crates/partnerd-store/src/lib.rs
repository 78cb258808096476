//! partnerd's storage layer.
//!
//! One code path over SQLite and PostgreSQL: statements are written once in portable
//! SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`) and run on sqlx's concrete
//! drivers through [`query`], which binds and decodes native values per backend.
//! Rows read columns into the domain's types ([`Stored`]); a stored value a type does
//! not know is [`StoreError::Corrupt`], never a default. The few statements that
//! differ live in [`dialect`].

pub mod api_keys;
pub mod audit;
pub mod commerce;
pub mod connections;
pub mod customers;
mod db;
pub mod dialect;
pub mod enrollment;
mod error;
pub mod idempotency;
pub mod invoices;
pub mod ledger;
pub mod migrations;
pub mod offers;
pub mod organizations;
pub mod outbox;
pub mod providers;
mod query;
pub mod registry;
pub mod repricing;
pub mod sessions;
mod sets;
pub mod sql;
pub mod support;
pub mod system_events;
pub mod users;
pub mod webhooks;

pub use db::{Backend, Clock, Conn, Db, Tx, commit};
pub use error::StoreError;
pub use query::{Done, Index, Primitive, Query, Row, Stored, ToValue, Value, query};

/// Result of every store function.
pub type StoreResult<T> = Result<T, StoreError>;
