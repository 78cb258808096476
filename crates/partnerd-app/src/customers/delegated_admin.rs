//! Delegated admin relationships (API.md §9.1): time-bound admin-on-behalf of a
//! customer, granted by the customer's consent, visible to and revocable by both
//! sides, checked against the server's one clock, and expired by a job that also
//! warns both sides 14 days ahead.

use crate::error::Conflict;
use partnerd_domain::FieldError;
use partnerd_domain::ids::{DelegatedAdminId, OrgId};
use partnerd_domain::names::long_text;
use partnerd_domain::policy::{Action, Facts};
use partnerd_domain::roles::OrgKind;
use partnerd_domain::states::DelegatedAdminStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::customers::{self, DelegationQuery, DelegationRow};
use partnerd_store::{Conn, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::connections::{Notice, TerminatedBy};
use crate::crypto::etag;
use crate::events::Event;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

const WARNING_MS: i64 = 14 * Timestamp::DAY;

/// A delegated admin relationship.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelegatedAdminRelationship {
    #[schema(value_type = String)]
    pub id: DelegatedAdminId,
    #[schema(value_type = String)]
    pub partner_organization_id: OrgId,
    pub partner_name: String,
    #[schema(value_type = String)]
    pub customer_id: OrgId,
    pub customer_name: String,
    /// `active`, `expired`, `terminated`.
    pub status: DelegatedAdminStatus,
    /// ISO 8601 (`P730D`).
    pub duration: String,
    pub activated_at: Timestamp,
    pub expires_at: Timestamp,
    pub terminated_at: Option<Timestamp>,
    pub terminated_by: Option<TerminatedBy>,
    pub etag: String,
}

/// Filters of `GET /v1/delegatedadminrelationships`.
#[derive(Debug, Clone, Default)]
pub struct DelegationFilters {
    pub customer_id: Option<OrgId>,
    pub status: Option<String>,
}

impl App {
    /// `active` turns `expired` the moment the clock passes `expiresAt`, whether or
    /// not the expiry job has run.
    pub(crate) fn delegation_status(&self, d: &DelegationRow) -> DelegatedAdminStatus {
        d.status.as_of(d.expires_at, self.now())
    }

    pub(crate) async fn delegation_view(
        &self,
        conn: &mut Conn,
        d: &DelegationRow,
    ) -> AppResult<DelegatedAdminRelationship> {
        let name =
            |o: Option<organizations::OrganizationRow>| o.map(|o| o.name).unwrap_or_default();
        Ok(DelegatedAdminRelationship {
            id: d.id.clone(),
            partner_organization_id: d.partner_organization_id.clone(),
            partner_name: name(organizations::get(conn, &d.partner_organization_id).await?),
            customer_id: d.customer_id.clone(),
            customer_name: name(organizations::get(conn, &d.customer_id).await?),
            status: self.delegation_status(d),
            duration: format!("P{}D", d.duration_days),
            activated_at: d.activated_at,
            expires_at: d.expires_at,
            terminated_at: d.terminated_at,
            terminated_by: d
                .terminated_by_organization_id
                .clone()
                .map(|o| TerminatedBy {
                    organization_id: o,
                    user_id: d.terminated_by_user_id.clone(),
                }),
            etag: etag(&d.id, d.version),
        })
    }

    /// Admin-on-behalf: the policy decides `action` with the fact whether the
    /// caller's organisation holds delegated admin for the customer, active and
    /// unexpired by the server's clock (else 403 `delegated_admin_required`).
    pub(crate) async fn require_on_behalf(
        &self,
        conn: &mut Conn,
        p: &Principal,
        customer_id: &OrgId,
        action: Action,
    ) -> AppResult<()> {
        let active = customers::active_delegation(conn, &p.organization.id, customer_id)
            .await?
            .is_some_and(|d| d.expires_at > self.now());
        p.require_with(
            action,
            Facts {
                delegated_admin: Some(active),
            },
        )
    }

    fn visible_delegation(p: &Principal, d: &DelegationRow) -> bool {
        d.partner_organization_id == p.organization.id || d.customer_id == p.organization.id
    }

