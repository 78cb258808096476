//! Partners > Indirect resellers (providers) and Indirect providers (resellers), and
//! the invitation landing page where a reseller authorises a provider.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::connections::{
    AS_PROVIDER, AS_RESELLER, InvitationAnswer, InvitationAnswered, InvitationInput,
    InvitationSent, Relationship, RelationshipFilters, ResellerList,
};
use partnerd_app::paging::PageParams;
use partnerd_domain::ids::{ResellerInvitationId, ResellerRelationshipId};
use partnerd_domain::policy::Action;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, bare, capitalize, field, page};
use crate::pages::{
    Confirmed, Cookies, CsrfForm, CsrfToken, PageError, PageUser, Values, cookie, csrf_field,
};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/partners/resellers", get(resellers_page).post(invite))
        .route("/partners/invitations/{id}/revoke", post(revoke))
        .route("/partners/providers", get(providers_page))
        .route(
            "/partners/relationships/{id}/terminate",
            get(terminate_confirm).post(terminate),
        )
        .route("/invitations/reseller", get(landing).post(answer))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn relationships(
    s: &AppState,
    user: &PageUser,
    kind: &str,
) -> Result<Vec<Relationship>, PageError> {
    let f = RelationshipFilters {
        relationship_type: Some(kind.into()),
        state: Some("active".into()),
        name: None,
    };
    Ok(s.app
        .list_relationships(&user.principal, &f, &PageParams::first(500))
        .await?
        .items)
}

fn relationship_table(
    items: &[Relationship],
    may_end: bool,
    may_invite_customers: bool,
    empty: &str,
) -> Markup {
    html! {
        @if items.is_empty() { p.empty { (empty) } } @else {
            table {
                thead { tr { th { "Partner" } th { "Country/region" } th { "Membership ID" } th { "Since" } th { span.skip { "Actions" } } } }
                tbody { @for r in items {
                    @let filter = if r.relationship_type == AS_PROVIDER { "indirectResellerId" } else { "indirectProviderId" };
                    tr {
                    td { (r.partner.name) } td { (r.partner.country) } td { (r.partner.membership_id.clone().unwrap_or_default()) } td { (r.created_at) }
                    td {
                        a href=(format!("/customers?{filter}={}", r.partner.organization_id)) { "View customers" }
                        " · " a href=(format!("/partners/relationships/{}/credit", r.id)) { "Credit" }
                        @if may_invite_customers && r.relationship_type == AS_RESELLER {
                            " · " a href=(format!("/customers/request?indirectProviderId={}", r.partner.organization_id)) { "Invite new customers" }
                        }
                        @if may_end { " · " a href=(format!("/partners/relationships/{}/terminate", r.id)) { "End relationship" } }
                    }
                } } }
            }
        }
    }
}

fn invite_form(csrf: &str, m: &crate::pages::Values, errors: &FormErrors) -> Markup {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    html! {
        div.card {
            h2 { "Invite a reseller" }
            p.hint { "We mail a personal link that works once and expires in 14 days. The reseller's global admin signs in and authorises you." }
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/partners/resellers" novalidate {
                (csrf_field(csrf))
                (field("email", "Reseller's e-mail", "email", &get("email"), "off", None, errors.for_field("/email")))
                (field("reseller_name", "Reseller name (optional)", "text", &get("reseller_name"), "off", None, errors.for_field("/resellerName")))
                label for="message" { "Message (optional)" }
                textarea #message name="message" rows="3" { (get("message")) }
                @if let Some(e) = errors.for_field("/message") { p.field-error { (e) } }
                button type="submit" { "Send invitation" }
            }
        }
    }
}

