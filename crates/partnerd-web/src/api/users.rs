//! `/v1/users`: users of the caller's organisation, and what each may do.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::users::{
    CreatedUser, NewUserInput, Permission, TemporaryPassword, UserChanges, UserFilters,
};
use partnerd_app::views::User;
use partnerd_domain::ids::UserId;
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
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(reset_password))
        .routes(routes!(permissions))
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only users holding this role.
    pub role: Option<String>,
    /// Prefix of the e-mail, first or last name.
    pub q: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The organisation's users, newest first.
#[utoipa::path(get, path = "/v1/users",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, body = Collection<User>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let filters = UserFilters {
        role: q.role,
        q: q.q,
    };
    Ok(Json(s.app.list_users(&p, &filters, &page.params()).await?).into_response())
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserRequest {
    /// Unique across partnerd (case-insensitive).
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// At most one agent role plus any admin roles; empty for none.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Add a user. The temporary password is in this response only; the user must
/// change it at first sign-in.
#[utoipa::path(post, path = "/v1/users",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])), request_body = NewUserRequest,
    responses(
        (status = 201, body = CreatedUser),
        (status = 403, description = "forbidden (not GA/UMA; UMA assigning globalAdmin)", body = Problem),
        (status = 409, description = "email_in_use", body = Problem),
        (status = 422, description = "validation_failed", body = Problem),
    ))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<NewUserRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| NewUserInput {
        email: b.email,
        first_name: b.first_name,
        last_name: b.last_name,
        roles: b.roles,
    });
    let done = s.app.create_user(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::user(&done.user.id),
        Some(&done.user.etag.clone()),
        done,
    ))
}

/// One user (global and user-management admins, and the user).
#[utoipa::path(get, path = "/v1/users/{userId}",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])),
    params(("userId" = String, Path)), responses((status = 200, body = User), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(user_id): Path<UserId>,
) -> ApiResult<Response> {
    let user = s.app.get_user(&p, &user_id).await?;
    Ok(ok_with_etag(&user.etag.clone(), user))
}

/// Changes to a user; only the members sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserChangesRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub roles: Option<Vec<String>>,
    /// A disabled user cannot sign in; its sessions end at once.
    pub disabled: Option<bool>,
}

/// Change a user's names, roles or disabled flag. Role changes apply at once.
#[utoipa::path(patch, path = "/v1/users/{userId}",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])),
    params(("userId" = String, Path)), request_body = UserChangesRequest,
    responses(
        (status = 200, body = User),
        (status = 403, description = "forbidden (UMA on a global admin)", body = Problem),
        (status = 409, description = "last_global_admin", body = Problem),
        (status = 412, description = "precondition_failed", body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(user_id): Path<UserId>,
    body: ApiBody<UserChangesRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| UserChanges {
        first_name: b.first_name,
        last_name: b.last_name,
        roles: b.roles,
        disabled: b.disabled,
    });
    let user = s
        .app
        .update_user(&p, &ctx, &user_id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&user.etag.clone(), user))
}

/// Delete a user; its sessions end at once.
#[utoipa::path(delete, path = "/v1/users/{userId}",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])),
    params(("userId" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "last_global_admin", body = Problem), (status = 412, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(user_id): Path<UserId>,
) -> ApiResult<Response> {
    s.app
        .delete_user(&p, &ctx, &user_id, if_match.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A new temporary password for the user (shown once); the user is signed out everywhere.
#[utoipa::path(post, path = "/v1/users/{userId}/resetpassword",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])),
    params(("userId" = String, Path)),
    responses((status = 200, body = TemporaryPassword), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_password(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(user_id): Path<UserId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.reset_user_password(&p, &ctx, &user_id).await?).into_response())
}

/// Which action to explain.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// One action (`manageUsers`, …); all when absent.
    pub action: Option<String>,
}

/// What this user may do, and why (global and user-management admins, and the user).
#[utoipa::path(get, path = "/v1/users/{userId}/permissions",
    extensions(("x-partnerd-action" = json!("manageUsers"))), tag = "Users", security(("bearer" = [])),
    params(("userId" = String, Path), ActionQuery),
    responses((status = 200, body = Collection<Permission>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn permissions(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(user_id): Path<UserId>,
    ApiQuery(q): ApiQuery<ActionQuery>,
) -> ApiResult<Response> {
    let items = s
        .app
        .explain_permissions(&p, Some(&user_id), q.action.as_deref())
        .await?;
    Ok(Json(super::whole(items)).into_response())
}
