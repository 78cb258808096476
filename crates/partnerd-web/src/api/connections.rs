//! Provider ↔ reseller connections: `/v1/resellerinvitations` and `/v1/relationships`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::catalog::MoneyInput;
use partnerd_app::connections::{
    InvitationInput, Relationship, RelationshipFilters, ResellerInvitation, ResolvedInvitation,
};
use partnerd_app::credit::CreditLimit;
use partnerd_domain::ids::{ResellerInvitationId, ResellerRelationshipId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::enrollment::TokenRequest;
use crate::api::offers::MoneyRequest;
use crate::api::{Collection, PageQuery, created, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, revoke))
        .routes(routes!(resolve))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(relationships))
        .routes(routes!(relationship))
        .routes(routes!(terminate))
        .routes(routes!(credit_limit, set_credit_limit, remove_credit_limit))
}

/// An invitation to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitationRequest {
    pub email: String,
    pub reseller_name: Option<String>,
    /// Up to 2000 characters, included in the mail.
    pub message: Option<String>,
}

/// Invite a reseller by e-mail (an authorised provider's GA, AA or SA).
#[utoipa::path(post, path = "/v1/resellerinvitations", tag = "Connections", security(("bearer" = [])), request_body = InvitationRequest,
    extensions(("x-partnerd-action" = json!("manageResellerInvitations"))),
    responses((status = 201, body = ResellerInvitation), (status = 403, description = "provider_not_authorized", body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<InvitationRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| InvitationInput {
        email: b.email,
        reseller_name: b.reseller_name,
        message: b.message,
    });
    let i = s.app.create_invitation(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::reseller_invitation(&i.id),
        Some(&i.etag.clone()),
        i,
    ))
}

/// Filters of the invitation list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct InvitationListQuery {
    pub status: Option<String>,
    pub email: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The provider's invitations, newest first.
#[utoipa::path(get, path = "/v1/resellerinvitations", tag = "Connections", security(("bearer" = [])), params(InvitationListQuery),
    extensions(("x-partnerd-action" = json!("manageResellerInvitations"))),
    responses((status = 200, body = Collection<ResellerInvitation>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<InvitationListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    Ok(Json(
        s.app
            .list_invitations(&p, q.status, q.email, &page.params())
            .await?,
    )
    .into_response())
}

/// One invitation.
#[utoipa::path(get, path = "/v1/resellerinvitations/{id}", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageResellerInvitations"))),
    responses((status = 200, body = ResellerInvitation), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ResellerInvitationId>,
) -> ApiResult<Response> {
    let i = s.app.get_invitation(&p, &id).await?;
    Ok(ok_with_etag(&i.etag.clone(), i))
}

/// Revoke a pending invitation; its link answers 410.
#[utoipa::path(delete, path = "/v1/resellerinvitations/{id}", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageResellerInvitations"))),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ResellerInvitationId>,
) -> ApiResult<Response> {
    s.app.revoke_invitation(&p, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What an invitation link offers (public; the token is the secret).
#[utoipa::path(post, path = "/v1/resellerinvitations/resolve", tag = "Connections", request_body = TokenRequest,
    responses((status = 200, body = ResolvedInvitation), (status = 404, description = "token_invalid", body = Problem),
        (status = 409, description = "token_used", body = Problem), (status = 410, description = "token_expired", body = Problem)))]
pub async fn resolve(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<TokenRequest>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .resolve_invitation(&ctx, body.parse().map(|b| b.token))
            .await?,
    )
    .into_response())
}

/// The reseller's consent.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConsent {
    /// True: the provider may place orders and add subscriptions for your customers,
    /// and gets admin access to your tenant.
    #[serde(default)]
    pub authorize_indirect_provider: bool,
}

/// Accepting an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptRequest {
    pub token: String,
    #[serde(default)]
    pub consent: ProviderConsent,
}

/// Authorise the indirect provider (a reseller's GA, in person).
#[utoipa::path(post, path = "/v1/resellerinvitations/accept", tag = "Connections", security(("bearer" = [])), request_body = AcceptRequest,
    extensions(("x-partnerd-action" = json!("acceptProviderInvitation"))),
    responses((status = 200, body = Relationship), (status = 403, description = "enrollment_required, provider_not_authorized, user_session_required", body = Problem),
        (status = 404, description = "token_invalid", body = Problem), (status = 409, description = "relationship_exists, token_used, conflict", body = Problem),
        (status = 410, description = "token_expired", body = Problem), (status = 422, description = "consent_required", body = Problem)))]
