//! The vendor's catalog.

use crate::Row;
use partnerd_domain::money::Money;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

/// A stored offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRow {
    pub id: String,
    pub name: String,
    pub product_family: String,
    pub billing_cycle: String,
    pub unit_price: Money,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub requires_admin_agent: bool,
    pub status: OfferStatus,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "id, name, product_family, billing_cycle, unit_price_minor, currency, min_quantity, \
     max_quantity, requires_admin_agent, status, description, created_at, updated_at, version";

impl OfferRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            product_family: r.try_get("product_family")?,
            billing_cycle: r.try_get("billing_cycle")?,
            unit_price: r.money("unit_price_minor", "currency")?,
            min_quantity: r.try_get("min_quantity")?,
            max_quantity: r.try_get("max_quantity")?,
            requires_admin_agent: r.try_get::<bool>("requires_admin_agent")?,
            status: r.try_get("status")?,
            description: r.try_get("description")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert(conn: &mut Conn, o: &OfferRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO offers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&o.id)
    .bind(&o.name)
    .bind(&o.product_family)
    .bind(&o.billing_cycle)
    .bind(o.unit_price.minor())
    .bind(o.unit_price.currency())
    .bind(o.min_quantity)
    .bind(o.max_quantity)
    .bind(o.requires_admin_agent)
    .bind(o.status)
    .bind(&o.description)
    .bind(o.created_at)
    .bind(o.updated_at)
    .bind(o.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every field but the id if the row is still at `o.version`; bumps the
/// version. False when another transaction changed it first.
pub async fn update(conn: &mut Conn, o: &OfferRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE offers SET name = $1, product_family = $2, billing_cycle = $3, unit_price_minor = $4, currency = $5, \
         min_quantity = $6, max_quantity = $7, requires_admin_agent = $8, status = $9, description = $10, \
         updated_at = $11, version = version + 1 WHERE id = $12 AND version = $13",
    )
    .bind(&o.name)
    .bind(&o.product_family)
    .bind(&o.billing_cycle)
    .bind(o.unit_price.minor())
    .bind(o.unit_price.currency())
    .bind(o.min_quantity)
    .bind(o.max_quantity)
    .bind(o.requires_admin_agent)
    .bind(o.status)
    .bind(&o.description)
    .bind(o.updated_at)
    .bind(&o.id)
    .bind(o.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(conn: &mut Conn, id: &str) -> StoreResult<Option<OfferRow>> {
    let row = crate::query(format!("SELECT {COLUMNS} FROM offers WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| OfferRow::read(&r)).transpose()
}

/// Filters of the catalog.
#[derive(Debug, Clone, Default)]
pub struct OfferQuery {
    pub product_family: Option<String>,
    pub billing_cycle: Option<String>,
    /// None = every status.
    pub status: Option<OfferStatus>,
    /// Name contains, case-insensitive.
    pub q: Option<String>,
}

pub async fn list(
    conn: &mut Conn,
    q: &OfferQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<OfferRow>> {
    let mut f = Filter::new();
    if let Some(v) = &q.product_family {
        f.and("product_family = ?", [Arg::Text(v.clone())]);
    }
    if let Some(v) = &q.billing_cycle {
        f.and("billing_cycle = ?", [Arg::Text(v.clone())]);
    }
    if let Some(v) = q.status {
        f.state_is("status", v.as_str());
    }
    if let Some(v) = q.q.as_deref().filter(|v| !v.is_empty()) {
        f.and(
            "LOWER(name) LIKE ? ESCAPE '\\'",
            [Arg::Text(format!("%{}", crate::users::like_prefix(v)))],
        );
    }
    crate::sql::newest_first(
        conn,
        f,
        "offers",
        COLUMNS,
        "created_at",
        page,
        OfferRow::read,
    )
    .await
}

/// `(family, requires admin agent)`: distinct families, by name.
pub async fn families(conn: &mut Conn) -> StoreResult<Vec<(String, bool)>> {
    let rows = crate::query(
        "SELECT product_family, CAST(MAX(CASE WHEN requires_admin_agent THEN 1 ELSE 0 END) AS BIGINT) AS raa FROM offers GROUP BY product_family ORDER BY product_family",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("product_family")?, r.try_get::<i64>("raa")? != 0)))
        .collect()
}
