//! `/v1/repricingconfigs`, `/v1/chargelines` and the unbilled charges: the
//! sellers' prices per tier and the ledger every sale writes (API-billing.md §5–§6).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::billing::{
    ChargeLine, ChargeLineFilters, PriceOverrideInput, PriceSheet, PriceSheetFilters,
    RepricingConfig, RepricingConfigChanges, RepricingConfigFilters, RepricingConfigInput,
};
use partnerd_domain::ids::{ChargeLineId, RepricingConfigId};
use partnerd_domain::money::PercentageInput;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_configs, create_config))
        .routes(routes!(get_config, update_config, delete_config))
        .routes(routes!(list_lines))
        .routes(routes!(get_line))
        .routes(routes!(list_unbilled))
        .routes(routes!(unbilled_csv))
        .routes(routes!(price_sheet))
}

/// Filters of the price lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ConfigListQuery {
    /// `providerToReseller` or `resellerToCustomer`.
    pub tier: Option<String>,
    /// A buyer's id, or `default` for the configs of buyers without their own.
    pub buyer_organization_id: Option<String>,
    /// `YYYY-MM`.
    pub effective_from: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The caller's price lists: defaults first, then by buyer, newest month first.
#[utoipa::path(get, path = "/v1/repricingconfigs", tag = "Billing", security(("bearer" = [])), params(ConfigListQuery),
    extensions(("x-partnerd-action" = json!("readRepricingConfigs"))),
    responses((status = 200, body = Collection<RepricingConfig>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_configs(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ConfigListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    let f = RepricingConfigFilters {
        tier: q.tier,
        buyer_organization_id: q.buyer_organization_id,
        effective_from: q.effective_from,
    };
    Ok(Json(s.app.list_repricing_configs(&p, &f, &page).await?).into_response())
}

/// One override: a condition (`{offerId}` or `{productFamily}`) and its percentage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverrideRequest {
    pub condition: ConditionRequest,
    pub adjustment: PercentageInput,
}

/// Exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionRequest {
    pub offer_id: Option<String>,
    pub product_family: Option<String>,
}

impl From<OverrideRequest> for PriceOverrideInput {
    fn from(o: OverrideRequest) -> Self {
        Self {
            condition: partnerd_app::billing::OverrideCondition {
                offer_id: o.condition.offer_id,
                product_family: o.condition.product_family,
            },
            adjustment: o.adjustment,
        }
    }
}

/// A new price list for a future month.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigRequest {
    /// `providerToReseller` (providers) or `resellerToCustomer` (resellers).
    pub tier: String,
    /// The reseller or customer; absent or null: the default for buyers without
    /// their own.
    pub buyer_organization_id: Option<String>,
    /// `YYYY-MM`, after the current month.
    pub effective_from: String,
    /// The percentage over your cost.
    pub adjustment: Option<PercentageInput>,
    /// Up to 100; the first that matches an offer gives its percentage.
    pub overrides: Option<Vec<OverrideRequest>>,
}

/// Create a price list (seller global and billing admins).
#[utoipa::path(post, path = "/v1/repricingconfigs", tag = "Billing", security(("bearer" = [])),
    request_body = ConfigRequest, extensions(("x-partnerd-action" = json!("manageRepricingConfigs"))),
    responses((status = 201, body = RepricingConfig), (status = 403, description = "forbidden, relationship_required", body = Problem),
        (status = 409, description = "price_period_locked, conflict", body = Problem), (status = 422, body = Problem)))]
pub async fn create_config(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<ConfigRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| RepricingConfigInput {
        tier: b.tier,
        buyer_organization_id: b.buyer_organization_id,
        effective_from: b.effective_from,
        adjustment: b.adjustment,
        overrides: b.overrides.map(|o| o.into_iter().map(Into::into).collect()),
    });
    let c = s.app.create_repricing_config(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::repricing_config(&c.id),
        Some(&c.etag.clone()),
        c,
    ))
}

/// One of the caller's price lists.
#[utoipa::path(get, path = "/v1/repricingconfigs/{id}", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("readRepricingConfigs"))),
    responses((status = 200, body = RepricingConfig), (status = 404, body = Problem)))]
pub async fn get_config(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let c = s
        .app
        .get_repricing_config(&p, &RepricingConfigId::from_raw(id))
        .await?;
    Ok(ok_with_etag(&c.etag.clone(), c))
}

/// New percentages for a future month's price list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigPatch {
    pub adjustment: Option<PercentageInput>,
    pub overrides: Option<Vec<OverrideRequest>>,
}

