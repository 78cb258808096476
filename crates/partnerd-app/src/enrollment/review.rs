//! The operator's review: the queue of enrollments, approving one (the
//! organisation becomes an indirect reseller) and rejecting one with a reason.

use partnerd_domain::ids::{EnrollmentId, UserId};
use partnerd_domain::names::{country, long_text};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{Program, Role};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{FieldError, Roles};
use partnerd_store::enrollment::{self, EnrollmentQuery, EnrollmentRow};
use partnerd_store::{Conn, Tx, organizations, registry, users};

use super::record::{creator, invalid_state};
use super::{Decision, Enrollment, LegalProfile};
use crate::audit::{Actor, Entry};
use crate::error::Conflict;
use crate::filters::status_in;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What the operator's rejection form did.
#[derive(Debug, Clone)]
pub enum EnrollmentRejection {
    Rejected(Enrollment),
    /// The reason is invalid; nothing changed. `enrollment` is shown again.
    Invalid {
        error: AppError,
        enrollment: Enrollment,
    },
}

/// Filters of the review queue.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentFilters {
    pub status: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
}

impl App {
    /// `GET /v1/enrollments`: the review queue, oldest first.
    pub async fn list_enrollments(
        &self,
        p: &Principal,
        f: &EnrollmentFilters,
        page: &PageParams,
    ) -> AppResult<Page<Enrollment>> {
        p.require(Action::ReviewEnrollments)?;
        let status = status_in("/query/status", f.status.as_deref(), EnrollmentStatus::ALL)?;
        if let Some(c) = &f.country {
            country("/query/country", c)?;
        }
        let now = self.now();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = EnrollmentQuery {
            status,
            country: f.country.clone(),
            q: f.q.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = enrollment::list(&mut conn, &q, &start.request).await?;
        let mut memberships = Vec::new();
        for r in &rows.rows {
            memberships.push(match &r.membership_id {
                Some(m) => registry::get_membership(&mut conn, m).await?,
                None => None,
            });
        }
        let mut ms = memberships.into_iter();
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| self.enrollment_view(&r, ms.next().flatten().as_ref()),
        ))
    }

    /// `POST /v1/enrollments/{id}/approve`: one transaction.
    pub async fn approve_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        note: AppResult<Option<String>>,
    ) -> AppResult<Enrollment> {
        p.require(Action::ReviewEnrollments)?;
        let mut tx = self.db().begin().await?;
        let mut e = enrollment::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let note = note?;
        if e.status != EnrollmentStatus::PendingReview {
            return Err(invalid_state(
                e.status,
                "only enrollments pending review can be approved",
            ));
        }
        let note = note
            .map(|n| long_text("/note", &n, 2000))
            .transpose()?
            .flatten();
        let now = self.now();
        self.push_history(&mut e, EnrollmentStatus::Approved, &Self::actor_id(p))?;
        e.decision = decision(now, Self::actor_id(p), note);
        crate::error::written_state(enrollment::update(&mut tx, &e).await?)?;
        self.grant_reseller(&mut tx, &e, &creator(&e)).await?;
        self.enrollment_mail(
            &mut tx,
            &e,
            "enrollment_approved",
            "Your enrollment was approved",
            "Your organisation is now an indirect reseller. The person who enrolled is Global admin and Admin agent; check it under Account settings > User management.".into(),
        )
        .await?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "enrollment",
            Some(e.id.clone()),
            "approveEnrollment",
        )
        .participant(&e.organization_id);
        self.commit_decision(tx, ctx, now, entry, "enrollment.approved", &view)
            .await?;
        Ok(view)
    }

    /// The review page's rejection form: rejected, or the enrollment again with
    /// what is wrong with the reason.
    pub async fn reject_from_review(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        reason: String,
    ) -> AppResult<EnrollmentRejection> {
        match self.reject_enrollment(p, ctx, id, Ok(reason)).await {
            Ok(e) => Ok(EnrollmentRejection::Rejected(e)),
            Err(error @ AppError::Validation(_)) => {
                let enrollment = self.get_enrollment(p, id).await?;
                Ok(EnrollmentRejection::Invalid { error, enrollment })
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/enrollments/{id}/reject` (a reason is required).
    pub async fn reject_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        reason: AppResult<String>,
    ) -> AppResult<Enrollment> {
        p.require(Action::ReviewEnrollments)?;
        let mut tx = self.db().begin().await?;
        let mut e = enrollment::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let reason = reason?;
        let reason = long_text("/reason", &reason, 2000)?.ok_or_else(|| {
            AppError::field(FieldError::invalid(
                "/reason",
                "say why, so the applicant can fix it",
            ))
        })?;
        if e.status != EnrollmentStatus::PendingReview {
            return Err(invalid_state(
                e.status,
                "only enrollments pending review can be rejected",
            ));
        }
        let now = self.now();
        self.push_history(&mut e, EnrollmentStatus::Rejected, &Self::actor_id(p))?;
        e.decision = decision(now, Self::actor_id(p), Some(reason.clone()));
        crate::error::written_state(enrollment::update(&mut tx, &e).await?)?;
        organizations::set_enrollment_status(
            &mut tx,
            &e.organization_id,
            EnrollmentStatus::Rejected,
            now,
        )
        .await?;
        self.enrollment_mail(
            &mut tx,
            &e,
            "enrollment_rejected",
            "Your enrollment needs changes",
            format!("The vendor could not approve your enrollment yet. The reason:\n\n{reason}\n\nYou can correct your details and submit it again."),
        )
        .await?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "enrollment",
            Some(e.id.clone()),
            "rejectEnrollment",
        )
        .participant(&e.organization_id)
        .after(serde_json::json!({"reason": reason}));
        self.commit_decision(tx, ctx, now, entry, "enrollment.rejected", &view)
            .await?;
        Ok(view)
    }

    /// Writes the decision's audit record and its event to the enrolling
    /// organisation, then commits.
    async fn commit_decision(
        &self,
        tx: Tx,
        ctx: &Ctx,
        now: Timestamp,
        entry: Entry<'_>,
        event_type: &str,
        view: &Enrollment,
    ) -> AppResult<()> {
        let decided = crate::events::Event {
            event_type,
            resource_type: "enrollment",
            resource_id: &view.id,
            resource_url: crate::urls::enrollment(&view.id),
            participants: vec![view.organization_id.as_str()],
        };
        self.commit_change(tx, ctx, now, entry, vec![decided.with(view)])
            .await
    }

    /// Makes the organisation an indirect reseller: programme, partner kind,
    /// membership, legal name; the enrolling user becomes Admin agent.
    pub(super) async fn grant_reseller(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        user_id: &UserId,
    ) -> AppResult<()> {
        let now = self.now();
        let org = organizations::get(conn, &e.organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        if let Some(m) = &e.membership_id {
            let linked = registry::link_membership(conn, m, &org.id, now).await?;
            let mine = registry::get_membership(conn, m)
                .await?
                .and_then(|m| m.linked_organization_id)
                .is_some_and(|o| o == org.id);
            if !linked && !mine {
                return Err(AppError::conflict(
                    Conflict::MembershipAlreadyLinked,
                    "the membership ID was linked to another organisation meanwhile",
                ));
            }
        }
        let mut programs = org.programs.clone();
        if !programs.contains(&Program::IndirectReseller) {
            programs.push(Program::IndirectReseller);
        }
        let legal: Option<LegalProfile> = e
            .legal_profile
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok());
        organizations::become_partner(
            conn,
            &org.id,
            legal.as_ref().map(|l| l.legal_name.as_str()),
            e.membership_id.as_deref(),
            &programs,
            now,
        )
        .await?;
        if let Some(mut u) = users::get(conn, user_id)
            .await?
            .filter(|u| u.organization_id == org.id)
        {
            let mut roles: Vec<Role> = u.roles.clone().iter().filter(|r| !r.is_agent()).collect();
            roles.push(Role::AdminAgent);
            u.roles = Roles::new(roles);
            crate::error::written(users::update(conn, &u, now).await?)?;
        }
        Ok(())
    }
}

/// The decision as the enrollment stores it: when, by whom, and why.
pub(super) fn decision(
    now: Timestamp,
    decided_by: String,
    reason: Option<String>,
) -> Option<String> {
    serde_json::to_string(&Decision {
        decided_at: now,
        decided_by,
        reason,
    })
    .ok()
}
