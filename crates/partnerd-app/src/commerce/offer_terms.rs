//! What commerce reads of an offer's new-commerce terms (API-billing.md §2): its
//! plans, default plan, upgrade targets, prerequisites, seat cap and trial, and
//! the operator's list price of a plan for a month. Orders, renewals, upgrades
//! and conversions all read the catalog through here.

use partnerd_domain::calendar::Month;
use partnerd_domain::money::Money;
use partnerd_domain::terms::{Plan, TermDuration};
use partnerd_store::Conn;
use partnerd_store::offers::{self, OfferRow};

use crate::AppError;

use crate::AppResult;

/// An offer's trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trial {
    pub days: u32,
    pub max_quantity: i64,
}

/// An offer with its terms.
#[derive(Debug, Clone)]
pub(crate) struct OfferTerms {
    pub row: OfferRow,
    pub plans: Vec<Plan>,
    pub default_plan: Plan,
    pub upgrade_targets: Vec<String>,
    pub prerequisite_offer_ids: Vec<String>,
    pub max_quantity_per_customer: Option<i64>,
    pub trial: Option<Trial>,
}

impl OfferTerms {
    pub fn offers(&self, plan: Plan) -> bool {
        self.plans.contains(&plan)
    }

    pub fn is_add_on(&self) -> bool {
        !self.prerequisite_offer_ids.is_empty()
    }

    /// §3.1: both absent → the default; only the term → the default's frequency if
    /// that term has it, else the term's first plan. None if the term is not sold.
    pub fn plan_for(&self, term: Option<TermDuration>) -> Option<Plan> {
        let Some(term) = term else {
            return Some(self.default_plan);
        };
        let same = Plan::new(term, self.default_plan.frequency).filter(|p| self.offers(*p));
        same.or_else(|| self.plans.iter().copied().find(|p| p.term == term))
    }
}

/// The offer and its terms; None if there is no such offer.
pub(crate) async fn offer_terms(conn: &mut Conn, offer_id: &str) -> AppResult<Option<OfferTerms>> {
    let Some(row) = offers::get(conn, offer_id).await? else {
        return Ok(None);
    };
    let plans = offers::plans(conn, offer_id).await?;
    Ok(Some(OfferTerms {
        plans,
        default_plan: row.default_plan,
        upgrade_targets: row.upgrade_targets.clone(),
        prerequisite_offer_ids: row.prerequisite_offer_ids.clone(),
        max_quantity_per_customer: row.max_quantity_per_customer,
        trial: row.trial.map(|t| Trial {
            days: u32::try_from(t.days).unwrap_or(30),
            max_quantity: t.max_quantity,
        }),
        row,
    }))
}

/// Offers that list `offer_id` among their upgrade targets (a renewal may move
/// down to one of them).
pub(crate) async fn offers_upgrading_to(conn: &mut Conn, offer_id: &str) -> AppResult<Vec<String>> {
    Ok(offers::upgrading_to(conn, offer_id).await?)
}

/// `u1`: the plan's price in the operator's version effective for `month`. An
/// offer with no version effective yet is priced by its first one (as the catalog
/// shows it).
pub(crate) async fn list_price(
    conn: &mut Conn,
    offer: &OfferTerms,
    plan: Plan,
    month: Month,
) -> AppResult<Money> {
    let currency = offer.row.unit_price.currency();
    match offers::list_price(conn, &offer.row.id, plan, month).await? {
        Some(minor) => Ok(Money::new(minor, currency)),
        None => {
            let shown =
                offers::priced_plans(conn, std::slice::from_ref(&offer.row.id), month).await?;
            shown
                .into_iter()
                .find(|p| p.plan == plan)
                .and_then(|p| p.unit_price)
                .map(|m| Money::new(m, currency))
                .ok_or_else(|| {
                    AppError::internal(format!("{} has no price for {plan}", offer.row.id))
                })
        }
    }
}