fn resellers_body(
    user: &PageUser,
    csrf: &str,
    list: &ResellerList,
    m: &crate::pages::Values,
    errors: &FormErrors,
    notice: Option<&str>,
) -> Markup {
    let may_end = user.principal.may(Action::EndPartnerRelationship);
    html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        (relationship_table(&list.resellers, may_end, false, "No indirect resellers yet. Invite the first one below."))
        (invite_form(csrf, m, errors))
        h2 { "Pending invitations" }
        @if list.pending.is_empty() { p.empty { "No invitation waits for an answer." } } @else {
            table {
                thead { tr { th { "E-mail" } th { "Reseller" } th { "Sent" } th { "Expires" } th { span.skip { "Actions" } } } }
                tbody { @for i in &list.pending { tr {
                    td { (i.email) } td { (i.reseller_name.clone().unwrap_or_default()) } td { (i.created_at) } td { (i.expires_at) }
                    td { form.inline method="post" action=(format!("/partners/invitations/{}/revoke", i.id)) { (csrf_field(csrf)) button.link type="submit" { "Revoke" } } }
                } } }
            }
        }
    }
}

pub async fn resellers_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let notice = match q.done.as_deref() {
        Some("invited") => Some("The invitation was sent."),
        Some("revoked") => Some("The invitation was revoked; its link no longer works."),
        Some("ended") => Some("The relationship ended. Existing subscriptions continue."),
        _ => None,
    };
    let list = s.app.reseller_list(&user.principal).await?;
    let body = resellers_body(
        &user,
        &csrf,
        &list,
        &Default::default(),
        &FormErrors::default(),
        notice,
    );
    Ok(page("Indirect resellers", &user, &csrf, body))
}

pub async fn invite(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let input = InvitationInput {
        email: get("email"),
        reseller_name: Some(get("reseller_name")),
        message: Some(get("message")),
    };
    match s.app.invite_reseller(&user.principal, &ctx, input).await? {
        InvitationSent::Sent(_) => {
            Ok(Redirect::to("/partners/resellers?done=invited").into_response())
        }
        InvitationSent::Refused { error, list } => {
            let b = resellers_body(
                &user,
                &csrf.0,
                &list,
                &m,
                &FormErrors::from_app(&error),
                None,
            );
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page("Indirect resellers", &user, &csrf.0, b),
            )
                .into_response())
        }
    }
}

pub async fn revoke(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ResellerInvitationId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.revoke_invitation(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to("/partners/resellers?done=revoked").into_response())
}

pub async fn providers_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    user.principal.require(Action::ReadRelationships)?;
    let providers = relationships(&s, &user, AS_RESELLER).await?;
    let body = html! {
        @if q.done.as_deref() == Some("ended") { div.alert.success role="status" { "The relationship ended. Existing subscriptions continue." } }
        p { "Indirect providers buy from the vendor and support you with billing, credit, training and support. A provider invites you; you authorise it from the link in its mail. " a href="/directory" { "Find providers in the directory." } }
        (relationship_table(&providers, user.principal.may(Action::EndPartnerRelationship), user.principal.may(Action::RequestCustomerRelationship), "You work with no indirect provider yet."))
    };
    Ok(page("Indirect providers", &user, &csrf, body))
}

pub async fn terminate_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<ResellerRelationshipId>,
) -> Result<Markup, PageError> {
    let r = s.app.get_relationship(&user.principal, &id).await?;
    user.principal.require(Action::EndPartnerRelationship)?;
    Ok(Confirm::new(
        "End relationship",
        html! { "End the relationship with " strong { (r.partner.name) } "?" },
        format!("/partners/relationships/{}/terminate", r.id),
        "End relationship",
    )
    .consequences(html! {
        @if r.relationship_type == AS_PROVIDER { "You can no longer order for this reseller's customers, and its credit limit is removed." } @else { "This provider can no longer order for your customers, and you can no longer order through it." }
        " Existing subscriptions continue unchanged. Both sides are told by mail."
    })
    .with_reason()
    .cancel(if r.relationship_type == AS_PROVIDER { "/partners/resellers" } else { "/partners/providers" })
    .page(&user, &csrf))
}

