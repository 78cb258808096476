//! Preparing an order before it is placed, as the portal's Add products shows it:
//! who can supply it, what each line and the whole order cost, and what credit is
//! left with the supplier afterwards. Reviewing writes nothing; placing the order
//! goes through `create_order`, which checks everything again.

use partnerd_domain::FieldError;
use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{OrgId, ResellerRelationshipId};
use partnerd_domain::money::{Money, prorate};
use partnerd_domain::policy::Action;
use partnerd_domain::terms::{Plan, SubscriptionPlan, Term};

use super::{LineInput, Order, OrderInput};
use crate::catalog::{Offer, OfferFilters};
use crate::connections::{AS_PROVIDER, AS_RESELLER, RelationshipFilters};
use crate::customers::Customer;
use crate::paging::PageParams;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// An organisation that can supply an order the caller places for a customer, and
/// the relationship it supplies through.
#[derive(Debug, Clone)]
pub struct Supplier {
    pub relationship_id: ResellerRelationshipId,
    pub organization_id: OrgId,
    pub name: String,
}

/// What the caller needs to choose an order for a customer.
#[derive(Debug, Clone)]
pub struct OrderForm {
    pub customer: Customer,
    /// True when the caller is the customer's indirect provider (it then orders
    /// through one of the customer's resellers); false for a reseller (it orders
    /// through one of its providers).
    pub as_provider: bool,
    pub suppliers: Vec<Supplier>,
    pub offers: Vec<Offer>,
}

/// What the portal's form chose for one offer.
#[derive(Debug, Clone, Default)]
pub struct LineChoice {
    pub offer_id: String,
    pub quantity: i64,
    /// `P1Y monthly`, `trial`, or None for the offer's default plan.
    pub plan: Option<String>,
    /// `YYYY-MM-DD`: a coterminous first term.
    pub custom_end: Option<String>,
}

/// One line of a reviewed order.
#[derive(Debug, Clone)]
pub struct ReviewLine {
    pub offer: Offer,
    pub quantity: i64,
    pub plan: SubscriptionPlan,
    /// The plan's price per seat and billing period (0 for a trial).
    pub unit_price: Money,
    pub custom_end: Option<Date>,
    /// The first term's last day.
    pub term_end: Date,
    /// What one seat is charged today: the first period, prorated when cut short.
    pub first_charge: Money,
    pub line_total: Money,
}

impl ReviewLine {
    /// The form's value for this line's plan.
    pub fn plan_value(&self) -> String {
        match self.plan {
            SubscriptionPlan::Paid(p) => format!("{} {}", p.term, p.frequency),
            SubscriptionPlan::Trial { .. } => "trial".into(),
        }
    }
}

/// `P1Y monthly` (a plan select's value) as a plan.
pub fn plan_choice(v: &str) -> Option<Plan> {
    let (t, f) = v.split_once(' ')?;
    Plan::parse(t, f)
}

/// What the order does to the credit with its supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditOutlook {
    /// The supplier sets no limit for this relationship.
    NoLimit,
    /// Not known here: no supplier was chosen, or the caller may not read the
    /// limit. The order is checked against it when placed all the same.
    Unknown,
    /// The credit left before and after the order.
    Limited { available: Money, after: Money },
}

impl CreditOutlook {
    /// Whether the order would be refused for going beyond the limit.
    pub fn exceeded(&self) -> bool {
        matches!(self, Self::Limited { after, .. } if after.is_negative())
    }
}

/// An order as it would be placed.
#[derive(Debug, Clone)]
pub struct OrderReview {
    pub form: OrderForm,
    /// The chosen supplier, when it is one of the form's.
    pub supplier: Option<Supplier>,
    /// The lines with a quantity, by offer name.
    pub lines: Vec<ReviewLine>,
    pub total: Money,
    pub credit: CreditOutlook,
}

/// What Add products did with the quantities posted.
#[derive(Debug, Clone)]
pub enum AddProducts {
    /// Nothing was reviewed: the quantities are invalid (none given, say).
    Invalid(AppError),
    /// The order as it would be placed, to confirm.
    Reviewed(Box<OrderReview>),
    /// The reviewed order was placed.
    Placed {
        review: Box<OrderReview>,
        order: Box<Order>,
    },
    /// The reviewed order was refused (no relationship, beyond the credit, an
    /// offer out of bounds); nothing was ordered.
    NotPlaced(AppError),
}

/// Every offer of a form, at once.
fn all() -> PageParams {
    PageParams::first(500)
}

