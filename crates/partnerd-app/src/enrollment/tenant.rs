//! Signing up: a new organisation (a tenant) and its global admin, who is signed in
//! at once.

use partnerd_domain::ids::{SessionId, UserId};
use partnerd_domain::names::{country, name};
use partnerd_domain::password::{self, Context};
use partnerd_domain::roles::{OrgKind, Role};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{EmailAddress, FieldError, Roles};
use partnerd_store::organizations::OrganizationRow;
use partnerd_store::users::UserRow;
use partnerd_store::{Conn, sessions};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::auth::SESSION_PREFIX;
use crate::crypto::{new_token, token_hash};
use crate::tenancy::{NewPerson, NewTenant};
use crate::views::{Organization, User};
use crate::{App, AppError, AppResult, Ctx};

/// `POST /v1/tenants`.
#[derive(Debug, Clone)]
pub struct TenantInput {
    pub company_name: String,
    pub domain_prefix: String,
    pub country: String,
    pub admin_email: String,
    pub admin_first_name: String,
    pub admin_last_name: String,
    pub admin_password: String,
}

/// A new session, inside other answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionToken {
    pub token: String,
    pub expires_at: Timestamp,
}

/// A new tenant, its global admin and their session.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantCreated {
    pub organization: Organization,
    pub user: User,
    pub session: SessionToken,
}

impl App {
    /// `POST /v1/tenants`: self sign-up of an organisation and its global admin.
    pub async fn create_tenant(
        &self,
        ctx: &Ctx,
        input: AppResult<TenantInput>,
    ) -> AppResult<TenantCreated> {
        self.limit_public(ctx)?;
        let input = input?;
        self.limit_target(&format!(
            "email:{}",
            input.admin_email.trim().to_lowercase()
        ))?;
        let (org, user) = self.tenant_rows(&input).await?;
        let mut tx = self.db().begin().await?;
        self.insert_tenant(&mut tx, &org, &user).await?;
        let session = self.open_session(&mut tx, &user.id).await?;
        let actor = Actor::Anonymous {
            email: user.email.clone(),
            user_id: Some(user.id.clone()),
            organization_id: Some(org.id.clone()),
        };
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(actor, "organization", Some(org.id.clone()), "createTenant"),
            vec![],
        )
        .await?;
        Ok(TenantCreated {
            organization: Organization::from(&org),
            user: User::from(&user),
            session,
        })
    }

    /// Validates a tenant sign-up.
    pub(super) async fn tenant_rows(
        &self,
        input: &TenantInput,
    ) -> AppResult<(OrganizationRow, UserRow)> {
        let mut errors = Vec::new();
        let mut ok = |r: Result<String, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let company = ok(name("/companyName", &input.company_name));
        let prefix = ok(partnerd_domain::names::domain_prefix(
            "/domainPrefix",
            &input.domain_prefix,
        ));
        let ctry = ok(country("/country", &input.country));
        let first = ok(name("/admin/firstName", &input.admin_first_name));
        let last = ok(name("/admin/lastName", &input.admin_last_name));
        let email = EmailAddress::parse("/admin/email", &input.admin_email)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(company), Some(prefix), Some(ctry), Some(first), Some(last), Some(email)) =
            (company, prefix, ctry, first, last, email)
        else {
            return Err(AppError::validation(errors));
        };
        password::check(
            &input.admin_password,
            Context {
                email_local_part: Some(email.local_part()),
                domain_prefix: Some(&prefix),
            },
        )
        .map_err(|e| {
            AppError::field(FieldError::new(
                "/admin/password",
                "weak_password",
                format!("the password {e}"),
            ))
        })?;
        let hash = self.hasher().hash(&input.admin_password).await?;
        let org = self.organization_row(NewTenant {
            kind: OrgKind::None,
            name: company,
            legal_name: None,
            country: ctry,
            domain_prefix: prefix,
        });
        let user = self.user_row(
            &org.id,
            NewPerson {
                email,
                first_name: first,
                last_name: last,
                roles: Roles::new(vec![Role::GlobalAdmin]),
                password_hash: hash,
                must_change_password: false,
            },
        );
        Ok((org, user))
    }

    /// Signs the new global admin in: a session of the usual length.
    pub(super) async fn open_session(
        &self,
        conn: &mut Conn,
        user_id: &UserId,
    ) -> AppResult<SessionToken> {
        let now = self.now();
        let token = new_token(SESSION_PREFIX);
        let expires = now.plus_millis(self.config().session_ttl_ms);
        sessions::insert(
            conn,
            &sessions::NewSession {
                id: SessionId::generate(),
                token_hash: token_hash(&token),
                user_id: user_id.to_owned(),
                restricted: false,
                created_at: now,
                expires_at: expires,
            },
        )
        .await?;
        Ok(SessionToken {
            token,
            expires_at: expires,
        })
    }
}
