//! Orders, subscriptions, their change history and license assignments.

use crate::Row;
use partnerd_domain::ids::{
    ApiKeyId, OrderId, OrgId, SubscriptionChangeId, SubscriptionId, UserId,
};
use partnerd_domain::money::Money;
use partnerd_domain::states::{OrderStatus, SubscriptionStatus};
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
    /// In the currency of its order (the column holds minor units only).
    pub unit_price: Money,
    pub subscription_id: SubscriptionId,
    pub friendly_name: Option<String>,
    pub billing_cycle: String,
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
             subscription_id, friendly_name, billing_cycle) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&l.order_id)
        .bind(l.line_item_number)
        .bind(&l.offer_id)
        .bind(&l.offer_name)
        .bind(l.quantity)
        .bind(l.unit_price.minor())
        .bind(&l.subscription_id)
        .bind(&l.friendly_name)
        .bind(&l.billing_cycle)
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
         l.subscription_id, l.friendly_name, l.billing_cycle FROM order_lines l JOIN orders o ON o.id = l.order_id \
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
                unit_price: r.money("unit_price_minor", "currency")?,
                subscription_id: r.try_get("subscription_id")?,
                friendly_name: r.try_get("friendly_name")?,
                billing_cycle: r.try_get("billing_cycle")?,
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
    pub unit_price: Money,
    pub billing_cycle: String,
    pub status: SubscriptionStatus,
    pub auto_renew: bool,
    pub term_start: Timestamp,
    pub commitment_end: Timestamp,
    pub reseller_organization_id: OrgId,
    pub indirect_provider_id: OrgId,
    pub suspended_by_organization_id: Option<OrgId>,
    pub suspended_reason: Option<String>,
    pub cancelled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const SUBSCRIPTION_COLUMNS: &str = "id, customer_id, order_id, offer_id, offer_name, product_family, friendly_name, \
     quantity, unit_price_minor, currency, billing_cycle, status, auto_renew, term_start, commitment_end, \
     reseller_organization_id, indirect_provider_id, suspended_by_organization_id, suspended_reason, cancelled_at, \
     created_at, updated_at, version";

impl SubscriptionRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            order_id: r.try_get("order_id")?,
            offer_id: r.try_get("offer_id")?,
            offer_name: r.try_get("offer_name")?,
            product_family: r.try_get("product_family")?,
            friendly_name: r.try_get("friendly_name")?,
            quantity: r.try_get("quantity")?,
            unit_price: r.money("unit_price_minor", "currency")?,
            billing_cycle: r.try_get("billing_cycle")?,
            status: r.try_get("status")?,
            auto_renew: r.try_get::<bool>("auto_renew")?,
            term_start: r.try_get("term_start")?,
            commitment_end: r.try_get("commitment_end")?,
            reseller_organization_id: r.try_get("reseller_organization_id")?,
            indirect_provider_id: r.try_get("indirect_provider_id")?,
            suspended_by_organization_id: r.try_get("suspended_by_organization_id")?,
            suspended_reason: r.try_get("suspended_reason")?,
            cancelled_at: r.try_get("cancelled_at")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_subscription(conn: &mut Conn, s: &SubscriptionRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
    ))
    .bind(&s.id)
    .bind(&s.customer_id)
    .bind(&s.order_id)
    .bind(&s.offer_id)
    .bind(&s.offer_name)
    .bind(&s.product_family)
    .bind(&s.friendly_name)
    .bind(s.quantity)
    .bind(s.unit_price.minor())
    .bind(s.unit_price.currency())
    .bind(&s.billing_cycle)
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

/// Writes the mutable members if the row is still at `s.version`; false otherwise.
pub async fn update_subscription(conn: &mut Conn, s: &SubscriptionRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE subscriptions SET friendly_name = $1, quantity = $2, unit_price_minor = $3, status = $4, auto_renew = $5, \
         term_start = $6, commitment_end = $7, suspended_by_organization_id = $8, suspended_reason = $9, \
         cancelled_at = $10, updated_at = $11, version = version + 1 WHERE id = $12 AND version = $13",
    )
    .bind(&s.friendly_name)
    .bind(s.quantity)
    .bind(s.unit_price.minor())
    .bind(s.status)
    .bind(s.auto_renew)
    .bind(s.term_start)
    .bind(s.commitment_end)
    .bind(&s.suspended_by_organization_id)
    .bind(&s.suspended_reason)
    .bind(s.cancelled_at)
    .bind(s.updated_at)
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

/// Σ unit price × quantity of the reseller's active and suspended subscriptions
/// supplied by the provider, in minor units.
pub async fn credit_used(
    conn: &mut Conn,
    provider_id: &OrgId,
    reseller_id: &OrgId,
) -> StoreResult<i64> {
    let used: Option<i64> = crate::query(
        "SELECT CAST(SUM(unit_price_minor * quantity) AS BIGINT) FROM subscriptions \
         WHERE indirect_provider_id = $1 AND reseller_organization_id = $2 AND status IN ('active', 'suspended')",
    )
    .bind(provider_id)
    .bind(reseller_id)
    .fetch_scalar(conn)
    .await?;
    Ok(used.unwrap_or(0))
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

/// Up to `limit` active subscriptions whose term ended by `now` (the renewal job).
pub async fn due_for_term_end(
    conn: &mut Conn,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<SubscriptionRow>> {
    let rows = crate::query(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE status = 'active' AND commitment_end <= $1 \
         ORDER BY commitment_end LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(SubscriptionRow::read).collect()
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
