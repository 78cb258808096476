//! The enrollment wizard (PRODUCT.md §2): welcome → work account → membership ID →
//! business and support profiles → Enroll now → status; the verification landing
//! page; the existing-partner shortcut; and the operator's review queue.

mod membership;
mod profiles;
mod review;
mod signup;
mod submission;

pub use membership::*;
pub use profiles::*;
pub use review::*;
pub use signup::*;
pub use submission::*;

use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::enrollment::{Enrollment, LegalProfile, SupportProfile};
use partnerd_domain::states::EnrollmentStatus;

use crate::AppState;
use crate::pages::layout::{FormErrors, field};
use crate::pages::{PageError, PageUser, Values};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/enroll", get(welcome))
        .route("/enroll/signup", get(signup_page).post(signup))
        .route("/enroll/start", get(start).post(start_submit))
        .route(
            "/enroll/membership",
            get(membership_page).post(membership_signin),
        )
        .route("/enroll/membership/link", post(membership_link))
        .route("/enroll/profile", get(profile_page).post(profile_save))
        .route("/enroll/review", get(review_page))
        .route("/enroll/submit", post(submit))
        .route("/enroll/status", get(status_page))
        .route("/enroll/resend", post(resend))
        .route("/enroll/withdraw", post(withdraw))
        .route("/enroll/existing", get(existing_page).post(existing_submit))
        .route("/verify-email", get(verify_page).post(verify))
        .route("/operator/enrollments", get(queue_page))
        .route("/operator/enrollments/{id}", get(review_detail))
        .route("/operator/enrollments/{id}/approve", post(approve))
        .route("/operator/enrollments/{id}/reject", post(reject))
}

pub(crate) fn get(m: &std::collections::HashMap<String, String>, k: &str) -> String {
    m.get(k).cloned().unwrap_or_default()
}

pub(crate) fn opt(m: &std::collections::HashMap<String, String>, k: &str) -> Option<String> {
    m.get(k).filter(|v| !v.trim().is_empty()).cloned()
}

pub(crate) fn status_label(s: EnrollmentStatus) -> &'static str {
    match s {
        EnrollmentStatus::Draft => "Draft: not submitted yet",
        EnrollmentStatus::PendingVerification => {
            "Waiting for the primary contact to confirm their e-mail address"
        }
        EnrollmentStatus::PendingReview => {
            "Waiting for the vendor's review (this can take a few days)"
        }
        EnrollmentStatus::Approved => "Approved: you are an indirect reseller",
        EnrollmentStatus::Rejected => {
            "Needs changes: see the reason below, correct and submit again"
        }
        EnrollmentStatus::Withdrawn => "Withdrawn",
    }
}

pub(crate) fn steps(current: usize) -> Markup {
    let names = [
        "Work account",
        "Membership ID",
        "Business profile",
        "Enroll now",
    ];
    html! {
        ol.steps aria-label="Enrollment steps" {
            @for (i, n) in names.iter().enumerate() {
                li aria-current=[(i == current).then_some("step")] { (i + 1) ". " (n) }
            }
        }
    }
}

