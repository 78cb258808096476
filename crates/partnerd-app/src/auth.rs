//! Sign-in, sessions, the caller's own account and password (API.md §3.1).

use crate::error::Refusal;
use partnerd_domain::ids::{ApiKeyId, SessionId};
use partnerd_domain::password::{self, Context};
use partnerd_domain::policy::Action;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{EmailAddress, FieldError};
use partnerd_store::{api_keys, sessions, users};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::{new_token, token_hash};
use crate::views::{Organization, User};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};

pub const SESSION_PREFIX: &str = "pds_";
pub const API_KEY_PREFIX: &str = "pdk_";

/// What a client sends to sign in.
#[derive(Debug, Clone)]
pub struct SignInInput {
    pub email: String,
    pub password: String,
}

/// A new session.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub token: String,
    pub expires_at: Timestamp,
    pub password_change_required: bool,
    pub user: User,
    pub organization: Organization,
}

/// The token that replaces every session after a password change.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewSessionToken {
    pub token: String,
    pub expires_at: Timestamp,
}

/// The API key behind a call, in `GET /v1/me`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyRef {
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    pub name: String,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user: Option<User>,
    pub organization: Organization,
    pub roles: Vec<String>,
    pub password_change_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKeyRef>,
}

/// What a client sends to change its password.
#[derive(Debug, Clone)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

impl App {
    /// Takes a token from the public-endpoint buckets (per client IP).
    pub fn limit_public(&self, ctx: &Ctx) -> AppResult<()> {
        let ip = ctx.source_ip.clone().unwrap_or_default();
        self.limits()
            .public_ip
            .take(&ip, self.now())
            .map(|_| ())
            .map_err(|l| {
                self.metrics().rate_limited.inc();
                AppError::rate_limited(l.retry_after)
            })
    }

    /// Takes a token from the per-target bucket (an e-mail address or a link token).
    pub fn limit_target(&self, target: &str) -> AppResult<()> {
        self.limits()
            .target
            .take(target, self.now())
            .map(|_| ())
            .map_err(|l| {
                self.metrics().rate_limited.inc();
                AppError::rate_limited(l.retry_after)
            })
    }

    /// Seconds left of a sign-in lockout for this e-mail, if one is in force.
    async fn lockout_remaining(&self, email_norm: &str) -> AppResult<Option<u64>> {
        let threshold = i64::from(self.config().signin_failures_before_lockout.max(1));
        let window = i64::from(self.config().signin_lockout_minutes) * Timestamp::MINUTE;
        let now = self.now();
        let mut conn = self.db().conn().await?;
        let recent = users::recent_signin_failures(
            &mut conn,
            email_norm,
            now.minus_millis(2 * window),
            threshold,
        )
        .await?;
        // Locked when the newest `threshold` failures fall within one window; the
        // lock lasts one window from the failure that completed the count.
        if recent.len() as i64 == threshold {
            let newest = recent[0];
            let oldest = recent[recent.len() - 1];
            let lifted = newest.plus_millis(window);
            if newest.since(oldest) <= window && now < lifted {
                return Ok(Some((lifted.since(now) as u64).div_ceil(1000)));
            }
        }
        Ok(None)
    }

