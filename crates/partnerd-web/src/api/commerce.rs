//! Commerce (API.md §10, §9.3): orders, subscriptions and licenses of a customer.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use partnerd_app::commerce::{
    ConvertInput, CustomTermEndDate, CustomTermEndDateQuery, InstructionsInput, LicenseUpdate,
    LicenseUpdateResult, LineInput, Order, OrderFilters, OrderInput, SubscribedSku, Subscription,
    SubscriptionChange, SubscriptionChanges, SubscriptionFilters, UpgradeInput, UpgradeOption,
    Upgraded, UserLicense,
};
use partnerd_domain::ids::{OrderId, OrgId, SubscriptionId, UserId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created, ok_with_etag, whole};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, orders))
        .routes(routes!(order))
        .routes(routes!(subscriptions))
        .routes(routes!(subscription, update_subscription))
        .routes(routes!(history))
        .routes(routes!(custom_term_end_dates))
        .routes(routes!(upgrades, upgrade))
        .routes(routes!(convert))
        .routes(routes!(subscribed_skus))
        .routes(routes!(user_licenses))
        .routes(routes!(license_updates))
}

/// One line of a new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineItemRequest {
    /// 0..n-1, unique within the order.
    pub line_item_number: i64,
    pub offer_id: String,
    pub quantity: i64,
    pub friendly_name: Option<String>,
    /// `P1M`, `P1Y` or `P3Y`; absent: the offer's default term.
    pub term_duration: Option<String>,
    /// `monthly`, `annual` or `upfront`; only with `termDuration`.
    pub billing_frequency: Option<String>,
    /// `YYYY-MM-DD`: end the first term on this day (coterminous), its last
    /// period prorated; see `GET …/customtermenddates`.
    pub custom_term_end_date: Option<String>,
    /// A trial of the offer (offers with a trial; without the members above).
    pub trial: Option<bool>,
}

/// A new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRequest {
    /// 1–50 lines.
    pub line_items: Vec<LineItemRequest>,
    /// Reseller caller: the supplying provider (required with several).
    pub indirect_provider_id: Option<String>,
    /// Provider caller: the reseller of record (required).
    pub reseller_organization_id: Option<String>,
}

/// Order for a customer (the reseller of record or its indirect provider; AA, SA).
/// Checks, first failure wins: validation, plans, trials, dates (422) → customer
/// relationship (404) → supplying relationship (403 `relationship_required`) →
/// authorisation (403 `provider_not_authorized`) → availability (409
/// `offer_not_available`) → quantities (422 `quantity_out_of_range`) → custom end
/// date (422 `custom_term_end_date_invalid`) → trial used (409 `trial_already_used`)
/// → add-on prerequisite (409 `prerequisite_required`) → per-customer seat cap (409
/// `customer_seat_limit_exceeded`, with `remainingQuantity`) → credit (409
/// `credit_limit_exceeded`).
#[utoipa::path(post, path = "/v1/customers/{customerId}/orders", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path)), request_body = OrderRequest, extensions(("x-partnerd-action" = json!("placeOrders"))),
    responses((status = 201, body = Order), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "offer_not_available, trial_already_used, prerequisite_required, customer_seat_limit_exceeded, credit_limit_exceeded", body = Problem),
        (status = 422, description = "validation_failed, quantity_out_of_range, custom_term_end_date_invalid", body = Problem)))]
pub async fn create_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(customer_id): Path<OrgId>,
    body: ApiBody<OrderRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| OrderInput {
        line_items: b
            .line_items
            .into_iter()
            .map(|l| LineInput {
                line_item_number: l.line_item_number,
                offer_id: l.offer_id,
                quantity: l.quantity,
                friendly_name: l.friendly_name,
                term_duration: l.term_duration,
                billing_frequency: l.billing_frequency,
                custom_term_end_date: l.custom_term_end_date,
                trial: l.trial,
            })
            .collect(),
        indirect_provider_id: b.indirect_provider_id.map(OrgId::from_raw),
        reseller_organization_id: b.reseller_organization_id.map(OrgId::from_raw),
    });
    let o = s.app.create_order(&p, &ctx, &customer_id, input).await?;
    Ok(created(
        partnerd_app::urls::order(&customer_id, &o.id),
        Some(&o.etag.clone()),
        o,
    ))
}

