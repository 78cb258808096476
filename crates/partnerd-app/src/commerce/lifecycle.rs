//! A subscription's system transitions (API-billing.md §1.3, §4.2, §4.6, §4.8):
//! cycle charges at each billing period's start, the term's end at `τ` (renewal,
//! trial conversion, expiry; suspended → disabled), expired → disabled at
//! `τ` + 30 days and disabled → deleted at `τ` + 120 days.
//!
//! Each is a system event keyed by (subscription, kind, scheduled instant) and
//! applied once: by the job that runs every minute on every replica, or first by
//! any command on the subscription, in that command's transaction, so no answer
//! depends on the job's lag. A late event keeps its scheduled instant and day.

use partnerd_domain::calendar::Date;
use partnerd_domain::ids::SubscriptionChangeId;
use partnerd_domain::ledger::ChargeType;
use partnerd_domain::states::{OfferStatus, SubscriptionStatus};
use partnerd_domain::terms::{Plan, SubscriptionPlan, Term};
use partnerd_domain::time::Timestamp;
use partnerd_store::commerce::{self, ChangeRow, ScheduledTerm, SeatBatch, SubscriptionRow};
use partnerd_store::{Conn, system_events};
use serde::Serialize;
use utoipa::ToSchema;

use super::offer_terms::{OfferTerms, offer_terms};
use super::subscriptions::Viewer;
use crate::audit::{Actor, Entry};
use crate::events::Event;
use crate::{App, AppError, AppResult, Ctx};

/// The kinds of system event a subscription has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// Period `i ≥ 1` starts: its charge is posted.
    CycleCharge,
    /// `τ`: renewal, conversion or expiry; a suspended subscription is disabled.
    TermEnd,
    /// `τ` + 30 days: an expired subscription is disabled.
    Disable,
    /// `τ` + 120 days: a disabled subscription is deleted.
    Delete,
}

impl Due {
    fn key(self) -> &'static str {
        match self {
            Self::CycleCharge => "cycleCharge",
            Self::TermEnd => "termEnd",
            Self::Disable => "disable",
            Self::Delete => "delete",
        }
    }
}

const DAYS_TO_DISABLE: i64 = 30;
const DAYS_TO_DELETE: i64 = 120;

/// The subscription's next system event and its instant, from its state alone.
pub(crate) fn next_event(s: &SubscriptionRow) -> Option<(Due, Timestamp)> {
    let tau = s.commitment_end;
    match s.status {
        SubscriptionStatus::Active | SubscriptionStatus::Suspended => {
            let next = u32::try_from(s.next_period)
                .ok()
                .and_then(|i| s.term().period(i));
            Some(match next {
                Some(p) if p.index >= 1 => (Due::CycleCharge, p.start.start()),
                _ => (Due::TermEnd, tau),
            })
        }
        SubscriptionStatus::Expired => Some((
            Due::Disable,
            tau.plus_millis(DAYS_TO_DISABLE * Timestamp::DAY),
        )),
        SubscriptionStatus::Disabled => Some((
            Due::Delete,
            tau.plus_millis(DAYS_TO_DELETE * Timestamp::DAY),
        )),
        SubscriptionStatus::Deleted => None,
    }
}

/// Sets the instant the job looks for; every write of a subscription does this.
pub(crate) fn settle(s: &mut SubscriptionRow) {
    s.next_event_at = next_event(s).map(|(_, at)| at);
}

/// The next system transition as the API shows it (`scheduledStatusChange`).
pub(crate) fn scheduled_status_change(
    s: &SubscriptionRow,
) -> Option<(SubscriptionStatus, Timestamp)> {
    let tau = s.commitment_end;
    match s.status {
        SubscriptionStatus::Active if s.auto_renew => Some((SubscriptionStatus::Active, tau)),
        SubscriptionStatus::Active => Some((SubscriptionStatus::Expired, tau)),
        SubscriptionStatus::Suspended => Some((SubscriptionStatus::Disabled, tau)),
        SubscriptionStatus::Expired => Some((
            SubscriptionStatus::Disabled,
            tau.plus_millis(DAYS_TO_DISABLE * Timestamp::DAY),
        )),
        SubscriptionStatus::Disabled => Some((
            SubscriptionStatus::Deleted,
            tau.plus_millis(DAYS_TO_DELETE * Timestamp::DAY),
        )),
        SubscriptionStatus::Deleted => None,
    }
}

