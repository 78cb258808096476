//! Billing runs, invoices and payments (API-billing.md §7): one run per month, an
//! invoice per (tier, seller, buyer) of it numbered by the seller's own counter,
//! and the payments a seller records against an issued invoice.

use partnerd_domain::calendar::{Date, Month};
use partnerd_domain::ids::{BillingRunId, InvoiceId, OrgId, PaymentId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::Money;
use partnerd_domain::time::Timestamp;

use crate::ledger::ChargeLineRow;
use crate::sql::{Arg, Filter, PageOf, PageRequest, newest_first};
use crate::{Conn, Row, StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Completed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
        }
    }
}

/// One tier's total in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TierTotal {
    pub tier: Tier,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BillingRunRow {
    pub id: BillingRunId,
    pub month: Month,
    pub status: RunStatus,
    pub started_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub invoice_count: i64,
    pub line_count: i64,
    pub totals: Vec<TierTotal>,
    pub digest: Option<String>,
    /// JSON of who started it.
    pub created_by: String,
}

const RUN_COLUMNS: &str = "id, month, status, started_at, completed_at, invoice_count, line_count, totals, digest, created_by";

fn totals_json(t: &[TierTotal]) -> String {
    serde_json::Value::Array(
        t.iter()
            .map(|t| {
                serde_json::json!({"tier": t.tier.as_str(), "amountMinor": t.amount.minor(),
                                   "currency": t.amount.currency().as_str()})
            })
            .collect(),
    )
    .to_string()
}

fn totals_from(raw: &str) -> StoreResult<Vec<TierTotal>> {
    let bad = || StoreError::Corrupt(format!("billing run totals '{raw}'"));
    let v: Vec<serde_json::Value> = serde_json::from_str(raw).map_err(|_| bad())?;
    v.iter()
        .map(|t| {
            let tier = t["tier"].as_str().and_then(Tier::parse).ok_or_else(bad)?;
            let minor = t["amountMinor"].as_i64().ok_or_else(bad)?;
            let currency = t["currency"]
                .as_str()
                .and_then(|c| partnerd_domain::money::Currency::parse(c).ok())
                .ok_or_else(bad)?;
            Ok(TierTotal {
                tier,
                amount: Money::new(minor, currency),
            })
        })
        .collect()
}

impl BillingRunRow {
    fn read(r: &Row) -> StoreResult<Self> {
        let status: String = r.try_get("status")?;
        Ok(Self {
            id: r.try_get("id")?,
            month: r.try_get("month")?,
            status: match status.as_str() {
                "running" => RunStatus::Running,
                "completed" => RunStatus::Completed,
                other => return Err(StoreError::Corrupt(format!("run status '{other}'"))),
            },
            started_at: r.try_get("started_at")?,
            completed_at: r.try_get("completed_at")?,
            invoice_count: r.try_get("invoice_count")?,
            line_count: r.try_get("line_count")?,
            totals: totals_from(&r.try_get::<String>("totals")?)?,
            digest: r.try_get("digest")?,
            created_by: r.try_get("created_by")?,
        })
    }
}

