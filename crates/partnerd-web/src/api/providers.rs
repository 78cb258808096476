//! Indirect-provider authorisation (operator) and the provider directory.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::providers::{
    AuthorizationInput, DirectoryFilters, ListingChanges, ProviderAuthorization, ProviderListing,
};
use partnerd_domain::ids::OrgId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorize, get_authorization, withdraw))
        .routes(routes!(directory))
        .routes(routes!(listing, update_listing))
}

/// What an indirect provider is authorised for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizationRequest {
    /// ISO 3166-1 alpha-2 codes, at least one.
    pub countries: Vec<String>,
    /// Families of the catalog, at least one.
    pub product_families: Vec<String>,
}

/// Authorise a partner organisation as indirect provider (or change what for).
#[utoipa::path(put, path = "/v1/organizations/{orgId}/indirectproviderauthorization", tag = "Providers", security(("bearer" = [])),
    params(("orgId" = String, Path)), request_body = AuthorizationRequest, extensions(("x-partnerd-action" = json!("manageOrganizations"))),
    responses((status = 200, body = ProviderAuthorization), (status = 404, body = Problem),
        (status = 409, description = "wrong_organization_kind", body = Problem), (status = 422, body = Problem)))]
pub async fn authorize(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(org_id): Path<OrgId>,
    body: ApiBody<AuthorizationRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| AuthorizationInput {
        countries: b.countries,
        product_families: b.product_families,
    });
    let a = s.app.authorize_provider(&p, &ctx, &org_id, input).await?;
    Ok(ok_with_etag(&a.etag.clone(), a))
}

/// The authorisation (operator global admins; the organisation's global admins).
#[utoipa::path(get, path = "/v1/organizations/{orgId}/indirectproviderauthorization", tag = "Providers", security(("bearer" = [])),
    params(("orgId" = String, Path)), extensions(("x-partnerd-action" = json!("readProviderAuthorization"))),
    responses((status = 200, body = ProviderAuthorization), (status = 404, description = "never authorised, or not visible", body = Problem)))]
pub async fn get_authorization(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org_id): Path<OrgId>,
) -> ApiResult<Response> {
    let a = s.app.get_provider_authorization(&p, &org_id).await?;
    Ok(ok_with_etag(&a.etag.clone(), a))
}

/// Withdraw the authorisation: the provider can no longer invite or order;
/// existing subscriptions continue.
#[utoipa::path(delete, path = "/v1/organizations/{orgId}/indirectproviderauthorization", tag = "Providers", security(("bearer" = [])),
    params(("orgId" = String, Path)), extensions(("x-partnerd-action" = json!("manageOrganizations"))),
    responses((status = 204, description = "Withdrawn"), (status = 404, body = Problem)))]
pub async fn withdraw(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(org_id): Path<OrgId>,
) -> ApiResult<Response> {
    s.app.withdraw_provider(&p, &ctx, &org_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Filters of the directory.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    pub country: Option<String>,
    /// Name contains, case-insensitive.
    pub name: Option<String>,
    pub product_family: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Authorised, listed indirect providers, by name (any signed-in user).
#[utoipa::path(get, path = "/v1/directory/providers", tag = "Providers", security(("bearer" = [])), params(DirectoryQuery),
    extensions(("x-partnerd-action" = json!("readProviderDirectory"))),
    responses((status = 200, body = Collection<ProviderListing>), (status = 422, body = Problem)))]
pub async fn directory(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let f = DirectoryFilters {
        country: q.country,
        name: q.name,
        product_family: q.product_family,
    };
    Ok(Json(s.app.directory(&p, &f, &page.params()).await?).into_response())
}

/// One provider's public profile.
#[utoipa::path(get, path = "/v1/directory/providers/{orgId}", tag = "Providers", security(("bearer" = [])),
    params(("orgId" = String, Path)), extensions(("x-partnerd-action" = json!("readProviderDirectory"))),
    responses((status = 200, body = ProviderListing), (status = 404, body = Problem)))]
pub async fn listing(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org_id): Path<OrgId>,
) -> ApiResult<Response> {
    let l = s.app.directory_listing(&p, &org_id).await?;
    Ok(ok_with_etag(&l.etag.clone(), l))
}

/// Changes to the own listing (countries and families come from the authorisation).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListingRequest {
    /// Up to 2000 characters.
    pub description: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    /// False hides the provider from the directory.
    pub listed: Option<bool>,
}

/// A provider's global admin edits its own listing.
#[utoipa::path(patch, path = "/v1/directory/providers/{orgId}", tag = "Providers", security(("bearer" = [])),
    params(("orgId" = String, Path)), request_body = ListingRequest, extensions(("x-partnerd-action" = json!("editDirectoryListing"))),
    responses((status = 200, body = ProviderListing), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_listing(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(org_id): Path<OrgId>,
    body: ApiBody<ListingRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| ListingChanges {
        description: b.description,
        website: b.website,
        contact_email: b.contact_email,
        listed: b.listed,
    });
    let l = s
        .app
        .update_listing(&p, &ctx, &org_id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&l.etag.clone(), l))
}
