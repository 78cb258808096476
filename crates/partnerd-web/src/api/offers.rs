//! `/v1/offers` and `/v1/productfamilies`: the vendor's catalog.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::catalog::{
    BillingPlanInput, MoneyInput, Offer, OfferFilters, OfferInput, OfferPrice, PlanInput,
    PriceInput, ProductFamily, TermInput, TrialInput,
};
use partnerd_domain::terms::{BillingFrequency, TermDuration};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created, ok_with_etag, whole};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, retire))
        .routes(routes!(list_prices))
        .routes(routes!(put_price, delete_price))
        .routes(routes!(families))
}

/// Filters of the catalog.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OfferListQuery {
    pub product_family: Option<String>,
    /// v1: offers with any plan of this cycle (`monthly`, `annual`, `triennial`).
    pub billing_cycle: Option<String>,
    /// Offers with a plan of this term (and of `billingFrequency` if given too).
    #[param(value_type = Option<TermDuration>)]
    pub term_duration: Option<String>,
    /// Offers with a plan billed this often.
    #[param(value_type = Option<BillingFrequency>)]
    pub billing_frequency: Option<String>,
    /// Offers with (`true`) or without (`false`) a trial.
    #[param(value_type = Option<bool>)]
    pub trial: Option<String>,
    /// Add-ons (`true`: offers with prerequisites) or the others (`false`).
    #[param(value_type = Option<bool>)]
    pub add_on: Option<String>,
    /// `available` (default), `retired` or `all`.
    pub status: Option<String>,
    /// Name contains, case-insensitive.
    pub q: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The catalog (any partner or operator user).
#[utoipa::path(get, path = "/v1/offers", tag = "Catalog", security(("bearer" = [])), params(OfferListQuery),
    extensions(("x-partnerd-action" = json!("readCatalog"))),
    responses((status = 200, body = Collection<Offer>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<OfferListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let f = OfferFilters {
        product_family: q.product_family,
        billing_cycle: q.billing_cycle,
        term_duration: q.term_duration,
        billing_frequency: q.billing_frequency,
        trial: q.trial,
        add_on: q.add_on,
        status: q.status,
        q: q.q,
    };
    Ok(Json(s.app.list_offers(&p, &f, &page.params()).await?).into_response())
}

/// `{"amount": "12.50", "currency": "EUR"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyRequest {
    pub amount: String,
    pub currency: String,
}

impl From<MoneyRequest> for MoneyInput {
    fn from(m: MoneyRequest) -> Self {
        Self {
            amount: m.amount,
            currency: m.currency,
        }
    }
}

/// A billing plan of a term and its price per seat and billing period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingPlanRequest {
    #[schema(value_type = BillingFrequency)]
    pub billing_frequency: String,
    pub unit_price: MoneyRequest,
}

/// A term the offer is sold on, with 1–3 billing plans.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TermRequest {
    #[schema(value_type = TermDuration)]
    pub term_duration: String,
    pub billing_plans: Vec<BillingPlanRequest>,
}

impl From<TermRequest> for TermInput {
    fn from(t: TermRequest) -> Self {
        Self {
            term_duration: t.term_duration,
            billing_plans: t
                .billing_plans
                .into_iter()
                .map(|b| BillingPlanInput {
                    billing_frequency: b.billing_frequency,
                    unit_price: b.unit_price.into(),
                })
                .collect(),
        }
    }
}

/// A plan of the offer: `{termDuration, billingFrequency}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanRequest {
    #[schema(value_type = TermDuration)]
    pub term_duration: String,
    #[schema(value_type = BillingFrequency)]
    pub billing_frequency: String,
}

/// A trial: days (1–90, default 30) and seats (1–maxQuantity, default the
/// smaller of 25 and maxQuantity).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrialRequest {
    pub days: Option<i64>,
    pub max_quantity: Option<i64>,
}

