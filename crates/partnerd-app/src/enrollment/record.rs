//! Reading an enrollment (the caller's current one, or one by id), and what every
//! step does with one: loading an enrollment the caller may see or change, moving it
//! along its history, showing it as the API does, and mailing the people enrolling.

use partnerd_domain::ids::{EnrollmentId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::states::EnrollmentStatus;
use partnerd_store::enrollment::{self, EnrollmentRow};
use partnerd_store::{Conn, organizations, registry, users};

use super::{Enrollment, EnrollmentMembership, HistoryEntry};
use crate::crypto::etag;
use crate::error::Conflict;
use crate::mail::{self, OutgoingMail};
use crate::{App, AppError, AppResult, Principal};

/// 409 `invalid_state`: the enrollment is in `status`, and `what` says what that rules out.
pub(super) fn invalid_state(status: EnrollmentStatus, what: &str) -> AppError {
    AppError::conflict(
        Conflict::InvalidState,
        format!("the enrollment is {status}; {what}"),
    )
}

impl App {
    /// `GET /v1/enrollments/current`: global and user-management admins.
    pub async fn current_enrollment(&self, p: &Principal) -> AppResult<Enrollment> {
        if !p.may(Action::ManageEnrollment) {
            p.require(Action::ManageUsers)?;
        }
        let mut conn = self.db().conn().await?;
        let e = enrollment::latest_for(&mut conn, &p.organization.id)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.view_of(&mut conn, &e).await
    }

    /// The caller's current enrollment for a step of the portal's journey; 404
    /// "start your enrollment first" when there is none.
    pub(crate) async fn enrollment_to_continue(&self, p: &Principal) -> AppResult<Enrollment> {
        match self.current_enrollment(p).await {
            Err(AppError::NotFound(_) | AppError::TokenInvalid(_)) => {
                Err(AppError::not_found().with_detail("start your enrollment first"))
            }
            other => other,
        }
    }

    /// `GET /v1/enrollments/{id}`.
    pub async fn get_enrollment(&self, p: &Principal, id: &EnrollmentId) -> AppResult<Enrollment> {
        let mut conn = self.db().conn().await?;
        let e = self.visible_enrollment(&mut conn, p, id).await?;
        if e.organization_id == p.organization.id {
            if !p.may(Action::ManageEnrollment) {
                p.require(Action::ManageUsers)?;
            }
        } else {
            p.require(Action::ReviewEnrollments)?;
        }
        self.view_of(&mut conn, &e).await
    }

    /// The enrollment as the API shows it, with the membership it links.
    pub(super) fn enrollment_view(
        &self,
        e: &EnrollmentRow,
        membership: Option<&registry::MembershipRow>,
    ) -> Enrollment {
        Enrollment {
            id: e.id.clone(),
            organization_id: e.organization_id.clone(),
            status: e.status,
            existing_partner: e.existing_partner,
            membership: membership.map(|m| EnrollmentMembership {
                membership_id: m.membership_id.clone(),
                legal_name: m.legal_name.clone(),
                country: m.country.clone(),
            }),
            legal_profile: e
                .legal_profile
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            support_profile: e
                .support_profile
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            primary_contact_verified: e.primary_contact_verified,
            submitted_at: e.submitted_at,
            decision: e
                .decision
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            history: serde_json::from_str(&e.history).unwrap_or_default(),
            created_at: e.created_at,
            etag: etag(&e.id, e.version),
        }
    }

    /// The enrollment as the API shows it, loading the membership it links.
    pub(super) async fn view_of(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
    ) -> AppResult<Enrollment> {
        let m = match &e.membership_id {
            Some(id) => registry::get_membership(conn, id).await?,
            None => None,
        };
        Ok(self.enrollment_view(e, m.as_ref()))
    }

    /// Moves the enrollment to `status` (refused when the domain does not allow the
    /// move) and records the step in its history.
    pub(super) fn push_history(
        &self,
        e: &mut EnrollmentRow,
        status: EnrollmentStatus,
        by: &str,
    ) -> AppResult<()> {
        e.status = e.status.move_to(status)?;
        self.record_history(e, by);
        Ok(())
    }

    /// Adds the enrollment's current status to its history.
    pub(super) fn record_history(&self, e: &mut EnrollmentRow, by: &str) {
        let mut h: Vec<HistoryEntry> = serde_json::from_str(&e.history).unwrap_or_default();
        h.push(HistoryEntry {
            status: e.status,
            at: self.now(),
            by: by.into(),
        });
        e.history = serde_json::to_string(&h).unwrap_or_else(|_| "[]".into());
        e.updated_at = self.now();
    }

    /// Who acted, as the enrollment's history and decision name them.
    pub(super) fn actor_id(p: &Principal) -> String {
        p.key()
    }

    /// Loads an enrollment the caller may see: its own organisation's (GA), or any
    /// for the operator's reviewers.
    async fn visible_enrollment(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &EnrollmentId,
    ) -> AppResult<EnrollmentRow> {
        let e = enrollment::get(conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if e.organization_id != p.organization.id && !p.may(Action::ReviewEnrollments) {
            return Err(AppError::not_found());
        }
        Ok(e)
    }

    /// An enrollment of the caller's organisation that its GA may change.
    pub(super) async fn own_enrollment_for_change(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &EnrollmentId,
    ) -> AppResult<EnrollmentRow> {
        let e = enrollment::get(conn, id)
            .await?
            .filter(|e| e.organization_id == p.organization.id)
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageEnrollment)?;
        Ok(e)
    }

    /// Mails the people enrolling (the primary contact and whoever started the
    /// enrollment, else the organisation's global admins) about where it stands.
    pub(super) async fn enrollment_mail(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        template: &str,
        subject: &str,
        text: String,
    ) -> AppResult<()> {
        let mut to: Vec<String> = Vec::new();
        if let Some(c) = &e.primary_contact_email {
            to.push(c.clone());
        }
        if let Some(u) = users::get(conn, &creator(e)).await?
            && !to.iter().any(|t| t.eq_ignore_ascii_case(&u.email))
        {
            to.push(u.email);
        }
        if to.is_empty() {
            to = organizations::global_admin_emails(conn, &e.organization_id).await?;
        }
        let link = format!("{}/enroll/status", self.config().public_url);
        let mail = OutgoingMail {
            to,
            subject: subject.into(),
            text: format!("{text}\n\nSee where your enrollment stands:\n{link}\n"),
            html: None,
            template: template.into(),
            link: Some(link),
        };
        mail::enqueue(conn, &mail, self.now()).await?;
        Ok(())
    }
}

/// The user who created an enrollment. `created_by` holds a user's id, or an API
/// key's, which names no user: lookups by it then find nobody, as they should.
pub(super) fn creator(e: &EnrollmentRow) -> UserId {
    UserId::from_raw(e.created_by.clone())
}
