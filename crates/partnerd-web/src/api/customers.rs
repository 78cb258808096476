//! Customers (API.md §8–§9.2): `/v1/customers` (list, record, relationship
//! requests, imports, users on behalf), `/v1/partnerrelationships` (the customer's
//! view) and `/v1/delegatedadminrelationships`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use partnerd_app::customers::{
    AcceptConsent, AcceptedRequest, Customer, CustomerFilters, DelegatedAdminRelationship,
    DelegationFilters, ImportInput, ImportRecord, ImportedAdmin, ImportedCustomer,
    PartnerRelationship, RelationshipRequest, RequestInput, ResolvedRequest,
};
use partnerd_app::users::{CreatedUser, NewUserInput, TemporaryPassword, UserChanges};
use partnerd_app::views::User;
use partnerd_domain::ids::{
    CustomerRelationshipId, DelegatedAdminId, OrgId, RelationshipRequestId, ResellerRelationshipId,
    UserId,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::connections::TerminateRequest;
use crate::api::enrollment::TokenRequest;
use crate::api::users::{NewUserRequest, UserChangesRequest};
use crate::api::{Collection, PageQuery, created, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, IfMatch, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one))
        .routes(routes!(terminate))
        .routes(routes!(relationship_customers))
        .routes(routes!(create_request, list_requests))
        .routes(routes!(get_request, revoke_request))
        .routes(routes!(resolve_request))
        .routes(routes!(accept_request))
        .routes(routes!(decline_request))
        .routes(routes!(partner_relationships))
        .routes(routes!(partner_relationship))
        .routes(routes!(terminate_partner_relationship))
        .routes(routes!(delegations))
        .routes(routes!(delegation))
        .routes(routes!(terminate_delegation))
        .routes(routes!(import, imports))
        .routes(routes!(users, create_user))
        .routes(routes!(user, update_user, delete_user))
        .routes(routes!(reset_user_password))
}

/// Filters of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Prefix of the company name or the domain prefix, case-insensitive.
    pub q: Option<String>,
    pub country: Option<String>,
    /// Only customers this reseller serves too (providers, operator).
    pub indirect_reseller_id: Option<String>,
    /// Only customers this provider serves too (resellers, operator).
    pub indirect_provider_id: Option<String>,
    /// Only customers where you hold (true) or do not hold (false) active delegated admin.
    pub delegated_admin: Option<bool>,
    /// Only imported (true) or not imported (false) customers.
    pub imported: Option<bool>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The caller's customers (active relationships), newest relationship first; the
/// operator sees every customer.
#[utoipa::path(get, path = "/v1/customers", tag = "Customers", security(("bearer" = [])), params(CustomerListQuery),
    extensions(("x-partnerd-action" = json!("readCustomers"))),
    responses((status = 200, body = Collection<Customer>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    let f = CustomerFilters {
        q: q.q,
        country: q.country,
        indirect_reseller_id: q.indirect_reseller_id.map(OrgId::from_raw),
        indirect_provider_id: q.indirect_provider_id.map(OrgId::from_raw),
        delegated_admin: q.delegated_admin,
        imported: q.imported,
    };
    Ok(Json(s.app.list_customers(&p, &f, &paging).await?).into_response())
}

/// One customer.
#[utoipa::path(get, path = "/v1/customers/{customerId}", tag = "Customers", security(("bearer" = [])), params(("customerId" = String, Path)),
    extensions(("x-partnerd-action" = json!("readCustomers"))),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(customer_id): Path<OrgId>,
) -> ApiResult<Response> {
    let c = s.app.get_customer(&p, &customer_id).await?;
    Ok(ok_with_etag(&c.etag.clone(), c))
}

/// End the caller's relationship with the customer (and its delegated admin).
#[utoipa::path(post, path = "/v1/customers/{customerId}/relationship/terminate", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path)), request_body = TerminateRequest,
    extensions(("x-partnerd-action" = json!("endCustomerRelationship"))),
    responses((status = 200, body = Customer), (status = 404, body = Problem), (status = 409, description = "active_subscriptions", body = Problem)))]
pub async fn terminate(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(customer_id): Path<OrgId>,
    body: ApiBody<TerminateRequest>,
) -> ApiResult<Response> {
    let c = s
        .app
        .terminate_customer_relationship(&p, &ctx, &customer_id, body.parse().map(|b| b.reason))
        .await?;
    Ok(ok_with_etag(&c.etag.clone(), c))
}

