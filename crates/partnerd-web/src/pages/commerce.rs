//! Commerce in the portal: Add products for a customer (choose, review with the
//! total and the remaining credit, place), a user's licenses, and the credit page
//! of a provider–reseller relationship. A subscription's page is `subscriptions.rs`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::commerce::{
    AddProducts, CreditOutlook, LicenseUpdate, LineChoice, Order, OrderReview, UserLicenses,
};
use partnerd_app::connections::AS_PROVIDER;
use partnerd_app::credit::RelationshipCredit;
use partnerd_domain::ids::{OrgId, ResellerRelationshipId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::states::ResellerRelationshipStatus;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, capitalize, nothing_changed, page, refused};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Values, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/customers/{id}/add-products",
            get(add_products_page).post(add_products),
        )
        .route(
            "/customers/{cid}/users/{uid}/licenses",
            get(licenses_page).post(update_licenses),
        )
        .route(
            "/partners/relationships/{id}/credit",
            get(credit_page).post(set_credit),
        )
}

/// `/customers/{id}/add-products`: choose offers and quantities.
pub async fn add_products_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(cid): Path<OrgId>,
) -> Result<Markup, PageError> {
    let form = s.app.order_form(&user.principal, &cid).await?;
    let body = html! {
        p { "Choose the products and quantities for " strong { (form.customer.company_name) } ". You review the total before anything is ordered." }
        form method="post" action=(format!("/customers/{cid}/add-products")) {
            (csrf_field(&csrf))
            input type="hidden" name="step" value="review";
            @if form.suppliers.is_empty() {
                div.alert.error role="alert" { @if form.as_provider { "None of this customer's resellers works with you." } @else { "You work with no indirect provider yet; a provider supplies every order." } }
            } @else {
                label for="supplier" { @if form.as_provider { "Reseller of record" } @else { "Indirect provider" } }
                select #supplier name="supplier" {
                    @for s in &form.suppliers { option value=(s.organization_id) { (s.name) } }
                }
            }
            p.hint { "Seats can be removed with a refund for 7 days after they are bought; after that they are paid until the term ends. A term can end early on a month's last day, or on the same day as one of the customer's subscriptions, to line them up." }
            table.stack {
                thead { tr { th { "Offer" } th { "Plan and price" } th { "Quantity" } th { "Ends on (optional)" } } }
                tbody { @for o in &form.offers { tr {
                    td { (o.name) br; span.muted { (o.product_family) } }
                    td {
                        select name=(format!("plan_{}", o.id)) aria-label=(format!("Plan of {}", o.name)) {
                            @for (pl, price) in o.plans() {
                                option value=(format!("{} {}", pl.term, pl.frequency)) selected[pl == o.default_plan()] {
                                    (crate::pages::layout::capitalize(&pl.label())) " — " (price) " " (pl.price_unit())
                                }
                            }
                            @if let Some(t) = &o.trial {
                                option value="trial" { "Free trial for " (t.days) " days (up to " (t.max_quantity) " seats)" }
                            }
                        }
                    }
                    td { input type="number" name=(format!("qty_{}", o.id)) min=(o.min_quantity) max=(o.max_quantity) aria-label=(format!("Quantity of {}", o.name)); }
                    td { input type="date" name=(format!("end_{}", o.id)) aria-label=(format!("Custom term end of {}", o.name)); }
                } } }
            }
            button type="submit" { "Review order" }
            " " a.button.secondary href=(format!("/customers/{cid}")) { "Cancel" }
        }
    };
    Ok(page("Add products", &user, &csrf, body))
}

/// The lines typed in the form: `qty_<offer id>` holding a number, with the
/// offer's `plan_<offer id>` and `end_<offer id>`.
fn choices(m: &Values) -> Vec<LineChoice> {
    m.iter()
        .filter_map(|(k, v)| {
            let offer = k.strip_prefix("qty_")?;
            Some(LineChoice {
                offer_id: offer.to_owned(),
                quantity: v.trim().parse::<i64>().ok()?,
                plan: m.get(&format!("plan_{offer}")).cloned(),
                custom_end: m.get(&format!("end_{offer}")).cloned(),
            })
        })
        .collect()
}

