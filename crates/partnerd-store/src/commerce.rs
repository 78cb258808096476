//! Orders, subscriptions, their change history and license assignments.

use crate::Row;
use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{
    ApiKeyId, OrderId, OrgId, SubscriptionChangeId, SubscriptionId, UserId,
};
use partnerd_domain::money::{Money, TierPrices};
use partnerd_domain::states::{OrderStatus, SubscriptionStatus};
use partnerd_domain::terms::{Plan, SubscriptionPlan, Term};
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

// ------------------------------------------------------------------- orders

/// A stored order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub id: OrderId,
    pub customer_id: OrgId,
    pub reseller_organization_id: OrgId,
    pub indirect_provider_id: OrgId,
    pub placed_by_organization_id: OrgId,
    pub placed_by_user_id: Option<UserId>,
    pub placed_by_api_key_id: Option<ApiKeyId>,
    pub status: OrderStatus,
    pub total: Money,
    pub created_at: Timestamp,
    pub version: i64,
}

const ORDER_COLUMNS: &str = "id, customer_id, reseller_organization_id, indirect_provider_id, placed_by_organization_id, \
     placed_by_user_id, placed_by_api_key_id, status, total_minor, currency, created_at, version";

impl OrderRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            reseller_organization_id: r.try_get("reseller_organization_id")?,
            indirect_provider_id: r.try_get("indirect_provider_id")?,
            placed_by_organization_id: r.try_get("placed_by_organization_id")?,
            placed_by_user_id: r.try_get("placed_by_user_id")?,
            placed_by_api_key_id: r.try_get("placed_by_api_key_id")?,
            status: r.try_get("status")?,
            total: r.money("total_minor", "currency")?,
            created_at: r.try_get("created_at")?,
            version: r.try_get("version")?,
        })
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRow {
    pub order_id: OrderId,
    pub line_item_number: i64,
    pub offer_id: String,
    pub offer_name: String,
    pub quantity: i64,
    pub subscription_id: SubscriptionId,
    pub friendly_name: Option<String>,
    pub plan: SubscriptionPlan,
    pub term_end_date: Date,
    /// The three tiers' prices; `provider_to_reseller` is v1's `unitPrice`.
    pub prices: TierPrices,
}

pub async fn insert_order(conn: &mut Conn, o: &OrderRow, lines: &[LineRow]) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&o.id)
    .bind(&o.customer_id)
    .bind(&o.reseller_organization_id)
    .bind(&o.indirect_provider_id)
    .bind(&o.placed_by_organization_id)
    .bind(&o.placed_by_user_id)
    .bind(&o.placed_by_api_key_id)
    .bind(o.status)
    .bind(o.total.minor())
    .bind(o.total.currency())
    .bind(o.created_at)
    .bind(o.version)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        crate::query(
            "INSERT INTO order_lines (order_id, line_item_number, offer_id, offer_name, quantity, unit_price_minor, \
             subscription_id, friendly_name, billing_cycle, term_duration, billing_frequency, term_end_date, \
             is_trial, operator_price_minor, customer_price_minor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&l.order_id)
        .bind(l.line_item_number)
        .bind(&l.offer_id)
        .bind(&l.offer_name)
        .bind(l.quantity)
        .bind(l.prices.provider_to_reseller.minor())
        .bind(&l.subscription_id)
        .bind(&l.friendly_name)
        .bind(l.plan.billing_cycle())
        .bind(l.plan.term_duration())
        .bind(l.plan.billing_frequency())
        .bind(l.term_end_date)
        .bind(l.plan.is_trial())
        .bind(l.prices.operator_to_provider.minor())
        .bind(l.prices.reseller_to_customer.minor())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get_order(conn: &mut Conn, id: &OrderId) -> StoreResult<Option<OrderRow>> {
    let row = crate::query(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| OrderRow::read(&r)).transpose()
}

pub async fn order_lines(conn: &mut Conn, order_id: &OrderId) -> StoreResult<Vec<LineRow>> {
    let rows = crate::query(
        "SELECT l.order_id, l.line_item_number, l.offer_id, l.offer_name, l.quantity, l.unit_price_minor, o.currency, \
         l.subscription_id, l.friendly_name, l.term_duration, l.billing_frequency, l.term_end_date, \
         l.operator_price_minor, l.customer_price_minor FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE l.order_id = $1 ORDER BY l.line_item_number",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LineRow {
                order_id: r.try_get("order_id")?,
                line_item_number: r.try_get("line_item_number")?,
                offer_id: r.try_get("offer_id")?,
                offer_name: r.try_get("offer_name")?,
                quantity: r.try_get("quantity")?,
                subscription_id: r.try_get("subscription_id")?,
                friendly_name: r.try_get("friendly_name")?,
                plan: plan_of(
                    &r.try_get::<String>("term_duration")?,
                    &r.try_get::<String>("billing_frequency")?,
                )?,
                term_end_date: r.try_get("term_end_date")?,
                prices: TierPrices {
                    operator_to_provider: r.money("operator_price_minor", "currency")?,
                    provider_to_reseller: r.money("unit_price_minor", "currency")?,
                    reseller_to_customer: r.money("customer_price_minor", "currency")?,
                },
            })
        })
        .collect()
}

