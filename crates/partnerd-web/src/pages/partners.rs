//! Partners (customers): the customer's partners, what each may do, and ending a
//! partner's relationship or its delegated admin, each after a confirmation.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::customers::PartnerList;
use partnerd_domain::ids::{CustomerRelationshipId, DelegatedAdminId};
use partnerd_domain::policy::Action;
use partnerd_domain::states::DelegatedAdminStatus;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Values};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/partners", get(list_page))
        .route(
            "/partners/customer-relationships/{id}/terminate",
            get(terminate_confirm).post(terminate),
        )
        .route(
            "/partners/delegations/{id}/terminate",
            get(end_delegation_confirm).post(end_delegation),
        )
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn role_label(role: &str) -> &'static str {
    if role == "indirectProvider" {
        "Indirect provider: orders for you through your reseller"
    } else {
        "Reseller: manages your subscriptions"
    }
}

/// `/partners`.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let PartnerList {
        partners,
        delegations,
    } = s.app.partner_list(p).await?;
    let may_end = p.may(Action::ManagePartnerRelationships);
    let notice = match q.done.as_deref() {
        Some("accepted") => Some("You accepted the request. Your new partners are listed below."),
        Some("ended") => {
            Some("The relationship ended; its delegated admin privileges ended with it.")
        }
        Some("delegation") => Some("The delegated admin privileges ended."),
        _ => None,
    };
    let body = html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        p { "The partners that serve your organisation, and what each may do for you." }
        @if partners.items.is_empty() {
            p.empty { "No partner works for you yet. When a reseller sends you a request, open its link to accept it." }
        } @else {
            table {
                thead { tr { th { "Partner" } th { "Country/region" } th { "Role" } th { "Since" } th { "Delegated admin" } th { span.skip { "Actions" } } } }
                tbody { @for r in &partners.items {
                    // The newest delegation of this partner (the list is newest first).
                    @let delegation = delegations.iter().find(|d| d.partner_organization_id == r.partner.organization_id);
                    tr {
                        td { (r.partner.name) } td { (r.partner.country) } td { (role_label(&r.role)) } td { (r.since.day()) }
                        td { @match delegation {
                            Some(d) if d.status == DelegatedAdminStatus::Active => { "Until " (d.expires_at.day()) " " @if may_end { a href=(format!("/partners/delegations/{}/terminate", d.id)) { "End" } } },
                            Some(d) if d.status == DelegatedAdminStatus::Expired => { "Expired on " (d.expires_at.day()) span.muted { " — the partner can send a new request" } },
                            Some(d) => { "Ended on " (d.terminated_at.unwrap_or(d.expires_at).day()) },
                            None => "None",
                        } }
                        td { @if may_end { a href=(format!("/partners/customer-relationships/{}/terminate", r.id)) { "End relationship" } } }
                    }
                } }
            }
        }
    };
    Ok(page("Partners", &user, &csrf, body))
}

pub async fn terminate_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<CustomerRelationshipId>,
) -> Result<Markup, PageError> {
    let r = s.app.get_partner_relationship(&user.principal, &id).await?;
    user.principal.require(Action::ManagePartnerRelationships)?;
    Ok(Confirm::new(
        "End partner relationship",
        html! { "End your relationship with " strong { (r.partner.name) } "?" },
        format!("/partners/customer-relationships/{}/terminate", r.id),
        "End relationship",
    )
    .consequences(html! { "It can no longer act for you, and its delegated admin privileges end too. This is refused while it still supplies active subscriptions to you. The partner is told by mail." })
    .with_reason()
    .cancel("/partners")
    .page(&user, &csrf))
}

pub async fn terminate(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<CustomerRelationshipId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let reason = m.get("reason").filter(|r| !r.trim().is_empty()).cloned();
    s.app
        .terminate_partner_relationship(&user.principal, &ctx, &id, Ok(reason))
        .await?;
    Ok(Redirect::to("/partners?done=ended").into_response())
}

pub async fn end_delegation_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<DelegatedAdminId>,
) -> Result<Markup, PageError> {
    let d = s.app.get_delegation(&user.principal, &id).await?;
    let back = if d.customer_id == user.principal.organization.id {
        "/partners".to_owned()
    } else {
        format!("/customers/{}", d.customer_id)
    };
    Ok(Confirm::new(
        "End delegated admin",
        html! { "End the delegated admin privileges of " strong { (d.partner_name) } " for " strong { (d.customer_name) } "?" },
        format!("/partners/delegations/{}/terminate", d.id),
        "End delegated admin",
    )
    .consequences(html! { "From now on it can no longer manage users, licenses and subscriptions on the customer's behalf. The relationship itself stays." })
    .cancel(back)
    .page(&user, &csrf))
}

pub async fn end_delegation(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<DelegatedAdminId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    let d = s
        .app
        .terminate_delegation(&user.principal, &ctx, &id, Ok(None))
        .await?;
    Ok(
        Redirect::to(if d.customer_id == user.principal.organization.id {
            "/partners?done=delegation"
        } else {
            "/customers"
        })
        .into_response(),
    )
}
