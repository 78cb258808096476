//! The charge ledger (API-billing.md §6): immutable lines, written in the
//! transaction of the change that causes them; read in `(charge_date, sequence)`
//! order.

use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{ChargeLineId, InvoiceId, OrderId, OrgId, SubscriptionId};
use partnerd_domain::ledger::{ChargeType, Tier};
use partnerd_domain::money::Money;
use partnerd_domain::time::Timestamp;

use crate::Row;
use crate::sql::{Arg, Filter, PageOf};
use crate::{Conn, StoreResult};

/// One stored charge line. `sequence` is 0 until it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeLineRow {
    pub id: ChargeLineId,
    pub sequence: i64,
    pub charge_date: Date,
    pub charge_type: ChargeType,
    pub tier: Tier,
    pub seller_organization_id: OrgId,
    pub buyer_organization_id: OrgId,
    pub indirect_provider_id: OrgId,
    pub reseller_organization_id: OrgId,
    pub reseller_name: String,
    pub customer_id: OrgId,
    pub customer_name: String,
    pub subscription_id: SubscriptionId,
    pub order_id: Option<OrderId>,
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub term_duration: String,
    pub billing_frequency: String,
    pub period_start: Date,
    pub period_end: Date,
    pub charged_days: i64,
    pub billing_period_days: i64,
    pub quantity: i64,
    pub unit_price: Money,
    pub effective_unit_price: Money,
    pub amount: Money,
    pub invoice_id: Option<InvoiceId>,
    pub created_at: Timestamp,
}

const COLUMNS: &str = "id, sequence, charge_date, charge_type, tier, seller_organization_id, buyer_organization_id, \
     indirect_provider_id, reseller_organization_id, reseller_name, customer_id, customer_name, subscription_id, \
     order_id, offer_id, offer_name, product_family, term_duration, billing_frequency, period_start, period_end, \
     charged_days, billing_period_days, quantity, unit_price_minor, effective_unit_price_minor, amount_minor, \
     currency, invoice_id, created_at";

impl ChargeLineRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            sequence: r.try_get("sequence")?,
            charge_date: r.try_get("charge_date")?,
            charge_type: r.try_get("charge_type")?,
            tier: r.try_get("tier")?,
            seller_organization_id: r.try_get("seller_organization_id")?,
            buyer_organization_id: r.try_get("buyer_organization_id")?,
            indirect_provider_id: r.try_get("indirect_provider_id")?,
            reseller_organization_id: r.try_get("reseller_organization_id")?,
            reseller_name: r.try_get("reseller_name")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            subscription_id: r.try_get("subscription_id")?,
            order_id: r.try_get("order_id")?,
            offer_id: r.try_get("offer_id")?,
            offer_name: r.try_get("offer_name")?,
            product_family: r.try_get("product_family")?,
            term_duration: r.try_get("term_duration")?,
            billing_frequency: r.try_get("billing_frequency")?,
            period_start: r.try_get("period_start")?,
            period_end: r.try_get("period_end")?,
            charged_days: r.try_get("charged_days")?,
            billing_period_days: r.try_get("billing_period_days")?,
            quantity: r.try_get("quantity")?,
            unit_price: r.money("unit_price_minor", "currency")?,
            effective_unit_price: r.money("effective_unit_price_minor", "currency")?,
            amount: r.money("amount_minor", "currency")?,
            invoice_id: r.try_get("invoice_id")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// Writes one line; returns its sequence.
