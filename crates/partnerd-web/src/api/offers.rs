//! `/v1/offers` and `/v1/productfamilies`: the vendor's catalog.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::catalog::{MoneyInput, Offer, OfferFilters, OfferInput, ProductFamily};
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
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, retire))
        .routes(routes!(families))
}

/// Filters of the catalog.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OfferListQuery {
    pub product_family: Option<String>,
    /// `monthly` or `annual`.
    pub billing_cycle: Option<String>,
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

/// An offer (every member required to create; any subset to change).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferRequest {
    /// `[A-Za-z0-9._-]{1,64}`; cannot change.
    pub id: Option<String>,
    pub name: Option<String>,
    pub product_family: Option<String>,
    /// `monthly` or `annual`.
    pub billing_cycle: Option<String>,
    pub unit_price: Option<MoneyRequest>,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
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
            unit_price: b.unit_price.map(|m| MoneyInput {
                amount: m.amount,
                currency: m.currency,
            }),
            min_quantity: b.min_quantity,
            max_quantity: b.max_quantity,
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

/// Change an offer; a new price applies to new orders and renewals.
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

/// The product families of the catalog.
#[utoipa::path(get, path = "/v1/productfamilies", tag = "Catalog", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("readCatalog"))),
    responses((status = 200, body = Collection<ProductFamily>), (status = 403, body = Problem)))]
pub async fn families(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(whole(s.app.product_families(&p).await?)).into_response())
}