/// The caller's enrollment, or None.
pub(crate) async fn current(
    s: &AppState,
    user: &PageUser,
) -> Result<Option<Enrollment>, PageError> {
    match s.app.current_enrollment(&user.principal).await {
        Ok(e) => Ok(Some(e)),
        Err(AppError::NotFound(_) | AppError::TokenInvalid(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn next_step(e: &Enrollment) -> &'static str {
    if !e.status.is_editable() {
        "/enroll/status"
    } else if e.existing_partner {
        "/enroll/existing"
    } else if e.membership.is_none() {
        "/enroll/membership"
    } else if e.legal_profile.is_none() || e.support_profile.is_none() {
        "/enroll/profile"
    } else {
        "/enroll/review"
    }
}

pub(crate) async fn require_enrollment(
    s: &AppState,
    user: &PageUser,
) -> Result<Enrollment, PageError> {
    current(s, user).await?.ok_or_else(|| {
        PageError(partnerd_app::AppError::not_found().with_detail("start your enrollment first"))
    })
}

pub fn values_of(e: &Enrollment) -> Values {
    values_of_profiles(e.legal_profile.as_ref(), e.support_profile.as_ref())
}

/// Form values of a legal and a support profile.
pub fn values_of_profiles(
    legal: Option<&LegalProfile>,
    support: Option<&SupportProfile>,
) -> Values {
    let mut m = Values::new();
    if let Some(l) = legal {
        for (k, v) in [
            ("legal_name", l.legal_name.clone()),
            ("line1", l.address.line1.clone()),
            ("line2", l.address.line2.clone().unwrap_or_default()),
            ("city", l.address.city.clone()),
            ("region", l.address.region.clone().unwrap_or_default()),
            ("postal_code", l.address.postal_code.clone()),
            ("phone", l.phone.clone()),
            ("website", l.website.clone().unwrap_or_default()),
            ("contact_first_name", l.primary_contact.first_name.clone()),
            ("contact_last_name", l.primary_contact.last_name.clone()),
            ("contact_email", l.primary_contact.email.clone()),
            (
                "contact_phone",
                l.primary_contact.phone.clone().unwrap_or_default(),
            ),
        ] {
            m.insert(k.into(), v);
        }
    }
    if let Some(sp) = support {
        for (k, v) in [
            ("support_email", sp.email.clone()),
            ("support_phone", sp.phone.clone()),
            ("support_website", sp.website.clone().unwrap_or_default()),
            ("support_hours", sp.hours.clone().unwrap_or_default()),
        ] {
            m.insert(k.into(), v);
        }
    }
    m
}

pub fn support_fields(m: &Values, errors: &FormErrors) -> Markup {
    html! {
        fieldset {
            legend { "Customer support profile" }
            p.hint { "How your customers reach your support." }
            (field("support_email", "Support e-mail", "email", &get(m, "support_email"), "off", None, errors.for_field("/email")))
            (field("support_phone", "Support phone", "text", &get(m, "support_phone"), "off", None, errors.for_field("/phone")))
            (field("support_website", "Support website (optional)", "text", &get(m, "support_website"), "off", None, errors.for_field("/website")))
            (field("support_hours", "Support hours (optional)", "text", &get(m, "support_hours"), "off", Some("Such as Mon–Fri 8–18 CET."), errors.for_field("/hours")))
        }
    }
}

/// The legal business profile and primary contact fields (enrollment and profiles).
pub fn legal_fields(country: &str, m: &Values, legal_errors: &FormErrors) -> Markup {
    html! {
    fieldset {
        legend { "Legal business profile" }
        (field("legal_name", "Legal business name", "text", &get(m, "legal_name"), "organization", None, legal_errors.for_field("/legalName")))
        (field("line1", "Address", "text", &get(m, "line1"), "address-line1", None, legal_errors.for_field("/address/line1")))
        (field("line2", "Address line 2 (optional)", "text", &get(m, "line2"), "address-line2", None, legal_errors.for_field("/address/line2")))
        (field("postal_code", "Postal code", "text", &get(m, "postal_code"), "postal-code", None, legal_errors.for_field("/address/postalCode")))
        (field("city", "City", "text", &get(m, "city"), "address-level2", None, legal_errors.for_field("/address/city")))
        (field("region", "Region (optional)", "text", &get(m, "region"), "address-level1", None, legal_errors.for_field("/address/region")))
        (field("address_country", "Country/region", "text", &get(m, "address_country").chars().next().map(|_| get(m, "address_country")).unwrap_or_else(|| country.to_owned()), "country", Some("Must be your tenant's country."), legal_errors.for_field("/address/country")))
        (field("phone", "Phone", "text", &get(m, "phone"), "tel", None, legal_errors.for_field("/phone")))
        (field("website", "Website (optional)", "text", &get(m, "website"), "url", None, legal_errors.for_field("/website")))
    }
    fieldset {
        legend { "Primary contact" }
        p.hint { "We mail them a link to confirm that they signed up and that the address belongs to your organisation. Webmail addresses (gmail, outlook.com, …) are not accepted." }
        (field("contact_first_name", "First name", "text", &get(m, "contact_first_name"), "off", None, legal_errors.for_field("/primaryContact/firstName")))
        (field("contact_last_name", "Last name", "text", &get(m, "contact_last_name"), "off", None, legal_errors.for_field("/primaryContact/lastName")))
        (field("contact_email", "E-mail", "email", &get(m, "contact_email"), "off", None, legal_errors.for_field("/primaryContact/email")))
        (field("contact_phone", "Phone (optional)", "text", &get(m, "contact_phone"), "off", None, legal_errors.for_field("/primaryContact/phone")))
    }
    }
}

pub(crate) fn summary(e: &Enrollment) -> Markup {
    html! {
        div.card {
            h2 { "Membership" }
            @if let Some(m) = &e.membership { p { (m.legal_name) " · " (m.country) " · membership ID " (m.membership_id) } } @else { p.muted { "Not linked." } }
        }
        @if let Some(l) = &e.legal_profile {
            div.card {
                h2 { "Legal business profile" }
                p { strong { (l.legal_name) } br; (l.address.line1) br; (l.address.postal_code) " " (l.address.city) ", " (l.address.country) br; (l.phone) }
                p { "Primary contact: " (l.primary_contact.first_name) " " (l.primary_contact.last_name) " · " (l.primary_contact.email)
                    " · " @if e.primary_contact_verified { "confirmed" } @else { "not confirmed yet" } }
            }
        }
        @if let Some(sp) = &e.support_profile {
            div.card { h2 { "Support" } p { (sp.email) " · " (sp.phone) @if let Some(h) = &sp.hours { " · " (h) } } }
        }
    }
}
