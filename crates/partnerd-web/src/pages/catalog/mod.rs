//! The catalog: everyone in a partner or operator organisation browses it, each
//! offer with its plans and prices in words; the operator's global admins add,
//! change and retire offers (`form`) and schedule the list prices of future
//! months (`prices`).

mod form;
mod prices;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::catalog::{CatalogPage, Offer, OfferChoice, OfferFilters, OfferPage};
use partnerd_app::paging::PageParams;
use partnerd_domain::calendar::Month;
use partnerd_domain::money::Money;
use partnerd_domain::policy::Action;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::terms::{BillingFrequency, Plan, TermDuration};
use partnerd_domain::time::Timestamp;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, capitalize, page};
use crate::pages::{Confirmed, CsrfToken, PageError, PageUser, blank};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/catalog", get(list_page))
        .route("/catalog/new", get(form::new_page).post(form::create))
        .route("/catalog/{id}", get(detail_page).post(form::update))
        .route("/catalog/{id}/retire", get(retire_confirm).post(retire))
        .route(
            "/catalog/{id}/prices",
            axum::routing::post(prices::schedule),
        )
        .route(
            "/catalog/{id}/prices/{month}/delete",
            get(prices::delete_confirm).post(prices::delete),
        )
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "June 2026".
pub(crate) fn month_words(m: Month) -> String {
    let d = m.first_day();
    let name = MONTHS
        .get(usize::from(d.month_number()).saturating_sub(1))
        .copied()
        .unwrap_or_default();
    format!("{name} {}", d.year())
}

/// "3 June 2026" (UTC).
pub(crate) fn day_words(t: Timestamp) -> String {
    let d = partnerd_domain::calendar::Date::of(t);
    format!("{} {}", d.day_of_month(), month_words(d.month()))
}

/// "1 year, billed monthly — 12.00 USD per seat per month".
pub(crate) fn plan_line(plan: Plan, price: Money) -> String {
    format!(
        "{} — {price} {}",
        capitalize(&plan.label()),
        plan.price_unit()
    )
}

fn status_words(s: OfferStatus) -> &'static str {
    match s {
        OfferStatus::Available => "Available",
        OfferStatus::Retired => "Retired",
    }
}

/// The offer's plans, each in words, the default marked.
fn plan_list(o: &Offer) -> Markup {
    let default = o.default_plan();
    html! {
        ul.plans-list {
            @for (plan, price) in o.plans() {
                li { (plan_line(plan, price)) @if plan == default && o.terms.iter().map(|t| t.billing_plans.len()).sum::<usize>() > 1 { " " span.muted { "(default)" } } }
            }
        }
    }
}

