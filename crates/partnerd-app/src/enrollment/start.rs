//! Starting an enrollment: by a signed-in organisation (perhaps as an existing
//! partner), or by someone new together with their tenant.

use partnerd_domain::FieldError;
use partnerd_domain::ids::{EnrollmentId, OrgId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::enrollment::{self, EnrollmentRow};
use partnerd_store::organizations::OrganizationRow;
use partnerd_store::users::UserRow;
use partnerd_store::{Conn, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Enrollment, SessionToken, TenantInput};
use crate::audit::{Actor, Entry};
use crate::error::Conflict;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// `POST /v1/enrollments`.
#[derive(Debug, Clone, Default)]
pub struct StartEnrollmentInput {
    pub existing_partner: bool,
    pub new_tenant: Option<TenantInput>,
}

/// An enrollment started, with a session when the tenant was created with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedEnrollment {
    #[serde(flatten)]
    pub enrollment: Enrollment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionToken>,
}

/// The organisation that enrolls and who starts it for them.
struct Applicant {
    organization_id: OrgId,
    country: String,
    /// Who the enrollment's history names as having started it.
    by: String,
    existing_partner: bool,
    /// The tenant to create along with the enrollment, and its global admin.
    new_tenant: Option<(OrganizationRow, UserRow)>,
}

impl App {
    /// `POST /v1/enrollments`, signed in or (with `newTenant`) not.
    pub async fn start_enrollment(
        &self,
        p: Option<&Principal>,
        ctx: &Ctx,
        input: AppResult<StartEnrollmentInput>,
    ) -> AppResult<StartedEnrollment> {
        let applicant = match p {
            Some(p) => Self::signed_in_applicant(p, input)?,
            None => self.new_tenant_applicant(ctx, input).await?,
        };
        let now = self.now();
        let row = self.draft_enrollment(&applicant, now);
        let mut tx = self.db().begin().await?;
        let mut session = None;
        if let Some((org, user)) = &applicant.new_tenant {
            session = Some(self.sign_up_for_enrollment(&mut tx, ctx, org, user).await?);
        }
        self.insert_draft(&mut tx, &row, now).await?;
        let entry = start_entry(p, &applicant, &row);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry.participant(&applicant.organization_id),
            vec![],
        )
        .await?;
        Ok(StartedEnrollment {
            enrollment: self.enrollment_view(&row, None),
            session,
        })
    }

    /// A signed-in organisation enrolls: not with a second tenant, as an existing
    /// partner only when it is one, and not when it is an indirect reseller already.
    fn signed_in_applicant(
        p: &Principal,
        input: AppResult<StartEnrollmentInput>,
    ) -> AppResult<Applicant> {
        p.require(Action::ManageEnrollment)?;
        let input = input?;
        if input.new_tenant.is_some() {
            return Err(FieldError::invalid(
                "/newTenant",
                "you already have a tenant; sign out to create another",
            )
            .into());
        }
        if input.existing_partner && p.organization.kind != OrgKind::Partner {
            return Err(AppError::conflict(
                Conflict::WrongOrganizationKind,
                "only an organisation that is already a partner can use the existing-partner shortcut",
            ));
        }
        if p.organization.programs.contains(&Program::IndirectReseller) {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                "your organisation is an indirect reseller already",
            ));
        }
        Ok(Applicant {
            organization_id: p.organization.id.clone(),
            country: p.organization.country.clone(),
            by: Self::actor_id(p),
            existing_partner: input.existing_partner,
            new_tenant: None,
        })
    }

    /// Someone not signed in enrolls with a new tenant, which is no partner yet.
    async fn new_tenant_applicant(
        &self,
        ctx: &Ctx,
        input: AppResult<StartEnrollmentInput>,
    ) -> AppResult<Applicant> {
        self.limit_public(ctx)?;
        let input = input?;
        let Some(t) = input.new_tenant else {
            return Err(AppError::unauthenticated());
        };
        if input.existing_partner {
            return Err(AppError::conflict(
                Conflict::WrongOrganizationKind,
                "a new tenant is not a partner yet",
            ));
        }
        self.limit_target(&format!("email:{}", t.admin_email.trim().to_lowercase()))?;
        let (org, user) = self.tenant_rows(&t).await?;
        Ok(Applicant {
            organization_id: org.id.clone(),
            country: org.country.clone(),
            by: user.id.to_string(),
            existing_partner: false,
            new_tenant: Some((org, user)),
        })
    }

    /// A new draft enrollment of the applicant, its first step in the history.
    fn draft_enrollment(&self, a: &Applicant, now: Timestamp) -> EnrollmentRow {
        let mut row = EnrollmentRow {
            id: EnrollmentId::generate(),
            organization_id: a.organization_id.clone(),
            status: EnrollmentStatus::Draft,
            existing_partner: a.existing_partner,
            membership_id: None,
            legal_profile: None,
            support_profile: None,
            primary_contact_email: None,
            primary_contact_verified: false,
            country: a.country.clone(),
            legal_name_sort: None,
            submitted_at: None,
            decision: None,
            history: "[]".into(),
            created_by: a.by.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.record_history(&mut row, &a.by);
        row
    }

    /// Creates the new tenant in the enrollment's transaction, signs its global
    /// admin in and records the sign-up.
    async fn sign_up_for_enrollment(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        org: &OrganizationRow,
        user: &UserRow,
    ) -> AppResult<SessionToken> {
        self.insert_tenant(conn, org, user).await?;
        let session = self.open_session(conn, &user.id).await?;
        let actor = Actor::Anonymous {
            email: user.email.clone(),
            user_id: Some(user.id.clone()),
            organization_id: Some(org.id.clone()),
        };
        let entry = Entry::new(actor, "organization", Some(org.id.clone()), "createTenant");
        self.record_change(conn, ctx, self.now(), entry, Vec::new())
            .await?;
        Ok(session)
    }

    /// Stores the draft and marks the organisation's enrollment a draft: an
    /// organisation has one open or approved enrollment at most.
    async fn insert_draft(
        &self,
        conn: &mut Conn,
        row: &EnrollmentRow,
        now: Timestamp,
    ) -> AppResult<()> {
        match enrollment::insert(conn, row).await {
            Err(e) if e.is_unique("enrollments_organization_id_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    "your organisation already has an open or approved enrollment",
                ));
            }
            other => other?,
        }
        organizations::set_enrollment_status(
            conn,
            &row.organization_id,
            EnrollmentStatus::Draft,
            now,
        )
        .await?;
        Ok(())
    }
}

/// The audit record of a started enrollment: by the signed-in caller, or by the new
/// tenant's global admin.
fn start_entry<'a>(p: Option<&'a Principal>, a: &Applicant, row: &EnrollmentRow) -> Entry<'a> {
    match p {
        Some(p) => Entry::new(
            Actor::Principal(p),
            "enrollment",
            Some(row.id.clone()),
            "startEnrollment",
        ),
        None => Entry::new(
            Actor::Anonymous {
                email: String::new(),
                user_id: Some(UserId::from_raw(a.by.clone())),
                organization_id: Some(a.organization_id.clone()),
            },
            "enrollment",
            Some(row.id.clone()),
            "startEnrollment",
        ),
    }
}