    /// `GET /v1/delegatedadminrelationships`: a partner's own, or a customer's.
    pub async fn list_delegations(
        &self,
        p: &Principal,
        f: &DelegationFilters,
        page: &PageParams,
    ) -> AppResult<Page<DelegatedAdminRelationship>> {
        p.require(Action::ReadDelegatedAdmin)?;
        let now = self.now();
        let mut q = DelegationQuery::default();
        if p.organization.kind == OrgKind::Customer {
            q.customer_id = Some(p.organization.id.clone());
        } else {
            q.partner_organization_id = Some(p.organization.id.clone());
            q.customer_id = f.customer_id.clone();
        }
        match f.status.as_deref() {
            None => {}
            Some("active") => {
                q.status = Some(DelegatedAdminStatus::Active);
                q.unexpired_at = Some(now);
            }
            Some("expired") => q.expired_at = Some(now),
            Some("terminated") => q.status = Some(DelegatedAdminStatus::Terminated),
            Some(_) => {
                return Err(FieldError::invalid(
                    "/query/status",
                    "must be active, expired or terminated",
                )
                .into());
            }
        }
        let start = paging::start(page, &format!("delegations{f:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let rows = customers::list_delegations(&mut conn, &q, &start.request).await?;
        let page = start.finish(rows, now, |d| (d.activated_at, d.id.clone()), |d| d);
        let mut items = Vec::with_capacity(page.items.len());
        for d in &page.items {
            items.push(self.delegation_view(&mut conn, d).await?);
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    /// `GET /v1/delegatedadminrelationships/{id}`.
    pub async fn get_delegation(
        &self,
        p: &Principal,
        id: &DelegatedAdminId,
    ) -> AppResult<DelegatedAdminRelationship> {
        let mut conn = self.db().conn().await?;
        let d = customers::get_delegation(&mut conn, id)
            .await?
            .filter(|d| Self::visible_delegation(p, d))
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ReadDelegatedAdmin)?;
        self.delegation_view(&mut conn, &d).await
    }

    /// `POST /v1/delegatedadminrelationships/{id}/terminate`: the partner's global
    /// admin or admin agent, or the customer's global admin.
    pub async fn terminate_delegation(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &DelegatedAdminId,
        reason: AppResult<Option<String>>,
    ) -> AppResult<DelegatedAdminRelationship> {
        let mut tx = self.db().begin().await?;
        let mut d = customers::get_delegation(&mut tx, id)
            .await?
            .filter(|d| Self::visible_delegation(p, d))
            .ok_or_else(AppError::not_found)?;
        if d.customer_id == p.organization.id {
            p.require(Action::ManagePartnerRelationships)?;
        } else {
            p.require(Action::EndCustomerRelationship)?;
        }
        let reason = reason?
            .map(|x| long_text("/reason", &x, 2000))
            .transpose()?
            .flatten();
        let status = self.delegation_status(&d);
        let now = self.now();
        let by_user = p.user.as_ref().map(|u| u.id.clone());
        if status != DelegatedAdminStatus::Active
            || !customers::end_delegation(
                &mut tx,
                &d,
                DelegatedAdminStatus::Terminated,
                Some(&p.organization.id),
                by_user.as_deref(),
                now,
            )
            .await?
        {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!("the delegated admin relationship is {status} already"),
            ));
        }
        d.status = d.status.terminate()?;
        d.terminated_at = Some(now);
        d.terminated_by_organization_id = Some(p.organization.id.clone());
        d.terminated_by_user_id = by_user;
        d.version += 1;
        let view = self.delegation_view(&mut tx, &d).await?;
        let other = if d.customer_id == p.organization.id {
            d.partner_organization_id.clone()
        } else {
            d.customer_id.clone()
        };
        let entry = Entry::new(
            Actor::Principal(p),
            "delegatedAdmin",
            Some(d.id.clone()),
            "terminateDelegatedAdminRelationship",
        )
        .participant(&other)
        .after(serde_json::json!({"reason": reason}));
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                Event {
                    event_type: "delegatedAdmin.terminated",
                    resource_type: "delegatedAdmin",
                    resource_id: &d.id,
                    resource_url: crate::urls::delegated_admin(&d.id),
                    participants: vec![&d.partner_organization_id, &d.customer_id],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// One pass of the delegation job: expire what is due (`active -> expired`) and
    /// mail the 14-day warnings. Returns (expired, warned). Safe on every replica at
    /// once: each change is claimed by a version- or flag-checked update.
    pub async fn run_delegation_jobs_once(&self) -> AppResult<(usize, usize)> {
        let now = self.now();
        let mut expired = 0;
        let due = {
            let mut conn = self.db().conn().await?;
            customers::due_for_expiry(&mut conn, now, 200).await?
        };
        for d in due {
            let mut tx = self.db().begin().await?;
            let ended_as = d.status.expire()?;
            if !customers::end_delegation(&mut tx, &d, ended_as, None, None, now).await? {
                continue;
            }
            let entry = Entry::new(
                Actor::System("delegation-expiry"),
                "delegatedAdmin",
                Some(d.id.clone()),
                "expireDelegatedAdminRelationship",
            )
            .participant(&d.partner_organization_id)
            .participant(&d.customer_id);
            let mut ended = d.clone();
            ended.status = ended_as;
            let view = self.delegation_view(&mut tx, &ended).await?;
            let expired_event = Event {
                event_type: "delegatedAdmin.expired",
                resource_type: "delegatedAdmin",
                resource_id: &d.id,
                resource_url: crate::urls::delegated_admin(&d.id),
                participants: vec![&d.partner_organization_id, &d.customer_id],
            };
            self.commit_change(
                tx,
                &Ctx::default(),
                now,
                entry,
                vec![expired_event.with(&view)],
            )
            .await?;
            expired += 1;
        }
        let mut warned = 0;
        let due = {
            let mut conn = self.db().conn().await?;
            customers::due_for_warning(&mut conn, now, now.plus_millis(WARNING_MS), 200).await?
        };
        for d in due {
            let mut tx = self.db().begin().await?;
            if !customers::mark_warned(&mut tx, &d.id, now).await? {
                continue;
            }
            let view = self.delegation_view(&mut tx, &d).await?;
            let text = format!(
                "The delegated admin privileges of {} for {} expire on {}. After that {} can no longer manage \
                 {}'s users, licenses and subscriptions on its behalf. To continue, the partner sends a new \
                 relationship request that includes delegated admin, and the customer accepts it.",
                view.partner_name,
                view.customer_name,
                view.expires_at,
                view.partner_name,
                view.customer_name
            );
            for org in [&d.partner_organization_id, &d.customer_id] {
                self.mail_organization(
                    &mut tx,
                    org,
                    None,
                    Notice {
                        template: "delegated_admin_expiring",
                        subject: "Delegated admin privileges expire in 14 days",
                        text: text.clone(),
                        link: format!("{}/", self.config().public_url),
                    },
                )
                .await?;
            }
            partnerd_store::commit(tx).await?;
            warned += 1;
        }
        Ok((expired, warned))
    }
}