pub async fn insert(conn: &mut Conn, l: &ChargeLineRow) -> StoreResult<i64> {
    let seq: i64 = crate::query(
        "INSERT INTO charge_lines (id, charge_date, charge_type, tier, seller_organization_id, buyer_organization_id, \
         indirect_provider_id, reseller_organization_id, reseller_name, customer_id, customer_name, subscription_id, \
         order_id, offer_id, offer_name, product_family, term_duration, billing_frequency, period_start, period_end, \
         charged_days, billing_period_days, quantity, unit_price_minor, effective_unit_price_minor, amount_minor, \
         currency, invoice_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) RETURNING sequence",
    )
    .bind(&l.id)
    .bind(l.charge_date)
    .bind(l.charge_type)
    .bind(l.tier)
    .bind(&l.seller_organization_id)
    .bind(&l.buyer_organization_id)
    .bind(&l.indirect_provider_id)
    .bind(&l.reseller_organization_id)
    .bind(&l.reseller_name)
    .bind(&l.customer_id)
    .bind(&l.customer_name)
    .bind(&l.subscription_id)
    .bind(&l.order_id)
    .bind(&l.offer_id)
    .bind(&l.offer_name)
    .bind(&l.product_family)
    .bind(&l.term_duration)
    .bind(&l.billing_frequency)
    .bind(l.period_start)
    .bind(l.period_end)
    .bind(l.charged_days)
    .bind(l.billing_period_days)
    .bind(l.quantity)
    .bind(l.unit_price.minor())
    .bind(l.effective_unit_price.minor())
    .bind(l.amount.minor())
    .bind(l.amount.currency())
    .bind(&l.invoice_id)
    .bind(l.created_at)
    .fetch_scalar(conn)
    .await?;
    Ok(seq)
}

pub async fn get(conn: &mut Conn, id: &ChargeLineId) -> StoreResult<Option<ChargeLineRow>> {
    let row = crate::query(format!("SELECT {COLUMNS} FROM charge_lines WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(ChargeLineRow::read).transpose()
}

/// Which lines a ledger query reads. `party` limits to lines the organisation
/// sells or buys (`side` narrows it to one of the two).
#[derive(Debug, Clone, Default)]
pub struct LineQuery {
    pub party: Option<OrgId>,
    /// `seller` or `buyer`, with `party`.
    pub side: Option<Side>,
    pub tier: Option<Tier>,
    pub charge_date_from: Option<Date>,
    pub charge_date_to: Option<Date>,
    pub subscription_id: Option<String>,
    pub customer_id: Option<String>,
    pub reseller_organization_id: Option<String>,
    pub seller_organization_id: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub charge_type: Option<ChargeType>,
    /// Some(false): on no invoice; Some(true): on one.
    pub invoiced: Option<bool>,
    /// Tiers the reader may not see (a reseller never sees operator → provider).
    pub hidden_tiers: Vec<Tier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Seller,
    Buyer,
}

impl LineQuery {
    fn filter(&self) -> Filter {
        let mut f = Filter::new();
        if let Some(p) = &self.party {
            match self.side {
                Some(Side::Seller) => f.and("seller_organization_id = ?", [Arg::text(p)]),
                Some(Side::Buyer) => f.and("buyer_organization_id = ?", [Arg::text(p)]),
                None => f.and(
                    "(seller_organization_id = ? OR buyer_organization_id = ?)",
                    [Arg::text(p), Arg::text(p)],
                ),
            };
        }
        if let Some(t) = self.tier {
            f.and("tier = ?", [Arg::text(t.as_str())]);
        }
        for t in &self.hidden_tiers {
            f.and("tier <> ?", [Arg::text(t.as_str())]);
        }
        if let Some(d) = self.charge_date_from {
            f.and("charge_date >= ?", [Arg::text(d.to_string())]);
        }
        if let Some(d) = self.charge_date_to {
            f.and("charge_date <= ?", [Arg::text(d.to_string())]);
        }
        f.equal_if("subscription_id", self.subscription_id.as_ref());
        f.equal_if("customer_id", self.customer_id.as_ref());
        f.equal_if(
            "reseller_organization_id",
            self.reseller_organization_id.as_ref(),
        );
        f.equal_if(
            "seller_organization_id",
            self.seller_organization_id.as_ref(),
        );
        f.equal_if("buyer_organization_id", self.buyer_organization_id.as_ref());
        if let Some(c) = self.charge_type {
            f.and("charge_type = ?", [Arg::text(c.as_str())]);
        }
        match self.invoiced {
            Some(true) => f.and("invoice_id IS NOT NULL", []),
            Some(false) => f.and("invoice_id IS NULL", []),
            None => &mut f,
        };
        f
    }
}

/// Position in the ledger's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCursor {
    pub charge_date: Date,
    pub sequence: i64,
}

/// One page of lines in `(charge_date, sequence)` order, after `cursor`.
pub async fn list(
    conn: &mut Conn,
    q: &LineQuery,
    cursor: Option<LineCursor>,
    size: i64,
    count: bool,
) -> StoreResult<PageOf<ChargeLineRow>> {
    let mut f = q.filter();
    let total = if count {
        Some(
            f.query(format!(
                "SELECT COUNT(*) FROM charge_lines{}",
                f.where_clause()
            ))
            .fetch_scalar::<i64>(&mut *conn)
            .await?,
        )
    } else {
        None
    };
    if let Some(c) = cursor {
        let d = c.charge_date.to_string();
        f.and(
            "(charge_date > ? OR (charge_date = ? AND sequence > ?))",
            [Arg::Text(d.clone()), Arg::Text(d), Arg::Int(c.sequence)],
        );
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM charge_lines{} ORDER BY charge_date, sequence LIMIT {}",
        f.where_clause(),
        size + 1
    );
    let rows = f.query(sql).fetch_all(conn).await?;
    let mut rows = rows
        .iter()
        .map(ChargeLineRow::read)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(0));
    Ok(PageOf { rows, more, total })
}