/// Filters of the order list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    pub status: Option<String>,
    /// RFC 3339; orders at or after.
    pub created_from: Option<String>,
    /// RFC 3339; orders before.
    pub created_to: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The customer's orders the caller placed or supplies (all for the operator and
/// the customer), newest first.
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), OrderListQuery), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Collection<Order>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn orders(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(customer_id): Path<OrgId>,
    ApiQuery(q): ApiQuery<OrderListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    let f = OrderFilters {
        status: q.status,
        created_from: q.created_from,
        created_to: q.created_to,
    };
    Ok(Json(s.app.list_orders(&p, &customer_id, &f, &paging).await?).into_response())
}

/// One order.
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders/{orderId}", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("orderId" = String, Path)), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Order), (status = 404, body = Problem)))]
pub async fn order(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((customer_id, order_id)): Path<(OrgId, OrderId)>,
) -> ApiResult<Response> {
    let o = s.app.get_order(&p, &customer_id, &order_id).await?;
    Ok(ok_with_etag(&o.etag.clone(), o))
}

/// Filters of the subscription list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SubscriptionListQuery {
    /// `active`, `suspended`, `cancelled`, `expired`.
    pub status: Option<String>,
    pub offer_id: Option<String>,
    pub product_family: Option<String>,
    pub indirect_provider_id: Option<String>,
    pub reseller_organization_id: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The customer's subscriptions the caller is reseller of record for or supplies
/// (all for the operator and the customer's GA), newest first.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), SubscriptionListQuery), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Collection<Subscription>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn subscriptions(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(customer_id): Path<OrgId>,
    ApiQuery(q): ApiQuery<SubscriptionListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    let f = SubscriptionFilters {
        status: q.status,
        offer_id: q.offer_id,
        product_family: q.product_family,
        indirect_provider_id: q.indirect_provider_id.map(OrgId::from_raw),
        reseller_organization_id: q.reseller_organization_id.map(OrgId::from_raw),
    };
    Ok(Json(
        s.app
            .list_subscriptions(&p, &customer_id, &f, &paging)
            .await?,
    )
    .into_response())
}

/// One subscription.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Subscription), (status = 404, body = Problem)))]
pub async fn subscription(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((customer_id, sid)): Path<(OrgId, SubscriptionId)>,
) -> ApiResult<Response> {
    let sub = s.app.get_subscription(&p, &customer_id, &sid).await?;
    Ok(ok_with_etag(&sub.etag.clone(), sub))
}

/// The next term's instructions: all four members.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstructionsRequest {
    pub offer_id: Option<String>,
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    pub quantity: Option<i64>,
}

/// Absent stays `None`; `null` becomes `Some(None)`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a subscription; only the members sent change, one status change at a time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionChangesRequest {
    pub quantity: Option<i64>,
    /// `active` (reactivate), `suspended`, or `deleted` (cancel inside the
    /// 7-day window, with a refund; v1's `cancelled` means the same).
    pub status: Option<String>,
    pub auto_renew_enabled: Option<bool>,
    pub friendly_name: Option<String>,
    /// What the next term will be; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable)]
    pub scheduled_next_term_instructions: Option<Option<InstructionsRequest>>,
}

/// Change quantity, status, auto-renew, friendly name or the next term's
/// instructions (If-Match required; AA, SA of the reseller of record or supplier;
/// the operator's GA: status only). Seats can be removed, and the subscription
/// cancelled, only within 168 hours of being added (API-billing.md §4.3–§4.5).
#[utoipa::path(patch, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)), request_body = SubscriptionChangesRequest,
    extensions(("x-partnerd-action" = json!("placeOrders"))),
    responses((status = 200, body = Subscription), (status = 403, description = "forbidden, relationship_required", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "subscription_cancelled, trial_change_not_allowed, subscription_not_active, cancellation_window_closed (with refundableQuantity), quantity_below_assigned, offer_not_available, customer_seat_limit_exceeded, credit_limit_exceeded, auto_renew_disabled, upgrade_not_allowed", body = Problem),
        (status = 412, body = Problem), (status = 422, description = "validation_failed, quantity_out_of_range", body = Problem),
        (status = 428, body = Problem)))]
