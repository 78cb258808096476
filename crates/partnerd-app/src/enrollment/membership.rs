//! The membership an enrollment links: signing in to the vendor's membership
//! registry to see which memberships may be linked, then linking one of them.

use partnerd_domain::FieldError;
use partnerd_domain::ids::EnrollmentId;
use partnerd_domain::time::Timestamp;
use partnerd_store::enrollment::{self, EnrollmentRow};
use partnerd_store::{Conn, registry};
use serde::Serialize;
use utoipa::ToSchema;

use super::Enrollment;
use super::record::invalid_state;
use crate::audit::{Actor, Entry};
use crate::crypto::{new_token, token_hash};
use crate::error::{Conflict, Refusal};
use crate::{App, AppError, AppResult, Ctx, Principal};

const MEMBERSHIP_SESSION_MS: i64 = 10 * Timestamp::MINUTE;

/// A membership the signed-in registry account may link.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipProfile {
    pub membership_id: String,
    pub legal_name: String,
    pub country: String,
    pub linkable: bool,
    /// `countryMismatch` or `alreadyLinked` when not linkable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a membership-registry sign-in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipSignIn {
    pub membership_session_token: String,
    pub expires_at: Timestamp,
    pub profiles: Vec<MembershipProfile>,
}

/// What linking a membership from the portal did.
#[derive(Debug, Clone)]
pub enum MembershipLink {
    Linked(Box<Enrollment>),
    /// Nothing was linked: the registry sign-in is stale or another's, or the
    /// membership cannot be linked; the registry form is shown again.
    Refused(AppError),
}

impl App {
    /// The portal's registry sign-in for the caller's current enrollment.
    pub async fn current_membership_sign_in(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<(String, String)>,
    ) -> AppResult<MembershipSignIn> {
        let e = self.enrollment_to_continue(p).await?;
        self.membership_sign_in(p, ctx, &e.id, input).await
    }

    /// The portal's link of a membership to the caller's current enrollment. A
    /// missing enrollment is an error (404 "start your enrollment first"); the
    /// link's own refusals, its 404 among them, are [`MembershipLink::Refused`].
    pub async fn link_current_membership(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<(String, String)>,
    ) -> AppResult<MembershipLink> {
        let e = self.enrollment_to_continue(p).await?;
        match self.link_membership(p, ctx, &e.id, input).await {
            Ok(linked) => Ok(MembershipLink::Linked(Box::new(linked))),
            Err(
                error @ (AppError::Forbidden { .. }
                | AppError::NotFound(_)
                | AppError::TokenInvalid(_)
                | AppError::Conflict { .. }
                | AppError::Gone(_)
                | AppError::Validation(_)),
            ) => Ok(MembershipLink::Refused(error)),
            Err(error) => Err(error),
        }
    }

