//! Billing (API-billing.md §8.5): a seller's price lists (`prices`), invoices with
//! their lines, CSV and printable page (`invoices`), the charges not on an invoice
//! yet (`unbilled`) and, for the operator, the monthly billing runs (`runs`).

mod invoices;
mod prices;
mod runs;
mod unbilled;

use maud::{Markup, html};
use partnerd_app::billing::ChargeLine;
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::Percentage;

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/billing/prices",
            get(prices::list_page).post(prices::create),
        )
        .route(
            "/billing/prices/{id}",
            get(prices::detail_page).post(prices::update),
        )
        .route(
            "/billing/prices/{id}/delete",
            get(prices::delete_confirm).post(prices::delete),
        )
        .route("/billing/invoices", get(invoices::list_page))
        .route("/billing/invoices/{id}", get(invoices::detail_page))
        .route("/billing/invoices/{id}/print", get(invoices::print_page))
        .route(
            "/billing/invoices/{id}/lineitems.csv",
            get(invoices::csv_download),
        )
        .route("/billing/invoices/{id}/issue", post(invoices::issue))
        .route(
            "/billing/invoices/{id}/payments",
            post(invoices::record_payment),
        )
        .route(
            "/billing/invoices/{id}/payments/{pid}/reverse",
            get(invoices::reverse_confirm).post(invoices::reverse),
        )
        .route(
            "/billing/invoices/{id}/void",
            get(invoices::void_confirm).post(invoices::void),
        )
        .route("/billing/unbilled", get(unbilled::list_page))
        .route("/billing/runs", get(runs::list_page).post(runs::run))
}

/// "Provider to reseller": what a tier is, for people.
pub(crate) fn tier_words(t: Tier) -> String {
    crate::pages::layout::capitalize(t.label())
}

/// An invoice's status in plain words.
pub(crate) fn status_words(s: &str) -> &'static str {
    match s {
        "draft" => "Draft",
        "issued" => "Issued",
        "paid" => "Paid",
        "void" => "Void",
        _ => "Unknown",
    }
}

/// "8 % over cost", "2.5 % under cost", "at cost".
pub(crate) fn percentage_words(p: Percentage) -> String {
    let text = p.to_string();
    match text.strip_prefix('-') {
        Some(under) => format!("{under} % under cost"),
        None if text == "0" => "at cost".to_owned(),
        None => format!("{text} % over cost"),
    }
}

/// One charge line's columns, shared by the invoice, its printable page and the
/// unbilled charges.
pub(crate) fn line_cells(l: &ChargeLine) -> Markup {
    html! {
        td data-label="Date" { (l.charge_date.spoken()) }
        td data-label="Offer" { (l.offer_name) br; span.muted { (crate::pages::layout::capitalize(l.charge_type.label())) } }
        td data-label="Period" { (l.period_start.spoken()) " to " (l.period_end.spoken()) }
        td.num data-label="Seats" { (l.quantity) }
        td.num data-label="Price per seat" { (l.effective_unit_price) }
        td.num data-label="Amount" { (l.amount) }
    }
}

/// The header row matching [`line_cells`].
pub(crate) fn line_head() -> Markup {
    html! {
        th { "Date" } th { "Offer" } th { "Period" } th.num { "Seats" } th.num { "Price per seat" } th.num { "Amount" }
    }
}
