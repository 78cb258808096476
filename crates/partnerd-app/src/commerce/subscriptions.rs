//! Subscriptions (API.md §10.2): list, read, change (If-Match required) along the
//! state machine active ⇄ suspended → cancelled, the change history, and the
//! term-end job (renew at the current price, or expire).

use crate::error::{Conflict, Refusal};
use crate::filters::status_in;
use partnerd_domain::ids::{
    ApiKeyId, OrderId, OrgId, SubscriptionChangeId, SubscriptionId, UserId,
};
use partnerd_domain::names::name;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::states::SubscriptionStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::commerce::{self, ChangeRow, SubscriptionQuery, SubscriptionRow};
use partnerd_store::{Conn, connections, customers, offers, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Reader, term_end};
use crate::audit::{Actor, Entry};
use crate::catalog::Money;
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::events::Event;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};

/// Who suspended a subscription, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedBy {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub reason: Option<String>,
}

/// A subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[schema(value_type = String)]
    pub id: SubscriptionId,
    #[schema(value_type = String)]
    pub customer_id: OrgId,
    #[schema(value_type = String)]
    pub order_id: OrderId,
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub friendly_name: Option<String>,
    pub quantity: i64,
    pub unit_price: Money,
    pub billing_cycle: String,
    /// `active`, `suspended`, `cancelled`, `expired`; open enum.
    pub status: SubscriptionStatus,
    pub auto_renew_enabled: bool,
    pub term_start_date: Timestamp,
    pub commitment_end_date: Timestamp,
    #[schema(value_type = String)]
    pub reseller_organization_id: OrgId,
    #[schema(value_type = String)]
    pub indirect_provider_id: OrgId,
    pub suspended_by: Option<SuspendedBy>,
    pub cancelled_at: Option<Timestamp>,
    /// Licenses of this offer assigned to the customer's users.
    pub assigned_licenses: i64,
    pub created_at: Timestamp,
    pub etag: String,
}

/// One entry of a subscription's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionChange {
    pub at: Timestamp,
    pub by: ChangedBy,
    pub change: FieldChange,
}

/// Who changed it (`organizationId` null for the platform's own jobs).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangedBy {
    #[schema(value_type = Option<String>)]
    pub organization_id: Option<OrgId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub api_key_id: Option<ApiKeyId>,
}

/// One member's change.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A subscription as its page shows it: the subscription and its latest changes.
#[derive(Debug, Clone)]
pub struct SubscriptionRecord {
    pub subscription: Subscription,
    pub history: Page<SubscriptionChange>,
}

/// `PATCH /v1/customers/{cid}/subscriptions/{sid}`: only the members sent change.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    pub quantity: Option<i64>,
    pub status: Option<String>,
    pub auto_renew_enabled: Option<bool>,
    pub friendly_name: Option<String>,
}

/// Filters of `GET /v1/customers/{cid}/subscriptions`.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilters {
    pub status: Option<String>,
    pub offer_id: Option<String>,
    pub product_family: Option<String>,
    pub indirect_provider_id: Option<OrgId>,
    pub reseller_organization_id: Option<OrgId>,
}

impl App {
    pub(crate) async fn subscription_view(
        &self,
        conn: &mut Conn,
        s: &SubscriptionRow,
    ) -> AppResult<Subscription> {
        let assigned = commerce::seats(conn, &s.customer_id, Some(&s.offer_id))
            .await?
            .first()
            .map_or(0, |x| x.assigned);
        Ok(Subscription {
            id: s.id.clone(),
            customer_id: s.customer_id.clone(),
            order_id: s.order_id.clone(),
            offer_id: s.offer_id.clone(),
            offer_name: s.offer_name.clone(),
            product_family: s.product_family.clone(),
            friendly_name: s.friendly_name.clone(),
            quantity: s.quantity,
            unit_price: s.unit_price,
            billing_cycle: s.billing_cycle.clone(),
            status: s.status,
            auto_renew_enabled: s.auto_renew,
            term_start_date: s.term_start,
            commitment_end_date: s.commitment_end,
            reseller_organization_id: s.reseller_organization_id.clone(),
            indirect_provider_id: s.indirect_provider_id.clone(),
            suspended_by: s.suspended_by_organization_id.clone().map(|o| SuspendedBy {
                organization_id: o,
                reason: s.suspended_reason.clone(),
            }),
            cancelled_at: s.cancelled_at,
            assigned_licenses: assigned,
            created_at: s.created_at,
            etag: etag(&s.id, s.version),
        })
    }

