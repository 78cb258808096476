//! Customers (API.md §8–§9.1): the partner's customer list and record, the
//! customer's view of its partners, relationship requests (`relationship_requests`),
//! delegated admin (`delegated_admin`) and imported customers (`imports`).
//!
//! Visibility: a partner sees a customer while it has an active relationship with
//! it; the operator sees every customer; anyone else gets 404.

mod delegated_admin;
mod imports;
mod list;
mod partners;
mod record;
mod relationship_requests;
mod request_form;
mod request_page;

pub use delegated_admin::{DelegatedAdminRelationship, DelegationFilters};
pub use imports::{ImportInput, ImportOutcome, ImportRecord, ImportedAdmin, ImportedCustomer};
pub use list::CustomerList;
pub use partners::PartnerList;
pub use record::{CustomerRecord, CustomerUsers};
pub(crate) use relationship_requests::request_event;
pub use relationship_requests::{
    AcceptConsent, AcceptedRequest, RelationshipRequest, RequestInput, ResolvedRequest,
};
pub use request_form::{RequestForm, RequestPrepared};
pub use request_page::{RequestAnswer, RequestAnswered, RequestLanding, RequestSignUp};

use crate::error::Conflict;
use partnerd_domain::FieldError;
use partnerd_domain::ids::{CustomerRelationshipId, OrgId, ResellerRelationshipId};
use partnerd_domain::names::long_text;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::{CustomerRelationshipStatus, DelegatedAdminStatus};
use partnerd_domain::time::Timestamp;
use partnerd_store::customers::{self, CustomerQuery, CustomerRelationshipRow};
use partnerd_store::organizations::{self, OrganizationRow};
use partnerd_store::{Conn, connections};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::connections::Notice;
use crate::crypto::etag;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

pub const ROLE_RESELLER: &str = "indirectReseller";
pub const ROLE_PROVIDER: &str = "indirectProvider";

/// A partner named in a customer's relationships.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRef {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
}

/// One of a customer's partner relationships, as a partner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRelationship {
    pub partner: PartnerRef,
    /// `indirectReseller` or `indirectProvider`.
    pub role: String,
    /// For a provider brought in by a reseller's three-way request: that reseller.
    #[schema(value_type = Option<String>)]
    pub linked_reseller_id: Option<OrgId>,
    pub since: Timestamp,
}

/// The caller's delegated admin privileges for a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelegatedAdminSummary {
    /// `active`, `expired`, `terminated`.
    pub status: DelegatedAdminStatus,
    pub expires_at: Timestamp,
}

/// Where an imported customer came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportedFrom {
    pub source: String,
    pub external_id: String,
    pub imported_at: Timestamp,
}

/// A customer, as a partner (or the operator) sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// The customer organisation's id.
    #[schema(value_type = String)]
    pub id: OrgId,
    pub company_name: String,
    pub default_domain: String,
    pub country: String,
    pub relationships: Vec<CustomerRelationship>,
    pub delegated_admin: Option<DelegatedAdminSummary>,
    pub imported_from: Option<ImportedFrom>,
    pub created_at: Timestamp,
    pub etag: String,
}

/// A partner of the caller's (customer) organisation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerOfCustomer {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
    pub country: String,
}

/// A partner relationship as the customer sees it (`GET /v1/partnerrelationships`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRelationship {
    #[schema(value_type = String)]
    pub id: CustomerRelationshipId,
    pub partner: PartnerOfCustomer,
    /// `indirectReseller` or `indirectProvider`.
    pub role: String,
    pub since: Timestamp,
    pub delegated_admin: Option<DelegatedAdminSummary>,
    /// `active` or `terminated`.
    pub state: CustomerRelationshipStatus,
    pub terminated_at: Option<Timestamp>,
    pub etag: String,
}

/// Filters of `GET /v1/customers`.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilters {
    pub q: Option<String>,
    pub country: Option<String>,
    pub indirect_reseller_id: Option<OrgId>,
    pub indirect_provider_id: Option<OrgId>,
    pub delegated_admin: Option<bool>,
    pub imported: Option<bool>,
}

/// Whether the caller reads as the operator (every customer).
fn is_operator(p: &Principal) -> bool {
    p.organization.kind == OrgKind::Operator
}

