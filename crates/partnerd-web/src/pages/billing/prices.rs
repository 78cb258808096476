//! Price lists: a seller's percentage over its cost per tier and buyer (or for
//! everyone without their own), from a month on, with overrides per offer or
//! product family (API-billing.md §5.2). Only future months can be set, changed or
//! deleted; deleting asks first.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::billing::{
    OverrideCondition, PriceList, PriceListChoices, PriceListRecord, PriceListsPage,
    PriceOverrideInput, RepricingConfig, RepricingConfigChanges, RepricingConfigInput,
};
use partnerd_app::paging::PageParams;
use partnerd_domain::ids::{OrgId, RepricingConfigId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::PercentageInput;
use partnerd_domain::policy::Action;
use serde::Deserialize;

use super::{percentage_words, tier_words};
use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, capitalize, nothing_changed, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Pairs, blank, csrf_field};

/// Override rows the form offers beyond those a price list has.
const BLANK_OVERRIDES: usize = 3;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    continuation_token: Option<String>,
    done: Option<String>,
}

/// The price-list form as filled in: one override row per `override_target` /
/// `override_percentage` pair, in order.
#[derive(Default, Debug, Clone)]
struct PriceForm {
    tier: String,
    buyer: String,
    month: String,
    percentage: String,
    overrides: Vec<(String, String)>,
}

impl PriceForm {
    fn read(f: &Pairs) -> Self {
        let targets: Vec<&str> = f.all("override_target").collect();
        let percentages: Vec<&str> = f.all("override_percentage").collect();
        let choice = f.one("buyer");
        let (tier, buyer) = choice.split_once(':').unwrap_or((choice.as_str(), ""));
        Self {
            tier: tier.trim().to_owned(),
            buyer: buyer.trim().to_owned(),
            month: f.one("month"),
            percentage: f.one("percentage"),
            overrides: (0..targets.len().max(percentages.len()))
                .map(|i| {
                    (
                        targets
                            .get(i)
                            .copied()
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                        percentages
                            .get(i)
                            .copied()
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    )
                })
                .collect(),
        }
    }

    fn of(c: &RepricingConfig) -> Self {
        Self {
            tier: c.tier.as_str().to_owned(),
            buyer: c
                .buyer_organization_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            month: c.effective_from.to_string(),
            percentage: c.adjustment.to_string(),
            overrides: c
                .overrides
                .iter()
                .map(|o| {
                    let target = match (&o.condition.offer_id, &o.condition.product_family) {
                        (Some(id), _) => format!("offer:{id}"),
                        (_, Some(f)) => format!("family:{f}"),
                        _ => String::new(),
                    };
                    (target, o.adjustment.to_string())
                })
                .collect(),
        }
    }

    /// The overrides as sent, each with the row it came from (blank rows left out).
    fn overrides(&self) -> (Vec<PriceOverrideInput>, Vec<usize>) {
        let mut sent = Vec::new();
        let mut rows = Vec::new();
        for (row, (target, pct)) in self.overrides.iter().enumerate() {
            if target.is_empty() && pct.is_empty() {
                continue;
            }
            let condition = match target.split_once(':') {
                Some(("offer", id)) => OverrideCondition {
                    offer_id: Some(id.to_owned()),
                    product_family: None,
                },
                Some(("family", f)) => OverrideCondition {
                    offer_id: None,
                    product_family: Some(f.to_owned()),
                },
                _ => OverrideCondition {
                    offer_id: None,
                    product_family: None,
                },
            };
            sent.push(PriceOverrideInput {
                condition,
                adjustment: PercentageInput {
                    percentage: pct.clone(),
                },
            });
            rows.push(row);
        }
        (sent, rows)
    }

    /// The "For" select's value: the tier and the buyer (none: everyone of the
    /// tier without their own).
    fn choice(&self) -> String {
        format!("{}:{}", self.tier, self.buyer)
    }

