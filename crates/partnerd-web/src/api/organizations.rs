//! `/v1/organizations`: the operator's view of every organisation.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use partnerd_app::organizations::{CreatedOrganization, NewOrganizationInput, OrganizationFilters};
use partnerd_app::views::Organization;
use partnerd_domain::ids::OrgId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
}

/// Filters of the organisation list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrganizationListQuery {
    /// `operator`, `none`, `partner` or `customer`.
    pub kind: Option<String>,
    /// `indirectReseller` or `indirectProvider`.
    pub program: Option<String>,
    pub country: Option<String>,
    /// Name prefix, case-insensitive.
    pub name: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Every organisation (operator global admins and agents).
#[utoipa::path(get, path = "/v1/organizations",
    extensions(("x-partnerd-action" = json!("readOrganizations"))), tag = "Organizations", security(("bearer" = [])), params(OrganizationListQuery),
    responses((status = 200, body = Collection<Organization>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<OrganizationListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let f = OrganizationFilters {
        kind: q.kind,
        program: q.program,
        country: q.country,
        name: q.name,
    };
    Ok(Json(s.app.list_organizations(&p, &f, &page.params()).await?).into_response())
}

/// One organisation (operator global admins and agents).
#[utoipa::path(get, path = "/v1/organizations/{orgId}",
    extensions(("x-partnerd-action" = json!("readOrganizations"))), tag = "Organizations", security(("bearer" = [])),
    params(("orgId" = String, Path)), responses((status = 200, body = Organization), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org_id): Path<OrgId>,
) -> ApiResult<Response> {
    let org = s.app.get_organization(&p, &org_id).await?;
    Ok(ok_with_etag(&org.etag.clone(), org))
}

/// The first global admin of a new organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAdminRequest {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// A partner organisation to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrganizationRequest {
    pub name: String,
    pub legal_name: String,
    pub country: String,
    pub domain_prefix: String,
    pub admin: NewAdminRequest,
}

/// Create a partner organisation (no programme yet) to onboard a distributor
/// directly. The admin's temporary password is in this response only.
#[utoipa::path(post, path = "/v1/organizations",
    extensions(("x-partnerd-action" = json!("manageOrganizations"))), tag = "Organizations", security(("bearer" = [])),
    request_body = NewOrganizationRequest,
    responses(
        (status = 201, body = CreatedOrganization),
        (status = 403, body = Problem),
        (status = 409, description = "domain_unavailable, email_in_use", body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<NewOrganizationRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| NewOrganizationInput {
        name: b.name,
        legal_name: b.legal_name,
        country: b.country,
        domain_prefix: b.domain_prefix,
        admin_email: b.admin.email,
        admin_first_name: b.admin.first_name,
        admin_last_name: b.admin.last_name,
    });
    let done = s.app.create_organization(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::organization(&done.organization.id),
        Some(&done.organization.etag.clone()),
        done,
    ))
}
