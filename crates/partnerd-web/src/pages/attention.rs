//! Home > Waiting on you: what is stuck, why, and where to unblock it.

use axum::extract::State;
use maud::{Markup, html};

use crate::AppState;
use crate::pages::layout::{capitalize, page};
use crate::pages::{CsrfToken, PageError, PageUser};

pub async fn page_view(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Markup, PageError> {
    let items = s.app.attention(&user.principal).await?;
    let body = html! {
        @if items.is_empty() {
            p.empty { "Nothing waits on you: no invitation or request is about to expire, and every delivery went out." }
        } @else {
            table {
                thead { tr { th { "What" } th { "Why it waits" } th { "Due" } th { span.skip { "Actions" } } } }
                tbody { @for i in &items { tr {
                    td { (i.resource_type) } td { (capitalize(&i.reason)) } td { (i.due_at.clone().unwrap_or_default()) }
                    td { @if let Some(a) = &i.action { a href=(a.portal_href) { (a.label) } } }
                } } }
            }
        }
    };
    Ok(page("Waiting on you", &user, &csrf, body))
}
