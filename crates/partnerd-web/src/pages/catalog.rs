//! The catalog: everyone in a partner or operator organisation browses it; the
//! operator's global admins add, change and retire offers.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::catalog::{
    CatalogPage, MoneyInput, Offer, OfferDraft, OfferEdit, OfferFilters, OfferInput,
};
use partnerd_app::paging::PageParams;
use partnerd_domain::policy::Action;
use partnerd_domain::states::OfferStatus;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, field, page};
use crate::pages::{
    Confirmed, CsrfForm, CsrfToken, PageError, PageUser, blank, checkbox, csrf_field,
};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/catalog", get(list_page))
        .route("/catalog/new", get(new_page).post(create))
        .route("/catalog/{id}", get(detail_page).post(update))
        .route("/catalog/{id}/retire", get(retire_confirm).post(retire))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CatalogQuery {
    q: Option<String>,
    product_family: Option<String>,
    billing_cycle: Option<String>,
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
                ("status", &f.status),
            ],
            t,
        )
    });
    let sel = |v: &Option<String>, o: &str| v.as_deref() == Some(o);
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
            div { label for="billingCycle" { "Billing cycle" }
                select #billingCycle name="billingCycle" {
                    option value="" { "Any" }
                    option value="monthly" selected[sel(&q.billing_cycle, "monthly")] { "Monthly" }
                    option value="annual" selected[sel(&q.billing_cycle, "annual")] { "Annual" }
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
                @if manage && f.q.is_none() && f.product_family.is_none() { "The catalog is empty. Add the first offer to sell it through providers and resellers." }
                @else { "No offer matches. Try other filters." }
            }
        } @else {
            table {
                thead { tr { th { "Offer" } th { "Product family" } th { "Billing" } th { "Unit price" } th { "Seats" } th { "Status" } } }
                tbody {
                    @for o in &offers.items {
                        tr {
                            td { a href=(format!("/catalog/{}", o.id)) { (o.name) } br; code { (o.id) } }
                            td { (o.product_family) @if o.requires_admin_agent { br; span.muted { "requires an admin agent" } } }
                            td { (o.billing_cycle) }
                            td { (o.unit_price) }
                            td { (o.min_quantity) "–" (o.max_quantity) }
                            td { (o.status) }
                        }
                    }
                }
            }
            p.muted { (crate::pages::layout::count(offers.total_count, "offer", "offers")) }
            @if let Some(link) = next { p { a href=(link) { "Next page" } } }
        }
    };
    Ok(page("Catalog", &user, &csrf, body))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct OfferForm {
    etag: String,
    id: String,
    name: String,
    product_family: String,
    billing_cycle: String,
    amount: String,
    min_quantity: String,
    max_quantity: String,
    #[serde(deserialize_with = "checkbox")]
    requires_admin_agent: bool,
    description: String,
}

fn form_of(o: &Offer) -> OfferForm {
    OfferForm {
        etag: o.etag.clone(),
        id: o.id.clone(),
        name: o.name.clone(),
        product_family: o.product_family.clone(),
        billing_cycle: o.billing_cycle.clone(),
        amount: o.unit_price.amount().clone(),
        min_quantity: o.min_quantity.to_string(),
        max_quantity: o.max_quantity.to_string(),
        requires_admin_agent: o.requires_admin_agent,
        description: o.description.clone().unwrap_or_default(),
    }
}

/// Numbers typed in a form; a non-number becomes a field error of the use case.
fn number(pointer: &str, raw: &str, errors: &mut Vec<partnerd_domain::FieldError>) -> Option<i64> {
    match raw.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(partnerd_domain::FieldError::invalid(
                pointer,
                "must be a whole number",
            ));
            None
        }
    }
}

fn offer_form(
    action: &str,
    csrf: &str,
    currency: &str,
    f: &OfferForm,
    errors: &FormErrors,
    creating: bool,
) -> Markup {
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
            label for="billing_cycle" { "Billing cycle" }
            select #billing_cycle name="billing_cycle" {
                option value="monthly" selected[f.billing_cycle == "monthly"] { "Monthly" }
                option value="annual" selected[f.billing_cycle == "annual"] { "Annual" }
            }
            @if let Some(e) = errors.for_field("/billingCycle") { p.field-error { (e) } }
            (field("amount", &format!("Unit price ({currency})"), "text", &f.amount, "off", Some("Per seat and billing period, such as 12.50."), errors.for_field("/unitPrice")))
            (field("min_quantity", "Minimum seats", "text", &f.min_quantity, "off", None, errors.for_field("/minQuantity")))
            (field("max_quantity", "Maximum seats", "text", &f.max_quantity, "off", Some("At most 1 000 000."), errors.for_field("/maxQuantity")))
            div { label { input type="checkbox" name="requires_admin_agent" checked[f.requires_admin_agent]; " Requires an admin agent (helpdesk agents cannot assign its licenses)" } }
            label for="description" { "Description" }
            textarea #description name="description" rows="4" { (f.description) }
            @if let Some(e) = errors.for_field("/description") { p.field-error { (e) } }
            button type="submit" { @if creating { "Add offer" } @else { "Save changes" } }
            " "
            a.button.secondary href="/catalog" { "Cancel" }
        }
    }
}