/// A member that may be null: absent = unchanged, null = none.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An offer (to create: `id`, `name`, `productFamily`, `minQuantity`,
/// `maxQuantity`, and either `terms` or the v1 `billingCycle` with `unitPrice`;
/// to change: any subset but `id`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferRequest {
    /// `[A-Za-z0-9._-]{1,64}`; cannot change.
    pub id: Option<String>,
    pub name: Option<String>,
    pub product_family: Option<String>,
    /// v1: `monthly` (one plan, P1M monthly) or `annual` (P1Y annual); not with
    /// `terms`. In a change it chooses the default plan.
    pub billing_cycle: Option<String>,
    /// v1: the price of that plan (in a change: of the default plan, from the
    /// first of next month); not with `terms`.
    pub unit_price: Option<MoneyRequest>,
    /// 1–3 terms. In a change: every plan the offer sells (plans cannot be
    /// removed); new ones are sold at once, new prices apply from next month.
    pub terms: Option<Vec<TermRequest>>,
    /// One of the plans; default the first plan of the first term.
    pub default_term: Option<PlanRequest>,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
    /// 1–1 000 000, or null for no limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub max_quantity_per_customer: Option<Option<i64>>,
    /// The trial, or null for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<TrialRequest>, nullable)]
    pub trial: Option<Option<TrialRequest>>,
    /// 0–20 offer ids.
    pub upgrade_targets: Option<Vec<String>>,
    /// 0–20 offer ids; non-empty makes the offer an add-on.
    pub prerequisite_offer_ids: Option<Vec<String>>,
    pub requires_admin_agent: Option<bool>,
    pub description: Option<String>,
}

impl From<OfferRequest> for OfferInput {
    fn from(b: OfferRequest) -> Self {
        Self {
            id: b.id,
            name: b.name,
            product_family: b.product_family,
            billing_cycle: b.billing_cycle,
            unit_price: b.unit_price.map(Into::into),
            terms: b
                .terms
                .map(|terms| terms.into_iter().map(Into::into).collect()),
            default_term: b.default_term.map(|d| PlanInput {
                term_duration: d.term_duration,
                billing_frequency: d.billing_frequency,
            }),
            min_quantity: b.min_quantity,
            max_quantity: b.max_quantity,
            max_quantity_per_customer: b.max_quantity_per_customer,
            trial: b.trial.map(|t| {
                t.map(|t| TrialInput {
                    days: t.days,
                    max_quantity: t.max_quantity,
                })
            }),
            upgrade_targets: b.upgrade_targets,
            prerequisite_offer_ids: b.prerequisite_offer_ids,
            requires_admin_agent: b.requires_admin_agent,
            description: b.description,
        }
    }
}

