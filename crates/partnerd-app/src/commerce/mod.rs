//! Commerce on behalf of customers (API.md §10, §9.3): orders by the reseller of
//! record or its indirect provider, the subscriptions they create and their life
//! cycle, and license assignment within the purchased seats.
//!
//! Money rules run in one transaction with a lock: credit per provider–reseller pair
//! (the reseller organisation's lock) and seats per customer (the customer's lock),
//! so parallel requests can neither overspend nor oversell.

pub(crate) mod ledger;
mod licenses;
pub(crate) mod lifecycle;
pub(crate) mod offer_terms;
mod orders;
pub(crate) mod prices;
mod review;
mod subscription_update;
mod subscriptions;
mod upgrades;
pub(crate) mod window;

pub use licenses::{LicenseUpdate, LicenseUpdateResult, SubscribedSku, UserLicense, UserLicenses};
pub use lifecycle::JobCounts;
pub use orders::{
    CustomTermEndDate, CustomTermEndDateQuery, LineInput, Order, OrderFilters, OrderInput,
    OrderLine, PlacedBy,
};
pub use review::{
    AddProducts, CreditOutlook, LineChoice, OrderForm, OrderReview, ReviewLine, Supplier,
    plan_choice,
};
pub use subscription_update::{InstructionsInput, SubscriptionChanges};
pub use subscriptions::{
    BillingPeriod, NextTermInstructions, ScheduledStatusChange, Subscription, SubscriptionChange,
    SubscriptionFilters, SubscriptionPrices, SubscriptionRecord, SuspendedBy,
};
pub use upgrades::{ConvertInput, UpgradeInput, UpgradeOption, Upgraded};
pub use window::{RefundableQuantity, RefundableSeats};

use crate::error::Conflict;
use partnerd_domain::ids::OrgId;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_store::Conn;
use partnerd_store::connections;
use partnerd_store::organizations::OrganizationRow;

use crate::catalog::Money;
use crate::{App, AppError, AppResult, Principal};

/// Who reads a customer's commerce data, and how much of it.
pub(crate) enum Reader {
    /// The operator: everything.
    Operator,
    /// The customer itself: everything of its own.
    Customer,
    /// A related partner: what it supplies or is reseller of record for.
    Partner(OrgId),
}

impl Reader {
    pub(crate) fn party(&self) -> Option<OrgId> {
        match self {
            Self::Partner(id) => Some(id.clone()),
            _ => None,
        }
    }
}

impl App {
    /// The customer `cid` for reading orders, subscriptions and seats: the customer
    /// itself, a related partner or the operator; else 404.
    pub(crate) async fn commerce_reader(
        &self,
        conn: &mut Conn,
        p: &Principal,
        cid: &OrgId,
    ) -> AppResult<(OrganizationRow, Reader)> {
        if &p.organization.id == cid && p.organization.kind == OrgKind::Customer {
            let org = partnerd_store::organizations::get(conn, cid)
                .await?
                .ok_or_else(AppError::not_found)?;
            p.require(Action::ReadOwnSubscriptions)?;
            return Ok((org, Reader::Customer));
        }
        let (org, rel) = self.visible_customer(conn, p, cid).await?;
        p.require(Action::ReadCommerce)?;
        Ok((
            org,
            match rel {
                Some(_) => Reader::Partner(p.organization.id.clone()),
                None => Reader::Operator,
            },
        ))
    }

    /// The credit check of an increase by `extra` minor units for the reseller's
    /// subscriptions through the provider. Takes the reseller's lock first, so the
    /// check and the write that follows cannot interleave with another one.
    pub(crate) async fn check_credit(
        &self,
        conn: &mut Conn,
        provider: &OrgId,
        reseller: &OrgId,
        extra: Money,
    ) -> AppResult<()> {
        partnerd_store::organizations::lock(conn, self.db().backend(), reseller).await?;
        let Some(rel) = connections::active_between(conn, provider, reseller).await? else {
            return Ok(());
        };
        let Some(limit) = connections::credit_limit(conn, &rel.id)
            .await?
            .and_then(|c| c.limit)
        else {
            return Ok(());
        };
        let used = Money::new(
            partnerd_store::commerce::credit_used(conn, provider, reseller)
                .await?
                .used(),
            limit.currency(),
        );
        if used.checked_add(extra)?.minor() > limit.minor() {
            return Err(AppError::conflict(
                Conflict::CreditLimitExceeded,
                format!(
                    "the credit limit is {limit}, {used} is used and this change adds {extra} {}",
                    limit.currency(),
                    limit = limit.amount(),
                    used = used.amount(),
                    extra = extra.amount(),
                ),
            ));
        }
        Ok(())
    }
}
