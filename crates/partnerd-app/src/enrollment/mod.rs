//! Enrollment of indirect resellers (API.md §5): tenant sign-up, linking the
//! membership ID, the legal and support profiles, verifying the primary contact,
//! submission, the operator's review, and the shortcut for existing partners.
//!
//! This file holds the enrollment as the API shows it; each step of the journey
//! has its own file:
//!
//! - `tenant.rs`: signing up an organisation and its global admin;
//! - `start.rs`: starting an enrollment, with or without a new tenant;
//! - `record.rs`: reading an enrollment, and what every step does to load one,
//!   move it along and show it;
//! - `membership.rs`: signing in to the membership registry and linking a membership;
//! - `profiles.rs`: the legal and support profiles;
//! - `verification.rs`: the primary contact's verification mail and its confirmation;
//! - `submission.rs`: submitting and withdrawing, and the existing partner's shortcut;
//! - `review.rs`: the operator's queue, approval and rejection.

mod membership;
mod profiles;
mod record;
mod review;
mod start;
mod submission;
mod tenant;
mod verification;

use partnerd_domain::ids::{EnrollmentId, OrgId};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use membership::{MembershipLink, MembershipProfile, MembershipSignIn};
pub use profiles::EnrollmentProfilesSave;
pub(crate) use profiles::validate_support;
pub use review::{EnrollmentFilters, EnrollmentRejection};
pub use start::{StartEnrollmentInput, StartedEnrollment};
pub use submission::ExistingPartnerSubmit;
pub use tenant::{SessionToken, TenantCreated, TenantInput};
pub use verification::{EmailConfirmed, VerificationSent};

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// The person the vendor writes to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// The legal business profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LegalProfile {
    pub legal_name: String,
    pub address: Address,
    pub phone: String,
    pub website: Option<String>,
    pub primary_contact: PrimaryContact,
}

/// How customers reach the partner's support.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SupportProfile {
    pub email: String,
    pub phone: String,
    pub website: Option<String>,
    pub hours: Option<String>,
}

/// The membership an enrollment links.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentMembership {
    pub membership_id: String,
    pub legal_name: String,
    pub country: String,
}

/// The operator's decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub decided_at: Timestamp,
    pub decided_by: String,
    pub reason: Option<String>,
}

/// One step of an enrollment's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub status: EnrollmentStatus,
    pub at: Timestamp,
    pub by: String,
}

/// An enrollment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    #[schema(value_type = String)]
    pub id: EnrollmentId,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    /// `draft`, `pendingVerification`, `pendingReview`, `approved`, `rejected`, `withdrawn`.
    pub status: EnrollmentStatus,
    pub existing_partner: bool,
    pub membership: Option<EnrollmentMembership>,
    pub legal_profile: Option<LegalProfile>,
    pub support_profile: Option<SupportProfile>,
    pub primary_contact_verified: bool,
    pub submitted_at: Option<Timestamp>,
    pub decision: Option<Decision>,
    pub history: Vec<HistoryEntry>,
    pub created_at: Timestamp,
    pub etag: String,
}
