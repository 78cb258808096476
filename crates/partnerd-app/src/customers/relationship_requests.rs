//! Customer relationship requests (API.md §8.1–8.2): a reseller asks a customer to
//! accept it (optionally with its indirect provider, three-way, and optionally with
//! delegated admin); the customer's global admin accepts all of it or nothing.

use crate::error::{Conflict, Refusal};
use crate::filters::status_in;
use partnerd_domain::ids::{
    CustomerRelationshipId, DelegatedAdminId, OrgId, RelationshipRequestId,
};
use partnerd_domain::names::{duration_days, long_text};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::{
    CustomerRelationshipStatus, DelegatedAdminStatus, RelationshipRequestStatus,
};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, EmailAddress, FieldError};
use partnerd_store::customers::{
    self, CustomerRelationshipRow, DelegationRow, RequestQuery, RequestRow,
};
use partnerd_store::{Conn, connections, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::delegated_admin::DelegatedAdminRelationship;
use super::{Customer, PartnerRelationship, ROLE_PROVIDER, ROLE_RESELLER};
use crate::audit::{Actor, Entry};
use crate::connections::Notice;
use crate::crypto::{derived_token, etag, token_hash};
use crate::events::Event;
use crate::mail::{self, OutgoingMail};
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

const REQUEST_MS: i64 = 30 * Timestamp::DAY;
/// Longest delegated admin a request may ask for (and the default).
pub const MAX_DELEGATION_DAYS: i64 = 730;

/// `POST /v1/customers/relationshiprequests`.
#[derive(Debug, Clone, Default)]
pub struct RequestInput {
    pub indirect_provider_id: Option<OrgId>,
    pub include_delegated_admin: Option<bool>,
    pub delegated_admin_duration: Option<String>,
    pub customer_id: Option<OrgId>,
    pub recipient_email: Option<String>,
    pub message: Option<String>,
}

/// The consent flags of an acceptance; each must be true for what the request asks.
#[derive(Debug, Clone, Default)]
pub struct AcceptConsent {
    pub accept_reseller: Option<bool>,
    pub accept_indirect_provider: Option<bool>,
    pub grant_delegated_admin: Option<bool>,
}

/// A reseller's request to a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipRequest {
    #[schema(value_type = String)]
    pub id: RelationshipRequestId,
    #[schema(value_type = String)]
    pub reseller_organization_id: OrgId,
    #[schema(value_type = Option<String>)]
    pub indirect_provider_id: Option<OrgId>,
    pub include_delegated_admin: bool,
    /// ISO 8601 (`P730D`); null without delegated admin.
    pub delegated_admin_duration: Option<String>,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<OrgId>,
    /// The personal, single-use link for the customer.
    pub url: String,
    pub email_subject: String,
    /// A draft e-mail with the link; edit it freely but keep the link.
    pub email_body: String,
    /// `pending`, `accepted`, `declined`, `revoked`, `expired`.
    pub status: RelationshipRequestStatus,
    pub created_at: Timestamp,
    pub created_by: String,
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub accepted_by_customer_id: Option<OrgId>,
    pub etag: String,
}

/// What the request link shows before signing in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedRequest {
    pub reseller_name: String,
    pub reseller_country: String,
    pub indirect_provider_name: Option<String>,
    pub include_delegated_admin: bool,
    pub delegated_admin_duration: Option<String>,
    /// Set when the request is for an existing customer.
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<OrgId>,
    pub expires_at: Timestamp,
    pub status: RelationshipRequestStatus,
}

/// The result of an acceptance.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedRequest {
    pub customer: Customer,
    pub partner_relationships: Vec<PartnerRelationship>,
    pub delegated_admin_relationship: Option<DelegatedAdminRelationship>,
}

fn token_error(status: RelationshipRequestStatus) -> AppError {
    match status {
        RelationshipRequestStatus::Revoked => AppError::gone("the reseller withdrew this request"),
        RelationshipRequestStatus::Expired => {
            AppError::gone("this request expired; ask the reseller for a new one")
        }
        _ => AppError::conflict(
            Conflict::TokenUsed,
            format!("this request was {status} already"),
        ),
    }
}

fn invalid_token() -> AppError {
    AppError::token_invalid("this request link is not valid")
}