impl App {
    /// The offers and the possible suppliers of an order for customer `cid`.
    pub async fn order_form(&self, p: &Principal, cid: &OrgId) -> AppResult<OrderForm> {
        let customer = self.get_customer(p, cid).await?;
        p.require(Action::PlaceOrders)?;
        let as_provider = customer
            .relationships
            .iter()
            .find(|r| r.partner.organization_id == p.organization.id)
            .is_some_and(|r| r.role == "indirectProvider");
        let kind = if as_provider {
            AS_PROVIDER
        } else {
            AS_RESELLER
        };
        let filters = RelationshipFilters {
            relationship_type: Some(kind.into()),
            ..Default::default()
        };
        let relationships = self.list_relationships(p, &filters, &all()).await?.items;
        // A provider orders through a reseller that serves this customer.
        let serving: Vec<&OrgId> = customer
            .relationships
            .iter()
            .filter(|r| r.role == "indirectReseller")
            .map(|r| &r.partner.organization_id)
            .collect();
        let suppliers = relationships
            .into_iter()
            .filter(|r| !as_provider || serving.contains(&&r.partner.organization_id))
            .map(|r| Supplier {
                relationship_id: r.id,
                organization_id: r.partner.organization_id,
                name: r.partner.name,
            })
            .collect();
        let offers = self
            .list_offers(p, &OfferFilters::default(), &all())
            .await?
            .items;
        Ok(OrderForm {
            customer,
            as_provider,
            suppliers,
            offers,
        })
    }

    /// The order of `choices` (one per offer; zero quantities and unknown offers
    /// are left out) through `supplier`, priced, with the credit it would leave.
    /// Refuses an order without any line, a plan the offer does not sell and an end
    /// date the term cannot take, before anything is placed.
    pub async fn review_order(
        &self,
        p: &Principal,
        cid: &OrgId,
        supplier: Option<&OrgId>,
        choices: &[LineChoice],
    ) -> AppResult<OrderReview> {
        let form = self.order_form(p, cid).await?;
        let today = Date::of(self.now());
        let mut lines = Vec::new();
        let mut errors = Vec::new();
        for o in &form.offers {
            let Some(c) = choices
                .iter()
                .find(|c| c.offer_id == o.id && c.quantity != 0)
            else {
                continue;
            };
            let at = format!("/lineItems/{}", o.id);
            let plan = match c.plan.as_deref() {
                None | Some("") => Some(SubscriptionPlan::Paid(o.default_plan())),
                Some("trial") => o.trial.as_ref().map(|t| SubscriptionPlan::Trial {
                    days: u32::try_from(t.days).unwrap_or(30),
                }),
                Some(v) => plan_choice(v)
                    .filter(|pl| o.plans().any(|(x, _)| x == *pl))
                    .map(SubscriptionPlan::Paid),
            };
            let Some(plan) = plan else {
                errors.push(FieldError::invalid(
                    format!("{at}/plan"),
                    format!("{} is not sold that way; choose one of its plans", o.name),
                ));
                continue;
            };
            let custom_end = match c
                .custom_end
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                None => None,
                Some(raw) => match Date::parse(raw) {
                    Some(d) => Some(d),
                    None => {
                        errors.push(FieldError::invalid(
                            format!("{at}/customTermEndDate"),
                            format!("{}: the end date must be a day, such as 2026-06-30", o.name),
                        ));
                        continue;
                    }
                },
            };
            let (term, unit_price) = match plan {
                SubscriptionPlan::Paid(pl) => {
                    if let Some(end) = custom_end {
                        let mut conn = self.db().conn().await?;
                        let valid = super::orders::custom_end_dates(
                            &mut conn,
                            cid,
                            &p.organization.id,
                            pl,
                            today,
                        )
                        .await?;
                        if !valid.iter().any(|d| d.date == end) {
                            errors.push(FieldError::new(
                                format!("{at}/customTermEndDate"),
                                "custom_term_end_date_invalid",
                                format!(
                                    "{}: a {} term bought today can end on a month's last day up to {}, or with one of the customer's subscriptions",
                                    o.name,
                                    pl.term.label(),
                                    partnerd_domain::terms::natural_end(today, pl.term).spoken()
                                ),
                            ));
                            continue;
                        }
                    }
                    let list = o
                        .plans()
                        .find(|(x, _)| *x == pl)
                        .map_or(o.unit_price, |(_, m)| m);
                    let price = self
                        .reseller_price(
                            &form,
                            &p.organization.id,
                            supplier,
                            &o.id,
                            list,
                            today.month(),
                        )
                        .await?;
                    (Term::paid(today, pl, custom_end), price)
                }
                SubscriptionPlan::Trial { days } => (
                    Term::trial(today, i64::from(days)),
                    Money::zero(o.unit_price.currency()),
                ),
            };
            let per_seat = term.period(0).map_or(0, |x| {
                prorate(unit_price.minor(), x.days_from(x.start), x.days)
            });
            let first_charge = Money::new(per_seat, unit_price.currency());
            lines.push(ReviewLine {
                offer: o.clone(),
                quantity: c.quantity,
                plan,
                unit_price,
                custom_end,
                term_end: term.end,
                first_charge,
                line_total: first_charge.checked_mul(c.quantity)?,
            });
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        if lines.is_empty() {
            return Err(partnerd_domain::FieldError::new(
                "/lineItems",
                "required",
                "enter a quantity for at least one product",
            )
            .into());
        }
        lines.sort_by(|a, b| a.offer.name.cmp(&b.offer.name));
        let total = Money::sum(self.config().currency, lines.iter().map(|l| l.line_total))?;
        let supplier = supplier.and_then(|id| {
            form.suppliers
                .iter()
                .find(|s| &s.organization_id == id)
                .cloned()
        });
        let credit = match &supplier {
            Some(s) => match self.get_credit_limit(p, &s.relationship_id).await {
                Ok(c) => match c.available {
                    Some(available) => CreditOutlook::Limited {
                        available,
                        after: available.checked_sub(total)?,
                    },
                    None => CreditOutlook::NoLimit,
                },
                Err(AppError::Forbidden { .. }) => CreditOutlook::Unknown,
                Err(e) => return Err(e),
            },
            None => CreditOutlook::Unknown,
        };
        Ok(OrderReview {
            form,
            supplier,
            lines,
            total,
            credit,
        })
    }

