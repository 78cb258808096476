//! Invoices: the reader's invoices as seller or buyer (the operator: all),
//! filtered and paged; an invoice's page with its reseller subtotals and its lines
//! grouped by reseller, then customer; the CSV, a printable page without the
//! menu; and, for the seller, Issue and Void (asked first: the lines move to a new
//! draft with the next number). The mailed link `/billing/invoices/{id}` is this
//! page, for the buyer too.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use partnerd_app::AppError;
use partnerd_app::billing::{
    Invoice, InvoiceFilters, InvoiceLine, InvoicePage, Payment, PaymentInput,
};
use partnerd_app::paging::PageParams;
use partnerd_domain::OrgKind;
use partnerd_domain::ids::InvoiceId;
use serde::Deserialize;

use super::{line_cells, line_head, status_words, tier_words};
use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{capitalize, nothing_changed, page};
use crate::pages::{
    Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Values, blank, csrf_field,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    side: Option<String>,
    month: Option<String>,
    status: Option<String>,
    continuation_token: Option<String>,
}

/// `/billing/invoices`.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let customer = p.organization.kind == OrgKind::Customer;
    let filters = InvoiceFilters {
        side: blank(&q.side).filter(|_| !customer),
        month: blank(&q.month),
        status: blank(&q.status),
        ..InvoiceFilters::default()
    };
    let found = s
        .app
        .list_invoices(
            p,
            &filters,
            &PageParams {
                size: Some(25),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let sel = |v: &Option<String>, o: &str| v.as_deref() == Some(o);
    let filtered = filters.side.is_some() || filters.month.is_some() || filters.status.is_some();
    let next = found.continuation_token.as_ref().map(|t| {
        crate::pages::next_page_link(
            "/billing/invoices",
            &[
                ("side", &filters.side),
                ("month", &filters.month),
                ("status", &filters.status),
            ],
            t,
        )
    });
    let me = &p.organization.id;
    let body = html! {
        form.filters method="get" action="/billing/invoices" {
            @if !customer {
                div { label for="side" { "Invoices" }
                    select #side name="side" {
                        option value="" { "Sent and received" }
                        option value="seller" selected[sel(&filters.side, "seller")] { "Sent by you" }
                        option value="buyer" selected[sel(&filters.side, "buyer")] { "Sent to you" }
                    }
                }
            }
            div { label for="month" { "Month" } input #month name="month" type="month" value=(filters.month.clone().unwrap_or_default()); }
            div { label for="status" { "Status" }
                select #status name="status" {
                    option value="" { "Any" }
                    @for st in ["draft", "issued", "paid", "void"] {
                        option value=(st) selected[sel(&filters.status, st)] { (status_words(st)) }
                    }
                }
            }
            div { button type="submit" { "Show" } }
        }
        @if found.items.is_empty() {
            @if filtered {
                p.empty { "No invoices match these filters. " a href="/billing/invoices" { "Show all invoices" } }
            } @else {
                p.empty { "No invoices yet. Each month's invoices are made shortly after the month ends." }
            }
        } @else {
            p.muted { (crate::pages::layout::count(found.total_count, "invoice", "invoices")) }
            table.stack {
                thead { tr { th { "Invoice" } th { "Month" } th { "From" } th { "To" } th { "Status" } th.num { "Total" } th.num { "Balance due" } } }
                tbody { @for i in &found.items { tr {
                    td data-label="Invoice" { @if let Some(id) = &i.id { a href=(format!("/billing/invoices/{id}")) { "No. " (i.number.clone().unwrap_or_default()) } } }
                    td data-label="Month" { (i.month.spoken()) }
                    td data-label="From" { (i.seller.name) @if &i.seller_organization_id == me { " (you)" } }
                    td data-label="To" { (i.buyer.name) @if &i.buyer_organization_id == me { " (you)" } }
                    td data-label="Status" { (status_words(&i.status)) }
                    td.num data-label="Total" { (i.total) }
                    td.num data-label="Balance due" { (i.balance_due) }
                } } }
            }
            @if let Some(n) = next { p { a href=(n) { "Older invoices" } } }
        }
    };
    Ok(page("Invoices", &user, &csrf, body))
}

