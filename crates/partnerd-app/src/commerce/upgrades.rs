//! Upgrades and trial conversions (API-billing.md §4.7, §4.8): a subscription
//! moves, whole or some of its seats, to one of its offer's upgrade targets for
//! the rest of its term; a trial becomes a paid term from today.

use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{OrgId, SubscriptionId};
use partnerd_domain::money::{Money, prorate};
use partnerd_domain::policy::Action;
use partnerd_domain::states::{OfferStatus, SubscriptionStatus};
use partnerd_domain::terms::{BillingFrequency, Plan, SubscriptionPlan, Term, TermDuration};
use partnerd_domain::{Collect, FieldError};
use partnerd_store::commerce::{self, SeatBatch, SubscriptionRow};
use partnerd_store::{Conn, connections, customers, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::Reader;
use super::ledger::Lines;
use super::lifecycle::settle;
use super::offer_terms::{OfferTerms, offer_terms};
use super::subscription_update::seat_cap;
use super::subscriptions::{Subscription, Viewer, record_history};
use super::window;
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::{Conflict, Refusal, check_if_match};
use crate::events::Event;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// One upgrade target of a subscription, and whether it can be taken now.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeOption {
    pub target_offer_id: String,
    pub offer_name: String,
    pub eligible: bool,
    /// The code a `POST` would answer, when not eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `POST …/subscriptions/{sid}/upgrades`.
#[derive(Debug, Clone, Default)]
pub struct UpgradeInput {
    pub target_offer_id: String,
    /// Default: every seat.
    pub quantity: Option<i64>,
}

/// What an upgrade did: `full` moved the subscription itself (source and target
/// are the same subscription), `partial` moved some seats into a new one.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Upgraded {
    /// `full` or `partial`.
    pub kind: String,
    pub source: Subscription,
    pub target: Subscription,
}

/// `POST …/subscriptions/{sid}/convert`.
#[derive(Debug, Clone, Default)]
pub struct ConvertInput {
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    pub quantity: Option<i64>,
}

fn refused(kind: Conflict, detail: impl Into<String>) -> AppError {
    AppError::conflict(kind, detail)
}

/// A checked upgrade, ready to write.
struct Checked {
    target: OfferTerms,
    plan: Plan,
    quantity: i64,
    full: bool,
}

