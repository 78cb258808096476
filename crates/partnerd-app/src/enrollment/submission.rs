//! The applicant hands the enrollment in, or takes it back: submitting sends it to
//! verification or review (an existing partner is approved at once); withdrawing
//! ends it.

use partnerd_domain::FieldError;
use partnerd_domain::ids::{EnrollmentId, UserId};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::enrollment::{self, EnrollmentRow};
use partnerd_store::{Conn, organizations};

use super::Enrollment;
use super::record::invalid_state;
use super::review::decision;
use crate::audit::{Actor, Entry};
use crate::error::Refusal;
use crate::mail::{self, OutgoingMail};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};

/// What the existing partner's shortcut did.
#[derive(Debug, Clone)]
pub enum ExistingPartnerSubmit {
    Submitted(Box<Enrollment>),
    /// The support profile is invalid; nothing was submitted.
    Invalid(AppError),
}

impl App {
    /// The portal's shortcut for an existing partner: the support profile of the
    /// current enrollment, then its submission.
    pub async fn submit_as_existing_partner(
        &self,
        p: &Principal,
        ctx: &Ctx,
        support: super::SupportProfile,
    ) -> AppResult<ExistingPartnerSubmit> {
        let e = self.enrollment_to_continue(p).await?;
        match self
            .put_support_profile(p, ctx, &e.id, None, Ok(support))
            .await
        {
            Ok(_) => Ok(ExistingPartnerSubmit::Submitted(Box::new(
                self.submit_enrollment(p, ctx, &e.id).await?,
            ))),
            Err(error @ AppError::Validation(_)) => Ok(ExistingPartnerSubmit::Invalid(error)),
            Err(error) => Err(error),
        }
    }

    /// The portal's Enroll now: submits the caller's current enrollment.
    pub async fn submit_current_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
    ) -> AppResult<Enrollment> {
        let e = self.enrollment_to_continue(p).await?;
        self.submit_enrollment(p, ctx, &e.id).await
    }

    /// The portal's Withdraw: withdraws the caller's current enrollment.
    pub async fn withdraw_current_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
    ) -> AppResult<Enrollment> {
        let e = self.enrollment_to_continue(p).await?;
        self.withdraw_enrollment(p, ctx, &e.id).await
    }

    /// `POST /v1/enrollments/{id}/submit` (a person, not an API key).
    pub async fn submit_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        if !matches!(p.credential, Credential::Session { .. }) {
            return Err(AppError::forbidden(
                Refusal::UserSessionRequired,
                "a person must submit the enrollment",
            ));
        }
        if !e.status.is_editable() {
            return Err(invalid_state(e.status, "it cannot be submitted"));
        }
        let by = Self::actor_id(p);
        let now = self.now();
        if e.existing_partner {
            self.approve_existing_partner(&mut tx, &mut e, &by, now)
                .await?;
        } else {
            self.submit_for_review(&mut tx, &mut e, &by, now).await?;
        }
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "submitEnrollment",
            )
            .after(serde_json::json!({"status": e.status})),
            vec![
                crate::events::Event {
                    event_type: "enrollment.submitted",
                    resource_type: "enrollment",
                    resource_id: &e.id,
                    resource_url: crate::urls::enrollment(&e.id),
                    participants: vec![e.organization_id.as_str()],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// The existing partner's shortcut: with the support profile in place, the
    /// organisation becomes an indirect reseller at once, and its global admins hear so.
    async fn approve_existing_partner(
        &self,
        conn: &mut Conn,
        e: &mut EnrollmentRow,
        by: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        if e.support_profile.is_none() {
            return Err(AppError::validation(vec![FieldError::invalid(
                "/supportProfile",
                "add the support profile first",
            )]));
        }
        e.submitted_at = Some(now);
        self.push_history(e, EnrollmentStatus::Approved, by)?;
        e.decision = decision(now, "system".into(), Some("existing partner".into()));
        crate::error::written(enrollment::update(conn, e).await?)?;
        self.grant_reseller(conn, e, &UserId::from_raw(by)).await?;
        let to = organizations::global_admin_emails(conn, &e.organization_id).await?;
        let link = format!("{}/", self.config().public_url);
        let mail = OutgoingMail {
            to,
            subject: "Your organisation is now an indirect reseller".into(),
            text: format!(
                "Your organisation was approved as an indirect reseller at once, as an existing partner.\n\n{link}\n"
            ),
            html: None,
            template: "enrollment_approved".into(),
            link: Some(link),
        };
        mail::enqueue(conn, &mail, now).await?;
        Ok(())
    }

    /// A complete enrollment goes to the vendor's review, or first waits for the
    /// primary contact to confirm their address; the people enrolling hear which.
    async fn submit_for_review(
        &self,
        conn: &mut Conn,
        e: &mut EnrollmentRow,
        by: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        require_sections(e)?;
        e.submitted_at = Some(now);
        let next = if e.primary_contact_verified {
            EnrollmentStatus::PendingReview
        } else {
            EnrollmentStatus::PendingVerification
        };
        self.push_history(e, next, by)?;
        e.decision = None;
        crate::error::written(enrollment::update(conn, e).await?)?;
        organizations::set_enrollment_status(conn, &e.organization_id, next, now).await?;
        let text = if next == EnrollmentStatus::PendingVerification {
            "We received your enrollment as an indirect reseller. The primary contact must confirm their e-mail address with the link we sent; then the vendor reviews it, which can take a few days."
        } else {
            "We received your enrollment as an indirect reseller. The vendor reviews it next, which can take a few days; we will write when it is decided."
        };
        self.enrollment_mail(
            conn,
            e,
            "enrollment_submitted",
            "We received your enrollment",
            text.into(),
        )
        .await?;
        Ok(())
    }

    /// `POST /v1/enrollments/{id}/withdraw`.
    pub async fn withdraw_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        if e.status.is_terminal() {
            return Err(invalid_state(e.status, "it cannot be withdrawn"));
        }
        self.push_history(&mut e, EnrollmentStatus::Withdrawn, &Self::actor_id(p))?;
        crate::error::written(enrollment::update(&mut tx, &e).await?)?;
        enrollment::invalidate_verifications(&mut tx, &e.id, self.now()).await?;
        organizations::set_enrollment_status(
            &mut tx,
            &e.organization_id,
            EnrollmentStatus::Withdrawn,
            self.now(),
        )
        .await?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "withdrawEnrollment",
            ),
            vec![],
        )
        .await?;
        Ok(view)
    }
}

/// A full enrollment has its membership ID, legal profile and support profile;
/// the error names each one missing.
fn require_sections(e: &EnrollmentRow) -> AppResult<()> {
    let mut missing = Vec::new();
    if e.membership_id.is_none() {
        missing.push(FieldError::invalid(
            "/membership",
            "link your membership ID first",
        ));
    }
    if e.legal_profile.is_none() {
        missing.push(FieldError::invalid(
            "/legalProfile",
            "add the legal business profile first",
        ));
    }
    if e.support_profile.is_none() {
        missing.push(FieldError::invalid(
            "/supportProfile",
            "add the support profile first",
        ));
    }
    if !missing.is_empty() {
        return Err(AppError::validation(missing));
    }
    Ok(())
}