/// Add an offer to the catalog (operator global admins).
#[utoipa::path(post, path = "/v1/offers", tag = "Catalog", security(("bearer" = [])), request_body = OfferRequest,
    extensions(("x-partnerd-action" = json!("manageCatalog"))),
    responses((status = 201, body = Offer), (status = 403, body = Problem), (status = 409, description = "conflict (id exists)", body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<OfferRequest>,
) -> ApiResult<Response> {
    let offer = s
        .app
        .create_offer(&p, &ctx, body.parse().map(Into::into))
        .await?;
    Ok(created(
        partnerd_app::urls::offer(&offer.id),
        Some(&offer.etag.clone()),
        offer,
    ))
}

/// One offer.
#[utoipa::path(get, path = "/v1/offers/{offerId}", tag = "Catalog", security(("bearer" = [])), params(("offerId" = String, Path)),
    extensions(("x-partnerd-action" = json!("readCatalog"))),
    responses((status = 200, body = Offer), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(offer_id): Path<String>,
) -> ApiResult<Response> {
    let offer = s.app.get_offer(&p, &offer_id).await?;
    Ok(ok_with_etag(&offer.etag.clone(), offer))
}

/// Change an offer. Plans cannot be removed; a plan added is sold at once; a new
/// price of a plan already sold applies from the first of next month.
#[utoipa::path(patch, path = "/v1/offers/{offerId}", tag = "Catalog", security(("bearer" = [])), params(("offerId" = String, Path)),
    request_body = OfferRequest, extensions(("x-partnerd-action" = json!("manageCatalog"))),
    responses((status = 200, body = Offer), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(offer_id): Path<String>,
    body: ApiBody<OfferRequest>,
) -> ApiResult<Response> {
    let offer = s
        .app
        .update_offer(
            &p,
            &ctx,
            &offer_id,
            if_match.as_deref(),
            body.parse().map(Into::into),
        )
        .await?;
    Ok(ok_with_etag(&offer.etag.clone(), offer))
}

/// Retire an offer: kept for history, no longer orderable.
#[utoipa::path(delete, path = "/v1/offers/{offerId}", tag = "Catalog", security(("bearer" = [])), params(("offerId" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageCatalog"))),
    responses((status = 204, description = "Retired"), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn retire(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(offer_id): Path<String>,
) -> ApiResult<Response> {
    s.app
        .retire_offer(&p, &ctx, &offer_id, if_match.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The offer's list prices, one version per month they change, oldest first
/// (anyone who reads the catalog).
#[utoipa::path(get, path = "/v1/offers/{offerId}/prices", tag = "Catalog", security(("bearer" = [])),
    params(("offerId" = String, Path), PageQuery),
    extensions(("x-partnerd-action" = json!("readCatalog"))),
    responses((status = 200, body = Collection<OfferPrice>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_prices(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(offer_id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_offer_prices(&p, &offer_id, &q.params()).await?).into_response())
}

/// A month's list prices: every plan of the offer, once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferPriceRequest {
    pub terms: Vec<TermRequest>,
}

/// Schedule the list prices of a future month (operator global admins): created,
/// or the month's version replaced whole. The current and past months are locked.
#[utoipa::path(put, path = "/v1/offers/{offerId}/prices/{month}", tag = "Catalog", security(("bearer" = [])),
    params(("offerId" = String, Path), ("month" = String, Path, description = "YYYY-MM, a future month")),
    request_body = OfferPriceRequest, extensions(("x-partnerd-action" = json!("manageOfferPrices"))),
    responses((status = 201, body = OfferPrice), (status = 200, body = OfferPrice), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "price_period_locked", body = Problem), (status = 422, body = Problem)))]
pub async fn put_price(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path((offer_id, month)): Path<(String, String)>,
    body: ApiBody<OfferPriceRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| PriceInput {
        terms: b.terms.into_iter().map(Into::into).collect(),
    });
    let (price, created) = s
        .app
        .schedule_offer_price(&p, &ctx, &offer_id, &month, input)
        .await?;
    if created {
        let location = format!(
            "{}/prices/{}",
            partnerd_app::urls::offer(&offer_id),
            price.effective_from
        );
        Ok(crate::api::created(location, None, price))
    } else {
        Ok(Json(price).into_response())
    }
}

/// Withdraw a future month's list prices (operator global admins); the version
/// before it stays in effect.
#[utoipa::path(delete, path = "/v1/offers/{offerId}/prices/{month}", tag = "Catalog", security(("bearer" = [])),
    params(("offerId" = String, Path), ("month" = String, Path, description = "YYYY-MM, a future month")),
    extensions(("x-partnerd-action" = json!("manageOfferPrices"))),
    responses((status = 204, description = "Withdrawn"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "price_period_locked", body = Problem)))]
pub async fn delete_price(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path((offer_id, month)): Path<(String, String)>,
) -> ApiResult<Response> {
    s.app
        .delete_offer_price(&p, &ctx, &offer_id, &month)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The product families of the catalog.
#[utoipa::path(get, path = "/v1/productfamilies", tag = "Catalog", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("readCatalog"))),
    responses((status = 200, body = Collection<ProductFamily>), (status = 403, body = Problem)))]
pub async fn families(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(whole(s.app.product_families(&p).await?)).into_response())
}