/// The day of the next `cycleCharge`, `renew` or `convert`, if any.
pub(crate) fn next_charge_date(s: &SubscriptionRow) -> Option<Date> {
    match (s.status, next_event(s)) {
        (_, Some((Due::CycleCharge, at))) => Some(Date::of(at)),
        (SubscriptionStatus::Active, Some((Due::TermEnd, at))) if s.auto_renew => {
            Some(Date::of(at))
        }
        _ => None,
    }
}

/// What one pass of the system-event job (or `POST /v1/testing/jobs/run`) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobCounts {
    pub renewed: u64,
    pub converted: u64,
    pub expired: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub cycle_charges: u64,
    pub billing_runs: u64,
    pub invoices_issued: u64,
}

impl JobCounts {
    fn add(&mut self, other: JobCounts) {
        self.renewed += other.renewed;
        self.converted += other.converted;
        self.expired += other.expired;
        self.disabled += other.disabled;
        self.deleted += other.deleted;
        self.cycle_charges += other.cycle_charges;
        self.billing_runs += other.billing_runs;
        self.invoices_issued += other.invoices_issued;
    }
}

/// A term-end outcome.
enum Ending {
    Renew {
        offer: Box<OfferTerms>,
        plan: Plan,
        quantity: i64,
        convert: bool,
    },
    Expire,
    Disable,
}

impl App {
    /// Applies every due event of `s` (read under its lock on `tx`), oldest first,
    /// writing each with its history, audit record and event; returns the row as it
    /// stands after and what was applied.
    pub(crate) async fn apply_due_events(
        &self,
        tx: &mut Conn,
        mut s: SubscriptionRow,
    ) -> AppResult<(SubscriptionRow, JobCounts)> {
        let now = self.now();
        let mut counts = JobCounts::default();
        // A generous bound: a subscription left alone for years has one cycle
        // charge per month; nothing legitimate needs more in one pass.
        for _ in 0..1000 {
            let Some((due, at)) = next_event(&s) else {
                break;
            };
            if at > now {
                break;
            }
            if !system_events::record(tx, s.id.as_str(), due.key(), at, now).await? {
                return Err(AppError::internal(format!(
                    "system event {} of {} at {at} was applied but the subscription still awaits it",
                    due.key(),
                    s.id
                )));
            }
            s = self.apply_event(tx, s, due, at, &mut counts).await?;
        }
        Ok((s, counts))
    }