pub async fn accept(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<AcceptRequest>,
) -> ApiResult<Response> {
    let input = body
        .parse()
        .map(|b| (b.token, b.consent.authorize_indirect_provider));
    let r = s.app.accept_invitation(&p, &ctx, input).await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// Declining an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineRequest {
    pub token: String,
    pub reason: Option<String>,
}

/// Decline the invitation (a reseller's GA, in person).
#[utoipa::path(post, path = "/v1/resellerinvitations/decline", tag = "Connections", security(("bearer" = [])), request_body = DeclineRequest,
    extensions(("x-partnerd-action" = json!("acceptProviderInvitation"))),
    responses((status = 200, description = "`{status: declined}`"), (status = 404, body = Problem), (status = 409, body = Problem), (status = 410, body = Problem)))]
pub async fn decline(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<DeclineRequest>,
) -> ApiResult<Response> {
    s.app
        .decline_invitation(&p, &ctx, body.parse().map(|b| (b.token, b.reason)))
        .await?;
    Ok(Json(serde_json::json!({"status": "declined"})).into_response())
}

/// Filters of the relationship list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RelationshipListQuery {
    /// `IsIndirectCloudSolutionProviderOf` (my resellers) or `IsIndirectResellerOf` (my providers).
    pub relationship_type: Option<String>,
    /// `active` (default), `terminated` or `all`.
    pub state: Option<String>,
    /// Prefix of the other side's name, case-insensitive.
    pub name: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The caller's provider and reseller relationships.
#[utoipa::path(get, path = "/v1/relationships", tag = "Connections", security(("bearer" = [])), params(RelationshipListQuery),
    extensions(("x-partnerd-action" = json!("readRelationships"))),
    responses((status = 200, body = Collection<Relationship>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn relationships(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<RelationshipListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let f = RelationshipFilters {
        relationship_type: q.relationship_type,
        state: q.state,
        name: q.name,
    };
    Ok(Json(s.app.list_relationships(&p, &f, &page.params()).await?).into_response())
}

/// One relationship (either side).
#[utoipa::path(get, path = "/v1/relationships/{id}", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("readRelationships"))),
    responses((status = 200, body = Relationship), (status = 404, body = Problem)))]
pub async fn relationship(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ResellerRelationshipId>,
) -> ApiResult<Response> {
    let r = s.app.get_relationship(&p, &id).await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// Ending a relationship.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TerminateRequest {
    pub reason: Option<String>,
}

/// End the relationship (a GA of either side); subscriptions continue.
#[utoipa::path(post, path = "/v1/relationships/{id}/terminate", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TerminateRequest, extensions(("x-partnerd-action" = json!("endPartnerRelationship"))),
    responses((status = 200, body = Relationship), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn terminate(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ResellerRelationshipId>,
    body: ApiBody<TerminateRequest>,
) -> ApiResult<Response> {
    let r = s
        .app
        .terminate_relationship(&p, &ctx, &id, body.parse().map(|b| b.reason))
        .await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// A reseller's credit limit with a provider (both sides).
#[utoipa::path(get, path = "/v1/relationships/{id}/creditlimit", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("readRelationships"))),
    responses((status = 200, body = CreditLimit), (status = 404, body = Problem)))]
pub async fn credit_limit(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ResellerRelationshipId>,
) -> ApiResult<Response> {
    let c = s.app.get_credit_limit(&p, &id).await?;
    Ok(ok_with_etag(&c.etag.clone(), c))
}

/// A new credit limit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLimitRequest {
    /// Amount ≥ 0 in the platform currency.
    pub limit: MoneyRequest,
}

/// Set the reseller's credit limit (the provider's GA or BA).
#[utoipa::path(put, path = "/v1/relationships/{id}/creditlimit", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CreditLimitRequest, extensions(("x-partnerd-action" = json!("setCreditLimit"))),
    responses((status = 200, body = CreditLimit), (status = 403, description = "forbidden (reseller side)", body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_state (terminated)", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn set_credit_limit(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<ResellerRelationshipId>,
    body: ApiBody<CreditLimitRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| {
        Some(MoneyInput {
            amount: b.limit.amount,
            currency: b.limit.currency,
        })
    });
    let c = s
        .app
        .set_credit_limit(&p, &ctx, &id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&c.etag.clone(), c))
}

/// Remove the credit limit: no longer enforced (the provider's GA or BA).
#[utoipa::path(delete, path = "/v1/relationships/{id}/creditlimit", tag = "Connections", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("setCreditLimit"))),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_credit_limit(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<ResellerRelationshipId>,
) -> ApiResult<Response> {
    s.app
        .set_credit_limit(&p, &ctx, &id, if_match.as_deref(), Ok(None))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
