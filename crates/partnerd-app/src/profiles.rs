//! Partner profiles after enrollment (Partner Center's `/v1/profiles/…` as the
//! model): the legal business profile, the support profile and the membership, kept
//! on the organisation's approved enrollment and edited with the same rules.

use partnerd_domain::policy::Action;
use partnerd_domain::states::EnrollmentStatus;
use partnerd_store::enrollment::{self, EnrollmentRow};
use partnerd_store::{Conn, registry};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::enrollment::{EnrollmentMembership, LegalProfile, SupportProfile};
use crate::error::{check_if_match, written};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// The legal business profile of a partner.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegalBusinessProfile {
    #[serde(flatten)]
    pub profile: LegalProfile,
    pub primary_contact_verified: bool,
    pub etag: String,
}

/// The support profile of a partner.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportBusinessProfile {
    #[serde(flatten)]
    pub profile: SupportProfile,
    pub etag: String,
}

/// The profiles as the settings page shows them; each is None when the
/// organisation has none or the caller may not read it.
#[derive(Debug, Clone)]
pub struct PartnerProfiles {
    pub legal: Option<LegalBusinessProfile>,
    pub support: Option<SupportBusinessProfile>,
    pub membership: Option<EnrollmentMembership>,
}

/// The settings page's profile form: the legal profile when the form shows it, the
/// support profile always, each with the version it was read at.
#[derive(Debug, Clone)]
pub struct PartnerProfilesInput {
    pub legal: Option<LegalProfile>,
    pub legal_etag: Option<String>,
    pub support: SupportProfile,
    pub support_etag: Option<String>,
}

/// What saving the settings page's profile form did.
#[derive(Debug, Clone)]
pub enum PartnerProfilesSave {
    Saved,
    /// At least one profile was refused (invalid, conflicting or changed
    /// meanwhile); the other may have been saved. `profiles` are as they are now.
    Refused {
        legal: Option<AppError>,
        support: Option<AppError>,
        profiles: Box<PartnerProfiles>,
    },
}

/// A refusal the form shows; anything else stops the save.
fn form_refusal<T>(result: AppResult<T>) -> AppResult<Option<AppError>> {
    match result {
        Ok(_) => Ok(None),
        Err(
            e
            @ (AppError::Conflict { .. } | AppError::PreconditionFailed | AppError::Validation(_)),
        ) => Ok(Some(e)),
        Err(e) => Err(e),
    }
}

fn no_profile(what: &str) -> AppError {
    AppError::not_found().with_detail(format!(
        "your organisation has no {what} yet; it comes with an approved enrollment"
    ))
}

impl App {
    /// `/settings/profiles` in the portal. With no profile at all, the support
    /// profile's refusal says why (none yet, or not in the caller's role).
    pub async fn partner_profiles(&self, p: &Principal) -> AppResult<PartnerProfiles> {
        let legal = self.legal_business_profile(p).await.ok();
        let membership = self.membership_profile(p).await.ok();
        let support = match self.support_business_profile(p).await {
            Ok(s) => Some(s),
            Err(e) if legal.is_none() && membership.is_none() => return Err(e),
            Err(_) => None,
        };
        Ok(PartnerProfiles {
            legal,
            support,
            membership,
        })
    }

    /// The settings page's profile form: the legal profile (when sent), then the
    /// support profile; both are tried so the form shows every problem at once.
    pub async fn save_partner_profiles(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: PartnerProfilesInput,
    ) -> AppResult<PartnerProfilesSave> {
        let legal_sent = input.legal.is_some();
        let legal = match input.legal {
            Some(l) => form_refusal(
                self.put_legal_business_profile(p, ctx, input.legal_etag.as_deref(), Ok(l))
                    .await,
            )?,
            None => None,
        };
        // The legal save bumped the version both profiles share; send no stale tag.
        let support_etag = if legal_sent && legal.is_none() {
            None
        } else {
            input.support_etag
        };
        let support = form_refusal(
            self.put_support_business_profile(p, ctx, support_etag.as_deref(), Ok(input.support))
                .await,
        )?;
        if legal.is_none() && support.is_none() {
            return Ok(PartnerProfilesSave::Saved);
        }
        Ok(PartnerProfilesSave::Refused {
            legal,
            support,
            profiles: Box::new(self.partner_profiles(p).await?),
        })
    }

    async fn approved_enrollment(
        &self,
        conn: &mut Conn,
        p: &Principal,
    ) -> AppResult<EnrollmentRow> {
        enrollment::latest_for(conn, &p.organization.id)
            .await?
            .filter(|e| e.status == EnrollmentStatus::Approved)
            .ok_or_else(|| no_profile("partner profile"))
    }

