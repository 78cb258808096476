//! `PATCH /v1/customers/{cid}/subscriptions/{sid}` (API-billing.md §4.4): the
//! checks in the contract's order (first failure wins), then the change: quantity
//! inside the window, suspension, cancel (delete with refund), auto-renew, a
//! friendly name, and the next term's instructions.

use partnerd_domain::calendar::Date;
use partnerd_domain::money::{Money, prorate};
use partnerd_domain::names::name;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::{OfferStatus, SubscriptionStatus};
use partnerd_domain::terms::{BillingFrequency, Plan};
use partnerd_domain::{Collect, FieldError};
use partnerd_store::commerce::{self, ScheduledTerm, SubscriptionRow};
use partnerd_store::{Conn, connections, customers, organizations};

use super::Reader;
use super::ledger::Lines;
use super::lifecycle::{instructions_json, instructions_text, settle};
use super::offer_terms::{OfferTerms, offer_terms, offers_upgrading_to};
use super::subscriptions::{Subscription, Viewer, record_history};
use super::window::{self, refundable};
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::{Conflict, Refusal, check_if_match};
use crate::events::Event;
use crate::{App, AppError, AppResult, Ctx, Principal};
use partnerd_domain::ledger::{self, RemovedSeats};

/// The members of a next term's instructions, as sent.
#[derive(Debug, Clone, Default)]
pub struct InstructionsInput {
    pub offer_id: Option<String>,
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    pub quantity: Option<i64>,
}

/// `PATCH /v1/customers/{cid}/subscriptions/{sid}`: only the members sent change.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    pub quantity: Option<i64>,
    /// `active`, `suspended`, `deleted` (v1: `cancelled`).
    pub status: Option<String>,
    pub auto_renew_enabled: Option<bool>,
    pub friendly_name: Option<String>,
    /// `Some(None)`: clear them.
    pub scheduled_next_term_instructions: Option<Option<InstructionsInput>>,
}

/// What a partner may ask a subscription's status to become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Active,
    Suspended,
    Cancel,
}

fn refused(kind: Conflict, detail: impl Into<String>) -> AppError {
    AppError::conflict(kind, detail)
}

