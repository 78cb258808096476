//! Subscriptions (API.md §10.2, API-billing.md §4): what a subscription is, as
//! each reader may see it, its lists and its change history. Changing one is
//! `subscription_update.rs`; its system transitions are `lifecycle.rs`.

use crate::filters::status_in;
use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{
    ApiKeyId, OrderId, OrgId, SubscriptionChangeId, SubscriptionId, UserId,
};
use partnerd_domain::money::{Money, TierPrices};
use partnerd_domain::states::SubscriptionStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::Conn;
use partnerd_store::commerce::{self, ChangeRow, SubscriptionQuery, SubscriptionRow};
use serde::Serialize;
use utoipa::ToSchema;

use super::Reader;
use super::lifecycle::{next_charge_date, scheduled_status_change};
use super::window::{RefundableQuantity, refundable};
use crate::crypto::etag;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Credential, Principal};

/// Who suspended a subscription, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedBy {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub reason: Option<String>,
}

/// The locked per-seat, per-period prices a reader may see: a tier is shown to
/// its seller and its buyer only (the operator sees all); hidden tiers are absent.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionPrices {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_to_provider: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_to_reseller: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseller_to_customer: Option<Money>,
}

/// A billing period of the current term.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingPeriod {
    pub start: Date,
    pub end: Date,
    /// Days from `start` to `end`, both included.
    pub days: i64,
}

/// What the next term will be (API-billing.md §4.5).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextTermInstructions {
    pub offer_id: String,
    pub term_duration: String,
    pub billing_frequency: String,
    pub quantity: i64,
}

/// The next system transition.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledStatusChange {
    /// `active` = renewal or trial conversion.
    pub status: SubscriptionStatus,
    pub at: Timestamp,
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
    /// v1: `prices.providerToReseller` (a customer sees `resellerToCustomer`).
    pub unit_price: Money,
    /// v1: `monthly`, `annual`, `triennial` (P3Y upfront) or `none` (trial).
    pub billing_cycle: String,
    /// `P1M`, `P1Y`, `P3Y`; a trial `P{days}D`.
    pub term_duration: String,
    /// `monthly`, `annual`, `upfront`; a trial `none`.
    pub billing_frequency: String,
    /// `active`, `suspended`, `expired`, `disabled`, `deleted`; open enum.
    pub status: SubscriptionStatus,
    pub auto_renew_enabled: bool,
    /// The instant the term began (purchase, renewal or conversion).
    pub term_start_date: Timestamp,
    /// `TE`: the term's last day.
    pub term_end_date: Date,
    /// `τ`: the instant after the term's last day, when it renews or ends.
    pub commitment_end_date: Timestamp,
    pub current_billing_period: Option<BillingPeriod>,
    pub next_charge_date: Option<Date>,
    pub is_trial: bool,
    #[schema(value_type = Option<String>)]
    pub source_subscription_id: Option<SubscriptionId>,
    pub prices: SubscriptionPrices,
    pub refundable_quantity: RefundableQuantity,
    pub scheduled_next_term_instructions: Option<NextTermInstructions>,
    pub scheduled_status_change: Option<ScheduledStatusChange>,
    #[schema(value_type = String)]
    pub reseller_organization_id: OrgId,
    #[schema(value_type = String)]
    pub indirect_provider_id: OrgId,
    pub suspended_by: Option<SuspendedBy>,
    pub cancelled_at: Option<Timestamp>,
    pub disabled_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
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
    /// Its offer's upgrade targets, for a partner who may change it.
    pub upgrades: Vec<super::UpgradeOption>,
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

/// Whose eyes a subscription is shown to: which price tiers it may carry.
#[derive(Debug, Clone)]
pub(crate) enum Viewer {
    /// Every tier.
    Operator,
    /// The tiers this organisation sells or buys in.
    Organization(OrgId),
    /// An audit record or event snapshot read by several parties: v1's price only.
    Snapshot,
}

impl Viewer {
    pub(crate) fn of(reader: &Reader, customer: &OrgId) -> Self {
        match reader {
            Reader::Operator => Self::Operator,
            Reader::Customer => Self::Organization(customer.clone()),
            Reader::Partner(id) => Self::Organization(id.clone()),
        }
    }