    fn legal_view(e: &EnrollmentRow) -> AppResult<LegalBusinessProfile> {
        let profile: LegalProfile = e
            .legal_profile
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| no_profile("legal business profile"))?;
        Ok(LegalBusinessProfile {
            profile,
            primary_contact_verified: e.primary_contact_verified,
            etag: etag(&e.id, e.version),
        })
    }

    fn support_view(e: &EnrollmentRow) -> AppResult<SupportBusinessProfile> {
        let profile: SupportProfile = e
            .support_profile
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| no_profile("support profile"))?;
        Ok(SupportBusinessProfile {
            profile,
            etag: etag(&e.id, e.version),
        })
    }

    /// `GET /v1/profiles/legalbusiness`.
    pub async fn legal_business_profile(&self, p: &Principal) -> AppResult<LegalBusinessProfile> {
        p.require(Action::ViewPartnerProfiles)?;
        let mut conn = self.db().conn().await?;
        Self::legal_view(&self.approved_enrollment(&mut conn, p).await?)
    }

    /// `PUT /v1/profiles/legalbusiness`: a new primary contact e-mail is verified again.
    pub async fn put_legal_business_profile(
        &self,
        p: &Principal,
        ctx: &Ctx,
        if_match: Option<&str>,
        input: AppResult<LegalProfile>,
    ) -> AppResult<LegalBusinessProfile> {
        p.require(Action::EditPartnerProfiles)?;
        let mut tx = self.db().begin().await?;
        let mut e = self.approved_enrollment(&mut tx, p).await?;
        check_if_match(&etag(&e.id, e.version), if_match, false)?;
        let profile = self.validate_legal(input?, &e.country)?;
        let changed_contact = e
            .primary_contact_email
            .as_deref()
            .is_none_or(|old| !old.eq_ignore_ascii_case(&profile.primary_contact.email));
        e.legal_profile = serde_json::to_string(&profile).ok();
        e.legal_name_sort = Some(profile.legal_name.to_lowercase());
        if changed_contact {
            e.primary_contact_email = Some(profile.primary_contact.email.clone());
            e.primary_contact_verified = false;
            self.queue_verification(&mut tx, &e, &profile.primary_contact.email)
                .await?;
        }
        e.updated_at = self.now();
        written(enrollment::update(&mut tx, &e).await?)?;
        e.version += 1;
        let view = Self::legal_view(&e)?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "organization",
                Some(p.organization.id.clone()),
                "updateLegalBusinessProfile",
            )
            .after(&view.profile),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/profiles/support`.
    pub async fn support_business_profile(
        &self,
        p: &Principal,
    ) -> AppResult<SupportBusinessProfile> {
        p.require(Action::ViewPartnerProfiles)?;
        let mut conn = self.db().conn().await?;
        Self::support_view(&self.approved_enrollment(&mut conn, p).await?)
    }

    /// `PUT /v1/profiles/support`.
    pub async fn put_support_business_profile(
        &self,
        p: &Principal,
        ctx: &Ctx,
        if_match: Option<&str>,
        input: AppResult<SupportProfile>,
    ) -> AppResult<SupportBusinessProfile> {
        p.require(Action::EditPartnerProfiles)?;
        let mut tx = self.db().begin().await?;
        let mut e = self.approved_enrollment(&mut tx, p).await?;
        check_if_match(&etag(&e.id, e.version), if_match, false)?;
        let profile = crate::enrollment::validate_support(input?)?;
        e.support_profile = serde_json::to_string(&profile).ok();
        e.updated_at = self.now();
        written(enrollment::update(&mut tx, &e).await?)?;
        e.version += 1;
        let view = Self::support_view(&e)?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "organization",
                Some(p.organization.id.clone()),
                "updateSupportProfile",
            )
            .after(&view.profile),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/profiles/membership`: the linked membership (read-only).
    pub async fn membership_profile(&self, p: &Principal) -> AppResult<EnrollmentMembership> {
        p.require(Action::ViewPartnerProfiles)?;
        let id = p
            .organization
            .membership_id
            .clone()
            .ok_or_else(|| no_profile("linked membership"))?;
        let mut conn = self.db().conn().await?;
        let m = registry::get_membership(&mut conn, &id)
            .await?
            .ok_or_else(|| no_profile("linked membership"))?;
        Ok(EnrollmentMembership {
            membership_id: m.membership_id,
            legal_name: m.legal_name,
            country: m.country,
        })
    }
}
