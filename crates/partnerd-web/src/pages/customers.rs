//! Customers (partners): the customer list, Request a reseller relationship with its
//! draft e-mail page, and the expandable customer record (account, users on
//! behalf, subscriptions, licenses, end relationship).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::customers::{
    Customer, CustomerFilters, RelationshipRequest, RequestForm, RequestInput, RequestPrepared,
};
use partnerd_app::customers::{CustomerList, CustomerUsers};
use partnerd_app::paging::PageParams;
use partnerd_app::users::NewUserInput;
use partnerd_app::{AppError, Conflict};
use partnerd_domain::ids::{OrgId, RelationshipRequestId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::states::{DelegatedAdminStatus, RelationshipRequestStatus};
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::Values;
use crate::pages::layout::{Confirm, FormErrors, field, page};
use crate::pages::{
    Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Pairs, blank, csrf_field, next_page_link,
};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/customers", get(list_page))
        .route("/customers/request", get(request_page).post(request_submit))
        .route("/customers/requests/{id}", get(draft_page))
        .route(
            "/customers/requests/{id}/revoke",
            get(revoke_confirm).post(revoke),
        )
        .route("/customers/{id}", get(record_page))
        .route(
            "/customers/{id}/terminate",
            get(terminate_confirm).post(terminate),
        )
        .route(
            "/customers/{id}/users/new",
            get(new_user_page).post(create_user),
        )
        .route(
            "/customers/{cid}/users/{uid}/resetpassword",
            get(reset_confirm).post(reset),
        )
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    #[serde(rename = "delegatedAdmin")]
    delegated_admin: Option<String>,
    #[serde(rename = "indirectProviderId")]
    indirect_provider_id: Option<String>,
    #[serde(rename = "indirectResellerId")]
    indirect_reseller_id: Option<String>,
    #[serde(rename = "continuationToken")]
    continuation_token: Option<String>,
    done: Option<String>,
}

