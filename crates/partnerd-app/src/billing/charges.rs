//! Reading the charge ledger (API-billing.md §6.4): each line is visible to its
//! seller, its buyer and the operator, so a reseller never sees what its provider
//! pays the operator, and a customer sees only what it is charged.

use partnerd_domain::calendar::{Date, Month};
use partnerd_domain::ids::{ChargeLineId, InvoiceId, OrderId, OrgId, SubscriptionId};
use partnerd_domain::ledger::{ChargeType, Tier};
use partnerd_domain::money::Money;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::ledger::{self, ChargeLineRow, LineCursor, LineQuery, Side};
use serde::Serialize;
use utoipa::ToSchema;

use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Principal};

/// One immutable line of the ledger.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeLine {
    #[schema(value_type = String)]
    pub id: ChargeLineId,
    /// Grows with every line written.
    pub sequence: i64,
    #[schema(value_type = String, example = "2026-03-03")]
    pub charge_date: Date,
    #[schema(value_type = String, example = "new")]
    pub charge_type: ChargeType,
    #[schema(value_type = String, example = "providerToReseller")]
    pub tier: Tier,
    #[schema(value_type = String)]
    pub seller_organization_id: OrgId,
    #[schema(value_type = String)]
    pub buyer_organization_id: OrgId,
    #[schema(value_type = String)]
    pub indirect_provider_id: OrgId,
    #[schema(value_type = String)]
    pub reseller_organization_id: OrgId,
    pub reseller_name: String,
    #[schema(value_type = String)]
    pub customer_id: OrgId,
    pub customer_name: String,
    #[schema(value_type = String)]
    pub subscription_id: SubscriptionId,
    #[schema(value_type = Option<String>)]
    pub order_id: Option<OrderId>,
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub term_duration: String,
    pub billing_frequency: String,
    #[schema(value_type = String)]
    pub period_start: Date,
    #[schema(value_type = String)]
    pub period_end: Date,
    pub charged_days: i64,
    pub billing_period_days: i64,
    /// Signed: a refund is negative.
    pub quantity: i64,
    /// The tier's locked price for a full billing period.
    pub unit_price: Money,
    pub effective_unit_price: Money,
    pub amount: Money,
    pub currency: String,
    #[schema(value_type = Option<String>)]
    pub invoice_id: Option<InvoiceId>,
    pub created_at: Timestamp,
}

impl ChargeLine {
    pub(crate) fn of(r: ChargeLineRow) -> Self {
        Self {
            currency: r.amount.currency().as_str().to_owned(),
            id: r.id,
            sequence: r.sequence,
            charge_date: r.charge_date,
            charge_type: r.charge_type,
            tier: r.tier,
            seller_organization_id: r.seller_organization_id,
            buyer_organization_id: r.buyer_organization_id,
            indirect_provider_id: r.indirect_provider_id,
            reseller_organization_id: r.reseller_organization_id,
            reseller_name: r.reseller_name,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            subscription_id: r.subscription_id,
            order_id: r.order_id,
            offer_id: r.offer_id,
            offer_name: r.offer_name,
            product_family: r.product_family,
            term_duration: r.term_duration,
            billing_frequency: r.billing_frequency,
            period_start: r.period_start,
            period_end: r.period_end,
            charged_days: r.charged_days,
            billing_period_days: r.billing_period_days,
            quantity: r.quantity,
            unit_price: r.unit_price,
            effective_unit_price: r.effective_unit_price,
            amount: r.amount,
            invoice_id: r.invoice_id,
            created_at: r.created_at,
        }
    }
}

/// `GET /v1/chargelines` and the unbilled lists, filters as sent.
#[derive(Debug, Clone, Default)]
pub struct ChargeLineFilters {
    pub side: Option<String>,
    pub tier: Option<String>,
    pub charge_date_from: Option<String>,
    pub charge_date_to: Option<String>,
    pub subscription_id: Option<String>,
    pub customer_id: Option<String>,
    pub reseller_organization_id: Option<String>,
    pub seller_organization_id: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub charge_type: Option<String>,
    pub invoiced: Option<String>,
    /// Unbilled lists: `current` (default) or `previous`.
    pub period: Option<String>,
}