fn invoice_title(i: &Invoice) -> String {
    format!("Invoice {}", i.number.clone().unwrap_or_default())
}

/// The invoice's facts, on its page and its printable page.
fn facts(i: &Invoice) -> Markup {
    html! {
        dl.facts {
            dt { "From" } dd { (i.seller.name) }
            dt { "To" } dd { (i.buyer.name) }
            dt { "For" } dd { (i.month.spoken()) " (" (tier_words(i.tier).to_lowercase()) ")" }
            dt { "Status" } dd { (status_words(&i.status)) }
            @if let Some(d) = i.invoice_date { dt { "Invoice date" } dd { (d.spoken()) } }
            @if let Some(d) = i.due_date { dt { "Due" } dd { (d.spoken()) } }
            dt { "Lines" } dd { (i.line_count) }
            dt { "Total" } dd { strong { (i.total) } }
            dt { "Paid" } dd { (i.amount_paid) }
            dt { "Balance due" } dd { (i.balance_due) }
            @if let Some(r) = &i.void_reason { dt { "Voided because" } dd { (r) } }
        }
    }
}

fn subtotals(i: &Invoice) -> Markup {
    html! {
        @if !i.reseller_subtotals.is_empty() {
            h2 { "By reseller" }
            table.stack {
                thead { tr { th { "Reseller" } th.num { "Amount" } } }
                tbody { @for r in &i.reseller_subtotals { tr {
                    td data-label="Reseller" { (r.reseller_name) } td.num data-label="Amount" { (r.amount) }
                } } }
            }
        }
    }
}

