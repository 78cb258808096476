//! One error type for both backends; constraint violations are normalised to the
//! unique index name (`users_email_norm_key`), whichever database raised them.

/// Unique indexes SQLite does not name in its message: it lists the columns
/// (`UNIQUE constraint failed: t.a, t.b`), which for these partial indexes would
/// not give their names back.
const NAMED_BY_COLUMNS: &[(&str, &str)] = &[
    (
        "partner_relationships.provider_organization_id, partner_relationships.reseller_organization_id",
        "partner_relationships_active_pair",
    ),
    (
        "customer_relationships.customer_id, customer_relationships.partner_organization_id",
        "customer_relationships_active_pair",
    ),
    (
        "delegated_admin_relationships.partner_organization_id, delegated_admin_relationships.customer_id",
        "delegated_admin_relationships_active_pair",
    ),
];

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the row; the name is the index's (same on both backends).
    #[error("unique constraint {0} violated")]
    Unique(String),
    /// A stored value could not be read back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(sqlx::Error),
}

impl StoreError {
    pub fn is_unique(&self, index: &str) -> bool {
        matches!(self, Self::Unique(name) if name == index)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.kind() == sqlx::error::ErrorKind::UniqueViolation
        {
            if let Some(name) = db.constraint() {
                return Self::Unique(name.to_owned());
            }
            // SQLite: "UNIQUE constraint failed: users.email_norm[, users.x]"
            if let Some(cols) = db.message().strip_prefix("UNIQUE constraint failed: ") {
                if let Some((_, name)) = NAMED_BY_COLUMNS.iter().find(|(c, _)| *c == cols) {
                    return Self::Unique((*name).to_owned());
                }
                let mut table = "";
                let mut names = Vec::new();
                for part in cols.split(", ") {
                    if let Some((t, c)) = part.split_once('.') {
                        table = t;
                        names.push(c);
                    }
                }
                return Self::Unique(format!("{table}_{}_key", names.join("_")));
            }
        }
        Self::Db(e)
    }
}
