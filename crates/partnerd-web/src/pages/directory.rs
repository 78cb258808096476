//! The provider directory: search and profiles for everyone signed in; providers
//! keep their own listing.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::paging::PageParams;
use partnerd_app::providers::{DirectoryFilters, ListingChanges, ListingEdit, ProviderListing};
use partnerd_domain::ids::OrgId;
use partnerd_domain::policy::Action;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, field, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Pairs, blank, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/directory", get(list_page))
        .route("/directory/{id}", get(detail_page))
        .route(
            "/settings/directory-listing",
            get(listing_page).post(listing_update),
        )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryQuery {
    name: Option<String>,
    country: Option<String>,
    product_family: Option<String>,
    continuation_token: Option<String>,
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DirectoryQuery>,
) -> Result<Markup, PageError> {
    let f = DirectoryFilters {
        name: blank(&q.name),
        country: blank(&q.country).map(|c| c.trim().to_uppercase()),
        product_family: blank(&q.product_family),
    };
    let result = s
        .app
        .directory(
            &user.principal,
            &f,
            &PageParams {
                size: Some(25),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await;
    let (providers, error) = match result {
        Ok(p) => (Some(p), None),
        Err(e) if matches!(e, AppError::Validation(_)) => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let errors = error.as_ref().map(FormErrors::from_app).unwrap_or_default();
    let next = providers
        .as_ref()
        .and_then(|p| p.continuation_token.as_ref())
        .map(|t| {
            crate::pages::next_page_link(
                "/directory",
                &[
                    ("name", &f.name),
                    ("country", &f.country),
                    ("productFamily", &f.product_family),
                ],
                t,
            )
        });
    let body = html! {
        p { "Authorised indirect providers (distributors): they buy from the vendor and support the resellers they work with with billing, credit, training and support." }
        form.filters method="get" action="/directory" role="search" {
            div { label for="name" { "Name contains" } input #name name="name" type="text" value=(q.name.clone().unwrap_or_default()); }
            div { label for="country" { "Country/region" } input #country name="country" type="text" value=(q.country.clone().unwrap_or_default()) placeholder="DE";
                @if let Some(e) = errors.for_field("/query/country") { p.field-error { (e) } } }
            div { label for="productFamily" { "Product family" } input #productFamily name="productFamily" type="text" value=(q.product_family.clone().unwrap_or_default()); }
            div { button type="submit" { "Search" } }
        }
        @if let Some(p) = &providers {
            @if p.items.is_empty() {
                p.empty { "No authorised provider matches. Try another country or product family." }
            } @else {
                table {
                    thead { tr { th { "Provider" } th { "Countries/regions" } th { "Product families" } th { "Contact" } } }
                    tbody {
                        @for l in &p.items {
                            tr {
                                td { a href=(format!("/directory/{}", l.organization_id)) { (l.name) } }
                                td { (l.countries.join(", ")) }
                                td { (l.product_families.join(", ")) }
                                td { (l.contact_email.clone().unwrap_or_default()) }
                            }
                        }
                    }
                }
                p.muted { (crate::pages::layout::count(p.total_count, "provider", "providers")) }
                @if let Some(link) = next { p { a href=(link) { "More providers" } } }
            }
        }
    };
    Ok(page("Provider directory", &user, &csrf, body))
}

fn profile(l: &ProviderListing) -> Markup {
    html! {
        div.card {
            @if let Some(d) = &l.description { p { (d) } } @else { p.muted { "This provider has not written a description yet." } }
            table { tbody {
                tr { th scope="row" { "Countries/regions" } td { (l.countries.join(", ")) } }
                tr { th scope="row" { "Product families" } td { (l.product_families.join(", ")) } }
                tr { th scope="row" { "Website" } td { @if let Some(w) = &l.website { a href=(w) rel="noopener" { (w) } } } }
                tr { th scope="row" { "Contact" } td { @if let Some(c) = &l.contact_email { a href=(format!("mailto:{c}")) { (c) } } } }
            } }
        }
    }
}

pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<OrgId>,
) -> Result<Markup, PageError> {
    let l = s.app.directory_listing(&user.principal, &id).await?;
    let body = html! {
        @if !l.listed { div.alert.warning { "This listing is hidden from the directory." } }
        (profile(&l))
        p { a href="/directory" { "Back to the directory" } }
    };
    Ok(page(&l.name, &user, &csrf, body))
}

fn listing_form(csrf: &str, l: &ProviderListing, errors: &FormErrors) -> Markup {
    html! {
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        p { "Resellers find you in the provider directory. Countries and product families come from your authorisation; the vendor changes them." }
        form method="post" action="/settings/directory-listing" novalidate {
            (csrf_field(csrf))
            input type="hidden" name="etag" value=(l.etag);
            label for="description" { "Description" }
            textarea #description name="description" rows="5" aria-describedby="description-hint" { (l.description.clone().unwrap_or_default()) }
            p.hint #description-hint { "Up to 2000 characters: what you offer resellers." }
            @if let Some(e) = errors.for_field("/description") { p.field-error { (e) } }
            (field("website", "Website", "text", &l.website.clone().unwrap_or_default(), "url", None, errors.for_field("/website")))
            (field("contact_email", "Contact e-mail", "email", &l.contact_email.clone().unwrap_or_default(), "email", None, errors.for_field("/contactEmail")))
            div { label { input type="checkbox" name="listed" checked[l.listed]; " Show us in the provider directory" } }
            button type="submit" { "Save listing" }
        }
        h2 { "Preview" }
        (profile(l))
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn listing_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    user.principal.require(Action::EditDirectoryListing)?;
    let l = s
        .app
        .directory_listing(&user.principal, &user.principal.organization.id)
        .await?;
    let body = html! {
        @if q.done.is_some() { div.alert.success role="status" { "Your listing was saved." } }
        (listing_form(&csrf, &l, &FormErrors::default()))
    };
    Ok(page("Directory listing", &user, &csrf, body))
}

pub async fn listing_update(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let mut etag = String::new();
    let mut changes = ListingChanges {
        listed: Some(false),
        ..ListingChanges::default()
    };
    for (k, v) in pairs.0 {
        match k.as_str() {
            "etag" => etag = v,
            "description" => changes.description = Some(v),
            "website" => changes.website = Some(v),
            "contact_email" => changes.contact_email = Some(v),
            "listed" => changes.listed = Some(true),
            _ => {}
        }
    }
    match s
        .app
        .save_own_listing(
            &user.principal,
            &ctx,
            Some(etag.as_str()).filter(|e| !e.is_empty()),
            changes,
        )
        .await?
    {
        ListingEdit::Saved(_) => {
            Ok(Redirect::to("/settings/directory-listing?done=1").into_response())
        }
        ListingEdit::Refused {
            error: e,
            current: l,
        } => {
            let mut errors = FormErrors::from_app(&e);
            if matches!(e, AppError::PreconditionFailed) {
                errors.general = Some(
                    "Someone changed the listing while you were editing; this is their version."
                        .into(),
                );
            }
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    "Directory listing",
                    &user,
                    &csrf.0,
                    listing_form(&csrf.0, &l, &errors),
                ),
            )
                .into_response())
        }
    }
}
