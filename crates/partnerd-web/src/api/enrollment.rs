//! Tenant sign-up and indirect-reseller enrollment (API.md §5).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::enrollment::{
    Address, EmailConfirmed, Enrollment, EnrollmentFilters, LegalProfile, MembershipSignIn,
    PrimaryContact, StartEnrollmentInput, StartedEnrollment, SupportProfile, TenantCreated,
    TenantInput, VerificationSent,
};
use partnerd_domain::ids::EnrollmentId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, MaybeAuth, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant))
        .routes(routes!(start, list))
        .routes(routes!(current))
        .routes(routes!(get_one))
        .routes(routes!(membership_signin))
        .routes(routes!(link_membership))
        .routes(routes!(legal_profile))
        .routes(routes!(support_profile))
        .routes(routes!(resend_verification))
        .routes(routes!(confirm_email))
        .routes(routes!(submit))
        .routes(routes!(withdraw))
        .routes(routes!(approve))
        .routes(routes!(reject))
}

/// The tenant's first global admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantAdminRequest {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// The password policy of §3.1 applies.
    pub password: String,
}

/// A new tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantRequest {
    pub company_name: String,
    /// `[a-z0-9-]{3,40}`, no leading or trailing `-`.
    pub domain_prefix: String,
    pub country: String,
    pub admin: TenantAdminRequest,
}

impl From<TenantRequest> for TenantInput {
    fn from(t: TenantRequest) -> Self {
        Self {
            company_name: t.company_name,
            domain_prefix: t.domain_prefix,
            country: t.country,
            admin_email: t.admin.email,
            admin_first_name: t.admin.first_name,
            admin_last_name: t.admin.last_name,
            admin_password: t.admin.password,
        }
    }
}

/// Sign up: a tenant (kind `none`), its global admin, and a session.
#[utoipa::path(post, path = "/v1/tenants", tag = "Enrollment", request_body = TenantRequest,
    responses((status = 201, body = TenantCreated), (status = 409, description = "domain_unavailable, email_in_use", body = Problem),
        (status = 422, description = "weak_password, validation_failed", body = Problem), (status = 429, body = Problem)))]
pub async fn create_tenant(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<TenantRequest>,
) -> ApiResult<Response> {
    let done = s
        .app
        .create_tenant(&ctx, body.parse().map(Into::into))
        .await?;
    Ok(created(
        "/v1/organization".into(),
        Some(&done.organization.etag.clone()),
        done,
    ))
}

/// Starts an enrollment.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRequest {
    /// The shortcut for organisations that are partners already (§5.3a).
    #[serde(default)]
    pub existing_partner: bool,
    /// Unauthenticated: create the tenant and the enrollment in one call.
    pub new_tenant: Option<TenantRequest>,
}

/// Start an enrollment as indirect reseller (GA in a person's session; or, without a
/// token, with `newTenant`).
#[utoipa::path(post, path = "/v1/enrollments", tag = "Enrollment", security((), ("bearer" = [])), request_body = StartRequest,
    extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 201, body = StartedEnrollment), (status = 401, body = Problem),
        (status = 409, description = "conflict (open or approved enrollment), wrong_organization_kind", body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(s): State<AppState>,
    MaybeAuth(p): MaybeAuth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<StartRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| StartEnrollmentInput {
        existing_partner: b.existing_partner,
        new_tenant: b.new_tenant.map(Into::into),
    });
    let done = s.app.start_enrollment(p.as_ref(), &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::enrollment(&done.enrollment.id),
        Some(&done.enrollment.etag.clone()),
        done,
    ))
}

/// Filters of the review queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EnrollmentListQuery {
    pub status: Option<String>,
    pub country: Option<String>,
    /// Legal-name prefix.
    pub q: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The review queue, oldest first (operator global admins).