/// The most lines one unbilled CSV holds (a month of a large provider).
const MAX_CSV_LINES: i64 = 200_000;

/// The longest date range one query reads.
const MAX_RANGE_DAYS: i64 = 366;

fn date(pointer: &str, raw: &str) -> Result<Date, FieldError> {
    Date::parse(raw)
        .ok_or_else(|| FieldError::invalid(pointer, "must be a day, such as 2026-03-31"))
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl App {
    /// The query `p` may run: its own lines (seller or buyer; the operator any),
    /// with the filters checked.
    fn line_query(
        &self,
        p: &Principal,
        f: &ChargeLineFilters,
        unbilled: bool,
    ) -> AppResult<LineQuery> {
        let mut errors = Collect::default();
        let side = errors.opt(f.side.as_deref(), |s| match s {
            "seller" => Ok(Side::Seller),
            "buyer" => Ok(Side::Buyer),
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
        let charge_type = errors.opt(f.charge_type.as_deref(), |c| {
            ChargeType::parse(c).ok_or_else(|| {
                FieldError::invalid(
                    "/query/chargeType",
                    "must be new, cycleCharge, renew, convert, addQuantity, removeQuantity, cancelImmediate or upgrade",
                )
            })
        });
        let invoiced = errors.opt(f.invoiced.as_deref(), |v| match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(FieldError::invalid(
                "/query/invoiced",
                "must be true or false",
            )),
        });
        let month = Month::of(self.now());
        let (from, to, invoiced) = if unbilled {
            let m = match f.period.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None | Some("current") => Some(month),
                Some("previous") => Some(month.previous()),
                Some(_) => {
                    errors.0.push(FieldError::invalid(
                        "/query/period",
                        "must be current or previous",
                    ));
                    None
                }
            };
            (m.map(Month::first_day), m.map(Month::last_day), Some(false))
        } else {
            let from = errors.opt(f.charge_date_from.as_deref(), |d| {
                date("/query/chargeDateFrom", d)
            });
            let to = errors.opt(f.charge_date_to.as_deref(), |d| {
                date("/query/chargeDateTo", d)
            });
            let (from, to) = match (from, to) {
                (None, None) => (month.first_day(), month.last_day()),
                (Some(a), None) => (a, a.add_days(MAX_RANGE_DAYS - 1)),
                (None, Some(b)) => (b.add_days(1 - MAX_RANGE_DAYS), b),
                (Some(a), Some(b)) => (a, b),
            };
            if from > to {
                errors.0.push(FieldError::invalid(
                    "/query/chargeDateTo",
                    "must not be before chargeDateFrom",
                ));
            } else if from.days_until(to) + 1 > MAX_RANGE_DAYS {
                errors.0.push(FieldError::invalid(
                    "/query/chargeDateTo",
                    format!("a query reads at most {MAX_RANGE_DAYS} days; narrow the range"),
                ));
            }
            (Some(from), Some(to), invoiced)
        };
        if !errors.is_empty() {
            return Err(AppError::validation(errors.0));
        }
        let operator = p.organization.kind == OrgKind::Operator;
        // Customers read what they are charged; sellers' unbilled lists default
        // to what they sell.
        let side = match (side, unbilled, p.organization.kind) {
            (_, _, OrgKind::Customer) => Some(Side::Buyer),
            (None, true, _) if !operator => Some(Side::Seller),
            (s, _, _) => s,
        };
        Ok(LineQuery {
            party: (!operator).then(|| p.organization.id.clone()),
            side,
            tier,
            charge_date_from: from,
            charge_date_to: to,
            subscription_id: trimmed(&f.subscription_id),
            customer_id: trimmed(&f.customer_id),
            reseller_organization_id: trimmed(&f.reseller_organization_id),
            seller_organization_id: trimmed(&f.seller_organization_id),
            buyer_organization_id: trimmed(&f.buyer_organization_id),
            charge_type,
            invoiced,
            hidden_tiers: Vec::new(),
        })
    }

    async fn page_of_lines(
        &self,
        q: LineQuery,
        f: &ChargeLineFilters,
        page: &PageParams,
    ) -> AppResult<Page<ChargeLine>> {
        let now = self.now();
        let start = paging::start(page, &format!("chargelines {q:?} {:?}", f.period), now)?;
        let cursor = match &start.request.cursor {
            Some(c) => Some(LineCursor {
                charge_date: c.text.as_deref().and_then(Date::parse).ok_or_else(|| {
                    AppError::field(FieldError::invalid(
                        "/query/continuationToken",
                        "is not a token this server issued",
                    ))
                })?,
                sequence: c.id.parse().map_err(|_| {
                    AppError::field(FieldError::invalid(
                        "/query/continuationToken",
                        "is not a token this server issued",
                    ))
                })?,
            }),
            None => None,
        };
        let mut conn = self.db().conn().await?;
        let found = ledger::list(
            &mut conn,
            &q,
            cursor,
            start.request.size,
            start.request.count,
        )
        .await?;
        Ok(start.finish_by_text(
            found,
            now,
            |r| (r.charge_date.to_string(), r.sequence.to_string()),
            ChargeLine::of,
        ))
    }

    /// `GET /v1/chargelines`: the caller's lines as seller or buyer (the operator:
    /// every line), `chargeDate` then `sequence` ascending; the current month unless
    /// a range is given.
    pub async fn list_charge_lines(
        &self,
        p: &Principal,
        f: &ChargeLineFilters,
        page: &PageParams,
    ) -> AppResult<Page<ChargeLine>> {
        p.require(Action::ReadBilling)?;
        let q = self.line_query(p, f, false)?;
        self.page_of_lines(q, f, page).await
    }

    /// `GET /v1/invoices/unbilled/lineitems`: lines of the current (or previous)
    /// month on no invoice yet; a seller's own sales unless `side=buyer`.
    pub async fn list_unbilled_lines(
        &self,
        p: &Principal,
        f: &ChargeLineFilters,
        page: &PageParams,
    ) -> AppResult<Page<ChargeLine>> {
        p.require(Action::ReadBilling)?;
        let q = self.line_query(p, f, true)?;
        self.page_of_lines(q, f, page).await
    }

    /// `GET /v1/invoices/unbilled/lineitems.csv`: the same lines unpaged, as
    /// CSV (§7.3); (file name, bytes).
    pub async fn unbilled_csv(
        &self,
        p: &Principal,
        f: &ChargeLineFilters,
    ) -> AppResult<(String, String)> {
        p.require(Action::ReadBilling)?;
        let q = self.line_query(p, f, true)?;
        let month = q
            .charge_date_from
            .map_or_else(|| Month::of(self.now()), Date::month);
        let mut conn = self.db().conn().await?;
        let found = ledger::list(&mut conn, &q, None, MAX_CSV_LINES, false).await?;
        Ok((
            format!("unbilled-{month}.csv"),
            super::csv::render(&found.rows),
        ))
    }

    /// `GET /v1/chargelines/{id}`: 404 unless the caller sells or buys it.
    pub async fn get_charge_line(&self, p: &Principal, id: &ChargeLineId) -> AppResult<ChargeLine> {
        p.require(Action::ReadBilling)?;
        let mut conn = self.db().conn().await?;
        let row = ledger::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let me = &p.organization.id;
        let visible = p.organization.kind == OrgKind::Operator
            || &row.seller_organization_id == me
            || &row.buyer_organization_id == me;
        if !visible {
            return Err(AppError::not_found());
        }
        Ok(ChargeLine::of(row))
    }
}
