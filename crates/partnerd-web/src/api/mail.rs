//! `POST /v1/mail/{id}/retry`: the operator puts a mail the worker gave up on back
//! in the queue (the stuck-state view lists them as `mailFailed`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::mail::MailRetry;
use partnerd_domain::ids::OutboxId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{Auth, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(retry))
}

/// Queue a failed mail again: it is sent on the worker's next pass, with a fresh
/// attempt count and a new 24-hour window before it is given up again.
#[utoipa::path(post, path = "/v1/mail/{id}/retry", tag = "Organization", security(("bearer" = [])),
    params(("id" = String, Path, description = "The mail's id, as in the `mailFailed` item of `GET /v1/attention`")),
    extensions(("x-partnerd-action" = json!("retryMail"))),
    responses((status = 202, body = MailRetry), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_state: the mail is not failed", body = Problem)))]
pub async fn retry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OutboxId>,
) -> ApiResult<Response> {
    let r = s.app.retry_mail(&p, &ctx, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(r)).into_response())
}
