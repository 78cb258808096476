//! Billing runs and invoices (API-billing.md §7.1–§7.2): once a month closes,
//! one run turns its charge lines into a draft invoice per (tier, seller, buyer),
//! numbered by the seller's own counter; sellers issue and void them. The same
//! lines always make the same CSV bytes, so a run is reproducible and a preview
//! shows the digests the run will have.

use std::collections::BTreeMap;

use partnerd_domain::calendar::{Date, Month};
use partnerd_domain::ids::{BillingRunId, InvoiceId, OrgId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::Money;
use partnerd_domain::policy::{Action, Refusal};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{FieldError, OrgKind};
use partnerd_store::invoices::{
    self, BillingRunRow, InvoiceQuery, InvoiceRow, InvoiceStatus, ResellerSubtotal, RunStatus,
    TierTotal,
};
use partnerd_store::ledger::ChargeLineRow;
use partnerd_store::{Conn, ledger, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::charges::ChargeLine;
use super::csv;
use super::repricing::author_json;
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::Conflict;
use crate::events::Event;
use crate::mail::{self, OutgoingMail};
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// A party's name as written on the invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    pub name: String,
}

/// One tier's total in a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierAmount {
    #[schema(value_type = String, example = "providerToReseller")]
    pub tier: Tier,
    pub amount: Money,
}

/// A month's billing run.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingRun {
    /// Null in a preview.
    #[schema(value_type = Option<String>)]
    pub id: Option<BillingRunId>,
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    /// `running` or `completed`.
    pub status: String,
    pub started_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub invoice_count: i64,
    pub line_count: i64,
    pub totals: Vec<TierAmount>,
    /// Hex SHA-256 of one line per invoice in run order:
    /// `{tier},{sellerOrganizationId},{buyerOrganizationId},{documentDigest}\n`.
    pub digest: Option<String>,
    #[schema(value_type = crate::catalog::PriceAuthor)]
    pub created_by: serde_json::Value,
}

impl BillingRun {
    fn of(r: BillingRunRow) -> Self {
        Self {
            id: Some(r.id),
            month: r.month,
            status: r.status.as_str().into(),
            started_at: r.started_at,
            completed_at: r.completed_at,
            invoice_count: r.invoice_count,
            line_count: r.line_count,
            totals: r
                .totals
                .into_iter()
                .map(|t| TierAmount {
                    tier: t.tier,
                    amount: t.amount,
                })
                .collect(),
            digest: r.digest,
            created_by: serde_json::from_str(&r.created_by).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// One reseller's share of an invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResellerAmount {
    #[schema(value_type = String)]
    pub reseller_organization_id: OrgId,
    pub reseller_name: String,
    pub amount: Money,
}

/// An invoice (§7.2).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Null in a preview.
    #[schema(value_type = Option<String>)]
    pub id: Option<InvoiceId>,
    /// The seller's number, six digits at least (`000001`); null in a preview.
    pub number: Option<String>,
    #[schema(value_type = String, example = "providerToReseller")]
    pub tier: Tier,
    #[schema(value_type = String)]
    pub seller_organization_id: OrgId,
    pub seller: Named,
    #[schema(value_type = String)]
    pub buyer_organization_id: OrgId,
    pub buyer: Named,
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    /// `draft`, `issued`, `paid` or `void`.
    pub status: String,
    pub currency: String,
    pub line_count: i64,
    /// Σ of the lines' amounts; may be zero or negative.
    pub total: Money,
    pub reseller_subtotals: Vec<ResellerAmount>,
    pub amount_paid: Money,
    pub balance_due: Money,
    /// Hex SHA-256 of the invoice's CSV.
    pub document_digest: String,
    #[schema(value_type = Option<String>)]
    pub billing_run_id: Option<BillingRunId>,
    #[schema(value_type = Option<String>)]
    pub replaces_invoice_id: Option<InvoiceId>,
    #[schema(value_type = Option<String>)]
    pub replaced_by_invoice_id: Option<InvoiceId>,
    #[schema(value_type = Option<String>)]
    pub invoice_date: Option<Date>,
    #[schema(value_type = Option<String>)]
    pub due_date: Option<Date>,
    pub issued_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub voided_at: Option<Timestamp>,
    pub void_reason: Option<String>,
    pub created_at: Timestamp,
    pub etag: Option<String>,
}

impl Invoice {
    pub(crate) fn of(r: InvoiceRow) -> Self {
        let balance = Money::new(
            r.total.minor().saturating_sub(r.amount_paid.minor()),
            r.total.currency(),
        );
        Self {
            etag: Some(etag(&r.id, r.version)),
            id: Some(r.id),
            number: Some(r.number),
            tier: r.tier,
            seller_organization_id: r.seller_organization_id,
            seller: Named {
                name: r.seller_name,
            },
            buyer_organization_id: r.buyer_organization_id,
            buyer: Named { name: r.buyer_name },
            month: r.month,
            status: r.status.as_str().into(),
            currency: r.total.currency().as_str().into(),
            line_count: r.line_count,
            total: r.total,
            reseller_subtotals: r
                .reseller_subtotals
                .into_iter()
                .map(|s| ResellerAmount {
                    reseller_organization_id: s.reseller_organization_id,
                    reseller_name: s.reseller_name,
                    amount: s.amount,
                })
                .collect(),
            amount_paid: r.amount_paid,
            balance_due: balance,
            document_digest: r.document_digest,
            billing_run_id: r.billing_run_id,
            replaces_invoice_id: r.replaces_invoice_id,
            replaced_by_invoice_id: r.replaced_by_invoice_id,
            invoice_date: r.invoice_date,
            due_date: r.due_date,
            issued_at: r.issued_at,
            paid_at: r.paid_at,
            voided_at: r.voided_at,
            void_reason: r.void_reason,
            created_at: r.created_at,
        }
    }
}

/// A line of an invoice: the charge line and its place on the invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    pub line_number: i64,
    #[serde(flatten)]
    pub line: ChargeLine,
}

