//! `GET /v1/me`, `POST /v1/me/password`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use partnerd_app::auth::{ChangePasswordInput, Me, NewSessionToken};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiBody, AuthAllowRestricted, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(my_permissions))
}

/// The caller: user (or API key), organisation and roles.
#[utoipa::path(get, path = "/v1/me",
    tag = "Sessions", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(
    State(s): State<AppState>,
    AuthAllowRestricted(p): AuthAllowRestricted,
) -> Json<Me> {
    Json(s.app.me(&p))
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change the caller's password. Every session of the user is revoked, including
/// the calling one; the response carries a new, unrestricted session.
#[utoipa::path(post, path = "/v1/me/password",
    tag = "Sessions", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, body = NewSessionToken),
        (status = 401, description = "unauthenticated, or invalid_credentials (wrong current password)", body = Problem),
        (status = 403, description = "user_session_required", body = Problem),
        (status = 422, description = "weak_password, validation_failed", body = Problem),
    ))]
pub async fn change_password(
    State(s): State<AppState>,
    AuthAllowRestricted(p): AuthAllowRestricted,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<ChangePasswordRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| ChangePasswordInput {
        current_password: b.current_password,
        new_password: b.new_password,
    });
    Ok(Json(s.app.change_password(&p, &ctx, input).await?).into_response())
}

/// What the caller may do, and why: for each action (or the one asked for), the
/// answer and the chain of checks behind it (organisation kind, programme,
/// session, role).
#[utoipa::path(get, path = "/v1/me/permissions",
    tag = "Sessions", security(("bearer" = [])),
    params(crate::api::users::ActionQuery),
    responses((status = 200, body = crate::api::Collection<partnerd_app::users::Permission>), (status = 422, body = Problem)))]
pub async fn my_permissions(
    State(s): State<AppState>,
    crate::extract::Auth(p): crate::extract::Auth,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<crate::api::users::ActionQuery>,
) -> ApiResult<Response> {
    let items = s
        .app
        .explain_permissions(&p, None, q.action.as_deref())
        .await?;
    Ok(Json(crate::api::whole(items)).into_response())
}
