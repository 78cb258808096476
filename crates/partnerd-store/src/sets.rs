//! Names a row holds (a user's or an API key's roles, an organisation's
//! programmes, a provider's countries and product families, an incident's
//! families, an offer's upgrade targets and prerequisites): one row per holder and
//! name in a child table (whose CHECK knows the names where the schema does),
//! replaced whole on each write and read back as one comma list, which the row
//! readers parse (an unknown role is `Corrupt`).

use crate::{Conn, StoreResult};

/// A child table of names.
pub(crate) struct Names {
    table: &'static str,
    owner: &'static str,
    name: &'static str,
    /// Whether the order the names were given in is kept (a `position` column);
    /// otherwise they read back sorted by name.
    positioned: bool,
}

pub(crate) const USER_ROLES: Names = Names {
    table: "user_roles",
    owner: "user_id",
    name: "role",
    positioned: false,
};

pub(crate) const API_KEY_ROLES: Names = Names {
    table: "api_key_roles",
    owner: "api_key_id",
    name: "role",
    positioned: false,
};

pub(crate) const PROVIDER_COUNTRIES: Names = Names {
    table: "provider_countries",
    owner: "organization_id",
    name: "country",
    positioned: true,
};

pub(crate) const PROVIDER_FAMILIES: Names = Names {
    table: "provider_product_families",
    owner: "organization_id",
    name: "product_family",
    positioned: true,
};

pub(crate) const INCIDENT_FAMILIES: Names = Names {
    table: "incident_product_families",
    owner: "incident_id",
    name: "product_family",
    positioned: true,
};

pub(crate) const OFFER_UPGRADE_TARGETS: Names = Names {
    table: "offer_upgrade_targets",
    owner: "offer_id",
    name: "target_offer_id",
    positioned: true,
};

pub(crate) const OFFER_PREREQUISITES: Names = Names {
    table: "offer_prerequisites",
    owner: "offer_id",
    name: "prerequisite_offer_id",
    positioned: true,
};

pub(crate) const ORGANIZATION_PROGRAMS: Names = Names {
    table: "organization_programs",
    owner: "organization_id",
    name: "program",
    positioned: false,
};

impl Names {
    /// A select expression: the names of the row whose id is the SQL expression
    /// `owner` (such as `u.id`), comma-separated, `''` when there are none.
    /// `string_agg` with ORDER BY is PostgreSQL's and, since 3.44, SQLite's.
    pub(crate) fn list_of(&self, owner: &str) -> String {
        format!(
            "COALESCE((SELECT string_agg(n.{name}, ',' ORDER BY n.{order}) FROM {table} n \
             WHERE n.{column} = {owner}), '')",
            name = self.name,
            table = self.table,
            column = self.owner,
            order = if self.positioned {
                "position"
            } else {
                self.name
            },
        )
    }

    /// A condition: the row whose id is the SQL expression `owner` holds the name
    /// bound at `param` (`?` in a filter, `$n` in a statement).
    pub(crate) fn holds(&self, owner: &str, param: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {table} n WHERE n.{column} = {owner} AND n.{name} = {param})",
            name = self.name,
            table = self.table,
            column = self.owner,
        )
    }

    /// A condition: the row whose id is the SQL expression `owner` holds one of
    /// `count` names, bound as the filter's next `?`s.
    pub(crate) fn holds_any(&self, owner: &str, count: usize) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {table} n WHERE n.{column} = {owner} AND n.{name} IN ({params}))",
            name = self.name,
            table = self.table,
            column = self.owner,
            params = vec!["?"; count].join(", "),
        )
    }

    /// Makes `names` the names `owner` holds (a repeated name counts once).
    /// `owner` is text because the holder is of any kind (user, key, organisation,
    /// incident): the child table decides which.
    pub(crate) async fn replace(
        &self,
        conn: &mut Conn,
        owner: &str,
        names: &[&str],
    ) -> StoreResult<()> {
        crate::query(format!(
            "DELETE FROM {} WHERE {} = $1",
            self.table, self.owner
        ))
        .bind(owner)
        .execute(&mut *conn)
        .await?;
        let mut seen: Vec<&str> = Vec::with_capacity(names.len());
        for name in names {
            if seen.contains(name) {
                continue;
            }
            seen.push(name);
            let position = i64::try_from(seen.len() - 1).unwrap_or(i64::MAX);
            let q = if self.positioned {
                crate::query(format!(
                    "INSERT INTO {} ({}, {}, position) VALUES ($1, $2, $3)",
                    self.table, self.owner, self.name
                ))
                .bind(owner)
                .bind(*name)
                .bind(position)
            } else {
                crate::query(format!(
                    "INSERT INTO {} ({}, {}) VALUES ($1, $2)",
                    self.table, self.owner, self.name
                ))
                .bind(owner)
                .bind(*name)
            };
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// The select list of `columns` read from `table` (a table or its alias), each
/// named `{prefix}{column}`, with `extra` expressions `(sql, name)` after them.
pub(crate) fn select_list(
    table: &str,
    prefix: &str,
    columns: &str,
    extra: &[(String, &str)],
) -> String {
    columns
        .split(',')
        .map(str::trim)
        .map(|c| format!("{table}.{c} AS {prefix}{c}"))
        .chain(
            extra
                .iter()
                .map(|(sql, name)| format!("{sql} AS {prefix}{name}")),
        )
        .collect::<Vec<_>>()
        .join(", ")
}