/// Links to offers, by name.
fn offer_links(offers: &[OfferChoice]) -> Markup {
    html! {
        @for (i, o) in offers.iter().enumerate() {
            @if i > 0 { ", " }
            a href=(format!("/catalog/{}", o.id)) { (o.name) }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CatalogQuery {
    q: Option<String>,
    product_family: Option<String>,
    billing_cycle: Option<String>,
    term_duration: Option<String>,
    billing_frequency: Option<String>,
    trial: Option<String>,
    add_on: Option<String>,
    status: Option<String>,
    continuation_token: Option<String>,
    done: Option<String>,
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<CatalogQuery>,
) -> Result<Markup, PageError> {
    let f = OfferFilters {
        product_family: blank(&q.product_family),
        billing_cycle: blank(&q.billing_cycle),
        term_duration: blank(&q.term_duration),
        billing_frequency: blank(&q.billing_frequency),
        trial: blank(&q.trial),
        add_on: blank(&q.add_on),
        status: blank(&q.status),
        q: blank(&q.q),
    };
    let CatalogPage { offers, families } = s
        .app
        .catalog_page(
            &user.principal,
            &f,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let manage = user.principal.may(Action::ManageCatalog);
    let next = offers.continuation_token.as_ref().map(|t| {
        crate::pages::next_page_link(
            "/catalog",
            &[
                ("q", &f.q),
                ("productFamily", &f.product_family),
                ("billingCycle", &f.billing_cycle),
                ("termDuration", &f.term_duration),
                ("billingFrequency", &f.billing_frequency),
                ("trial", &f.trial),
                ("addOn", &f.add_on),
                ("status", &f.status),
            ],
            t,
        )
    });
    let sel = |v: &Option<String>, o: &str| v.as_deref() == Some(o);
    let filtered = f.q.is_some()
        || f.product_family.is_some()
        || f.term_duration.is_some()
        || f.billing_frequency.is_some()
        || f.trial.is_some()
        || f.add_on.is_some();
    let body = html! {
        @if q.done.as_deref() == Some("retired") { div.alert.success role="status" { "The offer was retired. Existing subscriptions keep it; new orders cannot use it." } }
        @if manage { p { a.button href="/catalog/new" { "Add offer" } } }
        form.filters method="get" action="/catalog" role="search" {
            div { label for="q" { "Name contains" } input #q name="q" type="text" value=(q.q.clone().unwrap_or_default()); }
            div { label for="productFamily" { "Product family" }
                select #productFamily name="productFamily" {
                    option value="" { "Any" }
                    @for fam in &families { option value=(fam.id) selected[sel(&q.product_family, &fam.id)] { (fam.name) } }
                }
            }
            div { label for="termDuration" { "Term" }
                select #termDuration name="termDuration" {
                    option value="" { "Any" }
                    @for t in TermDuration::ALL { option value=(t.as_str()) selected[sel(&q.term_duration, t.as_str())] { (capitalize(t.label())) } }
                }
            }
            div { label for="billingFrequency" { "Billing" }
                select #billingFrequency name="billingFrequency" {
                    option value="" { "Any" }
                    @for b in BillingFrequency::ALL { option value=(b.as_str()) selected[sel(&q.billing_frequency, b.as_str())] { (capitalize(b.label())) } }
                }
            }
            div { label for="trial" { "Trial" }
                select #trial name="trial" {
                    option value="" { "Any" }
                    option value="true" selected[sel(&q.trial, "true")] { "With a trial" }
                    option value="false" selected[sel(&q.trial, "false")] { "Without a trial" }
                }
            }
            div { label for="addOn" { "Add-ons" }
                select #addOn name="addOn" {
                    option value="" { "Any" }
                    option value="true" selected[sel(&q.add_on, "true")] { "Add-ons only" }
                    option value="false" selected[sel(&q.add_on, "false")] { "No add-ons" }
                }
            }
            div { label for="status" { "Status" }
                select #status name="status" {
                    option value="available" selected[sel(&q.status, "available")] { "Available" }
                    option value="retired" selected[sel(&q.status, "retired")] { "Retired" }
                    option value="all" selected[sel(&q.status, "all")] { "All" }
                }
            }
            div { button type="submit" { "Search" } }
        }
        @if offers.items.is_empty() {
            p.empty {
                @if manage && !filtered { "The catalog is empty. Add the first offer to sell it through providers and resellers." }
                @else { "No offer matches. Try other filters." }
            }
        } @else {
            ul.offer-list {
                @for o in &offers.items {
                    li.card {
                        h2 { a href=(format!("/catalog/{}", o.id)) { (o.name) } }
                        p.muted {
                            (o.product_family)
                            " · " (o.min_quantity) "–" (o.max_quantity) " seats"
                            @if o.trial.is_some() { " · trial" }
                            @if !o.prerequisite_offer_ids.is_empty() { " · add-on" }
                            @if o.requires_admin_agent { " · requires an admin agent" }
                            @if o.status != OfferStatus::Available { " · " (status_words(o.status)) }
                        }
                        (plan_list(o))
                    }
                }
            }
            p.muted { (crate::pages::layout::count(offers.total_count, "offer", "offers")) }
            @if let Some(link) = next { p { a href=(link) { "Next page" } } }
        }
    };
    Ok(page("Catalog", &user, &csrf, body))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DetailQuery {
    done: Option<String>,
    continuation_token: Option<String>,
}