impl App {
    /// `PATCH /v1/customers/{cid}/subscriptions/{sid}` (If-Match required).
    pub async fn update_subscription(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &partnerd_domain::ids::OrgId,
        sid: &partnerd_domain::ids::SubscriptionId,
        if_match: Option<&str>,
        input: AppResult<SubscriptionChanges>,
    ) -> AppResult<Subscription> {
        self.apply_due_events_of(sid).await?;
        let mut tx = self.db().begin().await?;
        // 1. Visible.
        let (before, reader) = self.subscription_for_change(&mut tx, p, cid, sid).await?;
        // 2. Role.
        let operator = matches!(reader, Reader::Operator);
        if operator {
            p.require(Action::SuspendSubscriptions)?;
        } else if matches!(reader, Reader::Customer) {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "your partners change subscriptions for you; ask your reseller",
            ));
        } else {
            p.require(Action::PlaceOrders)?;
        }
        let input = input?;
        let wanted = match input.status.as_deref() {
            None => None,
            Some("active") => Some(Wanted::Active),
            Some("suspended") => Some(Wanted::Suspended),
            Some("deleted" | "cancelled") => Some(Wanted::Cancel),
            Some(_) => None,
        };
        if operator
            && (input.quantity.is_some()
                || input.auto_renew_enabled.is_some()
                || input.friendly_name.is_some()
                || input.scheduled_next_term_instructions.is_some())
        {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "the operator changes only a subscription's status",
            ));
        }
        let reactivating =
            before.status == SubscriptionStatus::Suspended && wanted == Some(Wanted::Active);
        let increasing = input.quantity.is_some_and(|q| q > before.quantity);
        if reactivating && !operator && self.suspended_by_operator(&mut tx, &before).await? {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "the operator suspended this subscription; only the operator reactivates it",
            ));
        }
        if (reactivating || increasing) && !operator {
            let supplying = connections::active_between(
                &mut tx,
                &before.indirect_provider_id,
                &before.reseller_organization_id,
            )
            .await?
            .is_some();
            let serving = customers::active_relationship(&mut tx, cid, &p.organization.id)
                .await?
                .is_some();
            if !supplying || !serving {
                return Err(AppError::forbidden(
                    Refusal::RelationshipRequired,
                    "the relationship this subscription is supplied through has ended; it can no longer grow",
                ));
            }
        }
        // 3. If-Match.
        check_if_match(&etag(&before.id, before.version), if_match, true)?;
        // 4. The request itself.
        let offer = offer_terms(&mut tx, &before.offer_id).await?;
        let mut c = Collect::default();
        if input.quantity.is_none()
            && input.status.is_none()
            && input.auto_renew_enabled.is_none()
            && input.friendly_name.is_none()
            && input.scheduled_next_term_instructions.is_none()
        {
            c.0.push(FieldError::invalid(
                "",
                "send at least one of quantity, status, autoRenewEnabled, friendlyName, scheduledNextTermInstructions",
            ));
        }
        if input.status.is_some() && wanted.is_none() {
            c.0.push(FieldError::invalid(
                "/status",
                "must be active, suspended or deleted (cancelled means deleted)",
            ));
        }
        let friendly = input
            .friendly_name
            .as_deref()
            .and_then(|f| c.take(name("/friendlyName", f)));
        let setting = matches!(input.scheduled_next_term_instructions, Some(Some(_)));
        if setting
            && (input.quantity.is_some()
                || wanted == Some(Wanted::Cancel)
                || input.auto_renew_enabled == Some(false))
        {
            c.0.push(FieldError::invalid(
                "/scheduledNextTermInstructions",
                "cannot be set with a quantity change, a cancel or turning auto-renew off, which clear them",
            ));
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        if let Some(q) = input.quantity {
            let (min, max) = offer
                .as_ref()
                .map_or((1, i64::MAX), |o| (o.row.min_quantity, o.row.max_quantity));
            if !(min..=max).contains(&q) {
                return Err(AppError::field(FieldError::new(
                    "/quantity",
                    "quantity_out_of_range",
                    format!(
                        "{} is sold in quantities of {min} to {max}",
                        before.offer_name
                    ),
                )));
            }
        }
        let instructions = match &input.scheduled_next_term_instructions {
            Some(Some(i)) => Some(self.instructions(&mut tx, &before, i).await?),
            _ => None,
        };
        // 5. Closed subscriptions do not change.
        if before.status.is_closed() {
            return Err(refused(
                Conflict::SubscriptionCancelled,
                format!("the subscription is {}; it cannot change", before.status),
            ));
        }
        // 6. Trials.
        let trial = before.plan.is_trial();
        if trial
            && (input.quantity.is_some_and(|q| q != before.quantity)
                || wanted == Some(Wanted::Suspended))
        {
            return Err(refused(
                Conflict::TrialChangeNotAllowed,
                "a trial keeps its seats and cannot be suspended; convert it to a paid subscription first",
            ));
        }
        // 7. Suspended subscriptions keep their quantity and next term.
        if before.status == SubscriptionStatus::Suspended
            && !reactivating
            && (input.quantity.is_some() || setting)
        {
            return Err(refused(
                Conflict::SubscriptionNotActive,
                "the subscription is suspended; reactivate it before changing its quantity or next term",
            ));
        }
        // 8. The window.
        let now = self.now();
        let batches = commerce::seat_batches(&mut tx, &before.id).await?;
        let window = refundable(&batches, now);
        let free = before.quantity - window.total_quantity;
        let decreasing = input.quantity.is_some_and(|q| q < before.quantity);
        let cancelling = wanted == Some(Wanted::Cancel);
        if let Some(q) = input.quantity.filter(|_| decreasing && !trial)
            && q < free
        {
            let detail = match window.details.first() {
                Some(d) => format!(
                    "only {} seats can be removed now, until {}; the other {free} stay until the term ends on {}",
                    window.total_quantity,
                    d.allowed_until.spoken(),
                    before.term_end_date
                ),
                None => format!(
                    "seats can only be removed within 7 days of being added; all {} stay until the term ends on {}",
                    before.quantity, before.term_end_date
                ),
            };
            return Err(refused(Conflict::CancellationWindowClosed, detail)
                .with_extension("refundableQuantity", &window));
        }
        if cancelling && !trial && free > 0 {
            return Err(refused(
                Conflict::CancellationWindowClosed,
                format!(
                    "a subscription can be cancelled within 7 days of its purchase, renewal or conversion; \
                     {free} of its {} seats are past that, so it runs until {} — turn auto-renew off to end it then",
                    before.quantity, before.term_end_date
                ),
            )
            .with_extension("refundableQuantity", &window));
        }
        // The change.
        let mut after = before.clone();
        if let Some(q) = input.quantity {
            after.quantity = q;
        }
        match wanted {
            Some(Wanted::Suspended) if before.status != SubscriptionStatus::Suspended => {
                after.status = SubscriptionStatus::Suspended;
                after.suspended_by_organization_id = Some(p.organization.id.clone());
                after.suspended_reason = None;
            }
            Some(Wanted::Active) if before.status != SubscriptionStatus::Active => {
                after.status = SubscriptionStatus::Active;
                after.suspended_by_organization_id = None;
                after.suspended_reason = None;
            }
            Some(Wanted::Cancel) => {
                after.status = before.status.cancel()?;
                after.cancelled_at = Some(now);
                after.deleted_at = Some(now);
                after.suspended_by_organization_id = None;
            }
            _ => {}
        }
        if let Some(a) = input.auto_renew_enabled {
            after.auto_renew = a;
        }
        if input.friendly_name.is_some() {
            after.friendly_name = friendly;
        }
        // 9. Licenses.
        self.check_seats_after(&mut tx, &before, &after).await?;
        // 10. An increase.
        if increasing {
            let o = offer
                .as_ref()
                .filter(|o| o.row.status == OfferStatus::Available);
            let Some(o) = o else {
                return Err(refused(
                    Conflict::OfferNotAvailable,
                    format!(
                        "{} is no longer available; its quantity cannot grow",
                        before.offer_name
                    ),
                ));
            };
            self.check_cap(&mut tx, &before, o, after.quantity - before.quantity)
                .await?;
            let added = self.increase_charge(&before, after.quantity - before.quantity)?;
            if added.minor() > 0 {
                self.check_credit(
                    &mut tx,
                    &before.indirect_provider_id,
                    &before.reseller_organization_id,
                    added,
                )
                .await?;
            }
        }
        // 11. Instructions.
        let mut history: Vec<(&str, String, String)> = Vec::new();
        if let Some((target, ins)) = instructions {
            if !after.auto_renew {
                return Err(refused(
                    Conflict::AutoRenewDisabled,
                    "auto-renew is off, so there is no next term to plan; turn it on first",
                ));
            }
            self.check_target_allowed(&mut tx, &before, &target).await?;
            let own = if target.row.id == before.offer_id {
                before.quantity
            } else {
                0
            };
            self.check_cap(&mut tx, &before, &target, ins.quantity - own)
                .await?;
            after.scheduled = Some(ins);
        } else if matches!(input.scheduled_next_term_instructions, Some(None)) {
            after.scheduled = None;
        }
        let clears = input.quantity.is_some_and(|q| q != before.quantity)
            || cancelling
            || (before.auto_renew && !after.auto_renew);
        if clears {
            after.scheduled = None;
        }
        if after.scheduled != before.scheduled {
            history.push((
                "scheduledNextTermInstructions",
                instructions_text(before.scheduled.as_ref()),
                instructions_text(after.scheduled.as_ref()),
            ));
        }
        // Seat batches follow the quantity, and the ledger the seats (§6.3): a
        // trial writes no lines.
        let today = Date::of(now);
        let term = before.term();
        let removed_seats = |removed: Vec<window::Removed>| -> Vec<RemovedSeats> {
            removed
                .into_iter()
                .map(|r| RemovedSeats {
                    added_on: Date::of(r.added_at),
                    quantity: r.quantity,
                    full_refund: r.full_refund,
                })
                .collect()
        };
        let mut charges = Vec::new();
        if cancelling {
            if !trial {
                let (_, removed) = window::take_newest(&batches, before.quantity, now);
                charges = ledger::cancel(&term, today, &removed_seats(removed));
            }
            commerce::replace_seat_batches(&mut tx, &after.id, &[]).await?;
        } else if after.quantity > before.quantity {
            let b = window::add(&batches, after.quantity - before.quantity, now);
            commerce::replace_seat_batches(&mut tx, &after.id, &b).await?;
            charges = ledger::increase(&term, today, before.quantity, after.quantity);
        } else if after.quantity < before.quantity && !trial {
            let (b, removed) = window::take_newest(&batches, before.quantity - after.quantity, now);
            commerce::replace_seat_batches(&mut tx, &after.id, &b).await?;
            charges = ledger::decrease(&term, today, before.quantity, &removed_seats(removed));
        }
        after.updated_at = now;
        settle(&mut after);
        crate::error::written(commerce::update_subscription(&mut tx, &after).await?)?;
        after.version += 1;
        history.extend([
            (
                "quantity",
                before.quantity.to_string(),
                after.quantity.to_string(),
            ),
            (
                "status",
                before.status.to_string(),
                after.status.to_string(),
            ),
            (
                "autoRenewEnabled",
                before.auto_renew.to_string(),
                after.auto_renew.to_string(),
            ),
            (
                "friendlyName",
                before.friendly_name.clone().unwrap_or_default(),
                after.friendly_name.clone().unwrap_or_default(),
            ),
        ]);
        record_history(&mut tx, p, &after.id, now, history).await?;
        let charge_lines = self
            .write_lines(&mut tx, today, None, &[Lines::new(&after, charges)])
            .await?;
        let customer = organizations::get(&mut tx, cid).await?.ok_or_else(|| {
            AppError::internal("organizations::get found no row where one must exist")
        })?;
        let viewer = Viewer::of(&reader, cid);
        let view = self.subscription_view(&mut tx, &after, &viewer).await?;
        let snapshot = self
            .subscription_view(&mut tx, &after, &Viewer::Snapshot)
            .await?;
        let before_view = self
            .subscription_view(&mut tx, &before, &Viewer::Snapshot)
            .await?;
        let only_instructions = input.quantity.is_none()
            && input.status.is_none()
            && input.auto_renew_enabled.is_none()
            && input.friendly_name.is_none();
        let operation = if cancelling {
            "cancelSubscription"
        } else if only_instructions && after.scheduled.is_some() {
            "setScheduledChanges"
        } else if only_instructions {
            "clearScheduledChanges"
        } else {
            "updateSubscription"
        };
        let mut entry = Entry::new(
            Actor::Principal(p),
            "subscription",
            Some(after.id.clone()),
            operation,
        )
        .participant(cid)
        .participant(&after.reseller_organization_id)
        .participant(&after.indirect_provider_id)
        .before(serde_json::json!({
            "subscription": before_view,
            "scheduledNextTermInstructions": instructions_json(before.scheduled.as_ref()),
        }))
        .after(&snapshot)
        .charge_lines(&charge_lines);
        entry.on_behalf_of = Some((customer.id.clone(), customer.name));
        let event_type = match (before.status, after.status) {
            (a, b) if a == b => "subscription.updated",
            (_, SubscriptionStatus::Suspended) => "subscription.suspended",
            (_, SubscriptionStatus::Active) => "subscription.reactivated",
            _ => "subscription.cancelled",
        };
        let changed = Event {
            event_type,
            resource_type: "subscription",
            resource_id: &after.id,
            resource_url: crate::urls::subscription(cid, &after.id),
            participants: vec![
                cid,
                &after.reseller_organization_id,
                &after.indirect_provider_id,
            ],
        };
        self.commit_change(tx, ctx, now, entry, vec![changed.with(&snapshot)])
            .await?;
        Ok(view)
    }

    async fn suspended_by_operator(&self, tx: &mut Conn, s: &SubscriptionRow) -> AppResult<bool> {
        let Some(by) = &s.suspended_by_organization_id else {
            return Ok(false);
        };
        Ok(organizations::get(tx, by)
            .await?
            .is_some_and(|o| o.kind == OrgKind::Operator))
    }

    /// Step 4 of §4.4 for instructions (§4.5): every member, a plan of the target,
    /// upfront only where the subscription bills upfront or is a trial, a quantity
    /// in the target's range.
    async fn instructions(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
        i: &InstructionsInput,
    ) -> AppResult<(OfferTerms, ScheduledTerm)> {
        let at = |m: &str| format!("/scheduledNextTermInstructions/{m}");
        let mut c = Collect::default();
        for (member, present) in [
            ("offerId", i.offer_id.is_some()),
            ("termDuration", i.term_duration.is_some()),
            ("billingFrequency", i.billing_frequency.is_some()),
            ("quantity", i.quantity.is_some()),
        ] {
            if !present {
                c.0.push(FieldError::invalid(at(member), "is required"));
            }
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let offer_id = i.offer_id.clone().unwrap_or_default();
        let Some(target) = offer_terms(tx, offer_id.trim()).await? else {
            return Err(AppError::field(FieldError::invalid(
                at("offerId"),
                format!("'{offer_id}' is not an offer of the catalog"),
            )));
        };
        let term = i.term_duration.clone().unwrap_or_default();
        let freq = i.billing_frequency.clone().unwrap_or_default();
        let plan = Plan::parse(&term, &freq).filter(|p| target.offers(*p));
        let Some(plan) = plan else {
            let sold: Vec<String> = target.plans.iter().map(|p| p.label()).collect();
            return Err(AppError::field(FieldError::invalid(
                at("billingFrequency"),
                format!("{} is sold as {}", target.row.name, sold.join("; ")),
            )));
        };
        let bills_upfront = s
            .plan
            .paid()
            .is_some_and(|p| p.frequency == BillingFrequency::Upfront);
        if plan.frequency == BillingFrequency::Upfront && !(bills_upfront || s.plan.is_trial()) {
            return Err(AppError::field(FieldError::invalid(
                at("billingFrequency"),
                "paying up front is chosen at purchase; the next term can be billed monthly or annually",
            )));
        }
        let quantity = i.quantity.unwrap_or_default();
        if !(target.row.min_quantity..=target.row.max_quantity).contains(&quantity) {
            return Err(AppError::field(FieldError::new(
                at("quantity"),
                "quantity_out_of_range",
                format!(
                    "{} is sold in quantities of {} to {}",
                    target.row.name, target.row.min_quantity, target.row.max_quantity
                ),
            )));
        }
        let ins = ScheduledTerm {
            offer_id: target.row.id.clone(),
            plan,
            quantity,
        };
        Ok((target, ins))
    }

    /// The next term may stay on the offer, move to one of its upgrade targets, or
    /// move down to an offer that lists it as a target.
    async fn check_target_allowed(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
        target: &OfferTerms,
    ) -> AppResult<()> {
        if target.row.id == s.offer_id {
            return Ok(());
        }
        let current = offer_terms(tx, &s.offer_id).await?;
        let up = current
            .as_ref()
            .is_some_and(|o| o.upgrade_targets.contains(&target.row.id));
        let down = offers_upgrading_to(tx, &s.offer_id)
            .await?
            .contains(&target.row.id);
        if up || down {
            Ok(())
        } else {
            Err(refused(
                Conflict::UpgradeNotAllowed,
                format!(
                    "{} cannot follow {}: the next term can stay on it, move to one of its upgrades or to an offer it is an upgrade of",
                    target.row.name, s.offer_name
                ),
            ))
        }
    }

    /// The per-customer seat cap (API-billing.md §3.2 #9), under the customer's lock.
    pub(crate) async fn check_cap(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
        offer: &OfferTerms,
        added: i64,
    ) -> AppResult<()> {
        let Some(cap) = offer.max_quantity_per_customer else {
            return Ok(());
        };
        organizations::lock(tx, self.db().backend(), &s.customer_id).await?;
        let held = commerce::seats_held(tx, &s.customer_id, &offer.row.id).await?;
        seat_cap(&offer.row.id, &offer.row.name, cap, held, added)
    }

    /// What an increase of `added` seats charges now at `providerToReseller`:
    /// the rest of the current billing period, per seat.
    fn increase_charge(&self, s: &SubscriptionRow, added: i64) -> AppResult<Money> {
        let today = Date::of(self.now());
        let u = s.prices.provider_to_reseller;
        let per_seat = s
            .term()
            .period_on(today)
            .map_or(0, |p| prorate(u.minor(), p.days_from(today), p.days));
        Ok(Money::new(per_seat, u.currency()).checked_mul(added)?)
    }

    /// Refuses a change that would leave fewer seats (active + suspended) of the
    /// offer than licenses assigned: 409 `quantity_below_assigned`.
    async fn check_seats_after(
        &self,
        conn: &mut Conn,
        before: &SubscriptionRow,
        after: &SubscriptionRow,
    ) -> AppResult<()> {
        let held = |s: &SubscriptionRow| {
            if s.status.holds_seats() {
                s.quantity
            } else {
                0
            }
        };
        if held(after) >= held(before) {
            return Ok(());
        }
        organizations::lock(conn, self.db().backend(), &before.customer_id).await?;
        let seats = commerce::seats(conn, &before.customer_id, Some(&before.offer_id))
            .await?
            .into_iter()
            .next()
            .unwrap_or_default();
        let remaining = seats.total + seats.suspended - held(before) + held(after);
        if seats.assigned > remaining {
            return Err(refused(
                Conflict::QuantityBelowAssigned,
                format!(
                    "{} licenses of {} are assigned and only {remaining} seats would remain; remove licenses first",
                    seats.assigned, before.offer_name
                ),
            ));
        }
        Ok(())
    }
}

/// 409 `customer_seat_limit_exceeded` when `held + added` passes the cap, with the
/// members the contract names.
pub(crate) fn seat_cap(
    offer_id: &str,
    offer_name: &str,
    cap: i64,
    held: i64,
    added: i64,
) -> AppResult<()> {
    if added <= 0 || held + added <= cap {
        return Ok(());
    }
    let remaining = (cap - held).max(0);
    Err(refused(
        Conflict::CustomerSeatLimitExceeded,
        format!(
            "requested {added} seats exceeds the remaining limit of {remaining}: a customer may hold at most {cap} seats of {offer_name} with all its partners"
        ),
    )
    .with_extension("offerId", offer_id)
    .with_extension("maxQuantityPerCustomer", cap)
    .with_extension("requestedQuantity", added)
    .with_extension("remainingQuantity", remaining))
}