    async fn apply_event(
        &self,
        tx: &mut Conn,
        before: SubscriptionRow,
        due: Due,
        at: Timestamp,
        counts: &mut JobCounts,
    ) -> AppResult<SubscriptionRow> {
        let mut after = before.clone();
        let mut history: Vec<(&str, String, String)> = Vec::new();
        // The lines the event writes, dated its scheduled day.
        let mut charges: Vec<partnerd_domain::ledger::Charge> = Vec::new();
        let (operation, event_type) = match due {
            Due::CycleCharge => {
                let i = u32::try_from(before.next_period).unwrap_or(u32::MAX);
                if before.status.holds_seats() {
                    charges.extend(partnerd_domain::ledger::cycle(
                        &before.term(),
                        i,
                        before.quantity,
                    ));
                }
                after.next_period += 1;
                counts.cycle_charges += 1;
                ("chargeSubscriptionCycle", None)
            }
            Due::Disable => {
                after.status = SubscriptionStatus::Disabled;
                after.disabled_at = Some(at);
                counts.disabled += 1;
                ("disableSubscription", Some("subscription.disabled"))
            }
            Due::Delete => {
                after.status = SubscriptionStatus::Deleted;
                after.deleted_at = Some(at);
                counts.deleted += 1;
                ("deleteSubscription", Some("subscription.deleted"))
            }
            Due::TermEnd => match self.ending(tx, &before).await? {
                (Ending::Disable, _) => {
                    after.status = SubscriptionStatus::Disabled;
                    after.disabled_at = Some(at);
                    counts.disabled += 1;
                    ("disableSubscription", Some("subscription.disabled"))
                }
                (Ending::Expire, discarded) => {
                    if let Some(reason) = discarded {
                        self.discard_instructions(tx, &before, &mut after, at, reason)
                            .await?;
                    }
                    after.status = SubscriptionStatus::Expired;
                    counts.expired += 1;
                    ("expireSubscription", Some("subscription.expired"))
                }
                (
                    Ending::Renew {
                        offer,
                        plan,
                        quantity,
                        convert,
                    },
                    discarded,
                ) => {
                    if let Some(reason) = discarded {
                        self.discard_instructions(tx, &before, &mut after, at, reason)
                            .await?;
                    }
                    let start = before.term_end_date.add_days(1);
                    let term = Term::paid(start, plan, None);
                    after.prices = super::prices::resolve(
                        tx,
                        &offer,
                        plan,
                        start.month(),
                        super::prices::Parties::of(&before),
                    )
                    .await?;
                    charges.extend(partnerd_domain::ledger::opening(
                        if convert {
                            ChargeType::Convert
                        } else {
                            ChargeType::Renew
                        },
                        &term,
                        quantity,
                    ));
                    after.plan = SubscriptionPlan::Paid(plan);
                    after.offer_id = offer.row.id.clone();
                    after.offer_name = offer.row.name.clone();
                    after.product_family = offer.row.product_family.clone();
                    after.quantity = quantity;
                    after.term_start = at;
                    after.term_end_date = term.end;
                    after.commitment_end = term.end_instant();
                    after.next_period = 1;
                    after.scheduled = None;
                    commerce::replace_seat_batches(
                        tx,
                        &after.id,
                        &[SeatBatch {
                            position: 1,
                            added_at: at,
                            quantity,
                        }],
                    )
                    .await?;
                    if after.offer_id != before.offer_id {
                        self.move_licenses(tx, &before, &after.offer_id, quantity)
                            .await?;
                    }
                    history.push((
                        "termEndDate",
                        before.term_end_date.to_string(),
                        after.term_end_date.to_string(),
                    ));
                    if convert {
                        counts.converted += 1;
                        ("convertTrial", Some("subscription.converted"))
                    } else {
                        counts.renewed += 1;
                        ("renewSubscription", Some("subscription.renewed"))
                    }
                }
            },
        };
        if before.status != after.status {
            history.push((
                "status",
                before.status.to_string(),
                after.status.to_string(),
            ));
        }
        if before.offer_id != after.offer_id {
            history.push(("offerId", before.offer_id.clone(), after.offer_id.clone()));
        }
        if before.quantity != after.quantity {
            history.push((
                "quantity",
                before.quantity.to_string(),
                after.quantity.to_string(),
            ));
        }
        if before.plan != after.plan {
            history.push(("plan", before.plan.label(), after.plan.label()));
        }
        after.updated_at = self.now();
        settle(&mut after);
        if !commerce::update_subscription(tx, &after).await? {
            return Err(AppError::internal(
                "a locked subscription changed under its system event",
            ));
        }
        after.version += 1;
        if after.status == SubscriptionStatus::Deleted {
            self.release_licenses(tx, &after).await?;
        }
        for (field, from, to) in history {
            system_history(tx, &after, at, field, from, to).await?;
        }
        let charge_lines = self
            .write_lines(
                tx,
                Date::of(at),
                None,
                &[super::ledger::Lines::new(&after, charges)],
            )
            .await?;
        self.system_record(tx, &before, &after, operation, event_type, &charge_lines)
            .await?;
        Ok(after)
    }

    /// What the term's end does, and the reason scheduled instructions were
    /// dropped (if they were).
    async fn ending(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
    ) -> AppResult<(Ending, Option<String>)> {
        if s.status == SubscriptionStatus::Suspended {
            return Ok((Ending::Disable, None));
        }
        if !s.auto_renew {
            return Ok((Ending::Expire, None));
        }
        let current = offer_terms(tx, &s.offer_id).await?;
        let mut discarded = None;
        let mut chosen: Option<(OfferTerms, Plan, i64)> = None;
        if let Some(ins) = &s.scheduled {
            match self.recheck_instructions(tx, s, ins).await? {
                Ok(target) => chosen = Some((target, ins.plan, ins.quantity)),
                Err(reason) => discarded = Some(reason),
            }
        }
        let convert = s.plan.is_trial();
        let (offer, plan, quantity) = match chosen {
            Some(c) => c,
            None => {
                let Some(offer) = current else {
                    return Ok((Ending::Expire, discarded));
                };
                let plan = match s.plan {
                    SubscriptionPlan::Paid(p) if offer.offers(p) => p,
                    _ => offer.default_plan,
                };
                (offer, plan, s.quantity)
            }
        };
        if offer.row.status != OfferStatus::Available {
            return Ok((Ending::Expire, discarded));
        }
        if offer.is_add_on()
            && !commerce::holds_active(tx, &s.customer_id, &offer.prerequisite_offer_ids).await?
        {
            return Ok((Ending::Expire, discarded));
        }
        Ok((
            Ending::Renew {
                offer: Box::new(offer),
                plan,
                quantity,
                convert,
            },
            discarded,
        ))
    }

