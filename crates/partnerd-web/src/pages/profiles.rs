//! Account settings > Partner profiles: the legal business, support and membership
//! profiles of an enrolled partner; global admins edit them.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::enrollment::{Address, LegalProfile, PrimaryContact, SupportProfile};
use partnerd_domain::policy::Action;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::Values;
use crate::pages::enrollment::{legal_fields, support_fields, values_of_profiles};
use crate::pages::layout::{FormErrors, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new().route("/settings/profiles", get(profiles_page).post(profiles_save))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn render(
    s: &AppState,
    user: &PageUser,
    csrf: &str,
    form: Option<&Values>,
    legal_errors: &FormErrors,
    support_errors: &FormErrors,
    notice: Option<&str>,
) -> Result<Markup, PageError> {
    let legal = s.app.legal_business_profile(&user.principal).await.ok();
    let support = s.app.support_business_profile(&user.principal).await.ok();
    let membership = s.app.membership_profile(&user.principal).await.ok();
    if legal.is_none() && support.is_none() && membership.is_none() {
        // Nothing yet: say why (and check the role) through the use case's own answer.
        s.app.support_business_profile(&user.principal).await?;
    }
    let edit = user.principal.may(Action::EditPartnerProfiles);
    let values = form.cloned().unwrap_or_else(|| {
        values_of_profiles(
            legal.as_ref().map(|l| &l.profile),
            support.as_ref().map(|s| &s.profile),
        )
    });
    Ok(html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        div.card {
            h2 { "Membership" }
            @if let Some(m) = &membership { p { (m.legal_name) " · " (m.country) " · membership ID " code { (m.membership_id) } } }
            @else { p.muted { "No membership ID is linked (organisations that became resellers as existing partners have none)." } }
        }
        @if let Some(l) = &legal {
            @if !l.primary_contact_verified { div.alert.warning { "The primary contact " (l.profile.primary_contact.email) " has not confirmed their address yet; we mailed them a link." } }
        }
        @if edit {
            form method="post" action="/settings/profiles" novalidate {
                (csrf_field(csrf))
                input type="hidden" name="legal_etag" value=(legal.as_ref().map(|l| l.etag.clone()).unwrap_or_default());
                input type="hidden" name="support_etag" value=(support.as_ref().map(|s| s.etag.clone()).unwrap_or_default());
                @if legal.is_some() { (legal_fields(&user.principal.organization.country, &values, legal_errors)) }
                (support_fields(&values, support_errors))
                button type="submit" { "Save profiles" }
            }
        } @else {
            @if let Some(l) = &legal {
                div.card { h2 { "Legal business profile" } p { strong { (l.profile.legal_name) } br; (l.profile.address.line1) br; (l.profile.address.postal_code) " " (l.profile.address.city) ", " (l.profile.address.country) br; (l.profile.phone) } p { "Primary contact: " (l.profile.primary_contact.email) } }
            }
            @if let Some(sp) = &support { div.card { h2 { "Support" } p { (sp.profile.email) " · " (sp.profile.phone) } } }
        }
    })
}

pub async fn profiles_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let notice = q.done.is_some().then_some(
        "Saved. A new primary contact must confirm their address; we mailed them a link.",
    );
    let body = render(
        &s,
        &user,
        &csrf,
        None,
        &FormErrors::default(),
        &FormErrors::default(),
        notice,
    )
    .await?;
    Ok(page("Partner profiles", &user, &csrf, body))
}

pub async fn profiles_save(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let opt = |k: &str| m.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let mut legal_errors = FormErrors::default();
    if m.contains_key("legal_name") {
        let legal = LegalProfile {
            legal_name: get("legal_name"),
            address: Address {
                line1: get("line1"),
                line2: opt("line2"),
                city: get("city"),
                region: opt("region"),
                postal_code: get("postal_code"),
                country: get("address_country").trim().to_uppercase(),
            },
            phone: get("phone"),
            website: opt("website"),
            primary_contact: PrimaryContact {
                first_name: get("contact_first_name"),
                last_name: get("contact_last_name"),
                email: get("contact_email"),
                phone: opt("contact_phone"),
            },
        };
        if let Err(e) = s
            .app
            .put_legal_business_profile(
                &user.principal,
                &ctx,
                opt("legal_etag").as_deref(),
                Ok(legal),
            )
            .await
        {
            if !matches!(
                e,
                AppError::Conflict { .. } | AppError::PreconditionFailed | AppError::Validation(_)
            ) {
                return Err(e.into());
            }
            legal_errors = FormErrors::from_app(&e);
        }
    }
    let support = SupportProfile {
        email: get("support_email"),
        phone: get("support_phone"),
        website: opt("support_website"),
        hours: opt("support_hours"),
    };
    // The legal save bumped the version both profiles share; send no stale tag.
    let support_tag = if m.contains_key("legal_name")
        && legal_errors.fields.is_empty()
        && legal_errors.general.is_none()
    {
        None
    } else {
        opt("support_etag")
    };
    let mut support_errors = FormErrors::default();
    if let Err(e) = s
        .app
        .put_support_business_profile(&user.principal, &ctx, support_tag.as_deref(), Ok(support))
        .await
    {
        if !matches!(
            e,
            AppError::Conflict { .. } | AppError::PreconditionFailed | AppError::Validation(_)
        ) {
            return Err(e.into());
        }
        support_errors = FormErrors::from_app(&e);
    }
    if legal_errors.fields.is_empty()
        && legal_errors.general.is_none()
        && support_errors.fields.is_empty()
        && support_errors.general.is_none()
    {
        return Ok(Redirect::to("/settings/profiles?done=1").into_response());
    }
    let body = render(
        &s,
        &user,
        &csrf.0,
        Some(&m),
        &legal_errors,
        &support_errors,
        None,
    )
    .await?;
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        page("Partner profiles", &user, &csrf.0, body),
    )
        .into_response())
}