    /// What the reseller pays its provider for a plan listed at `list` (the
    /// order's `unitPrice`, §10.3): the provider's price list for it, once the
    /// supplier is known (chosen, or the only one).
    async fn reseller_price(
        &self,
        form: &OrderForm,
        me: &OrgId,
        supplier: Option<&OrgId>,
        offer_id: &str,
        list: Money,
        month: partnerd_domain::calendar::Month,
    ) -> AppResult<Money> {
        let chosen = supplier
            .cloned()
            .or_else(|| match form.suppliers.as_slice() {
                [only] => Some(only.organization_id.clone()),
                _ => None,
            });
        let Some(other) = chosen else {
            return Ok(list);
        };
        let (provider, reseller) = if form.as_provider {
            (me.clone(), other)
        } else {
            (other, me.clone())
        };
        let mut conn = self.db().conn().await?;
        let Some(offer) = super::offer_terms::offer_terms(&mut conn, offer_id).await? else {
            return Ok(list);
        };
        Ok(super::prices::reprice(
            &mut conn,
            &provider,
            partnerd_domain::ledger::Tier::ProviderToReseller,
            &reseller,
            &offer,
            month,
            list,
        )
        .await?
        .map_or(list, |(m, _)| m))
    }

    /// `POST /customers/{cid}/add-products`: reviews the order of `choices`
    /// through `supplier` (see [`App::review_order`]), and with `place` places it.
    pub async fn add_products(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        supplier: Option<&OrgId>,
        choices: &[LineChoice],
        place: bool,
    ) -> AppResult<AddProducts> {
        let review = match self.review_order(p, cid, supplier, choices).await {
            Ok(r) => r,
            Err(e @ AppError::Validation(_)) => return Ok(AddProducts::Invalid(e)),
            Err(e) => return Err(e),
        };
        if !place {
            return Ok(AddProducts::Reviewed(Box::new(review)));
        }
        let supplier = review.supplier.as_ref().map(|s| s.organization_id.clone());
        let input = OrderInput {
            line_items: review
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| LineInput {
                    line_item_number: i64::try_from(i).unwrap_or_default(),
                    offer_id: l.offer.id.clone(),
                    quantity: l.quantity,
                    friendly_name: None,
                    term_duration: l.plan.paid().map(|x| x.term.as_str().to_owned()),
                    billing_frequency: l.plan.paid().map(|x| x.frequency.as_str().to_owned()),
                    custom_term_end_date: l.custom_end.map(|d| d.to_string()),
                    trial: l.plan.is_trial().then_some(true),
                })
                .collect(),
            indirect_provider_id: supplier.clone().filter(|_| !review.form.as_provider),
            reseller_organization_id: supplier.filter(|_| review.form.as_provider),
        };
        match self.create_order(p, ctx, cid, Ok(input)).await {
            Ok(order) => Ok(AddProducts::Placed {
                review: Box::new(review),
                order: Box::new(order),
            }),
            Err(
                e @ (AppError::Forbidden { .. }
                | AppError::Conflict { .. }
                | AppError::Validation(_)),
            ) => Ok(AddProducts::NotPlaced(e)),
            Err(e) => Err(e),
        }
    }
}