/// Change a future month's price list (If-Match required).
#[utoipa::path(patch, path = "/v1/repricingconfigs/{id}", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ConfigPatch,
    extensions(("x-partnerd-action" = json!("manageRepricingConfigs"))),
    responses((status = 200, body = RepricingConfig), (status = 404, body = Problem), (status = 409, description = "price_period_locked", body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
pub async fn update_config(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<String>,
    body: ApiBody<ConfigPatch>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| RepricingConfigChanges {
        adjustment: b.adjustment,
        overrides: b.overrides.map(|o| o.into_iter().map(Into::into).collect()),
    });
    let c = s
        .app
        .update_repricing_config(
            &p,
            &ctx,
            &RepricingConfigId::from_raw(id),
            if_match.as_deref(),
            input,
        )
        .await?;
    Ok(ok_with_etag(&c.etag.clone(), c))
}

/// Delete a future month's price list.
#[utoipa::path(delete, path = "/v1/repricingconfigs/{id}", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("manageRepricingConfigs"))),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem), (status = 409, description = "price_period_locked", body = Problem)))]
pub async fn delete_config(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    s.app
        .delete_repricing_config(&p, &ctx, &RepricingConfigId::from_raw(id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Filters of the ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LineListQuery {
    /// `seller` or `buyer` (default both).
    pub side: Option<String>,
    pub tier: Option<String>,
    /// `YYYY-MM-DD`; with `chargeDateTo` the current month by default, at most 366 days.
    pub charge_date_from: Option<String>,
    pub charge_date_to: Option<String>,
    pub subscription_id: Option<String>,
    pub customer_id: Option<String>,
    pub reseller_organization_id: Option<String>,
    pub seller_organization_id: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub charge_type: Option<String>,
    /// `true` or `false`.
    pub invoiced: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The caller's charge lines as seller or buyer, by charge date then sequence.
#[utoipa::path(get, path = "/v1/chargelines", tag = "Billing", security(("bearer" = [])), params(LineListQuery),
    extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Collection<ChargeLine>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_lines(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<LineListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    let f = ChargeLineFilters {
        side: q.side,
        tier: q.tier,
        charge_date_from: q.charge_date_from,
        charge_date_to: q.charge_date_to,
        subscription_id: q.subscription_id,
        customer_id: q.customer_id,
        reseller_organization_id: q.reseller_organization_id,
        seller_organization_id: q.seller_organization_id,
        buyer_organization_id: q.buyer_organization_id,
        charge_type: q.charge_type,
        invoiced: q.invoiced,
        period: None,
    };
    Ok(Json(s.app.list_charge_lines(&p, &f, &page).await?).into_response())
}

/// One charge line the caller sells or buys.
#[utoipa::path(get, path = "/v1/chargelines/{id}", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = ChargeLine), (status = 404, body = Problem)))]
pub async fn get_line(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .get_charge_line(&p, &ChargeLineId::from_raw(id))
            .await?,
    )
    .into_response())
}

/// Filters of the unbilled charges.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct UnbilledQuery {
    /// `current` (default) or `previous` month.
    pub period: Option<String>,
    /// `seller` (default) or `buyer`; customers always `buyer`.
    pub side: Option<String>,
    pub tier: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub reseller_organization_id: Option<String>,
    pub customer_id: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Charges of the current (or previous) month on no invoice yet.
#[utoipa::path(get, path = "/v1/invoices/unbilled/lineitems", tag = "Billing", security(("bearer" = [])), params(UnbilledQuery),
    extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Collection<ChargeLine>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_unbilled(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<UnbilledQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    let f = ChargeLineFilters {
        side: q.side,
        tier: q.tier,
        buyer_organization_id: q.buyer_organization_id,
        reseller_organization_id: q.reseller_organization_id,
        customer_id: q.customer_id,
        period: q.period,
        ..ChargeLineFilters::default()
    };
    Ok(Json(s.app.list_unbilled_lines(&p, &f, &page).await?).into_response())
}

/// The unbilled charges as CSV (§7.3 columns; the same filters, no paging).
#[utoipa::path(get, path = "/v1/invoices/unbilled/lineitems.csv", tag = "Billing", security(("bearer" = [])), params(UnbilledQuery),
    extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn unbilled_csv(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<UnbilledQuery>,
) -> ApiResult<Response> {
    let f = ChargeLineFilters {
        side: q.side,
        tier: q.tier,
        buyer_organization_id: q.buyer_organization_id,
        reseller_organization_id: q.reseller_organization_id,
        customer_id: q.customer_id,
        period: q.period,
        ..ChargeLineFilters::default()
    };
    let (name, body) = s.app.unbilled_csv(&p, &f).await?;
    Ok(crate::api::invoices::csv_download(&name, body))
}

/// The price sheet's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PriceSheetQuery {
    /// The buyer, when the caller sells (the operator names both).
    pub buyer_organization_id: Option<String>,
    /// The seller, when the caller buys.
    pub seller_organization_id: Option<String>,
    /// The reseller's provider (`resellerToCustomer`; needed when it has more than one).
    pub indirect_provider_id: Option<String>,
    /// `current` (default), `future` or `history`.
    pub timeline: Option<String>,
    /// `YYYY-MM`; default the current month.
    pub month: Option<String>,
    /// `YYYY-MM`, history only; default 12 months before `month`.
    pub from: Option<String>,
    pub offer_id: Option<String>,
    pub product_family: Option<String>,
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// What a buyer pays its seller per offer, term and plan in a month; the seller
/// and the operator also see the seller's cost and the price list behind it.
#[utoipa::path(get, path = "/v1/pricesheet", tag = "Billing", security(("bearer" = [])), params(PriceSheetQuery),
    extensions(("x-partnerd-action" = json!("readPriceSheet"))),
    responses((status = 200, body = PriceSheet), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn price_sheet(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PriceSheetQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    let f = PriceSheetFilters {
        buyer_organization_id: q.buyer_organization_id,
        seller_organization_id: q.seller_organization_id,
        indirect_provider_id: q.indirect_provider_id,
        timeline: q.timeline,
        month: q.month,
        from: q.from,
        offer_id: q.offer_id,
        product_family: q.product_family,
        term_duration: q.term_duration,
        billing_frequency: q.billing_frequency,
    };
    Ok(Json(s.app.price_sheet(&p, &f, &page).await?).into_response())
}