    async fn readable_subscription(
        &self,
        conn: &mut Conn,
        p: &Principal,
        cid: &OrgId,
        sid: &SubscriptionId,
    ) -> AppResult<(SubscriptionRow, Reader)> {
        let (_, reader) = self.commerce_reader(conn, p, cid).await?;
        let s = commerce::get_subscription(conn, sid)
            .await?
            .filter(|s| &s.customer_id == cid)
            .filter(|s| {
                reader.party().is_none_or(|me| {
                    s.reseller_organization_id == me || s.indirect_provider_id == me
                })
            })
            .ok_or_else(AppError::not_found)?;
        Ok((s, reader))
    }

    /// `GET /v1/customers/{cid}/subscriptions`.
    pub async fn list_subscriptions(
        &self,
        p: &Principal,
        cid: &OrgId,
        f: &SubscriptionFilters,
        page: &PageParams,
    ) -> AppResult<Page<Subscription>> {
        let mut conn = self.db().conn().await?;
        let (_, reader) = self.commerce_reader(&mut conn, p, cid).await?;
        let status = status_in(
            "/query/status",
            f.status.as_deref(),
            SubscriptionStatus::ALL,
        )?;
        let now = self.now();
        let start = paging::start(page, &format!("subscriptions{cid}{f:?}"), now)?;
        let q = SubscriptionQuery {
            customer_id: cid.to_owned(),
            party: reader.party(),
            status,
            offer_id: f.offer_id.clone(),
            product_family: f.product_family.clone(),
            indirect_provider_id: f.indirect_provider_id.clone(),
            reseller_organization_id: f.reseller_organization_id.clone(),
        };
        let rows = commerce::list_subscriptions(&mut conn, &q, &start.request).await?;
        let page = start.finish(rows, now, |s| (s.created_at, s.id.to_string()), |s| s);
        let mut items = Vec::with_capacity(page.items.len());
        for s in &page.items {
            items.push(self.subscription_view(&mut conn, s).await?);
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    /// `GET /v1/customers/{cid}/subscriptions/{sid}`.
    pub async fn get_subscription(
        &self,
        p: &Principal,
        cid: &OrgId,
        sid: &SubscriptionId,
    ) -> AppResult<Subscription> {
        let mut conn = self.db().conn().await?;
        let (s, _) = self.readable_subscription(&mut conn, p, cid, sid).await?;
        self.subscription_view(&mut conn, &s).await
    }

    /// `/customers/{cid}/subscriptions/{sid}` in the portal: the subscription and
    /// its latest 20 changes.
    pub async fn subscription_record(
        &self,
        p: &Principal,
        cid: &OrgId,
        sid: &SubscriptionId,
    ) -> AppResult<SubscriptionRecord> {
        let subscription = self.get_subscription(p, cid, sid).await?;
        let history = self
            .subscription_history(p, cid, sid, &PageParams::first(20))
            .await?;
        Ok(SubscriptionRecord {
            subscription,
            history,
        })
    }

    /// `GET /v1/customers/{cid}/subscriptions/{sid}/history`, newest first.
    pub async fn subscription_history(
        &self,
        p: &Principal,
        cid: &OrgId,
        sid: &SubscriptionId,
        page: &PageParams,
    ) -> AppResult<Page<SubscriptionChange>> {
        let mut conn = self.db().conn().await?;
        let (s, _) = self.readable_subscription(&mut conn, p, cid, sid).await?;
        let now = self.now();
        let start = paging::start(page, &format!("history{sid}"), now)?;
        let rows = commerce::list_changes(&mut conn, &s.id, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |c| (c.at, c.id.to_string()),
            |c| SubscriptionChange {
                at: c.at,
                by: ChangedBy {
                    organization_id: c.by_organization_id,
                    user_id: c.by_user_id,
                    api_key_id: c.by_api_key_id,
                },
                change: FieldChange {
                    field: c.field,
                    from: c.from_value,
                    to: c.to_value,
                },
            },
        ))
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
            return Err(AppError::conflict(
                Conflict::QuantityBelowAssigned,
                format!(
                    "{} licenses of {} are assigned and only {remaining} seats would remain; remove licenses first",
                    seats.assigned, before.offer_name
                ),
            ));
        }
        Ok(())
    }