    /// §4.6 step 1: the instructions still hold at renewal, or the reason they do not.
    async fn recheck_instructions(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
        ins: &ScheduledTerm,
    ) -> AppResult<Result<OfferTerms, String>> {
        let Some(target) = offer_terms(tx, &ins.offer_id).await? else {
            return Ok(Err("offer_not_available: the offer left the catalog".into()));
        };
        if target.row.status != OfferStatus::Available {
            return Ok(Err(format!(
                "offer_not_available: {} is retired",
                target.row.name
            )));
        }
        if !target.offers(ins.plan) {
            return Ok(Err(format!(
                "validation_failed: {} is no longer sold as {}",
                target.row.name,
                ins.plan.label()
            )));
        }
        if !(target.row.min_quantity..=target.row.max_quantity).contains(&ins.quantity) {
            return Ok(Err(format!(
                "quantity_out_of_range: {} is sold in quantities of {} to {}",
                target.row.name, target.row.min_quantity, target.row.max_quantity
            )));
        }
        if let Some(cap) = target.max_quantity_per_customer {
            let held = commerce::seats_held(tx, &s.customer_id, &target.row.id).await?;
            let own = if target.row.id == s.offer_id {
                s.quantity
            } else {
                0
            };
            if held - own + ins.quantity > cap {
                return Ok(Err(format!(
                    "customer_seat_limit_exceeded: at most {cap} seats of {} per customer",
                    target.row.name
                )));
            }
        }
        if target.is_add_on()
            && !commerce::holds_active(tx, &s.customer_id, &target.prerequisite_offer_ids).await?
        {
            return Ok(Err(format!(
                "prerequisite_required: {} needs an active subscription of its prerequisite",
                target.row.name
            )));
        }
        let assigned = commerce::seats(tx, &s.customer_id, Some(&s.offer_id))
            .await?
            .first()
            .map_or(0, |x| x.assigned);
        let held = commerce::seats_held(tx, &s.customer_id, &s.offer_id).await?;
        let left = if target.row.id == s.offer_id {
            held - s.quantity + ins.quantity
        } else {
            held - s.quantity
        };
        if target.row.id == s.offer_id && assigned > left {
            return Ok(Err(format!(
                "quantity_below_assigned: {assigned} licenses are assigned and only {left} seats would remain"
            )));
        }
        Ok(Ok(target))
    }

    async fn discard_instructions(
        &self,
        tx: &mut Conn,
        before: &SubscriptionRow,
        after: &mut SubscriptionRow,
        at: Timestamp,
        reason: String,
    ) -> AppResult<()> {
        after.scheduled = None;
        system_history(
            tx,
            before,
            at,
            "scheduledNextTermInstructions",
            instructions_text(before.scheduled.as_ref()),
            String::new(),
        )
        .await?;
        let entry = Entry::new(
            Actor::System("subscription-terms"),
            "subscription",
            Some(before.id.clone()),
            "discardScheduledChanges",
        )
        .participant(&before.customer_id)
        .participant(&before.reseller_organization_id)
        .participant(&before.indirect_provider_id)
        .before(serde_json::json!({"scheduledNextTermInstructions": instructions_json(before.scheduled.as_ref())}))
        .after(serde_json::json!({"scheduledNextTermInstructions": null, "reason": reason}));
        let view = self
            .subscription_view(tx, before, &Viewer::Snapshot)
            .await?;
        let changed = subscription_event("subscription.updated", before);
        self.record_change(
            tx,
            &Ctx::default(),
            self.now(),
            entry,
            vec![changed.with(&view)],
        )
        .await
    }

