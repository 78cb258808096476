//! Indirect providers: the operator's authorisation (API.md §4.2) and the provider
//! directory (§13).

use crate::error::{Conflict, Refusal};
use partnerd_domain::ids::OrgId;
use partnerd_domain::names::{country, long_text, website};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{EmailAddress, FieldError};
use partnerd_store::providers::{self, DirectoryQuery, ProviderRow};
use partnerd_store::{Conn, offers, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// An organisation's authorisation as an indirect provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderAuthorization {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub authorized: bool,
    pub countries: Vec<String>,
    pub product_families: Vec<String>,
    pub authorized_at: Timestamp,
    pub etag: String,
}

/// A provider's entry in the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderListing {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
    pub countries: Vec<String>,
    pub product_families: Vec<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub listed: bool,
    pub etag: String,
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

impl From<&ProviderRow> for ProviderAuthorization {
    fn from(p: &ProviderRow) -> Self {
        Self {
            organization_id: p.organization_id.clone(),
            authorized: true,
            countries: split(&p.countries),
            product_families: split(&p.product_families),
            authorized_at: p.authorized_at,
            etag: etag(&format!("auth:{}", p.organization_id), p.version),
        }
    }
}

impl From<ProviderRow> for ProviderListing {
    fn from(p: ProviderRow) -> Self {
        Self {
            etag: etag(&format!("listing:{}", p.organization_id), p.version),
            countries: split(&p.countries),
            product_families: split(&p.product_families),
            organization_id: p.organization_id,
            name: p.name,
            description: p.description,
            website: p.website,
            contact_email: p.contact_email,
            listed: p.listed,
        }
    }
}

/// `PUT …/indirectproviderauthorization`.
#[derive(Debug, Clone)]
pub struct AuthorizationInput {
    pub countries: Vec<String>,
    pub product_families: Vec<String>,
}

/// What saving the portal's listing form did.
#[derive(Debug, Clone)]
pub enum ListingEdit {
    Saved(ProviderListing),
    /// Nothing was saved (invalid, or changed meanwhile); `current` is the listing
    /// as it is now, to show the form again.
    Refused {
        error: AppError,
        current: ProviderListing,
    },
}

/// `PATCH /v1/directory/providers/{orgId}`.
#[derive(Debug, Clone, Default)]
pub struct ListingChanges {
    pub description: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub listed: Option<bool>,
}

/// Filters of the directory.
#[derive(Debug, Clone, Default)]
pub struct DirectoryFilters {
    pub country: Option<String>,
    pub name: Option<String>,
    pub product_family: Option<String>,
}

async fn set_programs(
    conn: &mut Conn,
    org: &organizations::OrganizationRow,
    programs: &[Program],
    now: Timestamp,
) -> AppResult<()> {
    organizations::set_programs(conn, &org.id, programs, now).await?;
    Ok(())
}