/// `POST /customers/{id}/add-products`: `step=review` shows the total and the
/// remaining credit; `step=place` orders.
pub async fn add_products(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(cid): Path<OrgId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let supplier = m
        .get("supplier")
        .filter(|v| !v.is_empty())
        .cloned()
        .map(OrgId::from_raw);
    let place = m.get("step").map(String::as_str) == Some("place");
    let back = format!("/customers/{cid}/add-products");
    let review = match s
        .app
        .add_products(
            &user.principal,
            &ctx,
            &cid,
            supplier.as_ref(),
            &choices(&m),
            place,
        )
        .await?
    {
        AddProducts::Reviewed(r) => r,
        AddProducts::Invalid(e) => {
            return Ok(nothing_changed(
                &user,
                &csrf,
                (&back, "Back to the products"),
                &e,
            ));
        }
        AddProducts::Placed { review, order } => {
            return Ok(order_placed(&user, &csrf, &cid, &review, &order));
        }
        AddProducts::NotPlaced(e) => {
            let back = format!("/customers/{cid}/add-products");
            let back = (back.as_str(), "Back to the products");
            return Ok(refused("The order was not placed", &user, &csrf, back, &e));
        }
    };
    let customer = &review.form.customer.company_name;
    let body = html! {
        p { "Review the order for " strong { (customer) } @if let Some(sup) = &review.supplier { " through " (sup.name) } "." }
        table.stack {
            thead { tr { th { "Offer" } th { "Plan" } th { "Term ends" } th { "Quantity" } th { "Price per seat" } th { "Charged today per seat" } th { "Line total" } } }
            tbody { @for l in &review.lines { tr {
                td { (l.offer.name) } td { (crate::pages::layout::capitalize(&l.plan.label())) } td { (l.term_end.spoken()) }
                td { (l.quantity) } td { (l.unit_price.amount()) } td { (l.first_charge.amount()) } td { (l.line_total) }
            } } }
            tfoot { tr { th scope="row" colspan="6" { "Charged today" } td { strong { (review.total) } } } }
        }
        @if review.lines.iter().any(|l| l.custom_end.is_some()) { p.muted { "A term that ends early is charged for its days only in its last billing period." } }
        @match review.credit {
            CreditOutlook::Limited { available, after } => {
                p { "Remaining credit with this provider: " (available) "; after this order: " (after) "." }
                @if review.credit.exceeded() { div.alert.error role="alert" { "This order exceeds the remaining credit and will be refused." } }
            },
            CreditOutlook::NoLimit => p.muted { "No credit limit applies." },
            CreditOutlook::Unknown => p.muted { "Any credit limit is checked when the order is placed." },
        }
        form method="post" action=(back) {
            (csrf_field(&csrf))
            input type="hidden" name="step" value="place";
            @if let Some(sup) = &review.supplier { input type="hidden" name="supplier" value=(sup.organization_id); }
            @for l in &review.lines {
                input type="hidden" name=(format!("qty_{}", l.offer.id)) value=(l.quantity);
                input type="hidden" name=(format!("plan_{}", l.offer.id)) value=(l.plan_value());
                @if let Some(d) = l.custom_end { input type="hidden" name=(format!("end_{}", l.offer.id)) value=(d); }
            }
            button type="submit" { "Place order" }
            " " a.button.secondary href=(back) { "Change" }
        }
    };
    Ok(page("Review order", &user, &csrf, body).into_response())
}

/// What the placed order created.
fn order_placed(
    user: &PageUser,
    csrf: &str,
    cid: &OrgId,
    review: &OrderReview,
    order: &Order,
) -> Response {
    let body = html! {
        div.alert.success role="status" { "The order is placed: " (order.line_items.len()) (if order.line_items.len() == 1 { " new subscription, " } else { " new subscriptions, " }) (order.total) " charged today." }
        table {
            thead { tr { th { "Offer" } th { "Quantity" } th { "Subscription" } } }
            tbody { @for l in &order.line_items { tr {
                td { (l.offer_name) } td { (l.quantity) }
                td { a href=(format!("/customers/{cid}/subscriptions/{}", l.subscription_id)) { "Manage" } }
            } } }
        }
        p { a.button href=(format!("/customers/{cid}")) { "Back to " (review.form.customer.company_name) } }
    };
    page("Order placed", user, csrf, body).into_response()
}

/// `/customers/{cid}/users/{uid}/licenses`: what the user holds, what can be assigned.
pub async fn licenses_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path((cid, uid)): Path<(OrgId, UserId)>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let UserLicenses {
        user: u,
        held,
        skus,
    } = s.app.licenses_of_user(p, &cid, &uid).await?;
    let may = p.may(Action::ManageLicenses);
    let action = format!("/customers/{cid}/users/{uid}/licenses");
    let body = html! {
        h2 { "Assigned" }
        @if held.is_empty() { p.empty { "No licenses yet." } } @else {
            table {
                thead { tr { th { "Offer" } th { "Since" } th { span.skip { "Actions" } } } }
                tbody { @for l in &held { tr {
                    td { (l.offer_name) } td { (l.assigned_at.day()) }
                    td { @if may { form.inline method="post" action=(action) { (csrf_field(&csrf)) input type="hidden" name="remove" value=(l.offer_id); button.link type="submit" { "Remove" } } } }
                } } }
            }
        }
        h2 { "Available" }
        @let free: Vec<_> = skus.iter().filter(|k| !held.iter().any(|h| h.offer_id == k.offer_id)).collect();
        @if free.is_empty() { p.empty { "Nothing else to assign: order more products first." } } @else {
            table {
                thead { tr { th { "Offer" } th { "Seats used" } th { span.skip { "Actions" } } } }
                tbody { @for k in &free { tr {
                    td { (k.offer_name) } td { (k.assigned_units) " / " (k.total_units) }
                    td { @if may && k.available_units > 0 { form.inline method="post" action=(action) { (csrf_field(&csrf)) input type="hidden" name="assign" value=(k.offer_id); button.link type="submit" { "Assign" } } } @else if k.available_units == 0 { "All seats used" } }
                } } }
            }
        }
        p { a href=(format!("/customers/{cid}")) { "Back to the customer" } }
    };
    Ok(page(
        &format!("Licenses of {}", u.display_name()),
        &user,
        &csrf,
        body,
    ))
}

