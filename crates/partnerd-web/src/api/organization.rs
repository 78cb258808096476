//! `GET /v1/organization`: the caller's own organisation.

use axum::extract::State;
use axum::response::Response;
use partnerd_app::views::Organization;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ok_with_etag;
use crate::extract::Auth;
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(own))
}

/// The caller's organisation.
#[utoipa::path(get, path = "/v1/organization",
    extensions(("x-partnerd-action" = json!("readOwnOrganization"))), tag = "Organizations", security(("bearer" = [])),
    responses((status = 200, body = Organization), (status = 401, body = Problem)))]
pub async fn own(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let org = s.app.own_organization(&p)?;
    Ok(ok_with_etag(&org.etag, &org))
}
