//! The vendor's catalog: offers, the plans each sells (a term duration with a
//! billing frequency), the monthly versions of their list prices, and the offers
//! an offer upgrades to or needs (API-billing.md §2, §2.1).
//!
//! A price version holds one price per plan and takes effect on the first of its
//! month; the version effective for month M is the one with the greatest
//! `effective_from ≤ M`. Plans are never removed, and a plan added later is priced
//! in the version effective when it was added and every later one, so the plans a
//! version prices only grow from one version to the next.

use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{ApiKeyId, UserId};
use partnerd_domain::money::Money;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::terms::{BillingFrequency, Plan, TermDuration};
use partnerd_domain::time::Timestamp;

use crate::sets::{OFFER_PREREQUISITES, OFFER_UPGRADE_TARGETS};
use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, Row, StoreError, StoreResult};

/// An offer's trial: its length and the most seats a trial may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trial {
    pub days: i64,
    pub max_quantity: i64,
}

/// A stored offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRow {
    pub id: String,
    pub name: String,
    pub product_family: String,
    /// The v1 `billingCycle`: the default plan's ([`Plan::billing_cycle`]).
    /// Derived when read; writes take the default plan.
    pub billing_cycle: String,
    /// The v1 `unitPrice`: the default plan's price in the version effective this
    /// month by the connection's clock (before the first version, the first
    /// version's). Its currency is the offer's; the amount is only read, prices
    /// are written as versions.
    pub unit_price: Money,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub requires_admin_agent: bool,
    pub status: OfferStatus,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
    /// The plan an order gets when it names none (`defaultTerm`).
    pub default_plan: Plan,
    /// Seats one customer may hold across all partners; None = no cap.
    pub max_quantity_per_customer: Option<i64>,
    pub trial: Option<Trial>,
    /// Offer ids, in the order the operator gave them.
    pub upgrade_targets: Vec<String>,
    /// Offer ids; non-empty makes the offer an add-on.
    pub prerequisite_offer_ids: Vec<String>,
}

/// Who wrote a price version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorKind {
    User,
    ApiKey,
    /// The platform itself (the upgrade that priced the offers of earlier releases).
    System,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ApiKey => "apiKey",
            Self::System => "system",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "user" => Ok(Self::User),
            "apiKey" => Ok(Self::ApiKey),
            "system" => Ok(Self::System),
            other => Err(StoreError::Corrupt(format!(
                "unknown author kind '{other}' of a price version"
            ))),
        }
    }
}

/// The person, key or process that wrote a price version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub kind: AuthorKind,
    pub user_id: Option<UserId>,
    pub api_key_id: Option<ApiKeyId>,
    /// A user's e-mail, a key's name, or what the system was doing.
    pub name: Option<String>,
}

/// One month's list prices of an offer: a price per plan, in minor units of the
/// offer's currency, per seat and billing period.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceVersionRow {
    pub offer_id: String,
    pub effective_from: Month,
    /// When the prices as they stand were written, and by whom.
    pub created_at: Timestamp,
    pub created_by: Author,
    /// In the order of the offer's plans.
    pub prices: Vec<(Plan, i64)>,
}

/// A plan of an offer with its price for the month asked.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedPlan {
    pub offer_id: String,
    pub plan: Plan,
    /// None when the version effective for the month does not price the plan
    /// (a month before the plan was added).
    pub unit_price: Option<i64>,
}

/// The offer's own columns, read and written as they are.
const OWN: &str = "id, name, product_family, currency, min_quantity, max_quantity, \
     requires_admin_agent, status, description, created_at, updated_at, version, \
     default_term_duration, default_billing_frequency, max_quantity_per_customer, \
     trial_days, trial_max_quantity";

/// A month as an SQL literal. Only a parsed [`Month`] comes here, and its text is
/// digits and one dash, so it is written into statements whose other arguments are
/// numbered by a [`Filter`].
fn month_literal(m: Month) -> String {
    format!("'{m}'")
}

/// The version of offer `offer` (an SQL expression) that prices month `m`: the
/// greatest `effective_from ≤ m`, or the first version for a month before it.
fn shown_version(offer: &str, m: Month) -> String {
    let m = month_literal(m);
    format!(
        "COALESCE((SELECT MAX(v.effective_from) FROM offer_price_versions v \
         WHERE v.offer_id = {offer} AND v.effective_from <= {m}), \
         (SELECT MIN(v.effective_from) FROM offer_price_versions v WHERE v.offer_id = {offer}))"
    )
}

