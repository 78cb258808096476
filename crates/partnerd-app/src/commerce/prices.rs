//! Prices per tier at purchase, renewal, conversion and upgrade (API-billing.md
//! §5.1), locked for the term.

use partnerd_domain::calendar::Month;
use partnerd_domain::money::{Money, TierPrices};
use partnerd_domain::terms::Plan;
use partnerd_store::Conn;

use super::offer_terms::{OfferTerms, list_price};
use crate::AppResult;

/// The three tiers' prices of `plan` for `month`: `u1` the operator's list price;
/// `u2` and `u3` the same until the seller has a repricing config (issue of prices
/// per tier), the operator's list price being the suggested retail.
pub(crate) async fn resolve(
    conn: &mut Conn,
    offer: &OfferTerms,
    plan: Plan,
    month: Month,
) -> AppResult<TierPrices> {
    let u1 = list_price(conn, offer, plan, month).await?;
    Ok(TierPrices::flat(u1))
}

/// A trial's prices: nothing at every tier.
pub(crate) fn trial(currency: partnerd_domain::money::Currency) -> TierPrices {
    TierPrices::flat(Money::zero(currency))
}