    /// `PATCH /v1/customers/{cid}/subscriptions/{sid}` (If-Match required).
    pub async fn update_subscription(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        sid: &SubscriptionId,
        if_match: Option<&str>,
        input: AppResult<SubscriptionChanges>,
    ) -> AppResult<Subscription> {
        let mut tx = self.db().begin().await?;
        let (before, reader) = self.readable_subscription(&mut tx, p, cid, sid).await?;
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
        check_if_match(&etag(&before.id, before.version), if_match, true)?;
        let input = input?;
        let mut c = Collect::default();
        if input.quantity.is_none()
            && input.status.is_none()
            && input.auto_renew_enabled.is_none()
            && input.friendly_name.is_none()
        {
            c.0.push(FieldError::invalid(
                "",
                "send at least one of quantity, status, autoRenewEnabled, friendlyName",
            ));
        }
        // A partner may ask for these three; `expired` is the term's end, not a choice.
        let wanted = c
            .take(status_in(
                "/status",
                input.status.as_deref(),
                &[
                    SubscriptionStatus::Active,
                    SubscriptionStatus::Suspended,
                    SubscriptionStatus::Cancelled,
                ],
            ))
            .flatten();
        let friendly = input
            .friendly_name
            .as_deref()
            .and_then(|f| c.take(name("/friendlyName", f)));
        if operator
            && (input.quantity.is_some()
                || input.auto_renew_enabled.is_some()
                || input.friendly_name.is_some())
        {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "the operator changes only a subscription's status",
            ));
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        if before.status.is_terminal() {
            return Err(AppError::conflict(
                Conflict::SubscriptionCancelled,
                format!("the subscription is {}; it cannot change", before.status),
            ));
        }
        let mut after = before.clone();
        let reactivating = before.status == SubscriptionStatus::Suspended
            && wanted == Some(SubscriptionStatus::Active);
        let increasing = input.quantity.is_some_and(|q| q > before.quantity);
        if reactivating
            && before.suspended_by_organization_id.as_deref() != Some(p.organization.id.as_str())
            && !operator
            && organizations::get(
                &mut tx,
                &before
                    .suspended_by_organization_id
                    .clone()
                    .unwrap_or_else(|| OrgId::from_raw("")),
            )
            .await?
            .is_some_and(|o| o.kind == OrgKind::Operator)
        {
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
        if let Some(q) = input.quantity {
            let offer = offers::get(&mut tx, &before.offer_id).await?;
            let (min, max) = offer
                .as_ref()
                .map_or((1, i64::MAX), |o| (o.min_quantity, o.max_quantity));
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
            if before.status != SubscriptionStatus::Active {
                return Err(AppError::conflict(
                    Conflict::SubscriptionNotActive,
                    format!(
                        "the subscription is {}; reactivate it before changing the quantity",
                        before.status
                    ),
                ));
            }
            if increasing
                && offer
                    .as_ref()
                    .is_none_or(|o| o.status != OfferStatus::Available)
            {
                return Err(AppError::conflict(
                    Conflict::OfferNotAvailable,
                    format!(
                        "{} is no longer available; its quantity cannot grow",
                        before.offer_name
                    ),
                ));
            }
            after.quantity = q;
        }
        let now = self.now();
        if let Some(s) = wanted
            && s != before.status
        {
            after.status = before.status.move_to(s)?;
            match s {
                SubscriptionStatus::Suspended => {
                    after.suspended_by_organization_id = Some(p.organization.id.clone());
                    after.suspended_reason = None;
                }
                SubscriptionStatus::Active => {
                    after.suspended_by_organization_id = None;
                    after.suspended_reason = None;
                }
                _ => {
                    after.cancelled_at = Some(now);
                    after.suspended_by_organization_id = None;
                }
            }
        }
        if let Some(a) = input.auto_renew_enabled {
            after.auto_renew = a;
        }
        if input.friendly_name.is_some() {
            after.friendly_name = friendly;
        }
        self.check_seats_after(&mut tx, &before, &after).await?;
        let extra = if after.status == SubscriptionStatus::Active {
            let was = if before.status == SubscriptionStatus::Active {
                before.quantity
            } else {
                0
            };
            after
                .unit_price
                .checked_mul((after.quantity - was).max(0))?
        } else {
            Money::zero(after.unit_price.currency())
        };
        if extra.minor() > 0 && !operator {
            self.check_credit(
                &mut tx,
                &before.indirect_provider_id,
                &before.reseller_organization_id,
                extra,
            )
            .await?;
        }
        after.updated_at = now;
        crate::error::written(commerce::update_subscription(&mut tx, &after).await?)?;
        after.version += 1;
        let (user_id, key_id) = match &p.credential {
            Credential::Session { .. } => (p.user.as_ref().map(|u| u.id.clone()), None),
            Credential::ApiKey { id, .. } => (None, Some(id.clone())),
        };
        let changes = [
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
        ];
        for (field, from, to) in changes.into_iter().filter(|(_, a, b)| a != b) {
            commerce::insert_change(
                &mut tx,
                &ChangeRow {
                    id: SubscriptionChangeId::generate(),
                    subscription_id: after.id.clone(),
                    at: now,
                    by_organization_id: Some(p.organization.id.clone()),
                    by_user_id: user_id.clone(),
                    by_api_key_id: key_id.clone(),
                    field: field.into(),
                    from_value: Some(from),
                    to_value: Some(to),
                },
            )
            .await?;
        }
        let customer = organizations::get(&mut tx, cid).await?.ok_or_else(|| {
            AppError::internal("organizations::get found no row where one must exist")
        })?;
        let view = self.subscription_view(&mut tx, &after).await?;
        let before_view = self.subscription_view(&mut tx, &before).await?;
        let mut entry = Entry::new(
            Actor::Principal(p),
            "subscription",
            Some(after.id.clone()),
            "updateSubscription",
        )
        .participant(cid)
        .participant(&after.reseller_organization_id)
        .participant(&after.indirect_provider_id)
        .before(before_view)
        .after(&view);
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
        self.commit_change(tx, ctx, now, entry, vec![changed.with(&view)])
            .await?;
        Ok(view)
    }

