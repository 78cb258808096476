//! The legal business profile and the support profile an enrollment carries, and
//! how each is checked.

use partnerd_domain::ids::EnrollmentId;
use partnerd_domain::names::{country, long_text, name, short_text, website};
use partnerd_domain::webmail::webmail_entry;
use partnerd_domain::{Collect, EmailAddress, FieldError};
use partnerd_store::enrollment;

use super::record::invalid_state;
use super::{Address, Enrollment, LegalProfile, PrimaryContact, SupportProfile};
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::{Conflict, check_if_match};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What saving both profiles of the portal's enrollment form did: the refusal of
/// each (invalid or conflicting), if any. Both are tried, so the form shows every
/// problem at once.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentProfilesSave {
    pub legal: Option<AppError>,
    pub support: Option<AppError>,
}

impl EnrollmentProfilesSave {
    /// Both profiles were saved.
    pub fn saved(&self) -> bool {
        self.legal.is_none() && self.support.is_none()
    }
}

/// A refusal the form shows next to its fields; anything else stops the save.
fn form_refusal(result: AppResult<Enrollment>) -> AppResult<Option<AppError>> {
    match result {
        Ok(_) => Ok(None),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Some(e)),
        Err(e) => Err(e),
    }
}

impl App {
    /// The portal's profile step: both profiles of the caller's current enrollment.
    pub async fn save_enrollment_profiles(
        &self,
        p: &Principal,
        ctx: &Ctx,
        legal: LegalProfile,
        support: SupportProfile,
    ) -> AppResult<EnrollmentProfilesSave> {
        let e = self.enrollment_to_continue(p).await?;
        let legal = self.put_legal_profile(p, ctx, &e.id, None, Ok(legal)).await;
        let support = self
            .put_support_profile(p, ctx, &e.id, None, Ok(support))
            .await;
        Ok(EnrollmentProfilesSave {
            legal: form_refusal(legal)?,
            support: form_refusal(support)?,
        })
    }

