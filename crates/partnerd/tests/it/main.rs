#![allow(clippy::expect_used, clippy::unwrap_used)]

//! partnerd's integration tests: one binary, speaking the public surface (HTTP,
//! the pages, the CLI). Every scenario written with `both!` runs on SQLite and, when
//! `PARTNERD_TEST_DATABASE_URL` is set, on PostgreSQL.

mod helpers;

mod api_keys;
mod audit;
mod billing_pages;
mod browser;
mod catalog;
mod cli;
mod commerce;
mod connections;
mod conventions;
mod customer_pages;
mod customers;
mod enrollment;
mod forms;
mod ledger;
mod mail;
mod ops;
mod pages;
mod policy;
mod rate_limits;
mod roles;
mod sessions;
mod snapshots;
mod support;
mod terms;
mod trust;
mod upgrade;
mod users;
mod webhooks;