/// The select list of an offer row, its price read for month `m`.
fn select_list(m: Month) -> String {
    let price = format!(
        "(SELECT p.unit_price_minor FROM offer_prices p WHERE p.offer_id = offers.id \
         AND p.term_duration = offers.default_term_duration \
         AND p.billing_frequency = offers.default_billing_frequency \
         AND p.effective_from = {})",
        shown_version("offers.id", m)
    );
    format!(
        "{OWN}, {} AS upgrade_targets, {} AS prerequisite_offer_ids, {price} AS unit_price_minor",
        OFFER_UPGRADE_TARGETS.list_of("offers.id"),
        OFFER_PREREQUISITES.list_of("offers.id"),
    )
}

/// A plan kept in two columns; a pair the contract does not sell is corrupt.
fn plan_of(r: &Row, term: &str, frequency: &str) -> StoreResult<Plan> {
    let t: String = r.try_get(term)?;
    let f: String = r.try_get(frequency)?;
    Plan::parse(&t, &f).ok_or_else(|| StoreError::Corrupt(format!("unknown plan '{t} {f}'")))
}

fn ids_of(list: String) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl OfferRow {
    fn read(r: &Row) -> StoreResult<Self> {
        let id: String = r.try_get("id")?;
        let default_plan = plan_of(r, "default_term_duration", "default_billing_frequency")?;
        let price: Option<i64> = r.try_get("unit_price_minor")?;
        let price = price.ok_or_else(|| {
            StoreError::Corrupt(format!("offer {id} has no price for its default plan"))
        })?;
        let trial = match (
            r.try_get::<Option<i64>>("trial_days")?,
            r.try_get::<Option<i64>>("trial_max_quantity")?,
        ) {
            (Some(days), Some(max_quantity)) => Some(Trial { days, max_quantity }),
            (None, None) => None,
            _ => {
                return Err(StoreError::Corrupt(format!("offer {id} has half a trial")));
            }
        };
        Ok(Self {
            name: r.try_get("name")?,
            product_family: r.try_get("product_family")?,
            billing_cycle: default_plan.billing_cycle().to_owned(),
            unit_price: Money::new(price, r.try_get("currency")?),
            min_quantity: r.try_get("min_quantity")?,
            max_quantity: r.try_get("max_quantity")?,
            requires_admin_agent: r.try_get::<bool>("requires_admin_agent")?,
            status: r.try_get("status")?,
            description: r.try_get("description")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
            default_plan,
            max_quantity_per_customer: r.try_get("max_quantity_per_customer")?,
            trial,
            upgrade_targets: ids_of(r.try_get("upgrade_targets")?),
            prerequisite_offer_ids: ids_of(r.try_get("prerequisite_offer_ids")?),
            id,
        })
    }
}

async fn write_links(conn: &mut Conn, o: &OfferRow) -> StoreResult<()> {
    let targets: Vec<&str> = o.upgrade_targets.iter().map(String::as_str).collect();
    OFFER_UPGRADE_TARGETS.replace(conn, &o.id, &targets).await?;
    let needs: Vec<&str> = o
        .prerequisite_offer_ids
        .iter()
        .map(String::as_str)
        .collect();
    OFFER_PREREQUISITES.replace(conn, &o.id, &needs).await
}

/// Adds an offer with the plans it sells, in order, and its first price version
/// (which must price every plan). `o.billing_cycle` and the amount of
/// `o.unit_price` are not written: they are read from the default plan and the
/// versions.
pub async fn insert(
    conn: &mut Conn,
    o: &OfferRow,
    plans: &[Plan],
    first: &PriceVersionRow,
) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO offers ({OWN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17)"
    ))
    .bind(&o.id)
    .bind(&o.name)
    .bind(&o.product_family)
    .bind(o.unit_price.currency())
    .bind(o.min_quantity)
    .bind(o.max_quantity)
    .bind(o.requires_admin_agent)
    .bind(o.status)
    .bind(&o.description)
    .bind(o.created_at)
    .bind(o.updated_at)
    .bind(o.version)
    .bind(o.default_plan.term.as_str())
    .bind(o.default_plan.frequency.as_str())
    .bind(o.max_quantity_per_customer)
    .bind(o.trial.map(|t| t.days))
    .bind(o.trial.map(|t| t.max_quantity))
    .execute(&mut *conn)
    .await?;
    save_plans(conn, &o.id, plans).await?;
    put_version(conn, first).await?;
    write_links(conn, o).await
}

