//! `/v1/auditrecords`: the activity log.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use partnerd_app::audit::{AuditFilters, AuditRecord};
use partnerd_domain::ids::{AuditRecordId, OrgId, UserId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery};
use crate::extract::{ApiQuery, Auth};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one))
}

/// Filters of the activity log (all optional).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Default: 30 days before `endDate`.
    pub start_date: Option<String>,
    /// Default: now. The range spans at most 366 days.
    pub end_date: Option<String>,
    pub actor_user_id: Option<String>,
    /// `user`, `apiKey` or `system`.
    pub actor_type: Option<String>,
    pub on_behalf_of_organization_id: Option<String>,
    pub customer_id: Option<String>,
    /// Operator only: records of one organisation.
    pub organization_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub operation_type: Option<String>,
    /// `succeeded` or `failed`.
    pub operation_status: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

impl AuditQuery {
    pub fn filters(&self) -> AuditFilters {
        AuditFilters {
            start_date: self.start_date.clone(),
            end_date: self.end_date.clone(),
            actor_user_id: self.actor_user_id.clone().map(UserId::from_raw),
            actor_type: self.actor_type.clone(),
            on_behalf_of_organization_id: self
                .on_behalf_of_organization_id
                .clone()
                .map(OrgId::from_raw),
            customer_id: self.customer_id.clone().map(OrgId::from_raw),
            organization_id: self.organization_id.clone().map(OrgId::from_raw),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            operation_type: self.operation_type.clone(),
            operation_status: self.operation_status.clone(),
        }
    }

    pub fn page(&self) -> PageQuery {
        PageQuery {
            size: self.size,
            continuation_token: self.continuation_token.clone(),
        }
    }
}

/// Audit records the caller may read, newest first.
#[utoipa::path(get, path = "/v1/auditrecords",
    extensions(("x-partnerd-action" = json!("readAuditRecords"))), tag = "Audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Collection<AuditRecord>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .list_audit_records(&p, &q.filters(), &q.page().params())
            .await?,
    )
    .into_response())
}

/// One audit record.
#[utoipa::path(get, path = "/v1/auditrecords/{id}",
    extensions(("x-partnerd-action" = json!("readAuditRecords"))), tag = "Audit", security(("bearer" = [])),
    params(("id" = String, Path, description = "Audit record id")),
    responses((status = 200, body = AuditRecord), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<AuditRecordId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_audit_record(&p, &id).await?).into_response())
}