/// A preview: the run and invoices as they would be, nothing stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillingRunPreview {
    pub run: BillingRun,
    pub invoices: Vec<Invoice>,
}

/// What `POST /v1/billingruns` did.
#[derive(Debug, Clone)]
pub enum RunOutcome {
    /// The run just made (201).
    Created(BillingRun),
    /// The month's run that already existed (200).
    Existing(BillingRun),
    /// Nothing stored (200).
    Preview(BillingRunPreview),
}

/// `GET /v1/invoices` filters as sent.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilters {
    pub side: Option<String>,
    pub tier: Option<String>,
    pub month: Option<String>,
    pub status: Option<String>,
    pub seller_organization_id: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub number: Option<String>,
}

/// One buyer's share of a (tier, seller)'s lines: the invoice it makes.
struct Draft {
    buyer: OrgId,
    lines: Vec<ChargeLineRow>,
    total: Money,
    subtotals: Vec<ResellerSubtotal>,
    digest: String,
}

/// Splits one seller's lines (ordered by buyer, then the ledger's order) into
/// one draft per buyer.
fn drafts(lines: Vec<ChargeLineRow>, currency: partnerd_domain::money::Currency) -> Vec<Draft> {
    let mut by_buyer: BTreeMap<OrgId, Vec<ChargeLineRow>> = BTreeMap::new();
    for l in lines {
        by_buyer
            .entry(l.buyer_organization_id.clone())
            .or_default()
            .push(l);
    }
    by_buyer
        .into_iter()
        .map(|(buyer, lines)| {
            let total = lines.iter().map(|l| l.amount.minor()).sum::<i64>();
            let mut resellers: BTreeMap<OrgId, (String, i64)> = BTreeMap::new();
            for l in &lines {
                let e = resellers
                    .entry(l.reseller_organization_id.clone())
                    .or_insert_with(|| (l.reseller_name.clone(), 0));
                e.0.clone_from(&l.reseller_name);
                e.1 += l.amount.minor();
            }
            Draft {
                buyer,
                digest: csv::digest(csv::render(&lines).as_bytes()),
                total: Money::new(total, currency),
                subtotals: resellers
                    .into_iter()
                    .map(|(id, (name, amount))| ResellerSubtotal {
                        reseller_organization_id: id,
                        reseller_name: name,
                        amount: Money::new(amount, currency),
                    })
                    .collect(),
                lines,
            }
        })
        .collect()
}

/// The run's digest: one line per invoice in run order.
fn run_digest<'a>(
    invoices: impl Iterator<Item = (&'a Tier, &'a OrgId, &'a OrgId, &'a str)>,
) -> String {
    let mut text = String::new();
    for (tier, seller, buyer, digest) in invoices {
        text.push_str(&format!("{},{seller},{buyer},{digest}\n", tier.as_str()));
    }
    csv::digest(text.as_bytes())
}

fn tier_totals(
    invoices: &[(Tier, Money)],
    currency: partnerd_domain::money::Currency,
) -> Vec<TierTotal> {
    Tier::ALL
        .into_iter()
        .filter_map(|t| {
            let of_tier: Vec<i64> = invoices
                .iter()
                .filter(|(x, _)| *x == t)
                .map(|(_, m)| m.minor())
                .collect();
            (!of_tier.is_empty()).then(|| TierTotal {
                tier: t,
                amount: Money::new(of_tier.iter().sum(), currency),
            })
        })
        .collect()
}

fn invalid_state(detail: impl Into<String>) -> AppError {
    AppError::conflict(Conflict::InvalidState, detail)
}

