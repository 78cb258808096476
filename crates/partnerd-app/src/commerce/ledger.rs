//! Writes the charge ledger (API-billing.md §6) in the transaction of the change
//! or system event that causes it: one set of lines per tier, `operatorToProvider`
//! first, each tier in the order the event lists them.

use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{ChargeLineId, OrderId, OrgId};
use partnerd_domain::ledger::{Charge, Tier};
use partnerd_domain::money::Money;
use partnerd_store::Conn;
use partnerd_store::commerce::SubscriptionRow;
use partnerd_store::ledger::{self, ChargeLineRow};
use partnerd_store::organizations;

use crate::{App, AppError, AppResult};

/// The lines one subscription gets from an event.
pub(crate) struct Lines<'a> {
    pub subscription: &'a SubscriptionRow,
    pub charges: Vec<Charge>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(subscription: &'a SubscriptionRow, charges: Vec<Charge>) -> Self {
        Self {
            subscription,
            charges,
        }
    }
}

/// Seller and buyer of a tier.
fn parties(tier: Tier, operator: &OrgId, s: &SubscriptionRow) -> (OrgId, OrgId) {
    match tier {
        Tier::OperatorToProvider => (operator.clone(), s.indirect_provider_id.clone()),
        Tier::ProviderToReseller => (
            s.indirect_provider_id.clone(),
            s.reseller_organization_id.clone(),
        ),
        Tier::ResellerToCustomer => (s.reseller_organization_id.clone(), s.customer_id.clone()),
    }
}

impl App {
    /// Writes the lines of one event dated `day`; returns their ids in the order
    /// written. Trials and zero prices write lines like any other (a trial's
    /// callers pass no charges).
    pub(crate) async fn write_lines(
        &self,
        tx: &mut Conn,
        day: Date,
        order_id: Option<&OrderId>,
        sets: &[Lines<'_>],
    ) -> AppResult<Vec<ChargeLineId>> {
        if sets.iter().all(|l| l.charges.is_empty()) {
            return Ok(Vec::new());
        }
        let operator = organizations::operator(tx)
            .await?
            .ok_or_else(|| AppError::internal("the operator organisation is missing"))?
            .id;
        let first = sets[0].subscription;
        let name =
            |o: Option<organizations::OrganizationRow>| o.map(|o| o.name).unwrap_or_default();
        let reseller_name = name(organizations::get(tx, &first.reseller_organization_id).await?);
        let customer_name = name(organizations::get(tx, &first.customer_id).await?);
        let now = self.now();
        let mut ids = Vec::new();
        for tier in Tier::ALL {
            for set in sets {
                let s = set.subscription;
                let u = s.prices.at(tier);
                let (seller, buyer) = parties(tier, &operator, s);
                for c in &set.charges {
                    let row = ChargeLineRow {
                        id: ChargeLineId::generate(),
                        sequence: 0,
                        charge_date: day,
                        charge_type: c.charge_type,
                        tier,
                        seller_organization_id: seller.clone(),
                        buyer_organization_id: buyer.clone(),
                        indirect_provider_id: s.indirect_provider_id.clone(),
                        reseller_organization_id: s.reseller_organization_id.clone(),
                        reseller_name: reseller_name.clone(),
                        customer_id: s.customer_id.clone(),
                        customer_name: customer_name.clone(),
                        subscription_id: s.id.clone(),
                        order_id: order_id.cloned(),
                        offer_id: s.offer_id.clone(),
                        offer_name: s.offer_name.clone(),
                        product_family: s.product_family.clone(),
                        term_duration: s.plan.term_duration(),
                        billing_frequency: s.plan.billing_frequency().to_owned(),
                        period_start: c.period_start,
                        period_end: c.period_end,
                        charged_days: c.charged_days,
                        billing_period_days: c.billing_period_days,
                        quantity: c.quantity,
                        unit_price: u,
                        effective_unit_price: Money::new(
                            c.effective_unit_price(u.minor()),
                            u.currency(),
                        ),
                        amount: Money::new(c.amount(u.minor()), u.currency()),
                        invoice_id: None,
                        created_at: now,
                    };
                    ledger::insert(tx, &row).await?;
                    ids.push(row.id);
                }
            }
        }
        Ok(ids)
    }
}