impl App {
    /// `PUT /v1/organizations/{orgId}/indirectproviderauthorization`.
    pub async fn authorize_provider(
        &self,
        p: &Principal,
        ctx: &Ctx,
        org_id: &OrgId,
        input: AppResult<AuthorizationInput>,
    ) -> AppResult<ProviderAuthorization> {
        if !p.may(Action::ReadOrganizations) {
            return Err(AppError::not_found());
        }
        let mut tx = self.db().begin().await?;
        let org = organizations::get(&mut tx, org_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageOrganizations)?;
        let input = input?;
        let mut errors = Vec::new();
        if input.countries.is_empty() {
            errors.push(FieldError::invalid(
                "/countries",
                "name at least one country",
            ));
        }
        let mut countries = Vec::new();
        for (i, c) in input.countries.iter().enumerate() {
            match country(&format!("/countries/{i}"), c) {
                Ok(c) if !countries.contains(&c) => countries.push(c),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if input.product_families.is_empty() {
            errors.push(FieldError::invalid(
                "/productFamilies",
                "name at least one product family",
            ));
        }
        let known: Vec<String> = offers::families(&mut tx)
            .await?
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        let mut families = Vec::new();
        for (i, f) in input.product_families.iter().enumerate() {
            if !known.contains(f) {
                errors.push(FieldError::invalid(
                    format!("/productFamilies/{i}"),
                    format!("'{f}' is not a product family of the catalog"),
                ));
            } else if !families.contains(f) {
                families.push(f.clone());
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        if org.kind != OrgKind::Partner {
            return Err(AppError::conflict(
                Conflict::WrongOrganizationKind,
                format!(
                    "only partner organisations can be indirect providers; this one is of kind {}",
                    org.kind.as_str()
                ),
            ));
        }
        countries.sort();
        families.sort();
        let now = self.now();
        let before = providers::get(&mut tx, org_id).await?;
        providers::authorize(
            &mut tx,
            org_id,
            &org.name,
            &countries.join(","),
            &families.join(","),
            now,
        )
        .await?;
        let mut programs = org.programs.clone();
        if !programs.contains(&Program::IndirectProvider) {
            programs.push(Program::IndirectProvider);
        }
        set_programs(&mut tx, &org, &programs, now).await?;
        let row = providers::get(&mut tx, org_id).await?.ok_or_else(|| {
            AppError::internal("providers::get found no row where one must exist")
        })?;
        let view = ProviderAuthorization::from(&row);
        let mut entry = Entry::new(
            Actor::Principal(p),
            "organization",
            Some(org.id.clone()),
            "authorizeIndirectProvider",
        )
        .participant(&org.id)
        .after(&view);
        if let Some(b) = before {
            entry = entry.before(ProviderAuthorization::from(&b));
        }
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view)
    }

    /// `GET …/indirectproviderauthorization`: the operator, or the organisation's GA.
    pub async fn get_provider_authorization(
        &self,
        p: &Principal,
        org_id: &OrgId,
    ) -> AppResult<ProviderAuthorization> {
        let own = p.organization.id == *org_id;
        if !own && !p.may(Action::ReadOrganizations) {
            return Err(AppError::not_found());
        }
        let mut conn = self.db().conn().await?;
        let row = providers::get(&mut conn, org_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if own {
            p.require(Action::ReadProviderAuthorization)?;
        } else {
            p.require(Action::ManageOrganizations)?;
        }
        Ok(ProviderAuthorization::from(&row))
    }

    /// `DELETE …/indirectproviderauthorization`: the programme ends; existing
    /// subscriptions continue.
    pub async fn withdraw_provider(
        &self,
        p: &Principal,
        ctx: &Ctx,
        org_id: &OrgId,
    ) -> AppResult<()> {
        if !p.may(Action::ReadOrganizations) {
            return Err(AppError::not_found());
        }
        let mut tx = self.db().begin().await?;
        let before = providers::get(&mut tx, org_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageOrganizations)?;
        let org = organizations::get(&mut tx, org_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        providers::withdraw(&mut tx, org_id).await?;
        let programs: Vec<Program> = org
            .programs
            .clone()
            .into_iter()
            .filter(|p| *p != Program::IndirectProvider)
            .collect();
        set_programs(&mut tx, &org, &programs, self.now()).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "organization",
            Some(org.id.clone()),
            "withdrawIndirectProvider",
        )
        .participant(&org.id)
        .before(ProviderAuthorization::from(&before));
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(())
    }

    /// `GET /v1/directory/providers`: authorised, listed providers by name.
    pub async fn directory(
        &self,
        p: &Principal,
        f: &DirectoryFilters,
        page: &PageParams,
    ) -> AppResult<Page<ProviderListing>> {
        p.require(Action::ReadProviderDirectory)?;
        if let Some(c) = &f.country {
            country("/query/country", c)?;
        }
        let now = self.now();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = DirectoryQuery {
            country: f.country.clone(),
            name: f.name.clone(),
            product_family: f.product_family.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = providers::directory(&mut conn, &q, &start.request).await?;
        Ok(start.finish_by_text(
            rows,
            now,
            |r| (r.name.to_lowercase(), r.organization_id.clone()),
            ProviderListing::from,
        ))
    }

    /// `GET /v1/directory/providers/{orgId}`: unlisted providers are visible only to
    /// themselves and the operator.
    pub async fn directory_listing(
        &self,
        p: &Principal,
        org_id: &OrgId,
    ) -> AppResult<ProviderListing> {
        p.require(Action::ReadProviderDirectory)?;
        let mut conn = self.db().conn().await?;
        let row = providers::get(&mut conn, org_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if !row.listed && p.organization.id != *org_id && !p.may(Action::ReadOrganizations) {
            return Err(AppError::not_found());
        }
        Ok(row.into())
    }

    /// The portal's form of the caller's own listing: saved, or refused with the
    /// listing as it is now.
    pub async fn save_own_listing(
        &self,
        p: &Principal,
        ctx: &Ctx,
        if_match: Option<&str>,
        changes: ListingChanges,
    ) -> AppResult<ListingEdit> {
        let org = &p.organization.id;
        match self
            .update_listing(p, ctx, org, if_match, Ok(changes))
            .await
        {
            Ok(l) => Ok(ListingEdit::Saved(l)),
            Err(error @ (AppError::PreconditionFailed | AppError::Validation(_))) => {
                let current = self.directory_listing(p, org).await?;
                Ok(ListingEdit::Refused { error, current })
            }
            Err(e) => Err(e),
        }
    }

    /// `PATCH /v1/directory/providers/{orgId}`: a provider's global admin edits its
    /// own listing; countries and families come from the authorisation.
    pub async fn update_listing(
        &self,
        p: &Principal,
        ctx: &Ctx,
        org_id: &OrgId,
        if_match: Option<&str>,
        input: AppResult<ListingChanges>,
    ) -> AppResult<ProviderListing> {
        let mut tx = self.db().begin().await?;
        let before = providers::get(&mut tx, org_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if !before.listed && p.organization.id != *org_id && !p.may(Action::ReadOrganizations) {
            return Err(AppError::not_found());
        }
        p.require(Action::EditDirectoryListing)?;
        if p.organization.id != *org_id {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "only the provider itself can edit its listing",
            ));
        }
        check_if_match(
            &etag(&format!("listing:{org_id}"), before.version),
            if_match,
            false,
        )?;
        let input = input?;
        let mut after = before.clone();
        let mut errors = Vec::new();
        if let Some(d) = &input.description {
            long_text("/description", d, 2000)
                .map(|v| after.description = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if let Some(w) = &input.website {
            if w.trim().is_empty() {
                after.website = None;
            } else {
                website("/website", w)
                    .map(|v| after.website = Some(v))
                    .map_err(|e| errors.push(e))
                    .ok();
            }
        }
        if let Some(c) = &input.contact_email {
            if c.trim().is_empty() {
                after.contact_email = None;
            } else {
                EmailAddress::parse("/contactEmail", c)
                    .map(|e| after.contact_email = Some(e.as_str().to_owned()))
                    .map_err(|e| errors.push(e))
                    .ok();
            }
        }
        if let Some(l) = input.listed {
            after.listed = l;
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        providers::update_listing(&mut tx, &after, self.now()).await?;
        after.version += 1;
        let view = ProviderListing::from(after);
        let entry = Entry::new(
            Actor::Principal(p),
            "organization",
            Some(org_id.to_owned()),
            "updateDirectoryListing",
        )
        .before(ProviderListing::from(before))
        .after(&view);
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view)
    }
}