/// An event about a request for its reseller, its provider (three-way) and `more`.
pub(crate) fn request_event<'a>(
    event_type: &'a str,
    r: &'a RequestRow,
    more: Vec<&'a str>,
) -> Event<'a> {
    Event {
        event_type,
        resource_type: "relationshipRequest",
        resource_id: &r.id,
        resource_url: crate::urls::relationship_request(&r.id),
        participants: std::iter::once(r.reseller_organization_id.as_str())
            .chain(r.indirect_provider_id.as_deref())
            .chain(more)
            .collect(),
    }
}

/// Who the caller's organisation is to the request: only a customer or a tenant
/// without a programme can accept or decline.
fn customer_side(p: &Principal) -> AppResult<()> {
    match p.organization.kind {
        OrgKind::Customer | OrgKind::None => Ok(()),
        other => Err(AppError::conflict(
            Conflict::WrongOrganizationKind,
            format!(
                "your organisation is a {} organisation; only a customer (or a new tenant) can accept a reseller relationship",
                other.as_str()
            ),
        )),
    }
}

/// The draft's wording, rebuilt from the request and the names on every read.
struct Draft {
    subject: String,
    body: String,
}

impl App {
    fn request_status(&self, r: &RequestRow) -> RelationshipRequestStatus {
        r.status.as_of(r.expires_at, self.now())
    }

    async fn request_url(&self, r: &RequestRow) -> AppResult<(String, String)> {
        let token = derived_token(
            self.link_key().await?,
            &format!("customer-request:{}", r.id),
        )?;
        let url = format!(
            "{}/customer-invitations?token={token}",
            self.config().public_url
        );
        Ok((token, url))
    }