    fn adjustment(&self) -> Option<PercentageInput> {
        let p = self.percentage.trim();
        (!p.is_empty()).then(|| PercentageInput {
            percentage: p.to_owned(),
        })
    }
}

/// Where a form's errors go: the API's pointers, override pointers mapped back to
/// the form's rows.
struct Shown<'a> {
    errors: &'a FormErrors,
    rows: &'a [usize],
}

impl Shown<'_> {
    fn at(&self, pointer: &str) -> Option<String> {
        self.errors.for_field(pointer).map(capitalize)
    }

    /// The error of the override in form row `row`.
    fn row(&self, row: usize) -> Option<String> {
        let sent = self.rows.iter().position(|r| *r == row)?;
        self.at(&format!("/overrides/{sent}"))
    }
}

/// "Azure (product family)", "Microsoft 365 E3": what an override names.
fn target_words(choices: &PriceListChoices, offer: Option<&str>, family: Option<&str>) -> String {
    match (offer, family) {
        (Some(id), _) => choices
            .offers
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| o.name.clone()),
        (_, Some(f)) => format!("{f} (all its offers)"),
        _ => String::new(),
    }
}

/// "Northwind Reseller" or "Every reseller without their own price list".
fn buyer_words(l: &PriceList) -> String {
    l.buyer_name.clone().unwrap_or_else(|| {
        match l.config.tier {
            Tier::ResellerToCustomer => "Every customer without their own price list",
            _ => "Every reseller without their own price list",
        }
        .to_owned()
    })
}

/// The override rows of the form.
fn override_rows(choices: &PriceListChoices, form: &PriceForm, shown: &Shown) -> Markup {
    let rows = form.overrides.len() + BLANK_OVERRIDES;
    html! {
        fieldset.choices {
            legend { "Exceptions (optional)" }
            p.hint { "A different percentage for one offer or a whole product family. The first exception that matches an offer applies." }
            @for i in 0..rows {
                @let (target, pct) = form.overrides.get(i).cloned().unwrap_or_default();
                @let error = shown.row(i);
                div.override-row {
                    label for=(format!("override-target-{i}")) { "Offer or family " (i + 1) }
                    select id=(format!("override-target-{i}")) name="override_target" aria-invalid=[error.as_ref().map(|_| "true")] {
                        option value="" { "None" }
                        optgroup label="Product families" {
                            @for f in &choices.families {
                                @let v = format!("family:{f}");
                                option value=(v) selected[target == v] { (f) " (all its offers)" }
                            }
                        }
                        optgroup label="Offers" {
                            @for o in &choices.offers {
                                @let v = format!("offer:{}", o.id);
                                option value=(v) selected[target == v] { (o.name) }
                            }
                        }
                    }
                    label for=(format!("override-percentage-{i}")) { "Percentage over cost" }
                    input id=(format!("override-percentage-{i}")) name="override_percentage" type="text" inputmode="decimal" value=(pct) aria-invalid=[error.as_ref().map(|_| "true")];
                    @if let Some(e) = error { p.field-error role="alert" { (e) } }
                }
            }
        }
    }
}

fn percentage_field(form: &PriceForm, shown: &Shown) -> Markup {
    let error = shown.at("/adjustment");
    html! {
        label for="percentage" { "Percentage over your cost" }
        input #percentage name="percentage" type="text" inputmode="decimal" value=(form.percentage)
            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby="percentage-hint";
        p.hint #percentage-hint { "Such as 8 or 12.5; a negative number sells below your cost. From −100 to 1000." }
        @if let Some(e) = error { p.field-error role="alert" { (e) } }
    }
}