/// Writes every field but the id, the currency and the plans if the row is still
/// at `o.version`; bumps the version. False when another transaction changed it
/// first.
pub async fn update(conn: &mut Conn, o: &OfferRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE offers SET name = $1, product_family = $2, min_quantity = $3, max_quantity = $4, \
         requires_admin_agent = $5, status = $6, description = $7, updated_at = $8, \
         default_term_duration = $9, default_billing_frequency = $10, \
         max_quantity_per_customer = $11, trial_days = $12, trial_max_quantity = $13, \
         version = version + 1 WHERE id = $14 AND version = $15",
    )
    .bind(&o.name)
    .bind(&o.product_family)
    .bind(o.min_quantity)
    .bind(o.max_quantity)
    .bind(o.requires_admin_agent)
    .bind(o.status)
    .bind(&o.description)
    .bind(o.updated_at)
    .bind(o.default_plan.term.as_str())
    .bind(o.default_plan.frequency.as_str())
    .bind(o.max_quantity_per_customer)
    .bind(o.trial.map(|t| t.days))
    .bind(o.trial.map(|t| t.max_quantity))
    .bind(&o.id)
    .bind(o.version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_links(conn, o).await?;
    Ok(true)
}

/// The offer, its v1 price read for the connection's current month.
pub async fn get(conn: &mut Conn, id: &str) -> StoreResult<Option<OfferRow>> {
    let month = Month::of(conn.now());
    let row = crate::query(format!(
        "SELECT {} FROM offers WHERE id = $1",
        select_list(month)
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| OfferRow::read(&r)).transpose()
}

/// Filters of the catalog.
#[derive(Debug, Clone, Default)]
pub struct OfferQuery {
    pub product_family: Option<String>,
    /// Offers with a plan of this term (and of `billing_frequency`, when both
    /// are given: one plan matches both).
    pub term_duration: Option<TermDuration>,
    pub billing_frequency: Option<BillingFrequency>,
    /// Offers with at least one of these plans (the v1 `billingCycle` filter).
    pub any_plan: Option<Vec<Plan>>,
    /// Offers with (true) or without (false) a trial.
    pub trial: Option<bool>,
    /// Add-ons (true: with prerequisites) or not (false).
    pub add_on: Option<bool>,
    /// None = every status.
    pub status: Option<OfferStatus>,
    /// Name contains, case-insensitive.
    pub q: Option<String>,
}

/// One page of the catalog, newest first; v1 prices read for the connection's
/// current month.
pub async fn list(
    conn: &mut Conn,
    q: &OfferQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<OfferRow>> {
    let mut f = Filter::new();
    if let Some(v) = &q.product_family {
        f.and("product_family = ?", [Arg::Text(v.clone())]);
    }
    if q.term_duration.is_some() || q.billing_frequency.is_some() {
        let mut cond =
            String::from("EXISTS (SELECT 1 FROM offer_plans pl WHERE pl.offer_id = offers.id");
        let mut args = Vec::new();
        if let Some(t) = q.term_duration {
            cond.push_str(" AND pl.term_duration = ?");
            args.push(Arg::text(t.as_str()));
        }
        if let Some(b) = q.billing_frequency {
            cond.push_str(" AND pl.billing_frequency = ?");
            args.push(Arg::text(b.as_str()));
        }
        cond.push(')');
        f.and(&cond, args);
    }
    if let Some(plans) = &q.any_plan {
        let pairs = vec!["(pl.term_duration = ? AND pl.billing_frequency = ?)"; plans.len()];
        let cond = if plans.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!(
                "EXISTS (SELECT 1 FROM offer_plans pl WHERE pl.offer_id = offers.id AND ({}))",
                pairs.join(" OR ")
            )
        };
        f.and(
            &cond,
            plans
                .iter()
                .flat_map(|p| [Arg::text(p.term.as_str()), Arg::text(p.frequency.as_str())]),
        );
    }
    match q.trial {
        Some(true) => {
            f.and("trial_days IS NOT NULL", []);
        }
        Some(false) => {
            f.and("trial_days IS NULL", []);
        }
        None => {}
    }
    const HAS_PREREQUISITES: &str =
        "EXISTS (SELECT 1 FROM offer_prerequisites n WHERE n.offer_id = offers.id)";
    match q.add_on {
        Some(true) => {
            f.and(HAS_PREREQUISITES, []);
        }
        Some(false) => {
            f.and(&format!("NOT {HAS_PREREQUISITES}"), []);
        }
        None => {}
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
    let columns = select_list(Month::of(conn.now()));
    crate::sql::newest_first(
        conn,
        f,
        "offers",
        &columns,
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

/// `(id, name, product family)` of the offers among `ids` (of any status), in no
/// particular order; an id no offer has is left out.
pub async fn names_of(
    conn: &mut Conn,
    ids: &[String],
) -> StoreResult<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let slots: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let rows = crate::query(format!(
        "SELECT id, name, product_family FROM offers WHERE id IN ({})",
        slots.join(", ")
    ))
    .bind_all(ids.iter().map(|i| crate::Value::Text(Some(i.clone()))))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                r.try_get("product_family")?,
            ))
        })
        .collect()
}