/// Lines under headings: a reseller, then each of its customers.
fn grouped(lines: &[InvoiceLine]) -> Markup {
    let mut reseller: Option<&str> = None;
    let mut customer: Option<&str> = None;
    let mut blocks: Vec<(Option<String>, String, Vec<&InvoiceLine>)> = Vec::new();
    for l in lines {
        let r = l.line.reseller_organization_id.as_str();
        let c = l.line.customer_id.as_str();
        if reseller != Some(r) || customer != Some(c) {
            let heading = (reseller != Some(r)).then(|| l.line.reseller_name.clone());
            blocks.push((heading, l.line.customer_name.clone(), Vec::new()));
            reseller = Some(r);
            customer = Some(c);
        }
        if let Some((_, _, items)) = blocks.last_mut() {
            items.push(l);
        }
    }
    html! {
        @for (reseller, customer, items) in &blocks {
            @if let Some(r) = reseller { h3.reseller { "Reseller: " (r) } }
            h4.customer { "Customer: " (customer) }
            table.stack.lines {
                thead { tr { th.num { "No." } (line_head()) } }
                tbody { @for l in items { tr {
                    td.num data-label="No." { (l.line_number) } (line_cells(&l.line))
                } } }
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DetailQuery {
    continuation_token: Option<String>,
    done: Option<String>,
}

/// `/billing/invoices/{id}`.
pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<InvoiceId>,
    Query(q): Query<DetailQuery>,
) -> Result<Markup, PageError> {
    let InvoicePage {
        invoice: i,
        lines,
        may_issue,
        may_void,
    } = s
        .app
        .invoice_page(
            &user.principal,
            &id,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let here = format!("/billing/invoices/{id}");
    let p = &user.principal;
    let payments = s
        .app
        .invoice_payments(p, &id, &PageParams::first(50))
        .await?;
    let seller = i.seller_organization_id == p.organization.id
        && p.may(partnerd_domain::policy::Action::ManageInvoices);
    let may_record = seller && i.status == "issued";
    let body = html! {
        @match q.done.as_deref() {
            Some("issued") => { div.alert.success role="status" { "The invoice was issued; its buyer's admins were told by mail." } }
            Some("paid") => { div.alert.success role="status" { "The payment was recorded; the buyer's admins were told by mail." } }
            Some("reversed") => { div.alert.success role="status" { "The payment was reversed; its amount is due again." } }
            Some("voided") => { div.alert.success role="status" { "The invoice was voided. This is the new draft that holds its lines." } }
            _ => {}
        }
        (facts(&i))
        @if let Some(r) = &i.replaced_by_invoice_id { p { "Replaced by " a href=(format!("/billing/invoices/{r}")) { "the new draft" } "." } }
        @if let Some(r) = &i.replaces_invoice_id { p { "Replaces " a href=(format!("/billing/invoices/{r}")) { "a voided invoice" } "." } }
        p.actions {
            a.button.secondary href=(format!("{here}/lineitems.csv")) download { "Download CSV" }
            " "
            a.button.secondary href=(format!("{here}/print")) { "Printable version" }
        }
        @if may_issue || may_void {
            div.card {
                h2 { "Change" }
                @if may_issue {
                    p { "Issuing dates the invoice today, sets its due date and sends it to " (i.buyer.name) "." }
                    form method="post" action=(format!("{here}/issue")) {
                        (csrf_field(&csrf))
                        button type="submit" { "Issue invoice" }
                    }
                }
                @if may_void { p { a href=(format!("{here}/void")) { "Void invoice" } } }
            }
        }
        (payments_section(&csrf, &i, &payments.items, seller, may_record, "", None))
        (subtotals(&i))
        h2 { "Lines" }
        @if lines.items.is_empty() { p.empty { "This invoice has no lines." } } @else {
            p.muted { (crate::pages::layout::count(lines.total_count, "line", "lines")) ", by reseller and customer" }
            (grouped(&lines.items))
            @if let Some(t) = &lines.continuation_token {
                p { a href=(crate::pages::next_page_link(&here, &[], t)) { "More lines" } }
            }
        }
        p { a href="/billing/invoices" { "Back to invoices" } }
    };
    Ok(page(&invoice_title(&i), &user, &csrf, body))
}

/// `/billing/invoices/{id}/print`: the whole invoice as a document, without the
/// menu, for printing or saving as PDF.
pub async fn print_page(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<InvoiceId>,
) -> Result<Markup, PageError> {
    let (i, lines) = s.app.invoice_document(&user.principal, &id).await?;
    let title = invoice_title(&i);
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (i.seller.name) }
                link rel="stylesheet" href="/assets/app.css";
            }
            body.print {
                main.document #main {
                    p.no-print { a href=(format!("/billing/invoices/{id}")) { "Back to the invoice" } }
                    h1 { (title) }
                    (facts(&i))
                    (subtotals(&i))
                    h2 { "Lines" }
                    @if lines.is_empty() { p { "This invoice has no lines." } } @else { (grouped(&lines)) }
                    p.muted { "Document digest (SHA-256 of the CSV): " code.digest { (i.document_digest) } }
                }
            }
        }
    })
}

