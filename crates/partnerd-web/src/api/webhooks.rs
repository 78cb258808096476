//! Webhooks (API.md §14).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::webhooks::{Webhook, WebhookDelivery, WebhookInput};
use partnerd_domain::ids::{DeliveryId, WebhookId};
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
        .routes(routes!(create, list))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(rotate))
        .routes(routes!(test))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
}

/// A webhook to register or change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookBody {
    /// https (http to loopback addresses only with `--dev-mode`).
    pub url: Option<String>,
    /// Event types of API.md §14, or `["*"]`.
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

fn input(b: WebhookBody) -> WebhookInput {
    WebhookInput {
        url: b.url,
        events: b.events,
        description: b.description,
        enabled: b.enabled,
    }
}

/// Register a webhook (GA); the secret is in this answer only.
#[utoipa::path(post, path = "/v1/webhooks", tag = "Webhooks", security(("bearer" = [])), request_body = WebhookBody,
    extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 201, body = Webhook), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<WebhookBody>,
) -> ApiResult<Response> {
    let w = s
        .app
        .create_webhook(&p, &ctx, body.parse().map(input))
        .await?;
    Ok(created(
        partnerd_app::urls::webhook(&w.id),
        Some(&w.etag.clone()),
        w,
    ))
}

/// The organisation's webhooks (without secrets).
#[utoipa::path(get, path = "/v1/webhooks", tag = "Webhooks", security(("bearer" = [])), params(PageQuery),
    extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 200, body = Collection<Webhook>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_webhooks(&p, &q.params()).await?).into_response())
}

/// One webhook.
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "Webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 200, body = Webhook), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<WebhookId>,
) -> ApiResult<Response> {
    let w = s.app.get_webhook(&p, &id).await?;
    Ok(ok_with_etag(&w.etag.clone(), w))
}

/// Change a webhook.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "Webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = WebhookBody, extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 200, body = Webhook), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<WebhookId>,
    body: ApiBody<WebhookBody>,
) -> ApiResult<Response> {
    let w = s
        .app
        .update_webhook(&p, &ctx, &id, if_match.as_deref(), body.parse().map(input))
        .await?;
    Ok(ok_with_etag(&w.etag.clone(), w))
}

/// Delete a webhook and its delivery log.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "Webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<WebhookId>,
) -> ApiResult<Response> {
    s.app.delete_webhook(&p, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How long the old secret keeps signing.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateBody {
    /// 0–86 400 seconds, default 3600.
    pub grace_seconds: Option<i64>,
}

/// A new secret; the old one also signs (a second `v1=`) during the grace period.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotatesecret", tag = "Webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RotateBody, extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 200, description = "`{secret}`"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<WebhookId>,
    body: ApiBody<RotateBody>,
) -> ApiResult<Response> {
    let secret = s
        .app
        .rotate_webhook_secret(&p, &ctx, &id, body.parse().map(|b| b.grace_seconds))
        .await?;
    Ok(Json(serde_json::json!({"secret": secret})).into_response())
}

/// Send a `webhook.test` event.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "Webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 202, body = WebhookDelivery), (status = 404, body = Problem)))]
pub async fn test(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<WebhookId>,
) -> ApiResult<Response> {
    let d = s.app.test_webhook(&p, &ctx, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)).into_response())
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `succeeded`, `failed`.
    pub status: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The webhook's deliveries, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path), DeliveryQuery), extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 200, body = Collection<WebhookDelivery>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn deliveries(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<WebhookId>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token,
    };
    Ok(Json(
        s.app
            .list_deliveries(&p, &id, q.status, &page.params())
            .await?,
    )
    .into_response())
}

/// Try a failed delivery again from its first attempt.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path), ("deliveryId" = String, Path)), extensions(("x-partnerd-action" = json!("manageWebhooks"))),
    responses((status = 200, body = WebhookDelivery), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn redeliver(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path((id, delivery_id)): Path<(WebhookId, DeliveryId)>,
) -> ApiResult<Response> {
    Ok(Json(s.app.redeliver(&p, &ctx, &id, &delivery_id).await?).into_response())
}