    /// Writes the audit record and event of one system transition.
    async fn system_record(
        &self,
        tx: &mut Conn,
        before: &SubscriptionRow,
        after: &SubscriptionRow,
        operation: &'static str,
        event_type: Option<&'static str>,
        charge_lines: &[partnerd_domain::ids::ChargeLineId],
    ) -> AppResult<()> {
        let before_view = self
            .subscription_view(tx, before, &Viewer::Snapshot)
            .await?;
        let view = self.subscription_view(tx, after, &Viewer::Snapshot).await?;
        let entry = Entry::new(
            Actor::System("subscription-terms"),
            "subscription",
            Some(after.id.clone()),
            operation,
        )
        .participant(&after.customer_id)
        .participant(&after.reseller_organization_id)
        .participant(&after.indirect_provider_id)
        .before(before_view)
        .after(&view)
        .charge_lines(charge_lines);
        let raised = event_type
            .map(|t| subscription_event(t, after).with(&view))
            .into_iter()
            .collect();
        self.record_change(tx, &Ctx::default(), self.now(), entry, raised)
            .await
    }

    /// Licenses of the old offer beyond the customer's remaining seats of it move
    /// to the new offer, most recently assigned first (a renewal onto another offer,
    /// a full upgrade).
    pub(crate) async fn move_licenses(
        &self,
        tx: &mut Conn,
        before: &SubscriptionRow,
        target_offer: &str,
        quantity: i64,
    ) -> AppResult<()> {
        let remaining = commerce::seats_held(tx, &before.customer_id, &before.offer_id).await?
            - before.quantity;
        commerce::move_newest_licenses(
            tx,
            &before.customer_id,
            &before.offer_id,
            target_offer,
            remaining.max(0),
            quantity,
        )
        .await?;
        Ok(())
    }

    /// A deleted subscription's licenses are released: those of its offer beyond
    /// the seats the customer still has of it (in any subscription not deleted).
    async fn release_licenses(&self, tx: &mut Conn, s: &SubscriptionRow) -> AppResult<()> {
        let kept = commerce::seats_not_deleted(tx, &s.customer_id, &s.offer_id).await?;
        commerce::release_newest_licenses(tx, &s.customer_id, &s.offer_id, kept).await?;
        Ok(())
    }

    /// One pass of the system-event job: every subscription with an event due,
    /// the earliest first, each in its own transaction under its lock.
    pub async fn run_system_events_once(&self) -> AppResult<JobCounts> {
        let mut total = JobCounts::default();
        loop {
            let due = {
                let mut conn = self.db().conn().await?;
                commerce::due_for_events(&mut conn, self.now(), 200).await?
            };
            let n = due.len();
            let mut progressed = false;
            for id in due {
                let mut tx = self.db().begin().await?;
                let Some(s) =
                    commerce::lock_subscription(&mut tx, self.db().backend(), &id).await?
                else {
                    continue;
                };
                let (_, counts) = self.apply_due_events(&mut tx, s).await?;
                partnerd_store::commit(tx).await?;
                progressed |= counts != JobCounts::default();
                total.add(counts);
            }
            if n < 200 || !progressed {
                return Ok(total);
            }
        }
    }
}

fn subscription_event<'a>(event_type: &'a str, s: &'a SubscriptionRow) -> Event<'a> {
    Event {
        event_type,
        resource_type: "subscription",
        resource_id: s.id.as_str(),
        resource_url: crate::urls::subscription(&s.customer_id, &s.id),
        participants: vec![
            s.customer_id.as_str(),
            s.reseller_organization_id.as_str(),
            s.indirect_provider_id.as_str(),
        ],
    }
}

/// A history entry by the platform itself.
async fn system_history(
    tx: &mut Conn,
    s: &SubscriptionRow,
    at: Timestamp,
    field: &str,
    from: String,
    to: String,
) -> AppResult<()> {
    commerce::insert_change(
        tx,
        &ChangeRow {
            id: SubscriptionChangeId::generate(),
            subscription_id: s.id.clone(),
            at,
            by_organization_id: None,
            by_user_id: None,
            by_api_key_id: None,
            field: field.into(),
            from_value: Some(from),
            to_value: Some(to),
        },
    )
    .await?;
    Ok(())
}

/// Instructions in a history entry: `office-e3 P1Y annual × 12`.
pub(crate) fn instructions_text(i: Option<&ScheduledTerm>) -> String {
    i.map(|i| format!("{} {} × {}", i.offer_id, i.plan, i.quantity))
        .unwrap_or_default()
}

pub(crate) fn instructions_json(i: Option<&ScheduledTerm>) -> serde_json::Value {
    i.map_or(serde_json::Value::Null, |i| {
        serde_json::json!({
            "offerId": i.offer_id,
            "termDuration": i.plan.term.as_str(),
            "billingFrequency": i.plan.frequency.as_str(),
            "quantity": i.quantity,
        })
    })
}