    /// One pass of the term-end job: subscriptions whose term ended renew for a new
    /// term at the offer's current price (auto-renew on, offer available) or expire.
    /// Returns (renewed, expired).
    pub async fn run_subscription_terms_once(&self) -> AppResult<(usize, usize)> {
        let now = self.now();
        let due = {
            let mut conn = self.db().conn().await?;
            commerce::due_for_term_end(&mut conn, now, 200).await?
        };
        let (mut renewed, mut expired) = (0, 0);
        for s in due {
            let mut tx = self.db().begin().await?;
            let offer = offers::get(&mut tx, &s.offer_id).await?;
            let mut after = s.clone();
            let renew = s.auto_renew
                && offer
                    .as_ref()
                    .is_some_and(|o| o.status == OfferStatus::Available);
            if renew {
                let o = offer
                    .as_ref()
                    .ok_or_else(|| AppError::internal("the subscription's offer is missing"))?;
                after.unit_price = o.unit_price;
                // Terms follow each other without gaps, however late the job runs.
                while after.commitment_end <= now {
                    after.term_start = after.commitment_end;
                    after.commitment_end = term_end(after.term_start, &after.billing_cycle);
                }
            } else {
                after.status = s.status.expire()?;
            }
            after.updated_at = now;
            if !commerce::update_subscription(&mut tx, &after).await? {
                continue;
            }
            let (field, from, to) = if renew {
                (
                    "commitmentEndDate",
                    s.commitment_end.to_string(),
                    after.commitment_end.to_string(),
                )
            } else {
                ("status", s.status.to_string(), after.status.to_string())
            };
            commerce::insert_change(
                &mut tx,
                &ChangeRow {
                    id: SubscriptionChangeId::generate(),
                    subscription_id: s.id.clone(),
                    at: now,
                    by_organization_id: None,
                    by_user_id: None,
                    by_api_key_id: None,
                    field: field.into(),
                    from_value: Some(from),
                    to_value: Some(to),
                },
            )
            .await?;
            let entry = Entry::new(
                Actor::System("subscription-terms"),
                "subscription",
                Some(s.id.clone()),
                if renew {
                    "renewSubscription"
                } else {
                    "expireSubscription"
                },
            )
            .participant(&s.customer_id)
            .participant(&s.reseller_organization_id)
            .participant(&s.indirect_provider_id);
            let view = self.subscription_view(&mut tx, &after).await?;
            let changed = Event {
                event_type: if renew {
                    "subscription.renewed"
                } else {
                    "subscription.expired"
                },
                resource_type: "subscription",
                resource_id: &s.id,
                resource_url: crate::urls::subscription(&s.customer_id, &s.id),
                participants: vec![
                    &s.customer_id,
                    &s.reseller_organization_id,
                    &s.indirect_provider_id,
                ],
            };
            self.commit_change(tx, &Ctx::default(), now, entry, vec![changed.with(&view)])
                .await?;
            if renew {
                renewed += 1;
            } else {
                expired += 1;
            }
        }
        Ok((renewed, expired))
    }
}
