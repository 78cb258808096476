//! The dashboard: who you are, your organisation, and where to go next.

use axum::extract::State;
use maud::{Markup, html};
use partnerd_app::dashboard::Dashboard;
use partnerd_domain::policy::Action;

use crate::AppState;
use crate::pages::layout::page;
use crate::pages::{CsrfToken, PageError, PageUser};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new().route("/", get(dashboard))
}

pub async fn dashboard(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let Dashboard {
        incidents,
        enrolling,
    } = s.app.dashboard(p).await?;
    let org = &p.organization;
    let body = html! {
        @if !incidents.is_empty() {
            div.alert.warning role="status" {
                strong { "Service health: " }
                @for (n, i) in incidents.iter().enumerate() {
                    @if n > 0 { "; " }
                    a href=(format!("/health/{}", i.id)) { (i.title) } " (" (i.product_families.join(", ")) ")"
                }
            }
        }
        @if enrolling {
            div.alert.warning {
                "Your organisation is not in a programme yet. "
                a href="/enroll/start" { "Continue your enrollment as an indirect reseller" }
            }
        }
        div.card {
            h2 { "Your organisation" }
            table {
                tbody {
                    tr { th scope="row" { "Name" } td { (org.name) } }
                    tr { th scope="row" { "Kind" } td { (org.kind.as_str()) } }
                    tr { th scope="row" { "Default domain" } td { (org.default_domain) } }
                    tr { th scope="row" { "Country/region" } td { (org.country) } }
                    tr { th scope="row" { "Programmes" } td {
                        @if org.programs.is_empty() { span.muted { "None yet" } }
                        @else { @for (i, prog) in org.programs.iter().enumerate() { @if i > 0 { ", " } (prog.as_str()) } }
                    } }
                }
            }
        }
        div.card {
            h2 { "You" }
            @if let Some(u) = &p.user {
                p { (u.display_name()) " · " (u.email) }
            }
            p { "Roles: "
                @if p.roles.iter().next().is_none() { span.muted { "none" } }
                @for (i, r) in p.roles.iter().enumerate() { @if i > 0 { ", " } (r.label()) }
            }
            p { a href="/password" { "Change your password" } }
        }
        @if p.may(Action::ReadAuditRecords) || p.may(Action::ManageApiKeys) {
            div.card {
                h2 { "Shortcuts" }
                ul {
                    @if p.may(Action::ReadAuditRecords) { li { a href="/activity" { "See what changed recently in the activity log" } } }
                    @if p.may(Action::ManageApiKeys) { li { a href="/settings/api-keys" { "Create an API key for your applications" } } }
                }
            }
        }
    };
    Ok(page("Dashboard", &user, &csrf, body))
}