impl App {
    /// The customer `id` as the caller may see it, with the caller's relationship
    /// (None for the operator), or 404.
    pub(crate) async fn visible_customer(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &OrgId,
    ) -> AppResult<(OrganizationRow, Option<CustomerRelationshipRow>)> {
        let rel = if is_operator(p) {
            None
        } else {
            Some(
                customers::active_relationship(conn, id, &p.organization.id)
                    .await?
                    .ok_or_else(AppError::not_found)?,
            )
        };
        let org = organizations::get(conn, id)
            .await?
            .filter(|o| o.kind == OrgKind::Customer)
            .ok_or_else(AppError::not_found)?;
        Ok((org, rel))
    }

    /// The delegation summary of `partner` for `customer`, by the server's clock.
    pub(crate) async fn delegation_summary(
        &self,
        conn: &mut Conn,
        partner: &OrgId,
        customer: &OrgId,
    ) -> AppResult<Option<DelegatedAdminSummary>> {
        Ok(customers::active_delegation(conn, partner, customer)
            .await?
            .map(|d| DelegatedAdminSummary {
                status: self.delegation_status(&d),
                expires_at: d.expires_at,
            }))
    }

    /// A customer as `viewer` sees it: the operator and the customer itself see all
    /// its relationships; a partner sees its own, and those linked with it (its
    /// three-way provider, or the reseller that brought it in).
    pub(crate) async fn customer_view(
        &self,
        conn: &mut Conn,
        viewer: &OrgId,
        viewer_is_operator: bool,
        org: &OrganizationRow,
    ) -> AppResult<Customer> {
        let all = customers::customer_relationships(conn, &org.id).await?;
        let mine = all.iter().find(|r| r.partner_organization_id == *viewer);
        let sees_all = viewer_is_operator || *viewer == org.id;
        let mut relationships = Vec::new();
        for r in &all {
            let visible = sees_all
                || r.partner_organization_id == *viewer
                || r.linked_reseller_id.as_deref() == Some(viewer)
                || mine.and_then(|m| m.linked_reseller_id.as_deref())
                    == Some(r.partner_organization_id.as_str());
            if !visible {
                continue;
            }
            let name = organizations::get(conn, &r.partner_organization_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            relationships.push(CustomerRelationship {
                partner: PartnerRef {
                    organization_id: r.partner_organization_id.clone(),
                    name,
                },
                role: r.role.clone(),
                linked_reseller_id: r.linked_reseller_id.clone(),
                since: r.created_at,
            });
        }
        let delegated_admin = if sees_all {
            None
        } else {
            self.delegation_summary(conn, viewer, &org.id).await?
        };
        let imported_from = customers::import_of(conn, &org.id)
            .await?
            .map(|i| ImportedFrom {
                source: i.source,
                external_id: i.external_id,
                imported_at: i.imported_at,
            });
        Ok(Customer {
            id: org.id.clone(),
            company_name: org.name.clone(),
            default_domain: org.default_domain.clone(),
            country: org.country.clone(),
            relationships,
            delegated_admin,
            imported_from,
            created_at: org.created_at,
            etag: etag(&org.id, org.version),
        })
    }

    async fn customer_page(
        &self,
        conn: &mut Conn,
        p: &Principal,
        q: CustomerQuery,
        filters: &str,
        page: &PageParams,
    ) -> AppResult<Page<Customer>> {
        let now = self.now();
        let start = paging::start(page, filters, now)?;
        let rows = customers::list_customers(conn, &q, &start.request).await?;
        let page = start.finish(
            rows,
            now,
            |r| match &r.relationship {
                Some(rel) => (rel.created_at, rel.id.to_string()),
                None => (r.organization.created_at, r.organization.id.to_string()),
            },
            |r| r,
        );
        let mut items = Vec::with_capacity(page.items.len());
        for r in &page.items {
            items.push(
                self.customer_view(conn, &p.organization.id, is_operator(p), &r.organization)
                    .await?,
            );
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    /// `GET /v1/customers`.
    pub async fn list_customers(
        &self,
        p: &Principal,
        f: &CustomerFilters,
        page: &PageParams,
    ) -> AppResult<Page<Customer>> {
        p.require(Action::ReadCustomers)?;
        let country = f
            .country
            .as_deref()
            .map(|c| partnerd_domain::names::country("/query/country", c))
            .transpose()?;
        let operator = is_operator(p);
        let q = CustomerQuery {
            partner_organization_id: (!operator).then(|| p.organization.id.clone()),
            q: f.q.clone(),
            country,
            indirect_reseller_id: f.indirect_reseller_id.clone(),
            indirect_provider_id: f.indirect_provider_id.clone(),
            delegated_admin: f.delegated_admin.map(|want| {
                (
                    (!operator).then(|| p.organization.id.clone()),
                    self.now(),
                    want,
                )
            }),
            imported: f.imported,
        };
        let mut conn = self.db().conn().await?;
        self.customer_page(&mut conn, p, q, &format!("customers{f:?}"), page)
            .await
    }

    /// `GET /v1/customers/{id}`.
    pub async fn get_customer(&self, p: &Principal, id: &OrgId) -> AppResult<Customer> {
        let mut conn = self.db().conn().await?;
        let (org, _) = self.visible_customer(&mut conn, p, id).await?;
        p.require(Action::ReadCustomers)?;
        self.customer_view(&mut conn, &p.organization.id, is_operator(p), &org)
            .await
    }

    /// `GET /v1/relationships/{id}/customers`: the customers both sides of a
    /// provider–reseller relationship serve.
    pub async fn relationship_customers(
        &self,
        p: &Principal,
        relationship_id: &ResellerRelationshipId,
        q: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<Customer>> {
        let mut conn = self.db().conn().await?;
        let r = connections::get_relationship(&mut conn, relationship_id)
            .await?
            .filter(|r| {
                r.provider_organization_id == p.organization.id
                    || r.reseller_organization_id == p.organization.id
            })
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ReadCustomers)?;
        let other = if r.provider_organization_id == p.organization.id {
            r.reseller_organization_id
        } else {
            r.provider_organization_id
        };
        let query = CustomerQuery {
            partner_organization_id: Some(p.organization.id.clone()),
            q: q.clone(),
            indirect_reseller_id: Some(other),
            ..Default::default()
        };
        self.customer_page(
            &mut conn,
            p,
            query,
            &format!("relationship-customers{relationship_id}{q:?}"),
            page,
        )
        .await
    }

    /// Whether the partner is reseller of record or supplier of active or
    /// suspended subscriptions of the customer, which blocks ending the relationship.
    async fn supplies_subscriptions(
        &self,
        conn: &mut Conn,
        partner: &OrgId,
        customer: &OrgId,
    ) -> AppResult<bool> {
        Ok(partnerd_store::commerce::supplies(conn, partner, customer).await?)
    }

    /// Ends one partner ↔ customer relationship and the partner's delegated admin.
    async fn end_customer_relationship(
        &self,
        conn: &mut Conn,
        p: &Principal,
        rel: &CustomerRelationshipRow,
        reason: Option<&str>,
    ) -> AppResult<()> {
        if self
            .supplies_subscriptions(conn, &rel.partner_organization_id, &rel.customer_id)
            .await?
        {
            return Err(AppError::conflict(
                Conflict::ActiveSubscriptions,
                "the partner still supplies active subscriptions to this customer; cancel them first",
            ));
        }
        let now = self.now();
        let by_user = p.user.as_ref().map(|u| u.id.as_str());
        if !customers::terminate_relationship(conn, rel, &p.organization.id, by_user, now).await? {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the relationship has ended already",
            ));
        }
        if let Some(d) =
            customers::active_delegation(conn, &rel.partner_organization_id, &rel.customer_id)
                .await?
        {
            customers::end_delegation(
                conn,
                &d,
                DelegatedAdminStatus::Terminated,
                Some(&p.organization.id),
                by_user,
                now,
            )
            .await?;
        }
        let partner = organizations::get(conn, &rel.partner_organization_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let customer = organizations::get(conn, &rel.customer_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let text = format!(
            "{} ended the relationship between {partner} and {customer}; delegated admin privileges ended with it.{} \
             Existing subscriptions continue unchanged.",
            p.organization.name,
            reason.map(|r| format!(" Reason: {r}.")).unwrap_or_default()
        );
        for org in [&rel.partner_organization_id, &rel.customer_id] {
            self.mail_organization(
                conn,
                org,
                None,
                Notice {
                    template: "relationship_terminated",
                    subject: "A customer relationship ended",
                    text: text.clone(),
                    link: format!("{}/", self.config().public_url),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// `POST /v1/customers/{id}/relationship/terminate`: the partner ends its own
    /// relationship with the customer.
    pub async fn terminate_customer_relationship(
        &self,
        p: &Principal,
        ctx: &Ctx,
        customer_id: &OrgId,
        reason: AppResult<Option<String>>,
    ) -> AppResult<Customer> {
        let mut tx = self.db().begin().await?;
        let (org, rel) = self.visible_customer(&mut tx, p, customer_id).await?;
        p.require(Action::EndCustomerRelationship)?;
        let rel = rel.ok_or_else(AppError::not_found)?;
        let reason = reason?
            .map(|r| long_text("/reason", &r, 2000))
            .transpose()?
            .flatten();
        self.end_customer_relationship(&mut tx, p, &rel, reason.as_deref())
            .await?;
        let view = self
            .customer_view(&mut tx, &p.organization.id, false, &org)
            .await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "customer",
            Some(org.id.clone()),
            "terminateCustomerRelationship",
        )
        .participant(&org.id)
        .after(serde_json::json!({"reason": reason}));
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view)
    }

    async fn partner_relationship_view(
        &self,
        conn: &mut Conn,
        r: &CustomerRelationshipRow,
    ) -> AppResult<PartnerRelationship> {
        let partner = organizations::get(conn, &r.partner_organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        let delegated_admin = if r.state == CustomerRelationshipStatus::Active {
            self.delegation_summary(conn, &r.partner_organization_id, &r.customer_id)
                .await?
        } else {
            None
        };
        Ok(PartnerRelationship {
            id: r.id.clone(),
            partner: PartnerOfCustomer {
                organization_id: partner.id,
                name: partner.name,
                country: partner.country,
            },
            role: r.role.clone(),
            since: r.created_at,
            delegated_admin,
            state: r.state,
            terminated_at: r.terminated_at,
            etag: etag(&r.id, r.version),
        })
    }

    /// `GET /v1/partnerrelationships`: the customer's partners (`state`: `active`
    /// by default, `terminated`, `all`).
    pub async fn list_partner_relationships(
        &self,
        p: &Principal,
        state: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<PartnerRelationship>> {
        p.require(Action::ReadPartnerRelationships)?;
        let state = match state.as_deref() {
            None | Some("active") => Some(CustomerRelationshipStatus::Active),
            Some("terminated") => Some(CustomerRelationshipStatus::Terminated),
            Some("all") => None,
            Some(_) => {
                return Err(FieldError::invalid(
                    "/query/state",
                    "must be active, terminated or all",
                )
                .into());
            }
        };
        let now = self.now();
        let start = paging::start(page, &format!("partnerrelationships{state:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let rows = customers::list_customer_relationships(
            &mut conn,
            &p.organization.id,
            state,
            &start.request,
        )
        .await?;
        let page = start.finish(rows, now, |r| (r.created_at, r.id.to_string()), |r| r);
        let mut items = Vec::with_capacity(page.items.len());
        for r in &page.items {
            items.push(self.partner_relationship_view(&mut conn, r).await?);
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    /// `GET /v1/partnerrelationships/{id}`.
    pub async fn get_partner_relationship(
        &self,
        p: &Principal,
        id: &CustomerRelationshipId,
    ) -> AppResult<PartnerRelationship> {
        let mut conn = self.db().conn().await?;
        let r = customers::get_relationship(&mut conn, id)
            .await?
            .filter(|r| r.customer_id == p.organization.id)
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ReadPartnerRelationships)?;
        self.partner_relationship_view(&mut conn, &r).await
    }

    /// `POST /v1/partnerrelationships/{id}/terminate`: the customer's global admin
    /// ends a partner's relationship and its delegated admin.
    pub async fn terminate_partner_relationship(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &CustomerRelationshipId,
        reason: AppResult<Option<String>>,
    ) -> AppResult<PartnerRelationship> {
        let mut tx = self.db().begin().await?;
        let mut r = customers::get_relationship(&mut tx, id)
            .await?
            .filter(|r| r.customer_id == p.organization.id)
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManagePartnerRelationships)?;
        let reason = reason?
            .map(|x| long_text("/reason", &x, 2000))
            .transpose()?
            .flatten();
        if r.state != CustomerRelationshipStatus::Active {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the relationship has ended already",
            ));
        }
        self.end_customer_relationship(&mut tx, p, &r, reason.as_deref())
            .await?;
        r.state = r.state.terminate()?;
        r.terminated_at = Some(self.now());
        r.version += 1;
        let view = self.partner_relationship_view(&mut tx, &r).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "customer",
            Some(r.customer_id.clone()),
            "terminatePartnerRelationship",
        )
        .participant(&r.partner_organization_id)
        .after(serde_json::json!({"reason": reason}));
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view)
    }
}