#[utoipa::path(get, path = "/v1/enrollments", tag = "Enrollment", security(("bearer" = [])), params(EnrollmentListQuery),
    extensions(("x-partnerd-action" = json!("reviewEnrollments"))),
    responses((status = 200, body = Collection<Enrollment>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<EnrollmentListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery {
        size: q.size,
        continuation_token: q.continuation_token.clone(),
    };
    let f = EnrollmentFilters {
        status: q.status,
        country: q.country,
        q: q.q,
    };
    Ok(Json(s.app.list_enrollments(&p, &f, &page.params()).await?).into_response())
}

/// The organisation's latest enrollment (GA, UMA).
#[utoipa::path(get, path = "/v1/enrollments/current", tag = "Enrollment", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 404, body = Problem)))]
pub async fn current(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let e = s.app.current_enrollment(&p).await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// One enrollment (its organisation's GA; operator global admins).
#[utoipa::path(get, path = "/v1/enrollments/{id}", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<EnrollmentId>,
) -> ApiResult<Response> {
    let e = s.app.get_enrollment(&p, &id).await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// A membership-registry sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrySignInRequest {
    pub username: String,
    pub password: String,
}

/// Sign in to the membership registry; lists the organisation profiles to choose from.
#[utoipa::path(post, path = "/v1/enrollments/{id}/membership/signin", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RegistrySignInRequest, extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = MembershipSignIn), (status = 401, description = "invalid_credentials", body = Problem),
        (status = 409, description = "invalid_state", body = Problem), (status = 429, body = Problem)))]
pub async fn membership_signin(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
    body: ApiBody<RegistrySignInRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| (b.username, b.password));
    Ok(Json(s.app.membership_sign_in(&p, &ctx, &id, input).await?).into_response())
}

/// The membership to link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkMembershipRequest {
    pub membership_session_token: String,
    pub membership_id: String,
}

/// Link the chosen membership (same country as the tenant).
#[utoipa::path(put, path = "/v1/enrollments/{id}/membership", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = LinkMembershipRequest, extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 403, description = "forbidden (not among the sign-in's profiles)", body = Problem),
        (status = 409, description = "membership_already_linked, invalid_state", body = Problem), (status = 410, description = "token_expired", body = Problem),
        (status = 422, description = "country_mismatch", body = Problem)))]
pub async fn link_membership(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
    body: ApiBody<LinkMembershipRequest>,
) -> ApiResult<Response> {
    let input = body
        .parse()
        .map(|b| (b.membership_session_token, b.membership_id));
    let e = s.app.link_membership(&p, &ctx, &id, input).await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// A postal address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressRequest {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// The primary contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrimaryContactRequest {
    pub first_name: String,
    pub last_name: String,
    /// Must belong to the organisation: public webmail is refused.
    pub email: String,
    pub phone: Option<String>,
}

/// The legal business profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegalProfileRequest {
    pub legal_name: String,
    pub address: AddressRequest,
    pub phone: String,
    pub website: Option<String>,
    pub primary_contact: PrimaryContactRequest,
}

impl From<LegalProfileRequest> for LegalProfile {
    fn from(l: LegalProfileRequest) -> Self {
        Self {
            legal_name: l.legal_name,
            address: Address {
                line1: l.address.line1,
                line2: l.address.line2,
                city: l.address.city,
                region: l.address.region,
                postal_code: l.address.postal_code,
                country: l.address.country,
            },
            phone: l.phone,
            website: l.website,
            primary_contact: PrimaryContact {
                first_name: l.primary_contact.first_name,
                last_name: l.primary_contact.last_name,
                email: l.primary_contact.email,
                phone: l.primary_contact.phone,
            },
        }
    }
}

/// Set the legal business profile; a new primary contact e-mail is verified again.
#[utoipa::path(put, path = "/v1/enrollments/{id}/legalprofile", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = LegalProfileRequest, extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 409, description = "invalid_state", body = Problem),
        (status = 422, description = "webmail_not_allowed, country_mismatch, validation_failed", body = Problem)))]
