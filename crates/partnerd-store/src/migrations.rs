//! Migrations, embedded in the binary: two trees (`migrations/sqlite`,
//! `migrations/postgres`) with identical version numbers.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// `(version, description, sql)` for SQLite.
pub const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "catalog_providers",
        include_str!("../migrations/sqlite/0002_catalog_providers.sql"),
    ),
    (
        3,
        "enrollment",
        include_str!("../migrations/sqlite/0003_enrollment.sql"),
    ),
    (
        4,
        "partner_relationships",
        include_str!("../migrations/sqlite/0004_partner_relationships.sql"),
    ),
    (
        5,
        "customers",
        include_str!("../migrations/sqlite/0005_customers.sql"),
    ),
    (
        6,
        "credit_limits",
        include_str!("../migrations/sqlite/0006_credit_limits.sql"),
    ),
    (
        7,
        "commerce",
        include_str!("../migrations/sqlite/0007_commerce.sql"),
    ),
    (
        8,
        "support",
        include_str!("../migrations/sqlite/0008_support.sql"),
    ),
    (
        9,
        "webhooks",
        include_str!("../migrations/sqlite/0009_webhooks.sql"),
    ),
    (
        10,
        "link_expiry",
        include_str!("../migrations/sqlite/0010_link_expiry.sql"),
    ),
    (
        11,
        "customer_counts",
        include_str!("../migrations/sqlite/0011_customer_counts.sql"),
    ),
    (
        12,
        "customer_country",
        include_str!("../migrations/sqlite/0012_customer_country.sql"),
    ),
    (
        13,
        "customer_search",
        include_str!("../migrations/sqlite/0013_customer_search.sql"),
    ),
];

/// `(version, description, sql)` for PostgreSQL.
pub const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "catalog_providers",
        include_str!("../migrations/postgres/0002_catalog_providers.sql"),
    ),
    (
        3,
        "enrollment",
        include_str!("../migrations/postgres/0003_enrollment.sql"),
    ),
    (
        4,
        "partner_relationships",
        include_str!("../migrations/postgres/0004_partner_relationships.sql"),
    ),
    (
        5,
        "customers",
        include_str!("../migrations/postgres/0005_customers.sql"),
    ),
    (
        6,
        "credit_limits",
        include_str!("../migrations/postgres/0006_credit_limits.sql"),
    ),
    (
        7,
        "commerce",
        include_str!("../migrations/postgres/0007_commerce.sql"),
    ),
    (
        8,
        "support",
        include_str!("../migrations/postgres/0008_support.sql"),
    ),
    (
        9,
        "webhooks",
        include_str!("../migrations/postgres/0009_webhooks.sql"),
    ),
    (
        10,
        "link_expiry",
        include_str!("../migrations/postgres/0010_link_expiry.sql"),
    ),
    (
        11,
        "customer_counts",
        include_str!("../migrations/postgres/0011_customer_counts.sql"),
    ),
    (
        12,
        "customer_country",
        include_str!("../migrations/postgres/0012_customer_country.sql"),
    ),
    (
        13,
        "customer_search",
        include_str!("../migrations/postgres/0013_customer_search.sql"),
    ),
];

pub fn list(backend: Backend) -> &'static [(i64, &'static str, &'static str)] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

pub fn latest(backend: Backend) -> i64 {
    list(backend).iter().map(|m| m.0).max().unwrap_or(0)
}

pub fn migrator(backend: Backend) -> Migrator {
    Migrator::with_migrations(
        list(backend)
            .iter()
            .map(|(v, d, sql)| {
                Migration::new(
                    *v,
                    Cow::Borrowed(*d),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions_on_disk(dir: &str) -> Vec<i64> {
        let path = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<i64> = std::fs::read_dir(path)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.split('_').next()?.parse().ok())
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn both_trees_have_the_same_versions_and_all_are_embedded() {
        let sqlite: Vec<i64> = SQLITE.iter().map(|m| m.0).collect();
        let postgres: Vec<i64> = POSTGRES.iter().map(|m| m.0).collect();
        assert_eq!(sqlite, postgres);
        assert_eq!(versions_on_disk("sqlite"), sqlite);
        assert_eq!(versions_on_disk("postgres"), postgres);
        assert!(!sqlite.is_empty());
    }
}
