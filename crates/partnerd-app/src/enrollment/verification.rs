//! Verifying the primary contact: the mail with a one-time link, sending it again,
//! and confirming the address by that link (which may move a submitted enrollment
//! on to review).

use partnerd_domain::FieldError;
use partnerd_domain::ids::EnrollmentId;
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::enrollment::{self, EnrollmentRow};
use partnerd_store::{Conn, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use super::record::invalid_state;
use crate::audit::{Actor, Entry};
use crate::crypto::{new_token, token_hash};
use crate::error::Conflict;
use crate::mail::{self, OutgoingMail};
use crate::{App, AppError, AppResult, Ctx, Principal};

const VERIFICATION_MS: i64 = 72 * Timestamp::HOUR;

/// `POST …/primarycontact/verification`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationSent {
    pub sent_to: String,
    pub expires_at: Timestamp,
}

/// `POST /v1/emailverifications/confirm`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfirmed {
    pub email: String,
    pub verified_at: Timestamp,
    #[schema(value_type = String)]
    pub enrollment_id: EnrollmentId,
}

impl App {
    /// The portal's Resend for the caller's current enrollment.
    pub async fn resend_current_verification(
        &self,
        p: &Principal,
        ctx: &Ctx,
    ) -> AppResult<VerificationSent> {
        let e = self.enrollment_to_continue(p).await?;
        self.resend_verification(p, ctx, &e.id).await
    }

    /// `POST /v1/enrollments/{id}/primarycontact/verification`: resend, at most
    /// once a minute and ten times a day.
    pub async fn resend_verification(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
    ) -> AppResult<VerificationSent> {
        let mut tx = self.db().begin().await?;
        let e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        let Some(email) = e.primary_contact_email.clone() else {
            return Err(invalid_state(
                e.status,
                "name a primary contact in the legal profile first",
            ));
        };
        if e.primary_contact_verified {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the primary contact is verified already",
            ));
        }
        if e.status.is_terminal() {
            return Err(invalid_state(e.status, "nothing is left to verify"));
        }
        let (minute, day) = enrollment::verification_counts(&mut tx, &e.id, self.now()).await?;
        if minute >= 1 {
            return Err(AppError::rate_limited(60).with_detail("a verification mail was sent less than a minute ago; check the inbox (and spam folder) first"));
        }
        if day >= 10 {
            return Err(AppError::rate_limited(3600)
                .with_detail("ten verification mails were sent today; try again tomorrow"));
        }
        let expires = self.queue_verification(&mut tx, &e, &email).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "sendVerification",
            ),
            vec![],
        )
        .await?;
        Ok(VerificationSent {
            sent_to: email,
            expires_at: expires,
        })
    }

    /// `POST /v1/emailverifications/confirm` (public; the token is the secret).
    pub async fn confirm_email(
        &self,
        ctx: &Ctx,
        token: AppResult<String>,
    ) -> AppResult<EmailConfirmed> {
        self.limit_public(ctx)?;
        let token = token?;
        if token.trim().is_empty() {
            return Err(FieldError::invalid("/token", "is required").into());
        }
        self.limit_target(&format!("token:{}", token_hash(&token)))?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let v = enrollment::get_verification(&mut tx, &token_hash(&token))
            .await?
            .ok_or_else(|| AppError::token_invalid("this verification link is not valid; use the newest mail, or ask for a new one"))?;
        if v.used_at.is_some() {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this address was confirmed with this link already",
            ));
        }
        if v.invalidated_at.is_some() || v.expires_at <= now {
            return Err(AppError::gone(
                "this link expired or was replaced by a newer one; ask for a new verification mail",
            ));
        }
        if !enrollment::use_verification(&mut tx, &token_hash(&token), now).await? {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this address was confirmed with this link already",
            ));
        }
        let mut e = enrollment::get(&mut tx, &v.enrollment_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("enrollment::get found no row where one must exist")
            })?;
        e.primary_contact_verified = true;
        if e.status == EnrollmentStatus::PendingVerification {
            self.push_history(&mut e, EnrollmentStatus::PendingReview, &v.email)?;
            organizations::set_enrollment_status(
                &mut tx,
                &e.organization_id,
                EnrollmentStatus::PendingReview,
                now,
            )
            .await?;
        }
        e.updated_at = now;
        crate::error::written(enrollment::update(&mut tx, &e).await?)?;
        let actor = Actor::Anonymous {
            email: v.email.clone(),
            user_id: None,
            organization_id: Some(e.organization_id.clone()),
        };
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                actor,
                "enrollment",
                Some(e.id.clone()),
                "confirmPrimaryContact",
            ),
            vec![],
        )
        .await?;
        Ok(EmailConfirmed {
            email: v.email,
            verified_at: now,
            enrollment_id: e.id,
        })
    }

    /// The verification mail to the primary contact, with its one-time link.
    fn verification_mail(&self, to: &str, token: &str, org_name: &str) -> OutgoingMail {
        let link = format!("{}/verify-email?token={token}", self.config().public_url);
        OutgoingMail {
            to: vec![to.to_owned()],
            subject: "Confirm your e-mail address for your partner enrollment".into(),
            text: format!(
                "Hello,\n\nYou were named the primary contact for {org_name}'s enrollment as an indirect reseller.\n\
                 Please confirm that you signed up and that this address belongs to your organisation:\n\n{link}\n\n\
                 The link works once and expires in 72 hours. If you did not sign up, ignore this message.\n"
            ),
            html: None,
            template: "email_verification".into(),
            link: Some(link),
        }
    }

    /// Stores a new verification link for `email`, valid for 72 hours, and queues
    /// the mail that carries it; gives the time it expires.
    pub(crate) async fn queue_verification(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        email: &str,
    ) -> AppResult<Timestamp> {
        let token = new_token("");
        let now = self.now();
        let expires = now.plus_millis(VERIFICATION_MS);
        enrollment::insert_verification(conn, &token_hash(&token), &e.id, email, now, expires)
            .await?;
        let org = organizations::get(conn, &e.organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        mail::enqueue(conn, &self.verification_mail(email, &token, &org.name), now).await?;
        Ok(expires)
    }
}
