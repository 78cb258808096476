//! Payments (API-billing.md §7.4): money a seller received outside partnerd,
//! recorded against an issued invoice; the invoice is paid when they reach its
//! total. A payment recorded by mistake is reversed, never deleted.

use partnerd_domain::calendar::Date;
use partnerd_domain::ids::{InvoiceId, PaymentId};
use partnerd_domain::money::{Money, check_currency, parse_amount};
use partnerd_domain::policy::Action;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError, OrgKind};
use partnerd_store::invoices::{
    self, InvoiceRow, InvoiceStatus, PaymentQuery, PaymentRow, PaymentStatus,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::invoices::Invoice;
use super::repricing::author_json;
use crate::audit::{Actor, Entry};
use crate::catalog::MoneyInput;
use crate::crypto::etag;
use crate::error::Conflict;
use crate::events::Event;
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// A payment recorded against an invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    #[schema(value_type = String)]
    pub id: PaymentId,
    #[schema(value_type = String)]
    pub invoice_id: InvoiceId,
    pub amount: Money,
    #[schema(value_type = String, example = "2026-04-20")]
    pub paid_on: Date,
    pub reference: String,
    pub note: Option<String>,
    /// `recorded` or `reversed`.
    pub status: String,
    pub recorded_at: Timestamp,
    #[schema(value_type = crate::catalog::PriceAuthor)]
    pub recorded_by: serde_json::Value,
    pub reversed_at: Option<Timestamp>,
    pub reverse_reason: Option<String>,
    pub etag: String,
}

impl Payment {
    fn of(r: PaymentRow) -> Self {
        Self {
            etag: etag(&r.id, r.version),
            id: r.id,
            invoice_id: r.invoice_id,
            amount: r.amount,
            paid_on: r.paid_on,
            reference: r.reference,
            note: r.note,
            status: r.status.as_str().into(),
            recorded_at: r.recorded_at,
            recorded_by: serde_json::from_str(&r.recorded_by).unwrap_or(serde_json::Value::Null),
            reversed_at: r.reversed_at,
            reverse_reason: r.reverse_reason,
        }
    }
}

/// `POST /v1/invoices/{id}/payments`, members as sent.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub amount: MoneyInput,
    pub paid_on: String,
    pub reference: String,
    pub note: Option<String>,
}

/// `GET /v1/payments` filters as sent.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilters {
    pub side: Option<String>,
    pub invoice_id: Option<String>,
    pub paid_on_from: Option<String>,
    pub paid_on_to: Option<String>,
    pub status: Option<String>,
}

fn day(pointer: &str, raw: &str) -> Result<Date, FieldError> {
    Date::parse(raw.trim())
        .ok_or_else(|| FieldError::invalid(pointer, "must be a day, such as 2026-04-20"))
}

