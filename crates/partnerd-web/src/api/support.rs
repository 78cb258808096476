//! Service requests and service health (API.md §11).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use partnerd_app::support::{
    IncidentChanges, IncidentFilters, IncidentInput, IncidentUpdate, Note, ServiceIncident,
    ServiceRequest, ServiceRequestChanges, ServiceRequestFilters, ServiceRequestInput,
};
use partnerd_domain::ids::{IncidentId, OrgId, ServiceRequestId};
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
        .routes(routes!(create_request, requests))
        .routes(routes!(request, update_request))
        .routes(routes!(add_note))
        .routes(routes!(reopen))
        .routes(routes!(create_incident, incidents))
        .routes(routes!(incident, update_incident))
        .routes(routes!(post_update))
}

/// A new service request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRequestBody {
    /// 1–200 characters.
    pub title: String,
    /// 1–10 000 characters.
    pub description: String,
    /// `minimal`, `moderate`, `critical`.
    pub severity: String,
    /// `billing`, `technical`, `account`, `other` (default).
    pub category: Option<String>,
    /// About this customer (AA, HA of a related partner); without: about partnerd itself (GA).
    pub customer_id: Option<String>,
    pub product_family: Option<String>,
}

/// Open a service request.
#[utoipa::path(post, path = "/v1/servicerequests", tag = "Support", security(("bearer" = [])), request_body = ServiceRequestBody,
    extensions(("x-partnerd-action" = json!("readServiceRequests"))),
    responses((status = 201, body = ServiceRequest), (status = 403, body = Problem), (status = 404, description = "customer not visible", body = Problem), (status = 422, body = Problem)))]
pub async fn create_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<ServiceRequestBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| ServiceRequestInput {
        title: b.title,
        description: b.description,
        severity: b.severity,
        category: b.category,
        customer_id: b.customer_id.map(OrgId::from_raw),
        product_family: b.product_family,
    });
    let r = s.app.create_service_request(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::service_request(&r.id),
        Some(&r.etag.clone()),
        r,
    ))
}

/// Filters of the service request list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// `open`, `attentionNeeded`, `closed`.
    pub status: Option<String>,
    pub customer_id: Option<String>,
    /// `customer` or `partner`.
    pub scope: Option<String>,
    /// Operator only.
    pub organization_id: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The caller's organisation's service requests (the operator: all), newest first.
#[utoipa::path(get, path = "/v1/servicerequests", tag = "Support", security(("bearer" = [])), params(RequestListQuery),
    extensions(("x-partnerd-action" = json!("readServiceRequests"))),
    responses((status = 200, body = Collection<ServiceRequest>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn requests(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<RequestListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    let f = ServiceRequestFilters {
        status: q.status,
        customer_id: q.customer_id.map(OrgId::from_raw),
        scope: q.scope,
        organization_id: q.organization_id.map(OrgId::from_raw),
    };
    Ok(Json(s.app.list_service_requests(&p, &f, &paging).await?).into_response())
}

/// One service request with its notes.
#[utoipa::path(get, path = "/v1/servicerequests/{id}", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("readServiceRequests"))),
    responses((status = 200, body = ServiceRequest), (status = 404, body = Problem)))]
pub async fn request(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ServiceRequestId>,
) -> ApiResult<Response> {
    let r = s.app.get_service_request(&p, &id).await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// Changes to a service request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRequestChangesBody {
    /// The creator: `closed` only; the operator: `open`, `attentionNeeded`, `closed`.
    pub status: Option<String>,
    /// The operator only.
    pub assigned_to: Option<String>,
}

/// Close a request (its creator), or set status and assignee (the operator).
#[utoipa::path(patch, path = "/v1/servicerequests/{id}", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ServiceRequestChangesBody, extensions(("x-partnerd-action" = json!("readServiceRequests"))),
    responses((status = 200, body = ServiceRequest), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<ServiceRequestId>,
    body: ApiBody<ServiceRequestChangesBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| ServiceRequestChanges {
        status: b.status,
        assigned_to: b.assigned_to,
    });
    let r = s
        .app
        .update_service_request(&p, &ctx, &id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// A note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// 1–10 000 characters.
    pub text: String,
}

/// Add a note (the creator organisation, the operator); refused on a closed request.
#[utoipa::path(post, path = "/v1/servicerequests/{id}/notes", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NoteBody, extensions(("x-partnerd-action" = json!("readServiceRequests"))),
    responses((status = 201, body = Note), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem), (status = 422, body = Problem)))]
