//! Building an organisation and its first user, shared by bootstrap, the operator's
//! "create partner organisation" and (later) tenant sign-up and customer imports.

use crate::error::Conflict;
use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::roles::OrgKind;
use partnerd_domain::{EmailAddress, Roles};
use partnerd_store::Conn;
use partnerd_store::organizations::{self, OrganizationRow};
use partnerd_store::users::{self, UserRow};

use crate::{App, AppError, AppResult};

/// A validated organisation to create.
pub struct NewTenant {
    pub kind: OrgKind,
    pub name: String,
    pub legal_name: Option<String>,
    pub country: String,
    pub domain_prefix: String,
}

/// A validated person to create in it.
pub struct NewPerson {
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub roles: Roles,
    pub password_hash: String,
    pub must_change_password: bool,
}

impl App {
    pub(crate) fn organization_row(&self, t: NewTenant) -> OrganizationRow {
        let now = self.now();
        OrganizationRow {
            id: OrgId::generate(),
            kind: t.kind,
            default_domain: format!("{}.{}", t.domain_prefix, self.config().platform_domain),
            name: t.name,
            legal_name: t.legal_name,
            country: t.country,
            domain_prefix: t.domain_prefix,
            programs: Vec::new(),
            enrollment_status: None,
            membership_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub(crate) fn user_row(&self, organization_id: &OrgId, p: NewPerson) -> UserRow {
        let now = self.now();
        UserRow {
            id: UserId::generate(),
            organization_id: organization_id.to_owned(),
            email: p.email.as_str().into(),
            email_norm: p.email.normalized(),
            first_name: p.first_name,
            last_name: p.last_name,
            roles: p.roles.clone(),
            password_hash: p.password_hash,
            must_change_password: p.must_change_password,
            disabled: false,
            last_sign_in_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Inserts an organisation and its first user in `conn`'s transaction. A taken
    /// domain prefix is 409 `domain_unavailable`, a taken e-mail 409 `email_in_use`,
    /// a second operator 409 `conflict`.
    pub(crate) async fn insert_tenant(
        &self,
        conn: &mut Conn,
        org: &OrganizationRow,
        admin: &UserRow,
    ) -> AppResult<()> {
        match organizations::insert(conn, org).await {
            Err(e) if e.is_unique("organizations_domain_prefix_key") => {
                return Err(AppError::conflict(
                    Conflict::DomainUnavailable,
                    format!("the domain prefix {} is taken", org.domain_prefix),
                ));
            }
            Err(e) if e.is_unique("organizations_kind_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    "an operator organisation already exists",
                ));
            }
            other => other?,
        }
        match users::insert(conn, admin).await {
            Err(e) if e.is_unique("users_email_norm_key") => Err(AppError::conflict(
                Conflict::EmailInUse,
                format!("{} is already a user of partnerd", admin.email),
            )),
            other => Ok(other?),
        }
    }
}
