//! The operator's offer form, to add an offer and to change one: a box per plan
//! the contract allows (empty = not sold) with the default plan, seat limits,
//! the trial, and the offers it upgrades to and needs, chosen from the catalog.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::catalog::{
    BillingPlanInput, MoneyInput, OfferChoice, OfferCreation, OfferDraft, OfferEdit, OfferInput,
    OfferPage, PlanInput, TermInput, TrialInput,
};
use partnerd_domain::FieldError;
use partnerd_domain::calendar::Month;
use partnerd_domain::terms::Plan;
use serde::Deserialize;

use super::{month_words, offer_body};
use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, capitalize, field, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, checkbox, csrf_field};

/// The name of a plan's box: `p1y_monthly`.
pub(crate) fn key(plan: Plan) -> String {
    format!(
        "{}_{}",
        plan.term.as_str().to_ascii_lowercase(),
        plan.frequency.as_str()
    )
}

fn plan_of_key(k: &str) -> Option<Plan> {
    Plan::ALL.iter().copied().find(|p| key(*p) == k)
}

/// The six price boxes, in the order of [`Plan::ALL`].
#[derive(Default, Clone, Debug)]
pub struct PriceBoxes {
    pub(crate) price_p1m_monthly: String,
    pub(crate) price_p1y_monthly: String,
    pub(crate) price_p1y_annual: String,
    pub(crate) price_p3y_monthly: String,
    pub(crate) price_p3y_annual: String,
    pub(crate) price_p3y_upfront: String,
}

/// The six boxes of a form struct (whose fields carry their names, as forms are
/// read field by field), as [`PriceBoxes`] and back.
macro_rules! price_boxes {
    ($form:ty) => {
        impl $form {
            pub(crate) fn prices(&self) -> $crate::pages::catalog::form::PriceBoxes {
                $crate::pages::catalog::form::PriceBoxes {
                    price_p1m_monthly: self.price_p1m_monthly.clone(),
                    price_p1y_monthly: self.price_p1y_monthly.clone(),
                    price_p1y_annual: self.price_p1y_annual.clone(),
                    price_p3y_monthly: self.price_p3y_monthly.clone(),
                    price_p3y_annual: self.price_p3y_annual.clone(),
                    price_p3y_upfront: self.price_p3y_upfront.clone(),
                }
            }

            pub(crate) fn set_prices(&mut self, b: $crate::pages::catalog::form::PriceBoxes) {
                self.price_p1m_monthly = b.price_p1m_monthly;
                self.price_p1y_monthly = b.price_p1y_monthly;
                self.price_p1y_annual = b.price_p1y_annual;
                self.price_p3y_monthly = b.price_p3y_monthly;
                self.price_p3y_annual = b.price_p3y_annual;
                self.price_p3y_upfront = b.price_p3y_upfront;
            }
        }
    };
}
pub(crate) use price_boxes;

impl PriceBoxes {
    fn slot(&mut self, plan: Plan) -> Option<&mut String> {
        let i = Plan::ALL.iter().position(|p| *p == plan)?;
        [
            &mut self.price_p1m_monthly,
            &mut self.price_p1y_monthly,
            &mut self.price_p1y_annual,
            &mut self.price_p3y_monthly,
            &mut self.price_p3y_annual,
            &mut self.price_p3y_upfront,
        ]
        .into_iter()
        .nth(i)
    }

    /// What was typed for `plan`.
    pub(crate) fn get(&self, plan: Plan) -> &str {
        let i = Plan::ALL
            .iter()
            .position(|p| *p == plan)
            .unwrap_or(usize::MAX);
        [
            &self.price_p1m_monthly,
            &self.price_p1y_monthly,
            &self.price_p1y_annual,
            &self.price_p3y_monthly,
            &self.price_p3y_annual,
            &self.price_p3y_upfront,
        ]
        .get(i)
        .map_or("", |s| s.as_str())
    }