pub async fn update_subscription(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path((customer_id, sid)): Path<(OrgId, SubscriptionId)>,
    body: ApiBody<SubscriptionChangesRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| SubscriptionChanges {
        quantity: b.quantity,
        status: b.status,
        auto_renew_enabled: b.auto_renew_enabled,
        friendly_name: b.friendly_name,
        scheduled_next_term_instructions: b.scheduled_next_term_instructions.map(|i| {
            i.map(|i| InstructionsInput {
                offer_id: i.offer_id,
                term_duration: i.term_duration,
                billing_frequency: i.billing_frequency,
                quantity: i.quantity,
            })
        }),
    });
    let sub = s
        .app
        .update_subscription(&p, &ctx, &customer_id, &sid, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&sub.etag.clone(), sub))
}

/// The subscription's upgrade targets and whether each can be taken now (the
/// reason is the code a `POST` would answer).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Collection<UpgradeOption>), (status = 404, body = Problem)))]
pub async fn upgrades(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((customer_id, sid)): Path<(OrgId, SubscriptionId)>,
) -> ApiResult<Json<Collection<UpgradeOption>>> {
    Ok(Json(whole(
        s.app.subscription_upgrades(&p, &customer_id, &sid).await?,
    )))
}

/// An upgrade: all seats (the subscription itself moves) or some (a new one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpgradeRequest {
    pub target_offer_id: String,
    /// Default: every seat.
    pub quantity: Option<i64>,
}

/// Move the subscription, or some of its seats, to one of its offer's upgrade
/// targets for the rest of the term (If-Match required; AA, SA). Checks in
/// API-billing.md §4.7's order.
#[utoipa::path(post, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)), request_body = UpgradeRequest,
    extensions(("x-partnerd-action" = json!("placeOrders"))),
    responses((status = 200, body = Upgraded), (status = 403, description = "forbidden, relationship_required", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "subscription_cancelled, subscription_not_active, trial_change_not_allowed, upgrade_not_allowed, offer_not_available, quantity_below_assigned, prerequisite_required, customer_seat_limit_exceeded, credit_limit_exceeded", body = Problem),
        (status = 412, body = Problem), (status = 422, description = "validation_failed, quantity_out_of_range", body = Problem),
        (status = 428, body = Problem)))]
pub async fn upgrade(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path((customer_id, sid)): Path<(OrgId, SubscriptionId)>,
    body: ApiBody<UpgradeRequest>,
) -> ApiResult<Json<Upgraded>> {
    let input = body.parse().map(|b| UpgradeInput {
        target_offer_id: b.target_offer_id,
        quantity: b.quantity,
    });
    Ok(Json(
        s.app
            .upgrade_subscription(&p, &ctx, &customer_id, &sid, if_match.as_deref(), input)
            .await?,
    ))
}

/// A trial's conversion to a paid term.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConvertRequest {
    /// Default: the offer's default term.
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    /// Default and minimum: the trial's seats.
    pub quantity: Option<i64>,
}

/// Convert a trial now: a paid term from today at this month's prices, with a
/// fresh 7-day window (If-Match required; AA, SA).
#[utoipa::path(post, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/convert", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)), request_body = ConvertRequest,
    extensions(("x-partnerd-action" = json!("placeOrders"))),
    responses((status = 200, body = Subscription), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "subscription_cancelled, invalid_state (not a trial), customer_seat_limit_exceeded, credit_limit_exceeded", body = Problem),
        (status = 412, body = Problem), (status = 422, description = "validation_failed, quantity_out_of_range", body = Problem),
        (status = 428, body = Problem)))]
pub async fn convert(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path((customer_id, sid)): Path<(OrgId, SubscriptionId)>,
    body: ApiBody<ConvertRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| ConvertInput {
        term_duration: b.term_duration,
        billing_frequency: b.billing_frequency,
        quantity: b.quantity,
    });
    let sub = s
        .app
        .convert_trial(&p, &ctx, &customer_id, &sid, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&sub.etag.clone(), sub))
}

/// Query of the custom term end dates.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CustomTermEndDatesQuery {
    /// `P1M`, `P1Y` or `P3Y` (or the offer's default term).
    pub term_duration: Option<String>,
    pub offer_id: Option<String>,
}

