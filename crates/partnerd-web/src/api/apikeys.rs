//! `/v1/apikeys`: API keys of the caller's organisation (global admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::api_keys::{ApiKey, CreateApiKeyInput, CreatedApiKey};
use partnerd_domain::ids::ApiKeyId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// 1–80 characters.
    pub name: String,
    /// A subset of the creator's roles; never `globalAdmin`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// At most one year ahead.
    pub expires_at: Option<String>,
}

/// Create an API key. The secret is in this response only.
#[utoipa::path(post, path = "/v1/apikeys",
    extensions(("x-partnerd-action" = json!("manageApiKeys"))), tag = "API keys", security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 403, description = "forbidden (not a global admin)", body = Problem),
        (status = 422, description = "validation_failed", body = Problem),
    ))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<CreateApiKeyRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| CreateApiKeyInput {
        name: b.name,
        roles: b.roles,
        expires_at: b.expires_at,
    });
    let key = s.app.create_api_key(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::api_key(&key.id),
        Some(&key.etag.clone()),
        key,
    ))
}

/// The organisation's API keys (without secrets).
#[utoipa::path(get, path = "/v1/apikeys",
    extensions(("x-partnerd-action" = json!("manageApiKeys"))), tag = "API keys", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Collection<ApiKey>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_api_keys(&p, &q.params()).await?).into_response())
}

/// Revoke an API key at once.
#[utoipa::path(delete, path = "/v1/apikeys/{id}",
    extensions(("x-partnerd-action" = json!("manageApiKeys"))), tag = "API keys", security(("bearer" = [])),
    params(("id" = String, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem), (status = 403, body = Problem), (status = 412, description = "precondition_failed (If-Match does not match)", body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<ApiKeyId>,
) -> ApiResult<Response> {
    s.app
        .revoke_api_key(&p, &ctx, &id, if_match.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
