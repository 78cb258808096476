//! Organisations as the operator sees them (API.md §4.3): list, detail, and
//! creating a partner organisation with its first global admin.

mod authorization;

pub use authorization::{AuthorizationSaved, OrganizationPage};

use crate::tenancy::{NewPerson, NewTenant};
use partnerd_domain::ids::OrgId;
use partnerd_domain::names::{country, domain_prefix, name};
use partnerd_domain::password::generate_temporary;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program, Role};
use partnerd_domain::{EmailAddress, FieldError, Roles};
use partnerd_store::organizations::{self, OrganizationQuery};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::paging::{self, Page, PageParams};
use crate::views::{Organization, User};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// `POST /v1/organizations`.
#[derive(Debug, Clone)]
pub struct NewOrganizationInput {
    pub name: String,
    pub legal_name: String,
    pub country: String,
    pub domain_prefix: String,
    pub admin_email: String,
    pub admin_first_name: String,
    pub admin_last_name: String,
}

/// A new organisation, its admin and the admin's temporary password (shown once).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedOrganization {
    pub organization: Organization,
    pub admin_user: User,
    pub temporary_password: String,
}

/// Filters of `GET /v1/organizations`.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilters {
    pub kind: Option<String>,
    pub program: Option<String>,
    pub country: Option<String>,
    pub name: Option<String>,
}

impl App {
    /// `GET /v1/organizations`.
    pub async fn list_organizations(
        &self,
        p: &Principal,
        f: &OrganizationFilters,
        page: &PageParams,
    ) -> AppResult<Page<Organization>> {
        p.require(Action::ReadOrganizations)?;
        let mut errors = Vec::new();
        if let Some(k) = &f.kind
            && OrgKind::parse(k).is_none()
        {
            errors.push(FieldError::invalid(
                "/query/kind",
                "must be operator, none, partner or customer",
            ));
        }
        if let Some(pr) = &f.program
            && Program::parse(pr).is_none()
        {
            errors.push(FieldError::invalid(
                "/query/program",
                "must be indirectReseller or indirectProvider",
            ));
        }
        if let Some(c) = &f.country
            && let Err(e) = country("/query/country", c)
        {
            errors.push(e);
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let now = self.now();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = OrganizationQuery {
            kind: f.kind.clone(),
            program: f.program.clone(),
            country: f.country.clone(),
            name: f.name.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = organizations::list(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| Organization::from(&r),
        ))
    }

    /// `GET /v1/organizations/{id}`.
    pub async fn get_organization(&self, p: &Principal, id: &OrgId) -> AppResult<Organization> {
        if !p.may(Action::ReadOrganizations) && *id != p.organization.id {
            return Err(AppError::not_found());
        }
        let mut conn = self.db().conn().await?;
        let org = organizations::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ReadOrganizations)?;
        Ok(Organization::from(&org))
    }

    /// `POST /v1/organizations`: a `partner` organisation (no programme yet) for
    /// onboarding a distributor directly; its admin is Global admin and Admin agent.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn create_organization(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<NewOrganizationInput>,
    ) -> AppResult<CreatedOrganization> {
        p.require(Action::ManageOrganizations)?;
        let input = input?;
        let mut errors = Vec::new();
        let mut ok = |r: Result<String, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let org_name = ok(name("/name", &input.name));
        let legal = ok(name("/legalName", &input.legal_name));
        let ctry = ok(country("/country", &input.country));
        let prefix = ok(domain_prefix("/domainPrefix", &input.domain_prefix));
        let first = ok(name("/admin/firstName", &input.admin_first_name));
        let last = ok(name("/admin/lastName", &input.admin_last_name));
        let email = EmailAddress::parse("/admin/email", &input.admin_email)
            .map_err(|e| errors.push(e))
            .ok();
        let (
            Some(org_name),
            Some(legal),
            Some(ctry),
            Some(prefix),
            Some(first),
            Some(last),
            Some(email),
        ) = (org_name, legal, ctry, prefix, first, last, email)
        else {
            return Err(AppError::validation(errors));
        };
        let temporary = generate_temporary();
        let hash = crate::crypto::temporary_password_hash(&temporary);
        let org = self.organization_row(NewTenant {
            kind: OrgKind::Partner,
            name: org_name,
            legal_name: Some(legal),
            country: ctry,
            domain_prefix: prefix,
        });
        let admin = self.user_row(
            &org.id,
            NewPerson {
                email,
                first_name: first,
                last_name: last,
                roles: Roles::new(vec![Role::GlobalAdmin, Role::AdminAgent]),
                password_hash: hash,
                must_change_password: true,
            },
        );
        let mut tx = self.db().begin().await?;
        self.insert_tenant(&mut tx, &org, &admin).await?;
        let created = CreatedOrganization {
            organization: Organization::from(&org),
            admin_user: User::from(&admin),
            temporary_password: temporary,
        };
        let entry = Entry::new(Actor::Principal(p), "organization", Some(org.id.clone()), "createOrganization")
            .participant(&org.id)
            .after(serde_json::json!({"organization": created.organization, "adminUser": created.admin_user}));
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(created)
    }
}