/// Filters of a customer's orders.
#[derive(Debug, Clone)]
pub struct OrderQuery {
    pub customer_id: OrgId,
    /// Only orders this partner supplies or is reseller of record for (None: all).
    pub party: Option<OrgId>,
    pub status: Option<OrderStatus>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
}

pub async fn list_orders(
    conn: &mut Conn,
    q: &OrderQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<OrderRow>> {
    let mut f = Filter::new();
    f.and("customer_id = ?", [Arg::text(&q.customer_id)]);
    if let Some(p) = &q.party {
        f.and(
            "(reseller_organization_id = ? OR indirect_provider_id = ?)",
            [Arg::text(p), Arg::text(p)],
        );
    }
    if let Some(s) = q.status {
        f.state_is("status", s.as_str());
    }
    if let Some(t) = q.created_from {
        f.and("created_at >= ?", [Arg::Time(t)]);
    }
    if let Some(t) = q.created_to {
        f.and("created_at < ?", [Arg::Time(t)]);
    }
    crate::sql::newest_first(
        conn,
        f,
        "orders",
        ORDER_COLUMNS,
        "created_at",
        page,
        OrderRow::read,
    )
    .await
}

// ------------------------------------------------------------ subscriptions

/// The instructions for a subscription's next term (API-billing.md §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledTerm {
    pub offer_id: String,
    pub plan: Plan,
    pub quantity: i64,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub customer_id: OrgId,
    pub order_id: OrderId,
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub friendly_name: Option<String>,
    pub quantity: i64,
    /// The term and billing plan, or a trial.
    pub plan: SubscriptionPlan,
    /// Locked for the term; `provider_to_reseller` is v1's `unitPrice`.
    pub prices: TierPrices,
    pub status: SubscriptionStatus,
    pub auto_renew: bool,
    /// The instant the term began; its UTC day is the term's first day `T0`.
    pub term_start: Timestamp,
    /// `TE`, the term's last day.
    pub term_end_date: Date,
    /// `τ`, the instant after `TE` (v1's `commitmentEndDate`).
    pub commitment_end: Timestamp,
    /// The subscription a partial upgrade took these seats from.
    pub source_subscription_id: Option<SubscriptionId>,
    /// The index of the next billing period whose cycle charge is due.
    pub next_period: i64,
    /// When the next system event falls due (None: none will).
    pub next_event_at: Option<Timestamp>,
    pub scheduled: Option<ScheduledTerm>,
    pub reseller_organization_id: OrgId,
    pub indirect_provider_id: OrgId,
    pub suspended_by_organization_id: Option<OrgId>,
    pub suspended_reason: Option<String>,
    pub cancelled_at: Option<Timestamp>,
    pub disabled_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl SubscriptionRow {
    /// The term's calendar as stored.
    pub fn term(&self) -> Term {
        self.plan
            .term(Date::of(self.term_start), self.term_end_date)
    }
}

const SUBSCRIPTION_COLUMNS: &str = "id, customer_id, order_id, offer_id, offer_name, product_family, friendly_name, \
     quantity, unit_price_minor, currency, billing_cycle, status, auto_renew, term_start, commitment_end, \
     reseller_organization_id, indirect_provider_id, suspended_by_organization_id, suspended_reason, cancelled_at, \
     created_at, updated_at, version, term_duration, billing_frequency, term_end_date, is_trial, \
     source_subscription_id, operator_price_minor, customer_price_minor, next_period, next_event_at, \
     scheduled_offer_id, scheduled_term_duration, scheduled_billing_frequency, scheduled_quantity, disabled_at, \
     deleted_at";

fn plan_of(term: &str, frequency: &str) -> StoreResult<SubscriptionPlan> {
    SubscriptionPlan::parse(term, frequency)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("'{term}' '{frequency}' is not a plan")))
}

