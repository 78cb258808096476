//! The vendor's catalog (API.md §4.5, API-billing.md §2): offers with the plans
//! they sell and their prices this month, product families, and the operator's
//! list prices by month (`prices`). An offer's rules live in `rules`, changing it
//! in `change`, the portal's offer pages in `pages`.

mod change;
mod pages;
pub(crate) mod prices;
mod rules;

use partnerd_domain::FieldError;
use partnerd_domain::calendar::Month;
use partnerd_domain::policy::Action;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::terms::{BillingFrequency, Plan, TermDuration};
use partnerd_domain::time::Timestamp;
use partnerd_store::Conn;
use partnerd_store::offers::{self, OfferQuery, OfferRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::etag;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Principal};

pub use change::{OfferCreation, OfferDraft, OfferEdit};
pub use pages::{OfferChoice, OfferFormPage, OfferPage};
pub use partnerd_domain::money::Money;
pub use prices::{OfferPrice, PriceAuthor, PriceDraft, PriceInput, PriceSchedule, PriceToDelete};

/// The most seats of one subscription, and of one customer's cap.
pub(crate) const MAX_QUANTITY: i64 = 1_000_000;

/// A term an offer is sold on, with the billing plans it is sold with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferTerm {
    pub term_duration: TermDuration,
    pub billing_plans: Vec<BillingPlan>,
}

/// How a term is billed, and its price.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingPlan {
    pub billing_frequency: BillingFrequency,
    /// Per seat and billing period: a month, 12 months, or the whole term when
    /// paid up front.
    pub unit_price: Money,
}

/// A plan: a term duration with a billing frequency (`defaultTerm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanRef {
    pub term_duration: TermDuration,
    pub billing_frequency: BillingFrequency,
}

impl From<Plan> for PlanRef {
    fn from(p: Plan) -> Self {
        Self {
            term_duration: p.term,
            billing_frequency: p.frequency,
        }
    }
}

/// An offer's trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Trial {
    pub days: i64,
    /// The most seats a trial subscription may hold.
    pub max_quantity: i64,
}

/// An offer of the catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub id: String,
    pub name: String,
    pub product_family: String,
    /// v1: the billing cycle of `defaultTerm` (`monthly`, `annual`, or
    /// `triennial` for three years paid up front).
    pub billing_cycle: String,
    /// v1: the price of `defaultTerm` this month.
    pub unit_price: Money,
    /// The plans, term by term, with their prices in the version effective this
    /// month.
    pub terms: Vec<OfferTerm>,
    pub default_term: PlanRef,
    pub min_quantity: i64,
    pub max_quantity: i64,
    /// Seats one customer may hold across all its partners; null = no limit.
    pub max_quantity_per_customer: Option<i64>,
    pub trial: Option<Trial>,
    /// Offers a subscription of this one may be upgraded to.
    pub upgrade_targets: Vec<String>,
    /// Offers a customer must hold for this one (non-empty: an add-on).
    pub prerequisite_offer_ids: Vec<String>,
    pub requires_admin_agent: bool,
    pub status: OfferStatus,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub etag: String,
}

impl Offer {
    /// The offer with `plans` (its plans in order, each with this month's price).
    fn of(o: OfferRow, plans: impl IntoIterator<Item = (Plan, Money)>) -> Self {
        Self {
            etag: etag(&o.id, o.version),
            terms: terms_of(plans),
            default_term: o.default_plan.into(),
            unit_price: o.unit_price,
            created_at: o.created_at,
            updated_at: o.updated_at,
            id: o.id,
            name: o.name,
            product_family: o.product_family,
            billing_cycle: o.billing_cycle,
            min_quantity: o.min_quantity,
            max_quantity: o.max_quantity,
            max_quantity_per_customer: o.max_quantity_per_customer,
            trial: o.trial.map(|t| Trial {
                days: t.days,
                max_quantity: t.max_quantity,
            }),
            upgrade_targets: o.upgrade_targets,
            prerequisite_offer_ids: o.prerequisite_offer_ids,
            requires_admin_agent: o.requires_admin_agent,
            status: o.status,
            description: o.description,
        }
    }

    /// Every plan with its price, in the catalog's order.
    pub fn plans(&self) -> impl Iterator<Item = (Plan, Money)> + '_ {
        plans_in(&self.terms)
    }

    /// The default plan.
    pub fn default_plan(&self) -> Plan {
        Plan {
            term: self.default_term.term_duration,
            frequency: self.default_term.billing_frequency,
        }
    }
}