pub async fn update_licenses(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path((cid, uid)): Path<(OrgId, UserId)>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let update = LicenseUpdate {
        assign: m.get("assign").cloned().into_iter().collect(),
        remove: m.get("remove").cloned().into_iter().collect(),
    };
    match s
        .app
        .update_licenses(&user.principal, &ctx, &cid, &uid, Ok(update))
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/customers/{cid}/users/{uid}/licenses")).into_response())
        }
        Err(e)
            if matches!(
                e,
                AppError::Forbidden { .. } | AppError::Conflict { .. } | AppError::Validation(_)
            ) =>
        {
            Ok(nothing_changed(
                &user,
                &csrf.0,
                (
                    &format!("/customers/{cid}/users/{uid}/licenses"),
                    "Back to the licenses",
                ),
                &e,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `/partners/relationships/{id}/credit`: limit, used, available; the provider's
/// global or billing admin sets or removes the limit.
pub async fn credit_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<ResellerRelationshipId>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let RelationshipCredit {
        relationship: r,
        credit: c,
    } = s.app.relationship_credit(p, &id).await?;
    let may_set = r.relationship_type == AS_PROVIDER
        && p.may(Action::SetCreditLimit)
        && r.state == ResellerRelationshipStatus::Active;
    let body = html! {
        p { @if r.relationship_type == AS_PROVIDER { "Credit of your reseller " } @else { "Your credit with " } strong { (r.partner.name) } "." }
        dl {
            dt { "Limit" } dd { @match &c.limit { Some(l) => { (l) }, None => "None (not enforced)" } }
            dt { "Used" } dd { (c.used) }
            dt { "Available" } dd { @match &c.available { Some(a) => { (a) }, None => "Unlimited" } }
        }
        @if may_set {
            div.card {
                h2 { "Set the credit limit" }
                form method="post" action=(format!("/partners/relationships/{id}/credit")) {
                    (csrf_field(&csrf))
                    input type="hidden" name="etag" value=(c.etag);
                    input type="hidden" name="currency" value=(c.used.currency());
                    label for="amount" { "Limit in " (c.used.currency()) }
                    input #amount name="amount" type="text" inputmode="decimal" value=(c.limit.as_ref().map(|l| l.amount().clone()).unwrap_or_default());
                    p.hint { "Orders, quantity increases and reactivations beyond it are refused. Lowering it below what is used only blocks increases." }
                    button type="submit" name="do" value="set" { "Save limit" }
                    @if c.limit.is_some() { " " button.secondary type="submit" name="do" value="remove" { "Remove the limit" } }
                }
            }
        }
        p { a href=(if r.relationship_type == AS_PROVIDER { "/partners/resellers" } else { "/partners/providers" }) { "Back" } }
    };
    Ok(page("Credit", &user, &csrf, body))
}

pub async fn set_credit(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<ResellerRelationshipId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let limit = (m.get("do").map(String::as_str) != Some("remove")).then(|| {
        partnerd_app::catalog::MoneyInput {
            amount: m.get("amount").cloned().unwrap_or_default(),
            currency: m.get("currency").cloned().unwrap_or_default(),
        }
    });
    match s
        .app
        .set_credit_limit(
            &user.principal,
            &ctx,
            &id,
            m.get("etag").map(String::as_str),
            Ok(limit),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/partners/relationships/{id}/credit")).into_response()),
        Err(e)
            if matches!(
                e,
                AppError::Conflict { .. } | AppError::PreconditionFailed | AppError::Validation(_)
            ) =>
        {
            let errors = FormErrors::from_app(&e);
            let detail = errors
                .fields
                .first()
                .map(|f| f.message.clone())
                .or(errors.general)
                .unwrap_or_default();
            let body = html! {
                div.alert.error role="alert" { (capitalize(&detail)) "." }
                p { a href=(format!("/partners/relationships/{id}/credit")) { "Back to the credit" } }
            };
            Ok((
                crate::problem::status_of(&e),
                page("The limit was not changed", &user, &csrf.0, body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
