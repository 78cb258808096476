//! Provider ↔ reseller connections (API.md §7.1–7.2): a provider invites a reseller
//! by e-mail; the reseller's global admin authorises it by explicit consent; either
//! side can end the relationship.

use crate::error::{Conflict, Refusal};
use crate::filters::status_in;
use partnerd_domain::ids::{OrgId, ResellerInvitationId, ResellerRelationshipId, UserId};
use partnerd_domain::names::{long_text, name};
use partnerd_domain::policy::Action;
use partnerd_domain::states::{ResellerInvitationStatus, ResellerRelationshipStatus};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, EmailAddress, FieldError};
use partnerd_store::connections::{
    self, InvitationQuery, InvitationRow, RelationshipQuery, RelationshipRow,
};
use partnerd_store::{Conn, organizations, providers};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::{etag, new_token, token_hash};
use crate::events::Event;
use crate::mail::{self, OutgoingMail};
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

mod resellers;

pub use resellers::{InvitationSent, ResellerList};

const INVITATION_MS: i64 = 14 * Timestamp::DAY;

/// An invitation from a provider to a reseller.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResellerInvitation {
    #[schema(value_type = String)]
    pub id: ResellerInvitationId,
    #[schema(value_type = String)]
    pub provider_organization_id: OrgId,
    pub email: String,
    pub reseller_name: Option<String>,
    /// `pending`, `accepted`, `declined`, `revoked`, `expired`.
    pub status: ResellerInvitationStatus,
    pub created_at: Timestamp,
    pub created_by: String,
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub accepted_by_organization_id: Option<OrgId>,
    #[schema(value_type = Option<String>)]
    pub relationship_id: Option<ResellerRelationshipId>,
    pub etag: String,
}

/// What the invitation link shows before signing in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedInvitation {
    pub provider_name: String,
    pub provider_country: String,
    pub product_families: Vec<String>,
    pub invited_email: String,
    pub expires_at: Timestamp,
    pub status: ResellerInvitationStatus,
}

/// The other side of a relationship.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipPartner {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
    pub membership_id: Option<String>,
    pub country: String,
}

/// Who ended a relationship.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminatedBy {
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
}

/// A provider–reseller relationship as the caller sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    #[schema(value_type = String)]
    pub id: ResellerRelationshipId,
    /// `IsIndirectCloudSolutionProviderOf` (the caller is the provider) or
    /// `IsIndirectResellerOf` (the caller is the reseller).
    pub relationship_type: String,
    pub partner: RelationshipPartner,
    /// `active` or `terminated`.
    pub state: ResellerRelationshipStatus,
    pub created_at: Timestamp,
    pub terminated_at: Option<Timestamp>,
    pub terminated_by: Option<TerminatedBy>,
    pub etag: String,
}

/// `POST /v1/resellerinvitations`.
#[derive(Debug, Clone)]
pub struct InvitationInput {
    pub email: String,
    pub reseller_name: Option<String>,
    pub message: Option<String>,
}

/// What the invited reseller answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationAnswer {
    /// Accept, with the consent box ticked or not.
    Accept {
        consent: bool,
    },
    Decline,
}

/// What answering an invitation did.
#[derive(Debug, Clone)]
pub enum InvitationAnswered {
    Accepted(Box<Relationship>),
    Declined,
}

/// Filters of a relationship list.
#[derive(Debug, Clone, Default)]
pub struct RelationshipFilters {
    pub relationship_type: Option<String>,
    /// `active` (default), `terminated`, `all`.
    pub state: Option<String>,
    /// Prefix of the other side's name.
    pub name: Option<String>,
}

pub const AS_PROVIDER: &str = "IsIndirectCloudSolutionProviderOf";
pub const AS_RESELLER: &str = "IsIndirectResellerOf";

fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

fn token_error(status: ResellerInvitationStatus) -> AppError {
    match status {
        ResellerInvitationStatus::Revoked => {
            AppError::gone("the provider withdrew this invitation")
        }
        ResellerInvitationStatus::Expired => {
            AppError::gone("this invitation expired; ask the provider for a new one")
        }
        _ => AppError::conflict(
            Conflict::TokenUsed,
            format!("this invitation was {status} already"),
        ),
    }
}