    fn prices(&self, s: &SubscriptionRow, p: &TierPrices) -> SubscriptionPrices {
        let all = SubscriptionPrices {
            operator_to_provider: Some(p.operator_to_provider),
            provider_to_reseller: Some(p.provider_to_reseller),
            reseller_to_customer: Some(p.reseller_to_customer),
        };
        match self {
            Self::Operator => all,
            Self::Snapshot => SubscriptionPrices {
                provider_to_reseller: Some(p.provider_to_reseller),
                ..SubscriptionPrices::default()
            },
            Self::Organization(me) => SubscriptionPrices {
                operator_to_provider: all
                    .operator_to_provider
                    .filter(|_| me == &s.indirect_provider_id),
                provider_to_reseller: all
                    .provider_to_reseller
                    .filter(|_| me == &s.indirect_provider_id || me == &s.reseller_organization_id),
                reseller_to_customer: all
                    .reseller_to_customer
                    .filter(|_| me == &s.reseller_organization_id || me == &s.customer_id),
            },
        }
    }

    /// v1 `unitPrice`: the customer sees its own price.
    fn unit_price(&self, s: &SubscriptionRow) -> Money {
        match self {
            Self::Organization(me) if me == &s.customer_id => s.prices.reseller_to_customer,
            _ => s.prices.provider_to_reseller,
        }
    }
}

impl App {
    pub(crate) async fn subscription_view(
        &self,
        conn: &mut Conn,
        s: &SubscriptionRow,
        viewer: &Viewer,
    ) -> AppResult<Subscription> {
        let assigned = commerce::seats(conn, &s.customer_id, Some(&s.offer_id))
            .await?
            .first()
            .map_or(0, |x| x.assigned);
        let now = self.now();
        let batches = if s.status.holds_seats() {
            commerce::seat_batches(conn, &s.id).await?
        } else {
            Vec::new()
        };
        let current_billing_period = if s.status.holds_seats() {
            s.term().period_on(Date::of(now)).map(|p| BillingPeriod {
                start: p.start,
                end: p.end,
                days: p.days_from(p.start),
            })
        } else {
            None
        };
        Ok(Subscription {
            id: s.id.clone(),
            customer_id: s.customer_id.clone(),
            order_id: s.order_id.clone(),
            offer_id: s.offer_id.clone(),
            offer_name: s.offer_name.clone(),
            product_family: s.product_family.clone(),
            friendly_name: s.friendly_name.clone(),
            quantity: s.quantity,
            unit_price: viewer.unit_price(s),
            billing_cycle: s.plan.billing_cycle().to_owned(),
            term_duration: s.plan.term_duration(),
            billing_frequency: s.plan.billing_frequency().to_owned(),
            status: s.status,
            auto_renew_enabled: s.auto_renew,
            term_start_date: s.term_start,
            term_end_date: s.term_end_date,
            commitment_end_date: s.commitment_end,
            current_billing_period,
            next_charge_date: next_charge_date(s),
            is_trial: s.plan.is_trial(),
            source_subscription_id: s.source_subscription_id.clone(),
            prices: viewer.prices(s, &s.prices),
            refundable_quantity: refundable(&batches, now),
            scheduled_next_term_instructions: s.scheduled.as_ref().map(|i| NextTermInstructions {
                offer_id: i.offer_id.clone(),
                term_duration: i.plan.term.as_str().to_owned(),
                billing_frequency: i.plan.frequency.as_str().to_owned(),
                quantity: i.quantity,
            }),
            scheduled_status_change: scheduled_status_change(s)
                .map(|(status, at)| ScheduledStatusChange { status, at }),
            reseller_organization_id: s.reseller_organization_id.clone(),
            indirect_provider_id: s.indirect_provider_id.clone(),
            suspended_by: s.suspended_by_organization_id.clone().map(|o| SuspendedBy {
                organization_id: o,
                reason: s.suspended_reason.clone(),
            }),
            cancelled_at: s.cancelled_at,
            disabled_at: s.disabled_at,
            deleted_at: s.deleted_at,
            assigned_licenses: assigned,
            created_at: s.created_at,
            etag: etag(&s.id, s.version),
        })
    }

