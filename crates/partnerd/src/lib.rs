//! The partnerd binary's library half: configuration, the server life cycle and the
//! CLI, kept here so the integration tests drive exactly what `main` runs.

pub mod cli;
pub mod config;
pub mod demo;
pub mod import;
pub mod server;