/// The plans offer `offer_id` sells, in the catalog's order.
pub async fn plans(conn: &mut Conn, offer_id: &str) -> StoreResult<Vec<Plan>> {
    let rows = crate::query(
        "SELECT term_duration, billing_frequency FROM offer_plans WHERE offer_id = $1 \
         ORDER BY position, term_duration, billing_frequency",
    )
    .bind(offer_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| plan_of(r, "term_duration", "billing_frequency"))
        .collect()
}

/// Makes `plans` the first plans of the offer, in this order. A plan already sold
/// keeps its prices and only moves; one not named stays where it was, as plans are
/// never removed.
pub async fn save_plans(conn: &mut Conn, offer_id: &str, plans: &[Plan]) -> StoreResult<()> {
    for (position, p) in plans.iter().enumerate() {
        crate::query(
            "INSERT INTO offer_plans (offer_id, term_duration, billing_frequency, position) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (offer_id, term_duration, billing_frequency) \
             DO UPDATE SET position = excluded.position",
        )
        .bind(offer_id)
        .bind(p.term.as_str())
        .bind(p.frequency.as_str())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The operator's list price `u1` of `plan` of offer `offer_id` for month `month`
/// (API-billing.md §2.1): the plan's price in the version with the greatest
/// `effectiveFrom ≤ month`, per seat and billing period, in minor units. None when
/// no version is effective yet or that version does not price the plan.
pub async fn list_price(
    conn: &mut Conn,
    offer_id: &str,
    plan: Plan,
    month: Month,
) -> StoreResult<Option<i64>> {
    crate::query(
        "SELECT p.unit_price_minor FROM offer_prices p WHERE p.offer_id = $1 \
         AND p.term_duration = $2 AND p.billing_frequency = $3 \
         AND p.effective_from = (SELECT MAX(v.effective_from) FROM offer_price_versions v \
             WHERE v.offer_id = $1 AND v.effective_from <= $4)",
    )
    .bind(offer_id)
    .bind(plan.term.as_str())
    .bind(plan.frequency.as_str())
    .bind(month.to_string())
    .fetch_optional_scalar(conn)
    .await
}

/// The plans of every offer of `offer_ids` with their prices shown for `month`
/// (as [`OfferRow::unit_price`]: before the first version, the first version's),
/// offer by offer in the catalog's order: one query for a page of offers.
pub async fn priced_plans(
    conn: &mut Conn,
    offer_ids: &[String],
    month: Month,
) -> StoreResult<Vec<PricedPlan>> {
    if offer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let slots: Vec<String> = (1..=offer_ids.len()).map(|i| format!("${i}")).collect();
    let rows = crate::query(format!(
        "SELECT pl.offer_id, pl.term_duration, pl.billing_frequency, \
         (SELECT p.unit_price_minor FROM offer_prices p WHERE p.offer_id = pl.offer_id \
          AND p.term_duration = pl.term_duration AND p.billing_frequency = pl.billing_frequency \
          AND p.effective_from = {}) AS unit_price_minor \
         FROM offer_plans pl WHERE pl.offer_id IN ({}) \
         ORDER BY pl.offer_id, pl.position, pl.term_duration, pl.billing_frequency",
        shown_version("pl.offer_id", month),
        slots.join(", ")
    ))
    .bind_all(
        offer_ids
            .iter()
            .map(|i| crate::Value::Text(Some(i.clone()))),
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PricedPlan {
                offer_id: r.try_get("offer_id")?,
                plan: plan_of(r, "term_duration", "billing_frequency")?,
                unit_price: r.try_get("unit_price_minor")?,
            })
        })
        .collect()
}

const VERSION_COLUMNS: &str = "offer_id, effective_from, created_at, created_by_type, \
     created_by_user_id, created_by_api_key_id, created_by_name";