pub async fn legal_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<EnrollmentId>,
    body: ApiBody<LegalProfileRequest>,
) -> ApiResult<Response> {
    let e = s
        .app
        .put_legal_profile(
            &p,
            &ctx,
            &id,
            if_match.as_deref(),
            body.parse().map(Into::into),
        )
        .await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// The support profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupportProfileRequest {
    pub email: String,
    pub phone: String,
    pub website: Option<String>,
    pub hours: Option<String>,
}

/// Set the support profile.
#[utoipa::path(put, path = "/v1/enrollments/{id}/supportprofile", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SupportProfileRequest, extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn support_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path(id): Path<EnrollmentId>,
    body: ApiBody<SupportProfileRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| SupportProfile {
        email: b.email,
        phone: b.phone,
        website: b.website,
        hours: b.hours,
    });
    let e = s
        .app
        .put_support_profile(&p, &ctx, &id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// Send the verification mail again (at most once a minute, ten times a day).
#[utoipa::path(post, path = "/v1/enrollments/{id}/primarycontact/verification", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 202, body = VerificationSent), (status = 409, description = "invalid_state (verified already)", body = Problem), (status = 429, body = Problem)))]
pub async fn resend_verification(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
) -> ApiResult<Response> {
    let sent = s.app.resend_verification(&p, &ctx, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)).into_response())
}

/// A link token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

/// Confirm the primary contact's address with the mailed token (public).
#[utoipa::path(post, path = "/v1/emailverifications/confirm", tag = "Enrollment", request_body = TokenRequest,
    responses((status = 200, body = EmailConfirmed), (status = 404, description = "token_invalid", body = Problem),
        (status = 409, description = "token_used", body = Problem), (status = 410, description = "token_expired", body = Problem)))]
pub async fn confirm_email(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<TokenRequest>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .confirm_email(&ctx, body.parse().map(|b| b.token))
            .await?,
    )
    .into_response())
}

/// Enroll now: submit for verification and review (a person, not an API key).
#[utoipa::path(post, path = "/v1/enrollments/{id}/submit", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 403, description = "user_session_required", body = Problem),
        (status = 409, description = "invalid_state", body = Problem), (status = 422, description = "validation_failed (missing sections)", body = Problem)))]
pub async fn submit(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
) -> ApiResult<Response> {
    let e = s.app.submit_enrollment(&p, &ctx, &id).await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// Withdraw the enrollment.
#[utoipa::path(post, path = "/v1/enrollments/{id}/withdraw", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("manageEnrollment"))),
    responses((status = 200, body = Enrollment), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn withdraw(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
) -> ApiResult<Response> {
    let e = s.app.withdraw_enrollment(&p, &ctx, &id).await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// An approval note.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    pub note: Option<String>,
}

/// Approve (operator global admins): one transaction grants the programme, links
/// the membership and makes the enrolling user Admin agent.
#[utoipa::path(post, path = "/v1/enrollments/{id}/approve", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ApproveRequest, extensions(("x-partnerd-action" = json!("reviewEnrollments"))),
    responses((status = 200, body = Enrollment), (status = 409, description = "invalid_state, membership_already_linked", body = Problem)))]
pub async fn approve(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
    body: ApiBody<ApproveRequest>,
) -> ApiResult<Response> {
    let e = s
        .app
        .approve_enrollment(&p, &ctx, &id, body.parse().map(|b| b.note))
        .await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}

/// A rejection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// 1–2000 characters: what to fix.
    pub reason: String,
}

/// Reject with a reason (operator global admins).
#[utoipa::path(post, path = "/v1/enrollments/{id}/reject", tag = "Enrollment", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RejectRequest, extensions(("x-partnerd-action" = json!("reviewEnrollments"))),
    responses((status = 200, body = Enrollment), (status = 409, description = "invalid_state", body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<EnrollmentId>,
    body: ApiBody<RejectRequest>,
) -> ApiResult<Response> {
    let e = s
        .app
        .reject_enrollment(&p, &ctx, &id, body.parse().map(|b| b.reason))
        .await?;
    Ok(ok_with_etag(&e.etag.clone(), e))
}