/// The invoice number as printed: six digits at least.
fn number_text(n: i64) -> String {
    format!("{n:06}")
}

impl App {
    /// Whether `month` is closed: its end plus the close delay has passed.
    pub fn month_closed(&self, month: Month) -> bool {
        let delay = i64::from(self.config().billing.close_delay_minutes) * Timestamp::MINUTE;
        self.now() >= month.next().start().plus_millis(delay)
    }

    /// Names of organisations, as written on an invoice now.
    async fn name_of(&self, conn: &mut Conn, id: &OrgId) -> AppResult<String> {
        Ok(organizations::get(conn, id)
            .await?
            .map(|o| o.name)
            .unwrap_or_else(|| id.to_string()))
    }

    /// `POST /v1/billingruns`.
    pub async fn run_billing(
        &self,
        p: &Principal,
        ctx: &Ctx,
        month: &str,
        preview: bool,
    ) -> AppResult<RunOutcome> {
        p.require(Action::RunBilling)?;
        let month = Month::parse(month.trim()).ok_or_else(|| {
            AppError::field(FieldError::invalid(
                "/month",
                "must be a month, such as 2026-03",
            ))
        })?;
        let current = Month::of(self.now());
        if month > current {
            return Err(AppError::field(FieldError::invalid(
                "/month",
                format!(
                    "{} has not begun; bill {} or an earlier month",
                    month.spoken(),
                    current.spoken()
                ),
            )));
        }
        if preview {
            return Ok(RunOutcome::Preview(self.preview_run(month).await?));
        }
        if !self.month_closed(month) {
            return Err(AppError::conflict(
                Conflict::BillingPeriodOpen,
                format!(
                    "{} closes {} minutes after it ends; run it then, or preview it now",
                    month.spoken(),
                    self.config().billing.close_delay_minutes
                ),
            ));
        }
        let (run, created) = self
            .billing_run(Actor::Principal(p), author_json(p), ctx, month)
            .await?;
        Ok(if created {
            RunOutcome::Created(BillingRun::of(run))
        } else {
            RunOutcome::Existing(BillingRun::of(run))
        })
    }

    /// Runs a closed month's billing as the platform (the CLI, the demo): the
    /// month's run, made now or before.
    pub async fn run_billing_month(&self, ctx: &Ctx, month: Month) -> AppResult<BillingRun> {
        if !self.month_closed(month) {
            return Err(AppError::conflict(
                Conflict::BillingPeriodOpen,
                format!("{} is not closed yet", month.spoken()),
            ));
        }
        let (run, _) = self
            .billing_run(Actor::System("billing"), system_author(), ctx, month)
            .await?;
        Ok(BillingRun::of(run))
    }

    /// The month's run: the existing one (resumed if interrupted), or a new one.
    /// True when this call made it.
    async fn billing_run(
        &self,
        actor: Actor<'_>,
        created_by: String,
        ctx: &Ctx,
        month: Month,
    ) -> AppResult<(BillingRunRow, bool)> {
        let mut conn = self.db().conn().await?;
        if let Some(r) = invoices::run_of_month(&mut conn, month).await?
            && r.status == RunStatus::Completed
        {
            return Ok((r, false));
        }
        drop(conn);
        // (1) Every system event scheduled before the month's end writes its
        // lines first (the month is closed, so they are all due).
        self.run_system_events_once().await?;
        let mut tx = self.db().begin().await?;
        let fresh = BillingRunRow {
            id: BillingRunId::generate(),
            month,
            status: RunStatus::Running,
            started_at: self.now(),
            completed_at: None,
            invoice_count: 0,
            line_count: 0,
            totals: Vec::new(),
            digest: None,
            created_by,
        };
        let created = invoices::insert_run(&mut tx, &fresh).await?;
        partnerd_store::commit(tx).await?;
        let mut conn = self.db().conn().await?;
        let run = invoices::run_of_month(&mut conn, month)
            .await?
            .ok_or_else(AppError::not_found)?;
        if run.status == RunStatus::Completed {
            return Ok((run, false));
        }
        let (from, to) = (month.first_day(), month.last_day());
        let sellers = ledger::sellers_between(&mut conn, from, to).await?;
        drop(conn);
        // (3) One transaction per (tier, seller); a pair done before an
        // interruption already has its invoices.
        for (tier, seller) in sellers {
            self.invoice_seller(&actor, ctx, &run, tier, &seller)
                .await?;
        }
        let mut tx = self.db().begin().await?;
        invoices::lock_run(&mut tx, &run.id).await?;
        let mut all = invoices::all_invoices(
            &mut tx,
            &InvoiceQuery {
                billing_run_id: Some(run.id.clone()),
                ..Default::default()
            },
        )
        .await?;
        all.sort_by(|a, b| {
            (a.tier, &a.seller_organization_id, &a.buyer_organization_id).cmp(&(
                b.tier,
                &b.seller_organization_id,
                &b.buyer_organization_id,
            ))
        });
        let currency = self.config().currency;
        let done = BillingRunRow {
            status: RunStatus::Completed,
            completed_at: Some(self.now()),
            invoice_count: all.len() as i64,
            line_count: all.iter().map(|i| i.line_count).sum(),
            totals: tier_totals(
                &all.iter().map(|i| (i.tier, i.total)).collect::<Vec<_>>(),
                currency,
            ),
            digest: Some(run_digest(all.iter().map(|i| {
                (
                    &i.tier,
                    &i.seller_organization_id,
                    &i.buyer_organization_id,
                    i.document_digest.as_str(),
                )
            }))),
            ..run
        };
        if !invoices::complete_run(&mut tx, &done).await? {
            // Another replica completed it meanwhile.
            drop(tx);
            let mut conn = self.db().conn().await?;
            let run = invoices::run_of_month(&mut conn, month)
                .await?
                .ok_or_else(AppError::not_found)?;
            return Ok((run, false));
        }
        let view = BillingRun::of(done.clone());
        let operator = organizations::operator(&mut tx).await?.map(|o| o.id);
        let mut entry =
            Entry::new(actor, "billingRun", Some(done.id.to_string()), "runBilling").after(&view);
        if let Some(o) = &operator {
            entry = entry.participant(o);
        }
        let event = Event {
            event_type: "billingRun.completed",
            resource_type: "billingRun",
            resource_id: &done.id,
            resource_url: crate::urls::billing_run(&done.id),
            participants: operator.iter().map(OrgId::as_str).collect(),
        }
        .with(&view);
        self.commit_change(tx, ctx, self.now(), entry, vec![event])
            .await?;
        Ok((done, created))
    }

