//! An offer's list prices by month on its page: every version, the form to
//! schedule a future month's prices, and withdrawing a future version after a
//! confirmation.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::catalog::{OfferPage, PriceDraft, PriceInput, PriceSchedule};
use partnerd_domain::terms::Plan;
use serde::Deserialize;

use super::form::{PriceBoxes, price_boxes, price_grid};
use super::{day_words, month_words, offer_body, plan_line};
use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, capitalize, page, refused};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, csrf_field};

/// The fields of the form that schedules a month's prices.
#[derive(Default, Deserialize, Clone, Debug)]
#[serde(default)]
pub struct PriceForm {
    month: String,
    price_p1m_monthly: String,
    price_p1y_monthly: String,
    price_p1y_annual: String,
    price_p3y_monthly: String,
    price_p3y_annual: String,
    price_p3y_upfront: String,
}

price_boxes!(PriceForm);

/// The form as it first shows: next month, with next month's prices.
fn fresh(p: &OfferPage) -> PriceForm {
    let mut boxes = PriceBoxes::default();
    for (plan, price) in &p.next_prices {
        boxes.set(*plan, price.amount());
    }
    let mut f = PriceForm {
        month: p.current_month.next().to_string(),
        ..PriceForm::default()
    };
    f.set_prices(boxes);
    f
}

/// The versions of the offer on `p`, and for the operator the form.
pub(crate) fn versions(
    p: &OfferPage,
    csrf: &str,
    currency: &str,
    state: Option<(&PriceForm, &FormErrors)>,
) -> Markup {
    let current = p.current_month;
    let items = &p.versions.items;
    let plans: Vec<Plan> = p.offer.plans().map(|(plan, _)| plan).collect();
    let fresh_form;
    let (f, errors) = match state {
        Some(s) => s,
        None => {
            fresh_form = (fresh(p), FormErrors::default());
            (&fresh_form.0, &fresh_form.1)
        }
    };
    let last_page = p.versions.continuation_token.is_none();
    html! {
        section.versions aria-labelledby="prices-by-month" {
            h2 #prices-by-month { "Prices by month" }
            p.hint { "Each set of prices applies from the first of its month until the next set. Partners pay the prices in effect when a term starts, for the whole term." }
            @for (i, v) in items.iter().enumerate() {
                @let later = items.get(i + 1).map(|n| n.effective_from);
                @let in_effect = v.effective_from <= current
                    && match later { Some(l) => l > current, None => last_page };
                div.card.version {
                    h3 {
                        "From " (month_words(v.effective_from))
                        @if in_effect { " " span.badge { "in effect" } }
                        @else if v.effective_from > current { " " span.badge { "scheduled" } }
                    }
                    ul.plans-list { @for (plan, price) in v.plans() { li { (plan_line(plan, price)) } } }
                    p.muted {
                        "Set "
                        @match (&v.created_by.email, &v.created_by.name, v.created_by.kind.as_str()) {
                            (Some(email), _, _) => { "by " (email) " " }
                            (None, Some(name), "apiKey") => { "with the API key " (name) " " }
                            (None, _, "system") => { "when the catalog moved to terms " }
                            _ => {}
                        }
                        "on " (day_words(v.created_at))
                    }
                    @if p.may_schedule && v.effective_from > current {
                        p { a href=(format!("/catalog/{}/prices/{}/delete", p.offer.id, v.effective_from)) { "Withdraw these prices" } }
                    }
                }
            }
            @if let Some(t) = &p.versions.continuation_token {
                p { a href=(crate::pages::next_page_link(&format!("/catalog/{}", p.offer.id), &[], t)) { "Later months" } }
            }
            @if p.may_schedule {
                h3 { "Schedule prices for a future month" }
                @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
                form method="post" action=(format!("/catalog/{}/prices", p.offer.id)) novalidate {
                    (csrf_field(csrf))
                    label for="month" { "From the month" }
                    input #month name="month" type="month" value=(f.month) min=(current.next().to_string())
                        aria-invalid=[errors.for_field("/month").map(|_| "true")] aria-describedby="month-hint";
                    p.hint #month-hint { "From " (month_words(current.next())) " at the earliest: the prices of a month that has begun are locked. A month already scheduled is replaced." }
                    @if let Some(e) = errors.for_field("/month") { p.field-error role="alert" { (capitalize(e)) } }
                    (price_grid(&format!("Prices ({currency})"), "Every plan of the offer needs a price, per seat and billing period.", &plans, &f.prices(), currency, errors, None))
                    button type="submit" { "Schedule prices" }
                }
            }
        }
    }
}

pub async fn schedule(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<PriceForm>,
) -> Result<Response, PageError> {
    let currency = s.app.config().currency.to_string();
    let (terms, _) = f.prices().terms(&currency);
    let draft = PriceDraft {
        month: f.month.clone(),
        input: PriceInput { terms },
    };
    match s
        .app
        .schedule_offer_price_draft(&user.principal, &ctx, &id, draft)
        .await?
    {
        PriceSchedule::Saved { .. } => {
            Ok(Redirect::to(&format!("/catalog/{id}?done=scheduled")).into_response())
        }
        PriceSchedule::Refused { error, page: p } => {
            let errors = FormErrors::from_app(&error);
            let status = crate::problem::status_of(&error);
            let body = offer_body(&p, &csrf.0, &currency, None, None, Some((&f, &errors)));
            Ok((status, page(&p.offer.name, &user, &csrf.0, body)).into_response())
        }
    }
}

pub async fn delete_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path((id, month)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let found = s
        .app
        .offer_price_to_delete(&user.principal, &id, &month)
        .await?;
    let from = month_words(found.price.effective_from);
    Ok(Confirm::new(
        "Withdraw scheduled prices",
        html! { "Withdraw the prices of " strong { (found.offer.name) } " from " (from) "?" },
        format!("/catalog/{id}/prices/{}/delete", found.price.effective_from),
        "Withdraw prices",
    )
    .consequences(html! {
        "From " (from) " the prices in effect before it go on applying, unless a later month has its own. Providers authorised for "
        (found.offer.product_family) " are told."
        ul.plans-list { @for (plan, price) in found.price.plans() { li { (plan_line(plan, price)) } } }
    })
    .cancel_as(format!("/catalog/{id}"), "Keep them")
    .page(&user, &csrf))
}

pub async fn delete(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path((id, month)): Path<(String, String)>,
    _: Confirmed,
) -> Result<Response, PageError> {
    match s
        .app
        .delete_offer_price(&user.principal, &ctx, &id, &month)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/catalog/{id}?done=withdrawn")).into_response()),
        Err(e @ partnerd_app::AppError::Conflict { .. }) => Ok(refused(
            "The prices were not withdrawn",
            &user,
            &csrf.0,
            (&format!("/catalog/{id}"), "Back to the offer"),
            &e,
        )),
        Err(e) => Err(e.into()),
    }
}