    pub(crate) fn set(&mut self, plan: Plan, value: String) {
        if let Some(s) = self.slot(plan) {
            *s = value;
        }
    }

    /// The filled boxes as a request's `terms` (term by term, in the catalog's
    /// order), and the pointer of each plan's errors.
    pub(crate) fn terms(&self, currency: &str) -> (Vec<TermInput>, Vec<(Plan, String)>) {
        let mut terms: Vec<TermInput> = Vec::new();
        let mut pointers = Vec::new();
        for plan in Plan::ALL {
            let typed = self.get(*plan).trim();
            if typed.is_empty() {
                continue;
            }
            let i = match terms
                .iter()
                .position(|t| t.term_duration == plan.term.as_str())
            {
                Some(i) => i,
                None => {
                    terms.push(TermInput {
                        term_duration: plan.term.as_str().to_owned(),
                        billing_plans: Vec::new(),
                    });
                    terms.len() - 1
                }
            };
            let plans = &mut terms[i].billing_plans;
            pointers.push((*plan, format!("/terms/{i}/billingPlans/{}", plans.len())));
            plans.push(BillingPlanInput {
                billing_frequency: plan.frequency.as_str().to_owned(),
                unit_price: MoneyInput {
                    amount: typed.to_owned(),
                    currency: currency.to_owned(),
                },
            });
        }
        (terms, pointers)
    }
}

/// The message of the first error at `pointer` or below it.
fn error_at<'a>(errors: &'a FormErrors, pointer: &str) -> Option<&'a str> {
    errors
        .fields
        .iter()
        .find(|e| e.pointer == pointer || e.pointer.starts_with(&format!("{pointer}/")))
        .map(|e| e.message.as_str())
}

/// Boxes for `plans`, each with its price unit, its error, and (when `default`
/// is given) a choice of the default plan.
pub(crate) fn price_grid(
    legend: &str,
    hint: &str,
    plans: &[Plan],
    boxes: &PriceBoxes,
    currency: &str,
    errors: &FormErrors,
    default: Option<&str>,
) -> Markup {
    let (_, pointers) = boxes.terms(currency);
    let placed: Vec<&str> = pointers.iter().map(|(_, p)| p.as_str()).collect();
    // Errors of the whole list (a term named twice, none at all, a plan left
    // out), not of one box.
    let general: Vec<&str> = errors
        .fields
        .iter()
        .filter(|e| e.pointer.starts_with("/terms"))
        .filter(|e| {
            !placed
                .iter()
                .any(|p| e.pointer == *p || e.pointer.starts_with(&format!("{p}/")))
        })
        .map(|e| e.message.as_str())
        .collect();
    html! {
        fieldset.plan-grid {
            legend { (legend) }
            p.hint { (hint) }
            @for e in &general { p.field-error role="alert" { (capitalize(e)) } }
            @for plan in plans {
                @let name = format!("price_{}", key(*plan));
                @let error = pointers.iter().find(|(p, _)| p == plan).and_then(|(_, at)| error_at(errors, at));
                div.plan {
                    label for=(name) { (capitalize(&plan.label())) }
                    input id=(name) name=(name) type="text" inputmode="decimal" autocomplete="off"
                        value=(boxes.get(*plan)) aria-invalid=[error.map(|_| "true")]
                        aria-describedby=(format!("{name}-hint"));
                    p.hint id=(format!("{name}-hint")) { (currency) " " (plan.price_unit()) }
                    @if let Some(d) = default {
                        label.check { input type="radio" name="default_plan" value=(key(*plan)) checked[d == key(*plan)]; " Default plan" }
                    }
                    @if let Some(e) = error { p.field-error role="alert" { (capitalize(e)) } }
                }
            }
        }
    }
}