pub async fn add_note(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ServiceRequestId>,
    body: ApiBody<NoteBody>,
) -> ApiResult<Response> {
    let n = s
        .app
        .add_service_request_note(&p, &ctx, &id, body.parse().map(|b| b.text))
        .await?;
    Ok(created(
        partnerd_app::urls::service_request_note(&id, &n.id),
        None,
        n,
    ))
}

/// Reopen a closed request.
#[utoipa::path(post, path = "/v1/servicerequests/{id}/reopen", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("readServiceRequests"))),
    responses((status = 200, body = ServiceRequest), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn reopen(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ServiceRequestId>,
) -> ApiResult<Response> {
    let r = s.app.reopen_service_request(&p, &ctx, &id).await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// A new incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentBody {
    pub title: String,
    pub product_families: Vec<String>,
    /// `informational`, `warning`, `critical`.
    pub severity: String,
    pub message: String,
    /// RFC 3339; default now.
    pub started_at: Option<String>,
}

/// Post an incident (the operator's GA and agents).
#[utoipa::path(post, path = "/v1/serviceincidents", tag = "Support", security(("bearer" = [])), request_body = IncidentBody,
    extensions(("x-partnerd-action" = json!("manageServiceIncidents"))),
    responses((status = 201, body = ServiceIncident), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_incident(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<IncidentBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| IncidentInput {
        title: b.title,
        product_families: b.product_families,
        severity: b.severity,
        message: b.message,
        started_at: b.started_at,
    });
    let i = s.app.create_incident(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::incident(&i.id),
        Some(&i.etag.clone()),
        i,
    ))
}

/// Filters of the incident list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct IncidentListQuery {
    /// `active` (default), `resolved`, `all`.
    pub status: Option<String>,
    pub product_family: Option<String>,
    /// RFC 3339: incidents still active or resolved since then.
    pub since: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The incidents relevant to the caller (product families its customers hold).
#[utoipa::path(get, path = "/v1/serviceincidents", tag = "Support", security(("bearer" = [])), params(IncidentListQuery),
    extensions(("x-partnerd-action" = json!("readServiceHealth"))),
    responses((status = 200, body = Collection<ServiceIncident>), (status = 422, body = Problem)))]
pub async fn incidents(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<IncidentListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    let f = IncidentFilters {
        status: q.status,
        product_family: q.product_family,
        since: q.since,
    };
    Ok(Json(s.app.list_incidents(&p, &f, &paging).await?).into_response())
}

/// One incident with its updates (404 when it does not concern the caller).
#[utoipa::path(get, path = "/v1/serviceincidents/{id}", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("readServiceHealth"))),
    responses((status = 200, body = ServiceIncident), (status = 404, body = Problem)))]
pub async fn incident(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<IncidentId>,
) -> ApiResult<Response> {
    let i = s.app.get_incident(&p, &id).await?;
    Ok(ok_with_etag(&i.etag.clone(), i))
}

/// Changes to an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentChangesBody {
    pub title: Option<String>,
    pub severity: Option<String>,
    /// `active` or `resolved`.
    pub status: Option<String>,
    pub resolved_at: Option<String>,
}

/// Change or resolve an incident (the operator's GA and agents).
#[utoipa::path(patch, path = "/v1/serviceincidents/{id}", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = IncidentChangesBody, extensions(("x-partnerd-action" = json!("manageServiceIncidents"))),
    responses((status = 200, body = ServiceIncident), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_incident(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<IncidentId>,
    body: ApiBody<IncidentChangesBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| IncidentChanges {
        title: b.title,
        severity: b.severity,
        status: b.status,
        resolved_at: b.resolved_at,
    });
    let i = s
        .app
        .update_incident(&p, &ctx, &id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&i.etag.clone(), i))
}

/// An update's text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdateBody {
    pub message: String,
}

/// Post an update on an incident.
#[utoipa::path(post, path = "/v1/serviceincidents/{id}/updates", tag = "Support", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = IncidentUpdateBody, extensions(("x-partnerd-action" = json!("manageServiceIncidents"))),
    responses((status = 201, body = IncidentUpdate), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn post_update(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<IncidentId>,
    body: ApiBody<IncidentUpdateBody>,
) -> ApiResult<Response> {
    let u = s
        .app
        .post_incident_update(&p, &ctx, &id, body.parse().map(|b| b.message))
        .await?;
    Ok(created(
        partnerd_app::urls::incident_update(&id, &u.id),
        None,
        u,
    ))
}