/// Search within shared customers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SharedCustomersQuery {
    pub q: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The customers both sides of a provider–reseller relationship serve.
#[utoipa::path(get, path = "/v1/relationships/{id}/customers", tag = "Connections", security(("bearer" = [])),
    params(("id" = String, Path), SharedCustomersQuery), extensions(("x-partnerd-action" = json!("readCustomers"))),
    responses((status = 200, body = Collection<Customer>), (status = 404, body = Problem)))]
pub async fn relationship_customers(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ResellerRelationshipId>,
    ApiQuery(q): ApiQuery<SharedCustomersQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(s.app.relationship_customers(&p, &id, q.q, &paging).await?).into_response())
}

/// A relationship request to create.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelationshipRequestBody {
    /// Three-way: the customer accepts this provider too (you need an active
    /// relationship with it).
    pub indirect_provider_id: Option<String>,
    /// Ask for delegated admin privileges (GA and admin agents).
    pub include_delegated_admin: Option<bool>,
    /// ISO 8601 in days or weeks, up to and by default `P730D`.
    pub delegated_admin_duration: Option<String>,
    /// An existing customer of yours: adds the provider and/or delegated admin.
    pub customer_id: Option<String>,
    /// When given, partnerd mails the draft to this address as well.
    pub recipient_email: Option<String>,
    pub message: Option<String>,
}

/// Request a reseller relationship with a customer: returns the personal link and
/// a draft e-mail to send it with.
#[utoipa::path(post, path = "/v1/customers/relationshiprequests", tag = "Customers", security(("bearer" = [])),
    request_body = RelationshipRequestBody, extensions(("x-partnerd-action" = json!("requestCustomerRelationship"))),
    responses((status = 201, body = RelationshipRequest), (status = 403, description = "relationship_required, enrollment_required", body = Problem),
        (status = 409, description = "relationship_exists", body = Problem), (status = 422, body = Problem)))]
pub async fn create_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<RelationshipRequestBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| RequestInput {
        indirect_provider_id: b.indirect_provider_id.map(OrgId::from_raw),
        include_delegated_admin: b.include_delegated_admin,
        delegated_admin_duration: b.delegated_admin_duration,
        customer_id: b.customer_id.map(OrgId::from_raw),
        recipient_email: b.recipient_email,
        message: b.message,
    });
    let r = s.app.create_customer_request(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::relationship_request(&r.id),
        Some(&r.etag.clone()),
        r,
    ))
}

/// Filters of the request list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// `pending`, `accepted`, `declined`, `revoked`, `expired`.
    pub status: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The reseller's relationship requests, newest first.
#[utoipa::path(get, path = "/v1/customers/relationshiprequests", tag = "Customers", security(("bearer" = [])), params(RequestListQuery),
    extensions(("x-partnerd-action" = json!("requestCustomerRelationship"))),
    responses((status = 200, body = Collection<RelationshipRequest>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_requests(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<RequestListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(s.app.list_customer_requests(&p, q.status, &paging).await?).into_response())
}

/// One request (the reseller; the provider it names may read it).
#[utoipa::path(get, path = "/v1/customers/relationshiprequests/{id}", tag = "Customers", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("requestCustomerRelationship"))),
    responses((status = 200, body = RelationshipRequest), (status = 404, body = Problem)))]
pub async fn get_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<RelationshipRequestId>,
) -> ApiResult<Response> {
    let r = s.app.get_customer_request(&p, &id).await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// Withdraw a pending request; its link answers 410.
#[utoipa::path(delete, path = "/v1/customers/relationshiprequests/{id}", tag = "Customers", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("requestCustomerRelationship"))),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn revoke_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<RelationshipRequestId>,
) -> ApiResult<Response> {
    s.app.revoke_customer_request(&p, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What a request link asks for (public; the token is the secret).
#[utoipa::path(post, path = "/v1/customers/relationshiprequests/resolve", tag = "Customers", request_body = TokenRequest,
    responses((status = 200, body = ResolvedRequest), (status = 404, description = "token_invalid", body = Problem),
        (status = 409, description = "token_used", body = Problem), (status = 410, description = "token_expired", body = Problem)))]
pub async fn resolve_request(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<TokenRequest>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .resolve_customer_request(&ctx, body.parse().map(|b| b.token))
            .await?,
    )
    .into_response())
}

