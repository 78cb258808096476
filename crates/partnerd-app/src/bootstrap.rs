//! Operator commands of the CLI (API.md §4.1): bootstrap and password recovery.

use crate::tenancy::{NewPerson, NewTenant};
use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::names::{country, domain_prefix, name};
use partnerd_domain::password::generate_temporary;
use partnerd_domain::roles::{OrgKind, Role};
use partnerd_domain::{EmailAddress, Roles};
use partnerd_store::organizations;
use partnerd_store::users;
use partnerd_store::{StoreError, sessions};
use serde::Serialize;

use crate::audit::{Actor, Entry};
use crate::error::Conflict;
use crate::{App, AppError, Ctx};

/// Arguments of `partnerd bootstrap`.
#[derive(Debug, Clone)]
pub struct BootstrapInput {
    pub name: String,
    pub domain_prefix: String,
    pub country: String,
    pub admin_email: String,
    pub admin_first_name: String,
    pub admin_last_name: String,
}

/// What `bootstrap --json` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bootstrapped {
    pub organization_id: OrgId,
    pub user_id: UserId,
    pub email: String,
    pub temporary_password: String,
}

/// Why a CLI command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Exit 2.
    #[error("{0}")]
    Invalid(String),
    /// Exit 3.
    #[error("an operator organisation already exists; nothing was changed")]
    AlreadyBootstrapped,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        Self::App(e.into())
    }
}

impl From<partnerd_domain::FieldError> for CliError {
    fn from(e: partnerd_domain::FieldError) -> Self {
        let flag = e.pointer.trim_start_matches('/');
        Self::Invalid(format!("--{flag}: {}", e.message))
    }
}

impl App {
    /// Creates the operator organisation and its first global admin.
    pub async fn bootstrap(&self, input: BootstrapInput) -> Result<Bootstrapped, CliError> {
        let org_name = name("/name", &input.name)?;
        let prefix = domain_prefix("/domain-prefix", &input.domain_prefix)?;
        let country = country("/country", &input.country)?;
        let email = EmailAddress::parse("/admin-email", &input.admin_email)?;
        let first = name("/admin-first-name", &input.admin_first_name)?;
        let last = name("/admin-last-name", &input.admin_last_name)?;
        {
            let mut conn = self.db().conn().await?;
            if organizations::operator(&mut conn).await?.is_some() {
                return Err(CliError::AlreadyBootstrapped);
            }
        }
        let temporary = generate_temporary();
        let hash = crate::crypto::temporary_password_hash(&temporary);
        let org = self.organization_row(NewTenant {
            kind: OrgKind::Operator,
            name: org_name.clone(),
            legal_name: Some(org_name),
            country,
            domain_prefix: prefix,
        });
        let user = self.user_row(
            &org.id,
            NewPerson {
                email,
                first_name: first,
                last_name: last,
                roles: Roles::new(vec![Role::GlobalAdmin, Role::AdminAgent]),
                password_hash: hash,
                must_change_password: true,
            },
        );
        let mut tx = self.db().begin().await?;
        match self.insert_tenant(&mut tx, &org, &user).await {
            Err(e) if e.conflict_kind() == Some(Conflict::Concurrent) => {
                return Err(CliError::AlreadyBootstrapped);
            }
            Err(e) if e.conflict_kind() == Some(Conflict::EmailInUse) => {
                return Err(CliError::Invalid(format!("--admin-email: {}", e.detail())));
            }
            Err(e) if e.conflict_kind() == Some(Conflict::DomainUnavailable) => {
                return Err(CliError::Invalid(format!(
                    "--domain-prefix: {}",
                    e.detail()
                )));
            }
            other => other?,
        }
        let ctx = Ctx::default();
        let entry = Entry::new(Actor::System("bootstrap"), "organization", Some(org.id.clone()), "bootstrapOperator")
            .participant(&org.id)
            .after(serde_json::json!({"organizationId": org.id, "adminUserId": user.id, "email": user.email}));
        self.commit_change(tx, &ctx, self.now(), entry, Vec::new())
            .await?;
        Ok(Bootstrapped {
            organization_id: org.id,
            user_id: user.id,
            email: user.email,
            temporary_password: temporary,
        })
    }

    /// `partnerd user reset-password`: a new temporary password; sessions revoked.
    pub async fn reset_password_cli(&self, email: &str) -> Result<(String, String), CliError> {
        let email = EmailAddress::parse("/email", email)?;
        let user = {
            let mut conn = self.db().conn().await?;
            users::find_by_email(&mut conn, &email.normalized()).await?
        }
        .ok_or_else(|| {
            CliError::Invalid(format!("--email: no user has the e-mail address {email}"))
        })?;
        let temporary = generate_temporary();
        let hash = crate::crypto::temporary_password_hash(&temporary);
        let now = self.now();
        let mut tx = self.db().begin().await?;
        users::set_password(&mut tx, &user.id, &hash, true, now).await?;
        sessions::revoke_all_for_user(&mut tx, &user.id, now).await?;
        let entry = Entry::new(
            Actor::System("cli"),
            "user",
            Some(user.id.clone()),
            "resetPassword",
        )
        .participant(&user.organization_id);
        self.commit_change(tx, &Ctx::default(), now, entry, Vec::new())
            .await?;
        Ok((user.email, temporary))
    }
}