/// A notice mailed to an organisation.
pub(crate) struct Notice<'a> {
    pub template: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub link: String,
}

impl App {
    pub(crate) fn invitation_view(&self, i: &InvitationRow) -> ResellerInvitation {
        let status = i.status.as_of(i.expires_at, self.now());
        ResellerInvitation {
            id: i.id.clone(),
            provider_organization_id: i.provider_organization_id.clone(),
            email: i.email.clone(),
            reseller_name: i.reseller_name.clone(),
            status,
            created_at: i.created_at,
            created_by: i.created_by.clone(),
            expires_at: i.expires_at,
            accepted_by_organization_id: i.accepted_by_organization_id.clone(),
            relationship_id: i.relationship_id.clone(),
            etag: etag(&i.id, i.version),
        }
    }

    async fn relationship_view(
        &self,
        conn: &mut Conn,
        viewer: &OrgId,
        r: &RelationshipRow,
    ) -> AppResult<Relationship> {
        let (kind, other) = if r.provider_organization_id == *viewer {
            (AS_PROVIDER, &r.reseller_organization_id)
        } else {
            (AS_RESELLER, &r.provider_organization_id)
        };
        let org = organizations::get(conn, other).await?.ok_or_else(|| {
            AppError::internal("organizations::get found no row where one must exist")
        })?;
        Ok(Relationship {
            id: r.id.clone(),
            relationship_type: kind.into(),
            partner: RelationshipPartner {
                organization_id: org.id,
                name: org.name,
                membership_id: org.membership_id,
                country: org.country,
            },
            state: r.state,
            created_at: r.created_at,
            terminated_at: r.terminated_at,
            terminated_by: r
                .terminated_by_organization_id
                .clone()
                .map(|o| TerminatedBy {
                    organization_id: o,
                    user_id: r.terminated_by_user_id.clone(),
                }),
            etag: etag(&r.id, r.version),
        })
    }

    /// Mail to an organisation: its global admins, plus `also` (the user who started the flow).
    pub(crate) async fn mail_organization(
        &self,
        conn: &mut Conn,
        org_id: &OrgId,
        also: Option<&str>,
        notice: Notice<'_>,
    ) -> AppResult<()> {
        let mut to = organizations::global_admin_emails(conn, org_id).await?;
        if let Some(user_id) = also
            // `also` is whoever acted: a user's id, or an API key's, which names nobody.
            && let Some(u) = partnerd_store::users::get(conn, &UserId::from_raw(user_id)).await?
            && !to.iter().any(|t| t.eq_ignore_ascii_case(&u.email))
        {
            to.push(u.email);
        }
        if to.is_empty() {
            return Ok(());
        }
        let mail = OutgoingMail {
            to,
            subject: notice.subject.into(),
            text: format!(
                "{}

{}
",
                notice.text, notice.link
            ),
            html: None,
            template: notice.template.into(),
            link: Some(notice.link),
        };
        mail::enqueue(conn, &mail, self.now()).await?;
        Ok(())
    }