/// The form that creates a price list.
fn create_form(csrf: &str, c: &PriceListChoices, form: &PriceForm, shown: &Shown) -> Markup {
    let next = c.current_month.next();
    let month_error = shown.at("/effectiveFrom");
    let tier_error = shown.at("/tier");
    html! {
        div.card #new-price-list {
            h2 { "New price list" }
            @if let Some(g) = &shown.errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/billing/prices" novalidate {
                (csrf_field(csrf))
                label for="buyer" { "For" }
                select #buyer name="buyer" aria-invalid=[tier_error.as_ref().map(|_| "true")] {
                    @for t in &c.tiers {
                        @let (group, everyone) = match t {
                            Tier::ProviderToReseller => ("Your resellers", "Every reseller without their own price list"),
                            _ => ("Your customers", "Every customer without their own price list"),
                        };
                        optgroup label=(group) {
                            @let default = format!("{}:", t.as_str());
                            option value=(default) selected[form.choice() == default] { (everyone) }
                            @for b in c.buyers.iter().filter(|b| b.tier == *t) {
                                @let v = format!("{}:{}", t.as_str(), b.id);
                                option value=(v) selected[form.choice() == v] { (b.name) }
                            }
                        }
                    }
                }
                @if let Some(e) = tier_error { p.field-error role="alert" { (e) } }
                label for="month" { "From the month" }
                input #month name="month" type="month" value=(if form.month.is_empty() { next.to_string() } else { form.month.clone() })
                    min=(next.to_string()) aria-invalid=[month_error.as_ref().map(|_| "true")] aria-describedby="month-hint";
                p.hint #month-hint { (next.spoken()) " at the earliest: a month's prices are final once it begins." }
                @if let Some(e) = month_error { p.field-error role="alert" { (e) } }
                (percentage_field(form, shown))
                (override_rows(c, form, shown))
                button type="submit" { "Create price list" }
            }
        }
    }
}

/// One price list's percentage and exceptions in words.
fn terms_words(c: &PriceListChoices, config: &RepricingConfig) -> Markup {
    html! {
        (capitalize(&percentage_words(config.adjustment)))
        @if !config.overrides.is_empty() {
            ul.plans-list {
                @for o in &config.overrides {
                    li { (target_words(c, o.condition.offer_id.as_deref(), o.condition.product_family.as_deref())) ": " (percentage_words(o.adjustment)) }
                }
            }
        }
    }
}