pub async fn terminate(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ResellerRelationshipId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let reason = m.get("reason").filter(|r| !r.trim().is_empty()).cloned();
    let r = s
        .app
        .terminate_relationship(&user.principal, &ctx, &id, Ok(reason))
        .await?;
    let back = if r.relationship_type == AS_PROVIDER {
        "/partners/resellers?done=ended"
    } else {
        "/partners/providers?done=ended"
    };
    Ok(Redirect::to(back).into_response())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The link in the invitation mail: who invites, what authorising grants (stated
/// before the box), the box, Authorize indirect provider, Decline.
pub async fn landing(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, PageError> {
    let token = q.token.unwrap_or_default();
    let resolved = match s.app.resolve_invitation(&ctx, Ok(token.clone())).await {
        Ok(r) => r,
        Err(e) if crate::pages::link_cannot_be_used(&e) => {
            let status = crate::problem::status_of(&e);
            return Ok((
                status,
                bare(
                    "This invitation cannot be used",
                    html! { div.alert.error role="alert" { (capitalize(&e.detail())) "." } },
                ),
            )
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let signed_in = cookie(&headers, Cookies::new(&s).session_name()).is_some();
    let here: String =
        form_urlencoded::byte_serialize(format!("/invitations/reseller?token={token}").as_bytes())
            .collect();
    Ok(bare(
        "Authorize an indirect provider",
        html! {
            p { strong { (resolved.provider_name) } " (" (resolved.provider_country) ") invites you to work with them as your indirect provider"
                @if !resolved.product_families.is_empty() { " for " (resolved.product_families.join(", ")) } "." }
            div.card {
                h2 { "What authorizing means" }
                ul {
                    li { "The provider may submit orders and add subscriptions for your customers." }
                    li { "The provider gets admin access to your tenant." }
                }
                p { "Either side can end the relationship later. The invitation was sent to " (resolved.invited_email) " and expires " (resolved.expires_at) "." }
            }
            @if signed_in {
                form method="post" action="/invitations/reseller" {
                    (csrf_field(&csrf))
                    input type="hidden" name="token" value=(token);
                    div { label { input type="checkbox" name="consent" value="yes" required; " I authorize " (resolved.provider_name) " as indirect provider, as described above." } }
                    button type="submit" name="decision" value="accept" { "Authorize indirect provider" }
                    " "
                    button.secondary type="submit" name="decision" value="decline" formnovalidate { "Decline" }
                }
            } @else {
                p { "Sign in as a global admin of your organisation to answer." }
                a.button href=(format!("/signin?next={here}")) { "Sign in" }
            }
        },
    )
    .into_response())
}

pub async fn answer(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let token = m.get("token").cloned().unwrap_or_default();
    let back = format!(
        "/invitations/reseller?token={}",
        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    );
    let consent = m.get("consent").is_some_and(|v| v == "yes");
    let answer = if m.get("decision").map(String::as_str) == Some("decline") {
        InvitationAnswer::Decline
    } else {
        InvitationAnswer::Accept { consent }
    };
    match s
        .app
        .answer_invitation(&user.principal, &ctx, token, answer)
        .await
    {
        Ok(InvitationAnswered::Accepted(_)) => Ok(Redirect::to("/partners/providers").into_response()),
        Ok(InvitationAnswered::Declined) => Ok(bare("Invitation declined", html! { div.alert.success role="status" { "You declined the invitation; the provider was told." } }).into_response()),
        Err(e) if matches!(e, AppError::Forbidden { .. } | AppError::NotFound(_) | AppError::TokenInvalid(_) | AppError::Conflict { .. } | AppError::Gone(_) | AppError::Validation(_)) => {
            let status = crate::problem::status_of(&e);
            let detail = e.field_errors().first().map(|f| f.message.clone()).unwrap_or(e.detail().into_owned());
            Ok((status, bare("The invitation was not answered", html! { div.alert.error role="alert" { (capitalize(&detail)) "." } p { a href=(back) { "Back to the invitation" } } })).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
