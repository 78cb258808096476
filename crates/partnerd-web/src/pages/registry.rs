//! The operator's membership registry: memberships and the registry accounts that
//! sign in to them during enrollment.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::registry::{AccountInput, MembershipInput, RegistryAddition, RegistryOverview};
use partnerd_domain::ids::RegistryAccountId;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, count, field, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/operator/registry", get(registry_page))
        .route("/operator/registry/memberships", post(add_membership))
        .route("/operator/registry/accounts", post(add_account))
        .route(
            "/operator/registry/memberships/{id}/delete",
            get(delete_membership_confirm).post(delete_membership),
        )
        .route(
            "/operator/registry/accounts/{id}/delete",
            get(delete_account_confirm).post(delete_account),
        )
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn body(
    csrf: &str,
    overview: &RegistryOverview,
    m_errors: &FormErrors,
    a_errors: &FormErrors,
    values: &[(&str, String)],
    notice: Option<&str>,
) -> Markup {
    let RegistryOverview {
        memberships,
        accounts,
    } = overview;
    let v = |k: &str| {
        values
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        p { "The registry stands in for the partner network: each membership is an organisation's identity there, and applicants sign in with a registry account to link one during enrollment." }
        h2 { "Memberships" }
        @if memberships.items.is_empty() { p.empty { "No memberships yet." } } @else {
            table {
                thead { tr { th { "Membership ID" } th { "Legal name" } th { "Country" } th { "Linked organisation" } th { span.skip { "Actions" } } } }
                tbody { @for m in &memberships.items { tr {
                    td { code { (m.membership_id) } } td { (m.legal_name) } td { (m.country) }
                    td { @if let Some(o) = &m.linked_organization_id { a href=(format!("/operator/organizations/{o}")) { code { (o) } } } @else { span.muted { "not linked" } } }
                    td { @if m.linked_organization_id.is_none() { a href=(format!("/operator/registry/memberships/{}/delete", m.membership_id)) { "Delete" } } }
                } } }
            }
            p.muted { (count(memberships.total_count, "membership", "memberships")) }
        }
        div.card {
            h3 { "Add a membership" }
            @if let Some(g) = &m_errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/operator/registry/memberships" novalidate {
                (csrf_field(csrf))
                (field("membership_id", "Membership ID (optional)", "text", &v("membership_id"), "off", Some("6–12 digits; one is generated when empty."), m_errors.for_field("/membershipId")))
                (field("legal_name", "Legal name", "text", &v("legal_name"), "off", None, m_errors.for_field("/legalName")))
                (field("country", "Country/region", "text", &v("country"), "off", Some("Two letters, such as DE."), m_errors.for_field("/country")))
                button type="submit" { "Add membership" }
            }
        }
        h2 { "Registry accounts" }
        @if accounts.items.is_empty() { p.empty { "No registry accounts yet." } } @else {
            table {
                thead { tr { th { "Username" } th { "Memberships" } th { "Created" } th { span.skip { "Actions" } } } }
                tbody { @for a in &accounts.items { tr {
                    td { (a.username) } td { (a.membership_ids.join(", ")) } td { (a.created_at) }
                    td { a href=(format!("/operator/registry/accounts/{}/delete", a.id)) { "Delete" } }
                } } }
            }
        }
        div.card {
            h3 { "Add a registry account" }
            @if let Some(g) = &a_errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/operator/registry/accounts" novalidate {
                (csrf_field(csrf))
                (field("username", "Username", "text", &v("username"), "off", None, a_errors.for_field("/username")))
                (field("password", "Password", "password", "", "new-password", Some("At least 15 characters; give it to the applicant over a channel you trust."), a_errors.for_field("/password")))
                (field("membership_ids", "Membership IDs", "text", &v("membership_ids"), "off", Some("Comma separated; the profiles this account may choose from."), a_errors.for_field("/membershipIds")))
                button type="submit" { "Add account" }
            }
        }
    }
}