fn list_body(
    csrf: &str,
    p: &PriceListsPage,
    form: &PriceForm,
    shown: &Shown,
    done: Option<&str>,
) -> Markup {
    let c = &p.choices;
    let current = c.current_month;
    // Consecutive lists of one tier and buyer form a group, newest month first.
    let mut groups: Vec<(Tier, Option<OrgId>, Vec<&PriceList>)> = Vec::new();
    for l in &p.lists.items {
        let key = (l.config.tier, l.config.buyer_organization_id.clone());
        match groups.last_mut() {
            Some((t, b, items)) if (*t, b.clone()) == key => items.push(l),
            _ => groups.push((key.0, key.1, vec![l])),
        }
    }
    html! {
        @match done {
            Some("created") => { div.alert.success role="status" { "The price list was created." } }
            Some("deleted") => { div.alert.success role="status" { "The price list was deleted." } }
            Some("changed") => { div.alert.success role="status" { "The price list was changed." } }
            _ => {}
        }
        p { "What you charge is your own cost plus a percentage. A buyer's own price list comes before the one for everyone without their own; each applies from the first of its month until a later one." }
        @if c.tiers.is_empty() {
            p.empty { "Price lists are for indirect providers and indirect resellers: your organisation sells at the operator's list prices." }
        } @else if groups.is_empty() {
            p.empty { "No price lists yet: your buyers pay the operator's list prices. Create one below." }
        }
        @for (tier, _, items) in &groups {
            @let first_in_effect = items.iter().position(|l| l.config.effective_from <= current);
            div.card {
                h2 { (buyer_words(items[0])) }
                p.muted { (tier_words(*tier)) }
                ul.offer-list {
                    @for (i, l) in items.iter().enumerate() {
                        li.version {
                            h3 {
                                "From " (l.config.effective_from.spoken())
                                @if l.config.effective_from > current { " " span.badge { "scheduled" } }
                                @else if Some(i) == first_in_effect { " " span.badge { "in effect" } }
                                @else { " " span.muted { "(replaced)" } }
                            }
                            (terms_words(c, &l.config))
                            @if c.may_manage && l.config.effective_from > current {
                                p {
                                    a href=(format!("/billing/prices/{}", l.config.id)) { "Change" }
                                    " · "
                                    a href=(format!("/billing/prices/{}/delete", l.config.id)) { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(t) = &p.lists.continuation_token {
            p { a href=(crate::pages::next_page_link("/billing/prices", &[], t)) { "More price lists" } }
        }
        @if c.may_manage { (create_form(csrf, c, form, shown)) }
    }
}

/// `/billing/prices`.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let lists = s
        .app
        .price_lists_page(
            &user.principal,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let errors = FormErrors::default();
    let shown = Shown {
        errors: &errors,
        rows: &[],
    };
    let body = list_body(
        &csrf,
        &lists,
        &PriceForm::default(),
        &shown,
        q.done.as_deref(),
    );
    Ok(page("Price lists", &user, &csrf, body))
}

/// Whether a refusal belongs next to the form (the person may use it; the
/// request was wrong) rather than on an error page.
fn shown_on_form(p: &partnerd_app::Principal, e: &AppError) -> bool {
    p.may(Action::ManageRepricingConfigs)
        && matches!(
            e,
            AppError::Validation(_)
                | AppError::Conflict { .. }
                | AppError::Forbidden { .. }
                | AppError::PreconditionFailed
        )
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(fields): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let form = PriceForm::read(&fields);
    let (overrides, rows) = form.overrides();
    let input = RepricingConfigInput {
        tier: form.tier.clone(),
        buyer_organization_id: blank(&Some(form.buyer.clone())),
        effective_from: form.month.clone(),
        adjustment: form.adjustment(),
        overrides: Some(overrides),
    };
    let p = &user.principal;
    match s.app.create_repricing_config(p, &ctx, Ok(input)).await {
        Ok(_) => Ok(Redirect::to("/billing/prices?done=created").into_response()),
        Err(e) if shown_on_form(p, &e) => {
            let lists = s.app.price_lists_page(p, &PageParams::first(50)).await?;
            let errors = FormErrors::from_app(&e);
            let shown = Shown {
                errors: &errors,
                rows: &rows,
            };
            let body = list_body(&csrf, &lists, &form, &shown, None);
            Ok((
                crate::problem::status_of(&e),
                page("Price lists", &user, &csrf, body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn detail_body(csrf: &str, r: &PriceListRecord, form: &PriceForm, shown: &Shown) -> Markup {
    let c = &r.choices;
    let config = &r.list.config;
    let future = config.effective_from > c.current_month;
    html! {
        dl.facts {
            dt { "For" } dd { (buyer_words(&r.list)) }
            dt { "Sold" } dd { (tier_words(config.tier)) }
            dt { "From" } dd { (config.effective_from.spoken()) }
            dt { "Prices" } dd { (terms_words(c, config)) }
        }
        (resulting(r))
        @if c.may_manage && future {
            div.card {
                h2 { "Change" }
                @if let Some(g) = &shown.errors.general { div.alert.error role="alert" { (g) } }
                form method="post" action=(format!("/billing/prices/{}", config.id)) novalidate {
                    (csrf_field(csrf))
                    input type="hidden" name="etag" value=(config.etag);
                    (percentage_field(form, shown))
                    (override_rows(c, form, shown))
                    button type="submit" { "Save changes" }
                }
                p { a href=(format!("/billing/prices/{}/delete", config.id)) { "Delete this price list" } }
            }
        } @else if !future {
            p.muted { "These prices are final: the month has begun. Create a price list for a later month to change them." }
        }
        p { a href="/billing/prices" { "Back to price lists" } }
    }
}

/// The prices the list results in, with the seller's cost and margin; a price
/// below cost is flagged.
fn resulting(r: &PriceListRecord) -> Markup {
    let month = r.list.config.effective_from.spoken();
    html! {
        section.resulting aria-labelledby="resulting-prices" {
            h2 #resulting-prices { "Resulting prices in " (month) }
            p.hint {
                "Per seat and billing period, over your cost in " (month)
                @match &r.cost_from { Some(p) => { " (what " (p) " charges you)" } None => { " (the operator's list price)" } }
                "."
            }
            @if r.prices.is_empty() { p.empty { "No offer is available in the catalog." } } @else {
                table.stack {
                    thead { tr { th { "Offer" } th { "Plan" } th.num { "Your cost" } th.num { "Their price" } th.num { "Margin" } } }
                    tbody { @for x in &r.prices {
                        @let below = x.margin.minor() < 0;
                        tr.below-cost[below] {
                            td data-label="Offer" { (x.offer_name) }
                            td data-label="Plan" { (x.plan.label()) }
                            td.num data-label="Your cost" { (x.cost) }
                            td.num data-label="Their price" { (x.price) }
                            td.num data-label="Margin" { (x.margin) @if below { " " span.badge.bad { "below cost" } } }
                        }
                    } }
                }
            }
        }
    }
}

fn detail_title(r: &PriceListRecord) -> String {
    format!("Price list from {}", r.list.config.effective_from.spoken())
}

/// `/billing/prices/{id}`: one price list and, while its month is ahead, the
/// form that changes it.
pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<RepricingConfigId>,
) -> Result<Markup, PageError> {
    let r = s.app.price_list_record(&user.principal, &id).await?;
    let errors = FormErrors::default();
    let shown = Shown {
        errors: &errors,
        rows: &[],
    };
    let body = detail_body(&csrf, &r, &PriceForm::of(&r.list.config), &shown);
    Ok(page(&detail_title(&r), &user, &csrf, body))
}

pub async fn update(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<RepricingConfigId>,
    CsrfForm(fields): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let form = PriceForm::read(&fields);
    let (overrides, rows) = form.overrides();
    let etag = fields.one("etag");
    let changes = RepricingConfigChanges {
        adjustment: form.adjustment(),
        overrides: Some(overrides),
    };
    let p = &user.principal;
    match s
        .app
        .update_repricing_config(p, &ctx, &id, Some(&etag), Ok(changes))
        .await
    {
        Ok(_) => Ok(Redirect::to("/billing/prices?done=changed").into_response()),
        Err(e) if shown_on_form(p, &e) => {
            let r = s.app.price_list_record(p, &id).await?;
            let errors = FormErrors::from_app(&e);
            let shown = Shown {
                errors: &errors,
                rows: &rows,
            };
            let body = detail_body(&csrf, &r, &form, &shown);
            Ok((
                crate::problem::status_of(&e),
                page(&detail_title(&r), &user, &csrf, body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `/billing/prices/{id}/delete`: what deleting means, before it happens.
pub async fn delete_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<RepricingConfigId>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    p.require(Action::ManageRepricingConfigs)
        .map_err(PageError)?;
    let r = s.app.price_list_record(p, &id).await?;
    let config = &r.list.config;
    Ok(Confirm::new(
        "Delete price list",
        html! { "Delete the price list for " strong { (buyer_words(&r.list)) } " from " (config.effective_from.spoken()) "?" },
        format!("/billing/prices/{id}/delete"),
        "Delete price list",
    )
    .consequences(html! { "From " (config.effective_from.spoken()) " the price list in force before it goes on applying. Nothing already bought changes." })
    .cancel(format!("/billing/prices/{id}"))
    .page(&user, &csrf))
}

pub async fn delete(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<RepricingConfigId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    let p = &user.principal;
    match s.app.delete_repricing_config(p, &ctx, &id).await {
        Ok(()) => Ok(Redirect::to("/billing/prices?done=deleted").into_response()),
        Err(e) if shown_on_form(p, &e) => Ok(nothing_changed(
            &user,
            &csrf,
            ("/billing/prices", "Back to price lists"),
            &e,
        )),
        Err(e) => Err(e.into()),
    }
}
