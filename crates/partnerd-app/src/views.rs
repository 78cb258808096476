//! The resource shapes the API returns and the portal shows (API.md), built from
//! stored rows. camelCase members; times RFC 3339.

use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::roles::{OrgKind, Program};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::organizations::OrganizationRow;
use partnerd_store::users::UserRow;
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::etag;

/// A user of an organisation's directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[schema(value_type = String)]
    pub id: UserId,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub last_sign_in_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub etag: String,
}

impl From<&UserRow> for User {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id.clone(),
            organization_id: u.organization_id.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            roles: u.roles.clone().names(),
            must_change_password: u.must_change_password,
            disabled: u.disabled,
            last_sign_in_at: u.last_sign_in_at,
            created_at: u.created_at,
            etag: etag(&u.id, u.version),
        }
    }
}

impl User {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// An organisation (tenant).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[schema(value_type = String)]
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub legal_name: Option<String>,
    pub country: String,
    pub default_domain: String,
    pub programs: Vec<Program>,
    pub enrollment_status: Option<EnrollmentStatus>,
    pub membership_id: Option<String>,
    pub created_at: Timestamp,
    pub etag: String,
    #[serde(skip)]
    pub domain_prefix: String,
}

impl From<&OrganizationRow> for Organization {
    fn from(o: &OrganizationRow) -> Self {
        Self {
            id: o.id.clone(),
            kind: o.kind,
            name: o.name.clone(),
            legal_name: o.legal_name.clone(),
            country: o.country.clone(),
            default_domain: o.default_domain.clone(),
            programs: o.programs.clone(),
            enrollment_status: o.enrollment_status,
            membership_id: o.membership_id.clone(),
            created_at: o.created_at,
            etag: etag(&o.id, o.version),
            domain_prefix: o.domain_prefix.clone(),
        }
    }
}
