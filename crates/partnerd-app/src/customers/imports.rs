//! Imported customers (API.md §8.6): customers a partner already serves elsewhere,
//! brought in by the operator without the consent flow, idempotent on
//! `source` + `externalId`. The API takes one at a time; the CLI reads a CSV.

use crate::error::{Conflict, Refusal};
use partnerd_domain::ids::{CustomerRelationshipId, DelegatedAdminId, OrgId};
use partnerd_domain::names::{country, domain_prefix, name, short_text};
use partnerd_domain::password::generate_temporary;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program, Role};
use partnerd_domain::states::{CustomerRelationshipStatus, DelegatedAdminStatus};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, EmailAddress, FieldError, Roles};
use partnerd_store::customers::{self, CustomerRelationshipRow, DelegationRow, ImportRow};
use partnerd_store::{connections, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::relationship_requests::MAX_DELEGATION_DAYS;
use super::{Customer, ROLE_PROVIDER, ROLE_RESELLER};
use crate::audit::{Actor, Entry};
use crate::crypto::temporary_password_hash;
use crate::paging::{self, Page, PageParams};
use crate::tenancy::{NewPerson, NewTenant};
use crate::views::User;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// The customer's first global admin.
#[derive(Debug, Clone, Default)]
pub struct ImportedAdmin {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// `POST /v1/customers/imports`, and one row of the CLI's CSV.
#[derive(Debug, Clone, Default)]
pub struct ImportInput {
    pub source: String,
    pub external_id: String,
    pub company_name: String,
    pub domain_prefix: String,
    pub country: String,
    pub reseller_organization_id: String,
    pub indirect_provider_id: Option<OrgId>,
    pub delegated_admin: Option<bool>,
    pub admin: Option<ImportedAdmin>,
}

/// A created customer with its admin and the admin's temporary password (shown once).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportedCustomer {
    pub customer: Customer,
    pub admin_user: User,
    pub temporary_password: String,
}

/// An entry of `GET /v1/customers/imports`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportRecord {
    #[schema(value_type = String)]
    pub customer_id: OrgId,
    pub source: String,
    pub external_id: String,
    pub imported_at: Timestamp,
    pub imported_by: String,
}

/// What happened to one row of a bulk import.
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    Created(Box<ImportedCustomer>),
    /// Imported before (same source and external id): nothing changed.
    Skipped {
        customer_id: OrgId,
    },
    /// Refused; nothing of the row was written.
    Refused(AppError),
}

fn has_program(o: &organizations::OrganizationRow, p: Program) -> bool {
    o.kind == OrgKind::Partner && o.programs.clone().contains(&p)
}

impl App {
    /// `POST /v1/customers/imports` (the operator's global admin).
    pub async fn import_customer(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<ImportInput>,
    ) -> AppResult<ImportedCustomer> {
        p.require(Action::ImportCustomers)?;
        self.import_one(Actor::Principal(p), ctx, input?).await
    }

    /// One row of a bulk import (the CLI): an earlier import of the same source and
    /// external id is skipped, a refused row changes nothing.
    pub async fn import_row(&self, input: ImportInput) -> ImportOutcome {
        let existing = async {
            let mut conn = self.db().conn().await?;
            Ok::<_, AppError>(
                customers::import_by_source(
                    &mut conn,
                    input.source.trim(),
                    input.external_id.trim(),
                )
                .await?,
            )
        }
        .await;
        match existing {
            Ok(Some(i)) => ImportOutcome::Skipped {
                customer_id: i.customer_id,
            },
            Ok(None) => match self
                .import_one(Actor::System("cli"), &Ctx::default(), input)
                .await
            {
                Ok(c) => ImportOutcome::Created(Box::new(c)),
                Err(e) => ImportOutcome::Refused(e),
            },
            Err(e) => ImportOutcome::Refused(e),
        }
    }