    /// `POST /v1/enrollments/{id}/membership/signin`.
    pub async fn membership_sign_in(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        input: AppResult<(String, String)>,
    ) -> AppResult<MembershipSignIn> {
        let e = {
            let mut conn = self.db().conn().await?;
            self.own_enrollment_for_change(&mut conn, p, id).await?
        };
        let (username, pw) = input?;
        let (username, pw) = (username.as_str(), pw.as_str());
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "its membership can no longer change",
            ));
        }
        require_registry_credentials(username, pw)?;
        let account = self.registry_account(username, pw).await?;
        let ids: Vec<String> = account
            .membership_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let token = new_token("");
        let expires = self.now().plus_millis(MEMBERSHIP_SESSION_MS);
        let mut tx = self.db().begin().await?;
        let profiles = self.membership_profiles(&mut tx, &e, &ids).await?;
        enrollment::insert_membership_session(
            &mut tx,
            &token_hash(&token),
            &e.id,
            &account.id,
            &ids.join(","),
            expires,
        )
        .await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "membershipSignIn",
            ),
            vec![],
        )
        .await?;
        Ok(MembershipSignIn {
            membership_session_token: token,
            expires_at: expires,
            profiles,
        })
    }

    /// The registry account with this username and password (the attempts per
    /// username are limited); 401 when either is wrong.
    async fn registry_account(&self, username: &str, pw: &str) -> AppResult<registry::AccountRow> {
        self.limit_target(&format!("registry:{}", username.trim().to_lowercase()))?;
        let account = {
            let mut conn = self.db().conn().await?;
            registry::find_account(&mut conn, &username.trim().to_lowercase()).await?
        };
        if !self
            .hasher()
            .verify(pw, account.as_ref().map(|a| a.password_hash.as_str()))
            .await?
        {
            return Err(AppError::invalid_credentials()
                .with_detail("the membership registry username or password is wrong"));
        }
        let Some(account) = account else {
            return Err(AppError::invalid_credentials());
        };
        Ok(account)
    }

    /// The memberships of the registry account, each saying whether this enrollment
    /// may link it: not one of another country, nor one linked or used elsewhere.
    async fn membership_profiles(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        ids: &[String],
    ) -> AppResult<Vec<MembershipProfile>> {
        let mut profiles = Vec::new();
        for m in registry::memberships_in(conn, ids).await? {
            let linked_elsewhere = m
                .linked_organization_id
                .as_ref()
                .is_some_and(|o| *o != e.organization_id);
            let reason = if m.country != e.country {
                Some("countryMismatch")
            } else if linked_elsewhere
                || self
                    .membership_in_other_enrollment(conn, &m.membership_id, &e.id)
                    .await?
            {
                Some("alreadyLinked")
            } else {
                None
            };
            profiles.push(MembershipProfile {
                membership_id: m.membership_id,
                legal_name: m.legal_name,
                country: m.country,
                linkable: reason.is_none(),
                reason: reason.map(str::to_owned),
            });
        }
        Ok(profiles)
    }

    /// Another open enrollment uses the membership.
    async fn membership_in_other_enrollment(
        &self,
        conn: &mut Conn,
        // Text, not an id type: the vendor registry's own id, not one partnerd mints.
        membership_id: &str,
        enrollment_id: &EnrollmentId,
    ) -> AppResult<bool> {
        let q = enrollment::EnrollmentQuery::default();
        let _ = q;
        let other: Option<EnrollmentId> =
            partnerd_store::enrollment::open_enrollment_with_membership(conn, membership_id)
                .await?;
        Ok(other.is_some_and(|o| o != *enrollment_id))
    }

    /// `PUT /v1/enrollments/{id}/membership`.
    pub async fn link_membership(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        input: AppResult<(String, String)>,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        let (token, membership_id) = input?;
        let (token, membership_id) = (token.as_str(), membership_id.as_str());
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "its membership can no longer change",
            ));
        }
        self.check_membership_session(&mut tx, &e, token, membership_id)
            .await?;
        let m = self.linkable_membership(&mut tx, &e, membership_id).await?;
        e.membership_id = Some(m.membership_id.clone());
        e.updated_at = self.now();
        match enrollment::update(&mut tx, &e).await {
            Err(err) if err.is_unique("enrollments_membership_id_key") => {
                return Err(AppError::conflict(
                    Conflict::MembershipAlreadyLinked,
                    "this membership ID is used in another enrollment",
                ));
            }
            other => crate::error::written(other?)?,
        }
        e.version += 1;
        let view = self.enrollment_view(&e, Some(&m));
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "linkMembership",
            )
            .after(&view.membership),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// The registry sign-in behind `token` is this enrollment's, less than ten
    /// minutes old, and its account holds `membership_id`.
    async fn check_membership_session(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        token: &str,
        // Text, not an id type: the vendor registry's own id, not one partnerd mints.
        membership_id: &str,
    ) -> AppResult<()> {
        let Some((session_enrollment, ids, expires_at)) =
            enrollment::membership_session(conn, &token_hash(token)).await?
        else {
            return Err(AppError::token_invalid(
                "sign in to the membership registry again",
            ));
        };
        if session_enrollment != e.id {
            return Err(AppError::token_invalid(
                "this registry sign-in belongs to another enrollment",
            ));
        }
        if expires_at <= self.now() {
            return Err(AppError::gone(
                "the registry sign-in is older than 10 minutes; sign in again",
            ));
        }
        if !ids.split(',').any(|m| m == membership_id) {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "that membership does not belong to the registry account you signed in with",
            ));
        }
        Ok(())
    }

    /// The membership to link: in the tenant's country, and neither linked to another
    /// organisation nor used in another enrollment.
    async fn linkable_membership(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        // Text, not an id type: the vendor registry's own id, not one partnerd mints.
        membership_id: &str,
    ) -> AppResult<registry::MembershipRow> {
        let m = registry::get_membership(conn, membership_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if m.country != e.country {
            return Err(AppError::field(FieldError::new(
                "/membershipId",
                "country_mismatch",
                format!(
                    "the membership is registered in {}, your tenant in {}; choose a profile in {}, or cancel and sign in with another registry account",
                    m.country, e.country, e.country
                ),
            )));
        }
        if m.linked_organization_id
            .as_ref()
            .is_some_and(|o| *o != e.organization_id)
            || self
                .membership_in_other_enrollment(conn, membership_id, &e.id)
                .await?
        {
            return Err(AppError::conflict(
                Conflict::MembershipAlreadyLinked,
                "this membership ID is linked to another organisation or used in another enrollment",
            ));
        }
        Ok(m)
    }
}

/// Both the registry username and the password are given.
fn require_registry_credentials(username: &str, pw: &str) -> AppResult<()> {
    if username.trim().is_empty() || pw.is_empty() {
        let mut errors = Vec::new();
        if username.trim().is_empty() {
            errors.push(FieldError::invalid("/username", "is required"));
        }
        if pw.is_empty() {
            errors.push(FieldError::invalid("/password", "is required"));
        }
        return Err(AppError::validation(errors));
    }
    Ok(())
}