impl SubscriptionRow {
    fn read(r: &Row) -> StoreResult<Self> {
        let currency = r.try_get("currency")?;
        let price = |c: &str| -> StoreResult<Money> { Ok(Money::new(r.try_get(c)?, currency)) };
        let scheduled = match (
            r.try_get::<Option<String>>("scheduled_offer_id")?,
            r.try_get::<Option<String>>("scheduled_term_duration")?,
            r.try_get::<Option<String>>("scheduled_billing_frequency")?,
            r.try_get::<Option<i64>>("scheduled_quantity")?,
        ) {
            (Some(offer_id), Some(t), Some(f), Some(quantity)) => {
                let plan = plan_of(&t, &f)?.paid().ok_or_else(|| {
                    crate::StoreError::Corrupt("a trial cannot be scheduled".into())
                })?;
                Some(ScheduledTerm {
                    offer_id,
                    plan,
                    quantity,
                })
            }
            _ => None,
        };
        Ok(Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            order_id: r.try_get("order_id")?,
            offer_id: r.try_get("offer_id")?,
            offer_name: r.try_get("offer_name")?,
            product_family: r.try_get("product_family")?,
            friendly_name: r.try_get("friendly_name")?,
            quantity: r.try_get("quantity")?,
            plan: plan_of(
                &r.try_get::<String>("term_duration")?,
                &r.try_get::<String>("billing_frequency")?,
            )?,
            prices: TierPrices {
                operator_to_provider: price("operator_price_minor")?,
                provider_to_reseller: price("unit_price_minor")?,
                reseller_to_customer: price("customer_price_minor")?,
            },
            status: r.try_get("status")?,
            auto_renew: r.try_get::<bool>("auto_renew")?,
            term_start: r.try_get("term_start")?,
            term_end_date: r.try_get("term_end_date")?,
            commitment_end: r.try_get("commitment_end")?,
            source_subscription_id: r.try_get("source_subscription_id")?,
            next_period: r.try_get("next_period")?,
            next_event_at: r.try_get("next_event_at")?,
            scheduled,
            reseller_organization_id: r.try_get("reseller_organization_id")?,
            indirect_provider_id: r.try_get("indirect_provider_id")?,
            suspended_by_organization_id: r.try_get("suspended_by_organization_id")?,
            suspended_reason: r.try_get("suspended_reason")?,
            cancelled_at: r.try_get("cancelled_at")?,
            disabled_at: r.try_get("disabled_at")?,
            deleted_at: r.try_get("deleted_at")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_subscription(conn: &mut Conn, s: &SubscriptionRow) -> StoreResult<()> {
    let placeholders = (1..=38)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sched = s.scheduled.as_ref();
    crate::query(format!(
        "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ({placeholders})"
    ))
    .bind(&s.id)
    .bind(&s.customer_id)
    .bind(&s.order_id)
    .bind(&s.offer_id)
    .bind(&s.offer_name)
    .bind(&s.product_family)
    .bind(&s.friendly_name)
    .bind(s.quantity)
    .bind(s.prices.provider_to_reseller.minor())
    .bind(s.prices.provider_to_reseller.currency())
    .bind(s.plan.billing_cycle())
    .bind(s.status)
    .bind(s.auto_renew)
    .bind(s.term_start)
    .bind(s.commitment_end)
    .bind(&s.reseller_organization_id)
    .bind(&s.indirect_provider_id)
    .bind(&s.suspended_by_organization_id)
    .bind(&s.suspended_reason)
    .bind(s.cancelled_at)
    .bind(s.created_at)
    .bind(s.updated_at)
    .bind(s.version)
    .bind(s.plan.term_duration())
    .bind(s.plan.billing_frequency())
    .bind(s.term_end_date)
    .bind(s.plan.is_trial())
    .bind(&s.source_subscription_id)
    .bind(s.prices.operator_to_provider.minor())
    .bind(s.prices.reseller_to_customer.minor())
    .bind(s.next_period)
    .bind(s.next_event_at)
    .bind(sched.map(|x| x.offer_id.as_str()))
    .bind(sched.map(|x| x.plan.term.as_str()))
    .bind(sched.map(|x| x.plan.frequency.as_str()))
    .bind(sched.map(|x| x.quantity))
    .bind(s.disabled_at)
    .bind(s.deleted_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_subscription(
    conn: &mut Conn,
    id: &SubscriptionId,
) -> StoreResult<Option<SubscriptionRow>> {
    let row = crate::query(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| SubscriptionRow::read(&r)).transpose()
}

/// Reads a subscription and holds it until the transaction ends (PostgreSQL
/// `FOR UPDATE`; a SQLite write transaction already holds the database), so
/// a command and the system-event job never apply the same event twice.
pub async fn lock_subscription(
    conn: &mut Conn,
    backend: crate::Backend,
    id: &SubscriptionId,
) -> StoreResult<Option<SubscriptionRow>> {
    let lock = match backend {
        crate::Backend::Postgres => " FOR UPDATE",
        crate::Backend::Sqlite => "",
    };
    let row = crate::query(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| SubscriptionRow::read(&r)).transpose()
}

/// Writes the mutable members if the row is still at `s.version`; false otherwise.
pub async fn update_subscription(conn: &mut Conn, s: &SubscriptionRow) -> StoreResult<bool> {
    let sched = s.scheduled.as_ref();
    let done = crate::query(
        "UPDATE subscriptions SET friendly_name = $1, quantity = $2, unit_price_minor = $3, status = $4, auto_renew = $5, \
         term_start = $6, commitment_end = $7, suspended_by_organization_id = $8, suspended_reason = $9, \
         cancelled_at = $10, updated_at = $11, offer_id = $12, offer_name = $13, product_family = $14, \
         billing_cycle = $15, term_duration = $16, billing_frequency = $17, term_end_date = $18, is_trial = $19, \
         operator_price_minor = $20, customer_price_minor = $21, next_period = $22, next_event_at = $23, \
         scheduled_offer_id = $24, scheduled_term_duration = $25, scheduled_billing_frequency = $26, \
         scheduled_quantity = $27, disabled_at = $28, deleted_at = $29, version = version + 1 \
         WHERE id = $30 AND version = $31",
    )
    .bind(&s.friendly_name)
    .bind(s.quantity)
    .bind(s.prices.provider_to_reseller.minor())
    .bind(s.status)
    .bind(s.auto_renew)
    .bind(s.term_start)
    .bind(s.commitment_end)
    .bind(&s.suspended_by_organization_id)
    .bind(&s.suspended_reason)
    .bind(s.cancelled_at)
    .bind(s.updated_at)
    .bind(&s.offer_id)
    .bind(&s.offer_name)
    .bind(&s.product_family)
    .bind(s.plan.billing_cycle())
    .bind(s.plan.term_duration())
    .bind(s.plan.billing_frequency())
    .bind(s.term_end_date)
    .bind(s.plan.is_trial())
    .bind(s.prices.operator_to_provider.minor())
    .bind(s.prices.reseller_to_customer.minor())
    .bind(s.next_period)
    .bind(s.next_event_at)
    .bind(sched.map(|x| x.offer_id.as_str()))
    .bind(sched.map(|x| x.plan.term.as_str()))
    .bind(sched.map(|x| x.plan.frequency.as_str()))
    .bind(sched.map(|x| x.quantity))
    .bind(s.disabled_at)
    .bind(s.deleted_at)
    .bind(&s.id)
    .bind(s.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of a customer's subscriptions.
#[derive(Debug, Clone)]
pub struct SubscriptionQuery {
    pub customer_id: OrgId,
    /// Only those this partner supplies or is reseller of record for (None: all).
    pub party: Option<OrgId>,
    pub status: Option<SubscriptionStatus>,
    /// Only those a cancel ended (v1's `cancelled`).
    pub cancelled: bool,
    pub offer_id: Option<String>,
    pub product_family: Option<String>,
    pub indirect_provider_id: Option<OrgId>,
    pub reseller_organization_id: Option<OrgId>,
}

pub async fn list_subscriptions(
    conn: &mut Conn,
    q: &SubscriptionQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<SubscriptionRow>> {
    let mut f = Filter::new();
    f.and("customer_id = ?", [Arg::text(&q.customer_id)]);
    if let Some(p) = &q.party {
        f.and(
            "(reseller_organization_id = ? OR indirect_provider_id = ?)",
            [Arg::text(p), Arg::text(p)],
        );
    }
    if let Some(s) = q.status {
        f.state_is("status", s.as_str());
    }
    if q.cancelled {
        f.and("cancelled_at IS NOT NULL", []);
    }
    f.equal_if("offer_id", q.offer_id.as_ref());
    f.equal_if("product_family", q.product_family.as_ref());
    f.equal_if("indirect_provider_id", q.indirect_provider_id.as_ref());
    f.equal_if(
        "reseller_organization_id",
        q.reseller_organization_id.as_ref(),
    );
    crate::sql::newest_first(
        conn,
        f,
        "subscriptions",
        SUBSCRIPTION_COLUMNS,
        "created_at",
        page,
        SubscriptionRow::read,
    )
    .await
}

/// What the reseller owes the provider (API-billing.md §7.5), in minor units:
/// the balance due of its issued invoices, and the provider → reseller lines on
/// no invoice or on a draft.
pub async fn credit_used(
    conn: &mut Conn,
    provider_id: &OrgId,
    reseller_id: &OrgId,
) -> StoreResult<CreditUsed> {
    let unpaid_issued: i64 = crate::query(
        "SELECT CAST(COALESCE(SUM(total_minor - amount_paid_minor), 0) AS BIGINT) FROM invoices \
         WHERE tier = 'providerToReseller' AND seller_organization_id = $1 AND buyer_organization_id = $2 \
         AND status = 'issued'",
    )
    .bind(provider_id)
    .bind(reseller_id)
    .fetch_scalar(&mut *conn)
    .await?;
    let unbilled: i64 = crate::query(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM charge_lines \
         WHERE tier = 'providerToReseller' AND seller_organization_id = $1 AND buyer_organization_id = $2 \
         AND (invoice_id IS NULL OR invoice_id IN (SELECT id FROM invoices WHERE status = 'draft'))",
    )
    .bind(provider_id)
    .bind(reseller_id)
    .fetch_scalar(conn)
    .await?;
    Ok(CreditUsed {
        unpaid_issued,
        unbilled,
    })
}

/// The two parts of a reseller's used credit, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditUsed {
    pub unpaid_issued: i64,
    pub unbilled: i64,
}

impl CreditUsed {
    /// `max(0, unpaidIssued + unbilled)`.
    pub fn used(self) -> i64 {
        self.unpaid_issued.saturating_add(self.unbilled).max(0)
    }
}

/// Whether the partner is reseller of record or supplier of an active or suspended
/// subscription of the customer.
pub async fn supplies(
    conn: &mut Conn,
    partner_id: &OrgId,
    customer_id: &OrgId,
) -> StoreResult<bool> {
    let n: i64 = crate::query(
        "SELECT COUNT(*) FROM subscriptions WHERE customer_id = $1 AND status IN ('active', 'suspended') \
         AND (reseller_organization_id = $2 OR indirect_provider_id = $2)",
    )
    .bind(customer_id)
    .bind(partner_id)
    .fetch_scalar(conn)
    .await?;
    Ok(n > 0)
}

/// Up to `limit` ids of subscriptions with a system event due by `now`, the
/// earliest first (the system-event job).
pub async fn due_for_events(
    conn: &mut Conn,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<SubscriptionId>> {
    let rows = crate::query(
        "SELECT id FROM subscriptions WHERE next_event_at IS NOT NULL AND next_event_at <= $1 \
         ORDER BY next_event_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Σ quantity of the customer's active and suspended subscriptions of the offer,
/// with any partner, trials included (the per-customer seat cap).
pub async fn seats_held(conn: &mut Conn, customer_id: &OrgId, offer_id: &str) -> StoreResult<i64> {
    let n: Option<i64> = crate::query(
        "SELECT CAST(SUM(quantity) AS BIGINT) FROM subscriptions WHERE customer_id = $1 AND offer_id = $2 \
         AND status IN ('active', 'suspended')",
    )
    .bind(customer_id)
    .bind(offer_id)
    .fetch_scalar(conn)
    .await?;
    Ok(n.unwrap_or(0))
}

/// Whether the customer has an active subscription of any of these offers.
pub async fn holds_active(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_ids: &[String],
) -> StoreResult<bool> {
    if offer_ids.is_empty() {
        return Ok(false);
    }
    let list = (0..offer_ids.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let mut q = crate::query(format!(
        "SELECT COUNT(*) FROM subscriptions WHERE customer_id = $1 AND status = 'active' AND offer_id IN ({list})"
    ))
    .bind(customer_id);
    for o in offer_ids {
        q = q.bind(o);
    }
    let n: i64 = q.fetch_scalar(conn).await?;
    Ok(n > 0)
}

/// The term end dates of the customer's active paid subscriptions with these
/// partners (None: any), for coterminous orders: `(date, subscription, offer name,
/// term duration)`, ascending.
pub async fn active_term_ends(
    conn: &mut Conn,
    customer_id: &OrgId,
    party: Option<&OrgId>,
) -> StoreResult<Vec<(Date, SubscriptionId, String, String)>> {
    let mut q = crate::query(format!(
        "SELECT term_end_date, id, offer_name, term_duration FROM subscriptions WHERE customer_id = $1 \
         AND status = 'active' AND billing_frequency <> 'none'{} ORDER BY term_end_date, id",
        if party.is_some() {
            " AND (reseller_organization_id = $2 OR indirect_provider_id = $2)"
        } else {
            ""
        }
    ))
    .bind(customer_id);
    if let Some(p) = party {
        q = q.bind(p);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("term_end_date")?,
                r.try_get("id")?,
                r.try_get("offer_name")?,
                r.try_get("term_duration")?,
            ))
        })
        .collect()
}

// ------------------------------------------------------------- seat batches

/// Seats added at one instant, refundable for 168 h (in full for 24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatBatch {
    pub position: i64,
    pub added_at: Timestamp,
    pub quantity: i64,
}

/// A subscription's batches, oldest first.
pub async fn seat_batches(
    conn: &mut Conn,
    subscription_id: &SubscriptionId,
) -> StoreResult<Vec<SeatBatch>> {
    let rows = crate::query(
        "SELECT position, added_at, quantity FROM subscription_seat_batches WHERE subscription_id = $1 \
         ORDER BY position",
    )
    .bind(subscription_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SeatBatch {
                position: r.try_get("position")?,
                added_at: r.try_get("added_at")?,
                quantity: r.try_get("quantity")?,
            })
        })
        .collect()
}

/// Replaces a subscription's batches (empty quantities are dropped).
pub async fn replace_seat_batches(
    conn: &mut Conn,
    subscription_id: &SubscriptionId,
    batches: &[SeatBatch],
) -> StoreResult<()> {
    crate::query("DELETE FROM subscription_seat_batches WHERE subscription_id = $1")
        .bind(subscription_id)
        .execute(&mut *conn)
        .await?;
    for b in batches.iter().filter(|b| b.quantity > 0) {
        crate::query(
            "INSERT INTO subscription_seat_batches (subscription_id, position, added_at, quantity) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(subscription_id)
        .bind(b.position)
        .bind(b.added_at)
        .bind(b.quantity)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ------------------------------------------------------------------- trials

/// Records the customer's one trial of an offer; false if it already had one
/// (the key holds under parallel orders too).
pub async fn record_trial(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_id: &str,
    subscription_id: &SubscriptionId,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "INSERT INTO customer_trials (customer_id, offer_id, subscription_id, started_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(customer_id)
    .bind(offer_id)
    .bind(subscription_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the customer ever held a trial of the offer.
pub async fn had_trial(conn: &mut Conn, customer_id: &OrgId, offer_id: &str) -> StoreResult<bool> {
    let n: i64 = crate::query(
        "SELECT COUNT(*) FROM customer_trials WHERE customer_id = $1 AND offer_id = $2",
    )
    .bind(customer_id)
    .bind(offer_id)
    .fetch_scalar(conn)
    .await?;
    Ok(n > 0)
}

/// A recorded change of one member.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub id: SubscriptionChangeId,
    pub subscription_id: SubscriptionId,
    pub at: Timestamp,
    pub by_organization_id: Option<OrgId>,
    pub by_user_id: Option<UserId>,
    pub by_api_key_id: Option<ApiKeyId>,
    pub field: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
}

pub async fn insert_change(conn: &mut Conn, c: &ChangeRow) -> StoreResult<()> {
    crate::query(
        "INSERT INTO subscription_changes (id, subscription_id, at, by_organization_id, by_user_id, by_api_key_id, \
         field, from_value, to_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&c.id)
    .bind(&c.subscription_id)
    .bind(c.at)
    .bind(&c.by_organization_id)
    .bind(&c.by_user_id)
    .bind(&c.by_api_key_id)
    .bind(&c.field)
    .bind(&c.from_value)
    .bind(&c.to_value)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_changes(
    conn: &mut Conn,
    subscription_id: &SubscriptionId,
    page: &PageRequest,
) -> StoreResult<PageOf<ChangeRow>> {
    let mut f = Filter::new();
    f.and("subscription_id = ?", [Arg::text(subscription_id)]);
    crate::sql::newest_first(
        conn,
        f,
        "subscription_changes",
        "id, subscription_id, at, by_organization_id, by_user_id, by_api_key_id, field, from_value, to_value",
        "at",
        page,
        |r| {
            Ok(ChangeRow {
                id: r.try_get("id")?,
                subscription_id: r.try_get("subscription_id")?,
                at: r.try_get("at")?,
                by_organization_id: r.try_get("by_organization_id")?,
                by_user_id: r.try_get("by_user_id")?,
                by_api_key_id: r.try_get("by_api_key_id")?,
                field: r.try_get("field")?,
                from_value: r.try_get("from_value")?,
                to_value: r.try_get("to_value")?,
            })
        },
    )
    .await
}

// ----------------------------------------------------------------- licenses

/// Seats of one offer for one customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seats {
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    /// Σ quantity of active subscriptions.
    pub total: i64,
    /// Σ quantity of suspended subscriptions.
    pub suspended: i64,
    pub assigned: i64,
}

/// Seats per offer the customer holds (active or suspended subscriptions, or
/// assignments left over), ordered by offer name.
pub async fn seats(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_id: Option<&str>,
) -> StoreResult<Vec<Seats>> {
    let offer_filter = if offer_id.is_some() {
        " AND offer_id = $2"
    } else {
        ""
    };
    let mut q = crate::query(format!(
        "SELECT offer_id, MAX(offer_name) AS offer_name, MAX(product_family) AS product_family, \
         CAST(SUM(CASE WHEN status = 'active' THEN quantity ELSE 0 END) AS BIGINT) AS total, \
         CAST(SUM(CASE WHEN status = 'suspended' THEN quantity ELSE 0 END) AS BIGINT) AS suspended \
         FROM subscriptions WHERE customer_id = $1 AND status IN ('active', 'suspended'){offer_filter} \
         GROUP BY offer_id"
    ))
    .bind(customer_id);
    if let Some(o) = offer_id {
        q = q.bind(o);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out: Vec<Seats> = rows
        .iter()
        .map(|r| {
            Ok(Seats {
                offer_id: r.try_get("offer_id")?,
                offer_name: r.try_get("offer_name")?,
                product_family: r.try_get("product_family")?,
                total: r.try_get::<Option<i64>>("total")?.unwrap_or(0),
                suspended: r.try_get::<Option<i64>>("suspended")?.unwrap_or(0),
                assigned: 0,
            })
        })
        .collect::<StoreResult<_>>()?;
    let mut q = crate::query(format!(
        "SELECT offer_id, COUNT(*) AS n FROM license_assignments WHERE customer_id = $1{offer_filter} GROUP BY offer_id"
    ))
    .bind(customer_id);
    if let Some(o) = offer_id {
        q = q.bind(o);
    }
    for r in q.fetch_all(conn).await? {
        let offer: String = r.try_get("offer_id")?;
        let n: i64 = r.try_get("n")?;
        match out.iter_mut().find(|s| s.offer_id == offer) {
            Some(s) => s.assigned = n,
            None => out.push(Seats {
                offer_id: offer.clone(),
                offer_name: offer,
                assigned: n,
                ..Seats::default()
            }),
        }
    }
    out.sort_by(|a, b| a.offer_name.cmp(&b.offer_name));
    Ok(out)
}

/// A user's licenses: (offer id, assigned at), oldest first.
pub async fn user_licenses(
    conn: &mut Conn,
    user_id: &UserId,
) -> StoreResult<Vec<(String, Timestamp)>> {
    let rows = crate::query(
        "SELECT offer_id, assigned_at FROM license_assignments WHERE user_id = $1 ORDER BY assigned_at, offer_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("offer_id")?, r.try_get("assigned_at")?)))
        .collect()
}

pub async fn assign_license(
    conn: &mut Conn,
    customer_id: &OrgId,
    user_id: &UserId,
    // Text, not an id type: an offer id is a catalog name the operator chose (validated by `names::offer_id`).
    offer_id: &str,
    now: Timestamp,
) -> StoreResult<()> {
    crate::query(
        "INSERT INTO license_assignments (customer_id, user_id, offer_id, assigned_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(customer_id)
    .bind(user_id)
    .bind(offer_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// False when the user did not hold it.
pub async fn remove_license(
    conn: &mut Conn,
    user_id: &UserId,
    // Text, not an id type: an offer id is a catalog name the operator chose (validated by `names::offer_id`).
    offer_id: &str,
) -> StoreResult<bool> {
    let done = crate::query("DELETE FROM license_assignments WHERE user_id = $1 AND offer_id = $2")
        .bind(user_id)
        .bind(offer_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Releases every license of a user (the user is being deleted).
pub async fn release_user_licenses(conn: &mut Conn, user_id: &UserId) -> StoreResult<u64> {
    let done = crate::query("DELETE FROM license_assignments WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The customer's assignments of an offer, most recently assigned first.
async fn newest_assignments(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_id: &str,
) -> StoreResult<Vec<UserId>> {
    let rows = crate::query(
        "SELECT user_id FROM license_assignments WHERE customer_id = $1 AND offer_id = $2 \
         ORDER BY assigned_at DESC, user_id DESC",
    )
    .bind(customer_id)
    .bind(offer_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("user_id")).collect()
}

/// Moves up to `quantity` of the offer's assignments beyond the oldest `keep` to
/// `target` (a user who holds the target already just loses the old one), most
/// recently assigned first. Returns how many moved.
pub async fn move_newest_licenses(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_id: &str,
    target: &str,
    keep: i64,
    quantity: i64,
) -> StoreResult<u64> {
    let users = newest_assignments(conn, customer_id, offer_id).await?;
    let beyond = usize::try_from(i64::try_from(users.len()).unwrap_or(0) - keep).unwrap_or(0);
    let n = beyond.min(usize::try_from(quantity).unwrap_or(0));
    for u in users.iter().take(n) {
        let holds: i64 = crate::query(
            "SELECT COUNT(*) FROM license_assignments WHERE user_id = $1 AND offer_id = $2",
        )
        .bind(u)
        .bind(target)
        .fetch_scalar(&mut *conn)
        .await?;
        let sql = if holds > 0 {
            "DELETE FROM license_assignments WHERE user_id = $1 AND offer_id = $2"
        } else {
            "UPDATE license_assignments SET offer_id = $3 WHERE user_id = $1 AND offer_id = $2"
        };
        let mut q = crate::query(sql).bind(u).bind(offer_id);
        if holds == 0 {
            q = q.bind(target);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(n as u64)
}

/// Removes the offer's assignments beyond the oldest `keep`.
pub async fn release_newest_licenses(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_id: &str,
    keep: i64,
) -> StoreResult<u64> {
    let users = newest_assignments(conn, customer_id, offer_id).await?;
    let beyond = usize::try_from(i64::try_from(users.len()).unwrap_or(0) - keep).unwrap_or(0);
    for u in users.iter().take(beyond) {
        crate::query("DELETE FROM license_assignments WHERE user_id = $1 AND offer_id = $2")
            .bind(u)
            .bind(offer_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(beyond as u64)
}

/// Σ quantity of the customer's subscriptions of the offer that are not deleted.
pub async fn seats_not_deleted(
    conn: &mut Conn,
    customer_id: &OrgId,
    offer_id: &str,
) -> StoreResult<i64> {
    let n: Option<i64> = crate::query(
        "SELECT CAST(SUM(quantity) AS BIGINT) FROM subscriptions WHERE customer_id = $1 AND offer_id = $2 \
         AND status <> 'deleted'",
    )
    .bind(customer_id)
    .bind(offer_id)
    .fetch_scalar(conn)
    .await?;
    Ok(n.unwrap_or(0))
}
