//! Account settings > Partner profiles: the legal business, support and membership
//! profiles of an enrolled partner; global admins edit them.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::enrollment::{Address, LegalProfile, PrimaryContact, SupportProfile};
use partnerd_app::profiles::{PartnerProfiles, PartnerProfilesInput, PartnerProfilesSave};
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

fn render(
    profiles: &PartnerProfiles,
    user: &PageUser,
    csrf: &str,
    form: Option<&Values>,
    legal_errors: &FormErrors,
    support_errors: &FormErrors,
    notice: Option<&str>,
) -> Markup {
    let PartnerProfiles {
        legal,
        support,
        membership,
    } = profiles;
    let edit = user.principal.may(Action::EditPartnerProfiles);
    let values = form.cloned().unwrap_or_else(|| {
        values_of_profiles(
            legal.as_ref().map(|l| &l.profile),
            support.as_ref().map(|s| &s.profile),
        )
    });
    html! {
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
    }
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
    let profiles = s.app.partner_profiles(&user.principal).await?;
    let body = render(
        &profiles,
        &user,
        &csrf,
        None,
        &FormErrors::default(),
        &FormErrors::default(),
        notice,
    );
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
    let legal = m.contains_key("legal_name").then(|| LegalProfile {
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
    });
    let input = PartnerProfilesInput {
        legal,
        legal_etag: opt("legal_etag"),
        support: SupportProfile {
            email: get("support_email"),
            phone: get("support_phone"),
            website: opt("support_website"),
            hours: opt("support_hours"),
        },
        support_etag: opt("support_etag"),
    };
    let (legal, support, profiles) = match s
        .app
        .save_partner_profiles(&user.principal, &ctx, input)
        .await?
    {
        PartnerProfilesSave::Saved => {
            return Ok(Redirect::to("/settings/profiles?done=1").into_response());
        }
        PartnerProfilesSave::Refused {
            legal,
            support,
            profiles,
        } => (legal, support, profiles),
    };
    let errors = |e: &Option<AppError>| e.as_ref().map(FormErrors::from_app).unwrap_or_default();
    let body = render(
        &profiles,
        &user,
        &csrf.0,
        Some(&m),
        &errors(&legal),
        &errors(&support),
        None,
    );
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        page("Partner profiles", &user, &csrf.0, body),
    )
        .into_response())
}