pub async fn registry_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let notice = match q.done.as_deref() {
        Some("membership") => Some("The membership was added."),
        Some("account") => Some("The registry account was added."),
        Some("deleted") => Some("Deleted."),
        _ => None,
    };
    let overview = s.app.registry_overview(&user.principal).await?;
    let b = body(
        &csrf,
        &overview,
        &FormErrors::default(),
        &FormErrors::default(),
        &[],
        notice,
    );
    Ok(page("Membership registry", &user, &csrf, b))
}

pub async fn add_membership(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let input = MembershipInput {
        membership_id: Some(get("membership_id")).filter(|v| !v.trim().is_empty()),
        legal_name: Some(get("legal_name")),
        country: Some(get("country").trim().to_uppercase()),
    };
    match s.app.add_membership(&user.principal, &ctx, input).await? {
        RegistryAddition::Added => {
            Ok(Redirect::to("/operator/registry?done=membership").into_response())
        }
        RegistryAddition::Refused { error: e, overview } => {
            let mut errors = FormErrors::from_app(&e);
            if matches!(e, AppError::Conflict { .. }) {
                errors = FormErrors {
                    general: None,
                    fields: vec![partnerd_domain::FieldError::invalid(
                        "/membershipId",
                        e.detail().into_owned(),
                    )],
                };
            }
            let values = [
                ("membership_id", get("membership_id")),
                ("legal_name", get("legal_name")),
                ("country", get("country")),
            ];
            let b = body(
                &csrf.0,
                &overview,
                &errors,
                &FormErrors::default(),
                &values,
                None,
            );
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page("Membership registry", &user, &csrf.0, b),
            )
                .into_response())
        }
    }
}

pub async fn add_account(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let ids: Vec<String> = get("membership_ids")
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let input = AccountInput {
        username: Some(get("username")),
        password: Some(get("password")),
        membership_ids: Some(ids),
    };
    match s
        .app
        .add_registry_account(&user.principal, &ctx, input)
        .await?
    {
        RegistryAddition::Added => {
            Ok(Redirect::to("/operator/registry?done=account").into_response())
        }
        RegistryAddition::Refused { error: e, overview } => {
            let mut errors = FormErrors::from_app(&e);
            if matches!(e, AppError::Conflict { .. }) {
                errors = FormErrors {
                    general: None,
                    fields: vec![partnerd_domain::FieldError::invalid(
                        "/username",
                        e.detail().into_owned(),
                    )],
                };
            }
            let values = [
                ("username", get("username")),
                ("membership_ids", get("membership_ids")),
            ];
            let b = body(
                &csrf.0,
                &overview,
                &FormErrors::default(),
                &errors,
                &values,
                None,
            );
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page("Membership registry", &user, &csrf.0, b),
            )
                .into_response())
        }
    }
}

fn confirm(user: &PageUser, csrf: &str, what: &str, action: &str) -> Markup {
    Confirm::new(
        "Delete from the registry",
        html! { "Delete " strong { (what) } "? This cannot be undone." },
        action.to_owned(),
        "Delete",
    )
    .cancel("/operator/registry")
    .page(user, csrf)
}

pub async fn delete_membership_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let m = s.app.get_membership(&user.principal, &id).await?;
    Ok(confirm(
        &user,
        &csrf,
        &format!("membership {} ({})", m.membership_id, m.legal_name),
        &format!("/operator/registry/memberships/{id}/delete"),
    ))
}

pub async fn delete_account_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<RegistryAccountId>,
) -> Result<Markup, PageError> {
    let a = s.app.get_registry_account(&user.principal, &id).await?;
    Ok(confirm(
        &user,
        &csrf,
        &format!("the registry account {}", a.username),
        &format!("/operator/registry/accounts/{id}/delete"),
    ))
}

pub async fn delete_membership(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.delete_membership(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to("/operator/registry?done=deleted").into_response())
}

pub async fn delete_account(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<RegistryAccountId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app
        .delete_registry_account(&user.principal, &ctx, &id)
        .await?;
    Ok(Redirect::to("/operator/registry?done=deleted").into_response())
}
