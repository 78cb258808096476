//! A seller's repricing configs (API-billing.md §5.2): one per (seller, tier,
//! buyer or default, effective month), private to the seller.

use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{OrgId, RepricingConfigId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::time::Timestamp;

use crate::Row;
use crate::sql::{Arg, Filter, PageOf};
use crate::{Conn, StoreError, StoreResult};

/// What an override matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    OfferId(String),
    ProductFamily(String),
}

/// One override: a condition and its percentage in hundredths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub condition: Condition,
    pub adjustment_bp: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepricingConfigRow {
    pub id: RepricingConfigId,
    pub seller_organization_id: OrgId,
    pub tier: Tier,
    pub buyer_organization_id: Option<OrgId>,
    pub effective_from: Month,
    pub adjustment_bp: i64,
    pub overrides: Vec<Override>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "id, seller_organization_id, tier, buyer_organization_id, effective_from, adjustment_bp, \
     overrides, created_at, created_by, updated_at, version";

fn overrides_json(o: &[Override]) -> String {
    let items: Vec<serde_json::Value> = o
        .iter()
        .map(|o| {
            let (k, v) = match &o.condition {
                Condition::OfferId(v) => ("offerId", v),
                Condition::ProductFamily(v) => ("productFamily", v),
            };
            serde_json::json!({ k: v, "percentage": o.adjustment_bp })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn overrides_from(raw: &str) -> StoreResult<Vec<Override>> {
    let bad = || StoreError::Corrupt(format!("repricing overrides '{raw}'"));
    let v: serde_json::Value = serde_json::from_str(raw).map_err(|_| bad())?;
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|o| {
            let bp = o
                .get("percentage")
                .and_then(|p| p.as_i64())
                .ok_or_else(bad)?;
            let condition = match (o.get("offerId"), o.get("productFamily")) {
                (Some(id), None) => Condition::OfferId(id.as_str().ok_or_else(bad)?.to_owned()),
                (None, Some(f)) => Condition::ProductFamily(f.as_str().ok_or_else(bad)?.to_owned()),
                _ => return Err(bad()),
            };
            Ok(Override {
                condition,
                adjustment_bp: bp,
            })
        })
        .collect()
}

impl RepricingConfigRow {
    fn read(r: &Row) -> StoreResult<Self> {
        let overrides: String = r.try_get("overrides")?;
        Ok(Self {
            id: r.try_get("id")?,
            seller_organization_id: r.try_get("seller_organization_id")?,
            tier: r.try_get("tier")?,
            buyer_organization_id: r.try_get("buyer_organization_id")?,
            effective_from: r.try_get("effective_from")?,
            adjustment_bp: r.try_get("adjustment_bp")?,
            overrides: overrides_from(&overrides)?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }

    /// `b` for an offer: the first matching override, else the adjustment; and
    /// what matched (`offer`, `productFamily`, `default`).
    pub fn adjustment_for(&self, offer_id: &str, product_family: &str) -> (i64, &'static str) {
        for o in &self.overrides {
            match &o.condition {
                Condition::OfferId(id) if id == offer_id => return (o.adjustment_bp, "offer"),
                Condition::ProductFamily(f) if f == product_family => {
                    return (o.adjustment_bp, "productFamily");
                }
                _ => {}
            }
        }
        (self.adjustment_bp, "default")
    }
}

/// Writes a new config; false if one already holds its (seller, tier, buyer,
/// month).
pub async fn insert(conn: &mut Conn, c: &RepricingConfigRow) -> StoreResult<bool> {
    let done = crate::query(
        "INSERT INTO repricing_configs (id, seller_organization_id, tier, buyer_organization_id, effective_from, \
         adjustment_bp, overrides, created_at, created_by, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) ON CONFLICT DO NOTHING",
    )
    .bind(&c.id)
    .bind(&c.seller_organization_id)
    .bind(c.tier)
    .bind(&c.buyer_organization_id)
    .bind(c.effective_from)
    .bind(c.adjustment_bp)
    .bind(overrides_json(&c.overrides))
    .bind(c.created_at)
    .bind(&c.created_by)
    .bind(c.updated_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes the adjustment and overrides if the row is still at `c.version`.
pub async fn update(conn: &mut Conn, c: &RepricingConfigRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE repricing_configs SET adjustment_bp = $1, overrides = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(c.adjustment_bp)
    .bind(overrides_json(&c.overrides))
    .bind(c.updated_at)
    .bind(&c.id)
    .bind(c.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(conn: &mut Conn, id: &RepricingConfigId) -> StoreResult<bool> {
    let done = crate::query("DELETE FROM repricing_configs WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(
    conn: &mut Conn,
    id: &RepricingConfigId,
) -> StoreResult<Option<RepricingConfigRow>> {
    let row = crate::query(format!(
        "SELECT {COLUMNS} FROM repricing_configs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(RepricingConfigRow::read).transpose()
}

/// The config in force for (seller, tier, buyer, month) (§5.1): the buyer's own
/// with the greatest `effectiveFrom ≤ month`; if the buyer has none in force that
/// month, the seller's default the same way.
pub async fn in_force(
    conn: &mut Conn,
    seller: &OrgId,
    tier: Tier,
    buyer: &OrgId,
    month: Month,
) -> StoreResult<Option<RepricingConfigRow>> {
    let own = crate::query(format!(
        "SELECT {COLUMNS} FROM repricing_configs WHERE seller_organization_id = $1 AND tier = $2 \
         AND buyer_organization_id = $3 AND effective_from <= $4 ORDER BY effective_from DESC LIMIT 1"
    ))
    .bind(seller)
    .bind(tier)
    .bind(buyer)
    .bind(month)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = own {
        return RepricingConfigRow::read(&r).map(Some);
    }
    let default = crate::query(format!(
        "SELECT {COLUMNS} FROM repricing_configs WHERE seller_organization_id = $1 AND tier = $2 \
         AND buyer_organization_id IS NULL AND effective_from <= $3 ORDER BY effective_from DESC LIMIT 1"
    ))
    .bind(seller)
    .bind(tier)
    .bind(month)
    .fetch_optional(conn)
    .await?;
    default.as_ref().map(RepricingConfigRow::read).transpose()
}

/// Which configs a list reads: the seller's, optionally one tier, one buyer
/// (`Some(None)`: the defaults) and one month.
#[derive(Debug, Clone)]
pub struct ConfigQuery {
    pub seller: OrgId,
    pub tier: Option<Tier>,
    pub buyer: Option<Option<OrgId>>,
    pub effective_from: Option<Month>,
}

/// Every matching config, defaults first, then by buyer, newest month first;
/// paged by offset (a seller has few).
pub async fn list(
    conn: &mut Conn,
    q: &ConfigQuery,
    offset: i64,
    size: i64,
) -> StoreResult<PageOf<RepricingConfigRow>> {
    let mut f = Filter::new();
    f.and("seller_organization_id = ?", [Arg::text(&q.seller)]);
    if let Some(t) = q.tier {
        f.and("tier = ?", [Arg::text(t.as_str())]);
    }
    match &q.buyer {
        Some(Some(b)) => {
            f.and("buyer_organization_id = ?", [Arg::text(b)]);
        }
        Some(None) => {
            f.and("buyer_organization_id IS NULL", []);
        }
        None => {}
    }
    if let Some(m) = q.effective_from {
        f.and("effective_from = ?", [Arg::text(m.to_string())]);
    }
    let total = f
        .query(format!(
            "SELECT COUNT(*) FROM repricing_configs{}",
            f.where_clause()
        ))
        .fetch_scalar::<i64>(&mut *conn)
        .await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM repricing_configs{} ORDER BY COALESCE(buyer_organization_id, ''), tier, \
         effective_from DESC LIMIT {} OFFSET {}",
        f.where_clause(),
        size + 1,
        offset.max(0)
    );
    let rows = f.query(sql).fetch_all(conn).await?;
    let mut rows = rows
        .iter()
        .map(RepricingConfigRow::read)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(0));
    Ok(PageOf {
        rows,
        more,
        total: Some(total),
    })
}

/// The earliest month after `month` in which one of the seller's configs for
/// `buyer` (its own or the default) starts at `tier`.
pub async fn next_month(
    conn: &mut Conn,
    seller: &OrgId,
    tier: Tier,
    buyer: &OrgId,
    month: Month,
) -> StoreResult<Option<Month>> {
    crate::query(
        "SELECT MIN(effective_from) FROM repricing_configs WHERE seller_organization_id = $1 AND tier = $2 \
         AND (buyer_organization_id = $3 OR buyer_organization_id IS NULL) AND effective_from > $4",
    )
    .bind(seller)
    .bind(tier)
    .bind(buyer)
    .bind(month.to_string())
    .fetch_scalar::<Option<String>>(conn)
    .await
    .map(|m| m.as_deref().and_then(Month::parse))
}