/// `/billing/invoices/{id}/lineitems.csv`, with the portal's session.
pub async fn csv_download(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<InvoiceId>,
) -> Result<Response, PageError> {
    let (name, body) = s.app.invoice_csv(&user.principal, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Whether a refusal is shown as "nothing was changed" (the seller may act; the
/// invoice was not in a state for it) rather than as an error page.
fn refused_here(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Conflict { .. } | AppError::Validation(_) | AppError::Forbidden { .. }
    )
}

pub async fn issue(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<InvoiceId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    let p = &user.principal;
    let here = format!("/billing/invoices/{id}");
    match s.app.issue_invoice(p, &ctx, &id).await {
        Ok(_) => Ok(Redirect::to(&format!("{here}?done=issued")).into_response()),
        Err(e) if refused_here(&e) && p.may(partnerd_domain::policy::Action::ManageInvoices) => Ok(
            nothing_changed(&user, &csrf, (&here, "Back to the invoice"), &e),
        ),
        Err(e) => Err(e.into()),
    }
}

fn void_body(csrf: &str, i: &Invoice, reason: &str, error: Option<&str>) -> Markup {
    let id = i.id.as_ref().map(ToString::to_string).unwrap_or_default();
    html! {
        div.card {
            p { "Void invoice " strong { (i.number.clone().unwrap_or_default()) } " to " (i.buyer.name) " for " (i.month.spoken()) ", " (i.total) "?" }
            p { "What follows: the invoice keeps its number and is marked void. Its " (i.line_count) " lines move at once to a new draft invoice with your next number, for the same month and buyer, which you can check and issue."
                @if i.status == "issued" { " " (i.buyer.name) "'s admins are told by mail that this invoice is void." } }
            p { "This cannot be undone." }
            form method="post" action=(format!("/billing/invoices/{id}/void")) novalidate {
                (csrf_field(csrf))
                label for="reason" { "Reason" }
                textarea #reason name="reason" rows="3" aria-invalid=[error.map(|_| "true")] aria-describedby="reason-hint" { (reason) }
                p.hint #reason-hint { "Required. Kept with the invoice" @if i.status == "issued" { " and told to its buyer" } "." }
                @if let Some(e) = error { p.field-error role="alert" { (capitalize(e)) } }
                button.danger type="submit" { "Void invoice" }
                " "
                a.button.secondary href=(format!("/billing/invoices/{id}")) { "Keep it" }
            }
        }
    }
}

/// `/billing/invoices/{id}/void`: what voiding does, and the reason it needs.
pub async fn void_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<InvoiceId>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    p.require(partnerd_domain::policy::Action::ManageInvoices)
        .map_err(PageError)?;
    let i = s.app.get_invoice(p, &id).await?;
    if i.seller_organization_id != p.organization.id {
        return Err(PageError(AppError::forbidden(
            partnerd_app::Refusal::Forbidden,
            format!(
                "invoice {} is {}'s to change; as its buyer you can read it and download it",
                i.number.clone().unwrap_or_default(),
                i.seller.name
            ),
        )));
    }
    Ok(page(
        "Void invoice",
        &user,
        &csrf,
        void_body(&csrf, &i, "", None),
    ))
}

pub async fn void(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<InvoiceId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let p = &user.principal;
    let reason = m.get("reason").cloned().unwrap_or_default();
    let here = format!("/billing/invoices/{id}");
    match s.app.void_invoice(p, &ctx, &id, Ok(reason.clone())).await {
        Ok((_, replacement)) => {
            let next = replacement
                .id
                .map_or(here, |r| format!("/billing/invoices/{r}?done=voided"));
            Ok(Redirect::to(&next).into_response())
        }
        Err(e @ AppError::Validation(_)) => {
            let i = s.app.get_invoice(p, &id).await?;
            let message = e.field_errors().first().map(|f| f.message.clone());
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    "Void invoice",
                    &user,
                    &csrf,
                    void_body(&csrf, &i, &reason, message.as_deref()),
                ),
            )
                .into_response())
        }
        Err(e) if refused_here(&e) && p.may(partnerd_domain::policy::Action::ManageInvoices) => Ok(
            nothing_changed(&user, &csrf, (&here, "Back to the invoice"), &e),
        ),
        Err(e) => Err(e.into()),
    }
}

