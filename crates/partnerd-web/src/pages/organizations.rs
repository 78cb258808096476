//! The operator's console: organisations, creating a partner organisation, and
//! authorising one as indirect provider.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::organizations::{
    AuthorizationSaved, NewOrganizationInput, OrganizationFilters, OrganizationPage,
};
use partnerd_app::paging::PageParams;
use partnerd_app::providers::AuthorizationInput;
use partnerd_app::{AppError, Conflict};
use partnerd_domain::ids::OrgId;
use partnerd_domain::policy::Action;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, field, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Pairs, blank, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/operator/organizations", get(list_page))
        .route("/operator/organizations/new", get(new_page).post(create))
        .route("/operator/organizations/{id}", get(detail_page))
        .route(
            "/operator/organizations/{id}/authorization",
            post(authorize),
        )
        .route(
            "/operator/organizations/{id}/authorization/withdraw",
            get(withdraw_confirm).post(withdraw),
        )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    kind: Option<String>,
    name: Option<String>,
    continuation_token: Option<String>,
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let f = OrganizationFilters {
        kind: blank(&q.kind),
        name: blank(&q.name),
        ..OrganizationFilters::default()
    };
    let orgs = s
        .app
        .list_organizations(
            &user.principal,
            &f,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let next = orgs.continuation_token.as_ref().map(|t| {
        crate::pages::next_page_link(
            "/operator/organizations",
            &[("kind", &f.kind), ("name", &f.name)],
            t,
        )
    });
    let body = html! {
        @if user.principal.may(Action::ManageOrganizations) { p { a.button href="/operator/organizations/new" { "Create partner organisation" } } }
        form.filters method="get" action="/operator/organizations" role="search" {
            div { label for="name" { "Name begins with" } input #name name="name" type="text" value=(q.name.clone().unwrap_or_default()); }
            div { label for="kind" { "Kind" }
                select #kind name="kind" {
                    option value="" { "Any" }
                    @for k in ["operator", "partner", "customer", "none"] { option value=(k) selected[q.kind.as_deref() == Some(k)] { (k) } }
                }
            }
            div { button type="submit" { "Search" } }
        }
        @if orgs.items.is_empty() {
            p.empty { "No organisation matches." }
        } @else {
            table {
                thead { tr { th { "Name" } th { "Kind" } th { "Programmes" } th { "Country" } th { "Default domain" } th { "Created" } } }
                tbody {
                    @for o in &orgs.items {
                        tr {
                            td { a href=(format!("/operator/organizations/{}", o.id)) { (o.name) } }
                            td { (o.kind.as_str()) }
                            td { (o.programs.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")) }
                            td { (o.country) }
                            td { (o.default_domain) }
                            td { (o.created_at) }
                        }
                    }
                }
            }
            p.muted { (crate::pages::layout::count(orgs.total_count, "organisation", "organisations")) }
            @if let Some(link) = next { p { a href=(link) { "Next page" } } }
        }
    };
    Ok(page("Organizations", &user, &csrf, body))
}

#[derive(Deserialize, Default)]
pub struct NewOrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    domain_prefix: String,
    #[serde(default)]
    admin_email: String,
    #[serde(default)]
    admin_first_name: String,
    #[serde(default)]
    admin_last_name: String,
}

fn new_org_form(csrf: &str, f: &NewOrgForm, errors: &FormErrors) -> Markup {
    html! {
        p { "For onboarding a distributor directly. The organisation starts without a programme; authorise it as indirect provider on its page afterwards." }
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action="/operator/organizations/new" novalidate {
            (csrf_field(csrf))
            (field("name", "Name", "text", &f.name, "off", None, errors.for_field("/name")))
            (field("legal_name", "Legal name", "text", &f.legal_name, "off", None, errors.for_field("/legalName")))
            (field("country", "Country/region", "text", &f.country, "off", Some("Two letters, such as DE."), errors.for_field("/country")))
            (field("domain_prefix", "Domain prefix", "text", &f.domain_prefix, "off", Some("3–40 of a-z, 0-9 and '-'; the default domain is <prefix>.<platform domain>."), errors.for_field("/domainPrefix")))
            fieldset {
                legend { "First global admin" }
                (field("admin_first_name", "First name", "text", &f.admin_first_name, "off", None, errors.for_field("/admin/firstName")))
                (field("admin_last_name", "Last name", "text", &f.admin_last_name, "off", None, errors.for_field("/admin/lastName")))
                (field("admin_email", "E-mail", "email", &f.admin_email, "off", None, errors.for_field("/admin/email")))
            }
            button type="submit" { "Create organisation" }
            " "
            a.button.secondary href="/operator/organizations" { "Cancel" }
        }
    }
}

pub async fn new_page(user: PageUser, CsrfToken(csrf): CsrfToken) -> Result<Markup, PageError> {
    user.principal.require(Action::ManageOrganizations)?;
    Ok(page(
        "Create partner organisation",
        &user,
        &csrf,
        new_org_form(&csrf, &NewOrgForm::default(), &FormErrors::default()),
    ))
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(f): CsrfForm<NewOrgForm>,
) -> Result<Response, PageError> {
    let input = NewOrganizationInput {
        name: f.name.clone(),
        legal_name: f.legal_name.clone(),
        country: f.country.clone(),
        domain_prefix: f.domain_prefix.clone(),
        admin_email: f.admin_email.clone(),
        admin_first_name: f.admin_first_name.clone(),
        admin_last_name: f.admin_last_name.clone(),
    };
    match s
        .app
        .create_organization(&user.principal, &ctx, Ok(input))
        .await
    {
        Ok(done) => {
            let body = html! {
                div.alert.warning role="status" {
                    strong { "Copy the temporary password now. " }
                    "It is shown only this once and never mailed; the admin chooses their own at first sign-in."
                }
                div.card {
                    p { (done.organization.name) " was created with the default domain " code { (done.organization.default_domain) } "." }
                    p { "Sign-in name: " strong { (done.admin_user.email) } }
                    label for="temporary-password" { "Temporary password" }
                    input #temporary-password type="text" readonly value=(done.temporary_password) .secret;
                    button.secondary type="button" data-copy="temporary-password" hidden { "Copy password" }
                    p #temporary-password-status role="status" aria-live="polite" {}
                }
                a.button href=(format!("/operator/organizations/{}", done.organization.id)) { "Go to the organisation" }
            };
            Ok(page("Organisation created", &user, &csrf.0, body).into_response())
        }
        Err(e) if matches!(e, AppError::Conflict { .. } | AppError::Validation(_)) => {
            let mut errors = FormErrors::from_app(&e);
            match e.conflict_kind() {
                Some(Conflict::DomainUnavailable) => {
                    errors = FormErrors {
                        general: None,
                        fields: vec![partnerd_domain::FieldError::invalid(
                            "/domainPrefix",
                            e.detail().into_owned(),
                        )],
                    }
                }
                Some(Conflict::EmailInUse) => {
                    errors = FormErrors {
                        general: None,
                        fields: vec![partnerd_domain::FieldError::invalid(
                            "/admin/email",
                            e.detail().into_owned(),
                        )],
                    }
                }
                _ => {}
            }
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    "Create partner organisation",
                    &user,
                    &csrf.0,
                    new_org_form(&csrf.0, &f, &errors),
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

fn detail(
    user: &PageUser,
    csrf: &str,
    view: &OrganizationPage,
    errors: &FormErrors,
    notice: Option<&str>,
) -> Markup {
    let OrganizationPage {
        organization: org,
        authorization: auth,
        product_families: families,
    } = view;
    let manage = user.principal.may(Action::ManageOrganizations);
    let countries = auth
        .as_ref()
        .map(|a| a.countries.join(", "))
        .unwrap_or_default();
    let body = html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        div.card {
            table { tbody {
                tr { th scope="row" { "Kind" } td { (org.kind.as_str()) } }
                tr { th scope="row" { "Legal name" } td { (org.legal_name.clone().unwrap_or_default()) } }
                tr { th scope="row" { "Country/region" } td { (org.country) } }
                tr { th scope="row" { "Default domain" } td { (org.default_domain) } }
                tr { th scope="row" { "Programmes" } td { @if org.programs.is_empty() { "none" } @else { (org.programs.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")) } } }
                tr { th scope="row" { "Id" } td { code { (org.id) } } }
            } }
        }
        @if manage && org.kind == partnerd_domain::OrgKind::Partner {
            div.card {
                h2 { "Indirect provider authorisation" }
                @if let Some(a) = &auth {
                    p { "Authorised since " (a.authorized_at) " for " (a.countries.join(", ")) " and " (a.product_families.join(", ")) "." }
                } @else {
                    p { "Not an indirect provider. Authorising lets it invite resellers, order for their customers and appear in the provider directory." }
                }
                @if families.is_empty() {
                    p.empty { "The catalog has no product families yet. " a href="/catalog/new" { "Add an offer" } " first." }
                } @else {
                    form method="post" action=(format!("/operator/organizations/{}/authorization", org.id)) novalidate {
                        (csrf_field(csrf))
                        (field("countries", "Countries/regions", "text", &countries, "off", Some("Two-letter codes separated by commas, such as DE, AT, CH."), errors.for_field("/countries")))
                        fieldset {
                            legend { "Product families" }
                            @for f in families {
                                @let on = auth.as_ref().is_some_and(|a| a.product_families.contains(&f.id));
                                div { label { input type="checkbox" name="product_families" value=(f.id) checked[on]; " " (f.name) } }
                            }
                            @if let Some(e) = errors.for_field("/productFamilies") { p.field-error { (e) } }
                        }
                        button type="submit" { @if auth.is_some() { "Save authorisation" } @else { "Authorise as indirect provider" } }
                    }
                    @if auth.is_some() {
                        p { a href=(format!("/operator/organizations/{}/authorization/withdraw", org.id)) { "Withdraw the authorisation" } }
                    }
                }
            }
        }
        p { a href="/operator/organizations" { "Back to organisations" } }
    };
    page(&org.name, user, csrf, body)
}

pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<OrgId>,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let notice = match q.done.as_deref() {
        Some("authorized") => Some(
            "Saved. The organisation is an indirect provider for these countries and families.",
        ),
        Some("withdrawn") => {
            Some("The authorisation was withdrawn. Existing subscriptions continue.")
        }
        _ => None,
    };
    let view = s.app.organization_page(&user.principal, &id).await?;
    Ok(detail(&user, &csrf, &view, &FormErrors::default(), notice))
}

pub async fn authorize(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OrgId>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let mut countries = Vec::new();
    let mut families = Vec::new();
    for (k, v) in pairs.0 {
        match k.as_str() {
            "countries" => {
                countries = v
                    .split(',')
                    .map(|c| c.trim().to_uppercase())
                    .filter(|c| !c.is_empty())
                    .collect()
            }
            "product_families" => families.push(v),
            _ => {}
        }
    }
    let input = AuthorizationInput {
        countries,
        product_families: families,
    };
    match s
        .app
        .save_provider_authorization(&user.principal, &ctx, &id, input)
        .await?
    {
        AuthorizationSaved::Saved(_) => Ok(Redirect::to(&format!(
            "/operator/organizations/{id}?done=authorized"
        ))
        .into_response()),
        AuthorizationSaved::Refused { error, page: view } => Ok((
            crate::problem::status_of(&error),
            detail(&user, &csrf.0, &view, &FormErrors::from_app(&error), None),
        )
            .into_response()),
    }
}

pub async fn withdraw_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<OrgId>,
) -> Result<Markup, PageError> {
    let org = s.app.get_organization(&user.principal, &id).await?;
    user.principal.require(Action::ManageOrganizations)?;
    Ok(Confirm::new(
        "Withdraw authorisation",
        html! { "Withdraw " strong { (org.name) } "'s authorisation as indirect provider?" },
        format!("/operator/organizations/{}/authorization/withdraw", org.id),
        "Withdraw authorisation",
    )
    .consequences(html! { "It can no longer invite resellers or place orders, and it leaves the provider directory. Existing subscriptions continue unchanged." })
    .cancel(format!("/operator/organizations/{}", org.id))
    .page(&user, &csrf))
}

pub async fn withdraw(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<OrgId>,
    _: Confirmed,
) -> Result<Response, PageError> {
    s.app.withdraw_provider(&user.principal, &ctx, &id).await?;
    Ok(Redirect::to(&format!("/operator/organizations/{id}?done=withdrawn")).into_response())
}
