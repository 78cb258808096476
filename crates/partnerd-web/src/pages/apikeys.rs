//! Account settings > API keys: list, create (secret shown once), revoke with
//! confirmation.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::api_keys::CreateApiKeyInput;
use partnerd_app::paging::PageParams;
use partnerd_domain::ids::ApiKeyId;
use partnerd_domain::roles::Role;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, field, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/settings/api-keys", get(list_page).post(create))
        .route(
            "/settings/api-keys/{id}/revoke",
            get(revoke_confirm).post(revoke),
        )
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "continuationToken")]
    continuation_token: Option<String>,
    revoked: Option<String>,
}

fn create_form(user: &PageUser, csrf: &str, name: &str, errors: &FormErrors) -> Markup {
    let grantable: Vec<Role> = user
        .principal
        .roles
        .iter()
        .filter(|r| *r != Role::GlobalAdmin)
        .collect();
    html! {
        div.card {
            h2 { "Create an API key" }
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/settings/api-keys" novalidate {
                (csrf_field(csrf))
                (field("name", "Name", "text", name, "off", Some("Say which application uses it, such as \"Billing export\"."), errors.for_field("/name")))
                fieldset {
                    legend { "Roles of the key" }
                    p.hint { "A key can hold only roles you hold yourself, never Global admin. A key without roles can read only its own organisation." }
                    @if grantable.is_empty() { p.muted { "You hold no role that a key may have." } }
                    @for r in &grantable {
                        div { label { input type="checkbox" name="roles" value=(r.as_str()); " " (r.label()) } }
                    }
                    @if let Some(e) = errors.for_field("/roles") { p.field-error { (e) } }
                }
                button type="submit" { "Create key" }
            }
        }
    }
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let keys = s
        .app
        .list_api_keys(
            &user.principal,
            &PageParams {
                size: Some(50),
                continuation_token: q.continuation_token.clone(),
            },
        )
        .await?;
    let body = html! {
        @if q.revoked.is_some() { div.alert.success role="status" { "The key was revoked. Applications using it can no longer sign in." } }
        @if keys.items.is_empty() {
            p.empty { "No API keys yet. Create one below for each application that calls the partnerd API." }
        } @else {
            table {
                thead { tr { th { "Name" } th { "Prefix" } th { "Roles" } th { "Created" } th { "Last used" } th { "Expires" } th { span.skip { "Actions" } } } }
                tbody {
                    @for k in &keys.items {
                        tr {
                            td { (k.name) }
                            td { code { (k.prefix) "…" } }
                            td { @if k.roles.is_empty() { span.muted { "none" } } @else { (k.roles.join(", ")) } }
                            td { (k.created_at) }
                            td { (k.last_used_at.map_or_else(|| "never".into(), |t| t.to_string())) }
                            td { (k.expires_at.map_or_else(|| "never".into(), |t| t.to_string())) }
                            td { a href=(format!("/settings/api-keys/{}/revoke", k.id)) { "Revoke" } }
                        }
                    }
                }
            }
            p.muted { (crate::pages::layout::count(keys.total_count, "key", "keys")) }
            @if let Some(t) = &keys.continuation_token {
                p { a href=(format!("/settings/api-keys?continuationToken={t}")) { "Next page" } }
            }
        }
        (create_form(&user, &csrf, "", &FormErrors::default()))
    };
    Ok(page("API keys", &user, &csrf, body))
}

/// The form sends `roles` once per ticked box.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct CreateForm {
    name: String,
    roles: Vec<String>,
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<Response, PageError> {
    let input = CreateApiKeyInput {
        name: form.name.clone(),
        roles: form.roles,
        expires_at: None,
    };
    match s.app.create_api_key(&user.principal, &ctx, Ok(input)).await {
        Ok(key) => {
            let body = html! {
                div.alert.warning role="status" {
                    strong { "Copy the secret now. " } "It is shown only this once; partnerd keeps only a hash of it."
                }
                div.card {
                    p { "Key " strong { (key.name) } " was created." }
                    label for="secret" { "Secret" }
                    input #secret type="text" readonly value=(key.secret) .secret;
                    button.secondary type="button" data-copy="secret" hidden { "Copy secret" }
                    p #secret-status role="status" aria-live="polite" {}
                    p.hint { "Send it as " code { "Authorization: Bearer <secret>" } "." }
                }
                a.button href="/settings/api-keys" { "Done" }
            };
            Ok(page("API key created", &user, &csrf.0, body).into_response())
        }
        Err(e) if matches!(e, AppError::Validation(_)) => {
            let body = create_form(&user, &csrf.0, &form.name, &FormErrors::from_app(&e));
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page("API keys", &user, &csrf.0, body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let keys = s
        .app
        .list_api_keys(&user.principal, &PageParams::first(500))
        .await?;
    let key = keys
        .items
        .into_iter()
        .find(|k| k.id.as_str() == id)
        .ok_or_else(partnerd_app::AppError::not_found)?;
    Ok(Confirm::new(
        "Revoke API key",
        html! { "Revoke the key " strong { (key.name) } " (" code { (key.prefix) "…" } ")?" },
        format!("/settings/api-keys/{}/revoke", key.id),
        "Revoke key",
    )
    .consequences(html! { "Applications that use it are refused from the next request on. This cannot be undone; create a new key if you need one again." })
    .cancel("/settings/api-keys")
    .page(&user, &csrf))
}

pub async fn revoke(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ApiKeyId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app
        .revoke_api_key(&user.principal, &ctx, &id, None)
        .await?;
    Ok(Redirect::to("/settings/api-keys?revoked=1").into_response())
}