/// The invoice's payments, and for its seller the form to record one (issued
/// invoices) and a link to reverse each.
fn payments_section(
    csrf: &str,
    i: &Invoice,
    payments: &[Payment],
    seller: bool,
    may_record: bool,
    values: &str,
    error: Option<&str>,
) -> Markup {
    let id = i.id.as_ref().map(ToString::to_string).unwrap_or_default();
    let (amount, paid_on, reference) = {
        let mut parts = values.splitn(3, '\u{1f}');
        (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        )
    };
    html! {
        @if !payments.is_empty() || may_record {
            h2 { "Payments" }
            @if payments.is_empty() { p.empty { "No payment recorded yet." } } @else {
                table.stack {
                    thead { tr { th { "Paid on" } th { "Reference" } th.num { "Amount" } th { "Status" } @if seller { th { span.visually-hidden { "Actions" } } } } }
                    tbody { @for pay in payments { tr {
                        td data-label="Paid on" { (pay.paid_on.spoken()) }
                        td data-label="Reference" { (pay.reference) @if let Some(n) = &pay.note { br; span.muted { (n) } } }
                        td.num data-label="Amount" { (pay.amount) }
                        td data-label="Status" { @if pay.status == "reversed" { "Reversed" @if let Some(r) = &pay.reverse_reason { ": " (r) } } @else { "Recorded" } }
                        @if seller { td data-label="Actions" { @if pay.status == "recorded" {
                            a href=(format!("/billing/invoices/{id}/payments/{}/reverse", pay.id)) { "Reverse" }
                        } } }
                    } } }
                }
            }
            @if may_record {
                div.card {
                    h3 { "Record a payment" }
                    p.muted { "Money " (i.buyer.name) " paid you outside partnerd, such as a bank transfer. Balance due: " (i.balance_due) "." }
                    form method="post" action=(format!("/billing/invoices/{id}/payments")) novalidate {
                        (csrf_field(csrf))
                        input type="hidden" name="currency" value=(i.currency);
                        label for="amount" { "Amount (" (i.currency) ")" }
                        input #amount name="amount" type="text" inputmode="decimal" value=(amount) aria-invalid=[error.map(|_| "true")];
                        label for="paidOn" { "Paid on" }
                        input #paidOn name="paidOn" type="date" value=(paid_on);
                        label for="reference" { "Reference" }
                        input #reference name="reference" type="text" value=(reference) aria-describedby="reference-hint";
                        p.hint #reference-hint { "The bank or remittance reference, so you can find it again." }
                        label for="note" { "Note (optional)" }
                        input #note name="note" type="text";
                        @if let Some(e) = error { p.field-error role="alert" { (capitalize(e)) } }
                        p { button type="submit" { "Record payment" } }
                    }
                }
            }
        }
    }
}

/// `POST /billing/invoices/{id}/payments`.
pub async fn record_payment(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<InvoiceId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let p = &user.principal;
    let field = |k: &str| m.get(k).cloned().unwrap_or_default();
    let input = PaymentInput {
        amount: partnerd_app::catalog::MoneyInput {
            amount: field("amount").trim().to_owned(),
            currency: field("currency"),
        },
        paid_on: field("paidOn"),
        reference: field("reference"),
        note: Some(field("note")),
    };
    let here = format!("/billing/invoices/{id}");
    match s.app.record_payment(p, &ctx, &id, Ok(input)).await {
        Ok(_) => Ok(Redirect::to(&format!("{here}?done=paid")).into_response()),
        Err(e @ AppError::Validation(_)) => {
            let i = s.app.get_invoice(p, &id).await?;
            let payments = s
                .app
                .invoice_payments(p, &id, &PageParams::first(50))
                .await?;
            let message = e.field_errors().first().map(|f| f.message.clone());
            let message = message.map(|m| {
                let at = e
                    .field_errors()
                    .first()
                    .map(|f| f.pointer.clone())
                    .unwrap_or_default();
                let what = match at.as_str() {
                    "/amount/amount" | "/amount/currency" => "the amount",
                    "/paidOn" => "the payment day",
                    "/reference" => "the reference",
                    _ => "the note",
                };
                format!("{what} {m}")
            });
            let values = [field("amount"), field("paidOn"), field("reference")].join("\u{1f}");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    &invoice_title(&i),
                    &user,
                    &csrf,
                    html! {
                        (facts(&i))
                        (payments_section(&csrf, &i, &payments.items, true, true, &values, message.as_deref()))
                        p { a href=(here) { "Back to the invoice" } }
                    },
                ),
            )
                .into_response())
        }
        Err(e) if refused_here(&e) && p.may(partnerd_domain::policy::Action::ManageInvoices) => Ok(
            nothing_changed(&user, &csrf, (&here, "Back to the invoice"), &e),
        ),
        Err(e) => Err(e.into()),
    }
}