    /// `POST /v1/resellerinvitations`.
    pub async fn create_invitation(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<InvitationInput>,
    ) -> AppResult<ResellerInvitation> {
        p.require(Action::ManageResellerInvitations)?;
        let input = input?;
        let mut c = Collect::default();
        let email = c.take(EmailAddress::parse("/email", &input.email));
        let reseller_name = c.opt(input.reseller_name.as_deref(), |n| name("/resellerName", n));
        let message = c
            .opt(input.message.as_deref(), |m| long_text("/message", m, 2000))
            .flatten();
        let errors = c.0;
        let (Some(email), true) = (email, errors.is_empty()) else {
            return Err(AppError::validation(errors));
        };
        let token = new_token("");
        let now = self.now();
        let row = InvitationRow {
            id: ResellerInvitationId::generate(),
            provider_organization_id: p.organization.id.clone(),
            email: email.as_str().into(),
            email_norm: email.normalized(),
            reseller_name,
            message,
            status: ResellerInvitationStatus::Pending,
            token_hash: token_hash(&token),
            created_at: now,
            created_by: p.key(),
            expires_at: now.plus_millis(INVITATION_MS),
            accepted_by_organization_id: None,
            relationship_id: None,
            decided_at: None,
            version: 1,
        };
        let link = format!(
            "{}/invitations/reseller?token={token}",
            self.config().public_url
        );
        let greeting = row
            .reseller_name
            .clone()
            .map(|n| format!("Hello {n},"))
            .unwrap_or_else(|| "Hello,".into());
        let text = format!(
            "{greeting}\n\n{} invites you to work with them as your indirect provider: they would place orders and add \
             subscriptions for your customers, and get admin access to your tenant.{}\n\nReview and authorise the \
             invitation here (it works once and expires in 14 days):\n\n{link}\n",
            p.organization.name,
            row.message
                .as_ref()
                .map(|m| format!("\n\nTheir message:\n{m}"))
                .unwrap_or_default()
        );
        let mail = OutgoingMail {
            to: vec![row.email.clone()],
            subject: format!("{} invites you as indirect reseller", p.organization.name),
            text,
            html: None,
            template: "reseller_invitation".into(),
            link: Some(link),
        };
        let mut tx = self.db().begin().await?;
        connections::insert_invitation(&mut tx, &row).await?;
        mail::enqueue(&mut tx, &mail, now).await?;
        let view = self.invitation_view(&row);
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "invitation",
                Some(row.id.clone()),
                "createResellerInvitation",
            )
            .after(&view),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/resellerinvitations`.
    pub async fn list_invitations(
        &self,
        p: &Principal,
        status: Option<String>,
        email: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<ResellerInvitation>> {
        p.require(Action::ManageResellerInvitations)?;
        let status = status_in(
            "/query/status",
            status.as_deref(),
            ResellerInvitationStatus::ALL,
        )?;
        let now = self.now();
        let start = paging::start(page, &format!("{status:?}{email:?}"), now)?;
        let q = InvitationQuery {
            provider_organization_id: p.organization.id.clone(),
            status,
            email,
            now,
        };
        let mut conn = self.db().conn().await?;
        let rows = connections::list_invitations(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| self.invitation_view(&r),
        ))
    }

    async fn own_invitation(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &ResellerInvitationId,
    ) -> AppResult<InvitationRow> {
        let i = connections::get_invitation(conn, id)
            .await?
            .filter(|i| i.provider_organization_id == p.organization.id)
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageResellerInvitations)?;
        Ok(i)
    }

    /// `GET /v1/resellerinvitations/{id}`.
    pub async fn get_invitation(
        &self,
        p: &Principal,
        id: &ResellerInvitationId,
    ) -> AppResult<ResellerInvitation> {
        let mut conn = self.db().conn().await?;
        Ok(self.invitation_view(&self.own_invitation(&mut conn, p, id).await?))
    }

    /// `DELETE /v1/resellerinvitations/{id}`: the link answers 410 from now on.
    pub async fn revoke_invitation(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ResellerInvitationId,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let i = self.own_invitation(&mut tx, p, id).await?;
        let status = self.invitation_view(&i).status;
        if status != ResellerInvitationStatus::Pending {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!("the invitation is {status}; only pending invitations can be revoked"),
            ));
        }
        if !connections::decide_invitation(
            &mut tx,
            &i,
            ResellerInvitationStatus::Revoked,
            None,
            None,
            self.now(),
        )
        .await?
        {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the invitation was answered meanwhile",
            ));
        }
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "invitation",
                Some(i.id.clone()),
                "revokeResellerInvitation",
            ),
            vec![],
        )
        .await?;
        Ok(())
    }

    async fn invitation_for_token(&self, conn: &mut Conn, token: &str) -> AppResult<InvitationRow> {
        connections::invitation_by_token(conn, &token_hash(token))
            .await?
            .ok_or_else(|| AppError::token_invalid("this invitation link is not valid"))
    }

    /// `POST /v1/resellerinvitations/resolve` (public; the token is the secret).
    pub async fn resolve_invitation(
        &self,
        ctx: &Ctx,
        token: AppResult<String>,
    ) -> AppResult<ResolvedInvitation> {
        self.limit_public(ctx)?;
        let token = token?;
        self.limit_target(&format!("token:{}", token_hash(&token)))?;
        let mut conn = self.db().conn().await?;
        let i = self.invitation_for_token(&mut conn, &token).await?;
        let view = self.invitation_view(&i);
        if view.status != ResellerInvitationStatus::Pending {
            return Err(token_error(view.status));
        }
        let provider = organizations::get(&mut conn, &i.provider_organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        let families = providers::get(&mut conn, &provider.id)
            .await?
            .map(|a| {
                a.product_families
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(ResolvedInvitation {
            provider_name: provider.name,
            provider_country: provider.country,
            product_families: families,
            invited_email: mask(&i.email),
            expires_at: view.expires_at,
            status: view.status,
        })
    }

    /// The invitation page's answer: accepting or declining the invitation of
    /// `token`.
    pub async fn answer_invitation(
        &self,
        p: &Principal,
        ctx: &Ctx,
        token: String,
        answer: InvitationAnswer,
    ) -> AppResult<InvitationAnswered> {
        match answer {
            InvitationAnswer::Accept { consent } => self
                .accept_invitation(p, ctx, Ok((token, consent)))
                .await
                .map(|r| InvitationAnswered::Accepted(Box::new(r))),
            InvitationAnswer::Decline => self
                .decline_invitation(p, ctx, Ok((token, None)))
                .await
                .map(|()| InvitationAnswered::Declined),
        }
    }

    /// `POST /v1/resellerinvitations/accept`: a reseller's global admin, in person,
    /// with explicit consent.
    pub async fn accept_invitation(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<(String, bool)>,
    ) -> AppResult<Relationship> {
        p.require(Action::AcceptProviderInvitation)?;
        let (token, consent) = input?;
        let mut tx = self.db().begin().await?;
        let i = self.invitation_for_token(&mut tx, &token).await?;
        let status = self.invitation_view(&i).status;
        if status != ResellerInvitationStatus::Pending {
            return Err(token_error(status));
        }
        if i.provider_organization_id == p.organization.id {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                "an organisation cannot accept its own invitation",
            ));
        }
        let authorization = providers::get(&mut tx, &i.provider_organization_id).await?;
        let country_ok = authorization
            .as_ref()
            .is_some_and(|a| a.countries.split(',').any(|c| c == p.organization.country));
        if !country_ok {
            return Err(AppError::forbidden(
                Refusal::ProviderNotAuthorized,
                format!(
                    "this provider is not authorised as indirect provider for {}, your country",
                    p.organization.country
                ),
            ));
        }
        if !consent {
            return Err(AppError::field(FieldError::new(
                "/consent/authorizeIndirectProvider",
                "consent_required",
                "tick the box to authorise the provider: it may place orders and add subscriptions for your customers and gets admin access to your tenant",
            )));
        }
        let now = self.now();
        let row = RelationshipRow {
            id: ResellerRelationshipId::generate(),
            provider_organization_id: i.provider_organization_id.clone(),
            reseller_organization_id: p.organization.id.clone(),
            state: ResellerRelationshipStatus::Active,
            created_at: now,
            terminated_at: None,
            terminated_by_organization_id: None,
            terminated_by_user_id: None,
            version: 1,
        };
        match connections::insert_relationship(&mut tx, &row).await {
            Err(e) if e.is_unique("partner_relationships_active_pair") => {
                return Err(AppError::conflict(
                    Conflict::RelationshipExists,
                    "you work with this provider already",
                ));
            }
            other => other?,
        }
        if !connections::decide_invitation(
            &mut tx,
            &i,
            ResellerInvitationStatus::Accepted,
            Some(&p.organization.id),
            Some(&row.id),
            now,
        )
        .await?
        {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this invitation was answered already",
            ));
        }
        let link = format!("{}/partners/resellers", self.config().public_url);
        self.mail_organization(&mut tx, &i.provider_organization_id, Some(&i.created_by), Notice { template: "invitation_accepted", subject: &format!("{} accepted your invitation", p.organization.name), text: format!("{} authorised you as indirect provider. They are on your Indirect resellers page now.", p.organization.name), link })
        .await?;
        let view = self
            .relationship_view(&mut tx, &p.organization.id, &row)
            .await?;
        let entry = Entry::new(Actor::Principal(p), "relationship", Some(row.id.clone()), "acceptResellerInvitation")
            .participant(&i.provider_organization_id)
            .after(serde_json::json!({"invitationId": i.id, "providerOrganizationId": i.provider_organization_id}));
        let pair = vec![
            row.provider_organization_id.as_str(),
            row.reseller_organization_id.as_str(),
        ];
        let created = Event {
            event_type: "relationship.created",
            resource_type: "relationship",
            resource_id: &row.id,
            resource_url: crate::urls::relationship(&row.id),
            participants: pair.clone(),
        };
        let accepted = Event {
            event_type: "invitation.accepted",
            resource_type: "invitation",
            resource_id: &i.id,
            resource_url: crate::urls::reseller_invitation(&i.id),
            participants: pair,
        };
        let raised = vec![created.with(&view), accepted.with(&view)];
        self.commit_change(tx, ctx, self.now(), entry, raised)
            .await?;
        Ok(view)
    }

    /// `POST /v1/resellerinvitations/decline`.
    pub async fn decline_invitation(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<(String, Option<String>)>,
    ) -> AppResult<()> {
        p.require(Action::AcceptProviderInvitation)?;
        let (token, reason) = input?;
        let mut tx = self.db().begin().await?;
        let i = self.invitation_for_token(&mut tx, &token).await?;
        let status = self.invitation_view(&i).status;
        if status != ResellerInvitationStatus::Pending {
            return Err(token_error(status));
        }
        let reason = reason
            .map(|r| long_text("/reason", &r, 2000))
            .transpose()?
            .flatten();
        if !connections::decide_invitation(
            &mut tx,
            &i,
            ResellerInvitationStatus::Declined,
            Some(&p.organization.id),
            None,
            self.now(),
        )
        .await?
        {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this invitation was answered already",
            ));
        }
        self.mail_organization(
            &mut tx,
            &i.provider_organization_id,
            Some(&i.created_by),
            Notice {
                template: "invitation_declined",
                subject: &format!("{} declined your invitation", p.organization.name),
                text: format!(
                    "{} declined your invitation.{}",
                    p.organization.name,
                    reason
                        .as_ref()
                        .map(|r| format!(" Their reason: {r}"))
                        .unwrap_or_default()
                ),
                link: format!("{}/partners/resellers", self.config().public_url),
            },
        )
        .await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "invitation",
            Some(i.id.clone()),
            "declineResellerInvitation",
        )
        .participant(&i.provider_organization_id);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                Event {
                    event_type: "invitation.declined",
                    resource_type: "invitation",
                    resource_id: &i.id,
                    resource_url: crate::urls::reseller_invitation(&i.id),
                    participants: vec![&i.provider_organization_id],
                }
                .with(&self.invitation_view(&i)),
            ],
        )
        .await?;
        Ok(())
    }

    /// `GET /v1/relationships`.
    pub async fn list_relationships(
        &self,
        p: &Principal,
        f: &RelationshipFilters,
        page: &PageParams,
    ) -> AppResult<Page<Relationship>> {
        p.require(Action::ReadRelationships)?;
        let as_provider = match f.relationship_type.as_deref() {
            None => None,
            Some(AS_PROVIDER) => Some(true),
            Some(AS_RESELLER) => Some(false),
            Some(_) => {
                return Err(FieldError::invalid(
                    "/query/relationshipType",
                    format!("must be {AS_PROVIDER} or {AS_RESELLER}"),
                )
                .into());
            }
        };
        let state = match f.state.as_deref() {
            None | Some("active") => Some(ResellerRelationshipStatus::Active),
            Some("terminated") => Some(ResellerRelationshipStatus::Terminated),
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
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = RelationshipQuery {
            organization_id: p.organization.id.clone(),
            as_provider,
            state,
            name: f.name.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = connections::list_relationships(&mut conn, &q, &start.request).await?;
        let page = start.finish(rows, now, |r| (r.created_at, r.id.to_string()), |r| r);
        let mut items = Vec::with_capacity(page.items.len());
        for r in &page.items {
            items.push(
                self.relationship_view(&mut conn, &p.organization.id, r)
                    .await?,
            );
        }
        Ok(Page {
            total_count: page.total_count,
            items,
            continuation_token: page.continuation_token,
        })
    }

    pub(crate) async fn visible_relationship(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &ResellerRelationshipId,
    ) -> AppResult<RelationshipRow> {
        connections::get_relationship(conn, id)
            .await?
            .filter(|r| {
                r.provider_organization_id == p.organization.id
                    || r.reseller_organization_id == p.organization.id
            })
            .ok_or_else(AppError::not_found)
    }

    /// `GET /v1/relationships/{id}`.
    pub async fn get_relationship(
        &self,
        p: &Principal,
        id: &ResellerRelationshipId,
    ) -> AppResult<Relationship> {
        let mut conn = self.db().conn().await?;
        let r = self.visible_relationship(&mut conn, p, id).await?;
        p.require(Action::ReadRelationships)?;
        self.relationship_view(&mut conn, &p.organization.id, &r)
            .await
    }

    /// `POST /v1/relationships/{id}/terminate`: a global admin of either side.
    pub async fn terminate_relationship(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ResellerRelationshipId,
        reason: AppResult<Option<String>>,
    ) -> AppResult<Relationship> {
        let mut tx = self.db().begin().await?;
        let mut r = self.visible_relationship(&mut tx, p, id).await?;
        p.require(Action::EndPartnerRelationship)?;
        let reason = reason?
            .map(|x| long_text("/reason", &x, 2000))
            .transpose()?
            .flatten();
        if r.state != ResellerRelationshipStatus::Active {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the relationship has ended already",
            ));
        }
        let now = self.now();
        let by_user = p.user.as_ref().map(|u| u.id.clone());
        if !connections::terminate_relationship(
            &mut tx,
            &r,
            &p.organization.id,
            by_user.as_deref(),
            now,
        )
        .await?
        {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the relationship has ended already",
            ));
        }
        self.clear_credit_limit(&mut tx, &r.id).await?;
        r.state = r.state.terminate()?;
        r.terminated_at = Some(now);
        r.terminated_by_organization_id = Some(p.organization.id.clone());
        r.terminated_by_user_id = by_user;
        r.version += 1;
        let other = if r.provider_organization_id == p.organization.id {
            r.reseller_organization_id.clone()
        } else {
            r.provider_organization_id.clone()
        };
        let text = format!(
            "{} ended the indirect provider relationship.{} Existing subscriptions continue unchanged; new orders through this relationship are no longer possible.",
            p.organization.name,
            reason
                .as_ref()
                .map(|x| format!(" Reason: {x}."))
                .unwrap_or_default()
        );
        for org in [
            r.provider_organization_id.clone(),
            r.reseller_organization_id.clone(),
        ] {
            self.mail_organization(
                &mut tx,
                &org,
                None,
                Notice {
                    template: "relationship_terminated",
                    subject: "An indirect provider relationship ended",
                    text: text.clone(),
                    link: format!("{}/", self.config().public_url),
                },
            )
            .await?;
        }
        let view = self
            .relationship_view(&mut tx, &p.organization.id, &r)
            .await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "relationship",
            Some(r.id.clone()),
            "terminateRelationship",
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
                    event_type: "relationship.terminated",
                    resource_type: "relationship",
                    resource_id: &r.id,
                    resource_url: crate::urls::relationship(&r.id),
                    participants: vec![&r.provider_organization_id, &r.reseller_organization_id],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invited_addresses_are_masked() {
        assert_eq!(mask("rita@reseller.example"), "r***@reseller.example");
    }
}