fn partner_names(c: &Customer) -> String {
    c.relationships
        .iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.partner.name,
                if r.role == "indirectProvider" {
                    "provider"
                } else {
                    "reseller"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn delegation_text(c: &Customer) -> String {
    match &c.delegated_admin {
        Some(d) if d.status == DelegatedAdminStatus::Active => {
            format!("Active until {}", d.expires_at.day())
        }
        Some(d) => capital(d.status.as_str()),
        None => "None".into(),
    }
}

fn capital(s: &str) -> String {
    crate::pages::layout::capitalize(s)
}

/// `/customers`: search, filters, paging; pending requests; Request a reseller relationship.
pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let delegated = match blank(&q.delegated_admin).as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let f = CustomerFilters {
        q: blank(&q.q),
        indirect_provider_id: blank(&q.indirect_provider_id).map(OrgId::from_raw),
        indirect_reseller_id: blank(&q.indirect_reseller_id).map(OrgId::from_raw),
        delegated_admin: delegated,
        ..Default::default()
    };
    let CustomerList {
        customers: list,
        shared_with,
        pending,
    } = s
        .app
        .customer_list(
            p,
            &f,
            &PageParams {
                size: Some(25),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let may_request = p.may(Action::RequestCustomerRelationship);
    let notice = match q.done.as_deref() {
        Some("revoked") => Some("The request was withdrawn; its link no longer works."),
        Some("ended") => Some("The relationship ended. Existing subscriptions continue."),
        _ => None,
    };
    let body = html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        @if may_request {
            p { a.button href="/customers/request" { "Request a reseller relationship" } }
        }
        form.filters method="get" action="/customers" role="search" {
            label for="q" { "Search by company name or domain" }
            input #q name="q" type="search" value=(q.q.clone().unwrap_or_default());
            label for="delegatedAdmin" { "Delegated admin" }
            select #delegatedAdmin name="delegatedAdmin" {
                option value="" selected[delegated.is_none()] { "Any" }
                option value="yes" selected[delegated == Some(true)] { "Active" }
                option value="no" selected[delegated == Some(false)] { "None" }
            }
            @if let Some(id) = &f.indirect_provider_id { input type="hidden" name="indirectProviderId" value=(id); }
            @if let Some(id) = &f.indirect_reseller_id { input type="hidden" name="indirectResellerId" value=(id); }
            button type="submit" { "Search" }
        }
        @if let Some(name) = &shared_with {
            p.hint { "Showing the customers you share with " strong { (name) } ". " a href="/customers" { "Show all customers" } }
        }
        p.muted { (list.total_count) " customers" }
        @if list.items.is_empty() {
            p.empty {
                @if f.q.is_some() || f.delegated_admin.is_some() { "No customer matches these filters." }
                @else if may_request { "No customers yet. Request a reseller relationship to bring in the first one; customers you already serve elsewhere appear here once the operator imports them." }
                @else { "No customers yet." }
            }
        } @else {
            table {
                thead { tr { th { "Company" } th { "Domain" } th { "Country/region" } th { "Partners" } th { "Delegated admin" } } }
                tbody { @for c in &list.items { tr {
                    td { a href=(format!("/customers/{}", c.id)) { (c.company_name) } }
                    td { (c.default_domain) } td { (c.country) }
                    td { (partner_names(c)) } td { (delegation_text(c)) }
                } } }
            }
        }
        @if let Some(t) = &list.continuation_token {
            p { a href=(next_page_link("/customers", &[("q", &q.q), ("delegatedAdmin", &q.delegated_admin), ("indirectProviderId", &q.indirect_provider_id), ("indirectResellerId", &q.indirect_reseller_id)], t)) { "Next page" } }
        }
        @if may_request {
            h2 { "Pending relationship requests" }
            @if pending.is_empty() { p.empty { "No request waits for a customer's answer." } } @else {
                table {
                    thead { tr { th { "Sent" } th { "Asks for" } th { "Expires" } th { span.skip { "Actions" } } } }
                    tbody { @for r in &pending { tr {
                        td { (r.created_at) }
                        td { (asks_for(r)) }
                        td { (r.expires_at) }
                        td { a href=(format!("/customers/requests/{}", r.id)) { "Draft e-mail" } " · "
                             a href=(format!("/customers/requests/{}/revoke", r.id)) { "Withdraw" } }
                    } } }
                }
            }
        }
    };
    Ok(page("Customers", &user, &csrf, body))
}

fn asks_for(r: &RelationshipRequest) -> String {
    let mut parts = vec!["reseller relationship".to_owned()];
    if r.indirect_provider_id.is_some() {
        parts.push("indirect provider (three-way)".into());
    }
    if let Some(d) = &r.delegated_admin_duration {
        parts.push(format!(
            "delegated admin for {}",
            d.trim_start_matches('P')
                .to_lowercase()
                .replace('d', " days")
        ));
    }
    parts.join(", ")
}

#[derive(Deserialize, Default)]
pub struct RequestQuery {
    #[serde(rename = "indirectProviderId")]
    indirect_provider_id: Option<String>,
    #[serde(rename = "customerId")]
    customer_id: Option<String>,
}

fn request_form(
    user: &PageUser,
    csrf: &str,
    form: &RequestForm,
    m: &Values,
    errors: &FormErrors,
) -> Markup {
    let p = &user.principal;
    let providers = &form.providers;
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    let chosen = get("indirect_provider_id");
    let customer = get("customer_id");
    let may_da = p.may(Action::RequestDelegatedAdmin);
    html! {
        p { "We prepare a personal link and a draft e-mail for your customer. The customer's global admin opens the link, creates the organisation's account if it has none, and accepts." }
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action="/customers/request" novalidate {
            (csrf_field(csrf))
            @if !customer.is_empty() {
                input type="hidden" name="customer_id" value=(customer);
                p.hint { "For your existing customer: add an indirect provider or renew delegated admin." }
            }
            label for="indirect_provider_id" { "Indirect provider (three-way)" }
            select #indirect_provider_id name="indirect_provider_id" {
                option value="" { "None — only you as reseller" }
                @for r in providers {
                    option value=(r.partner.organization_id) selected[chosen == r.partner.organization_id.as_str()] { (r.partner.name) }
                }
            }
            @if let Some(e) = errors.for_field("/indirectProviderId") { p.field-error { (e) } }
            p.hint { "With a provider, the customer accepts you and your provider at once; the provider can then order for the customer." }
            @if may_da {
                div { label { input type="checkbox" name="include_delegated_admin" value="yes" checked[get("include_delegated_admin") == "yes" || !customer.is_empty()]; " Ask for delegated admin privileges (manage the customer's users, licenses and subscriptions)" } }
                (field("delegated_admin_days", "Delegated admin duration in days", "number", &m.get("delegated_admin_days").cloned().unwrap_or_else(|| "730".into()), "off", Some("1 to 730 days."), errors.for_field("/delegatedAdminDuration")))
            }
            (field("recipient_email", "Send it to (optional)", "email", &get("recipient_email"), "off", Some("Leave empty to send the e-mail yourself from the next page."), errors.for_field("/recipientEmail")))
            label for="message" { "Personal message (optional)" }
            textarea #message name="message" rows="3" { (get("message")) }
            @if let Some(e) = errors.for_field("/message") { p.field-error { (e) } }
            button type="submit" { "Prepare the e-mail" }
            " " a.button.secondary href="/customers" { "Cancel" }
        }
    }
}

