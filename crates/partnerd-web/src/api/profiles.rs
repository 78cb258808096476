//! `/v1/profiles`: the partner's legal business, support and membership profiles.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use partnerd_app::enrollment::{EnrollmentMembership, SupportProfile};
use partnerd_app::profiles::{LegalBusinessProfile, SupportBusinessProfile};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::enrollment::{LegalProfileRequest, SupportProfileRequest};
use crate::api::ok_with_etag;
use crate::extract::{ApiBody, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_legal, put_legal))
        .routes(routes!(get_support, put_support))
        .routes(routes!(get_membership))
}

/// The legal business profile (GA, UMA, BA of a partner with an approved enrollment).
#[utoipa::path(get, path = "/v1/profiles/legalbusiness", tag = "Profiles", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("viewPartnerProfiles"))),
    responses((status = 200, body = LegalBusinessProfile), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_legal(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let v = s.app.legal_business_profile(&p).await?;
    Ok(ok_with_etag(&v.etag.clone(), v))
}

/// Change the legal business profile (GA); a new primary contact e-mail is verified again.
#[utoipa::path(put, path = "/v1/profiles/legalbusiness", tag = "Profiles", security(("bearer" = [])), request_body = LegalProfileRequest,
    extensions(("x-partnerd-action" = json!("editPartnerProfiles"))),
    responses((status = 200, body = LegalBusinessProfile), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, description = "webmail_not_allowed, country_mismatch, validation_failed", body = Problem)))]
pub async fn put_legal(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    body: ApiBody<LegalProfileRequest>,
) -> ApiResult<Response> {
    let v = s
        .app
        .put_legal_business_profile(&p, &ctx, if_match.as_deref(), body.parse().map(Into::into))
        .await?;
    Ok(ok_with_etag(&v.etag.clone(), v))
}

/// The support profile.
#[utoipa::path(get, path = "/v1/profiles/support", tag = "Profiles", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("viewPartnerProfiles"))),
    responses((status = 200, body = SupportBusinessProfile), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_support(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let v = s.app.support_business_profile(&p).await?;
    Ok(ok_with_etag(&v.etag.clone(), v))
}

/// Change the support profile (GA).
#[utoipa::path(put, path = "/v1/profiles/support", tag = "Profiles", security(("bearer" = [])), request_body = SupportProfileRequest,
    extensions(("x-partnerd-action" = json!("editPartnerProfiles"))),
    responses((status = 200, body = SupportBusinessProfile), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put_support(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    body: ApiBody<SupportProfileRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| SupportProfile {
        email: b.email,
        phone: b.phone,
        website: b.website,
        hours: b.hours,
    });
    let v = s
        .app
        .put_support_business_profile(&p, &ctx, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&v.etag.clone(), v))
}

/// The linked membership (read-only; the registry keeps it).
#[utoipa::path(get, path = "/v1/profiles/membership", tag = "Profiles", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("viewPartnerProfiles"))),
    responses((status = 200, body = EnrollmentMembership), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_membership(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(s.app.membership_profile(&p).await?).into_response())
}