/// The days a new term bought today may end on instead of its natural end: each
/// month's last day up to it, and the term ends of the customer's active paid
/// subscriptions you are party to (for P1Y and P3Y terms only P1Y and P3Y ones).
/// Ascending, not paged.
#[utoipa::path(get, path = "/v1/customers/{customerId}/customtermenddates", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), CustomTermEndDatesQuery), extensions(("x-partnerd-action" = json!("placeOrders"))),
    responses((status = 200, body = Collection<CustomTermEndDate>), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn custom_term_end_dates(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(customer_id): Path<OrgId>,
    ApiQuery(q): ApiQuery<CustomTermEndDatesQuery>,
) -> ApiResult<Json<Collection<CustomTermEndDate>>> {
    let q = CustomTermEndDateQuery {
        term_duration: q.term_duration,
        offer_id: q.offer_id,
    };
    Ok(Json(whole(
        s.app.custom_term_end_dates(&p, &customer_id, &q).await?,
    )))
}

/// The subscription's changes, newest first.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/history", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("subscriptionId" = String, Path), PageQuery), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Collection<SubscriptionChange>), (status = 404, body = Problem)))]
pub async fn history(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((customer_id, sid)): Path<(OrgId, SubscriptionId)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .subscription_history(&p, &customer_id, &sid, &q.params())
            .await?,
    )
    .into_response())
}

/// Seats per offer: total, assigned, available, suspended (no delegated admin needed).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscribedskus", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path)), extensions(("x-partnerd-action" = json!("readCommerce"))),
    responses((status = 200, body = Collection<SubscribedSku>), (status = 404, body = Problem)))]
pub async fn subscribed_skus(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(customer_id): Path<OrgId>,
) -> ApiResult<Response> {
    Ok(Json(whole(s.app.subscribed_skus(&p, &customer_id).await?)).into_response())
}

/// A customer user's licenses (AA, HA; delegated admin required).
#[utoipa::path(get, path = "/v1/customers/{customerId}/users/{userId}/licenses", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("userId" = String, Path)), extensions(("x-partnerd-action" = json!("readCustomerUsers"))),
    responses((status = 200, body = Collection<UserLicense>), (status = 403, description = "delegated_admin_required", body = Problem), (status = 404, body = Problem)))]
pub async fn user_licenses(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((customer_id, user_id)): Path<(OrgId, UserId)>,
) -> ApiResult<Response> {
    Ok(Json(whole(
        s.app.user_licenses(&p, &customer_id, &user_id).await?,
    ))
    .into_response())
}

/// An offer to assign or remove.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseRef {
    pub offer_id: String,
}

/// Licenses to assign and to remove (at least one; no offer in both).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseUpdateRequest {
    #[serde(default)]
    pub licenses_to_assign: Vec<LicenseRef>,
    #[serde(default)]
    pub licenses_to_remove: Vec<LicenseRef>,
}

/// Assign and remove a user's licenses, all or nothing (AA; HA for offers without
/// `requiresAdminAgent`; delegated admin required).
#[utoipa::path(post, path = "/v1/customers/{customerId}/users/{userId}/licenseupdates", tag = "Commerce", security(("bearer" = [])),
    params(("customerId" = String, Path), ("userId" = String, Path)), request_body = LicenseUpdateRequest,
    extensions(("x-partnerd-action" = json!("manageLicenses"))),
    responses((status = 200, body = LicenseUpdateResult), (status = 403, description = "requires_admin_agent, delegated_admin_required", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "license_quota_exceeded", body = Problem), (status = 422, body = Problem)))]
pub async fn license_updates(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path((customer_id, user_id)): Path<(OrgId, UserId)>,
    body: ApiBody<LicenseUpdateRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| LicenseUpdate {
        assign: b
            .licenses_to_assign
            .into_iter()
            .map(|l| l.offer_id)
            .collect(),
        remove: b
            .licenses_to_remove
            .into_iter()
            .map(|l| l.offer_id)
            .collect(),
    });
    Ok(Json(
        s.app
            .update_licenses(&p, &ctx, &customer_id, &user_id, input)
            .await?,
    )
    .into_response())
}