    /// `PUT /v1/enrollments/{id}/legalprofile`.
    pub async fn put_legal_profile(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        if_match: Option<&str>,
        input: AppResult<LegalProfile>,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        check_if_match(&etag(&e.id, e.version), if_match, false)?;
        let input = input?;
        if e.existing_partner {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the enrollment is an existing partner's shortcut; it needs only the support profile",
            ));
        }
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "only draft and rejected enrollments can change",
            ));
        }
        let profile = self.validate_legal(input, &e.country)?;
        let changed_contact = e
            .primary_contact_email
            .as_deref()
            .is_none_or(|old| !old.eq_ignore_ascii_case(&profile.primary_contact.email));
        e.legal_name_sort = Some(profile.legal_name.to_lowercase());
        e.legal_profile = serde_json::to_string(&profile).ok();
        if changed_contact {
            e.primary_contact_email = Some(profile.primary_contact.email.clone());
            e.primary_contact_verified = false;
            self.queue_verification(&mut tx, &e, &profile.primary_contact.email)
                .await?;
        }
        e.updated_at = self.now();
        crate::error::written(enrollment::update(&mut tx, &e).await?)?;
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
                "updateLegalProfile",
            )
            .after(&view.legal_profile),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `PUT /v1/enrollments/{id}/supportprofile`.
    pub async fn put_support_profile(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        if_match: Option<&str>,
        input: AppResult<SupportProfile>,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        check_if_match(&etag(&e.id, e.version), if_match, false)?;
        let input = input?;
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "only draft and rejected enrollments can change",
            ));
        }
        let profile = validate_support(input)?;
        e.support_profile = serde_json::to_string(&profile).ok();
        e.updated_at = self.now();
        crate::error::written(enrollment::update(&mut tx, &e).await?)?;
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
                "updateSupportProfile",
            )
            .after(&view.support_profile),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// Checks a legal profile: every field, a primary contact at an address of the
    /// organisation (no webmail, not the platform's domain), and an address in the
    /// tenant's country.
    pub(crate) fn validate_legal(
        &self,
        l: LegalProfile,
        tenant_country: &str,
    ) -> AppResult<LegalProfile> {
        let mut c = Collect::default();
        let legal_name = c.take(name("/legalName", &l.legal_name));
        let line1 = c.take(name("/address/line1", &l.address.line1));
        let city = c.take(name("/address/city", &l.address.city));
        let postal = c.take(short_text(
            "/address/postalCode",
            &l.address.postal_code,
            20,
        ));
        let addr_country = c.take(country("/address/country", &l.address.country));
        let phone = c.take(short_text("/phone", &l.phone, 40));
        let first = c.take(name(
            "/primaryContact/firstName",
            &l.primary_contact.first_name,
        ));
        let last = c.take(name(
            "/primaryContact/lastName",
            &l.primary_contact.last_name,
        ));
        let line2 = c
            .opt(l.address.line2.as_deref(), |v| {
                long_text("/address/line2", v, 200)
            })
            .flatten();
        let region = c
            .opt(l.address.region.as_deref(), |v| {
                long_text("/address/region", v, 200)
            })
            .flatten();
        let web = c.opt(l.website.as_deref(), |w| website("/website", w));
        let contact_phone = c.opt(l.primary_contact.phone.as_deref(), |v| {
            short_text("/primaryContact/phone", v, 40)
        });
        let errors = &mut c.0;
        let email = match EmailAddress::parse("/primaryContact/email", &l.primary_contact.email) {
            Ok(email) => {
                let domain = email.domain().to_lowercase();
                if let Some(entry) = webmail_entry(&domain, &self.config().webmail_domains) {
                    errors.push(FieldError::new(
                        "/primaryContact/email",
                        "webmail_not_allowed",
                        format!("primaryContact.email uses the webmail domain {domain} ({entry}); use an address of your organisation"),
                    ));
                    None
                } else if domain == self.config().platform_domain
                    || domain.ends_with(&format!(".{}", self.config().platform_domain))
                {
                    errors.push(FieldError::new(
                        "/primaryContact/email",
                        "webmail_not_allowed",
                        "the platform's own domain is not an address of your organisation",
                    ));
                    None
                } else {
                    Some(email)
                }
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if let Some(c) = &addr_country
            && c != tenant_country
        {
            errors.push(FieldError::new(
                    "/address/country",
                    "country_mismatch",
                    format!("the address is in {c}, your tenant in {tenant_country}; the legal address must be in your tenant's country"),
                ));
        }
        let (
            Some(legal_name),
            Some(line1),
            Some(city),
            Some(postal),
            Some(addr_country),
            Some(phone),
            Some(first),
            Some(last),
            Some(email),
            true,
        ) = (
            legal_name,
            line1,
            city,
            postal,
            addr_country,
            phone,
            first,
            last,
            email,
            errors.is_empty(),
        )
        else {
            return Err(AppError::validation(std::mem::take(errors)));
        };
        Ok(LegalProfile {
            legal_name,
            address: Address {
                line1,
                line2,
                city,
                region,
                postal_code: postal,
                country: addr_country,
            },
            phone,
            website: web,
            primary_contact: PrimaryContact {
                first_name: first,
                last_name: last,
                email: email.as_str().to_owned(),
                phone: contact_phone,
            },
        })
    }
}

/// Checks a support profile.
pub(crate) fn validate_support(s: SupportProfile) -> AppResult<SupportProfile> {
    let mut c = Collect::default();
    let email = c.take(EmailAddress::parse("/email", &s.email));
    let phone = c.take(short_text("/phone", &s.phone, 40));
    let web = c.opt(s.website.as_deref(), |w| website("/website", w));
    let hours = c
        .opt(s.hours.as_deref(), |h| long_text("/hours", h, 200))
        .flatten();
    let errors = c.0;
    match (email, phone, errors.is_empty()) {
        (Some(email), Some(phone), true) => Ok(SupportProfile {
            email: email.as_str().to_owned(),
            phone,
            website: web,
            hours,
        }),
        _ => Err(AppError::validation(errors)),
    }
}