    pub(crate) async fn readable_subscription(
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

    /// A command's first step: the subscription as the reader may see it, held for
    /// the command's transaction. The caller applied its due system events first
    /// ([`App::apply_due_events_of`]).
    pub(crate) async fn subscription_for_change(
        &self,
        tx: &mut Conn,
        p: &Principal,
        cid: &OrgId,
        sid: &SubscriptionId,
    ) -> AppResult<(SubscriptionRow, Reader)> {
        let (_, reader) = self.readable_subscription(tx, p, cid, sid).await?;
        let locked = commerce::lock_subscription(tx, self.db().backend(), sid)
            .await?
            .ok_or_else(AppError::not_found)?;
        Ok((locked, reader))
    }

    /// Applies the subscription's due system events in a transaction of their own,
    /// committed before the command that asked runs: the command then judges the
    /// subscription as it stands, and a refused command (a stale ETag) leaves the
    /// events applied, so the client's next read shows them.
    pub(crate) async fn apply_due_events_of(&self, sid: &SubscriptionId) -> AppResult<()> {
        let now = self.now();
        let due = {
            let mut conn = self.db().conn().await?;
            commerce::get_subscription(&mut conn, sid)
                .await?
                .is_some_and(|s| s.next_event_at.is_some_and(|t| t <= now))
        };
        if !due {
            return Ok(());
        }
        let mut tx = self.db().begin().await?;
        if let Some(s) = commerce::lock_subscription(&mut tx, self.db().backend(), sid).await? {
            self.apply_due_events(&mut tx, s).await?;
        }
        partnerd_store::commit(tx).await?;
        Ok(())
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
        // v1's `cancelled` still filters: the subscriptions a cancel deleted.
        let cancelled = f.status.as_deref() == Some("cancelled");
        let status = if cancelled {
            Some(SubscriptionStatus::Deleted)
        } else {
            status_in(
                "/query/status",
                f.status.as_deref(),
                SubscriptionStatus::ALL,
            )
            .map_err(|e| {
                AppError::field(partnerd_domain::FieldError::invalid(
                    e.pointer,
                    format!("{} (or cancelled: deleted by a cancel)", e.message),
                ))
            })?
        };
        let now = self.now();
        let start = paging::start(page, &format!("subscriptions{cid}{f:?}"), now)?;
        let q = SubscriptionQuery {
            customer_id: cid.to_owned(),
            party: reader.party(),
            status,
            cancelled,
            offer_id: f.offer_id.clone(),
            product_family: f.product_family.clone(),
            indirect_provider_id: f.indirect_provider_id.clone(),
            reseller_organization_id: f.reseller_organization_id.clone(),
        };
        let rows = commerce::list_subscriptions(&mut conn, &q, &start.request).await?;
        let page = start.finish(rows, now, |s| (s.created_at, s.id.to_string()), |s| s);
        let viewer = Viewer::of(&reader, cid);
        let mut items = Vec::with_capacity(page.items.len());
        for s in &page.items {
            items.push(self.subscription_view(&mut conn, s, &viewer).await?);
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
        let (s, reader) = self.readable_subscription(&mut conn, p, cid, sid).await?;
        self.subscription_view(&mut conn, &s, &Viewer::of(&reader, cid))
            .await
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
        let partner = subscription.reseller_organization_id == p.organization.id
            || subscription.indirect_provider_id == p.organization.id;
        let upgrades = if partner && p.may(partnerd_domain::policy::Action::PlaceOrders) {
            self.subscription_upgrades(p, cid, sid).await?
        } else {
            Vec::new()
        };
        Ok(SubscriptionRecord {
            subscription,
            history,
            upgrades,
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
}

/// Writes the history entries of a change by `p`.
pub(crate) async fn record_history(
    tx: &mut Conn,
    p: &Principal,
    sid: &SubscriptionId,
    at: Timestamp,
    changes: Vec<(&str, String, String)>,
) -> AppResult<()> {
    let (user_id, key_id) = match &p.credential {
        Credential::Session { .. } => (p.user.as_ref().map(|u| u.id.clone()), None),
        Credential::ApiKey { id, .. } => (None, Some(id.clone())),
    };
    for (field, from, to) in changes.into_iter().filter(|(_, a, b)| a != b) {
        commerce::insert_change(
            tx,
            &ChangeRow {
                id: SubscriptionChangeId::generate(),
                subscription_id: sid.clone(),
                at,
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
    Ok(())
}