fn reverse_body(
    csrf: &str,
    i: &Invoice,
    pay: &Payment,
    reason: &str,
    error: Option<&str>,
) -> Markup {
    let id = i.id.as_ref().map(ToString::to_string).unwrap_or_default();
    html! {
        div.card {
            p { "Reverse the payment of " strong { (pay.amount) } " (reference " (pay.reference) ", paid on " (pay.paid_on.spoken()) ") on invoice " (i.number.clone().unwrap_or_default()) "?" }
            p { "What follows: the payment stays on record, marked reversed, and its amount is due again"
                @if i.status == "paid" { "; the invoice is no longer paid" } "." }
            form method="post" action=(format!("/billing/invoices/{id}/payments/{}/reverse", pay.id)) novalidate {
                (csrf_field(csrf))
                label for="reason" { "Reason" }
                textarea #reason name="reason" rows="3" aria-invalid=[error.map(|_| "true")] { (reason) }
                @if let Some(e) = error { p.field-error role="alert" { (capitalize(e)) } }
                button.danger type="submit" { "Reverse payment" }
                " "
                a.button.secondary href=(format!("/billing/invoices/{id}")) { "Keep it" }
            }
        }
    }
}

async fn payment_of(
    s: &AppState,
    p: &partnerd_app::Principal,
    id: &InvoiceId,
    pid: &str,
) -> Result<(Invoice, Payment), PageError> {
    let i = s.app.get_invoice(p, id).await?;
    let payments = s
        .app
        .invoice_payments(p, id, &PageParams::first(500))
        .await?;
    let pay = payments
        .items
        .into_iter()
        .find(|x| x.id.as_str() == pid)
        .ok_or_else(|| PageError(AppError::not_found()))?;
    Ok((i, pay))
}

/// `/billing/invoices/{id}/payments/{pid}/reverse`: what reversing does.
pub async fn reverse_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path((id, pid)): Path<(InvoiceId, String)>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    p.require(partnerd_domain::policy::Action::ManageInvoices)
        .map_err(PageError)?;
    let (i, pay) = payment_of(&s, p, &id, &pid).await?;
    if i.seller_organization_id != p.organization.id {
        return Err(PageError(AppError::forbidden(
            partnerd_app::Refusal::Forbidden,
            "only the invoice's seller reverses its payments",
        )));
    }
    Ok(page(
        "Reverse payment",
        &user,
        &csrf,
        reverse_body(&csrf, &i, &pay, "", None),
    ))
}

pub async fn reverse(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path((id, pid)): Path<(InvoiceId, String)>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let p = &user.principal;
    let reason = m.get("reason").cloned().unwrap_or_default();
    let here = format!("/billing/invoices/{id}");
    let payment_id = partnerd_domain::ids::PaymentId::from_raw(pid.clone());
    match s
        .app
        .reverse_payment(p, &ctx, &id, &payment_id, Ok(reason.clone()))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}?done=reversed")).into_response()),
        Err(e @ AppError::Validation(_)) => {
            let (i, pay) = payment_of(&s, p, &id, &pid).await?;
            let message = e.field_errors().first().map(|f| f.message.clone());
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    "Reverse payment",
                    &user,
                    &csrf,
                    reverse_body(&csrf, &i, &pay, &reason, message.as_deref()),
                ),
            )
                .into_response())
        }
        Err(e) if refused_here(&e) && p.may(partnerd_domain::policy::Action::ManageInvoices) => Ok(
            nothing_changed(&user, &csrf, (&here, "Back to the invoice"), &e),
        ),
        Err(e) => Err(e.into()),
    }
}