/// The customer's consent: every flag the request needs must be true.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerConsent {
    pub accept_reseller: Option<bool>,
    /// Required (true) for a three-way request.
    pub accept_indirect_provider: Option<bool>,
    /// Required (true) when the request asks for delegated admin.
    pub grant_delegated_admin: Option<bool>,
}

/// Accepting a relationship request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptRequestBody {
    pub token: String,
    #[serde(default)]
    pub consent: CustomerConsent,
}

/// Accept everything the request asks (a customer's, or a new tenant's, GA in person).
#[utoipa::path(post, path = "/v1/customers/relationshiprequests/accept", tag = "Customers", security(("bearer" = [])),
    request_body = AcceptRequestBody, extensions(("x-partnerd-action" = json!("acceptCustomerRelationship"))),
    responses((status = 200, body = AcceptedRequest),
        (status = 403, description = "relationship_required, user_session_required, forbidden", body = Problem),
        (status = 404, description = "token_invalid", body = Problem),
        (status = 409, description = "wrong_organization_kind, token_used, relationship_exists", body = Problem),
        (status = 410, description = "token_expired", body = Problem), (status = 422, description = "consent_required", body = Problem)))]
pub async fn accept_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<AcceptRequestBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| {
        (
            b.token,
            AcceptConsent {
                accept_reseller: b.consent.accept_reseller,
                accept_indirect_provider: b.consent.accept_indirect_provider,
                grant_delegated_admin: b.consent.grant_delegated_admin,
            },
        )
    });
    Ok(Json(s.app.accept_customer_request(&p, &ctx, input).await?).into_response())
}

/// Decline the request (a customer's, or a new tenant's, GA in person).
#[utoipa::path(post, path = "/v1/customers/relationshiprequests/decline", tag = "Customers", security(("bearer" = [])),
    request_body = TokenRequest, extensions(("x-partnerd-action" = json!("acceptCustomerRelationship"))),
    responses((status = 200, description = "`{status: declined}`"), (status = 404, body = Problem), (status = 409, body = Problem), (status = 410, body = Problem)))]
pub async fn decline_request(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<TokenRequest>,
) -> ApiResult<Response> {
    s.app
        .decline_customer_request(&p, &ctx, body.parse().map(|b| b.token))
        .await?;
    Ok(Json(serde_json::json!({"status": "declined"})).into_response())
}

/// Filters of the customer's partner list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PartnerListQuery {
    /// `active` (default), `terminated` or `all`.
    pub state: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The customer's partners (a customer's GA or UMA).
#[utoipa::path(get, path = "/v1/partnerrelationships", tag = "Customers", security(("bearer" = [])), params(PartnerListQuery),
    extensions(("x-partnerd-action" = json!("readPartnerRelationships"))),
    responses((status = 200, body = Collection<PartnerRelationship>), (status = 403, body = Problem)))]
pub async fn partner_relationships(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PartnerListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(
        s.app
            .list_partner_relationships(&p, q.state, &paging)
            .await?,
    )
    .into_response())
}

/// One of the customer's partner relationships.
#[utoipa::path(get, path = "/v1/partnerrelationships/{id}", tag = "Customers", security(("bearer" = [])), params(("id" = String, Path)),
    extensions(("x-partnerd-action" = json!("readPartnerRelationships"))),
    responses((status = 200, body = PartnerRelationship), (status = 404, body = Problem)))]
pub async fn partner_relationship(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<CustomerRelationshipId>,
) -> ApiResult<Response> {
    let r = s.app.get_partner_relationship(&p, &id).await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// End a partner's relationship and its delegated admin (the customer's GA).
#[utoipa::path(post, path = "/v1/partnerrelationships/{id}/terminate", tag = "Customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TerminateRequest,
    extensions(("x-partnerd-action" = json!("managePartnerRelationships"))),
    responses((status = 200, body = PartnerRelationship), (status = 404, body = Problem),
        (status = 409, description = "active_subscriptions, invalid_state", body = Problem)))]
pub async fn terminate_partner_relationship(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<CustomerRelationshipId>,
    body: ApiBody<TerminateRequest>,
) -> ApiResult<Response> {
    let r = s
        .app
        .terminate_partner_relationship(&p, &ctx, &id, body.parse().map(|b| b.reason))
        .await?;
    Ok(ok_with_etag(&r.etag.clone(), r))
}