/// Every plan of `terms` with its price, in order.
pub(crate) fn plans_in(terms: &[OfferTerm]) -> impl Iterator<Item = (Plan, Money)> + '_ {
    terms.iter().flat_map(|t| {
        t.billing_plans.iter().map(move |b| {
            (
                Plan {
                    term: t.term_duration,
                    frequency: b.billing_frequency,
                },
                b.unit_price,
            )
        })
    })
}

/// Plans in order, grouped by term in the order each term first appears.
pub(crate) fn terms_of(plans: impl IntoIterator<Item = (Plan, Money)>) -> Vec<OfferTerm> {
    let mut terms: Vec<OfferTerm> = Vec::new();
    for (plan, price) in plans {
        let billed = BillingPlan {
            billing_frequency: plan.frequency,
            unit_price: price,
        };
        match terms.iter_mut().find(|t| t.term_duration == plan.term) {
            Some(t) => t.billing_plans.push(billed),
            None => terms.push(OfferTerm {
                term_duration: plan.term,
                billing_plans: vec![billed],
            }),
        }
    }
    terms
}

/// A product family: the distinct families of the offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductFamily {
    pub id: String,
    pub name: String,
    /// True if any offer of the family needs an admin agent.
    pub requires_admin_agent: bool,
}

/// The money members of a request.
#[derive(Debug, Clone)]
pub struct MoneyInput {
    pub amount: String,
    pub currency: String,
}

/// One term of a request: `{termDuration, billingPlans[]}`.
#[derive(Debug, Clone)]
pub struct TermInput {
    pub term_duration: String,
    pub billing_plans: Vec<BillingPlanInput>,
}

/// `{billingFrequency, unitPrice}`.
#[derive(Debug, Clone)]
pub struct BillingPlanInput {
    pub billing_frequency: String,
    pub unit_price: MoneyInput,
}

/// `{termDuration, billingFrequency}` (`defaultTerm`).
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub term_duration: String,
    pub billing_frequency: String,
}

/// `{days?, maxQuantity?}`.
#[derive(Debug, Clone, Default)]
pub struct TrialInput {
    pub days: Option<i64>,
    pub max_quantity: Option<i64>,
}

/// `POST /v1/offers`; for `PATCH` every member is optional. A member that may be
/// null is `Some(None)` when sent as null (remove it) and `None` when absent.
#[derive(Debug, Clone, Default)]
pub struct OfferInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub product_family: Option<String>,
    /// v1 style: one plan (`monthly` → P1M monthly, `annual` → P1Y annual).
    pub billing_cycle: Option<String>,
    /// v1 style: the price of that plan (or, in a change, of the default plan).
    pub unit_price: Option<MoneyInput>,
    /// Terms style: every plan with its price.
    pub terms: Option<Vec<TermInput>>,
    pub default_term: Option<PlanInput>,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
    pub max_quantity_per_customer: Option<Option<i64>>,
    pub trial: Option<Option<TrialInput>>,
    pub upgrade_targets: Option<Vec<String>>,
    pub prerequisite_offer_ids: Option<Vec<String>>,
    pub requires_admin_agent: Option<bool>,
    pub description: Option<String>,
}

/// Filters of `GET /v1/offers`, as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct OfferFilters {
    pub product_family: Option<String>,
    /// v1: offers with any plan of this cycle.
    pub billing_cycle: Option<String>,
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    /// `true` or `false`.
    pub trial: Option<String>,
    /// `true` or `false`.
    pub add_on: Option<String>,
    /// `available` (default), `retired` or `all`.
    pub status: Option<String>,
    pub q: Option<String>,
}

/// The portal's catalog page: one page of offers and the product families to
/// filter them by.
#[derive(Debug, Clone)]
pub struct CatalogPage {
    pub offers: Page<Offer>,
    pub families: Vec<ProductFamily>,
}

/// The v1 billing cycles, as a filter reads them: the plans with that cycle.
fn plans_of_cycle(cycle: &str) -> Option<Vec<Plan>> {
    let plans: Vec<Plan> = Plan::ALL
        .iter()
        .copied()
        .filter(|p| p.billing_cycle() == cycle)
        .collect();
    (!plans.is_empty()).then_some(plans)
}

fn flag(pointer: &str, raw: &Option<String>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match raw.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errors.push(FieldError::invalid(pointer, "must be true or false"));
            None
        }
    }
}

