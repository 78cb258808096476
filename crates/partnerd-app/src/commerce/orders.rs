//! Orders (API.md §10.1), with the checks in the contract's order: request
//! validation → the customer relationship (404) → the supplying relationship →
//! the provider's authorisation → availability and quantities → credit.

use crate::error::{Conflict, Refusal};
use crate::filters::status_in;
use partnerd_domain::ids::{ApiKeyId, OrderId, OrgId, SubscriptionId, UserId};
use partnerd_domain::names::name;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Program;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::states::{OrderStatus, SubscriptionStatus};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::commerce::{self, LineRow, OrderQuery, OrderRow, SubscriptionRow};
use partnerd_store::offers::{self, OfferRow};
use partnerd_store::{Conn, connections, customers, idempotency, providers};
use serde::Serialize;
use utoipa::ToSchema;

use super::term_end;
use crate::audit::{Actor, Entry};
use crate::catalog::Money;
use crate::crypto::etag;
use crate::events::Event;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};

/// One line of a new order.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub line_item_number: i64,
    pub offer_id: String,
    pub quantity: i64,
    pub friendly_name: Option<String>,
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
    /// Σ unit price × quantity, each line priced for its own billing period.
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

fn order_view(o: &OrderRow, lines: &[LineRow]) -> Order {
    Order {
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
        line_items: lines
            .iter()
            .map(|l| OrderLine {
                line_item_number: l.line_item_number,
                offer_id: l.offer_id.clone(),
                offer_name: l.offer_name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                subscription_id: l.subscription_id.clone(),
                friendly_name: l.friendly_name.clone(),
                billing_cycle: l.billing_cycle.clone(),
            })
            .collect(),
        total: o.total,
        created_at: o.created_at,
        etag: etag(&o.id, o.version),
    }
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
        let mut offers_found: Vec<Option<OfferRow>> = Vec::with_capacity(n);
        for (i, l) in input.line_items.iter().enumerate() {
            let o = offers::get(&mut tx, l.offer_id.trim()).await?;
            if o.is_none() {
                c.0.push(FieldError::invalid(
                    format!("/lineItems/{i}/offerId"),
                    format!("'{}' is not an offer of the catalog", l.offer_id),
                ));
            }
            offers_found.push(o);
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
        let offers_found: Vec<OfferRow> = offers_found.into_iter().flatten().collect();

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
        if let Some(o) = offers_found.iter().find(|o| !authorized(&o.product_family)) {
            return Err(AppError::forbidden(
                Refusal::ProviderNotAuthorized,
                format!(
                    "the indirect provider is not authorised for {} in {}",
                    o.product_family, customer.country
                ),
            ));
        }

        // 4. Availability, then quantities.
        if let Some(o) = offers_found
            .iter()
            .find(|o| o.status != OfferStatus::Available)
        {
            return Err(AppError::conflict(
                Conflict::OfferNotAvailable,
                format!("{} ({}) is no longer available", o.name, o.id),
            ));
        }
        let mut ranges = Vec::new();
        for (i, (l, o)) in input.line_items.iter().zip(&offers_found).enumerate() {
            if !(o.min_quantity..=o.max_quantity).contains(&l.quantity) {
                ranges.push(FieldError::new(
                    format!("/lineItems/{i}/quantity"),
                    "quantity_out_of_range",
                    format!(
                        "{} is sold in quantities of {} to {}",
                        o.name, o.min_quantity, o.max_quantity
                    ),
                ));
            }
        }
        if !ranges.is_empty() {
            return Err(AppError::validation(ranges));
        }

        // 5. Credit.
        let total = Money::sum(
            self.config().currency,
            input
                .line_items
                .iter()
                .zip(&offers_found)
                .map(|(l, o)| o.unit_price.checked_mul(l.quantity))
                .collect::<Result<Vec<_>, _>>()?,
        )?;
        self.check_credit(&mut tx, &provider, &reseller, total)
            .await?;

        let now = self.now();
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
        for (l, o) in input.line_items.iter().zip(&offers_found) {
            let sub = SubscriptionRow {
                id: SubscriptionId::generate(),
                customer_id: cid.to_owned(),
                order_id: order.id.clone(),
                offer_id: o.id.clone(),
                offer_name: o.name.clone(),
                product_family: o.product_family.clone(),
                friendly_name: l.friendly_name.as_ref().map(|f| f.trim().to_owned()),
                quantity: l.quantity,
                unit_price: o.unit_price,
                billing_cycle: o.billing_cycle.clone(),
                status: SubscriptionStatus::Active,
                auto_renew: true,
                term_start: now,
                commitment_end: term_end(now, &o.billing_cycle),
                reseller_organization_id: reseller.clone(),
                indirect_provider_id: provider.clone(),
                suspended_by_organization_id: None,
                suspended_reason: None,
                cancelled_at: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            lines.push(LineRow {
                order_id: order.id.clone(),
                line_item_number: l.line_item_number,
                offer_id: o.id.clone(),
                offer_name: o.name.clone(),
                quantity: l.quantity,
                unit_price: o.unit_price,
                subscription_id: sub.id.clone(),
                friendly_name: sub.friendly_name.clone(),
                billing_cycle: o.billing_cycle.clone(),
            });
            subs.push(sub);
        }
        lines.sort_by_key(|l| l.line_item_number);
        commerce::insert_order(&mut tx, &order, &lines).await?;
        for s in &subs {
            commerce::insert_subscription(&mut tx, s).await?;
        }
        let view = order_view(&order, &lines);
        let mut entry = Entry::new(
            Actor::Principal(p),
            "order",
            Some(order.id.clone()),
            "createOrder",
        )
        .participant(cid)
        .participant(&reseller)
        .participant(&provider)
        .after(&view);
        entry.on_behalf_of = Some((customer.id.clone(), customer.name.clone()));
        let created = Event {
            event_type: "order.created",
            resource_type: "order",
            resource_id: &order.id,
            resource_url: crate::urls::order(cid, &order.id),
            participants: vec![cid, &reseller, &provider],
        };
        self.record_change(&mut tx, ctx, now, entry, vec![created.with(&view)])
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
        let mut items = Vec::with_capacity(page.items.len());
        for o in &page.items {
            let lines = commerce::order_lines(&mut conn, &o.id).await?;
            items.push(order_view(o, &lines));
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
        Ok(order_view(&o, &lines))
    }
}