fn month_of(r: &Row, column: &str) -> StoreResult<Month> {
    let raw: String = r.try_get(column)?;
    Month::parse(&raw).ok_or_else(|| StoreError::Corrupt(format!("'{raw}' is not a month")))
}

impl PriceVersionRow {
    /// The version's own columns; its prices are read separately.
    fn read(r: &Row) -> StoreResult<Self> {
        let kind: String = r.try_get("created_by_type")?;
        Ok(Self {
            offer_id: r.try_get("offer_id")?,
            effective_from: month_of(r, "effective_from")?,
            created_at: r.try_get("created_at")?,
            created_by: Author {
                kind: AuthorKind::parse(&kind)?,
                user_id: r.try_get("created_by_user_id")?,
                api_key_id: r.try_get("created_by_api_key_id")?,
                name: r.try_get("created_by_name")?,
            },
            prices: Vec::new(),
        })
    }
}

/// Fills in the prices of `versions` (all of one offer) with one query, each in
/// the order of the offer's plans.
async fn with_prices(
    conn: &mut Conn,
    offer_id: &str,
    mut versions: Vec<PriceVersionRow>,
) -> StoreResult<Vec<PriceVersionRow>> {
    let (Some(first), Some(last)) = (
        versions.iter().map(|v| v.effective_from).min(),
        versions.iter().map(|v| v.effective_from).max(),
    ) else {
        return Ok(versions);
    };
    let rows = crate::query(
        "SELECT p.effective_from, p.term_duration, p.billing_frequency, p.unit_price_minor \
         FROM offer_prices p JOIN offer_plans pl ON pl.offer_id = p.offer_id \
         AND pl.term_duration = p.term_duration AND pl.billing_frequency = p.billing_frequency \
         WHERE p.offer_id = $1 AND p.effective_from BETWEEN $2 AND $3 \
         ORDER BY p.effective_from, pl.position, p.term_duration, p.billing_frequency",
    )
    .bind(offer_id)
    .bind(first.to_string())
    .bind(last.to_string())
    .fetch_all(conn)
    .await?;
    for r in &rows {
        let month = month_of(r, "effective_from")?;
        let plan = plan_of(r, "term_duration", "billing_frequency")?;
        let price: i64 = r.try_get("unit_price_minor")?;
        if let Some(v) = versions.iter_mut().find(|v| v.effective_from == month) {
            v.prices.push((plan, price));
        }
    }
    Ok(versions)
}