impl App {
    /// The partner may change the subscription and it may grow (an upgrade and a
    /// conversion add what the relationships must still allow).
    async fn may_grow(
        &self,
        tx: &mut Conn,
        p: &Principal,
        reader: &Reader,
        s: &SubscriptionRow,
    ) -> AppResult<()> {
        if !matches!(reader, Reader::Partner(_)) {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "the reseller of record or its indirect provider changes a subscription's offer",
            ));
        }
        p.require(Action::PlaceOrders)?;
        let supplying =
            connections::active_between(tx, &s.indirect_provider_id, &s.reseller_organization_id)
                .await?
                .is_some();
        let serving = customers::active_relationship(tx, &s.customer_id, &p.organization.id)
            .await?
            .is_some();
        if !supplying || !serving {
            return Err(AppError::forbidden(
                Refusal::RelationshipRequired,
                "the relationship this subscription is supplied through has ended; it can no longer grow",
            ));
        }
        Ok(())
    }

    /// The checks of §4.7 after If-Match, first failure wins.
    async fn check_upgrade(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
        target_id: &str,
        quantity: Option<i64>,
    ) -> AppResult<Checked> {
        let q = quantity.unwrap_or(s.quantity);
        if q < 1 || q > s.quantity {
            return Err(AppError::field(FieldError::invalid(
                "/quantity",
                format!(
                    "must be 1 to {}, the seats the subscription holds",
                    s.quantity
                ),
            )));
        }
        if s.status.is_closed() {
            return Err(refused(
                Conflict::SubscriptionCancelled,
                format!("the subscription is {}; it cannot change", s.status),
            ));
        }
        if s.status != SubscriptionStatus::Active {
            return Err(refused(
                Conflict::SubscriptionNotActive,
                "the subscription is suspended; reactivate it before upgrading",
            ));
        }
        let SubscriptionPlan::Paid(plan) = s.plan else {
            return Err(refused(
                Conflict::TrialChangeNotAllowed,
                "a trial is converted, not upgraded; convert it first",
            ));
        };
        let source = offer_terms(tx, &s.offer_id).await?;
        let listed = source
            .as_ref()
            .is_some_and(|o| o.upgrade_targets.iter().any(|t| t == target_id));
        let target = offer_terms(tx, target_id).await?.filter(|_| listed);
        let Some(target) = target else {
            return Err(refused(
                Conflict::UpgradeNotAllowed,
                format!("{} is not an upgrade of {}", target_id, s.offer_name),
            ));
        };
        if !target.offers(plan) {
            return Err(refused(
                Conflict::UpgradeNotAllowed,
                format!(
                    "{} is not sold as {}, this subscription's plan",
                    target.row.name,
                    plan.label()
                ),
            ));
        }
        if target.row.status != OfferStatus::Available {
            return Err(refused(
                Conflict::OfferNotAvailable,
                format!("{} is no longer available", target.row.name),
            ));
        }
        let full = q == s.quantity;
        let min_left = source.as_ref().map_or(1, |o| o.row.min_quantity);
        if !(target.row.min_quantity..=target.row.max_quantity).contains(&q)
            || (!full && s.quantity - q < min_left)
        {
            return Err(AppError::field(FieldError::new(
                "/quantity",
                "quantity_out_of_range",
                format!(
                    "{} is sold in quantities of {} to {}, and {} keeps at least {min_left}",
                    target.row.name, target.row.min_quantity, target.row.max_quantity, s.offer_name
                ),
            )));
        }
        if !full {
            organizations::lock(tx, self.db().backend(), &s.customer_id).await?;
            let seats = commerce::seats(tx, &s.customer_id, Some(&s.offer_id))
                .await?
                .into_iter()
                .next()
                .unwrap_or_default();
            let remaining = seats.total + seats.suspended - q;
            if seats.assigned > remaining {
                return Err(refused(
                    Conflict::QuantityBelowAssigned,
                    format!(
                        "{} licenses of {} are assigned and only {remaining} seats would remain; remove licenses first",
                        seats.assigned, s.offer_name
                    ),
                ));
            }
        }
        if target.is_add_on()
            && !commerce::holds_active(tx, &s.customer_id, &target.prerequisite_offer_ids).await?
        {
            return Err(refused(
                Conflict::PrerequisiteRequired,
                format!(
                    "{} is an add-on: the customer needs an active subscription of {} first",
                    target.row.name,
                    target.prerequisite_offer_ids.join(" or ")
                ),
            ));
        }
        if let Some(cap) = target.max_quantity_per_customer {
            organizations::lock(tx, self.db().backend(), &s.customer_id).await?;
            let held = commerce::seats_held(tx, &s.customer_id, &target.row.id).await?;
            seat_cap(&target.row.id, &target.row.name, cap, held, q)?;
        }
        Ok(Checked {
            target,
            plan,
            quantity: q,
            full,
        })
    }

    /// `GET …/subscriptions/{sid}/upgrades`.
    pub async fn subscription_upgrades(
        &self,
        p: &Principal,
        cid: &OrgId,
        sid: &SubscriptionId,
    ) -> AppResult<Vec<UpgradeOption>> {
        // A preview: the checks write nothing, so a pooled connection serves (a
        // write transaction here would serialise every subscription page view on
        // SQLite); the POST checks again under its locks.
        let mut tx = self.db().conn().await?;
        let (s, _) = self.readable_subscription(&mut tx, p, cid, sid).await?;
        let targets = offer_terms(&mut tx, &s.offer_id)
            .await?
            .map(|o| o.upgrade_targets)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            let name = offer_terms(&mut tx, &t)
                .await?
                .map_or_else(|| t.clone(), |o| o.row.name);
            let mut outcome = self.check_upgrade(&mut tx, &s, &t, None).await.map(|_| ());
            if outcome.is_ok() {
                outcome = self.upgrade_credit(&mut tx, &s, &t).await;
            }
            out.push(UpgradeOption {
                target_offer_id: t,
                offer_name: name,
                eligible: outcome.is_ok(),
                reason: outcome.as_ref().err().map(|e| e.code().to_owned()),
                detail: outcome.err().map(|e| e.detail().into_owned()),
            });
        }
        Ok(out)
    }

    async fn upgrade_credit(
        &self,
        tx: &mut Conn,
        s: &SubscriptionRow,
        target: &str,
    ) -> AppResult<()> {
        let Some(t) = offer_terms(tx, target).await? else {
            return Ok(());
        };
        let SubscriptionPlan::Paid(plan) = s.plan else {
            return Ok(());
        };
        let prices = super::prices::resolve(
            tx,
            &t,
            plan,
            Date::of(self.now()).month(),
            super::prices::Parties::of(s),
        )
        .await?;
        let net = self.upgrade_net(s, prices.provider_to_reseller, s.quantity)?;
        if net.minor() > 0 {
            self.check_credit(
                tx,
                &s.indirect_provider_id,
                &s.reseller_organization_id,
                net,
            )
            .await?;
        }
        Ok(())
    }

    /// What moving `q` seats to a price of `target` adds at `providerToReseller`
    /// for the rest of the current period: the `upgrade` lines' net.
    fn upgrade_net(&self, s: &SubscriptionRow, target: Money, q: i64) -> AppResult<Money> {
        let today = Date::of(self.now());
        let Some(p) = s.term().period_on(today) else {
            return Ok(Money::zero(target.currency()));
        };
        let d = p.days_from(today);
        let per_seat = prorate(target.minor(), d, p.days)
            - prorate(s.prices.provider_to_reseller.minor(), d, p.days);
        Ok(Money::new(per_seat, target.currency()).checked_mul(q)?)
    }

    /// `POST …/subscriptions/{sid}/upgrades` (If-Match required).
    pub async fn upgrade_subscription(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        sid: &SubscriptionId,
        if_match: Option<&str>,
        input: AppResult<UpgradeInput>,
    ) -> AppResult<Upgraded> {
        self.apply_due_events_of(sid).await?;
        let mut tx = self.db().begin().await?;
        let (before, reader) = self.subscription_for_change(&mut tx, p, cid, sid).await?;
        self.may_grow(&mut tx, p, &reader, &before).await?;
        check_if_match(&etag(&before.id, before.version), if_match, true)?;
        let input = input?;
        let c = self
            .check_upgrade(
                &mut tx,
                &before,
                input.target_offer_id.trim(),
                input.quantity,
            )
            .await?;
        let now = self.now();
        let today = Date::of(now);
        let prices = super::prices::resolve(
            &mut tx,
            &c.target,
            c.plan,
            today.month(),
            super::prices::Parties::of(&before),
        )
        .await?;
        let net = self.upgrade_net(&before, prices.provider_to_reseller, c.quantity)?;
        if net.minor() > 0 {
            self.check_credit(
                &mut tx,
                &before.indirect_provider_id,
                &before.reseller_organization_id,
                net,
            )
            .await?;
        }
        let batches = commerce::seat_batches(&mut tx, &before.id).await?;
        let (left, _) = window::take_newest(&batches, c.quantity, now);
        let mut source = before.clone();
        source.scheduled = None;
        source.updated_at = now;
        let target = if c.full {
            source.offer_id = c.target.row.id.clone();
            source.offer_name = c.target.row.name.clone();
            source.product_family = c.target.row.product_family.clone();
            source.prices = prices;
            commerce::replace_seat_batches(&mut tx, &source.id, &[]).await?;
            self.move_licenses(&mut tx, &before, &c.target.row.id, before.quantity)
                .await?;
            None
        } else {
            source.quantity -= c.quantity;
            commerce::replace_seat_batches(&mut tx, &source.id, &left).await?;
            let mut t = before.clone();
            t.id = SubscriptionId::generate();
            t.offer_id = c.target.row.id.clone();
            t.offer_name = c.target.row.name.clone();
            t.product_family = c.target.row.product_family.clone();
            t.friendly_name = before.friendly_name.clone();
            t.quantity = c.quantity;
            t.prices = prices;
            t.source_subscription_id = Some(before.id.clone());
            t.scheduled = None;
            t.created_at = now;
            t.updated_at = now;
            t.version = 1;
            settle(&mut t);
            commerce::insert_subscription(&mut tx, &t).await?;
            Some(t)
        };
        settle(&mut source);
        crate::error::written(commerce::update_subscription(&mut tx, &source).await?)?;
        source.version += 1;
        record_history(
            &mut tx,
            p,
            &source.id,
            now,
            vec![
                ("offerId", before.offer_id.clone(), source.offer_id.clone()),
                (
                    "quantity",
                    before.quantity.to_string(),
                    source.quantity.to_string(),
                ),
            ],
        )
        .await?;
        // `upgrade` lines: the moved seats leave the source's price and take the
        // target's for the rest of the period.
        let charge_lines = match partnerd_domain::ledger::upgrade(&before.term(), today, c.quantity)
        {
            Some((off, on)) => {
                let on_row = target.as_ref().unwrap_or(&source);
                self.write_lines(
                    &mut tx,
                    today,
                    None,
                    &[Lines::new(&before, vec![off]), Lines::new(on_row, vec![on])],
                )
                .await?
            }
            None => Vec::new(),
        };
        let viewer = Viewer::of(&reader, cid);
        let source_view = self.subscription_view(&mut tx, &source, &viewer).await?;
        let target_view = match &target {
            Some(t) => self.subscription_view(&mut tx, t, &viewer).await?,
            None => source_view.clone(),
        };
        let snapshot = self
            .subscription_view(&mut tx, &source, &Viewer::Snapshot)
            .await?;
        let kind = if c.full { "full" } else { "partial" };
        let entry = Entry::new(
            Actor::Principal(p),
            "subscription",
            Some(source.id.clone()),
            "upgradeSubscription",
        )
        .participant(cid)
        .participant(&source.reseller_organization_id)
        .participant(&source.indirect_provider_id)
        .before(
            self.subscription_view(&mut tx, &before, &Viewer::Snapshot)
                .await?,
        )
        .after(serde_json::json!({
            "kind": kind,
            "source": snapshot,
            "targetSubscriptionId": target.as_ref().map(|t| t.id.to_string()),
        }))
        .charge_lines(&charge_lines);
        let upgraded = Event {
            event_type: "subscription.upgraded",
            resource_type: "subscription",
            resource_id: &source.id,
            resource_url: crate::urls::subscription(cid, &source.id),
            participants: vec![
                cid,
                &source.reseller_organization_id,
                &source.indirect_provider_id,
            ],
        };
        self.commit_change(tx, ctx, now, entry, vec![upgraded.with(&snapshot)])
            .await?;
        Ok(Upgraded {
            kind: kind.into(),
            source: source_view,
            target: target_view,
        })
    }

    /// `POST …/subscriptions/{sid}/convert` (If-Match required): a trial becomes a
    /// paid term from today at this month's prices, with a full window.
    pub async fn convert_trial(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        sid: &SubscriptionId,
        if_match: Option<&str>,
        input: AppResult<ConvertInput>,
    ) -> AppResult<Subscription> {
        self.apply_due_events_of(sid).await?;
        let mut tx = self.db().begin().await?;
        let (before, reader) = self.subscription_for_change(&mut tx, p, cid, sid).await?;
        self.may_grow(&mut tx, p, &reader, &before).await?;
        check_if_match(&etag(&before.id, before.version), if_match, true)?;
        let input = input?;
        let offer = offer_terms(&mut tx, &before.offer_id)
            .await?
            .ok_or_else(|| AppError::internal("the subscription's offer is missing"))?;
        let mut c = Collect::default();
        let term =
            match input.term_duration.as_deref() {
                Some(t) => c
                    .take(TermDuration::parse(t).map(Some).ok_or_else(|| {
                        FieldError::invalid("/termDuration", "must be P1M, P1Y or P3Y")
                    }))
                    .flatten(),
                None => None,
            };
        let plan = match input.billing_frequency.as_deref() {
            None => offer.plan_for(term),
            Some(f) => BillingFrequency::parse(f)
                .and_then(|f| Plan::new(term.unwrap_or(offer.default_plan.term), f))
                .filter(|p| offer.offers(*p)),
        };
        if plan.is_none() && c.is_empty() {
            c.0.push(FieldError::invalid(
                "/billingFrequency",
                format!(
                    "{} is sold as {}",
                    offer.row.name,
                    offer
                        .plans
                        .iter()
                        .map(|p| p.label())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ));
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let plan = plan.ok_or_else(|| AppError::internal("a plan was chosen"))?;
        let quantity = input.quantity.unwrap_or(before.quantity);
        if quantity < before.quantity || quantity > offer.row.max_quantity {
            return Err(AppError::field(FieldError::new(
                "/quantity",
                "quantity_out_of_range",
                format!(
                    "a converted trial keeps at least its {} seats and at most {}",
                    before.quantity, offer.row.max_quantity
                ),
            )));
        }
        if before.status.is_closed() {
            return Err(refused(
                Conflict::SubscriptionCancelled,
                format!("the subscription is {}; it cannot change", before.status),
            ));
        }
        if !before.plan.is_trial() {
            return Err(refused(Conflict::InvalidState, "only a trial is converted"));
        }
        if let Some(cap) = offer.max_quantity_per_customer {
            organizations::lock(&mut tx, self.db().backend(), cid).await?;
            let held = commerce::seats_held(&mut tx, cid, &offer.row.id).await?;
            seat_cap(
                &offer.row.id,
                &offer.row.name,
                cap,
                held,
                quantity - before.quantity,
            )?;
        }
        let now = self.now();
        let today = Date::of(now);
        let term = Term::paid(today, plan, None);
        let prices = super::prices::resolve(
            &mut tx,
            &offer,
            plan,
            today.month(),
            super::prices::Parties::of(&before),
        )
        .await?;
        let first = term.period(0).map_or(0, |p| {
            prorate(
                prices.provider_to_reseller.minor(),
                p.days_from(p.start),
                p.days,
            )
        });
        let charge =
            Money::new(first, prices.provider_to_reseller.currency()).checked_mul(quantity)?;
        self.check_credit(
            &mut tx,
            &before.indirect_provider_id,
            &before.reseller_organization_id,
            charge,
        )
        .await?;
        let mut after = before.clone();
        after.plan = SubscriptionPlan::Paid(plan);
        after.prices = prices;
        after.quantity = quantity;
        after.term_start = now;
        after.term_end_date = term.end;
        after.commitment_end = term.end_instant();
        after.next_period = 1;
        after.scheduled = None;
        after.updated_at = now;
        settle(&mut after);
        crate::error::written(commerce::update_subscription(&mut tx, &after).await?)?;
        after.version += 1;
        commerce::replace_seat_batches(
            &mut tx,
            &after.id,
            &[SeatBatch {
                position: 1,
                added_at: now,
                quantity,
            }],
        )
        .await?;
        record_history(
            &mut tx,
            p,
            &after.id,
            now,
            vec![
                ("plan", before.plan.label(), after.plan.label()),
                (
                    "quantity",
                    before.quantity.to_string(),
                    after.quantity.to_string(),
                ),
                (
                    "termEndDate",
                    before.term_end_date.to_string(),
                    after.term_end_date.to_string(),
                ),
            ],
        )
        .await?;
        let opening = partnerd_domain::ledger::opening(
            partnerd_domain::ledger::ChargeType::Convert,
            &term,
            quantity,
        );
        let charge_lines = self
            .write_lines(
                &mut tx,
                today,
                None,
                &[Lines::new(&after, opening.into_iter().collect())],
            )
            .await?;
        let view = self
            .subscription_view(&mut tx, &after, &Viewer::of(&reader, cid))
            .await?;
        let snapshot = self
            .subscription_view(&mut tx, &after, &Viewer::Snapshot)
            .await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "subscription",
            Some(after.id.clone()),
            "convertTrial",
        )
        .participant(cid)
        .participant(&after.reseller_organization_id)
        .participant(&after.indirect_provider_id)
        .before(
            self.subscription_view(&mut tx, &before, &Viewer::Snapshot)
                .await?,
        )
        .after(&snapshot)
        .charge_lines(&charge_lines);
        let converted = Event {
            event_type: "subscription.converted",
            resource_type: "subscription",
            resource_id: &after.id,
            resource_url: crate::urls::subscription(cid, &after.id),
            participants: vec![
                cid,
                &after.reseller_organization_id,
                &after.indirect_provider_id,
            ],
        };
        self.commit_change(tx, ctx, now, entry, vec![converted.with(&snapshot)])
            .await?;
        Ok(view)
    }
}