pub async fn request_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<RequestQuery>,
) -> Result<Markup, PageError> {
    let mut m = Values::new();
    if let Some(p) = blank(&q.indirect_provider_id) {
        m.insert("indirect_provider_id".into(), p);
    }
    if let Some(c) = blank(&q.customer_id) {
        m.insert("customer_id".into(), c);
        m.insert("include_delegated_admin".into(), "yes".into());
    }
    let form = s.app.customer_request_form(&user.principal).await?;
    let body = request_form(&user, &csrf, &form, &m, &FormErrors::default());
    Ok(page("Request a reseller relationship", &user, &csrf, body))
}

pub async fn request_submit(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let opt = |k: &str| m.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let include = m.get("include_delegated_admin").is_some_and(|v| v == "yes");
    let input = RequestInput {
        indirect_provider_id: opt("indirect_provider_id").map(OrgId::from_raw),
        include_delegated_admin: Some(include),
        delegated_admin_duration: include
            .then(|| opt("delegated_admin_days").map(|d| format!("P{}D", d.trim())))
            .flatten(),
        customer_id: opt("customer_id").map(OrgId::from_raw),
        recipient_email: opt("recipient_email"),
        message: opt("message"),
    };
    match s
        .app
        .prepare_customer_request(&user.principal, &ctx, input)
        .await?
    {
        RequestPrepared::Prepared(r) => {
            Ok(Redirect::to(&format!("/customers/requests/{}", r.id)).into_response())
        }
        RequestPrepared::Refused { error, form } => {
            let b = request_form(&user, &csrf.0, &form, &m, &FormErrors::from_app(&error));
            Ok((
                crate::problem::status_of(&error),
                page("Request a reseller relationship", &user, &csrf.0, b),
            )
                .into_response())
        }
    }
}