/// The offer as everyone reads it.
fn offer_card(p: &OfferPage) -> Markup {
    let o = &p.offer;
    html! {
        div.card {
            dl.facts {
                dt { "Product family" } dd { (o.product_family) }
                dt { "Plans this month" } dd { (plan_list(o)) }
                dt { "Seats per subscription" } dd { (o.min_quantity) " to " (o.max_quantity) }
                dt { "Seats per customer" } dd {
                    @match o.max_quantity_per_customer {
                        Some(n) => { "At most " (n) " across all its partners" }
                        None => { "No limit" }
                    }
                }
                dt { "Trial" } dd {
                    @match o.trial {
                        Some(t) => { (t.days) " days, up to " (t.max_quantity) " seats" }
                        None => { "None" }
                    }
                }
                @if !p.upgrade_targets.is_empty() {
                    dt { "Upgrades to" } dd { (offer_links(&p.upgrade_targets)) }
                }
                @if !p.prerequisites.is_empty() {
                    dt { "Add-on of" } dd { "A customer needs one of: " (offer_links(&p.prerequisites)) }
                }
                dt { "Requires an admin agent" } dd { @if o.requires_admin_agent { "Yes" } @else { "No" } }
                dt { "Status" } dd { (status_words(o.status)) }
                dt { "Offer id" } dd { code { (o.id) } }
            }
            @if let Some(d) = &o.description { p { (d) } }
        }
    }
}

/// The whole offer page, with the state of its two forms.
pub(crate) fn offer_body(
    p: &OfferPage,
    csrf: &str,
    currency: &str,
    done: Option<&str>,
    offer_form: Option<(&form::OfferForm, &FormErrors)>,
    price_form: Option<(&prices::PriceForm, &FormErrors)>,
) -> Markup {
    let o = &p.offer;
    let next = month_words(p.current_month.next());
    let fresh;
    let (f, errors) = match offer_form {
        Some(state) => state,
        None => {
            fresh = (form::form_of(p), FormErrors::default());
            (&fresh.0, &fresh.1)
        }
    };
    html! {
        @match done {
            Some("created") => div.alert.success role="status" { "The offer was added to the catalog." },
            Some("saved") => div.alert.success role="status" { "Saved. A changed price applies from 1 " (next) "." },
            Some("scheduled") => div.alert.success role="status" { "The prices were scheduled." },
            Some("withdrawn") => div.alert.success role="status" { "The scheduled prices were withdrawn." },
            _ => {}
        }
        (offer_card(p))
        (prices::versions(p, csrf, currency, price_form))
        @if p.may_manage {
            h2 { "Change" }
            (form::offer_form(&format!("/catalog/{}", o.id), csrf, currency, f, errors, form::FormKind::Change { next: p.current_month.next() }, &p.choices, p.more_choices))
            @if o.status == OfferStatus::Available {
                p { a href=(format!("/catalog/{}/retire", o.id)) { "Retire this offer" } }
            }
        }
        p { a href="/catalog" { "Back to the catalog" } }
    }
}

pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Markup, PageError> {
    let p = s
        .app
        .offer_page(
            &user.principal,
            &id,
            &PageParams {
                size: Some(24),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let body = offer_body(
        &p,
        &csrf,
        s.app.config().currency.as_str(),
        q.done.as_deref(),
        None,
        None,
    );
    Ok(page(&p.offer.name, &user, &csrf, body))
}

pub async fn retire_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let o = s.app.get_offer(&user.principal, &id).await?;
    user.principal.require(Action::ManageCatalog)?;
    Ok(Confirm::new(
        "Retire offer",
        html! { "Retire " strong { (o.name) } " (" code { (o.id) } ")?" },
        format!("/catalog/{}/retire", o.id),
        "Retire offer",
    )
    .consequences(html! { "It stays in the catalog as retired for history. Existing subscriptions continue; new orders and renewals cannot use it. This cannot be undone." })
    .cancel(format!("/catalog/{}", o.id))
    .page(&user, &csrf))
}

pub async fn retire(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<String>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.retire_offer(&user.principal, &ctx, &id, None).await?;
    Ok(Redirect::to("/catalog?done=retired").into_response())
}
