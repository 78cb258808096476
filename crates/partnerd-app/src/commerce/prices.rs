//! Prices per tier at purchase, renewal, conversion and upgrade (API-billing.md
//! §5.1), locked for the term: `u1` the operator's list price, `u2` and `u3` the
//! sellers' repricing configs over their own cost.

use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{OrgId, RepricingConfigId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::{Money, TierPrices, markup};
use partnerd_domain::terms::Plan;
use partnerd_store::Conn;
use partnerd_store::repricing;

use super::offer_terms::{OfferTerms, list_price};
use crate::AppResult;

/// The organisations of one sale: who buys from whom at each tier.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parties<'a> {
    pub provider: &'a OrgId,
    pub reseller: &'a OrgId,
    pub customer: &'a OrgId,
}

impl<'a> Parties<'a> {
    pub(crate) fn of(s: &'a partnerd_store::commerce::SubscriptionRow) -> Self {
        Self {
            provider: &s.indirect_provider_id,
            reseller: &s.reseller_organization_id,
            customer: &s.customer_id,
        }
    }
}

/// How a seller's price was found (§5.3 `basis`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Basis {
    pub config_id: Option<RepricingConfigId>,
    /// `offer`, `productFamily`, `default` or `none`.
    pub matched_by: &'static str,
    /// Hundredths of a percent; 0 without a config.
    pub percentage: i64,
}

impl Basis {
    const NONE: Self = Self {
        config_id: None,
        matched_by: "none",
        percentage: 0,
    };

    /// No config: the price is the seller's cost (or the list price).
    pub(crate) fn none() -> Self {
        Self::NONE
    }
}

/// The price at `tier` over the seller's `cost`, and how it was found; None when
/// the seller has no config in force (the caller falls back per §5.1).
pub(crate) async fn reprice(
    conn: &mut Conn,
    seller: &OrgId,
    tier: Tier,
    buyer: &OrgId,
    offer: &OfferTerms,
    month: Month,
    cost: Money,
) -> AppResult<Option<(Money, Basis)>> {
    let Some(c) = repricing::in_force(conn, seller, tier, buyer, month).await? else {
        return Ok(None);
    };
    let (b, matched_by) = c.adjustment_for(&offer.row.id, &offer.row.product_family);
    Ok(Some((
        Money::new(markup(cost.minor(), b), cost.currency()),
        Basis {
            config_id: Some(c.id),
            matched_by,
            percentage: b,
        },
    )))
}

/// The three tiers' prices of `plan` for `month`, with how `u2` and `u3` were found.
pub(crate) async fn resolve_with_basis(
    conn: &mut Conn,
    offer: &OfferTerms,
    plan: Plan,
    month: Month,
    parties: Parties<'_>,
) -> AppResult<(TierPrices, Basis, Basis)> {
    let u1 = list_price(conn, offer, plan, month).await?;
    let (u2, b2) = reprice(
        conn,
        parties.provider,
        Tier::ProviderToReseller,
        parties.reseller,
        offer,
        month,
        u1,
    )
    .await?
    .unwrap_or((u1, Basis::NONE));
    // Without the reseller's config the operator's list price is the suggested
    // retail.
    let (u3, b3) = reprice(
        conn,
        parties.reseller,
        Tier::ResellerToCustomer,
        parties.customer,
        offer,
        month,
        u2,
    )
    .await?
    .unwrap_or((u1, Basis::NONE));
    Ok((
        TierPrices {
            operator_to_provider: u1,
            provider_to_reseller: u2,
            reseller_to_customer: u3,
        },
        b2,
        b3,
    ))
}

/// The three tiers' prices of `plan` for `month`, to lock for a term.
pub(crate) async fn resolve(
    conn: &mut Conn,
    offer: &OfferTerms,
    plan: Plan,
    month: Month,
    parties: Parties<'_>,
) -> AppResult<TierPrices> {
    Ok(resolve_with_basis(conn, offer, plan, month, parties)
        .await?
        .0)
}

/// A trial's prices: nothing at every tier.
pub(crate) fn trial(currency: partnerd_domain::money::Currency) -> TierPrices {
    TierPrices::flat(Money::zero(currency))
}