/// Filters of the delegated admin list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DelegationListQuery {
    pub customer_id: Option<String>,
    /// `active`, `expired` or `terminated`.
    pub status: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Delegated admin relationships: a partner's own, or a customer's.
#[utoipa::path(get, path = "/v1/delegatedadminrelationships", tag = "Customers", security(("bearer" = [])), params(DelegationListQuery),
    extensions(("x-partnerd-action" = json!("readDelegatedAdmin"))),
    responses((status = 200, body = Collection<DelegatedAdminRelationship>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn delegations(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<DelegationListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    let f = DelegationFilters {
        customer_id: q.customer_id.map(OrgId::from_raw),
        status: q.status,
    };
    Ok(Json(s.app.list_delegations(&p, &f, &paging).await?).into_response())
}

/// One delegated admin relationship (either side).
#[utoipa::path(get, path = "/v1/delegatedadminrelationships/{id}", tag = "Customers", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("readDelegatedAdmin"))),
    responses((status = 200, body = DelegatedAdminRelationship), (status = 404, body = Problem)))]
pub async fn delegation(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<DelegatedAdminId>,
) -> ApiResult<Response> {
    let d = s.app.get_delegation(&p, &id).await?;
    Ok(ok_with_etag(&d.etag.clone(), d))
}

/// End delegated admin (the partner's GA or AA; the customer's GA).
#[utoipa::path(post, path = "/v1/delegatedadminrelationships/{id}/terminate", tag = "Customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TerminateRequest,
    extensions(("x-partnerd-action" = json!("endCustomerRelationship"))),
    responses((status = 200, body = DelegatedAdminRelationship), (status = 404, body = Problem), (status = 409, description = "invalid_state", body = Problem)))]
pub async fn terminate_delegation(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<DelegatedAdminId>,
    body: ApiBody<TerminateRequest>,
) -> ApiResult<Response> {
    let d = s
        .app
        .terminate_delegation(&p, &ctx, &id, body.parse().map(|b| b.reason))
        .await?;
    Ok(ok_with_etag(&d.etag.clone(), d))
}

/// The imported customer's first global admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportAdminBody {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// A customer to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportBody {
    /// Where the record comes from (1–40), e.g. the old system's name.
    pub source: String,
    /// The record's id there (1–128); source + externalId is imported once.
    pub external_id: String,
    pub company_name: String,
    pub domain_prefix: String,
    pub country: String,
    pub reseller_organization_id: String,
    pub indirect_provider_id: Option<String>,
    #[serde(default)]
    pub delegated_admin: Option<bool>,
    pub admin: Option<ImportAdminBody>,
}

/// Import a customer a partner already serves (operator GA); skips the consent flow.
#[utoipa::path(post, path = "/v1/customers/imports", tag = "Customers", security(("bearer" = [])), request_body = ImportBody,
    extensions(("x-partnerd-action" = json!("importCustomers"))),
    responses((status = 201, body = ImportedCustomer), (status = 403, description = "relationship_required", body = Problem),
        (status = 409, description = "conflict (imported before), domain_unavailable, email_in_use", body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<ImportBody>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| ImportInput {
        source: b.source,
        external_id: b.external_id,
        company_name: b.company_name,
        domain_prefix: b.domain_prefix,
        country: b.country,
        reseller_organization_id: b.reseller_organization_id,
        indirect_provider_id: b.indirect_provider_id.map(OrgId::from_raw),
        delegated_admin: b.delegated_admin,
        admin: b.admin.map(|a| ImportedAdmin {
            email: a.email,
            first_name: a.first_name,
            last_name: a.last_name,
        }),
    });
    let done = s.app.import_customer(&p, &ctx, input).await?;
    Ok(created(
        partnerd_app::urls::customer(&done.customer.id),
        Some(&done.customer.etag.clone()),
        done,
    ))
}

/// Filters of the import list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    pub source: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Imported customers, newest first (operator GA).
#[utoipa::path(get, path = "/v1/customers/imports", tag = "Customers", security(("bearer" = [])), params(ImportListQuery),
    extensions(("x-partnerd-action" = json!("importCustomers"))),
    responses((status = 200, body = Collection<ImportRecord>), (status = 403, body = Problem)))]
pub async fn imports(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ImportListQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(s.app.list_imports(&p, q.source, &paging).await?).into_response())
}

