//! Orders (API.md §10.1), with the checks in the contract's order: request
//! validation → the customer relationship (404) → the supplying relationship →
//! the provider's authorisation → availability and quantities → credit.

use super::ledger::Lines;
use crate::error::{Conflict, Refusal};
use crate::filters::status_in;
use partnerd_domain::ids::{ApiKeyId, OrderId, OrgId, SubscriptionId, UserId};
use partnerd_domain::ledger::ChargeType;
use partnerd_domain::names::name;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Program;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::states::{OrderStatus, SubscriptionStatus};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::commerce::{self, LineRow, OrderQuery, OrderRow, SubscriptionRow};
use partnerd_store::{Conn, connections, customers, idempotency, providers};
use serde::Serialize;
use utoipa::ToSchema;

use super::lifecycle::settle;
use super::offer_terms::{OfferTerms, offer_terms};
use super::subscription_update::seat_cap;
use super::subscriptions::{SubscriptionPrices, Viewer};
use crate::audit::{Actor, Entry};
use crate::catalog::Money;
use crate::crypto::etag;
use crate::events::Event;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};
use partnerd_domain::calendar::Date;
use partnerd_domain::money::prorate;
use partnerd_domain::terms::{
    BillingFrequency, Plan, SubscriptionPlan, Term, TermDuration, natural_end,
};
use partnerd_store::commerce::SeatBatch;

/// One line of a new order.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub line_item_number: i64,
    pub offer_id: String,
    pub quantity: i64,
    pub friendly_name: Option<String>,
    /// Both absent: the offer's default plan (API-billing.md §3.1).
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    /// `YYYY-MM-DD`: a coterminous first term (§3.3).
    pub custom_term_end_date: Option<String>,
    pub trial: Option<bool>,
}

/// `POST /v1/customers/{cid}/orders`.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub line_items: Vec<LineInput>,
    pub indirect_provider_id: Option<OrgId>,
    pub reseller_organization_id: Option<OrgId>,
}

/// Who placed an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacedBy {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub api_key_id: Option<ApiKeyId>,
}

/// A line of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub line_item_number: i64,
    pub offer_id: String,
    pub offer_name: String,
    pub quantity: i64,
    pub unit_price: Money,
    #[schema(value_type = String)]
    pub subscription_id: SubscriptionId,
    pub friendly_name: Option<String>,
    pub billing_cycle: String,
    pub term_duration: String,
    pub billing_frequency: String,
    pub term_end_date: Date,
    pub trial: bool,
    pub prices: SubscriptionPrices,
}

/// An order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[schema(value_type = String)]
    pub id: OrderId,
    #[schema(value_type = String)]
    pub customer_id: OrgId,
    #[schema(value_type = String)]
    pub reseller_organization_id: OrgId,
    #[schema(value_type = String)]
    pub indirect_provider_id: OrgId,
    pub placed_by: PlacedBy,
    /// `completed` (v1 provisions at once); open enum.
    pub status: OrderStatus,
    pub line_items: Vec<OrderLine>,
    /// Σ of the order's first charges at `providerToReseller` (a customer sees
    /// `resellerToCustomer`): each paid line's quantity × its first period's price.
    pub total: Money,
    pub created_at: Timestamp,
    pub etag: String,
}

/// Filters of `GET /v1/customers/{cid}/orders`.
#[derive(Debug, Clone, Default)]
pub struct OrderFilters {
    pub status: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
}