/// The fields of the offer form.
#[derive(Default, Deserialize, Clone, Debug)]
#[serde(default)]
pub struct OfferForm {
    etag: String,
    id: String,
    name: String,
    product_family: String,
    price_p1m_monthly: String,
    price_p1y_monthly: String,
    price_p1y_annual: String,
    price_p3y_monthly: String,
    price_p3y_annual: String,
    price_p3y_upfront: String,
    default_plan: String,
    min_quantity: String,
    max_quantity: String,
    max_per_customer: String,
    #[serde(deserialize_with = "checkbox")]
    trial: bool,
    trial_days: String,
    trial_max_quantity: String,
    upgrade_targets: Vec<String>,
    prerequisites: Vec<String>,
    #[serde(deserialize_with = "checkbox")]
    requires_admin_agent: bool,
    description: String,
}

price_boxes!(OfferForm);

/// The form of the offer on `p`, its boxes holding the prices in effect next
/// month (so that saving it unchanged changes no price).
pub(crate) fn form_of(p: &OfferPage) -> OfferForm {
    let o = &p.offer;
    let mut prices = PriceBoxes::default();
    for (plan, price) in &p.next_prices {
        prices.set(*plan, price.amount());
    }
    let mut f = OfferForm {
        etag: o.etag.clone(),
        id: o.id.clone(),
        name: o.name.clone(),
        product_family: o.product_family.clone(),
        default_plan: key(o.default_plan()),
        min_quantity: o.min_quantity.to_string(),
        max_quantity: o.max_quantity.to_string(),
        max_per_customer: o
            .max_quantity_per_customer
            .map(|n| n.to_string())
            .unwrap_or_default(),
        trial: o.trial.is_some(),
        trial_days: o.trial.map(|t| t.days.to_string()).unwrap_or_default(),
        trial_max_quantity: o
            .trial
            .map(|t| t.max_quantity.to_string())
            .unwrap_or_default(),
        upgrade_targets: o.upgrade_targets.clone(),
        prerequisites: o.prerequisite_offer_ids.clone(),
        requires_admin_agent: o.requires_admin_agent,
        description: o.description.clone().unwrap_or_default(),
        ..OfferForm::default()
    };
    f.set_prices(prices);
    f
}

/// Which form: a new offer (its prices take effect this month) or a change (new
/// prices take effect next month).
pub(crate) enum FormKind {
    Add { month: Month },
    Change { next: Month },
}