/// The draft e-mail: editable text, the link locked in, copy, open in the mail client.
pub async fn draft_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<RelationshipRequestId>,
) -> Result<Markup, PageError> {
    let r = s.app.get_customer_request(&user.principal, &id).await?;
    let mailto = format!(
        "mailto:?subject={}&body={}",
        enc(&r.email_subject).replace('+', "%20"),
        enc(&r.email_body).replace('+', "%20")
    );
    let body = html! {
        @if r.status != RelationshipRequestStatus::Pending {
            div.alert.error role="alert" { "This request is " (r.status) "; its link no longer works." }
        } @else {
            div.alert.success role="status" { "Your request is ready. Send it to the customer's global admin." }
        }
        p { "Asks for: " (asks_for(&r)) ". Expires " (r.expires_at) "." }
        div.card {
            label for="email-subject" { "Subject" }
            input #email-subject type="text" value=(r.email_subject);
            label for="email-body" { "Message" }
            textarea #email-body rows="14" data-keeps-link=(r.url) aria-describedby="email-body-hint" { (r.email_body) }
            p.hint #email-body-hint { "Edit the text as you like, but keep the link: it is personal to this customer and works once." }
            p.field-error #email-body-warning role="alert" hidden { "The link is no longer in the message. It goes back at the end when you copy the text or open it in your mail client." }
            label for="request-link" { "The customer's link" }
            input #request-link type="text" readonly value=(r.url);
            p {
                button type="button" data-copy="email-body" hidden { "Copy to clipboard" }
                " " a.button.secondary #open-mail href=(mailto) data-mailto-subject="email-subject" data-mailto-body="email-body" { "Open in mail client" }
                " " a.button.secondary href="/customers" { "Done" }
            }
            p.muted id="email-body-status" role="status" {}
        }
    };
    Ok(page("Send the request", &user, &csrf, body))
}

pub async fn revoke_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<RelationshipRequestId>,
) -> Result<Markup, PageError> {
    let r = s.app.get_customer_request(&user.principal, &id).await?;
    Ok(Confirm::new(
        "Withdraw request",
        html! { "Withdraw this request (" (asks_for(&r)) ")? Its link stops working at once." },
        format!("/customers/requests/{}/revoke", r.id),
        "Withdraw request",
    )
    .cancel("/customers")
    .page(&user, &csrf))
}

pub async fn revoke(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<RelationshipRequestId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app
        .revoke_customer_request(&user.principal, &ctx, &id)
        .await?;
    Ok(Redirect::to("/customers?done=revoked").into_response())
}

#[derive(Deserialize, Default)]
pub struct RecordQuery {
    q: Option<String>,
    done: Option<String>,
}

