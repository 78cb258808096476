//! `/v1/registry`: the membership registry (operator global admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::registry::MembershipQuery;
use partnerd_app::registry::{AccountInput, Membership, MembershipInput, RegistryAccount};
use partnerd_domain::ids::RegistryAccountId;
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
        .routes(routes!(list_memberships, create_membership))
        .routes(routes!(
            get_membership,
            update_membership,
            delete_membership
        ))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
}

/// A membership (every member but `membershipId` may change).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembershipRequest {
    /// 6–12 digits; generated when absent.
    pub membership_id: Option<String>,
    pub legal_name: Option<String>,
    pub country: Option<String>,
}

impl From<MembershipRequest> for MembershipInput {
    fn from(m: MembershipRequest) -> Self {
        Self {
            membership_id: m.membership_id,
            legal_name: m.legal_name,
            country: m.country,
        }
    }
}

/// Filters of the membership list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MembershipListQuery {
    pub country: Option<String>,
    /// Legal-name prefix.
    pub legal_name: Option<String>,
    pub linked: Option<bool>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Memberships, newest first.
#[utoipa::path(get, path = "/v1/registry/memberships", tag = "Registry", security(("bearer" = [])), params(MembershipListQuery),
    extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 200, body = Collection<Membership>), (status = 403, body = Problem)))]
pub async fn list_memberships(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<MembershipListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let f = MembershipQuery {
        country: q.country,
        legal_name: q.legal_name,
        linked: q.linked,
    };
    Ok(Json(s.app.list_memberships(&p, &f, &page.params()).await?).into_response())
}

/// Add a membership.
#[utoipa::path(post, path = "/v1/registry/memberships", tag = "Registry", security(("bearer" = [])), request_body = MembershipRequest,
    extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 201, body = Membership), (status = 409, description = "conflict (id exists)", body = Problem), (status = 422, body = Problem)))]
pub async fn create_membership(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<MembershipRequest>,
) -> ApiResult<Response> {
    let m = s
        .app
        .create_membership(&p, &ctx, body.parse().map(Into::into))
        .await?;
    Ok(created(
        partnerd_app::urls::membership(&m.membership_id),
        Some(&m.etag.clone()),
        m,
    ))
}

/// One membership.
#[utoipa::path(get, path = "/v1/registry/memberships/{membershipId}", tag = "Registry", security(("bearer" = [])),
    params(("membershipId" = String, Path)), extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 200, body = Membership), (status = 404, body = Problem)))]
pub async fn get_membership(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let m = s.app.get_membership(&p, &id).await?;
    Ok(ok_with_etag(&m.etag.clone(), m))
}

/// Change a membership's legal name or country (not the country of a linked one).
#[utoipa::path(patch, path = "/v1/registry/memberships/{membershipId}", tag = "Registry", security(("bearer" = [])),
    params(("membershipId" = String, Path)), request_body = MembershipRequest, extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 200, body = Membership), (status = 409, description = "conflict (linked)", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_membership(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<String>,
    body: ApiBody<MembershipRequest>,
) -> ApiResult<Response> {
    let m = s
        .app
        .update_membership(
            &p,
            &ctx,
            &id,
            if_match.as_deref(),
            body.parse().map(Into::into),
        )
        .await?;
    Ok(ok_with_etag(&m.etag.clone(), m))
}

/// Delete a membership that is not linked.
#[utoipa::path(delete, path = "/v1/registry/memberships/{membershipId}", tag = "Registry", security(("bearer" = [])),
    params(("membershipId" = String, Path)), extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem), (status = 409, description = "conflict (linked)", body = Problem)))]
pub async fn delete_membership(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    s.app.delete_membership(&p, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A registry account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountRequest {
    /// 3–64 characters; cannot change.
    pub username: Option<String>,
    /// The password policy of §3.1 applies.
    pub password: Option<String>,
    pub membership_ids: Option<Vec<String>>,
}

impl From<AccountRequest> for AccountInput {
    fn from(a: AccountRequest) -> Self {
        Self {
            username: a.username,
            password: a.password,
            membership_ids: a.membership_ids,
        }
    }
}

/// Registry accounts, newest first.
#[utoipa::path(get, path = "/v1/registry/accounts", tag = "Registry", security(("bearer" = [])), params(PageQuery),
    extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 200, body = Collection<RegistryAccount>), (status = 403, body = Problem)))]
pub async fn list_accounts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_registry_accounts(&p, &q.params()).await?).into_response())
}

/// Add a registry account.
#[utoipa::path(post, path = "/v1/registry/accounts", tag = "Registry", security(("bearer" = [])), request_body = AccountRequest,
    extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 201, body = RegistryAccount), (status = 409, description = "conflict (username)", body = Problem),
        (status = 422, description = "weak_password, validation_failed", body = Problem)))]
pub async fn create_account(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<AccountRequest>,
) -> ApiResult<Response> {
    let a = s
        .app
        .create_registry_account(&p, &ctx, body.parse().map(Into::into))
        .await?;
    Ok(created(
        partnerd_app::urls::registry_account(&a.id),
        Some(&a.etag.clone()),
        a,
    ))
}

/// One registry account.
#[utoipa::path(get, path = "/v1/registry/accounts/{id}", tag = "Registry", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 200, body = RegistryAccount), (status = 404, body = Problem)))]
pub async fn get_account(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<RegistryAccountId>,
) -> ApiResult<Response> {
    let a = s.app.get_registry_account(&p, &id).await?;
    Ok(ok_with_etag(&a.etag.clone(), a))
}

/// Change a registry account's password or memberships.
#[utoipa::path(patch, path = "/v1/registry/accounts/{id}", tag = "Registry", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AccountRequest, extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 200, body = RegistryAccount), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_account(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<RegistryAccountId>,
    body: ApiBody<AccountRequest>,
) -> ApiResult<Response> {
    let a = s
        .app
        .update_registry_account(
            &p,
            &ctx,
            &id,
            if_match.as_deref(),
            body.parse().map(Into::into),
        )
        .await?;
    Ok(ok_with_etag(&a.etag.clone(), a))
}

/// Delete a registry account.
#[utoipa::path(delete, path = "/v1/registry/accounts/{id}", tag = "Registry", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageRegistry"))),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem)))]
pub async fn delete_account(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<RegistryAccountId>,
) -> ApiResult<Response> {
    s.app.delete_registry_account(&p, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