/// Checkboxes of the offers to link to.
fn choices_of(
    name: &str,
    legend: &str,
    hint: &str,
    choices: &[OfferChoice],
    chosen: &[String],
    error: Option<&str>,
) -> Markup {
    html! {
        fieldset.choices {
            legend { (legend) }
            p.hint { (hint) }
            @if choices.is_empty() {
                p.muted { "There are no other offers in the catalog yet." }
            } @else {
                ul.choice-list {
                    @for c in choices {
                        li { label.check {
                            input type="checkbox" name=(name) value=(c.id) checked[chosen.contains(&c.id)];
                            " " (c.name) " " span.muted { "(" (c.product_family) ")" }
                        } }
                    }
                }
            }
            @if let Some(e) = error { p.field-error role="alert" { (capitalize(e)) } }
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a form is its action, token, values, errors, kind and choices; a struct would only rename them"
)]
pub(crate) fn offer_form(
    action: &str,
    csrf: &str,
    currency: &str,
    f: &OfferForm,
    errors: &FormErrors,
    kind: FormKind,
    choices: &[OfferChoice],
    more_choices: bool,
) -> Markup {
    let creating = matches!(kind, FormKind::Add { .. });
    let hint = match kind {
        FormKind::Add { month } => format!(
            "Prices per seat and billing period, such as 12.50, from {}. Leave a box empty for a plan the offer is not sold on. Without a choice, the first plan is the default.",
            month_words(month)
        ),
        FormKind::Change { next } => format!(
            "A changed price applies from 1 {}; a plan added is sold at once. Plans cannot be removed: retire the offer instead.",
            month_words(next)
        ),
    };
    let more = if more_choices {
        " The catalog holds more offers than are listed here; the newest are shown."
    } else {
        ""
    };
    html! {
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action=(action) novalidate {
            (csrf_field(csrf))
            input type="hidden" name="etag" value=(f.etag);
            @if creating {
                (field("id", "Offer id", "text", &f.id, "off", Some("Letters, digits, '.', '_' and '-'; it cannot change later."), errors.for_field("/id")))
            }
            (field("name", "Name", "text", &f.name, "off", None, errors.for_field("/name")))
            (field("product_family", "Product family", "text", &f.product_family, "off", Some("Offers of one family are authorised and supported together."), errors.for_field("/productFamily")))
            (price_grid(&format!("Plans and prices ({currency})"), &hint, Plan::ALL, &f.prices(), currency, errors, Some(&f.default_plan)))
            @if let Some(e) = errors.for_field("/defaultTerm") { p.field-error role="alert" { (capitalize(e)) } }
            (field("min_quantity", "Minimum seats", "text", &f.min_quantity, "off", None, errors.for_field("/minQuantity")))
            (field("max_quantity", "Maximum seats", "text", &f.max_quantity, "off", Some("Per subscription; at most 1 000 000."), errors.for_field("/maxQuantity")))
            (field("max_per_customer", "Maximum seats per customer", "text", &f.max_per_customer, "off", Some("Across all of a customer's subscriptions of this offer, with any partner. Empty: no limit."), errors.for_field("/maxQuantityPerCustomer")))
            fieldset.choices {
                legend { "Trial" }
                label.check { input type="checkbox" name="trial" checked[f.trial]; " Customers can try this offer free of charge" }
                (field("trial_days", "Trial days", "text", &f.trial_days, "off", Some("1 to 90; empty: 30."), errors.for_field("/trial/days")))
                (field("trial_max_quantity", "Trial seats", "text", &f.trial_max_quantity, "off", Some("At most the maximum seats; empty: 25, or fewer if the maximum is lower."), errors.for_field("/trial/maxQuantity")))
                @if let Some(e) = errors.fields.iter().find(|e| e.pointer == "/trial").map(|e| e.message.as_str()) { p.field-error role="alert" { (capitalize(e)) } }
            }
            (choices_of("upgrade_targets", "Upgrades to", &format!("Offers a subscription of this one can move to.{more}"), choices, &f.upgrade_targets, errors.for_field("/upgradeTargets")))
            (choices_of("prerequisites", "Add-on of", &format!("A customer must hold one of these offers to buy this one. None: not an add-on.{more}"), choices, &f.prerequisites, errors.for_field("/prerequisiteOfferIds")))
            div { label.check { input type="checkbox" name="requires_admin_agent" checked[f.requires_admin_agent]; " Requires an admin agent (helpdesk agents cannot assign its licenses)" } }
            label for="description" { "Description" }
            textarea #description name="description" rows="4" { (f.description) }
            @if let Some(e) = errors.for_field("/description") { p.field-error { (e) } }
            button type="submit" { @if creating { "Add offer" } @else { "Save changes" } }
            " "
            a.button.secondary href="/catalog" { "Cancel" }
        }
    }
}

/// Numbers typed in a form; a non-number becomes a field error of the use case.
fn number(pointer: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match raw.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::invalid(pointer, "must be a whole number"));
            None
        }
    }
}

/// A number that may be left empty.
fn optional_number(pointer: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    if raw.trim().is_empty() {
        None
    } else {
        number(pointer, raw, errors)
    }
}

