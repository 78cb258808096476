//! Unbilled charges: the lines of the current or the previous month on no invoice
//! yet (API-billing.md §6.4), what the reader sells unless it asks for what it
//! buys; customers see what they are charged.

use axum::extract::{Query, State};
use maud::{Markup, html};
use partnerd_app::billing::ChargeLineFilters;
use partnerd_app::paging::PageParams;
use partnerd_domain::OrgKind;
use partnerd_domain::calendar::Month;
use serde::Deserialize;

use super::{line_cells, line_head, tier_words};
use crate::AppState;
use crate::pages::layout::page;
use crate::pages::{CsrfToken, PageError, PageUser, blank};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UnbilledQuery {
    period: Option<String>,
    side: Option<String>,
    continuation_token: Option<String>,
}

/// `/billing/unbilled`.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<UnbilledQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let partner = matches!(p.organization.kind, OrgKind::Partner | OrgKind::None);
    let period = blank(&q.period);
    let side = blank(&q.side).filter(|_| partner);
    let filters = ChargeLineFilters {
        period: period.clone(),
        side: side.clone(),
        ..ChargeLineFilters::default()
    };
    let found = s
        .app
        .list_unbilled_lines(
            p,
            &filters,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let current = Month::of(s.app.now());
    let previous = period.as_deref() == Some("previous");
    let month = if previous {
        current.previous()
    } else {
        current
    };
    let sel = |v: &Option<String>, o: &str| v.as_deref() == Some(o);
    let next = found.continuation_token.as_ref().map(|t| {
        crate::pages::next_page_link(
            "/billing/unbilled",
            &[("period", &period), ("side", &side)],
            t,
        )
    });
    let body = html! {
        p { "Charges are written as they happen and go on an invoice when the month is billed, shortly after it ends." }
        form.filters method="get" action="/billing/unbilled" {
            div { label for="period" { "Month" }
                select #period name="period" {
                    option value="current" { "This month (" (current.spoken()) ")" }
                    option value="previous" selected[previous] { "Last month (" (current.previous().spoken()) "), not billed yet" }
                }
            }
            @if partner {
                div { label for="side" { "Charges" }
                    select #side name="side" {
                        option value="seller" { "What you sell" }
                        option value="buyer" selected[sel(&side, "buyer")] { "What you buy" }
                    }
                }
            }
            div { button type="submit" { "Show" } }
        }
        @if found.items.is_empty() {
            p.empty { "No unbilled charges for " (month.spoken()) "." }
        } @else {
            p.muted { (crate::pages::layout::count(found.total_count, "charge", "charges")) " in " (month.spoken()) }
            table.stack.lines {
                thead { tr { th { "Customer" } th { "Sold" } (line_head()) } }
                tbody { @for l in &found.items { tr {
                    td data-label="Customer" { (l.customer_name) br; span.muted { "through " (l.reseller_name) } }
                    td data-label="Sold" { (tier_words(l.tier)) }
                    (line_cells(l))
                } } }
            }
            @if let Some(n) = next { p { a href=(n) { "More charges" } } }
        }
    };
    Ok(page("Unbilled charges", &user, &csrf, body))
}