impl App {
    /// `POST /v1/invoices/{id}/payments` (the seller): in order 404, 403, 422,
    /// 409 `invalid_state` (not issued), 422 `payment_exceeds_balance`.
    pub async fn record_payment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &InvoiceId,
        input: AppResult<PaymentInput>,
    ) -> AppResult<(Payment, Invoice)> {
        let mut tx = self.db().begin().await?;
        let row = self.sellers_invoice(&mut tx, p, id).await?;
        let input = input?;
        let mut errors = Collect::default();
        let amount = errors.take(parse_amount("/amount/amount", &input.amount.amount));
        errors.take(check_currency(
            "/amount/currency",
            &input.amount.currency,
            row.total.currency().as_str(),
        ));
        let today = Date::of(self.now());
        let paid_on = errors.take(day("/paidOn", &input.paid_on).and_then(|d| {
            if d > today {
                Err(FieldError::invalid(
                    "/paidOn",
                    "must not be after today: record money once it has arrived",
                ))
            } else {
                Ok(d)
            }
        }));
        let reference = input.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 100 {
            errors.0.push(FieldError::invalid(
                "/reference",
                "give the bank or remittance reference, 1 to 100 characters",
            ));
        }
        let note = input
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
            errors.0.push(FieldError::invalid(
                "/note",
                "must be at most 1000 characters",
            ));
        }
        if let Some(a) = amount {
            let total = row.total.minor();
            if a == 0 || (total != 0 && (a < 0) != (total < 0)) {
                errors.0.push(FieldError::invalid(
                    "/amount/amount",
                    if total < 0 {
                        "must be below zero: this invoice is a credit to its buyer"
                    } else {
                        "must be above zero"
                    },
                ));
            }
        }
        let (Some(amount), Some(paid_on), true) = (amount, paid_on, errors.is_empty()) else {
            return Err(AppError::validation(errors.0));
        };
        if row.status != InvoiceStatus::Issued {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!(
                    "invoice {} is {}; payments are recorded against issued invoices",
                    row.number,
                    row.status.as_str()
                ),
            ));
        }
        let paid = row.amount_paid.minor().saturating_add(amount);
        if paid.unsigned_abs() > row.total.minor().unsigned_abs() {
            let balance = Money::new(
                row.total.minor() - row.amount_paid.minor(),
                row.total.currency(),
            );
            return Err(AppError::field(FieldError::new(
                "/amount/amount",
                "payment_exceeds_balance",
                format!("is more than the balance due of {balance}"),
            )));
        }
        let now = self.now();
        let payment = PaymentRow {
            id: PaymentId::generate(),
            invoice_id: row.id.clone(),
            amount: Money::new(amount, row.total.currency()),
            paid_on,
            reference,
            note,
            status: PaymentStatus::Recorded,
            recorded_at: now,
            recorded_by: author_json(p),
            reversed_at: None,
            reverse_reason: None,
            version: 1,
        };
        invoices::insert_payment(&mut tx, &payment).await?;
        let settled = paid == row.total.minor();
        let next = InvoiceRow {
            amount_paid: Money::new(paid, row.total.currency()),
            status: if settled {
                InvoiceStatus::Paid
            } else {
                InvoiceStatus::Issued
            },
            paid_at: settled.then_some(now),
            ..row.clone()
        };
        let next = self.write_invoice(&mut tx, next).await?;
        let view = Payment::of(payment.clone());
        let invoice = Invoice::of(next.clone());
        self.mail_buyer(
            &mut tx,
            &next.buyer_organization_id,
            "payment_recorded",
            format!("Payment received for invoice {}", next.number),
            format!(
                "{} recorded your payment of {} (reference {}) for invoice {}. Balance due: {}.",
                next.seller_name, view.amount, view.reference, next.number, invoice.balance_due
            ),
            format!("{}/billing/invoices/{}", self.config().public_url, next.id),
        )
        .await?;
        let mut events = vec![
            self.payment_event("payment.recorded", &next, &payment.id)
                .with(&view),
        ];
        if settled {
            events.push(
                self.invoice_event("invoice.paid", &next, true)
                    .with(&invoice),
            );
        }
        let entry =
            payment_entry(Actor::Principal(p), &next, &payment.id, "recordPayment").after(&view);
        self.commit_change(tx, ctx, now, entry, events).await?;
        Ok((view, invoice))
    }

    /// `POST /v1/invoices/{id}/payments/{pid}/reverse` (the seller): a paid
    /// invoice is issued again.
    pub async fn reverse_payment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &InvoiceId,
        pid: &PaymentId,
        reason: AppResult<String>,
    ) -> AppResult<Payment> {
        let mut tx = self.db().begin().await?;
        let row = self.sellers_invoice(&mut tx, p, id).await?;
        let payment = invoices::get_payment(&mut tx, pid)
            .await?
            .filter(|x| x.invoice_id == row.id)
            .ok_or_else(AppError::not_found)?;
        let reason = reason?.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::field(FieldError::invalid(
                "/reason",
                "say why, in 1 to 2000 characters",
            )));
        }
        if payment.status == PaymentStatus::Reversed {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "this payment was already reversed",
            ));
        }
        let now = self.now();
        let reversed = PaymentRow {
            status: PaymentStatus::Reversed,
            reversed_at: Some(now),
            reverse_reason: Some(reason),
            version: payment.version + 1,
            ..payment.clone()
        };
        if !invoices::reverse_payment(&mut tx, &reversed).await? {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                "the payment changed meanwhile; look at it again",
            ));
        }
        let next = InvoiceRow {
            amount_paid: Money::new(
                row.amount_paid.minor() - payment.amount.minor(),
                row.total.currency(),
            ),
            status: if row.status == InvoiceStatus::Paid {
                InvoiceStatus::Issued
            } else {
                row.status
            },
            paid_at: None,
            ..row.clone()
        };
        let next = self.write_invoice(&mut tx, next).await?;
        let before = Payment::of(payment);
        let view = Payment::of(reversed.clone());
        let event = self
            .payment_event("payment.reversed", &next, &reversed.id)
            .with(&view);
        let entry = payment_entry(Actor::Principal(p), &next, &reversed.id, "reversePayment")
            .before(&before)
            .after(&view);
        self.commit_change(tx, ctx, now, entry, vec![event]).await?;
        Ok(view)
    }

    /// Writes the invoice's new state (version checked); the row as stored.
    pub(super) async fn write_invoice(
        &self,
        tx: &mut partnerd_store::Conn,
        next: InvoiceRow,
    ) -> AppResult<InvoiceRow> {
        if !invoices::update_invoice(tx, &next).await? {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                "the invoice changed meanwhile; look at it again",
            ));
        }
        Ok(InvoiceRow {
            version: next.version + 1,
            ..next
        })
    }

    fn payment_event<'a>(
        &self,
        event_type: &'a str,
        invoice: &'a InvoiceRow,
        payment: &'a PaymentId,
    ) -> Event<'a> {
        Event {
            event_type,
            resource_type: "payment",
            resource_id: payment,
            resource_url: crate::urls::payment(&invoice.id, payment),
            participants: vec![
                invoice.seller_organization_id.as_str(),
                invoice.buyer_organization_id.as_str(),
            ],
        }
    }

    /// `GET /v1/invoices/{id}/payments`: the invoice's payments, newest first.
    pub async fn invoice_payments(
        &self,
        p: &Principal,
        id: &InvoiceId,
        page: &PageParams,
    ) -> AppResult<Page<Payment>> {
        p.require(Action::ReadBilling)?;
        let mut conn = self.db().conn().await?;
        let invoice = self.visible_invoice(&mut conn, p, id).await?;
        drop(conn);
        self.page_of_payments(
            PaymentQuery {
                invoice_id: Some(invoice.id),
                ..Default::default()
            },
            page,
        )
        .await
    }

    /// `GET /v1/payments`: payments on the caller's invoices as seller or buyer
    /// (the operator: all), newest first.
    pub async fn list_payments(
        &self,
        p: &Principal,
        f: &PaymentFilters,
        page: &PageParams,
    ) -> AppResult<Page<Payment>> {
        p.require(Action::ReadBilling)?;
        let mut errors = Collect::default();
        let side = errors.opt(f.side.as_deref(), |s| match s {
            "seller" => Ok(true),
            "buyer" => Ok(false),
            _ => Err(FieldError::invalid(
                "/query/side",
                "must be seller or buyer",
            )),
        });
        let from = errors.opt(f.paid_on_from.as_deref(), |d| day("/query/paidOnFrom", d));
        let to = errors.opt(f.paid_on_to.as_deref(), |d| day("/query/paidOnTo", d));
        let status = errors.opt(f.status.as_deref(), |s| match s {
            "recorded" => Ok(PaymentStatus::Recorded),
            "reversed" => Ok(PaymentStatus::Reversed),
            _ => Err(FieldError::invalid(
                "/query/status",
                "must be recorded or reversed",
            )),
        });
        if !errors.is_empty() {
            return Err(AppError::validation(errors.0));
        }
        let operator = p.organization.kind == OrgKind::Operator && side.is_none();
        let q = PaymentQuery {
            invoice_id: f
                .invoice_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| InvoiceId::from_raw(s.to_owned())),
            party: (!operator).then(|| p.organization.id.clone()),
            seller_side: if p.organization.kind == OrgKind::Customer {
                Some(false)
            } else {
                side
            },
            paid_on_from: from,
            paid_on_to: to,
            status,
        };
        self.page_of_payments(q, page).await
    }

    async fn page_of_payments(
        &self,
        q: PaymentQuery,
        page: &PageParams,
    ) -> AppResult<Page<Payment>> {
        let now = self.now();
        let start = crate::paging::start(page, &format!("payments {q:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let found = invoices::list_payments(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            found,
            now,
            |r| (r.recorded_at, r.id.to_string()),
            Payment::of,
        ))
    }
}

/// The audit entry of a payment: seller and buyer take part.
fn payment_entry<'a>(
    actor: Actor<'a>,
    invoice: &InvoiceRow,
    payment: &PaymentId,
    operation: &'static str,
) -> Entry<'a> {
    Entry::new(actor, "payment", Some(payment.to_string()), operation)
        .participant(&invoice.seller_organization_id)
        .participant(&invoice.buyer_organization_id)
}