/// `/customers/{id}`: the customer record.
pub async fn record_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<OrgId>,
    Query(q): Query<RecordQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let record = s.app.customer_record(p, &id, blank(&q.q)).await?;
    let (c, subscriptions, skus, users) = (
        &record.customer,
        &record.subscriptions,
        &record.licenses,
        &record.users,
    );
    let notice = match q.done.as_deref() {
        Some("user") => Some("The user was added."),
        _ => None,
    };
    let da_active = c
        .delegated_admin
        .as_ref()
        .is_some_and(|d| d.status == DelegatedAdminStatus::Active);
    let body = html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        details open {
            summary { h2 { "Account" } }
            dl {
                dt { "Default domain" } dd { (c.default_domain) }
                dt { "Country/region" } dd { (c.country) }
                dt { "Partners" } dd { (partner_names(c)) }
                dt { "Your delegated admin" } dd { (delegation_text(c)) }
                @if let Some(i) = &c.imported_from { dt { "Imported from" } dd { (i.source) " " (i.external_id) } }
            }
            @if p.may(Action::RequestDelegatedAdmin) {
                p { a href=(format!("/customers/request?customerId={}", c.id)) { @if da_active { "Renew delegated admin" } @else { "Request delegated admin" } } }
            }
            @if p.may(Action::EndCustomerRelationship) {
                p { a.button.danger href=(format!("/customers/{}/terminate", c.id)) { "End relationship" } }
            }
        }
        details open {
            summary { h2 { "Subscriptions" } }
            @if p.may(Action::PlaceOrders) {
                p { a.button href=(format!("/customers/{}/add-products", c.id)) { "Add products" } }
            }
            @if subscriptions.items.is_empty() { p.empty { "No subscriptions yet. They appear here once products are ordered for this customer." } } @else {
                table {
                    thead { tr { th { "Offer" } th { "Name" } th { "Quantity" } th { "Status" } th { "Term ends" } } }
                    tbody { @for sub in &subscriptions.items { tr {
                        td { a href=(format!("/customers/{}/subscriptions/{}", c.id, sub.id)) { (sub.offer_name) } } td { (sub.friendly_name.clone().unwrap_or_default()) } td { (sub.quantity) }
                        td { (sub.status) } td { (sub.commitment_end_date.day()) }
                    } } }
                }
            }
        }
        details open {
            summary { h2 { "Licenses" } }
            @if skus.is_empty() { p.empty { "No licenses yet: they come with subscriptions." } } @else {
                table {
                    thead { tr { th { "Offer" } th { "Assigned" } th { "Available" } th { "Suspended" } } }
                    tbody { @for k in skus { tr {
                        td { (k.offer_name) } td { (k.assigned_units) " of " (k.total_units) } td { (k.available_units) } td { (k.suspended_units) }
                    } } }
                }
            }
        }
        details open {
            summary { h2 { "Users" } }
            @match users {
                CustomerUsers::NotInRole => p.empty { "Your role does not administer customers' users." },
                CustomerUsers::NeedsDelegatedAdmin => p.empty {
                    "Managing this customer's users needs active delegated admin privileges. "
                    @if p.may(Action::RequestDelegatedAdmin) { a href=(format!("/customers/request?customerId={}", c.id)) { "Ask the customer for them." } }
                },
                CustomerUsers::Listed(list) => {
                    form.filters method="get" action=(format!("/customers/{}", c.id)) role="search" {
                        label for="q" { "Search users" }
                        input #q name="q" type="search" value=(q.q.clone().unwrap_or_default());
                        button type="submit" { "Search" }
                    }
                    @if list.items.is_empty() { p.empty { "No user matches." } } @else {
                        table {
                            thead { tr { th { "Name" } th { "E-mail" } th { "Roles" } th { span.skip { "Actions" } } } }
                            tbody { @for u in &list.items { tr {
                                td { (u.display_name()) } td { (u.email) } td { (u.roles.join(", ")) }
                                td { a href=(format!("/customers/{}/users/{}/licenses", c.id, u.id)) { "Licenses" } " · " a href=(format!("/customers/{}/users/{}/resetpassword", c.id, u.id)) { "Reset password" } }
                            } } }
                        }
                    }
                    @if p.may(Action::AdministerCustomers) {
                        p { a.button href=(format!("/customers/{}/users/new", c.id)) { "Add user" } }
                    }
                }
            }
        }
    };
    Ok(page(&c.company_name, &user, &csrf, body))
}

fn user_form(cid: &str, csrf: &str, m: &Values, errors: &FormErrors) -> Markup {
    let get = |k: &str| m.get(k).cloned().unwrap_or_default();
    html! {
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action=(format!("/customers/{cid}/users/new")) novalidate {
            (csrf_field(csrf))
            (field("first_name", "First name", "text", &get("first_name"), "off", None, errors.for_field("/firstName")))
            (field("last_name", "Last name", "text", &get("last_name"), "off", None, errors.for_field("/lastName")))
            (field("email", "E-mail", "email", &get("email"), "off", None, errors.for_field("/email")))
            fieldset {
                legend { "Admin roles in the customer's organisation" }
                @for (value, label) in [("globalAdmin", "Global admin"), ("userManagementAdmin", "User management admin"), ("billingAdmin", "Billing admin")] {
                    div { label { input type="checkbox" name="roles" value=(value) checked[get("roles").split(',').any(|r| r == value)]; " " (label) } }
                }
                @if let Some(e) = errors.for_field("/roles") { p.field-error { (e) } }
            }
            button type="submit" { "Add user" }
            " " a.button.secondary href=(format!("/customers/{cid}")) { "Cancel" }
        }
    }
}

pub async fn new_user_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<OrgId>,
) -> Result<Markup, PageError> {
    let c = s.app.get_customer(&user.principal, &id).await?;
    user.principal.require(Action::AdministerCustomers)?;
    Ok(page(
        &format!("Add a user to {}", c.company_name),
        &user,
        &csrf,
        user_form(&id, &csrf, &Values::new(), &FormErrors::default()),
    ))
}

