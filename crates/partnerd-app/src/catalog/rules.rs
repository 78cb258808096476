//! The rules of an offer (API.md §4.5 as API-billing.md §2 extends it): every
//! member checked and every error reported at once, and what a request does to
//! the plans — a plan is never removed, a newly sold plan is priced at once, a
//! new price of a plan already sold takes effect from next month.

use partnerd_domain::FieldError;
use partnerd_domain::calendar::Month;
use partnerd_domain::money::{Money, check_currency, parse_amount};
use partnerd_domain::names::{long_text, name, offer_id};
use partnerd_domain::states::OfferStatus;
use partnerd_domain::terms::{BillingFrequency, Plan, TermDuration};
use partnerd_store::Conn;
use partnerd_store::offers::{self, OfferRow};

use super::{MAX_QUANTITY, MoneyInput, OfferInput, TermInput};
use crate::{App, AppError, AppResult};

/// The most offers an offer may upgrade to, or need.
const MAX_LINKS: usize = 20;

/// What an offer sells before a change.
#[derive(Debug, Default)]
pub(crate) struct Sold {
    /// Its plans, in order.
    pub plans: Vec<Plan>,
    /// The prices in effect next month, from which a new price takes effect.
    pub next: Vec<(Plan, i64)>,
}

impl Sold {
    /// What offer `id` sells now, by the version in effect next month.
    pub(crate) async fn of(conn: &mut Conn, id: &str, next: Month) -> AppResult<Self> {
        Ok(Self {
            plans: offers::plans(conn, id).await?,
            next: offers::version_for(conn, id, next)
                .await?
                .map(|v| v.prices)
                .unwrap_or_default(),
        })
    }

    fn next_price(&self, plan: Plan) -> Option<i64> {
        self.next.iter().find(|(p, _)| *p == plan).map(|(_, u)| *u)
    }
}

/// The plans after a checked change.
#[derive(Debug, Default)]
pub(super) struct Plans {
    /// Every plan, in the catalog's order.
    pub order: Vec<Plan>,
    /// Plans newly sold, with their price (on creation: every plan).
    pub added: Vec<(Plan, i64)>,
    /// Plans already sold, with their price from next month.
    pub repriced: Vec<(Plan, i64)>,
}

/// An offer id a request names, and where.
struct Reference {
    pointer: String,
    id: String,
}

/// A term's plan as a request names it, with its price if that could be read.
pub(crate) struct GivenPlan {
    pub plan: Plan,
    pub price: Option<i64>,
    /// `/terms/{i}/billingPlans/{j}`.
    pub pointer: String,
}

/// Which frequencies a term is sold with, in words.
fn sold_with(term: TermDuration) -> &'static str {
    match term {
        TermDuration::P1M => "a 1 month term is billed monthly only",
        TermDuration::P1Y => "a 1 year term is billed monthly or annually",
        TermDuration::P3Y => "a 3 year term is billed monthly, annually or up front",
    }
}

impl App {
    /// An amount of the platform currency at `pointer` (`…/amount`, `…/currency`).
    pub(crate) fn price_at(
        &self,
        pointer: &str,
        m: &MoneyInput,
        errors: &mut Vec<FieldError>,
    ) -> Option<i64> {
        let amount = parse_amount(&format!("{pointer}/amount"), &m.amount);
        let currency = check_currency(
            &format!("{pointer}/currency"),
            &m.currency,
            self.config().currency.as_str(),
        );
        match (amount, currency) {
            (Ok(minor), Ok(())) => Some(minor),
            (amount, currency) => {
                errors.extend(amount.err());
                errors.extend(currency.err());
                None
            }
        }
    }

