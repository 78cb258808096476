//! Indirect-provider authorisations and the directory listing each keeps.

use crate::Row;
use partnerd_domain::ids::OrgId;
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

/// A provider's authorisation and listing, with its organisation's name.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRow {
    pub organization_id: OrgId,
    pub name: String,
    /// Comma separated.
    pub countries: String,
    /// Comma separated.
    pub product_families: String,
    pub authorized_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
    pub listed: bool,
    pub description: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
}

/// The columns of a provider read from `p` (provider_authorizations), its
/// organisation's name from `name`, the countries and families from their rows.
fn columns(name: &str) -> String {
    format!(
        "p.organization_id AS organization_id, {name} AS name, {} AS countries, {} AS product_families, \
         p.authorized_at AS authorized_at, p.updated_at AS updated_at, p.version AS version, p.listed AS listed, \
         p.description AS description, p.website AS website, p.contact_email AS contact_email",
        crate::sets::PROVIDER_COUNTRIES.list_of("p.organization_id"),
        crate::sets::PROVIDER_FAMILIES.list_of("p.organization_id"),
    )
}

impl ProviderRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            organization_id: r.try_get("organization_id")?,
            name: r.try_get("name")?,
            countries: r.try_get("countries")?,
            product_families: r.try_get("product_families")?,
            authorized_at: r.try_get("authorized_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
            listed: r.try_get::<bool>("listed")?,
            description: r.try_get("description")?,
            website: r.try_get("website")?,
            contact_email: r.try_get("contact_email")?,
        })
    }
}

pub async fn get(conn: &mut Conn, organization_id: &OrgId) -> StoreResult<Option<ProviderRow>> {
    let row = crate::query(format!(
        "SELECT {} FROM provider_authorizations p JOIN organizations o ON o.id = p.organization_id \
         WHERE p.organization_id = $1",
        columns("o.name")
    ))
    .bind(organization_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| ProviderRow::read(&r)).transpose()
}

/// Creates or replaces the authorisation's countries and families; a new one is
/// listed in the directory.
pub async fn authorize(
    conn: &mut Conn,
    organization_id: &OrgId,
    name: &str,
    countries: &str,
    families: &str,
    now: Timestamp,
) -> StoreResult<()> {
    crate::query(
        "INSERT INTO provider_authorizations (organization_id, authorized_at, \
         updated_at, version, listed, name_sort) VALUES ($1, $2, $2, 1, TRUE, $3) \
         ON CONFLICT (organization_id) DO UPDATE SET updated_at = $2, \
         version = provider_authorizations.version + 1, name_sort = $3",
    )
    .bind(organization_id)
    .bind(now)
    .bind(name.to_lowercase())
    .execute(&mut *conn)
    .await?;
    let list = |s: &'_ str| -> Vec<String> {
        s.split(',')
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    };
    for (names, values) in [
        (&crate::sets::PROVIDER_COUNTRIES, list(countries)),
        (&crate::sets::PROVIDER_FAMILIES, list(families)),
    ] {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        names
            .replace(conn, organization_id.as_str(), &values)
            .await?;
    }
    Ok(())
}

pub async fn withdraw(conn: &mut Conn, organization_id: &OrgId) -> StoreResult<bool> {
    for names in [
        &crate::sets::PROVIDER_COUNTRIES,
        &crate::sets::PROVIDER_FAMILIES,
    ] {
        names.replace(conn, organization_id.as_str(), &[]).await?;
    }
    let done = crate::query("DELETE FROM provider_authorizations WHERE organization_id = $1")
        .bind(organization_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes the listing's own fields; bumps the version.
pub async fn update_listing(conn: &mut Conn, p: &ProviderRow, now: Timestamp) -> StoreResult<()> {
    crate::query(
        "UPDATE provider_authorizations SET listed = $1, description = $2, website = $3, contact_email = $4, \
         updated_at = $5, version = version + 1 WHERE organization_id = $6",
    )
    .bind(p.listed)
    .bind(&p.description)
    .bind(&p.website)
    .bind(&p.contact_email)
    .bind(now)
    .bind(&p.organization_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters of the directory.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    pub country: Option<String>,
    /// Name contains, case-insensitive.
    pub name: Option<String>,
    pub product_family: Option<String>,
}

/// The providers authorised for `product_family`, by id.
pub async fn authorized_for_family(
    conn: &mut Conn,
    product_family: &str,
) -> StoreResult<Vec<OrgId>> {
    crate::query(
        "SELECT organization_id FROM provider_product_families WHERE product_family = $1 \
         ORDER BY organization_id",
    )
    .bind(product_family)
    .fetch_all_scalar(conn)
    .await
}

/// Listed providers, by name.
pub async fn directory(
    conn: &mut Conn,
    q: &DirectoryQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<ProviderRow>> {
    let mut f = Filter::new();
    f.and("listed = TRUE", []);
    if let Some(c) = &q.country {
        f.and(
            &crate::sets::PROVIDER_COUNTRIES.holds("p.organization_id", "?"),
            [Arg::text(c)],
        );
    }
    if let Some(pf) = &q.product_family {
        f.and(
            &crate::sets::PROVIDER_FAMILIES.holds("p.organization_id", "?"),
            [Arg::text(pf)],
        );
    }
    if let Some(n) = q.name.as_deref().filter(|n| !n.is_empty()) {
        f.and(
            "name_sort LIKE ? ESCAPE '\\'",
            [Arg::Text(format!("%{}", crate::users::like_prefix(n)))],
        );
    }
    // by_text reads FROM provider_authorizations: `p` names it for the columns.
    let columns = columns("(SELECT name FROM organizations o WHERE o.id = p.organization_id)");
    crate::sql::by_text(
        conn,
        f,
        "provider_authorizations p",
        &columns,
        "name_sort",
        "organization_id",
        page,
        ProviderRow::read,
    )
    .await
}