    async fn import_one(
        &self,
        actor: Actor<'_>,
        ctx: &Ctx,
        input: ImportInput,
    ) -> AppResult<ImportedCustomer> {
        let mut c = Collect::default();
        let source = c.take(short_text("/source", &input.source, 40));
        let external_id = c.take(short_text("/externalId", &input.external_id, 128));
        let company = c.take(name("/companyName", &input.company_name));
        let prefix = c.take(domain_prefix("/domainPrefix", &input.domain_prefix));
        let country = c.take(country("/country", &input.country));
        let reseller_id = c
            .take(short_text(
                "/resellerOrganizationId",
                &input.reseller_organization_id,
                200,
            ))
            .map(OrgId::from_raw);
        let admin = match &input.admin {
            Some(a) => {
                let email = c.take(EmailAddress::parse("/admin/email", &a.email));
                let first = c.take(name("/admin/firstName", &a.first_name));
                let last = c.take(name("/admin/lastName", &a.last_name));
                email.zip(first).zip(last).map(|((e, f), l)| (e, f, l))
            }
            None => {
                c.0.push(FieldError::invalid(
                    "/admin",
                    "the customer's first global admin (email, firstName, lastName) is required",
                ));
                None
            }
        };
        let (
            Some(source),
            Some(external_id),
            Some(company),
            Some(prefix),
            Some(country),
            Some(reseller_id),
            Some((email, first, last)),
            true,
        ) = (
            source,
            external_id,
            company,
            prefix,
            country,
            reseller_id,
            admin,
            c.is_empty(),
        )
        else {
            return Err(AppError::validation(c.0));
        };
        let mut tx = self.db().begin().await?;
        if let Some(existing) = customers::import_by_source(&mut tx, &source, &external_id).await? {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                format!(
                    "{source} {external_id} was imported already as customer {}",
                    existing.customer_id
                ),
            ));
        }
        let reseller = organizations::get(&mut tx, &reseller_id)
            .await?
            .filter(|o| has_program(o, Program::IndirectReseller))
            .ok_or_else(|| {
                AppError::field(FieldError::invalid(
                    "/resellerOrganizationId",
                    "is not an approved indirect reseller",
                ))
            })?;
        if let Some(provider) = &input.indirect_provider_id
            && connections::active_between(&mut tx, provider, &reseller.id)
                .await?
                .is_none()
        {
            return Err(AppError::forbidden(
                Refusal::RelationshipRequired,
                format!(
                    "{} has no active relationship with the indirect provider {provider}",
                    reseller.name
                ),
            ));
        }
        let temporary = generate_temporary();
        let org = self.organization_row(NewTenant {
            kind: OrgKind::Customer,
            name: company,
            legal_name: None,
            country,
            domain_prefix: prefix,
        });
        let user = self.user_row(
            &org.id,
            NewPerson {
                email,
                first_name: first,
                last_name: last,
                roles: Roles::new(vec![Role::GlobalAdmin]),
                password_hash: temporary_password_hash(&temporary),
                must_change_password: true,
            },
        );
        self.insert_tenant(&mut tx, &org, &user).await?;
        let now = self.now();
        let mut partners = vec![(reseller.id.clone(), ROLE_RESELLER, None)];
        if let Some(provider) = &input.indirect_provider_id {
            partners.push((provider.clone(), ROLE_PROVIDER, Some(reseller.id.clone())));
        }
        for (partner, role, linked) in partners {
            customers::insert_relationship(
                &mut tx,
                &CustomerRelationshipRow {
                    id: CustomerRelationshipId::generate(),
                    customer_id: org.id.clone(),
                    partner_organization_id: partner,
                    role: role.into(),
                    linked_reseller_id: linked,
                    request_id: None,
                    state: CustomerRelationshipStatus::Active,
                    created_at: now,
                    terminated_at: None,
                    terminated_by_organization_id: None,
                    terminated_by_user_id: None,
                    version: 1,
                },
            )
            .await?;
        }
        if input.delegated_admin.unwrap_or(false) {
            customers::insert_delegation(
                &mut tx,
                &DelegationRow {
                    id: DelegatedAdminId::generate(),
                    partner_organization_id: reseller.id.clone(),
                    customer_id: org.id.clone(),
                    status: DelegatedAdminStatus::Active,
                    duration_days: MAX_DELEGATION_DAYS,
                    activated_at: now,
                    expires_at: now.plus_millis(MAX_DELEGATION_DAYS * Timestamp::DAY),
                    terminated_at: None,
                    terminated_by_organization_id: None,
                    terminated_by_user_id: None,
                    warned_at: None,
                    version: 1,
                },
            )
            .await?;
        }
        let imported_by = match &actor {
            Actor::Principal(p) => p.key(),
            Actor::System(what) => (*what).to_owned(),
            Actor::Anonymous { email, .. } => email.clone(),
        };
        match customers::insert_import(
            &mut tx,
            &ImportRow {
                customer_id: org.id.clone(),
                source: source.clone(),
                external_id: external_id.clone(),
                imported_at: now,
                imported_by,
            },
        )
        .await
        {
            Err(e) if e.is_unique("customer_imports_source_external_id_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    format!(
                        "{source} {external_id} was imported at the same moment by another request"
                    ),
                ));
            }
            other => other?,
        }
        let customer = self.customer_view(&mut tx, &org.id, true, &org).await?;
        let mut entry = Entry::new(actor, "customer", Some(org.id.clone()), "importCustomer")
            .participant(&org.id)
            .participant(&reseller.id)
            .after(&customer);
        if let Some(provider) = &input.indirect_provider_id {
            entry = entry.participant(provider);
        }
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                crate::events::Event {
                    event_type: "customer.created",
                    resource_type: "customer",
                    resource_id: &org.id,
                    resource_url: crate::urls::customer(&org.id),
                    participants: std::iter::once(org.id.as_str())
                        .chain(std::iter::once(reseller.id.as_str()))
                        .chain(input.indirect_provider_id.as_deref())
                        .collect(),
                }
                .with(&customer),
            ],
        )
        .await?;
        Ok(ImportedCustomer {
            customer,
            admin_user: User::from(&user),
            temporary_password: temporary,
        })
    }

    /// `GET /v1/customers/imports`.
    pub async fn list_imports(
        &self,
        p: &Principal,
        source: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<ImportRecord>> {
        p.require(Action::ImportCustomers)?;
        let now = self.now();
        let start = paging::start(page, &format!("imports{source:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let rows = customers::list_imports(&mut conn, source.as_deref(), &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.imported_at, r.customer_id.clone()),
            |r| ImportRecord {
                customer_id: r.customer_id,
                source: r.source,
                external_id: r.external_id,
                imported_at: r.imported_at,
                imported_by: r.imported_by,
            },
        ))
    }
}