/// Writes version `v` whole: created, or its prices and author replaced. Every
/// plan it prices must be a plan of the offer.
pub async fn put_version(conn: &mut Conn, v: &PriceVersionRow) -> StoreResult<()> {
    let month = v.effective_from.to_string();
    crate::query(format!(
        "INSERT INTO offer_price_versions ({VERSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (offer_id, effective_from) DO UPDATE SET created_at = excluded.created_at, \
         created_by_type = excluded.created_by_type, created_by_user_id = excluded.created_by_user_id, \
         created_by_api_key_id = excluded.created_by_api_key_id, created_by_name = excluded.created_by_name"
    ))
    .bind(&v.offer_id)
    .bind(&month)
    .bind(v.created_at)
    .bind(v.created_by.kind.as_str())
    .bind(&v.created_by.user_id)
    .bind(&v.created_by.api_key_id)
    .bind(&v.created_by.name)
    .execute(&mut *conn)
    .await?;
    crate::query("DELETE FROM offer_prices WHERE offer_id = $1 AND effective_from = $2")
        .bind(&v.offer_id)
        .bind(&month)
        .execute(&mut *conn)
        .await?;
    for (plan, price) in &v.prices {
        crate::query(
            "INSERT INTO offer_prices (offer_id, effective_from, term_duration, billing_frequency, \
             unit_price_minor) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&v.offer_id)
        .bind(&month)
        .bind(plan.term.as_str())
        .bind(plan.frequency.as_str())
        .bind(*price)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Prices a newly sold plan at `price` in the version effective for `from` and in
/// every later version (API-billing.md §2.1: "priced in the current and every later
/// version").
pub async fn price_new_plan(
    conn: &mut Conn,
    offer_id: &str,
    plan: Plan,
    from: Month,
    price: i64,
) -> StoreResult<()> {
    crate::query(
        "INSERT INTO offer_prices (offer_id, effective_from, term_duration, billing_frequency, \
         unit_price_minor) SELECT v.offer_id, v.effective_from, $2, $3, $4 \
         FROM offer_price_versions v WHERE v.offer_id = $1 AND v.effective_from >= COALESCE( \
             (SELECT MAX(w.effective_from) FROM offer_price_versions w \
              WHERE w.offer_id = $1 AND w.effective_from <= $5), '0000-00') \
         ON CONFLICT (offer_id, effective_from, term_duration, billing_frequency) \
         DO UPDATE SET unit_price_minor = excluded.unit_price_minor",
    )
    .bind(offer_id)
    .bind(plan.term.as_str())
    .bind(plan.frequency.as_str())
    .bind(price)
    .bind(from.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// The version that takes effect in exactly `month`, if any.
pub async fn get_version(
    conn: &mut Conn,
    offer_id: &str,
    month: Month,
) -> StoreResult<Option<PriceVersionRow>> {
    let row = crate::query(format!(
        "SELECT {VERSION_COLUMNS} FROM offer_price_versions WHERE offer_id = $1 AND effective_from = $2"
    ))
    .bind(offer_id)
    .bind(month.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(v) = row.map(|r| PriceVersionRow::read(&r)).transpose()? else {
        return Ok(None);
    };
    Ok(with_prices(conn, offer_id, vec![v]).await?.pop())
}

/// The version effective for `month`: the greatest `effective_from ≤ month`.
pub async fn version_for(
    conn: &mut Conn,
    offer_id: &str,
    month: Month,
) -> StoreResult<Option<PriceVersionRow>> {
    let row = crate::query(format!(
        "SELECT {VERSION_COLUMNS} FROM offer_price_versions WHERE offer_id = $1 \
         AND effective_from <= $2 ORDER BY effective_from DESC LIMIT 1"
    ))
    .bind(offer_id)
    .bind(month.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(v) = row.map(|r| PriceVersionRow::read(&r)).transpose()? else {
        return Ok(None);
    };
    Ok(with_prices(conn, offer_id, vec![v]).await?.pop())
}

/// Removes the version of `month` with its prices; false when there is none.
pub async fn delete_version(conn: &mut Conn, offer_id: &str, month: Month) -> StoreResult<bool> {
    crate::query("DELETE FROM offer_prices WHERE offer_id = $1 AND effective_from = $2")
        .bind(offer_id)
        .bind(month.to_string())
        .execute(&mut *conn)
        .await?;
    let done = crate::query(
        "DELETE FROM offer_price_versions WHERE offer_id = $1 AND effective_from = $2",
    )
    .bind(offer_id)
    .bind(month.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One page of an offer's price versions, oldest first, with their prices.
pub async fn versions(
    conn: &mut Conn,
    offer_id: &str,
    page: &PageRequest,
) -> StoreResult<PageOf<PriceVersionRow>> {
    let mut f = Filter::new();
    f.and("offer_id = ?", [Arg::text(offer_id)]);
    let found = crate::sql::by_text(
        conn,
        f,
        "offer_price_versions",
        VERSION_COLUMNS,
        "effective_from",
        "offer_id",
        page,
        PriceVersionRow::read,
    )
    .await?;
    Ok(PageOf {
        rows: with_prices(conn, offer_id, found.rows).await?,
        more: found.more,
        total: found.total,
    })
}

/// Offers that list `offer_id` among their upgrade targets (a next term may move
/// down to one of them), by id.
pub async fn upgrading_to(conn: &mut Conn, offer_id: &str) -> StoreResult<Vec<String>> {
    crate::query(
        "SELECT offer_id FROM offer_upgrade_targets WHERE target_offer_id = $1 ORDER BY offer_id",
    )
    .bind(offer_id)
    .fetch_all_scalar(conn)
    .await
}

/// Ids of the offers still sold, in id order (a price sheet's rows).
pub async fn available_ids(conn: &mut Conn) -> StoreResult<Vec<String>> {
    crate::query("SELECT id FROM offers WHERE status = 'available' ORDER BY id")
        .fetch_all_scalar(conn)
        .await
}

/// The earliest month after `month` in which a list price version starts.
pub async fn next_version_month(conn: &mut Conn, month: Month) -> StoreResult<Option<Month>> {
    crate::query("SELECT MIN(effective_from) FROM offer_price_versions WHERE effective_from > $1")
        .bind(month.to_string())
        .fetch_scalar::<Option<String>>(conn)
        .await
        .map(|m| m.as_deref().and_then(Month::parse))
}