    async fn draft(&self, conn: &mut Conn, r: &RequestRow, url: &str) -> AppResult<Draft> {
        let reseller = organizations::get(conn, &r.reseller_organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        let provider = match &r.indirect_provider_id {
            Some(id) => organizations::get(conn, id).await?.map(|o| o.name),
            None => None,
        };
        let mut asks = format!(
            "{} would like to work with you as your cloud reseller",
            reseller.name
        );
        if let Some(pn) = &provider {
            asks.push_str(&format!(
                ", together with {pn}, their indirect provider, who would place orders for you through them"
            ));
        }
        asks.push('.');
        if r.include_delegated_admin {
            asks.push_str(&format!(
                " They also ask for delegated admin privileges for {} days, so that they can manage your users, \
                 licenses and subscriptions on your behalf.",
                r.delegated_admin_days.unwrap_or(MAX_DELEGATION_DAYS)
            ));
        }
        let message = r
            .message
            .as_ref()
            .map(|m| format!("{m}\n\n"))
            .unwrap_or_default();
        let body = format!(
            "Hello,\n\n{asks}\n\n{message}To review and accept, a Global admin of your organisation opens this link \
             (you can create your organisation's account there if you have none yet):\n\n{url}\n\nThe link is for \
             you alone, works once and expires on {}.\n\nKind regards,\n{}\n",
            r.expires_at.day(),
            reseller.name
        );
        Ok(Draft {
            subject: format!("{} would like to be your cloud reseller", reseller.name),
            body,
        })
    }

    async fn request_view(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
    ) -> AppResult<RelationshipRequest> {
        let (_, url) = self.request_url(r).await?;
        let draft = self.draft(conn, r, &url).await?;
        Ok(RelationshipRequest {
            id: r.id.clone(),
            reseller_organization_id: r.reseller_organization_id.clone(),
            indirect_provider_id: r.indirect_provider_id.clone(),
            include_delegated_admin: r.include_delegated_admin,
            delegated_admin_duration: r.include_delegated_admin.then(|| {
                format!(
                    "P{}D",
                    r.delegated_admin_days.unwrap_or(MAX_DELEGATION_DAYS)
                )
            }),
            customer_id: r.customer_id.clone(),
            url,
            email_subject: draft.subject,
            email_body: draft.body,
            status: self.request_status(r),
            created_at: r.created_at,
            created_by: r.created_by.clone(),
            expires_at: r.expires_at,
            accepted_by_customer_id: r.accepted_by_customer_id.clone(),
            etag: etag(&r.id, r.version),
        })
    }

    /// `POST /v1/customers/relationshiprequests`.
    pub async fn create_customer_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<RequestInput>,
    ) -> AppResult<RelationshipRequest> {
        p.require(Action::RequestCustomerRelationship)?;
        let input = input?;
        let include_da = input.include_delegated_admin.unwrap_or(false);
        if include_da {
            p.require(Action::RequestDelegatedAdmin)?;
        }
        // Read (or make) the link key before the transaction takes the write lock.
        self.link_key().await?;
        let mut tx = self.db().begin().await?;
        let me = p.organization.id.clone();
        if let Some(provider) = &input.indirect_provider_id
            && connections::active_between(&mut tx, provider, &me)
                .await?
                .is_none()
        {
            return Err(AppError::forbidden(
                Refusal::RelationshipRequired,
                "you have no active relationship with that indirect provider",
            ));
        }
        if let Some(customer) = &input.customer_id
            && customers::active_relationship(&mut tx, customer, &me)
                .await?
                .is_none_or(|r| r.role != ROLE_RESELLER)
        {
            return Err(AppError::forbidden(
                Refusal::RelationshipRequired,
                "you are not the reseller of that customer; send a request without customerId to bring in a new customer",
            ));
        }
        let mut c = Collect::default();
        let days = match (&input.delegated_admin_duration, include_da) {
            (Some(d), true) => c.take(duration_days(
                "/delegatedAdminDuration",
                d,
                MAX_DELEGATION_DAYS,
            )),
            (Some(_), false) => {
                c.0.push(FieldError::invalid(
                    "/delegatedAdminDuration",
                    "only with includeDelegatedAdmin: true",
                ));
                None
            }
            (None, true) => Some(MAX_DELEGATION_DAYS),
            (None, false) => None,
        };
        let recipient = c.opt(input.recipient_email.as_deref(), |e| {
            EmailAddress::parse("/recipientEmail", e)
        });
        let message = c
            .opt(input.message.as_deref(), |m| {
                long_text("/message", m, 10_000)
            })
            .flatten();
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        if let Some(customer) = &input.customer_id {
            let provider_new = match &input.indirect_provider_id {
                Some(provider) => customers::active_relationship(&mut tx, customer, provider)
                    .await?
                    .is_none(),
                None => false,
            };
            if !provider_new && !include_da {
                return Err(AppError::conflict(
                    Conflict::RelationshipExists,
                    "the customer already has everything this request would grant",
                ));
            }
        }
        let now = self.now();
        let mut row = RequestRow {
            id: RelationshipRequestId::generate(),
            reseller_organization_id: me.clone(),
            indirect_provider_id: input.indirect_provider_id.clone(),
            include_delegated_admin: include_da,
            delegated_admin_days: days,
            customer_id: input.customer_id.clone(),
            recipient_email: recipient.as_ref().map(|e| e.as_str().to_owned()),
            message,
            status: RelationshipRequestStatus::Pending,
            token_hash: String::new(),
            created_at: now,
            created_by: p.key(),
            expires_at: now.plus_millis(REQUEST_MS),
            accepted_by_customer_id: None,
            decided_at: None,
            version: 1,
        };
        let (token, url) = self.request_url(&row).await?;
        row.token_hash = token_hash(&token);
        customers::insert_request(&mut tx, &row).await?;
        let view = self.request_view(&mut tx, &row).await?;
        if let Some(to) = &row.recipient_email {
            let mail = OutgoingMail {
                to: vec![to.clone()],
                subject: view.email_subject.clone(),
                text: view.email_body.clone(),
                html: None,
                template: "customer_relationship_request".into(),
                link: Some(url),
            };
            mail::enqueue(&mut tx, &mail, self.now()).await?;
        }
        let mut entry = Entry::new(
            Actor::Principal(p),
            "relationshipRequest",
            Some(row.id.clone()),
            "createCustomerRelationshipRequest",
        )
        .after(serde_json::json!({
            "indirectProviderId": row.indirect_provider_id,
            "includeDelegatedAdmin": row.include_delegated_admin,
            "delegatedAdminDuration": view.delegated_admin_duration,
            "customerId": row.customer_id,
            "recipientEmail": row.recipient_email,
        }));
        for org in [&row.indirect_provider_id, &row.customer_id]
            .into_iter()
            .flatten()
        {
            entry = entry.participant(org);
        }
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view)
    }

    /// `GET /v1/customers/relationshiprequests`: the reseller's requests.
    pub async fn list_customer_requests(
        &self,
        p: &Principal,
        status: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<RelationshipRequest>> {
        p.require(Action::RequestCustomerRelationship)?;
        let now = self.now();
        let status = status_in(
            "/query/status",
            status.as_deref(),
            RelationshipRequestStatus::ALL,
        )?;
        let q = RequestQuery {
            reseller_organization_id: p.organization.id.clone(),
            status,
            now,
        };
        let start = paging::start(page, &format!("customer-requests{status:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let rows = customers::list_requests(&mut conn, &q, &start.request).await?;
        let page = start.finish(rows, now, |r| (r.created_at, r.id.to_string()), |r| r);
        let mut items = Vec::with_capacity(page.items.len());
        for r in &page.items {
            items.push(self.request_view(&mut conn, r).await?);
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    /// `GET /v1/customers/relationshiprequests/{id}`: the reseller, or (read only)
    /// the provider a three-way request names.
    pub async fn get_customer_request(
        &self,
        p: &Principal,
        id: &RelationshipRequestId,
    ) -> AppResult<RelationshipRequest> {
        let mut conn = self.db().conn().await?;
        let r = customers::get_request(&mut conn, id)
            .await?
            .filter(|r| {
                r.reseller_organization_id == p.organization.id
                    || r.indirect_provider_id.as_deref() == Some(p.organization.id.as_str())
            })
            .ok_or_else(AppError::not_found)?;
        if r.reseller_organization_id == p.organization.id {
            p.require(Action::RequestCustomerRelationship)?;
        } else {
            p.require(Action::ReadCustomers)?;
        }
        self.request_view(&mut conn, &r).await
    }

    /// `DELETE /v1/customers/relationshiprequests/{id}`: the link answers 410 from now on.
    pub async fn revoke_customer_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &RelationshipRequestId,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let r = customers::get_request(&mut tx, id)
            .await?
            .filter(|r| r.reseller_organization_id == p.organization.id)
            .ok_or_else(AppError::not_found)?;
        p.require(Action::RequestCustomerRelationship)?;
        let status = self.request_status(&r);
        if status != RelationshipRequestStatus::Pending
            || !customers::decide_request(
                &mut tx,
                &r,
                RelationshipRequestStatus::Revoked,
                None,
                self.now(),
            )
            .await?
        {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!("the request is {status}; only pending requests can be revoked"),
            ));
        }
        let entry = Entry::new(
            Actor::Principal(p),
            "relationshipRequest",
            Some(r.id.clone()),
            "revokeCustomerRelationshipRequest",
        );
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(())
    }

    async fn pending_request(&self, conn: &mut Conn, token: &str) -> AppResult<RequestRow> {
        let r = customers::request_by_token(conn, &token_hash(token))
            .await?
            .ok_or_else(invalid_token)?;
        let status = self.request_status(&r);
        if status != RelationshipRequestStatus::Pending {
            return Err(token_error(status));
        }
        Ok(r)
    }

    /// `POST /v1/customers/relationshiprequests/resolve` (public; the token is the secret).
    pub async fn resolve_customer_request(
        &self,
        ctx: &Ctx,
        token: AppResult<String>,
    ) -> AppResult<ResolvedRequest> {
        self.limit_public(ctx)?;
        let token = token?;
        self.limit_target(&format!("token:{}", token_hash(&token)))?;
        let mut conn = self.db().conn().await?;
        let r = self.pending_request(&mut conn, &token).await?;
        let reseller = organizations::get(&mut conn, &r.reseller_organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        let provider = match &r.indirect_provider_id {
            Some(id) => organizations::get(&mut conn, id).await?.map(|o| o.name),
            None => None,
        };
        Ok(ResolvedRequest {
            reseller_name: reseller.name,
            reseller_country: reseller.country,
            indirect_provider_name: provider,
            include_delegated_admin: r.include_delegated_admin,
            delegated_admin_duration: r.include_delegated_admin.then(|| {
                format!(
                    "P{}D",
                    r.delegated_admin_days.unwrap_or(MAX_DELEGATION_DAYS)
                )
            }),
            customer_id: r.customer_id.clone(),
            expires_at: r.expires_at,
            status: self.request_status(&r),
        })
    }

    /// `POST /v1/customers/relationshiprequests/accept`: the customer's global admin,
    /// in person, consents to everything the request asks, or nothing happens.
    pub async fn accept_customer_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<(String, AcceptConsent)>,
    ) -> AppResult<AcceptedRequest> {
        customer_side(p)?;
        p.require(Action::AcceptCustomerRelationship)?;
        let (token, consent) = input?;
        let mut tx = self.db().begin().await?;
        let r = self.pending_request(&mut tx, &token).await?;
        let me = p.organization.id.clone();
        if r.customer_id.as_ref().is_some_and(|c| c != &me) {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "this request is for another customer organisation",
            ));
        }
        let mut missing = Vec::new();
        let say = "tick the box: acceptance covers everything the request asks, or nothing";
        if consent.accept_reseller != Some(true) {
            missing.push(FieldError::new(
                "/consent/acceptReseller",
                "consent_required",
                say,
            ));
        }
        if r.indirect_provider_id.is_some() && consent.accept_indirect_provider != Some(true) {
            missing.push(FieldError::new(
                "/consent/acceptIndirectProvider",
                "consent_required",
                say,
            ));
        }
        if r.include_delegated_admin && consent.grant_delegated_admin != Some(true) {
            missing.push(FieldError::new(
                "/consent/grantDelegatedAdmin",
                "consent_required",
                say,
            ));
        }
        if !missing.is_empty() {
            return Err(AppError::validation(missing));
        }
        if let Some(provider) = &r.indirect_provider_id
            && connections::active_between(&mut tx, provider, &r.reseller_organization_id)
                .await?
                .is_none()
        {
            return Err(AppError::forbidden(
                Refusal::RelationshipRequired,
                "the reseller no longer works with the indirect provider this request names; ask the reseller for a new request",
            ));
        }
        let now = self.now();
        // Claim the request first: of two parallel acceptances the second waits on
        // this row and then finds it answered.
        if !customers::decide_request(
            &mut tx,
            &r,
            RelationshipRequestStatus::Accepted,
            Some(&me),
            now,
        )
        .await?
        {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this request was answered already",
            ));
        }
        let mut raised = Vec::new();
        if p.organization.kind == OrgKind::None {
            customers::become_customer(&mut tx, &me, now).await?;
            let parties: Vec<&str> = std::iter::once(me.as_str())
                .chain(std::iter::once(r.reseller_organization_id.as_str()))
                .chain(r.indirect_provider_id.as_deref())
                .collect();
            let became = Event {
                event_type: "customer.created",
                resource_type: "customer",
                resource_id: &me,
                resource_url: crate::urls::customer(&me),
                participants: parties,
            };
            raised.push(became.with(&serde_json::json!({
                "companyName": p.organization.name,
                "country": p.organization.country,
            })));
        }
        let mut created: Vec<CustomerRelationshipRow> = Vec::new();
        let mut wanted = vec![(r.reseller_organization_id.clone(), ROLE_RESELLER, None)];
        if let Some(provider) = &r.indirect_provider_id {
            wanted.push((
                provider.clone(),
                ROLE_PROVIDER,
                Some(r.reseller_organization_id.clone()),
            ));
        }
        for (partner, role, linked) in wanted {
            if customers::active_relationship(&mut tx, &me, &partner)
                .await?
                .is_some()
            {
                continue;
            }
            let rel = CustomerRelationshipRow {
                id: CustomerRelationshipId::generate(),
                customer_id: me.clone(),
                partner_organization_id: partner,
                role: role.into(),
                linked_reseller_id: linked,
                request_id: Some(r.id.clone()),
                state: CustomerRelationshipStatus::Active,
                created_at: now,
                terminated_at: None,
                terminated_by_organization_id: None,
                terminated_by_user_id: None,
                version: 1,
            };
            customers::insert_relationship(&mut tx, &rel).await?;
            created.push(rel);
        }
        let delegation = if r.include_delegated_admin {
            if let Some(old) =
                customers::active_delegation(&mut tx, &r.reseller_organization_id, &me).await?
            {
                let by_user = p.user.as_ref().map(|u| u.id.as_str());
                customers::end_delegation(
                    &mut tx,
                    &old,
                    DelegatedAdminStatus::Terminated,
                    Some(&me),
                    by_user,
                    now,
                )
                .await?;
            }
            let days = r.delegated_admin_days.unwrap_or(MAX_DELEGATION_DAYS);
            let d = DelegationRow {
                id: DelegatedAdminId::generate(),
                partner_organization_id: r.reseller_organization_id.clone(),
                customer_id: me.clone(),
                status: DelegatedAdminStatus::Active,
                duration_days: days,
                activated_at: now,
                expires_at: now.plus_millis(days * Timestamp::DAY),
                terminated_at: None,
                terminated_by_organization_id: None,
                terminated_by_user_id: None,
                warned_at: None,
                version: 1,
            };
            customers::insert_delegation(&mut tx, &d).await?;
            Some(d)
        } else {
            None
        };
        if created.is_empty() && delegation.is_none() {
            return Err(AppError::conflict(
                Conflict::RelationshipExists,
                "your organisation already has every relationship this request asks for",
            ));
        }
        let link = format!("{}/customers/{me}", self.config().public_url);
        let text = format!(
            "{} accepted the relationship request{}.",
            p.organization.name,
            if delegation.is_some() {
                " and granted delegated admin privileges"
            } else {
                ""
            }
        );
        for org in std::iter::once(&r.reseller_organization_id).chain(r.indirect_provider_id.iter())
        {
            self.mail_organization(
                &mut tx,
                org,
                (org == &r.reseller_organization_id).then_some(r.created_by.as_str()),
                Notice {
                    template: "relationship_accepted",
                    subject: &format!("{} accepted your relationship request", p.organization.name),
                    text: text.clone(),
                    link: link.clone(),
                },
            )
            .await?;
        }
        let org = organizations::get(&mut tx, &me).await?.ok_or_else(|| {
            AppError::internal("organizations::get found no row where one must exist")
        })?;
        let customer = self.customer_view(&mut tx, &me, false, &org).await?;
        let mut partner_relationships = Vec::new();
        for rel in &created {
            partner_relationships.push(self.partner_relationship_view(&mut tx, rel).await?);
        }
        let delegated_admin_relationship = match &delegation {
            Some(d) => Some(self.delegation_view(&mut tx, d).await?),
            None => None,
        };
        let mut entry = Entry::new(
            Actor::Principal(p),
            "relationshipRequest",
            Some(r.id.clone()),
            "acceptCustomerRelationshipRequest",
        )
        .participant(&r.reseller_organization_id)
        .after(serde_json::json!({
            "relationships": created.iter().map(|c| &c.id).collect::<Vec<_>>(),
            "delegatedAdminRelationshipId": delegation.as_ref().map(|d| &d.id),
        }));
        if let Some(provider) = &r.indirect_provider_id {
            entry = entry.participant(provider);
        }
        raised.push(
            request_event("relationshipRequest.accepted", &r, vec![me.as_str()]).with(&customer),
        );
        if let Some(d) = &delegated_admin_relationship {
            let granted = Event {
                event_type: "delegatedAdmin.granted",
                resource_type: "delegatedAdmin",
                resource_id: &d.id,
                resource_url: crate::urls::delegated_admin(&d.id),
                participants: vec![&d.partner_organization_id, &d.customer_id],
            };
            raised.push(granted.with(d));
        }
        self.commit_change(tx, ctx, now, entry, raised).await?;
        Ok(AcceptedRequest {
            customer,
            partner_relationships,
            delegated_admin_relationship,
        })
    }

    /// `POST /v1/customers/relationshiprequests/decline`.
    pub async fn decline_customer_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        token: AppResult<String>,
    ) -> AppResult<()> {
        customer_side(p)?;
        p.require(Action::AcceptCustomerRelationship)?;
        let token = token?;
        let mut tx = self.db().begin().await?;
        let r = self.pending_request(&mut tx, &token).await?;
        if r.customer_id
            .as_ref()
            .is_some_and(|c| c != &p.organization.id)
        {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "this request is for another customer organisation",
            ));
        }
        if !customers::decide_request(
            &mut tx,
            &r,
            RelationshipRequestStatus::Declined,
            None,
            self.now(),
        )
        .await?
        {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this request was answered already",
            ));
        }
        self.mail_organization(
            &mut tx,
            &r.reseller_organization_id,
            Some(&r.created_by),
            Notice {
                template: "relationship_request_declined",
                subject: &format!("{} declined your relationship request", p.organization.name),
                text: format!(
                    "{} declined your relationship request.",
                    p.organization.name
                ),
                link: format!("{}/customers", self.config().public_url),
            },
        )
        .await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "relationshipRequest",
            Some(r.id.clone()),
            "declineCustomerRelationshipRequest",
        )
        .participant(&r.reseller_organization_id);
        let declined = request_event("relationshipRequest.declined", &r, Vec::new())
            .with(&serde_json::json!({"status": "declined"}));
        self.commit_change(tx, ctx, self.now(), entry, vec![declined])
            .await?;
        Ok(())
    }
}
