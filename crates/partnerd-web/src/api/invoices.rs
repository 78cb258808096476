//! `/v1/billingruns` and `/v1/invoices`: the month's run, the invoices it
//! writes, their lines and CSV, issue and void (API-billing.md §7.1–§7.3).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use partnerd_app::billing::{
    BillingRun, BillingRunPreview, Invoice, InvoiceFilters, InvoiceLine, Payment, PaymentFilters,
    PaymentInput, RunOutcome,
};
use partnerd_domain::ids::{BillingRunId, InvoiceId, PaymentId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{Collection, PageQuery, created, ok_with_etag};
use crate::extract::{ApiBody, ApiQuery, Auth, ReqCtx};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs, run_billing))
        .routes(routes!(get_run))
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(invoice_lines))
        .routes(routes!(invoice_csv))
        .routes(routes!(issue_invoice))
        .routes(routes!(void_invoice))
        .routes(routes!(invoice_payments, record_payment))
        .routes(routes!(reverse_payment))
        .routes(routes!(list_payments))
}

/// A CSV download (RFC 4180, UTF-8, no BOM).
pub(crate) fn csv_download(file_name: &str, body: String) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Run (or preview) a month's billing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    /// `YYYY-MM`: a closed month (a preview takes the current one too).
    pub month: String,
    /// Show the invoices without storing anything.
    #[serde(default)]
    pub preview: bool,
}

/// The run just made, or the month's existing run, or a preview.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RunResponse {
    Run(BillingRun),
    Preview(BillingRunPreview),
}

/// Run a closed month's billing: a draft invoice per tier, seller and buyer (the
/// operator's global and billing admins). Running it again returns the same run.
#[utoipa::path(post, path = "/v1/billingruns", tag = "Billing", security(("bearer" = [])),
    request_body = RunRequest, extensions(("x-partnerd-action" = json!("runBilling"))),
    responses((status = 201, body = BillingRun), (status = 200, description = "the month's existing run, or a preview", body = RunResponse),
        (status = 403, body = Problem), (status = 409, description = "billing_period_open", body = Problem), (status = 422, body = Problem)))]
pub async fn run_billing(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    body: ApiBody<RunRequest>,
) -> ApiResult<Response> {
    let allowed = p.require(partnerd_domain::policy::Action::RunBilling);
    let b = body.parse();
    allowed?;
    let b = b?;
    Ok(
        match s.app.run_billing(&p, &ctx, &b.month, b.preview).await? {
            RunOutcome::Created(r) => created(
                partnerd_app::urls::billing_run(r.id.as_ref().map_or("", |i| i.as_str())),
                None,
                r,
            ),
            RunOutcome::Existing(r) => Json(RunResponse::Run(r)).into_response(),
            RunOutcome::Preview(v) => Json(RunResponse::Preview(v)).into_response(),
        },
    )
}

/// Paging only.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Billing runs, newest month first.
#[utoipa::path(get, path = "/v1/billingruns", tag = "Billing", security(("bearer" = [])), params(RunListQuery),
    extensions(("x-partnerd-action" = json!("runBilling"))),
    responses((status = 200, body = Collection<BillingRun>), (status = 403, body = Problem)))]
pub async fn list_runs(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<RunListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(s.app.list_billing_runs(&p, &page).await?).into_response())
}

/// One billing run.
#[utoipa::path(get, path = "/v1/billingruns/{id}", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("runBilling"))),
    responses((status = 200, body = BillingRun), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_run(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .get_billing_run(&p, &BillingRunId::from_raw(id))
            .await?,
    )
    .into_response())
}

/// Filters of the invoices.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct InvoiceListQuery {
    /// `seller` or `buyer` (default both; customers always `buyer`).
    pub side: Option<String>,
    pub tier: Option<String>,
    /// `YYYY-MM`.
    pub month: Option<String>,
    /// `draft`, `issued`, `paid` or `void`.
    pub status: Option<String>,
    pub seller_organization_id: Option<String>,
    pub buyer_organization_id: Option<String>,
    pub number: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// The caller's invoices as seller or buyer, newest first.
#[utoipa::path(get, path = "/v1/invoices", tag = "Billing", security(("bearer" = [])), params(InvoiceListQuery),
    extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Collection<Invoice>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_invoices(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<InvoiceListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    let f = InvoiceFilters {
        side: q.side,
        tier: q.tier,
        month: q.month,
        status: q.status,
        seller_organization_id: q.seller_organization_id,
        buyer_organization_id: q.buyer_organization_id,
        number: q.number,
    };
    Ok(Json(s.app.list_invoices(&p, &f, &page).await?).into_response())
}

fn with_etag(i: Invoice) -> Response {
    match i.etag.clone() {
        Some(tag) => ok_with_etag(&tag, i),
        None => Json(i).into_response(),
    }
}

/// One invoice the caller sells or buys.
#[utoipa::path(get, path = "/v1/invoices/{id}", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Invoice), (status = 404, body = Problem)))]
pub async fn get_invoice(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(with_etag(
        s.app.get_invoice(&p, &InvoiceId::from_raw(id)).await?,
    ))
}

/// An invoice's lines, numbered in its order.
#[utoipa::path(get, path = "/v1/invoices/{id}/lineitems", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path), RunListQuery), extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Collection<InvoiceLine>), (status = 404, body = Problem)))]
pub async fn invoice_lines(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RunListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(
        s.app
            .invoice_lines(&p, &InvoiceId::from_raw(id), &page)
            .await?,
    )
    .into_response())
}

/// An invoice's lines as CSV (28 columns; `invoice-<number>.csv`).
#[utoipa::path(get, path = "/v1/invoices/{id}/lineitems.csv", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
pub async fn invoice_csv(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, body) = s.app.invoice_csv(&p, &InvoiceId::from_raw(id)).await?;
    Ok(csv_download(&name, body))
}

