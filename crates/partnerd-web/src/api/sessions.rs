//! `POST /v1/sessions`, `DELETE /v1/sessions/current`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::auth::{SignInInput, SignedIn};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::created;
use crate::extract::{ApiBody, AuthAllowRestricted, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
}

/// Sign-in credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// Sign in with e-mail and password.
///
/// A user whose password is temporary gets a restricted session
/// (`passwordChangeRequired: true`) that can only change the password.
#[utoipa::path(post, path = "/v1/sessions", tag = "Sessions", request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in", body = SignedIn),
        (status = 401, description = "invalid_credentials", body = Problem),
        (status = 422, description = "validation_failed", body = Problem),
        (status = 429, description = "rate_limited", body = Problem),
    ))]
pub async fn sign_in(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<SignInRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| SignInInput {
        email: b.email,
        password: b.password,
    });
    let signed = s.app.sign_in(&ctx, input).await?;
    Ok(created("/v1/sessions/current".into(), None, signed))
}

/// Sign out: revokes the session that makes the call.
#[utoipa::path(delete, path = "/v1/sessions/current",
    tag = "Sessions", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, body = Problem)))]
pub async fn sign_out(
    State(s): State<AppState>,
    AuthAllowRestricted(p): AuthAllowRestricted,
    ReqCtx(ctx): ReqCtx,
) -> ApiResult<Response> {
    s.app.sign_out(&p, &ctx).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
