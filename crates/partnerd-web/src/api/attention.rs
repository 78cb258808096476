//! `GET /v1/attention`: what waits on the caller's organisation.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use partnerd_app::attention::AttentionItem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, whole};
use crate::extract::Auth;
use crate::problem::ApiResult;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(attention))
}

/// Invitations and requests about to expire unanswered, an enrollment waiting for
/// verification, failed webhook deliveries and (operator) failed mail, each with
/// its reason and the call that unblocks it; soonest first.
#[utoipa::path(get, path = "/v1/attention", tag = "Organization", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("readOwnOrganization"))),
    responses((status = 200, body = Collection<AttentionItem>)))]
pub async fn attention(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(whole(s.app.attention(&p).await?)).into_response())
}