impl OfferFilters {
    /// The store's query, or every filter's error at once.
    fn query(&self) -> AppResult<OfferQuery> {
        let mut errors = Vec::new();
        let status = match self.status.as_deref() {
            None | Some("available") => Some(OfferStatus::Available),
            Some("retired") => Some(OfferStatus::Retired),
            Some("all") => None,
            Some(_) => {
                errors.push(FieldError::invalid(
                    "/query/status",
                    "must be available, retired or all",
                ));
                None
            }
        };
        let any_plan = match self.billing_cycle.as_deref() {
            None => None,
            Some(c) => {
                let plans = plans_of_cycle(c);
                if plans.is_none() {
                    errors.push(FieldError::invalid(
                        "/query/billingCycle",
                        "must be monthly, annual or triennial",
                    ));
                }
                plans
            }
        };
        let term_duration = match self.term_duration.as_deref() {
            None => None,
            Some(t) => {
                let parsed = TermDuration::parse(t);
                if parsed.is_none() {
                    errors.push(FieldError::invalid(
                        "/query/termDuration",
                        "must be P1M, P1Y or P3Y",
                    ));
                }
                parsed
            }
        };
        let billing_frequency = match self.billing_frequency.as_deref() {
            None => None,
            Some(f) => {
                let parsed = BillingFrequency::parse(f);
                if parsed.is_none() {
                    errors.push(FieldError::invalid(
                        "/query/billingFrequency",
                        "must be monthly, annual or upfront",
                    ));
                }
                parsed
            }
        };
        let trial = flag("/query/trial", &self.trial, &mut errors);
        let add_on = flag("/query/addOn", &self.add_on, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        Ok(OfferQuery {
            product_family: self.product_family.clone(),
            term_duration,
            billing_frequency,
            any_plan,
            trial,
            add_on,
            status,
            q: self.q.clone(),
        })
    }
}

/// The views of `rows`, their plans priced for `month`: one query for all.
pub(crate) async fn views(
    conn: &mut Conn,
    rows: Vec<OfferRow>,
    month: Month,
) -> AppResult<Vec<Offer>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let priced = offers::priced_plans(conn, &ids, month).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let currency = r.unit_price.currency();
            let plans: Vec<(Plan, Money)> = priced
                .iter()
                .filter(|p| p.offer_id == r.id)
                // A plan the shown version does not price is not sold that month.
                .filter_map(|p| p.unit_price.map(|u| (p.plan, Money::new(u, currency))))
                .collect();
            Offer::of(r, plans)
        })
        .collect())
}

/// The view of one offer, priced for `month`.
pub(crate) async fn view(conn: &mut Conn, row: OfferRow, month: Month) -> AppResult<Offer> {
    views(conn, vec![row], month)
        .await?
        .pop()
        .ok_or_else(AppError::not_found)
}

impl App {
    /// The month of the clock's now: the one whose prices are in effect.
    pub(crate) fn current_month(&self) -> Month {
        Month::of(self.now())
    }

    /// `GET /v1/offers`.
    pub async fn list_offers(
        &self,
        p: &Principal,
        f: &OfferFilters,
        page: &PageParams,
    ) -> AppResult<Page<Offer>> {
        p.require(Action::ReadCatalog)?;
        let q = f.query()?;
        let now = self.now();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let found = offers::list(&mut conn, &q, &start.request).await?;
        let shown = partnerd_store::sql::PageOf {
            rows: views(&mut conn, found.rows, self.current_month()).await?,
            more: found.more,
            total: found.total,
        };
        Ok(start.finish(shown, now, |o| (o.created_at, o.id.clone()), |o| o))
    }

    /// `/catalog` in the portal: offers matching `f` and every product family.
    pub async fn catalog_page(
        &self,
        p: &Principal,
        f: &OfferFilters,
        page: &PageParams,
    ) -> AppResult<CatalogPage> {
        let offers = self.list_offers(p, f, page).await?;
        let families = self.product_families(p).await?;
        Ok(CatalogPage { offers, families })
    }

    /// `GET /v1/offers/{id}`.
    pub async fn get_offer(&self, p: &Principal, id: &str) -> AppResult<Offer> {
        p.require(Action::ReadCatalog)?;
        let mut conn = self.db().conn().await?;
        let row = offers::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        view(&mut conn, row, self.current_month()).await
    }

    /// `GET /v1/productfamilies`.
    pub async fn product_families(&self, p: &Principal) -> AppResult<Vec<ProductFamily>> {
        p.require(Action::ReadCatalog)?;
        let mut conn = self.db().conn().await?;
        Ok(offers::families(&mut conn)
            .await?
            .into_iter()
            .map(|(f, raa)| ProductFamily {
                id: f.clone(),
                name: f,
                requires_admin_agent: raa,
            })
            .collect())
    }
}