pub async fn create_user(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OrgId>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let one = |k: &str| pairs.one(k);
    let roles: Vec<String> = pairs.all("roles").map(str::to_owned).collect();
    let input = NewUserInput {
        email: one("email"),
        first_name: one("first_name"),
        last_name: one("last_name"),
        roles: roles.clone(),
    };
    match s
        .app
        .create_customer_user(&user.principal, &ctx, &id, Ok(input))
        .await
    {
        Ok(done) => {
            let body = html! {
                div.alert.success role="status" { (done.user.display_name()) " was added." }
                div.card {
                    p { "Temporary password for " strong { (done.user.email) } " — shown only this once; they choose their own at first sign-in:" }
                    p { code #temporary-password { (done.temporary_password) } }
                    button type="button" data-copy="temporary-password" hidden { "Copy" }
                    p.muted id="temporary-password-status" role="status" {}
                }
                p { a.button href=(format!("/customers/{id}?done=user")) { "Back to the customer" } }
            };
            Ok(page("User added", &user, &csrf.0, body).into_response())
        }
        Err(e) if matches!(e, AppError::Conflict { .. } | AppError::Validation(_)) => {
            let mut m = Values::new();
            for k in ["first_name", "last_name", "email"] {
                m.insert(k.into(), one(k));
            }
            m.insert("roles".into(), roles.join(","));
            let mut errors = FormErrors::from_app(&e);
            if e.conflict_kind() == Some(Conflict::EmailInUse) {
                errors.fields.push(partnerd_domain::FieldError::new(
                    "/email",
                    "email_in_use",
                    e.detail().into_owned(),
                ));
                errors.general = None;
            }
            Ok((
                crate::problem::status_of(&e),
                page(
                    "Add a user",
                    &user,
                    &csrf.0,
                    user_form(&id, &csrf.0, &m, &errors),
                ),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn reset_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path((cid, uid)): Path<(OrgId, UserId)>,
) -> Result<Markup, PageError> {
    let u = s.app.get_customer_user(&user.principal, &cid, &uid).await?;
    Ok(Confirm::new(
        "Reset password",
        html! { "Give " strong { (u.display_name()) } " a new temporary password? They are signed out everywhere and choose a new password at their next sign-in." },
        format!("/customers/{cid}/users/{uid}/resetpassword"),
        "Reset password",
    )
    .cancel(format!("/customers/{cid}"))
    .page(&user, &csrf))
}

pub async fn reset(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path((cid, uid)): Path<(OrgId, UserId)>,
    _: Confirmed,
) -> Result<Markup, PageError> {
    let done = s
        .app
        .reset_customer_user_password(&user.principal, &ctx, &cid, &uid)
        .await?;
    let body = html! {
        div.card {
            p { "New temporary password — shown only this once:" }
            p { code #temporary-password { (done.temporary_password) } }
            button type="button" data-copy="temporary-password" hidden { "Copy" }
            p.muted id="temporary-password-status" role="status" {}
        }
        p { a.button href=(format!("/customers/{cid}")) { "Back to the customer" } }
    };
    Ok(page("Password reset", &user, &csrf.0, body))
}

pub async fn terminate_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<OrgId>,
) -> Result<Markup, PageError> {
    let c = s.app.get_customer(&user.principal, &id).await?;
    user.principal.require(Action::EndCustomerRelationship)?;
    Ok(Confirm::new(
        "End customer relationship",
        html! { "End your relationship with " strong { (c.company_name) } "?" },
        format!("/customers/{}/terminate", c.id),
        "End relationship",
    )
    .consequences(html! { "Your delegated admin privileges end with it, and the customer disappears from your list. This is refused while you supply active subscriptions to the customer. The customer is told by mail." })
    .with_reason()
    .cancel(format!("/customers/{}", c.id))
    .page(&user, &csrf))
}

pub async fn terminate(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OrgId>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let reason = m.get("reason").filter(|r| !r.trim().is_empty()).cloned();
    s.app
        .terminate_customer_relationship(&user.principal, &ctx, &id, Ok(reason))
        .await?;
    Ok(Redirect::to("/customers?done=ended").into_response())
}
