//! Billing runs (operator): each month's run, newest first; the form that runs a
//! closed month or previews any month up to the current one — the invoices and
//! digest it would make, nothing stored (API-billing.md §7.1).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::billing::{BillingRun, BillingRunPreview, RunOutcome};
use partnerd_app::paging::{Page, PageParams};
use partnerd_domain::calendar::Month;
use serde::Deserialize;

use super::{status_words, tier_words};
use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Values, blank, csrf_field};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RunsQuery {
    continuation_token: Option<String>,
    done: Option<String>,
    month: Option<String>,
}

/// A run's totals per tier, in words.
fn totals(r: &BillingRun) -> Markup {
    html! {
        @if r.totals.is_empty() { "Nothing charged" } @else {
            ul.plans-list { @for t in &r.totals { li { (tier_words(t.tier)) ": " (t.amount) } } }
        }
    }
}

fn runs_body(
    csrf: &str,
    runs: &Page<BillingRun>,
    current: Month,
    month: &str,
    errors: &FormErrors,
    done: Option<(&str, &str)>,
) -> Markup {
    let previous = current.previous().to_string();
    let error = errors.for_field("/month");
    html! {
        @match done {
            Some(("ran", m)) => { div.alert.success role="status" { "The billing run for " (Month::parse(m).map(Month::spoken).unwrap_or_default()) " is done: its invoices are drafts for their sellers to issue." } }
            Some(("existing", m)) => { div.alert.success role="status" { (Month::parse(m).map(Month::spoken).unwrap_or_default()) " had been billed already; nothing changed." } }
            _ => {}
        }
        div.card {
            h2 { "Run or preview a month" }
            p.hint { "A month can be billed once it has closed, shortly after it ends; billing it again changes nothing. A preview shows the invoices and digest any month up to this one would have, from the charges as they stand, and stores nothing." }
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/billing/runs" novalidate {
                (csrf_field(csrf))
                label for="month" { "Month" }
                input #month name="month" type="month" value=(if month.is_empty() { previous.as_str() } else { month }) max=(current.to_string())
                    aria-invalid=[error.map(|_| "true")];
                @if let Some(e) = error { p.field-error role="alert" { (crate::pages::layout::capitalize(e)) } }
                button type="submit" name="mode" value="run" { "Run billing" }
                " "
                button.secondary type="submit" name="mode" value="preview" { "Preview" }
            }
        }
        h2 { "Runs" }
        @if runs.items.is_empty() { p.empty { "No month has been billed yet." } } @else {
            table.stack {
                thead { tr { th { "Month" } th { "Status" } th.num { "Invoices" } th.num { "Lines" } th { "Totals" } th { "Digest" } } }
                tbody { @for r in &runs.items { tr {
                    td data-label="Month" { (r.month.spoken()) }
                    td data-label="Status" { (if r.status == "completed" { "Done" } else { "Running" }) @if let Some(t) = r.completed_at { br; span.muted { (t.spoken()) } } }
                    td.num data-label="Invoices" { (r.invoice_count) }
                    td.num data-label="Lines" { (r.line_count) }
                    td data-label="Totals" { (totals(r)) }
                    td data-label="Digest" { code.digest { (r.digest.clone().unwrap_or_default()) } }
                } } }
            }
            @if let Some(t) = &runs.continuation_token {
                p { a href=(crate::pages::next_page_link("/billing/runs", &[], t)) { "Earlier runs" } }
            }
        }
    }
}

/// `/billing/runs`.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<RunsQuery>,
) -> Result<Markup, PageError> {
    let runs = s
        .app
        .list_billing_runs(
            &user.principal,
            &PageParams {
                size: Some(24),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let done = match (q.done.as_deref(), q.month.as_deref()) {
        (Some(d), Some(m)) => Some((d, m)),
        _ => None,
    };
    let body = runs_body(
        &csrf,
        &runs,
        Month::of(s.app.now()),
        "",
        &FormErrors::default(),
        done,
    );
    Ok(page("Billing runs", &user, &csrf, body))
}

fn preview_body(p: &BillingRunPreview) -> Markup {
    let r = &p.run;
    html! {
        div.alert.warning role="status" { "A preview: nothing was stored, no invoice was made or numbered." }
        dl.facts {
            dt { "Month" } dd { (r.month.spoken()) }
            dt { "Invoices" } dd { (r.invoice_count) }
            dt { "Lines" } dd { (r.line_count) }
            dt { "Totals" } dd { (totals(r)) }
            dt { "Digest" } dd { code.digest #digest { (r.digest.clone().unwrap_or_default()) } }
        }
        h2 { "Invoices it would make" }
        @if p.invoices.is_empty() { p.empty { "None: nothing was charged in " (r.month.spoken()) "." } } @else {
            table.stack {
                thead { tr { th { "From" } th { "To" } th { "Sold" } th { "Status" } th.num { "Lines" } th.num { "Total" } th { "Document digest" } } }
                tbody { @for i in &p.invoices { tr {
                    td data-label="From" { (i.seller.name) }
                    td data-label="To" { (i.buyer.name) }
                    td data-label="Sold" { (tier_words(i.tier)) }
                    td data-label="Status" { (status_words(&i.status)) }
                    td.num data-label="Lines" { (i.line_count) }
                    td.num data-label="Total" { (i.total) }
                    td data-label="Document digest" { code.digest { (i.document_digest) } }
                } } }
            }
        }
        p { a href="/billing/runs" { "Back to billing runs" } }
    }
}

pub async fn run(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let p = &user.principal;
    let month = m.get("month").cloned().unwrap_or_default();
    let preview = m.get("mode").map(String::as_str) == Some("preview");
    match s.app.run_billing(p, &ctx, &month, preview).await {
        Ok(RunOutcome::Created(r)) => {
            Ok(Redirect::to(&format!("/billing/runs?done=ran&month={}", r.month)).into_response())
        }
        Ok(RunOutcome::Existing(r)) => Ok(Redirect::to(&format!(
            "/billing/runs?done=existing&month={}",
            r.month
        ))
        .into_response()),
        Ok(RunOutcome::Preview(preview)) => {
            let title = format!("Preview of {}", preview.run.month.spoken());
            Ok(page(&title, &user, &csrf, preview_body(&preview)).into_response())
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let runs = s.app.list_billing_runs(p, &PageParams::first(24)).await?;
            let body = runs_body(
                &csrf,
                &runs,
                Month::of(s.app.now()),
                &month,
                &FormErrors::from_app(&e),
                None,
            );
            Ok((
                crate::problem::status_of(&e),
                page("Billing runs", &user, &csrf, body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