/// The lines of one subscription in the order written.
pub async fn of_subscription(
    conn: &mut Conn,
    subscription_id: &SubscriptionId,
) -> StoreResult<Vec<ChargeLineRow>> {
    let rows = crate::query(format!(
        "SELECT {COLUMNS} FROM charge_lines WHERE subscription_id = $1 ORDER BY sequence"
    ))
    .bind(subscription_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(ChargeLineRow::read).collect()
}

/// The lines on an invoice in its order.
pub async fn on_invoice(conn: &mut Conn, invoice: &InvoiceId) -> StoreResult<Vec<ChargeLineRow>> {
    let rows = crate::query(format!(
        "SELECT {COLUMNS} FROM charge_lines WHERE invoice_id = $1 ORDER BY charge_date, sequence"
    ))
    .bind(invoice)
    .fetch_all(conn)
    .await?;
    rows.iter().map(ChargeLineRow::read).collect()
}

/// The (tier, seller) pairs with lines dated `from…to`, in tier order then by
/// seller id (a billing run's order; the tiers' names sort in §1's order).
pub async fn sellers_between(
    conn: &mut Conn,
    from: Date,
    to: Date,
) -> StoreResult<Vec<(Tier, OrgId)>> {
    let rows = crate::query(
        "SELECT DISTINCT tier, seller_organization_id FROM charge_lines WHERE charge_date >= $1 \
         AND charge_date <= $2 ORDER BY tier, seller_organization_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("tier")?, r.try_get("seller_organization_id")?)))
        .collect()
}

/// One seller's lines at one tier dated `from…to`, by buyer id, then in the
/// ledger's order; `uninvoiced` leaves out lines already on an invoice.
pub async fn of_seller_between(
    conn: &mut Conn,
    tier: Tier,
    seller: &OrgId,
    from: Date,
    to: Date,
    uninvoiced: bool,
) -> StoreResult<Vec<ChargeLineRow>> {
    let rows = crate::query(format!(
        "SELECT {COLUMNS} FROM charge_lines WHERE tier = $1 AND seller_organization_id = $2 \
         AND charge_date >= $3 AND charge_date <= $4{} \
         ORDER BY buyer_organization_id, charge_date, sequence",
        if uninvoiced {
            " AND invoice_id IS NULL"
        } else {
            ""
        }
    ))
    .bind(tier)
    .bind(seller)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter().map(ChargeLineRow::read).collect()
}