/// What the form says of the offer; numbers that are not numbers become the
/// draft's own errors.
fn draft_of(f: &OfferForm, currency: &str, creating: bool) -> OfferDraft {
    let mut errors = Vec::new();
    let input = OfferInput {
        id: creating.then(|| f.id.clone()),
        name: Some(f.name.clone()),
        product_family: Some(f.product_family.clone()),
        billing_cycle: Some(f.billing_cycle.clone()),
        unit_price: Some(MoneyInput {
            amount: f.amount.clone(),
            currency: currency.to_owned(),
        }),
        min_quantity: number("/minQuantity", &f.min_quantity, &mut errors),
        max_quantity: number("/maxQuantity", &f.max_quantity, &mut errors),
        requires_admin_agent: Some(f.requires_admin_agent),
        description: Some(f.description.clone()),
    };
    OfferDraft { input, errors }
}

pub async fn new_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Markup, PageError> {
    user.principal.require(Action::ManageCatalog)?;
    let f = OfferForm {
        billing_cycle: "monthly".into(),
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
            true,
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
    match s.app.create_offer_draft(&user.principal, &ctx, draft).await {
        Ok(o) => Ok(Redirect::to(&format!("/catalog/{}?done=created", o.id)).into_response()),
        Err(e)
            if matches!(e, AppError::Validation(_)) || matches!(e, AppError::Conflict { .. }) =>
        {
            let mut errors = FormErrors::from_app(&e);
            if matches!(e, AppError::Conflict { .. }) {
                errors = FormErrors {
                    general: None,
                    fields: vec![partnerd_domain::FieldError::invalid(
                        "/id",
                        e.detail().into_owned(),
                    )],
                };
            }
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    "Add offer",
                    &user,
                    &csrf.0,
                    offer_form("/catalog/new", &csrf.0, &currency, &f, &errors, true),
                ),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let o = s.app.get_offer(&user.principal, &id).await?;
    let manage = user.principal.may(Action::ManageCatalog);
    let body = html! {
        @match q.done.as_deref() {
            Some("created") => div.alert.success role="status" { "The offer was added to the catalog." },
            Some("saved") => div.alert.success role="status" { "Saved. A new price applies to new orders and renewals." },
            _ => {}
        }
        div.card {
            table { tbody {
                tr { th scope="row" { "Offer id" } td { code { (o.id) } } }
                tr { th scope="row" { "Product family" } td { (o.product_family) } }
                tr { th scope="row" { "Billing cycle" } td { (o.billing_cycle) } }
                tr { th scope="row" { "Unit price" } td { (o.unit_price) } }
                tr { th scope="row" { "Seats per subscription" } td { (o.min_quantity) " to " (o.max_quantity) } }
                tr { th scope="row" { "Requires an admin agent" } td { @if o.requires_admin_agent { "Yes" } @else { "No" } } }
                tr { th scope="row" { "Status" } td { (o.status) } }
            } }
            @if let Some(d) = &o.description { p { (d) } }
        }
        @if manage {
            h2 { "Change" }
            (offer_form(&format!("/catalog/{}", o.id), &csrf, s.app.config().currency.as_str(), &form_of(&o), &FormErrors::default(), false))
            @if o.status == OfferStatus::Available {
                p { a href=(format!("/catalog/{}/retire", o.id)) { "Retire this offer" } }
            }
        }
        p { a href="/catalog" { "Back to the catalog" } }
    };
    Ok(page(&o.name, &user, &csrf, body))
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
        OfferEdit::Refused { error: e, current } => {
            let mut errors = FormErrors::from_app(&e);
            let shown = if matches!(e, AppError::PreconditionFailed) {
                errors.general = Some("Someone changed this offer while you were editing. The form now shows their version.".into());
                form_of(&current)
            } else {
                OfferForm {
                    etag: current.etag.clone(),
                    ..f
                }
            };
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    &current.name,
                    &user,
                    &csrf.0,
                    offer_form(
                        &format!("/catalog/{id}"),
                        &csrf.0,
                        &currency,
                        &shown,
                        &errors,
                        false,
                    ),
                ),
            )
                .into_response())
        }
    }
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