    /// One (tier, seller)'s invoices of the run, in one transaction.
    async fn invoice_seller(
        &self,
        actor: &Actor<'_>,
        ctx: &Ctx,
        run: &BillingRunRow,
        tier: Tier,
        seller: &OrgId,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        invoices::lock_run(&mut tx, &run.id).await?;
        let existing = invoices::all_invoices(
            &mut tx,
            &InvoiceQuery {
                billing_run_id: Some(run.id.clone()),
                tier: Some(tier),
                seller_organization_id: Some(seller.to_string()),
                ..Default::default()
            },
        )
        .await?;
        if !existing.is_empty() {
            return Ok(());
        }
        let (from, to) = (run.month.first_day(), run.month.last_day());
        let lines = ledger::of_seller_between(&mut tx, tier, seller, from, to, true).await?;
        if lines.is_empty() {
            return Ok(());
        }
        let seller_name = self.name_of(&mut tx, seller).await?;
        let now = self.now();
        for d in drafts(lines, self.config().currency) {
            let number = invoices::next_number(&mut tx, seller).await?;
            let row = InvoiceRow {
                id: InvoiceId::generate(),
                number: number_text(number),
                tier,
                seller_organization_id: seller.clone(),
                seller_name: seller_name.clone(),
                buyer_name: self.name_of(&mut tx, &d.buyer).await?,
                buyer_organization_id: d.buyer.clone(),
                month: run.month,
                status: InvoiceStatus::Draft,
                line_count: d.lines.len() as i64,
                total: d.total,
                reseller_subtotals: d.subtotals,
                amount_paid: Money::zero(d.total.currency()),
                document_digest: d.digest,
                billing_run_id: Some(run.id.clone()),
                replaces_invoice_id: None,
                replaced_by_invoice_id: None,
                invoice_date: None,
                due_date: None,
                issued_at: None,
                paid_at: None,
                voided_at: None,
                void_reason: None,
                created_at: now,
                version: 1,
            };
            invoices::insert_invoice(&mut tx, &row).await?;
            let ids: Vec<_> = d.lines.iter().map(|l| l.id.clone()).collect();
            if !invoices::attach_lines(&mut tx, &row.id, &ids).await? {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    "another billing run took these lines; look at the month's run",
                ));
            }
            let view = Invoice::of(row.clone());
            let entry = invoice_entry(actor.clone(), &row, "createInvoice").after(&view);
            let event = self
                .invoice_event("invoice.created", &row, false)
                .with(&view);
            self.record_change(&mut tx, ctx, now, entry, vec![event])
                .await?;
        }
        partnerd_store::commit(tx).await?;
        Ok(())
    }

    /// The run and invoices `month` would have, from the ledger as it stands
    /// (the CLI's `--preview`).
    pub async fn preview_billing(&self, month: Month) -> AppResult<BillingRunPreview> {
        self.preview_run(month).await
    }

    /// The run and invoices `month` would have, from the ledger as it stands.
    async fn preview_run(&self, month: Month) -> AppResult<BillingRunPreview> {
        let mut conn = self.db().conn().await?;
        let (from, to) = (month.first_day(), month.last_day());
        let currency = self.config().currency;
        let now = self.now();
        let mut shown = Vec::new();
        for (tier, seller) in ledger::sellers_between(&mut conn, from, to).await? {
            let lines =
                ledger::of_seller_between(&mut conn, tier, &seller, from, to, false).await?;
            let seller_name = self.name_of(&mut conn, &seller).await?;
            for d in drafts(lines, currency) {
                shown.push(Invoice {
                    id: None,
                    number: None,
                    tier,
                    seller_organization_id: seller.clone(),
                    seller: Named {
                        name: seller_name.clone(),
                    },
                    buyer: Named {
                        name: self.name_of(&mut conn, &d.buyer).await?,
                    },
                    buyer_organization_id: d.buyer,
                    month,
                    status: "draft".into(),
                    currency: currency.as_str().into(),
                    line_count: d.lines.len() as i64,
                    total: d.total,
                    reseller_subtotals: d
                        .subtotals
                        .into_iter()
                        .map(|s| ResellerAmount {
                            reseller_organization_id: s.reseller_organization_id,
                            reseller_name: s.reseller_name,
                            amount: s.amount,
                        })
                        .collect(),
                    amount_paid: Money::zero(currency),
                    balance_due: d.total,
                    document_digest: d.digest,
                    billing_run_id: None,
                    replaces_invoice_id: None,
                    replaced_by_invoice_id: None,
                    invoice_date: None,
                    due_date: None,
                    issued_at: None,
                    paid_at: None,
                    voided_at: None,
                    void_reason: None,
                    created_at: now,
                    etag: None,
                });
            }
        }
        let run = BillingRun {
            id: None,
            month,
            status: "completed".into(),
            started_at: now,
            completed_at: Some(now),
            invoice_count: shown.len() as i64,
            line_count: shown.iter().map(|i| i.line_count).sum(),
            totals: tier_totals(
                &shown.iter().map(|i| (i.tier, i.total)).collect::<Vec<_>>(),
                currency,
            )
            .into_iter()
            .map(|t| TierAmount {
                tier: t.tier,
                amount: t.amount,
            })
            .collect(),
            digest: Some(run_digest(shown.iter().map(|i| {
                (
                    &i.tier,
                    &i.seller_organization_id,
                    &i.buyer_organization_id,
                    i.document_digest.as_str(),
                )
            }))),
            created_by: serde_json::Value::Null,
        };
        Ok(BillingRunPreview {
            run,
            invoices: shown,
        })
    }

    /// `GET /v1/billingruns`: newest month first.
    pub async fn list_billing_runs(
        &self,
        p: &Principal,
        page: &PageParams,
    ) -> AppResult<Page<BillingRun>> {
        p.require(Action::RunBilling)?;
        let (offset, size) = crate::paging::by_offset(page)?;
        let mut conn = self.db().conn().await?;
        let found = invoices::list_runs(&mut conn, offset, size).await?;
        Ok(Page {
            total_count: found.total.unwrap_or(0),
            continuation_token: found.more.then(|| (offset + size).to_string()),
            items: found.rows.into_iter().map(BillingRun::of).collect(),
        })
    }

    /// `GET /v1/billingruns/{id}`.
    pub async fn get_billing_run(&self, p: &Principal, id: &BillingRunId) -> AppResult<BillingRun> {
        p.require(Action::RunBilling)?;
        let mut conn = self.db().conn().await?;
        invoices::get_run(&mut conn, id)
            .await?
            .map(BillingRun::of)
            .ok_or_else(AppError::not_found)
    }

    /// The invoice if `p` sells or buys it (the operator: any); else 404.
    pub(super) async fn visible_invoice(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &InvoiceId,
    ) -> AppResult<InvoiceRow> {
        let row = invoices::get_invoice(conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let me = &p.organization.id;
        if p.organization.kind == OrgKind::Operator
            || &row.seller_organization_id == me
            || &row.buyer_organization_id == me
        {
            Ok(row)
        } else {
            Err(AppError::not_found())
        }
    }

    /// `GET /v1/invoices`: the caller's invoices as seller or buyer (the operator:
    /// all), newest first.
    pub async fn list_invoices(
        &self,
        p: &Principal,
        f: &InvoiceFilters,
        page: &PageParams,
    ) -> AppResult<Page<Invoice>> {
        p.require(Action::ReadBilling)?;
        let mut errors = partnerd_domain::Collect::default();
        let side = errors.opt(f.side.as_deref(), |s| match s {
            "seller" => Ok(true),
            "buyer" => Ok(false),
            _ => Err(FieldError::invalid(
                "/query/side",
                "must be seller or buyer",
            )),
        });
        let tier = errors.opt(f.tier.as_deref(), |t| {
            Tier::parse(t).ok_or_else(|| {
                FieldError::invalid(
                    "/query/tier",
                    "must be operatorToProvider, providerToReseller or resellerToCustomer",
                )
            })
        });
        let month = errors.opt(f.month.as_deref(), |m| {
            Month::parse(m).ok_or_else(|| {
                FieldError::invalid("/query/month", "must be a month, such as 2026-03")
            })
        });
        let status = errors.opt(f.status.as_deref(), |s| {
            InvoiceStatus::parse(s).ok_or_else(|| {
                FieldError::invalid("/query/status", "must be draft, issued, paid or void")
            })
        });
        if !errors.is_empty() {
            return Err(AppError::validation(errors.0));
        }
        // The operator reads every invoice, unless it names a side of its own.
        let operator = p.organization.kind == OrgKind::Operator && side.is_none();
        let q = InvoiceQuery {
            party: (!operator).then(|| p.organization.id.clone()),
            seller_side: if p.organization.kind == OrgKind::Customer {
                Some(false)
            } else {
                side
            },
            tier,
            month,
            status,
            seller_organization_id: non_empty(&f.seller_organization_id),
            buyer_organization_id: non_empty(&f.buyer_organization_id),
            number: non_empty(&f.number),
            billing_run_id: None,
        };
        let now = self.now();
        let start = crate::paging::start(page, &format!("invoices {q:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let found = invoices::list_invoices(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            found,
            now,
            |r| (r.created_at, r.id.to_string()),
            Invoice::of,
        ))
    }

    /// `GET /v1/invoices/{id}`.
    pub async fn get_invoice(&self, p: &Principal, id: &InvoiceId) -> AppResult<Invoice> {
        p.require(Action::ReadBilling)?;
        let mut conn = self.db().conn().await?;
        Ok(Invoice::of(self.visible_invoice(&mut conn, p, id).await?))
    }

    /// `GET /v1/invoices/{id}/lineitems`: numbered 1…n in the invoice's order.
    pub async fn invoice_lines(
        &self,
        p: &Principal,
        id: &InvoiceId,
        page: &PageParams,
    ) -> AppResult<Page<InvoiceLine>> {
        p.require(Action::ReadBilling)?;
        let (offset, size) = crate::paging::by_offset(page)?;
        let mut conn = self.db().conn().await?;
        let invoice = self.visible_invoice(&mut conn, p, id).await?;
        let lines = invoices::lines_of(&mut conn, &invoice.id).await?;
        let total = lines.len() as i64;
        let items: Vec<InvoiceLine> = lines
            .into_iter()
            .enumerate()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(size).unwrap_or(0))
            .map(|(i, l)| InvoiceLine {
                line_number: i as i64 + 1,
                line: ChargeLine::of(l),
            })
            .collect();
        Ok(Page {
            total_count: total,
            continuation_token: (offset + size < total).then(|| (offset + size).to_string()),
            items,
        })
    }

    /// `GET /v1/invoices/{id}/lineitems.csv`: (file name, bytes).
    pub async fn invoice_csv(&self, p: &Principal, id: &InvoiceId) -> AppResult<(String, String)> {
        p.require(Action::ReadBilling)?;
        let mut conn = self.db().conn().await?;
        let invoice = self.visible_invoice(&mut conn, p, id).await?;
        let lines = invoices::lines_of(&mut conn, &invoice.id).await?;
        Ok((
            format!("invoice-{}.csv", invoice.number),
            csv::render(&lines),
        ))
    }

    /// The invoice for a seller's change: 404 unless visible, 403 unless `p` sells it.
    pub(super) async fn sellers_invoice(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &InvoiceId,
    ) -> AppResult<InvoiceRow> {
        p.require(Action::ManageInvoices)?;
        let row = self.visible_invoice(conn, p, id).await?;
        if row.seller_organization_id != p.organization.id {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                format!(
                    "invoice {} is {}'s to change; as its buyer you can read it and download it",
                    row.number, row.seller_name
                ),
            ));
        }
        Ok(row)
    }

    /// `POST /v1/invoices/{id}/issue`.
    pub async fn issue_invoice(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &InvoiceId,
    ) -> AppResult<Invoice> {
        let mut tx = self.db().begin().await?;
        let row = self.sellers_invoice(&mut tx, p, id).await?;
        self.issue(tx, Actor::Principal(p), ctx, row).await
    }

    /// Issues a draft on `tx` and commits: dated today, due after the payment
    /// terms; a zero total is paid at once.
    async fn issue(
        &self,
        mut tx: partnerd_store::Tx,
        actor: Actor<'_>,
        ctx: &Ctx,
        row: InvoiceRow,
    ) -> AppResult<Invoice> {
        if row.status != InvoiceStatus::Draft {
            return Err(invalid_state(format!(
                "invoice {} is {}; only a draft can be issued",
                row.number,
                row.status.as_str()
            )));
        }
        let now = self.now();
        let today = Date::of(now);
        let before = Invoice::of(row.clone());
        let paid = row.total.is_zero();
        let next = InvoiceRow {
            status: if paid {
                InvoiceStatus::Paid
            } else {
                InvoiceStatus::Issued
            },
            invoice_date: Some(today),
            due_date: Some(today.add_days(i64::from(self.config().billing.payment_terms_days))),
            issued_at: Some(now),
            paid_at: paid.then_some(now),
            ..row.clone()
        };
        let next = self.write_invoice(&mut tx, next).await?;
        let view = Invoice::of(next.clone());
        let link = format!("{}/billing/invoices/{}", self.config().public_url, next.id);
        self.mail_buyer(
            &mut tx,
            &next.buyer_organization_id,
            "invoice_issued",
            format!("Invoice {} from {}", next.number, next.seller_name),
            format!(
                "{} issued invoice {} for {}: {} due {}.",
                next.seller_name,
                next.number,
                next.month.spoken(),
                view.total,
                view.due_date.map(Date::spoken).unwrap_or_default()
            ),
            link,
        )
        .await?;
        let mut events = vec![
            self.invoice_event("invoice.issued", &next, true)
                .with(&view),
        ];
        if paid {
            events.push(self.invoice_event("invoice.paid", &next, true).with(&view));
        }
        let entry = invoice_entry(actor, &next, "issueInvoice")
            .before(&before)
            .after(&view);
        self.commit_change(tx, ctx, now, entry, events).await?;
        Ok(view)
    }

    /// `POST /v1/invoices/{id}/void`: the lines move to a replacement draft with
    /// the next number.
    pub async fn void_invoice(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &InvoiceId,
        reason: AppResult<String>,
    ) -> AppResult<(Invoice, Invoice)> {
        let mut tx = self.db().begin().await?;
        let row = self.sellers_invoice(&mut tx, p, id).await?;
        let reason = reason?.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::field(FieldError::invalid(
                "/reason",
                "say why, in 1 to 2000 characters",
            )));
        }
        if matches!(row.status, InvoiceStatus::Paid | InvoiceStatus::Void) {
            return Err(invalid_state(format!(
                "invoice {} is {}; only a draft or an issued invoice can be voided",
                row.number,
                row.status.as_str()
            )));
        }
        if invoices::paid_minor(&mut tx, &row.id).await? != 0 {
            return Err(AppError::conflict(
                Conflict::InvoiceHasPayments,
                format!(
                    "invoice {} has payments recorded; reverse them before voiding it",
                    row.number
                ),
            ));
        }
        let now = self.now();
        let number = invoices::next_number(&mut tx, &row.seller_organization_id).await?;
        let replacement = InvoiceRow {
            id: InvoiceId::generate(),
            number: number_text(number),
            seller_name: self.name_of(&mut tx, &row.seller_organization_id).await?,
            buyer_name: self.name_of(&mut tx, &row.buyer_organization_id).await?,
            status: InvoiceStatus::Draft,
            amount_paid: Money::zero(row.total.currency()),
            replaces_invoice_id: Some(row.id.clone()),
            replaced_by_invoice_id: None,
            invoice_date: None,
            due_date: None,
            issued_at: None,
            paid_at: None,
            voided_at: None,
            void_reason: None,
            created_at: now,
            version: 1,
            ..row.clone()
        };
        invoices::insert_invoice(&mut tx, &replacement).await?;
        invoices::move_lines(&mut tx, &row.id, &replacement.id).await?;
        let was_issued = row.status == InvoiceStatus::Issued;
        let voided = InvoiceRow {
            status: InvoiceStatus::Void,
            replaced_by_invoice_id: Some(replacement.id.clone()),
            voided_at: Some(now),
            void_reason: Some(reason),
            ..row.clone()
        };
        let voided = self.write_invoice(&mut tx, voided).await?;
        let (old_view, new_view) = (
            Invoice::of(voided.clone()),
            Invoice::of(replacement.clone()),
        );
        if was_issued {
            let link = format!(
                "{}/billing/invoices/{}",
                self.config().public_url,
                replacement.id
            );
            self.mail_buyer(
                &mut tx,
                &voided.buyer_organization_id,
                "invoice_voided",
                format!("Invoice {} from {} was voided", voided.number, voided.seller_name),
                format!(
                    "{} voided invoice {} ({}). Its charges move to invoice {}, which you will receive when it is issued.",
                    voided.seller_name,
                    voided.number,
                    voided.void_reason.clone().unwrap_or_default(),
                    replacement.number
                ),
                link,
            )
            .await?;
        }
        let entry = invoice_entry(Actor::Principal(p), &voided, "voidInvoice")
            .before(Invoice::of(row))
            .after(&old_view);
        let created =
            invoice_entry(Actor::Principal(p), &replacement, "createInvoice").after(&new_view);
        crate::audit::write(&mut tx, ctx, now, created).await?;
        let events = vec![
            self.invoice_event("invoice.voided", &voided, was_issued)
                .with(&old_view),
            self.invoice_event("invoice.created", &replacement, false)
                .with(&new_view),
        ];
        self.commit_change(tx, ctx, now, entry, events).await?;
        Ok((old_view, new_view))
    }

    /// An invoice's event, to its seller (and its buyer with `buyer`).
    pub(crate) fn invoice_event<'a>(
        &self,
        event_type: &'a str,
        row: &'a InvoiceRow,
        buyer: bool,
    ) -> Event<'a> {
        let mut participants = vec![row.seller_organization_id.as_str()];
        if buyer {
            participants.push(row.buyer_organization_id.as_str());
        }
        Event {
            event_type,
            resource_type: "invoice",
            resource_id: &row.id,
            resource_url: crate::urls::invoice(&row.id),
            participants,
        }
    }

    /// Mail to the buyer's Global and Billing admins.
    pub(crate) async fn mail_buyer(
        &self,
        conn: &mut Conn,
        buyer: &OrgId,
        template: &str,
        subject: String,
        text: String,
        link: String,
    ) -> AppResult<()> {
        let mut to = organizations::global_admin_emails(conn, buyer).await?;
        for e in
            organizations::emails_holding(conn, buyer, partnerd_domain::Role::BillingAdmin).await?
        {
            if !to.iter().any(|t| t.eq_ignore_ascii_case(&e)) {
                to.push(e);
            }
        }
        if to.is_empty() {
            return Ok(());
        }
        let mail = OutgoingMail {
            to,
            subject,
            text: format!("{text}\n\n{link}\n"),
            html: None,
            template: template.into(),
            link: Some(link),
        };
        mail::enqueue(conn, &mail, self.now()).await?;
        Ok(())
    }

    /// The billing jobs: run each month when it closes (`--billing-auto-run`),
    /// resume an interrupted run, and issue the previous month's drafts on the
    /// auto-issue day (`--billing-auto-issue-day`). Returns (runs, invoices issued).
    pub async fn run_billing_jobs_once(&self) -> AppResult<(u64, u64)> {
        let ctx = Ctx::default();
        let mut runs = 0;
        let mut conn = self.db().conn().await?;
        let unfinished = invoices::unfinished_runs(&mut conn).await?;
        drop(conn);
        for r in unfinished {
            self.billing_run(Actor::System("billing"), system_author(), &ctx, r.month)
                .await?;
            runs += 1;
        }
        let last = Month::of(self.now()).previous();
        if self.config().billing.auto_run && self.month_closed(last) {
            // A month with no charges at all is not run by itself (a new
            // deployment's first month); the operator can still run it.
            let mut conn = self.db().conn().await?;
            let has_run = invoices::run_of_month(&mut conn, last).await?.is_some();
            let charged = !ledger::sellers_between(&mut conn, last.first_day(), last.last_day())
                .await?
                .is_empty();
            drop(conn);
            if !has_run && charged {
                self.billing_run(Actor::System("billing"), system_author(), &ctx, last)
                    .await?;
                runs += 1;
            }
        }
        let mut issued = 0;
        let day = self.config().billing.auto_issue_day;
        if day > 0 {
            // From that day on, the drafts of the month before that were written
            // before it (a replacement drafted later waits for its seller).
            let due = Month::of(self.now())
                .first_day()
                .add_days(i64::from(day) - 1);
            let due_at = due.start();
            if self.now() >= due_at {
                let mut conn = self.db().conn().await?;
                let drafts = invoices::all_invoices(
                    &mut conn,
                    &InvoiceQuery {
                        month: Some(last),
                        status: Some(InvoiceStatus::Draft),
                        ..Default::default()
                    },
                )
                .await?;
                drop(conn);
                for d in drafts.into_iter().filter(|d| d.created_at < due_at) {
                    let tx = self.db().begin().await?;
                    match self.issue(tx, Actor::System("billing"), &ctx, d).await {
                        Ok(_) => issued += 1,
                        // Issued by its seller meanwhile.
                        Err(AppError::Conflict { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok((runs, issued))
    }
}

fn system_author() -> String {
    serde_json::json!({"type": "system", "name": "billing"}).to_string()
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The audit entry of a change to an invoice: seller and buyer take part.
pub(crate) fn invoice_entry<'a>(
    actor: Actor<'a>,
    row: &InvoiceRow,
    operation: &'static str,
) -> Entry<'a> {
    Entry::new(actor, "invoice", Some(row.id.to_string()), operation)
        .participant(&row.seller_organization_id)
        .participant(&row.buyer_organization_id)
}