    async fn record_failed_sign_in(
        &self,
        ctx: &Ctx,
        email: &EmailAddress,
        user: Option<&users::UserRow>,
    ) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        users::record_signin_failure(&mut tx, &email.normalized(), now).await?;
        let actor = Actor::Anonymous {
            email: email.as_str().to_owned(),
            user_id: user.map(|u| u.id.clone()),
            organization_id: user.map(|u| u.organization_id.clone()),
        };
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(actor, "session", None::<String>, "signInFailed").failed(),
            vec![],
        )
        .await?;
        Ok(())
    }

    /// `POST /v1/sessions`.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn sign_in(&self, ctx: &Ctx, input: AppResult<SignInInput>) -> AppResult<SignedIn> {
        self.limit_public(ctx)?;
        let input = input?;
        let email = EmailAddress::parse("/email", &input.email)?;
        if input.password.is_empty() {
            return Err(FieldError::invalid("/password", "must not be empty").into());
        }
        self.limit_target(&format!("email:{}", email.normalized()))?;
        if let Some(wait) = self.lockout_remaining(&email.normalized()).await? {
            self.metrics().rate_limited.inc();
            return Err(AppError::rate_limited(wait).with_detail(format!(
                "too many failed sign-ins for this e-mail; try again in {wait} seconds"
            )));
        }
        let user = {
            let mut conn = self.db().conn().await?;
            users::find_by_email(&mut conn, &email.normalized()).await?
        };
        let ok = self
            .hasher()
            .verify(
                &input.password,
                user.as_ref().map(|u| u.password_hash.as_str()),
            )
            .await?;
        let user = match user {
            Some(u) if ok && !u.disabled => u,
            other => {
                self.record_failed_sign_in(ctx, &email, other.as_ref())
                    .await?;
                return Err(AppError::invalid_credentials());
            }
        };
        let now = self.now();
        let token = new_token(SESSION_PREFIX);
        let expires = now.plus_millis(self.config().session_ttl_ms);
        let session_id = SessionId::generate();
        let mut tx = self.db().begin().await?;
        sessions::insert(
            &mut tx,
            &sessions::NewSession {
                id: session_id.clone(),
                token_hash: token_hash(&token),
                user_id: user.id.clone(),
                restricted: user.must_change_password,
                created_at: now,
                expires_at: expires,
            },
        )
        .await?;
        users::touch_sign_in(&mut tx, &user.id, now).await?;
        let window = i64::from(self.config().signin_lockout_minutes) * Timestamp::MINUTE;
        users::clear_signin_failures(&mut tx, &user.email_norm, now.minus_millis(2 * window))
            .await?;
        let organization = partnerd_store::organizations::get(&mut tx, &user.organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        let actor = Actor::Anonymous {
            email: user.email.clone(),
            user_id: Some(user.id.clone()),
            organization_id: Some(user.organization_id.clone()),
        };
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(actor, "session", Some(session_id), "signIn"),
            vec![],
        )
        .await?;
        let mut user_view = User::from(&user);
        user_view.last_sign_in_at = Some(now);
        Ok(SignedIn {
            token,
            expires_at: expires,
            password_change_required: user.must_change_password,
            user: user_view,
            organization: Organization::from(&organization),
        })
    }

    /// Turns a bearer token into the caller, or 401.
    pub async fn authenticate(&self, token: &str) -> AppResult<Principal> {
        let now = self.now();
        let mut conn = self.db().conn().await?;
        if token.starts_with(SESSION_PREFIX) {
            let Some(s) = sessions::find_principal(&mut conn, &token_hash(token)).await? else {
                return Err(AppError::unauthenticated());
            };
            if s.revoked || s.expires_at <= now || s.user.disabled {
                return Err(AppError::unauthenticated());
            }
            return Ok(Principal {
                credential: Credential::Session {
                    session_id: s.session_id,
                    restricted: s.restricted,
                },
                roles: s.user.roles.clone(),
                user: Some(User::from(&s.user)),
                organization: Organization::from(&s.organization),
            });
        }
        if token.starts_with(API_KEY_PREFIX) {
            let Some((key, org)) = api_keys::find_principal(&mut conn, &token_hash(token)).await?
            else {
                return Err(AppError::unauthenticated());
            };
            if key.revoked_at.is_some() || key.expires_at.is_some_and(|e| e <= now) {
                return Err(AppError::unauthenticated());
            }
            api_keys::touch_used(&mut conn, &key.id, now).await?;
            return Ok(Principal {
                credential: Credential::ApiKey {
                    id: key.id.clone(),
                    name: key.name.clone(),
                },
                roles: key.roles.clone(),
                user: None,
                organization: Organization::from(&org),
            });
        }
        Err(AppError::unauthenticated())
    }

    /// `GET /v1/me`.
    pub fn me(&self, p: &Principal) -> Me {
        Me {
            user: p.user.clone(),
            organization: p.organization.clone(),
            roles: p.roles.names(),
            password_change_required: p.is_restricted(),
            api_key: match &p.credential {
                Credential::ApiKey { id, name } => Some(ApiKeyRef {
                    id: id.clone(),
                    name: name.clone(),
                }),
                Credential::Session { .. } => None,
            },
        }
    }

    /// `GET /v1/organization`.
    pub fn own_organization(&self, p: &Principal) -> AppResult<Organization> {
        p.require(Action::ReadOwnOrganization)?;
        Ok(p.organization.clone())
    }

    /// Checks a new password against the policy for this user and organisation.
    pub fn check_password_policy(
        &self,
        pointer: &str,
        pw: &str,
        email: &str,
        domain_prefix: &str,
    ) -> AppResult<()> {
        let local = email.rsplit_once('@').map(|(l, _)| l);
        password::check(
            pw,
            Context {
                email_local_part: local,
                domain_prefix: Some(domain_prefix),
            },
        )
        .map_err(|e| {
            AppError::field(FieldError::new(
                pointer,
                "weak_password",
                format!("the password {e}"),
            ))
        })
    }

    /// `POST /v1/me/password`: verifies the current password, sets the new one,
    /// revokes every session of the user and opens a fresh, unrestricted one.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn change_password(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<ChangePasswordInput>,
    ) -> AppResult<NewSessionToken> {
        let Some(user) = &p.user else {
            return Err(AppError::forbidden(
                Refusal::UserSessionRequired,
                "an API key has no password; sign in as a person",
            ));
        };
        let input = input?;
        if input.current_password.is_empty() {
            return Err(FieldError::invalid("/currentPassword", "must not be empty").into());
        }
        let stored = {
            let mut conn = self.db().conn().await?;
            users::get(&mut conn, &user.id)
                .await?
                .ok_or_else(AppError::unauthenticated)?
        };
        if !self
            .hasher()
            .verify(&input.current_password, Some(&stored.password_hash))
            .await?
        {
            return Err(
                AppError::invalid_credentials().with_detail("the current password is wrong")
            );
        }
        self.check_password_policy(
            "/newPassword",
            &input.new_password,
            &user.email,
            &p.organization.domain_prefix,
        )?;
        if input.new_password == input.current_password {
            return Err(FieldError::new(
                "/newPassword",
                "weak_password",
                "the new password must differ from the current one",
            )
            .into());
        }
        let hash = self.hasher().hash(&input.new_password).await?;
        let now = self.now();
        let token = new_token(SESSION_PREFIX);
        let expires = now.plus_millis(self.config().session_ttl_ms);
        let mut tx = self.db().begin().await?;
        users::set_password(&mut tx, &user.id, &hash, false, now).await?;
        sessions::revoke_all_for_user(&mut tx, &user.id, now).await?;
        sessions::insert(
            &mut tx,
            &sessions::NewSession {
                id: SessionId::generate(),
                token_hash: token_hash(&token),
                user_id: user.id.clone(),
                restricted: false,
                created_at: now,
                expires_at: expires,
            },
        )
        .await?;
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "user",
                Some(user.id.clone()),
                "changePassword",
            ),
            vec![],
        )
        .await?;
        Ok(NewSessionToken {
            token,
            expires_at: expires,
        })
    }

    /// The portal's Sign out: ends the session of `token` (the browser's cookie).
    /// A token that no longer authenticates has nothing to end.
    pub async fn sign_out_token(&self, ctx: &Ctx, token: &str) -> AppResult<()> {
        match self.authenticate(token).await {
            Ok(p) => self.sign_out(&p, ctx).await,
            Err(_) => Ok(()),
        }
    }

    /// `DELETE /v1/sessions/current`.
    pub async fn sign_out(&self, p: &Principal, ctx: &Ctx) -> AppResult<()> {
        let Credential::Session { session_id, .. } = &p.credential else {
            return Err(AppError::forbidden(
                Refusal::UserSessionRequired,
                "an API key has no session; delete the key instead",
            ));
        };
        let now = self.now();
        let mut tx = self.db().begin().await?;
        sessions::revoke(&mut tx, session_id, now).await?;
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "session",
                Some(session_id.clone()),
                "signOut",
            ),
            vec![],
        )
        .await?;
        Ok(())
    }
}
