//! API keys (API.md §3.2): an organisation's credentials for programs.

use partnerd_domain::ids::ApiKeyId;
use partnerd_domain::names::short_text;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Role;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{FieldError, Roles};
use partnerd_store::api_keys::{self, ApiKeyRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::auth::API_KEY_PREFIX;
use crate::crypto::{etag, new_token, token_hash};
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What a client sends to create a key.
#[derive(Debug, Clone)]
pub struct CreateApiKeyInput {
    pub name: String,
    pub roles: Vec<String>,
    pub expires_at: Option<String>,
}

/// An API key as listed (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    pub name: String,
    pub roles: Vec<String>,
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub etag: String,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(k: ApiKeyRow) -> Self {
        Self {
            roles: k.roles.clone().names(),
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            etag: etag(&k.id, k.version),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
        }
    }
}

/// A new key: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    pub name: String,
    pub roles: Vec<String>,
    pub prefix: String,
    pub secret: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub etag: String,
}

impl App {
    /// `POST /v1/apikeys`.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn create_api_key(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<CreateApiKeyInput>,
    ) -> AppResult<CreatedApiKey> {
        p.require(Action::ManageApiKeys)?;
        let input = input?;
        let now = self.now();
        let mut errors = Vec::new();
        let name = short_text("/name", &input.name, 80)
            .map_err(|e| errors.push(e))
            .ok();
        let roles = match Roles::parse("/roles", &input.roles, p.organization.kind) {
            Ok(r) => {
                for (i, role) in input.roles.iter().enumerate() {
                    let Some(role) = Role::parse(role) else {
                        continue;
                    };
                    if role == Role::GlobalAdmin {
                        errors.push(FieldError::invalid(
                            format!("/roles/{i}"),
                            "an API key cannot be a Global admin",
                        ));
                    } else if !p.roles.contains(role) {
                        errors.push(FieldError::invalid(
                            format!("/roles/{i}"),
                            format!("you do not hold the role {} yourself", role.label()),
                        ));
                    }
                }
                Some(r)
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let expires_at = match input.expires_at.as_deref() {
            None => None,
            Some(raw) => match Timestamp::parse_rfc3339(raw) {
                Some(t) if t <= now => {
                    errors.push(FieldError::invalid("/expiresAt", "must be in the future"));
                    None
                }
                Some(t) if t > now.plus_millis(366 * Timestamp::DAY) => {
                    errors.push(FieldError::invalid(
                        "/expiresAt",
                        "must be at most one year ahead",
                    ));
                    None
                }
                Some(t) => Some(t),
                None => {
                    errors.push(FieldError::invalid(
                        "/expiresAt",
                        "must be an RFC 3339 instant such as 2025-01-31T09:00:00Z",
                    ));
                    None
                }
            },
        };
        let (Some(name), Some(roles), true) = (name, roles, errors.is_empty()) else {
            return Err(AppError::validation(errors));
        };
        let secret = new_token(API_KEY_PREFIX);
        let row = ApiKeyRow {
            id: ApiKeyId::generate(),
            organization_id: p.organization.id.clone(),
            name,
            roles: roles.clone(),
            prefix: secret.chars().take(12).collect(),
            secret_hash: token_hash(&secret),
            created_by: p.user.as_ref().map(|u| u.id.to_string()),
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        let view = ApiKey::from(row.clone());
        let mut tx = self.db().begin().await?;
        api_keys::insert(&mut tx, &row).await?;
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "apiKey",
                Some(row.id.clone()),
                "createApiKey",
            )
            .after(&view),
            vec![],
        )
        .await?;
        Ok(CreatedApiKey {
            id: view.id,
            name: view.name,
            roles: view.roles,
            prefix: view.prefix,
            secret,
            created_at: view.created_at,
            expires_at: view.expires_at,
            etag: view.etag,
        })
    }

    /// `GET /v1/apikeys`.
    pub async fn list_api_keys(&self, p: &Principal, page: &PageParams) -> AppResult<Page<ApiKey>> {
        p.require(Action::ManageApiKeys)?;
        let now = self.now();
        let start = paging::start(page, "apikeys", now)?;
        let mut conn = self.db().conn().await?;
        let rows = api_keys::list(&mut conn, &p.organization.id, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            ApiKey::from,
        ))
    }

    /// `DELETE /v1/apikeys/{id}`: revoked at once.
    pub async fn revoke_api_key(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ApiKeyId,
        if_match: Option<&str>,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let key = api_keys::get(&mut tx, &p.organization.id, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageApiKeys)?;
        crate::error::check_if_match(&etag(&key.id, key.version), if_match, false)?;
        let now = self.now();
        api_keys::revoke(&mut tx, &key.id, now).await?;
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "apiKey",
                Some(key.id.clone()),
                "revokeApiKey",
            )
            .before(ApiKey::from(key)),
            vec![],
        )
        .await?;
        Ok(())
    }
}