/// Search within a customer's users.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CustomerUserQuery {
    /// Prefix of the e-mail, first or last name.
    pub q: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The customer's users (AA, HA; delegated admin required).
#[utoipa::path(get, path = "/v1/customers/{customerId}/users", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path), CustomerUserQuery), extensions(("x-partnerd-action" = json!("readCustomerUsers"))),
    responses((status = 200, body = Collection<User>), (status = 403, description = "delegated_admin_required", body = Problem), (status = 404, body = Problem)))]
pub async fn users(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(customer_id): Path<OrgId>,
    ApiQuery(q): ApiQuery<CustomerUserQuery>,
) -> ApiResult<Response> {
    let paging = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(
        s.app
            .list_customer_users(&p, &customer_id, q.q, &paging)
            .await?,
    )
    .into_response())
}

/// Add a user to the customer's directory (AA; delegated admin required). Roles:
/// `globalAdmin`, `userManagementAdmin`, `billingAdmin` or none.
#[utoipa::path(post, path = "/v1/customers/{customerId}/users", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path)), request_body = NewUserRequest, extensions(("x-partnerd-action" = json!("administerCustomers"))),
    responses((status = 201, body = CreatedUser), (status = 403, description = "delegated_admin_required", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "email_in_use", body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(customer_id): Path<OrgId>,
    body: ApiBody<NewUserRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| NewUserInput {
        email: b.email,
        first_name: b.first_name,
        last_name: b.last_name,
        roles: b.roles,
    });
    let done = s
        .app
        .create_customer_user(&p, &ctx, &customer_id, input)
        .await?;
    Ok(created(
        partnerd_app::urls::customer_user(&customer_id, &done.user.id),
        Some(&done.user.etag.clone()),
        done,
    ))
}

/// One of the customer's users (AA, HA; delegated admin required).
#[utoipa::path(get, path = "/v1/customers/{customerId}/users/{userId}", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path), ("userId" = String, Path)), extensions(("x-partnerd-action" = json!("readCustomerUsers"))),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((customer_id, user_id)): Path<(OrgId, UserId)>,
) -> ApiResult<Response> {
    let u = s.app.get_customer_user(&p, &customer_id, &user_id).await?;
    Ok(ok_with_etag(&u.etag.clone(), u))
}

/// Change a customer user (AA; delegated admin required).
#[utoipa::path(patch, path = "/v1/customers/{customerId}/users/{userId}", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path), ("userId" = String, Path)), request_body = UserChangesRequest,
    extensions(("x-partnerd-action" = json!("administerCustomers"))),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "last_global_admin", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path((customer_id, user_id)): Path<(OrgId, UserId)>,
    body: ApiBody<UserChangesRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| UserChanges {
        first_name: b.first_name,
        last_name: b.last_name,
        roles: b.roles,
        disabled: b.disabled,
    });
    let u = s
        .app
        .update_customer_user(&p, &ctx, &customer_id, &user_id, if_match.as_deref(), input)
        .await?;
    Ok(ok_with_etag(&u.etag.clone(), u))
}

/// Delete a customer user (AA; delegated admin required).
#[utoipa::path(delete, path = "/v1/customers/{customerId}/users/{userId}", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path), ("userId" = String, Path)), extensions(("x-partnerd-action" = json!("administerCustomers"))),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "last_global_admin", body = Problem), (status = 412, body = Problem)))]
pub async fn delete_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    IfMatch(if_match): IfMatch,
    Path((customer_id, user_id)): Path<(OrgId, UserId)>,
) -> ApiResult<Response> {
    s.app
        .delete_customer_user(&p, &ctx, &customer_id, &user_id, if_match.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A new temporary password for a customer user (AA; HA except for the customer's
/// global admins; delegated admin required).
#[utoipa::path(post, path = "/v1/customers/{customerId}/users/{userId}/resetpassword", tag = "Customers", security(("bearer" = [])),
    params(("customerId" = String, Path), ("userId" = String, Path)), extensions(("x-partnerd-action" = json!("resetCustomerUserPassword"))),
    responses((status = 200, body = TemporaryPassword), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_user_password(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path((customer_id, user_id)): Path<(OrgId, UserId)>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .reset_customer_user_password(&p, &ctx, &customer_id, &user_id)
            .await?,
    )
    .into_response())
}
