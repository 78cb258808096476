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
    (
        14,
        "status_checks",
        include_str!("../migrations/sqlite/0014_status_checks.sql"),
    ),
    (
        15,
        "native_booleans",
        include_str!("../migrations/sqlite/0015_native_booleans.sql"),
    ),
    (
        16,
        "active_pairs",
        include_str!("../migrations/sqlite/0016_active_pairs.sql"),
    ),
    (
        17,
        "role_rows",
        include_str!("../migrations/sqlite/0017_role_rows.sql"),
    ),
    (
        18,
        "provider_and_incident_rows",
        include_str!("../migrations/sqlite/0018_provider_and_incident_rows.sql"),
    ),
    (
        19,
        "offer_terms",
        include_str!("../migrations/sqlite/0019_offer_terms.sql"),
    ),
    (
        20,
        "new_commerce_subscriptions",
        include_str!("../migrations/sqlite/0020_new_commerce_subscriptions.sql"),
    ),
    (
        21,
        "prices_and_ledger",
        include_str!("../migrations/sqlite/0021_prices_and_ledger.sql"),
    ),
    (
        22,
        "invoices",
        include_str!("../migrations/sqlite/0022_invoices.sql"),
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
    (
        14,
        "status_checks",
        include_str!("../migrations/postgres/0014_status_checks.sql"),
    ),
    (
        15,
        "native_booleans",
        include_str!("../migrations/postgres/0015_native_booleans.sql"),
    ),
    (
        16,
        "active_pairs",
        include_str!("../migrations/postgres/0016_active_pairs.sql"),
    ),
    (
        17,
        "role_rows",
        include_str!("../migrations/postgres/0017_role_rows.sql"),
    ),
    (
        18,
        "provider_and_incident_rows",
        include_str!("../migrations/postgres/0018_provider_and_incident_rows.sql"),
    ),
    (
        19,
        "offer_terms",
        include_str!("../migrations/postgres/0019_offer_terms.sql"),
    ),
    (
        20,
        "new_commerce_subscriptions",
        include_str!("../migrations/postgres/0020_new_commerce_subscriptions.sql"),
    ),
    (
        21,
        "prices_and_ledger",
        include_str!("../migrations/postgres/0021_prices_and_ledger.sql"),
    ),
    (
        22,
        "invoices",
        include_str!("../migrations/postgres/0022_invoices.sql"),
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
    migrator_to(backend, i64::MAX)
}

/// The migrations up to and including `version`: the schema an earlier release left.
pub fn migrator_to(backend: Backend, version: i64) -> Migrator {
    Migrator::with_migrations(
        list(backend)
            .iter()
            .filter(|(v, _, _)| *v <= version)
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

    /// Each status column's CHECK (PostgreSQL) and triggers (SQLite) accept exactly
    /// the values of its enum in the domain.
    #[test]
    fn status_checks_match_the_domain() {
        use partnerd_domain::states::*;
        let columns: &[(&str, &str, String)] = &[
            (
                "audit_records",
                "operation_status",
                OperationStatus::sql_list(),
            ),
            ("outbox", "status", OutboxStatus::sql_list()),
            ("offers", "status", OfferStatus::sql_list()),
            (
                "organizations",
                "enrollment_status",
                EnrollmentStatus::sql_list(),
            ),
            ("enrollments", "status", EnrollmentStatus::sql_list()),
            (
                "reseller_invitations",
                "status",
                ResellerInvitationStatus::sql_list(),
            ),
            (
                "partner_relationships",
                "state",
                ResellerRelationshipStatus::sql_list(),
            ),
            (
                "customer_requests",
                "status",
                RelationshipRequestStatus::sql_list(),
            ),
            (
                "customer_relationships",
                "state",
                CustomerRelationshipStatus::sql_list(),
            ),
            (
                "delegated_admin_relationships",
                "status",
                DelegatedAdminStatus::sql_list(),
            ),
            ("orders", "status", OrderStatus::sql_list()),
            ("subscriptions", "status", SubscriptionStatus::sql_list()),
            (
                "service_requests",
                "status",
                ServiceRequestStatus::sql_list(),
            ),
            (
                "service_incidents",
                "status",
                ServiceIncidentStatus::sql_list(),
            ),
            (
                "webhook_deliveries",
                "status",
                WebhookDeliveryStatus::sql_list(),
            ),
        ];
        // The latest definition of each check counts: later versions may widen one.
        let pg: String = POSTGRES.iter().map(|m| m.2).collect::<Vec<_>>().join("\n");
        let lite: String = SQLITE.iter().map(|m| m.2).collect::<Vec<_>>().join("\n");
        let last_after = |text: &str, start: &str| -> Option<String> {
            let at = text.rfind(start)?;
            let rest = &text[at..];
            Some(rest[..rest.find(";")?].to_owned())
        };
        for (table, column, list) in columns {
            let check = format!(
                "ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_check CHECK ({column} IN ({list}))"
            );
            let found = last_after(&pg, &format!("ADD CONSTRAINT {table}_{column}_check CHECK"));
            assert!(
                found.as_deref().is_some_and(|f| check.ends_with(f)),
                "PostgreSQL's latest check is {found:?}, not {check}"
            );
            for (event, name) in [
                ("INSERT ON".to_owned(), "insert"),
                (format!("UPDATE OF {column} ON"), "update"),
            ] {
                let trigger = format!(
                    "CREATE TRIGGER {table}_{column}_check_{name} BEFORE {event} {table}\nWHEN NEW.{column} NOT IN ({list})\n"
                );
                let found = last_after(
                    &lite,
                    &format!("CREATE TRIGGER {table}_{column}_check_{name} "),
                );
                assert!(
                    found.as_deref().is_some_and(|f| f.starts_with(&trigger)),
                    "SQLite's latest trigger is {found:?}, not {trigger}"
                );
            }
        }
        let first = include_str!("../migrations/postgres/0014_status_checks.sql");
        assert_eq!(
            first.matches("ADD CONSTRAINT").count(),
            columns.len() + 1,
            "a check without its enum (idempotency_keys.state is the one plain list)"
        );
    }
}