/// Starts the month's run; false if it already has one.
pub async fn insert_run(conn: &mut Conn, r: &BillingRunRow) -> StoreResult<bool> {
    let done = crate::query(
        "INSERT INTO billing_runs (id, month, status, started_at, created_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (month) DO NOTHING",
    )
    .bind(&r.id)
    .bind(r.month)
    .bind(r.status.as_str())
    .bind(r.started_at)
    .bind(&r.created_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the run's row lock for the rest of the transaction, so two replicas
/// running the same month write each seller's invoices once.
pub async fn lock_run(conn: &mut Conn, id: &BillingRunId) -> StoreResult<()> {
    crate::query("UPDATE billing_runs SET status = status WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Completes a running run; false if another caller completed it first.
pub async fn complete_run(conn: &mut Conn, r: &BillingRunRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE billing_runs SET status = 'completed', completed_at = $1, invoice_count = $2, line_count = $3, \
         totals = $4, digest = $5 WHERE id = $6 AND status = 'running'",
    )
    .bind(r.completed_at)
    .bind(r.invoice_count)
    .bind(r.line_count)
    .bind(totals_json(&r.totals))
    .bind(&r.digest)
    .bind(&r.id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn run_of_month(conn: &mut Conn, month: Month) -> StoreResult<Option<BillingRunRow>> {
    let row = crate::query(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE month = $1"
    ))
    .bind(month)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(BillingRunRow::read).transpose()
}

pub async fn get_run(conn: &mut Conn, id: &BillingRunId) -> StoreResult<Option<BillingRunRow>> {
    let row = crate::query(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(BillingRunRow::read).transpose()
}

/// Runs, newest month first, `offset` rows in.
pub async fn list_runs(
    conn: &mut Conn,
    offset: i64,
    size: i64,
) -> StoreResult<PageOf<BillingRunRow>> {
    let total: i64 = crate::query("SELECT COUNT(*) FROM billing_runs")
        .fetch_scalar(&mut *conn)
        .await?;
    let rows = crate::query(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs ORDER BY month DESC LIMIT {} OFFSET {}",
        size + 1,
        offset.max(0)
    ))
    .fetch_all(conn)
    .await?;
    let mut rows = rows
        .iter()
        .map(BillingRunRow::read)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(0));
    Ok(PageOf {
        rows,
        more,
        total: Some(total),
    })
}

/// Runs still `running` (interrupted; the job resumes them).
pub async fn unfinished_runs(conn: &mut Conn) -> StoreResult<Vec<BillingRunRow>> {
    let rows = crate::query(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE status = 'running' ORDER BY month"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(BillingRunRow::read).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Issued,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Issued, Self::Paid, Self::Void];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One reseller's share of an invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct ResellerSubtotal {
    pub reseller_organization_id: OrgId,
    pub reseller_name: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceRow {
    pub id: InvoiceId,
    pub number: String,
    pub tier: Tier,
    pub seller_organization_id: OrgId,
    pub seller_name: String,
    pub buyer_organization_id: OrgId,
    pub buyer_name: String,
    pub month: Month,
    pub status: InvoiceStatus,
    pub line_count: i64,
    pub total: Money,
    pub reseller_subtotals: Vec<ResellerSubtotal>,
    pub amount_paid: Money,
    pub document_digest: String,
    pub billing_run_id: Option<BillingRunId>,
    pub replaces_invoice_id: Option<InvoiceId>,
    pub replaced_by_invoice_id: Option<InvoiceId>,
    pub invoice_date: Option<Date>,
    pub due_date: Option<Date>,
    pub issued_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub voided_at: Option<Timestamp>,
    pub void_reason: Option<String>,
    pub created_at: Timestamp,
    pub version: i64,
}

const INVOICE_COLUMNS: &str = "id, number, tier, seller_organization_id, seller_name, buyer_organization_id, \
     buyer_name, month, status, currency, line_count, total_minor, reseller_subtotals, amount_paid_minor, \
     document_digest, billing_run_id, replaces_invoice_id, replaced_by_invoice_id, invoice_date, due_date, \
     issued_at, paid_at, voided_at, void_reason, created_at, version";

fn subtotals_json(s: &[ResellerSubtotal]) -> String {
    serde_json::Value::Array(
        s.iter()
            .map(|s| {
                serde_json::json!({"resellerOrganizationId": s.reseller_organization_id.as_str(),
                                   "resellerName": s.reseller_name, "amountMinor": s.amount.minor()})
            })
            .collect(),
    )
    .to_string()
}

impl InvoiceRow {
    fn read(r: &Row) -> StoreResult<Self> {
        let total = r.money("total_minor", "currency")?;
        let currency = total.currency();
        let raw: String = r.try_get("reseller_subtotals")?;
        let bad = || StoreError::Corrupt(format!("reseller subtotals '{raw}'"));
        let subtotals: Vec<serde_json::Value> = serde_json::from_str(&raw).map_err(|_| bad())?;
        let status: String = r.try_get("status")?;
        Ok(Self {
            id: r.try_get("id")?,
            number: r.try_get("number")?,
            tier: r.try_get("tier")?,
            seller_organization_id: r.try_get("seller_organization_id")?,
            seller_name: r.try_get("seller_name")?,
            buyer_organization_id: r.try_get("buyer_organization_id")?,
            buyer_name: r.try_get("buyer_name")?,
            month: r.try_get("month")?,
            status: InvoiceStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("invoice status '{status}'")))?,
            line_count: r.try_get("line_count")?,
            total,
            reseller_subtotals: subtotals
                .iter()
                .map(|s| {
                    Ok(ResellerSubtotal {
                        reseller_organization_id: OrgId::from_raw(
                            s["resellerOrganizationId"]
                                .as_str()
                                .ok_or_else(bad)?
                                .to_owned(),
                        ),
                        reseller_name: s["resellerName"].as_str().ok_or_else(bad)?.to_owned(),
                        amount: Money::new(s["amountMinor"].as_i64().ok_or_else(bad)?, currency),
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?,
            amount_paid: r.money("amount_paid_minor", "currency")?,
            document_digest: r.try_get("document_digest")?,
            billing_run_id: r.try_get("billing_run_id")?,
            replaces_invoice_id: r.try_get("replaces_invoice_id")?,
            replaced_by_invoice_id: r.try_get("replaced_by_invoice_id")?,
            invoice_date: r.try_get("invoice_date")?,
            due_date: r.try_get("due_date")?,
            issued_at: r.try_get("issued_at")?,
            paid_at: r.try_get("paid_at")?,
            voided_at: r.try_get("voided_at")?,
            void_reason: r.try_get("void_reason")?,
            created_at: r.try_get("created_at")?,
            version: r.try_get("version")?,
        })
    }
}

/// The seller's next invoice number (1, 2, …), taken in the caller's transaction
/// so numbers have no gaps.
pub async fn next_number(conn: &mut Conn, seller: &OrgId) -> StoreResult<i64> {
    let n: i64 = crate::query(
        "INSERT INTO invoice_counters (seller_organization_id, last_number) VALUES ($1, 1) \
         ON CONFLICT (seller_organization_id) DO UPDATE SET last_number = invoice_counters.last_number + 1 \
         RETURNING last_number",
    )
    .bind(seller)
    .fetch_scalar(conn)
    .await?;
    Ok(n)
}

pub async fn insert_invoice(conn: &mut Conn, i: &InvoiceRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)"
    ))
    .bind(&i.id)
    .bind(&i.number)
    .bind(i.tier)
    .bind(&i.seller_organization_id)
    .bind(&i.seller_name)
    .bind(&i.buyer_organization_id)
    .bind(&i.buyer_name)
    .bind(i.month)
    .bind(i.status.as_str())
    .bind(i.total.currency())
    .bind(i.line_count)
    .bind(i.total.minor())
    .bind(subtotals_json(&i.reseller_subtotals))
    .bind(i.amount_paid.minor())
    .bind(&i.document_digest)
    .bind(&i.billing_run_id)
    .bind(&i.replaces_invoice_id)
    .bind(&i.replaced_by_invoice_id)
    .bind(i.invoice_date)
    .bind(i.due_date)
    .bind(i.issued_at)
    .bind(i.paid_at)
    .bind(i.voided_at)
    .bind(&i.void_reason)
    .bind(i.created_at)
    .bind(i.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the invoice's changing members if it is still at `version`.
pub async fn update_invoice(conn: &mut Conn, i: &InvoiceRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE invoices SET status = $1, amount_paid_minor = $2, replaced_by_invoice_id = $3, invoice_date = $4, \
         due_date = $5, issued_at = $6, paid_at = $7, voided_at = $8, void_reason = $9, version = version + 1 \
         WHERE id = $10 AND version = $11",
    )
    .bind(i.status.as_str())
    .bind(i.amount_paid.minor())
    .bind(&i.replaced_by_invoice_id)
    .bind(i.invoice_date)
    .bind(i.due_date)
    .bind(i.issued_at)
    .bind(i.paid_at)
    .bind(i.voided_at)
    .bind(&i.void_reason)
    .bind(&i.id)
    .bind(i.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_invoice(conn: &mut Conn, id: &InvoiceId) -> StoreResult<Option<InvoiceRow>> {
    let row = crate::query(format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(InvoiceRow::read).transpose()
}

/// Which invoices a list reads.
#[derive(Debug, Clone, Default)]
pub struct InvoiceQuery {
    /// Only invoices the organisation sells or buys (`seller_side` narrows it).
    pub party: Option<OrgId>,
    /// Some(true): as seller; Some(false): as buyer.
    pub seller_side: Option<bool>,
    pub tier: Option<Tier>,
    pub month: Option<Month>,
    pub status: Option<InvoiceStatus>,
    pub seller_organization_id: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub number: Option<String>,
    pub billing_run_id: Option<BillingRunId>,
}

impl InvoiceQuery {
    fn filter(&self) -> Filter {
        let mut f = Filter::new();
        if let Some(p) = &self.party {
            match self.seller_side {
                Some(true) => f.and("seller_organization_id = ?", [Arg::text(p)]),
                Some(false) => f.and("buyer_organization_id = ?", [Arg::text(p)]),
                None => f.and(
                    "(seller_organization_id = ? OR buyer_organization_id = ?)",
                    [Arg::text(p), Arg::text(p)],
                ),
            };
        }
        if let Some(t) = self.tier {
            f.and("tier = ?", [Arg::text(t.as_str())]);
        }
        if let Some(m) = self.month {
            f.and("month = ?", [Arg::text(m.to_string())]);
        }
        if let Some(s) = self.status {
            f.state_is("status", s.as_str());
        }
        f.equal_if(
            "seller_organization_id",
            self.seller_organization_id.as_ref(),
        );
        f.equal_if("buyer_organization_id", self.buyer_organization_id.as_ref());
        f.equal_if("number", self.number.as_ref());
        f.equal_if("billing_run_id", self.billing_run_id.as_ref());
        f
    }
}

/// Invoices newest first.
pub async fn list_invoices(
    conn: &mut Conn,
    q: &InvoiceQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<InvoiceRow>> {
    newest_first(
        conn,
        q.filter(),
        "invoices",
        INVOICE_COLUMNS,
        "created_at",
        page,
        InvoiceRow::read,
    )
    .await
}

/// Every invoice matching `q` (a run's, a month's drafts), in creation order.
pub async fn all_invoices(conn: &mut Conn, q: &InvoiceQuery) -> StoreResult<Vec<InvoiceRow>> {
    let f = q.filter();
    let rows = f
        .query(format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices{} ORDER BY created_at, id",
            f.where_clause()
        ))
        .fetch_all(conn)
        .await?;
    rows.iter().map(InvoiceRow::read).collect()
}

/// The lines on an invoice in its order (`chargeDate`, `sequence`).
pub async fn lines_of(conn: &mut Conn, id: &InvoiceId) -> StoreResult<Vec<ChargeLineRow>> {
    crate::ledger::on_invoice(conn, id).await
}

/// Puts lines on an invoice; false if one was already on another (a concurrent
/// run took it).
pub async fn attach_lines(
    conn: &mut Conn,
    invoice: &InvoiceId,
    lines: &[partnerd_domain::ids::ChargeLineId],
) -> StoreResult<bool> {
    for chunk in lines.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let mut q = crate::query(format!(
            "UPDATE charge_lines SET invoice_id = $1 WHERE invoice_id IS NULL AND id IN ({})",
            marks.join(", ")
        ))
        .bind(invoice);
        for id in chunk {
            q = q.bind(id);
        }
        let done = q.execute(&mut *conn).await?;
        if done.rows_affected() != chunk.len() as u64 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Moves a voided invoice's lines to its replacement.
pub async fn move_lines(conn: &mut Conn, from: &InvoiceId, to: &InvoiceId) -> StoreResult<()> {
    crate::query("UPDATE charge_lines SET invoice_id = $1 WHERE invoice_id = $2")
        .bind(to)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Recorded,
    Reversed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Reversed => "reversed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRow {
    pub id: PaymentId,
    pub invoice_id: InvoiceId,
    pub amount: Money,
    pub paid_on: Date,
    pub reference: String,
    pub note: Option<String>,
    pub status: PaymentStatus,
    pub recorded_at: Timestamp,
    /// JSON of who recorded it.
    pub recorded_by: String,
    pub reversed_at: Option<Timestamp>,
    pub reverse_reason: Option<String>,
    pub version: i64,
}

const PAYMENT_COLUMNS: &str = "id, invoice_id, amount_minor, currency, paid_on, reference, note, status, \
     recorded_at, recorded_by, reversed_at, reverse_reason, version";

impl PaymentRow {
    fn read(r: &Row) -> StoreResult<Self> {
        let status: String = r.try_get("status")?;
        Ok(Self {
            id: r.try_get("id")?,
            invoice_id: r.try_get("invoice_id")?,
            amount: r.money("amount_minor", "currency")?,
            paid_on: r.try_get("paid_on")?,
            reference: r.try_get("reference")?,
            note: r.try_get("note")?,
            status: match status.as_str() {
                "recorded" => PaymentStatus::Recorded,
                "reversed" => PaymentStatus::Reversed,
                other => return Err(StoreError::Corrupt(format!("payment status '{other}'"))),
            },
            recorded_at: r.try_get("recorded_at")?,
            recorded_by: r.try_get("recorded_by")?,
            reversed_at: r.try_get("reversed_at")?,
            reverse_reason: r.try_get("reverse_reason")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_payment(conn: &mut Conn, p: &PaymentRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&p.id)
    .bind(&p.invoice_id)
    .bind(p.amount.minor())
    .bind(p.amount.currency())
    .bind(p.paid_on)
    .bind(&p.reference)
    .bind(&p.note)
    .bind(p.status.as_str())
    .bind(p.recorded_at)
    .bind(&p.recorded_by)
    .bind(p.reversed_at)
    .bind(&p.reverse_reason)
    .bind(p.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn reverse_payment(conn: &mut Conn, p: &PaymentRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE payments SET status = 'reversed', reversed_at = $1, reverse_reason = $2, version = version + 1 \
         WHERE id = $3 AND status = 'recorded'",
    )
    .bind(p.reversed_at)
    .bind(&p.reverse_reason)
    .bind(&p.id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_payment(conn: &mut Conn, id: &PaymentId) -> StoreResult<Option<PaymentRow>> {
    let row = crate::query(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(PaymentRow::read).transpose()
}

/// Which payments a list reads.
#[derive(Debug, Clone, Default)]
pub struct PaymentQuery {
    pub invoice_id: Option<InvoiceId>,
    /// Payments on invoices the organisation sells or buys.
    pub party: Option<OrgId>,
    pub seller_side: Option<bool>,
    pub paid_on_from: Option<Date>,
    pub paid_on_to: Option<Date>,
    pub status: Option<PaymentStatus>,
}

/// Payments newest first.
pub async fn list_payments(
    conn: &mut Conn,
    q: &PaymentQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<PaymentRow>> {
    let mut f = Filter::new();
    f.equal_if("invoice_id", q.invoice_id.as_ref());
    if let Some(p) = &q.party {
        let cond = match q.seller_side {
            Some(true) => {
                "invoice_id IN (SELECT id FROM invoices WHERE seller_organization_id = ?)"
            }
            Some(false) => {
                "invoice_id IN (SELECT id FROM invoices WHERE buyer_organization_id = ?)"
            }
            None => {
                "invoice_id IN (SELECT id FROM invoices WHERE seller_organization_id = ? OR buyer_organization_id = ?)"
            }
        };
        if q.seller_side.is_none() {
            f.and(cond, [Arg::text(p), Arg::text(p)]);
        } else {
            f.and(cond, [Arg::text(p)]);
        }
    }
    if let Some(d) = q.paid_on_from {
        f.and("paid_on >= ?", [Arg::text(d.to_string())]);
    }
    if let Some(d) = q.paid_on_to {
        f.and("paid_on <= ?", [Arg::text(d.to_string())]);
    }
    if let Some(s) = q.status {
        f.state_is("status", s.as_str());
    }
    newest_first(
        conn,
        f,
        "payments",
        PAYMENT_COLUMNS,
        "recorded_at",
        page,
        PaymentRow::read,
    )
    .await
}

/// Σ recorded (not reversed) payments of an invoice, in minor units.
pub async fn paid_minor(conn: &mut Conn, invoice: &InvoiceId) -> StoreResult<i64> {
    let n: i64 = crate::query(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM payments WHERE invoice_id = $1 \
         AND status = 'recorded'",
    )
    .bind(invoice)
    .fetch_scalar(conn)
    .await?;
    Ok(n)
}
