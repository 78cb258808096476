//! Preparing an order before it is placed, as the portal's Add products shows it:
//! who can supply it, what each line and the whole order cost, and what credit is
//! left with the supplier afterwards. Reviewing writes nothing; placing the order
//! goes through `create_order`, which checks everything again.

use partnerd_domain::ids::{OrgId, ResellerRelationshipId};
use partnerd_domain::money::Money;
use partnerd_domain::policy::Action;

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

/// One line of a reviewed order.
#[derive(Debug, Clone)]
pub struct ReviewLine {
    pub offer: Offer,
    pub quantity: i64,
    pub line_total: Money,
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

    /// The order of `quantities` (offer id → seats, one entry per offer; zero and
    /// unknown offers are left out) through `supplier`, priced, with the credit it would leave. Refuses an
    /// order without any line.
    pub async fn review_order(
        &self,
        p: &Principal,
        cid: &OrgId,
        supplier: Option<&OrgId>,
        quantities: &[(String, i64)],
    ) -> AppResult<OrderReview> {
        let form = self.order_form(p, cid).await?;
        let mut lines = Vec::new();
        for o in &form.offers {
            let quantity = quantities
                .iter()
                .find(|(id, q)| *id == o.id && *q != 0)
                .map(|(_, q)| *q);
            if let Some(quantity) = quantity {
                lines.push(ReviewLine {
                    offer: o.clone(),
                    quantity,
                    line_total: o.unit_price.checked_mul(quantity)?,
                });
            }
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

    /// `POST /customers/{cid}/add-products`: reviews the order of `quantities`
    /// through `supplier` (see [`App::review_order`]), and with `place` places it.
    pub async fn add_products(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        supplier: Option<&OrgId>,
        quantities: &[(String, i64)],
        place: bool,
    ) -> AppResult<AddProducts> {
        let review = match self.review_order(p, cid, supplier, quantities).await {
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
                    ..LineInput::default()
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