/// Issue a draft: dated today, due after the payment terms (the seller).
#[utoipa::path(post, path = "/v1/invoices/{id}/issue", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), extensions(("x-partnerd-action" = json!("manageInvoices"))),
    responses((status = 200, body = Invoice), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_state", body = Problem)))]
pub async fn issue_invoice(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(with_etag(
        s.app
            .issue_invoice(&p, &ctx, &InvoiceId::from_raw(id))
            .await?,
    ))
}

/// Why an invoice is voided.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoidRequest {
    /// 1–2000 characters.
    pub reason: String,
}

/// The voided invoice and the draft that takes its lines.
#[derive(Serialize, ToSchema)]
pub struct VoidResponse {
    pub voided: Invoice,
    pub replacement: Invoice,
}

/// Void a draft or issued invoice without payments; its lines move to a new
/// draft with the next number (the seller).
#[utoipa::path(post, path = "/v1/invoices/{id}/void", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = VoidRequest, extensions(("x-partnerd-action" = json!("manageInvoices"))),
    responses((status = 200, body = VoidResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_state, invoice_has_payments", body = Problem), (status = 422, body = Problem)))]
pub async fn void_invoice(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
    body: ApiBody<VoidRequest>,
) -> ApiResult<Response> {
    let reason = body.parse().map(|b| b.reason);
    let (voided, replacement) = s
        .app
        .void_invoice(&p, &ctx, &InvoiceId::from_raw(id), reason)
        .await?;
    Ok(Json(VoidResponse {
        voided,
        replacement,
    })
    .into_response())
}

/// Money received for an issued invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentRequest {
    /// Not zero; the sign of the invoice's total.
    pub amount: crate::api::offers::MoneyRequest,
    /// `YYYY-MM-DD`, not after today.
    pub paid_on: String,
    /// 1–100 characters: the bank or remittance reference.
    pub reference: String,
    /// At most 1000 characters.
    pub note: Option<String>,
}

/// Record a payment received outside partnerd (the seller); the invoice is
/// `paid` once its balance is zero.
#[utoipa::path(post, path = "/v1/invoices/{id}/payments", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PaymentRequest, extensions(("x-partnerd-action" = json!("manageInvoices"))),
    responses((status = 201, body = Payment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_state", body = Problem), (status = 422, description = "validation_failed, payment_exceeds_balance", body = Problem)))]
pub async fn record_payment(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
    body: ApiBody<PaymentRequest>,
) -> ApiResult<Response> {
    let input = body.parse().map(|b| PaymentInput {
        amount: b.amount.into(),
        paid_on: b.paid_on,
        reference: b.reference,
        note: b.note,
    });
    let (payment, _) = s
        .app
        .record_payment(&p, &ctx, &InvoiceId::from_raw(id), input)
        .await?;
    Ok(created(
        partnerd_app::urls::payment(&payment.invoice_id, &payment.id),
        Some(&payment.etag.clone()),
        payment,
    ))
}

/// An invoice's payments, newest first.
#[utoipa::path(get, path = "/v1/invoices/{id}/payments", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path), RunListQuery), extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Collection<Payment>), (status = 404, body = Problem)))]
pub async fn invoice_payments(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RunListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    Ok(Json(
        s.app
            .invoice_payments(&p, &InvoiceId::from_raw(id), &page)
            .await?,
    )
    .into_response())
}

/// Reverse a payment recorded by mistake (the seller); a paid invoice is
/// issued again.
#[utoipa::path(post, path = "/v1/invoices/{id}/payments/{paymentId}/reverse", tag = "Billing", security(("bearer" = [])),
    params(("id" = String, Path), ("paymentId" = String, Path)), request_body = VoidRequest,
    extensions(("x-partnerd-action" = json!("manageInvoices"))),
    responses((status = 200, body = Payment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_state", body = Problem), (status = 422, body = Problem)))]
pub async fn reverse_payment(
    State(s): State<AppState>,
    Auth(p): Auth,
    ReqCtx(ctx): ReqCtx,
    Path((id, pid)): Path<(String, String)>,
    body: ApiBody<VoidRequest>,
) -> ApiResult<Response> {
    let reason = body.parse().map(|b| b.reason);
    let payment = s
        .app
        .reverse_payment(
            &p,
            &ctx,
            &InvoiceId::from_raw(id),
            &PaymentId::from_raw(pid),
            reason,
        )
        .await?;
    Ok(ok_with_etag(&payment.etag.clone(), payment))
}

/// Filters of the payments.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PaymentListQuery {
    /// `seller` or `buyer` (default both; customers always `buyer`).
    pub side: Option<String>,
    pub invoice_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub paid_on_from: Option<String>,
    pub paid_on_to: Option<String>,
    /// `recorded` or `reversed`.
    pub status: Option<String>,
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

/// Payments on the caller's invoices as seller or buyer, newest first.
#[utoipa::path(get, path = "/v1/payments", tag = "Billing", security(("bearer" = [])), params(PaymentListQuery),
    extensions(("x-partnerd-action" = json!("readBilling"))),
    responses((status = 200, body = Collection<Payment>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_payments(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PaymentListQuery>,
) -> ApiResult<Response> {
    let page = PageQuery::of(q.size, &q.continuation_token);
    let f = PaymentFilters {
        side: q.side,
        invoice_id: q.invoice_id,
        paid_on_from: q.paid_on_from,
        paid_on_to: q.paid_on_to,
        status: q.status,
    };
    Ok(Json(s.app.list_payments(&p, &f, &page).await?).into_response())
}