/// What the form says of the offer; numbers that are not numbers become the
/// draft's own errors.
fn draft_of(f: &OfferForm, currency: &str, creating: bool) -> OfferDraft {
    let mut errors = Vec::new();
    let (terms, _) = f.prices().terms(currency);
    let max_quantity_per_customer = if f.max_per_customer.trim().is_empty() {
        Some(None)
    } else {
        number("/maxQuantityPerCustomer", &f.max_per_customer, &mut errors).map(Some)
    };
    let trial = if f.trial {
        Some(TrialInput {
            days: optional_number("/trial/days", &f.trial_days, &mut errors),
            max_quantity: optional_number("/trial/maxQuantity", &f.trial_max_quantity, &mut errors),
        })
    } else {
        None
    };
    let input = OfferInput {
        id: creating.then(|| f.id.clone()),
        name: Some(f.name.clone()),
        product_family: Some(f.product_family.clone()),
        terms: Some(terms),
        default_term: plan_of_key(&f.default_plan).map(|p| PlanInput {
            term_duration: p.term.as_str().to_owned(),
            billing_frequency: p.frequency.as_str().to_owned(),
        }),
        min_quantity: number("/minQuantity", &f.min_quantity, &mut errors),
        max_quantity: number("/maxQuantity", &f.max_quantity, &mut errors),
        max_quantity_per_customer,
        trial: Some(trial),
        upgrade_targets: Some(f.upgrade_targets.clone()),
        prerequisite_offer_ids: Some(f.prerequisites.clone()),
        requires_admin_agent: Some(f.requires_admin_agent),
        description: Some(f.description.clone()),
        ..OfferInput::default()
    };
    OfferDraft { input, errors }
}

pub async fn new_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Markup, PageError> {
    let form = s.app.offer_form_page(&user.principal).await?;
    let f = OfferForm {
        min_quantity: "1".into(),
        max_quantity: "300".into(),
        ..OfferForm::default()
    };
    Ok(page(
        "Add offer",
        &user,
        &csrf,
        offer_form(
            "/catalog/new",
            &csrf,
            s.app.config().currency.as_str(),
            &f,
            &FormErrors::default(),
            FormKind::Add {
                month: form.current_month,
            },
            &form.choices,
            form.more_choices,
        ),
    ))
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(f): CsrfForm<OfferForm>,
) -> Result<Response, PageError> {
    let currency = s.app.config().currency.to_string();
    let draft = draft_of(&f, &currency, true);
    match s
        .app
        .create_offer_draft(&user.principal, &ctx, draft)
        .await?
    {
        OfferCreation::Created(o) => {
            Ok(Redirect::to(&format!("/catalog/{}?done=created", o.id)).into_response())
        }
        OfferCreation::Refused { error: e, form } => {
            let errors = if matches!(e, AppError::Conflict { .. }) {
                FormErrors {
                    general: None,
                    fields: vec![FieldError::invalid("/id", e.detail().into_owned())],
                }
            } else {
                FormErrors::from_app(&e)
            };
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    "Add offer",
                    &user,
                    &csrf.0,
                    offer_form(
                        "/catalog/new",
                        &csrf.0,
                        &currency,
                        &f,
                        &errors,
                        FormKind::Add {
                            month: form.current_month,
                        },
                        &form.choices,
                        form.more_choices,
                    ),
                ),
            )
                .into_response())
        }
    }
}

pub async fn update(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<OfferForm>,
) -> Result<Response, PageError> {
    let currency = s.app.config().currency.to_string();
    let draft = draft_of(&f, &currency, false);
    let if_match = Some(f.etag.clone()).filter(|e| !e.is_empty());
    match s
        .app
        .save_offer_draft(&user.principal, &ctx, &id, if_match.as_deref(), draft)
        .await?
    {
        OfferEdit::Saved(_) => {
            Ok(Redirect::to(&format!("/catalog/{id}?done=saved")).into_response())
        }
        OfferEdit::Refused { error: e, page: p } => {
            let mut errors = FormErrors::from_app(&e);
            let shown = if matches!(e, AppError::PreconditionFailed) {
                errors.general = Some("Someone changed this offer while you were editing. The form now shows their version.".into());
                form_of(&p)
            } else {
                OfferForm {
                    etag: p.offer.etag.clone(),
                    ..f
                }
            };
            let status = crate::problem::status_of(&e);
            let body = offer_body(&p, &csrf.0, &currency, None, Some((&shown, &errors)), None);
            Ok((status, page(&p.offer.name, &user, &csrf.0, body)).into_response())
        }
    }
}