/// The price of one line a caller sees: v1 `unitPrice` and the tiers it is party to.
fn line_prices(viewer: &Viewer, o: &OrderRow, l: &LineRow) -> (Money, SubscriptionPrices) {
    let p = &l.prices;
    let me = match viewer {
        Viewer::Operator => None,
        Viewer::Organization(id) => Some(id),
        Viewer::Snapshot => {
            return (
                p.provider_to_reseller,
                SubscriptionPrices {
                    provider_to_reseller: Some(p.provider_to_reseller),
                    ..SubscriptionPrices::default()
                },
            );
        }
    };
    let sees = |a: &OrgId, b: &OrgId| me.is_none_or(|m| m == a || m == b);
    let prices = SubscriptionPrices {
        operator_to_provider: me
            .is_none_or(|m| m == &o.indirect_provider_id)
            .then_some(p.operator_to_provider),
        provider_to_reseller: sees(&o.indirect_provider_id, &o.reseller_organization_id)
            .then_some(p.provider_to_reseller),
        reseller_to_customer: sees(&o.reseller_organization_id, &o.customer_id)
            .then_some(p.reseller_to_customer),
    };
    let unit = if me == Some(&o.customer_id) {
        p.reseller_to_customer
    } else {
        p.provider_to_reseller
    };
    (unit, prices)
}

/// A line's first charge per seat at each tier (its period 0, cut short by a
/// custom term end); nothing for a trial.
fn first_charge(term: &Term, plan: SubscriptionPlan, price: Money) -> Money {
    if plan.is_trial() {
        return Money::zero(price.currency());
    }
    let per_seat = term
        .period(0)
        .map_or(0, |p| prorate(price.minor(), p.days_from(p.start), p.days));
    Money::new(per_seat, price.currency())
}

fn order_view(o: &OrderRow, lines: &[LineRow], viewer: &Viewer) -> AppResult<Order> {
    let customer_sees = matches!(viewer, Viewer::Organization(id) if id == &o.customer_id);
    let mut total = Money::zero(o.total.currency());
    let mut items = Vec::with_capacity(lines.len());
    for l in lines {
        let (unit_price, prices) = line_prices(viewer, o, l);
        let term = l.plan.term(Date::of(o.created_at), l.term_end_date);
        let tier = if customer_sees {
            l.prices.reseller_to_customer
        } else {
            l.prices.provider_to_reseller
        };
        total = total.checked_add(first_charge(&term, l.plan, tier).checked_mul(l.quantity)?)?;
        items.push(OrderLine {
            line_item_number: l.line_item_number,
            offer_id: l.offer_id.clone(),
            offer_name: l.offer_name.clone(),
            quantity: l.quantity,
            unit_price,
            subscription_id: l.subscription_id.clone(),
            friendly_name: l.friendly_name.clone(),
            billing_cycle: l.plan.billing_cycle().to_owned(),
            term_duration: l.plan.term_duration(),
            billing_frequency: l.plan.billing_frequency().to_owned(),
            term_end_date: l.term_end_date,
            trial: l.plan.is_trial(),
            prices,
        });
    }
    Ok(Order {
        id: o.id.clone(),
        customer_id: o.customer_id.clone(),
        reseller_organization_id: o.reseller_organization_id.clone(),
        indirect_provider_id: o.indirect_provider_id.clone(),
        placed_by: PlacedBy {
            organization_id: o.placed_by_organization_id.clone(),
            user_id: o.placed_by_user_id.clone(),
            api_key_id: o.placed_by_api_key_id.clone(),
        },
        status: o.status,
        line_items: items,
        total,
        created_at: o.created_at,
        etag: etag(&o.id, o.version),
    })
}

fn relationship_required(detail: impl Into<String>) -> AppError {
    AppError::forbidden(Refusal::RelationshipRequired, detail)
}

