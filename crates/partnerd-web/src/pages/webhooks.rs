//! Account settings > Webhooks: register (the secret shown once), test, rotate the
//! secret, read the delivery log, redeliver a failed delivery, delete (confirmed).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::paging::{Page, PageParams};
use partnerd_app::webhooks::{Webhook, WebhookInput, WebhookRecord, WebhookRegistration};
use partnerd_domain::ids::{DeliveryId, WebhookId};
use partnerd_domain::states::WebhookDeliveryStatus;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, field, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/settings/webhooks", get(list_page).post(create))
        .route("/settings/webhooks/{id}", get(detail_page))
        .route("/settings/webhooks/{id}/test", post(test))
        .route("/settings/webhooks/{id}/rotate", post(rotate))
        .route(
            "/settings/webhooks/{id}/deliveries/{did}/redeliver",
            post(redeliver),
        )
        .route(
            "/settings/webhooks/{id}/delete",
            get(delete_confirm).post(delete),
        )
}

fn secret_card(secret: &str) -> Markup {
    html! {
        div.card {
            p { "Signing secret — shown only this once. Keep it in your receiver; it verifies " code { "Partnerd-Signature" } "." }
            p { code #webhook-secret { (secret) } }
            button type="button" data-copy="webhook-secret" hidden { "Copy" }
            p.muted id="webhook-secret-status" role="status" {}
        }
    }
}

fn list_body(csrf: &str, hooks: &Page<Webhook>, url: &str, errors: &FormErrors) -> Markup {
    html! {
        p { "partnerd posts events about your organisation to your URLs, signed, and retries for a day when your receiver is down." }
        @if hooks.items.is_empty() { p.empty { "No webhooks yet." } } @else {
            table {
                thead { tr { th { "URL" } th { "Events" } th { "Enabled" } th { span.skip { "Actions" } } } }
                tbody { @for w in &hooks.items { tr {
                    td { a href=(format!("/settings/webhooks/{}", w.id)) { (w.url) } }
                    td { (w.events.join(", ")) } td { (if w.enabled { "Yes" } else { "No" }) }
                    td { a href=(format!("/settings/webhooks/{}/delete", w.id)) { "Delete" } }
                } } }
            }
        }
        div.card {
            h2 { "Register a webhook" }
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/settings/webhooks" novalidate {
                (csrf_field(csrf))
                (field("url", "URL", "url", url, "off", Some("https://…"), errors.for_field("/url")))
                (field("events", "Events", "text", "*", "off", Some("Comma separated event types, or * for all."), errors.for_field("/events")))
                button type="submit" { "Register" }
            }
        }
    }
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Markup, PageError> {
    let hooks = s
        .app
        .list_webhooks(&user.principal, &PageParams::first(100))
        .await?;
    let body = list_body(&csrf, &hooks, "", &FormErrors::default());
    Ok(page("Webhooks", &user, &csrf, body))
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let url = m.get("url").cloned().unwrap_or_default();
    let input = WebhookInput {
        url: Some(url.clone()),
        events: Some(
            m.get("events")
                .map(|e| {
                    e.split(',')
                        .map(|x| x.trim().to_owned())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        ),
        description: None,
        enabled: Some(true),
    };
    match s.app.register_webhook(&user.principal, &ctx, input).await? {
        WebhookRegistration::Registered(w) => {
            let body = html! {
                div.alert.success role="status" { "The webhook is registered." }
                (secret_card(w.secret.as_deref().unwrap_or_default()))
                p { a.button href=(format!("/settings/webhooks/{}", w.id)) { "Continue" } }
            };
            Ok(page("Webhook registered", &user, &csrf.0, body).into_response())
        }
        WebhookRegistration::Refused { error, webhooks } => {
            let b = list_body(&csrf.0, &webhooks, &url, &FormErrors::from_app(&error));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page("Webhooks", &user, &csrf.0, b),
            )
                .into_response())
        }
    }
}

/// `/settings/webhooks/{id}`: the delivery log with redelivery, test, rotate.
pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<WebhookId>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let WebhookRecord {
        webhook: w,
        deliveries: log,
    } = s.app.webhook_record(p, &id).await?;
    let base = format!("/settings/webhooks/{id}");
    let body = html! {
        p { "Events: " (w.events.join(", ")) }
        p {
            form.inline method="post" action=(format!("{base}/test")) { (csrf_field(&csrf)) button type="submit" { "Send a test event" } }
            " "
            form.inline method="post" action=(format!("{base}/rotate")) { (csrf_field(&csrf)) button.secondary type="submit" { "Rotate the secret" } }
        }
        h2 { "Deliveries" }
        @if log.items.is_empty() { p.empty { "Nothing delivered yet." } } @else {
            table {
                thead { tr { th { "Event" } th { "Status" } th { "Attempts" } th { "Answer" } th { "Next attempt" } th { span.skip { "Actions" } } } }
                tbody { @for d in &log.items { tr {
                    td { (d.event_type) } td { (d.status) } td { (d.attempt) }
                    td { @if let Some(r) = d.response_status { (r) } @else { "—" } }
                    td { (d.next_attempt_at.map(|t| t.to_string()).unwrap_or_default()) }
                    td { @if d.status == WebhookDeliveryStatus::Failed { form.inline method="post" action=(format!("{base}/deliveries/{}/redeliver", d.id)) { (csrf_field(&csrf)) button.link type="submit" { "Redeliver" } } } }
                } } }
            }
        }
        p { a href="/settings/webhooks" { "Back to webhooks" } }
    };
    Ok(page(&w.url, &user, &csrf, body))
}

pub async fn test(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<WebhookId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.test_webhook(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to(&format!("/settings/webhooks/{id}")).into_response())
}

pub async fn rotate(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<WebhookId>,
    _: Confirmed,
) -> Result<Markup, PageError> {
    let secret = s
        .app
        .rotate_webhook_secret(&user.principal, &ctx, &id, Ok(None))
        .await?;
    let body = html! {
        div.alert.success role="status" { "A new secret signs from now on; the old one also signs for one more hour." }
        (secret_card(&secret))
        p { a.button href=(format!("/settings/webhooks/{id}")) { "Back to the webhook" } }
    };
    Ok(page("Secret rotated", &user, &csrf.0, body))
}

pub async fn redeliver(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path((id, did)): Path<(WebhookId, DeliveryId)>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.redeliver(&user.principal, &ctx, &id, &did).await?;
    Ok(Redirect::to(&format!("/settings/webhooks/{id}")).into_response())
}

pub async fn delete_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<WebhookId>,
) -> Result<Markup, PageError> {
    let w = s.app.get_webhook(&user.principal, &id).await?;
    Ok(Confirm::new(
        "Delete webhook",
        html! { "Delete the webhook for " strong { (w.url) } "?" },
        format!("/settings/webhooks/{id}/delete"),
        "Delete webhook",
    )
    .consequences(html! { "Deliveries stop at once and its delivery log goes with it." })
    .cancel("/settings/webhooks")
    .page(&user, &csrf))
}

pub async fn delete(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<WebhookId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.delete_webhook(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to("/settings/webhooks").into_response())
}