    /// The plans a `terms` member names, in order: 1–3 distinct terms of 1–3
    /// distinct frequencies each, every pair one the contract sells.
    pub(crate) fn read_terms(
        &self,
        terms: &[TermInput],
        errors: &mut Vec<FieldError>,
    ) -> Vec<GivenPlan> {
        if terms.is_empty() || terms.len() > 3 {
            errors.push(FieldError::invalid("/terms", "must list 1 to 3 terms"));
        }
        let mut out: Vec<GivenPlan> = Vec::new();
        let mut seen_terms = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            let tp = format!("/terms/{i}");
            let term = match TermDuration::parse(t.term_duration.trim()) {
                None => {
                    errors.push(FieldError::invalid(
                        format!("{tp}/termDuration"),
                        "must be P1M (1 month), P1Y (1 year) or P3Y (3 years)",
                    ));
                    None
                }
                Some(term) if seen_terms.contains(&term) => {
                    errors.push(FieldError::invalid(
                        format!("{tp}/termDuration"),
                        format!("lists the {} term twice; list each term once", term.label()),
                    ));
                    None
                }
                Some(term) => {
                    seen_terms.push(term);
                    Some(term)
                }
            };
            if t.billing_plans.is_empty() || t.billing_plans.len() > 3 {
                errors.push(FieldError::invalid(
                    format!("{tp}/billingPlans"),
                    "must list 1 to 3 billing plans",
                ));
            }
            let mut seen = Vec::new();
            for (j, b) in t.billing_plans.iter().enumerate() {
                let pointer = format!("{tp}/billingPlans/{j}");
                let price = self.price_at(&format!("{pointer}/unitPrice"), &b.unit_price, errors);
                let Some(frequency) = BillingFrequency::parse(b.billing_frequency.trim()) else {
                    errors.push(FieldError::invalid(
                        format!("{pointer}/billingFrequency"),
                        "must be monthly, annual or upfront",
                    ));
                    continue;
                };
                if seen.contains(&frequency) {
                    errors.push(FieldError::invalid(
                        format!("{pointer}/billingFrequency"),
                        format!("is listed twice for this term ({})", frequency.label()),
                    ));
                    continue;
                }
                seen.push(frequency);
                let Some(term) = term else { continue };
                match Plan::new(term, frequency) {
                    Some(plan) => out.push(GivenPlan {
                        plan,
                        price,
                        pointer,
                    }),
                    None => errors.push(FieldError::invalid(
                        format!("{pointer}/billingFrequency"),
                        format!("cannot be {}: {}", frequency.as_str(), sold_with(term)),
                    )),
                }
            }
        }
        out
    }

    /// Applies `input` to `o` (what it sold before is `sold`), collecting every
    /// field error; returns the plans after the change and the offer ids named.
    fn apply_offer(
        &self,
        o: &mut OfferRow,
        sold: &Sold,
        input: &OfferInput,
        creating: bool,
        errors: &mut Vec<FieldError>,
    ) -> (Plans, Vec<Reference>) {
        let required = |errors: &mut Vec<FieldError>, present: bool, pointer: &str| {
            if creating && !present {
                errors.push(FieldError::invalid(pointer, "is required"));
            }
        };
        required(errors, input.name.is_some(), "/name");
        required(errors, input.product_family.is_some(), "/productFamily");
        required(errors, input.min_quantity.is_some(), "/minQuantity");
        required(errors, input.max_quantity.is_some(), "/maxQuantity");
        if let Some(v) = &input.name {
            name("/name", v)
                .map(|v| o.name = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if let Some(v) = &input.product_family {
            name("/productFamily", v)
                .map(|v| o.product_family = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        let (plans, default_by_cycle) = self.apply_plans(o, sold, input, creating, errors);
        match &input.default_term {
            Some(_) if default_by_cycle => errors.push(FieldError::invalid(
                "/defaultTerm",
                "send defaultTerm or billingCycle, not both",
            )),
            Some(d) => {
                let term = TermDuration::parse(d.term_duration.trim());
                let frequency = BillingFrequency::parse(d.billing_frequency.trim());
                if term.is_none() {
                    errors.push(FieldError::invalid(
                        "/defaultTerm/termDuration",
                        "must be P1M, P1Y or P3Y",
                    ));
                }
                if frequency.is_none() {
                    errors.push(FieldError::invalid(
                        "/defaultTerm/billingFrequency",
                        "must be monthly, annual or upfront",
                    ));
                }
                if let (Some(t), Some(f)) = (term, frequency) {
                    match Plan::new(t, f).filter(|p| plans.order.contains(p)) {
                        Some(p) => o.default_plan = p,
                        None => errors.push(FieldError::invalid(
                            "/defaultTerm",
                            format!(
                                "must be one of the offer's plans; it does not sell {} {}",
                                t.label(),
                                f.label()
                            ),
                        )),
                    }
                }
            }
            // The first plan of the first term.
            None if creating => {
                if let Some(first) = plans.order.first() {
                    o.default_plan = *first;
                }
            }
            None => {}
        }
        if let Some(v) = input.min_quantity {
            o.min_quantity = v;
        }
        if let Some(v) = input.max_quantity {
            o.max_quantity = v;
        }
        if input.min_quantity.is_some() || input.max_quantity.is_some() {
            if o.min_quantity < 1 {
                errors.push(FieldError::invalid("/minQuantity", "must be at least 1"));
            } else if o.max_quantity < o.min_quantity || o.max_quantity > MAX_QUANTITY {
                errors.push(FieldError::invalid(
                    "/maxQuantity",
                    "must be between minQuantity and 1000000",
                ));
            }
        }
        if let Some(cap) = input.max_quantity_per_customer {
            match cap {
                Some(n) if !(1..=MAX_QUANTITY).contains(&n) => errors.push(FieldError::invalid(
                    "/maxQuantityPerCustomer",
                    "must be between 1 and 1000000, or null for no limit",
                )),
                cap => o.max_quantity_per_customer = cap,
            }
        }
        match &input.trial {
            Some(None) => o.trial = None,
            Some(Some(t)) => {
                let days = t.days.unwrap_or(30);
                let max_quantity = t.max_quantity.unwrap_or(25.min(o.max_quantity));
                let mut ok = true;
                if !(1..=90).contains(&days) {
                    ok = false;
                    errors.push(FieldError::invalid(
                        "/trial/days",
                        "must be between 1 and 90 days",
                    ));
                }
                if !(1..=o.max_quantity.max(1)).contains(&max_quantity) {
                    ok = false;
                    errors.push(FieldError::invalid(
                        "/trial/maxQuantity",
                        format!(
                            "must be between 1 and the offer's maxQuantity ({})",
                            o.max_quantity
                        ),
                    ));
                }
                if ok {
                    o.trial = Some(offers::Trial { days, max_quantity });
                }
            }
            None => {
                if let Some(t) = o.trial
                    && t.max_quantity > o.max_quantity
                {
                    errors.push(FieldError::invalid(
                        "/maxQuantity",
                        format!(
                            "is below the trial's limit of {} seats; lower trial.maxQuantity as well",
                            t.max_quantity
                        ),
                    ));
                }
            }
        }
        let mut references = Vec::new();
        if let Some(ids) = &input.upgrade_targets {
            o.upgrade_targets = links(&o.id, "/upgradeTargets", ids, errors, &mut references);
        }
        if let Some(ids) = &input.prerequisite_offer_ids {
            o.prerequisite_offer_ids =
                links(&o.id, "/prerequisiteOfferIds", ids, errors, &mut references);
        }
        if let Some(v) = input.requires_admin_agent {
            o.requires_admin_agent = v;
        }
        if let Some(v) = &input.description {
            long_text("/description", v, 10_000)
                .map(|v| o.description = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        (plans, references)
    }

    /// The plans after `input`: from `terms`, or from the v1 `billingCycle` and
    /// `unitPrice`. True when `billingCycle` chose the default plan.
    fn apply_plans(
        &self,
        o: &mut OfferRow,
        sold: &Sold,
        input: &OfferInput,
        creating: bool,
        errors: &mut Vec<FieldError>,
    ) -> (Plans, bool) {
        let mut plans = Plans {
            order: sold.plans.clone(),
            ..Plans::default()
        };
        let v1 = input.billing_cycle.is_some() || input.unit_price.is_some();
        if let Some(terms) = &input.terms {
            if v1 {
                errors.push(FieldError::invalid(
                    "/terms",
                    "send either terms or the v1 billingCycle and unitPrice, not both",
                ));
            }
            let given = self.read_terms(terms, errors);
            for s in &sold.plans {
                if !given.iter().any(|g| g.plan == *s) {
                    errors.push(FieldError::invalid(
                        "/terms",
                        format!(
                            "leaves out {}: an offer's plans cannot be removed; retire the offer instead",
                            s.label()
                        ),
                    ));
                }
            }
            plans.order = given.iter().map(|g| g.plan).collect();
            for g in &given {
                let Some(price) = g.price else { continue };
                if !sold.plans.contains(&g.plan) {
                    plans.added.push((g.plan, price));
                } else if sold.next_price(g.plan) != Some(price) {
                    plans.repriced.push((g.plan, price));
                }
            }
            return (plans, false);
        }
        if !v1 {
            if creating {
                errors.push(FieldError::invalid(
                    "/terms",
                    "is required: the terms the offer is sold on (or the v1 billingCycle with unitPrice)",
                ));
            }
            return (plans, false);
        }
        if creating {
            if input.billing_cycle.is_none() {
                errors.push(FieldError::invalid("/billingCycle", "is required"));
            }
            if input.unit_price.is_none() {
                errors.push(FieldError::invalid("/unitPrice", "is required"));
            }
        }
        let price = input
            .unit_price
            .as_ref()
            .and_then(|m| self.price_at("/unitPrice", m, errors));
        // The contract's plan of a v1 cycle.
        let cycle_plan = match input.billing_cycle.as_deref().map(str::trim) {
            None => None,
            Some("monthly") => Plan::new(TermDuration::P1M, BillingFrequency::Monthly),
            Some("annual") => Plan::new(TermDuration::P1Y, BillingFrequency::Annual),
            Some(_) => {
                errors.push(FieldError::invalid(
                    "/billingCycle",
                    "must be monthly or annual",
                ));
                return (plans, false);
            }
        };
        // The plan the v1 members speak of: in a change, the default unless the
        // cycle names another; an offer's own plan of that cycle before a new one.
        let target = match (input.billing_cycle.as_deref().map(str::trim), creating) {
            (_, true) => cycle_plan,
            (None, false) => Some(o.default_plan),
            (Some(c), false) if o.default_plan.billing_cycle() == c => Some(o.default_plan),
            (Some(c), false) => sold
                .plans
                .iter()
                .copied()
                .find(|p| p.billing_cycle() == c)
                .or(cycle_plan),
        };
        let Some(target) = target else {
            return (plans, false);
        };
        let by_cycle = input.billing_cycle.is_some();
        if by_cycle {
            o.default_plan = target;
        }
        if sold.plans.contains(&target) {
            if let Some(price) = price
                && sold.next_price(target) != Some(price)
            {
                plans.repriced.push((target, price));
            }
        } else if let Some(price) = price {
            plans.order.push(target);
            plans.added.push((target, price));
        } else if input.unit_price.is_none() {
            errors.push(FieldError::invalid(
                "/unitPrice",
                format!(
                    "is required to sell {}, which the offer does not sell yet",
                    target.label()
                ),
            ));
        }
        (plans, by_cycle)
    }

    /// [`Self::apply_offer`], then whether the offers it names exist: every error
    /// at once, or the plans after the change.
    pub(super) async fn check_offer(
        &self,
        conn: &mut Conn,
        o: &mut OfferRow,
        sold: &Sold,
        input: &OfferInput,
        creating: bool,
        mut errors: Vec<FieldError>,
    ) -> AppResult<Plans> {
        let (plans, references) = self.apply_offer(o, sold, input, creating, &mut errors);
        if !references.is_empty() {
            let ids: Vec<String> = references.iter().map(|r| r.id.clone()).collect();
            let known = offers::names_of(conn, &ids).await?;
            for r in references {
                if !known.iter().any(|(id, _, _)| *id == r.id) {
                    errors.push(FieldError::invalid(
                        r.pointer,
                        format!("no offer has the id {}", r.id),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(plans)
        } else {
            Err(AppError::validation(errors))
        }
    }

    /// An offer with nothing set, for checking a form against.
    pub(super) fn blank_offer(&self, id: String) -> OfferRow {
        let now = self.now();
        OfferRow {
            id,
            name: String::new(),
            product_family: String::new(),
            billing_cycle: "monthly".into(),
            unit_price: Money::zero(self.config().currency),
            min_quantity: 1,
            max_quantity: 1,
            requires_admin_agent: false,
            status: OfferStatus::Available,
            description: None,
            created_at: now,
            updated_at: now,
            version: 1,
            default_plan: Plan {
                term: TermDuration::P1M,
                frequency: BillingFrequency::Monthly,
            },
            max_quantity_per_customer: None,
            trial: None,
            upgrade_targets: Vec::new(),
            prerequisite_offer_ids: Vec::new(),
        }
    }
}

/// Checked offer ids of a list member at `pointer`: at most 20, each an offer id,
/// not `own`, none twice; each to be looked up.
fn links(
    own: &str,
    pointer: &str,
    ids: &[String],
    errors: &mut Vec<FieldError>,
    references: &mut Vec<Reference>,
) -> Vec<String> {
    if ids.len() > MAX_LINKS {
        errors.push(FieldError::invalid(
            pointer,
            format!("must list at most {MAX_LINKS} offers"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (k, raw) in ids.iter().enumerate() {
        let at = format!("{pointer}/{k}");
        match offer_id(&at, raw) {
            Err(e) => errors.push(e),
            Ok(id) if id == own => {
                errors.push(FieldError::invalid(at, "cannot be the offer itself"));
            }
            Ok(id) if out.contains(&id) => {
                errors.push(FieldError::invalid(at, format!("lists {id} twice")));
            }
            Ok(id) => {
                references.push(Reference {
                    pointer: at,
                    id: id.clone(),
                });
                out.push(id);
            }
        }
    }
    out
}