impl App {
    /// `POST /v1/customers/{cid}/orders`.
    pub async fn create_order(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        input: AppResult<OrderInput>,
    ) -> AppResult<Order> {
        p.require(Action::PlaceOrders)?;
        let input = input?;
        let me = p.organization.id.clone();
        let provider_caller = input
            .reseller_organization_id
            .as_ref()
            .is_some_and(|r| r != &me);
        let is_reseller = p.organization.programs.contains(&Program::IndirectReseller);
        let is_provider = p.organization.programs.contains(&Program::IndirectProvider);

        // 0. Request validation.
        let mut c = Collect::default();
        let n = input.line_items.len();
        if !(1..=50).contains(&n) {
            c.0.push(FieldError::invalid("/lineItems", "must hold 1 to 50 lines"));
        }
        let mut seen = vec![false; n];
        for (i, l) in input.line_items.iter().enumerate() {
            match usize::try_from(l.line_item_number).ok().filter(|&k| k < n) {
                Some(k) if !seen[k] => seen[k] = true,
                _ => c.0.push(FieldError::invalid(
                    format!("/lineItems/{i}/lineItemNumber"),
                    format!(
                        "line numbers must be 0 to {} and unique",
                        n.saturating_sub(1)
                    ),
                )),
            }
            if let Some(f) = &l.friendly_name {
                c.take(name(&format!("/lineItems/{i}/friendlyName"), f));
            }
        }
        if provider_caller && !is_provider {
            c.0.push(FieldError::invalid(
                "/resellerOrganizationId",
                "only an indirect provider orders for another reseller",
            ));
        }
        if !provider_caller && !is_reseller {
            if is_provider {
                c.0.push(FieldError::invalid(
                    "/resellerOrganizationId",
                    "an indirect provider names the reseller of record",
                ));
            } else {
                return Err(AppError::forbidden(
                    Refusal::EnrollmentRequired,
                    "only approved indirect resellers and authorised indirect providers place orders",
                ));
            }
        }
        let mut tx = self.db().begin().await?;
        let today = Date::of(self.now());
        let mut found: Vec<Option<(OfferTerms, SubscriptionPlan, Option<Date>)>> =
            Vec::with_capacity(n);
        for (i, l) in input.line_items.iter().enumerate() {
            let o = offer_terms(&mut tx, l.offer_id.trim()).await?;
            let Some(o) = o else {
                c.0.push(FieldError::invalid(
                    format!("/lineItems/{i}/offerId"),
                    format!("'{}' is not an offer of the catalog", l.offer_id),
                ));
                found.push(None);
                continue;
            };
            found.push(
                c.take(line_plan(i, l, &o))
                    .map(|(plan, end)| (o, plan, end)),
            );
        }
        let my_providers = if provider_caller {
            Vec::new()
        } else {
            connections::active_providers(&mut tx, &me).await?
        };
        if !provider_caller && input.indirect_provider_id.is_none() && my_providers.len() > 1 {
            c.0.push(FieldError::invalid(
                "/indirectProviderId",
                "you work with several indirect providers; name the one that supplies this order",
            ));
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let lines_in: Vec<(OfferTerms, SubscriptionPlan, Option<Date>)> =
            found.into_iter().flatten().collect();

        // 1. The caller's own relationship with the customer.
        customers::active_relationship(&mut tx, cid, &me)
            .await?
            .ok_or_else(AppError::not_found)?;
        let customer = partnerd_store::organizations::get(&mut tx, cid)
            .await?
            .ok_or_else(AppError::not_found)?;

        // 2. The supplying relationship.
        let (reseller, provider) = if provider_caller {
            // Without a reseller named, nothing is connected (and the check below refuses).
            let reseller = input
                .reseller_organization_id
                .clone()
                .unwrap_or_else(|| OrgId::from_raw(""));
            let connected = connections::active_between(&mut tx, &me, &reseller)
                .await?
                .is_some();
            let reseller_serves = customers::active_relationship(&mut tx, cid, &reseller)
                .await?
                .is_some_and(|r| r.role == crate::customers::ROLE_RESELLER);
            if !connected || !reseller_serves {
                return Err(relationship_required(
                    "the reseller of record must be one of your active resellers and the customer's reseller",
                ));
            }
            (reseller, me.clone())
        } else {
            let provider = match &input.indirect_provider_id {
                Some(pid) => pid.clone(),
                None => my_providers.first().cloned().ok_or_else(|| {
                    relationship_required(
                        "you have no active relationship with an indirect provider",
                    )
                })?,
            };
            if connections::active_between(&mut tx, &provider, &me)
                .await?
                .is_none()
            {
                return Err(relationship_required(
                    "you have no active relationship with that indirect provider",
                ));
            }
            (me.clone(), provider)
        };

        // 3. The provider's authorisation for the customer's country and every family.
        let authorization = providers::get(&mut tx, &provider).await?;
        let authorized = |family: &str| {
            authorization.as_ref().is_some_and(|a| {
                a.countries.split(',').any(|c| c == customer.country)
                    && a.product_families.split(',').any(|f| f == family)
            })
        };
        if let Some((o, _, _)) = lines_in
            .iter()
            .find(|(o, _, _)| !authorized(&o.row.product_family))
        {
            return Err(AppError::forbidden(
                Refusal::ProviderNotAuthorized,
                format!(
                    "the indirect provider is not authorised for {} in {}",
                    o.row.product_family, customer.country
                ),
            ));
        }

        // 4. Availability.
        if let Some((o, _, _)) = lines_in
            .iter()
            .find(|(o, _, _)| o.row.status != OfferStatus::Available)
        {
            return Err(AppError::conflict(
                Conflict::OfferNotAvailable,
                format!("{} ({}) is no longer available", o.row.name, o.row.id),
            ));
        }
        // 5. Quantities.
        for (i, (l, (o, plan, _))) in input.line_items.iter().zip(&lines_in).enumerate() {
            let (min, max) = match (plan, o.trial) {
                (SubscriptionPlan::Trial { .. }, Some(t)) => (1, t.max_quantity),
                _ => (o.row.min_quantity, o.row.max_quantity),
            };
            if !(min..=max).contains(&l.quantity) {
                let what = if plan.is_trial() { "a trial of " } else { "" };
                return Err(AppError::field(FieldError::new(
                    format!("/lineItems/{i}/quantity"),
                    "quantity_out_of_range",
                    format!(
                        "{what}{} is sold in quantities of {min} to {max}",
                        o.row.name
                    ),
                )));
            }
        }
        // 6. Custom term end dates.
        for (i, (o, plan, end)) in lines_in.iter().enumerate() {
            let (Some(end), SubscriptionPlan::Paid(plan)) = (end, plan) else {
                continue;
            };
            let valid = custom_end_dates(&mut tx, cid, &me, *plan, today).await?;
            if !valid.iter().any(|d| d.date == *end) {
                return Err(AppError::field(FieldError::new(
                    format!("/lineItems/{i}/customTermEndDate"),
                    "custom_term_end_date_invalid",
                    format!(
                        "{end} cannot end a {} term of {} bought today: choose a month's last day up to {}, or the end date of one of the customer's subscriptions (GET /v1/customers/{cid}/customtermenddates)",
                        plan.term.label(),
                        o.row.name,
                        natural_end(today, plan.term)
                    ),
                )));
            }
        }
        // 7. One trial per customer and offer.
        for (o, plan, _) in &lines_in {
            if plan.is_trial() && commerce::had_trial(&mut tx, cid, &o.row.id).await? {
                return Err(AppError::conflict(
                    Conflict::TrialAlreadyUsed,
                    format!(
                        "{} already had a trial of {}; order it paid",
                        customer.name, o.row.name
                    ),
                ));
            }
        }
        // 8. Add-ons need their prerequisite.
        let mut numbered: Vec<(i64, &str)> = input
            .line_items
            .iter()
            .zip(&lines_in)
            .map(|(l, (o, _, _))| (l.line_item_number, o.row.id.as_str()))
            .collect();
        numbered.sort_unstable();
        for (l, (o, _, _)) in input.line_items.iter().zip(&lines_in) {
            if !o.is_add_on() {
                continue;
            }
            let in_order = numbered.iter().any(|(k, id)| {
                *k < l.line_item_number && o.prerequisite_offer_ids.iter().any(|p| p == id)
            });
            if !in_order && !commerce::holds_active(&mut tx, cid, &o.prerequisite_offer_ids).await?
            {
                return Err(AppError::conflict(
                    Conflict::PrerequisiteRequired,
                    format!(
                        "{} is an add-on: the customer needs an active subscription of {} first (or order it on an earlier line)",
                        o.row.name,
                        o.prerequisite_offer_ids.join(" or ")
                    ),
                ));
            }
        }
        // 9. The per-customer seat cap, under the customer's lock.
        if lines_in
            .iter()
            .any(|(o, _, _)| o.max_quantity_per_customer.is_some())
        {
            partnerd_store::organizations::lock(&mut tx, self.db().backend(), cid).await?;
        }
        let mut ordered: Vec<(&str, i64)> = Vec::new();
        for (l, (o, _, _)) in input.line_items.iter().zip(&lines_in) {
            let earlier: i64 = ordered
                .iter()
                .filter(|(id, _)| *id == o.row.id)
                .map(|(_, q)| q)
                .sum();
            ordered.push((&o.row.id, l.quantity));
            if let Some(cap) = o.max_quantity_per_customer {
                let held = commerce::seats_held(&mut tx, cid, &o.row.id).await? + earlier;
                seat_cap(&o.row.id, &o.row.name, cap, held, l.quantity)?;
            }
        }

        // 10. Credit: the first charges at providerToReseller.
        let now = self.now();
        let currency = self.config().currency;
        let mut priced = Vec::with_capacity(n);
        for (o, plan, end) in &lines_in {
            let (term, prices) = match plan {
                SubscriptionPlan::Paid(p) => (
                    Term::paid(today, *p, *end),
                    super::prices::resolve(
                        &mut tx,
                        o,
                        *p,
                        today.month(),
                        super::prices::Parties {
                            provider: &provider,
                            reseller: &reseller,
                            customer: cid,
                        },
                    )
                    .await?,
                ),
                SubscriptionPlan::Trial { days } => (
                    Term::trial(today, i64::from(*days)),
                    super::prices::trial(currency),
                ),
            };
            priced.push((term, prices));
        }
        let mut total = Money::zero(currency);
        for ((_, plan, _), ((term, prices), l)) in
            lines_in.iter().zip(priced.iter().zip(&input.line_items))
        {
            total = total.checked_add(
                first_charge(term, *plan, prices.provider_to_reseller).checked_mul(l.quantity)?,
            )?;
        }
        self.check_credit(&mut tx, &provider, &reseller, total)
            .await?;

        let (user_id, key_id) = match &p.credential {
            Credential::Session { .. } => (p.user.as_ref().map(|u| u.id.clone()), None),
            Credential::ApiKey { id, .. } => (None, Some(id.clone())),
        };
        let order = OrderRow {
            id: OrderId::generate(),
            customer_id: cid.to_owned(),
            reseller_organization_id: reseller.clone(),
            indirect_provider_id: provider.clone(),
            placed_by_organization_id: me.clone(),
            placed_by_user_id: user_id,
            placed_by_api_key_id: key_id,
            // v1 provisions at once: an order is complete when it is written.
            status: OrderStatus::Completed,
            total,
            created_at: now,
            version: 1,
        };
        let mut lines = Vec::with_capacity(n);
        let mut subs = Vec::with_capacity(n);
        for ((l, (o, plan, _)), (term, prices)) in
            input.line_items.iter().zip(&lines_in).zip(&priced)
        {
            let mut sub = SubscriptionRow {
                id: SubscriptionId::generate(),
                customer_id: cid.to_owned(),
                order_id: order.id.clone(),
                offer_id: o.row.id.clone(),
                offer_name: o.row.name.clone(),
                product_family: o.row.product_family.clone(),
                friendly_name: l.friendly_name.as_ref().map(|f| f.trim().to_owned()),
                quantity: l.quantity,
                plan: *plan,
                prices: *prices,
                status: SubscriptionStatus::Active,
                auto_renew: true,
                term_start: now,
                term_end_date: term.end,
                commitment_end: term.end_instant(),
                source_subscription_id: None,
                next_period: 1,
                next_event_at: None,
                scheduled: None,
                reseller_organization_id: reseller.clone(),
                indirect_provider_id: provider.clone(),
                suspended_by_organization_id: None,
                suspended_reason: None,
                cancelled_at: None,
                disabled_at: None,
                deleted_at: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            settle(&mut sub);
            lines.push(LineRow {
                order_id: order.id.clone(),
                line_item_number: l.line_item_number,
                offer_id: o.row.id.clone(),
                offer_name: o.row.name.clone(),
                quantity: l.quantity,
                subscription_id: sub.id.clone(),
                friendly_name: sub.friendly_name.clone(),
                plan: *plan,
                term_end_date: term.end,
                prices: *prices,
            });
            subs.push(sub);
        }
        lines.sort_by_key(|l| l.line_item_number);
        commerce::insert_order(&mut tx, &order, &lines).await?;
        for s in &subs {
            commerce::insert_subscription(&mut tx, s).await?;
            if s.plan.is_trial() {
                if !commerce::record_trial(&mut tx, cid, &s.offer_id, &s.id, now).await? {
                    return Err(AppError::conflict(
                        Conflict::TrialAlreadyUsed,
                        format!(
                            "{} already had a trial of {}; order it paid",
                            customer.name, s.offer_name
                        ),
                    ));
                }
            } else {
                commerce::replace_seat_batches(
                    &mut tx,
                    &s.id,
                    &[SeatBatch {
                        position: 1,
                        added_at: now,
                        quantity: s.quantity,
                    }],
                )
                .await?;
            }
        }
        // The `new` lines of every paid subscription, tier by tier.
        let sets: Vec<Lines<'_>> = subs
            .iter()
            .zip(&priced)
            .filter_map(|(s, (term, _))| {
                partnerd_domain::ledger::opening(ChargeType::New, term, s.quantity)
                    .map(|c| Lines::new(s, vec![c]))
            })
            .collect();
        let charge_lines = self
            .write_lines(&mut tx, today, Some(&order.id), &sets)
            .await?;
        let viewer = Viewer::Organization(me.clone());
        let view = order_view(&order, &lines, &viewer)?;
        let snapshot = order_view(&order, &lines, &Viewer::Snapshot)?;
        let mut entry = Entry::new(
            Actor::Principal(p),
            "order",
            Some(order.id.clone()),
            "createOrder",
        )
        .participant(cid)
        .participant(&reseller)
        .participant(&provider)
        .after(&snapshot)
        .charge_lines(&charge_lines);
        entry.on_behalf_of = Some((customer.id.clone(), customer.name.clone()));
        let created = Event {
            event_type: "order.created",
            resource_type: "order",
            resource_id: &order.id,
            resource_url: crate::urls::order(cid, &order.id),
            participants: vec![cid, &reseller, &provider],
        };
        self.record_change(&mut tx, ctx, now, entry, vec![created.with(&snapshot)])
            .await?;
        self.store_created_response(
            &mut tx,
            ctx,
            &crate::urls::order(cid, &order.id),
            &view.etag,
            &view,
        )
        .await?;
        partnerd_store::commit(tx).await?;
        Ok(view)
    }

    /// Stores the response of a creating request under its `Idempotency-Key` in
    /// the change's own transaction (the web layer stores the same again after),
    /// in the form the web layer gave for a created resource.
    pub(crate) async fn store_created_response(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        location: &str,
        etag_value: &str,
        body: &impl Serialize,
    ) -> AppResult<()> {
        let Some(request) = &ctx.idempotency else {
            return Ok(());
        };
        let (status, headers) = (request.created)(location, etag_value);
        let body = serde_json::to_string(body).map_err(|e| AppError::internal(e.to_string()))?;
        idempotency::complete(
            conn,
            &request.principal,
            &request.key,
            status,
            &headers,
            &body,
        )
        .await?;
        Ok(())
    }

    /// `GET /v1/customers/{cid}/orders`.
    pub async fn list_orders(
        &self,
        p: &Principal,
        cid: &OrgId,
        f: &OrderFilters,
        page: &PageParams,
    ) -> AppResult<Page<Order>> {
        let mut conn = self.db().conn().await?;
        let (_, reader) = self.commerce_reader(&mut conn, p, cid).await?;
        let mut c = Collect::default();
        let mut instant = |pointer: &str, v: &Option<String>| {
            v.as_deref().and_then(|s| {
                c.take(
                    partnerd_domain::time::Timestamp::parse_rfc3339(s)
                        .ok_or_else(|| FieldError::invalid(pointer, "must be an RFC 3339 time")),
                )
            })
        };
        let from = instant("/query/createdFrom", &f.created_from);
        let to = instant("/query/createdTo", &f.created_to);
        let status = c
            .take(status_in(
                "/query/status",
                f.status.as_deref(),
                OrderStatus::ALL,
            ))
            .flatten();
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let now = self.now();
        let start = paging::start(page, &format!("orders{cid}{f:?}"), now)?;
        let q = OrderQuery {
            customer_id: cid.to_owned(),
            party: reader.party(),
            status,
            created_from: from,
            created_to: to,
        };
        let rows = commerce::list_orders(&mut conn, &q, &start.request).await?;
        let page = start.finish(rows, now, |o| (o.created_at, o.id.to_string()), |o| o);
        let viewer = Viewer::of(&reader, cid);
        let mut items = Vec::with_capacity(page.items.len());
        for o in &page.items {
            let lines = commerce::order_lines(&mut conn, &o.id).await?;
            items.push(order_view(o, &lines, &viewer)?);
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    /// `GET /v1/customers/{cid}/orders/{id}`.
    pub async fn get_order(&self, p: &Principal, cid: &OrgId, id: &OrderId) -> AppResult<Order> {
        let mut conn = self.db().conn().await?;
        let (_, reader) = self.commerce_reader(&mut conn, p, cid).await?;
        let o = commerce::get_order(&mut conn, id)
            .await?
            .filter(|o| &o.customer_id == cid)
            .filter(|o| {
                reader.party().is_none_or(|me| {
                    o.reseller_organization_id == me || o.indirect_provider_id == me
                })
            })
            .ok_or_else(AppError::not_found)?;
        let lines = commerce::order_lines(&mut conn, &o.id).await?;
        order_view(&o, &lines, &Viewer::of(&reader, cid))
    }
}

/// Check 0 of a line's plan (API-billing.md §3.1): the plan it names (or the
/// default), a trial only of an offer with one and without plan members, a date
/// that is a date.
fn line_plan(
    i: usize,
    l: &LineInput,
    o: &OfferTerms,
) -> Result<(SubscriptionPlan, Option<Date>), FieldError> {
    let at = |m: &str| format!("/lineItems/{i}/{m}");
    let end = match l.custom_term_end_date.as_deref() {
        None => None,
        Some(raw) => Some(Date::parse(raw).ok_or_else(|| {
            FieldError::invalid(at("customTermEndDate"), "must be a date, YYYY-MM-DD")
        })?),
    };
    if l.trial == Some(true) {
        let Some(t) = o.trial else {
            return Err(FieldError::invalid(
                at("trial"),
                format!("{} has no trial", o.row.name),
            ));
        };
        if l.term_duration.is_some() || l.billing_frequency.is_some() || end.is_some() {
            return Err(FieldError::invalid(
                at("trial"),
                "a trial line names no term, billing frequency or end date: the trial has its own",
            ));
        }
        return Ok((SubscriptionPlan::Trial { days: t.days }, None));
    }
    let sold = || {
        o.plans
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let term =
        match l.term_duration.as_deref() {
            None if l.billing_frequency.is_some() => {
                return Err(FieldError::invalid(
                    at("termDuration"),
                    "name the term duration with the billing frequency",
                ));
            }
            None => None,
            Some(t) => Some(TermDuration::parse(t).ok_or_else(|| {
                FieldError::invalid(at("termDuration"), "must be P1M, P1Y or P3Y")
            })?),
        };
    let plan = match l.billing_frequency.as_deref() {
        None => o.plan_for(term),
        Some(f) => {
            let f = BillingFrequency::parse(f).ok_or_else(|| {
                FieldError::invalid(at("billingFrequency"), "must be monthly, annual or upfront")
            })?;
            term.and_then(|t| Plan::new(t, f)).filter(|p| o.offers(*p))
        }
    };
    let plan = plan.ok_or_else(|| {
        FieldError::invalid(
            at("termDuration"),
            format!("{} is sold as {}", o.row.name, sold()),
        )
    })?;
    Ok((SubscriptionPlan::Paid(plan), end))
}

/// A date a new term may end on instead of its natural end (§3.3).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomTermEndDate {
    pub date: Date,
    /// `calendarMonthEnd` or `subscription`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub subscription_id: Option<SubscriptionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_name: Option<String>,
}

/// Filters of `GET /v1/customers/{cid}/customtermenddates`.
#[derive(Debug, Clone, Default)]
pub struct CustomTermEndDateQuery {
    pub term_duration: Option<String>,
    pub offer_id: Option<String>,
}

/// The valid end dates of a `plan` term bought `today` for the customer by `me`:
/// month ends from today to the natural end, and the term ends of the customer's
/// active paid subscriptions `me` is party to (for P1Y/P3Y only P1Y/P3Y ones),
/// ascending.
pub(crate) async fn custom_end_dates(
    conn: &mut Conn,
    cid: &OrgId,
    me: &OrgId,
    plan: Plan,
    today: Date,
) -> AppResult<Vec<CustomTermEndDate>> {
    let natural = natural_end(today, plan.term);
    let mut out = Vec::new();
    let mut month_end = today.month_end();
    while month_end <= natural {
        out.push(CustomTermEndDate {
            date: month_end,
            kind: "calendarMonthEnd".into(),
            subscription_id: None,
            offer_name: None,
        });
        month_end = month_end.add_days(1).month_end();
    }
    let long = plan.term != TermDuration::P1M;
    for (date, id, offer_name, term) in commerce::active_term_ends(conn, cid, Some(me)).await? {
        if date < today || date > natural || (long && term == "P1M") {
            continue;
        }
        out.push(CustomTermEndDate {
            date,
            kind: "subscription".into(),
            subscription_id: Some(id),
            offer_name: Some(offer_name),
        });
    }
    out.sort_by(|a, b| (a.date, &a.kind).cmp(&(b.date, &b.kind)));
    Ok(out)
}

impl App {
    /// `GET /v1/customers/{cid}/customtermenddates`: who may order for the customer.
    pub async fn custom_term_end_dates(
        &self,
        p: &Principal,
        cid: &OrgId,
        q: &CustomTermEndDateQuery,
    ) -> AppResult<Vec<CustomTermEndDate>> {
        p.require(Action::PlaceOrders)?;
        let mut conn = self.db().conn().await?;
        customers::active_relationship(&mut conn, cid, &p.organization.id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let offer = match q.offer_id.as_deref() {
            Some(id) => Some(offer_terms(&mut conn, id).await?.ok_or_else(|| {
                AppError::field(FieldError::invalid(
                    "/query/offerId",
                    format!("'{id}' is not an offer of the catalog"),
                ))
            })?),
            None => None,
        };
        let term = match q.term_duration.as_deref() {
            Some(t) => Some(TermDuration::parse(t).ok_or_else(|| {
                AppError::field(FieldError::invalid(
                    "/query/termDuration",
                    "must be P1M, P1Y or P3Y",
                ))
            })?),
            None => None,
        };
        let plan = match (&offer, term) {
            (Some(o), t) => o.plan_for(t).ok_or_else(|| {
                AppError::field(FieldError::invalid(
                    "/query/termDuration",
                    format!("{} is not sold with that term", o.row.name),
                ))
            })?,
            (None, Some(t)) => Plan::new(t, t.frequencies()[0])
                .ok_or_else(|| AppError::internal("every term has a plan"))?,
            (None, None) => {
                return Err(AppError::field(FieldError::invalid(
                    "/query/termDuration",
                    "name a term duration or an offer",
                )));
            }
        };
        custom_end_dates(
            &mut conn,
            cid,
            &p.organization.id,
            plan,
            Date::of(self.now()),
        )
        .await
    }
}
