//! The membership registry (API.md §4.4): the operator's stand-in for the partner
//! network, with memberships and the registry accounts that sign in to them.

mod overview;

pub use overview::{RegistryAddition, RegistryOverview};

use crate::error::Conflict;
use partnerd_domain::FieldError;
use partnerd_domain::ids::{OrgId, RegistryAccountId};
use partnerd_domain::names::{country, name, short_text};
use partnerd_domain::policy::Action;
use partnerd_domain::time::Timestamp;
pub use partnerd_store::registry::MembershipQuery;
use partnerd_store::registry::{self, AccountRow, MembershipRow};
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// A partner-network membership.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub membership_id: String,
    pub legal_name: String,
    pub country: String,
    #[schema(value_type = Option<String>)]
    pub linked_organization_id: Option<OrgId>,
    pub created_at: Timestamp,
    pub etag: String,
}

impl From<MembershipRow> for Membership {
    fn from(m: MembershipRow) -> Self {
        Self {
            etag: etag(&format!("membership:{}", m.membership_id), m.version),
            created_at: m.created_at,
            membership_id: m.membership_id,
            legal_name: m.legal_name,
            country: m.country,
            linked_organization_id: m.linked_organization_id,
        }
    }
}

/// A registry account (its password is never shown).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistryAccount {
    #[schema(value_type = String)]
    pub id: RegistryAccountId,
    pub username: String,
    pub membership_ids: Vec<String>,
    pub created_at: Timestamp,
    pub etag: String,
}

impl From<AccountRow> for RegistryAccount {
    fn from(a: AccountRow) -> Self {
        Self {
            etag: etag(&a.id, a.version),
            created_at: a.created_at,
            membership_ids: a
                .membership_ids
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            id: a.id,
            username: a.username,
        }
    }
}

/// `POST /v1/registry/memberships`; for `PATCH` only `legalName` and `country`.
#[derive(Debug, Clone, Default)]
pub struct MembershipInput {
    pub membership_id: Option<String>,
    pub legal_name: Option<String>,
    pub country: Option<String>,
}

/// `POST /v1/registry/accounts`; for `PATCH` only `password` and `membershipIds`.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub username: Option<String>,
    pub password: Option<String>,
    pub membership_ids: Option<Vec<String>>,
}

fn membership_id(pointer: &str, raw: &str) -> Result<String, FieldError> {
    if (6..=12).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::invalid(pointer, "must be 6–12 digits"))
    }
}

impl App {
    /// `POST /v1/registry/memberships`.
    pub async fn create_membership(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<MembershipInput>,
    ) -> AppResult<Membership> {
        p.require(Action::ManageRegistry)?;
        let input = input?;
        let mut errors = Vec::new();
        let id = match input.membership_id.as_deref() {
            Some(raw) => membership_id("/membershipId", raw)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(format!(
                "{}",
                rand::rng().random_range(10_000_000..100_000_000u64)
            )),
        };
        let legal = match &input.legal_name {
            Some(v) => name("/legalName", v).map_err(|e| errors.push(e)).ok(),
            None => {
                errors.push(FieldError::invalid("/legalName", "is required"));
                None
            }
        };
        let ctry = match &input.country {
            Some(v) => country("/country", v).map_err(|e| errors.push(e)).ok(),
            None => {
                errors.push(FieldError::invalid("/country", "is required"));
                None
            }
        };
        let (Some(id), Some(legal), Some(ctry)) = (id, legal, ctry) else {
            return Err(AppError::validation(errors));
        };
        let now = self.now();
        let row = MembershipRow {
            membership_id: id,
            legal_name: legal,
            country: ctry,
            linked_organization_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.db().begin().await?;
        match registry::insert_membership(&mut tx, &row).await {
            Err(e) if e.is_unique("memberships_membership_id_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    format!("the membership {} exists", row.membership_id),
                ));
            }
            other => other?,
        }
        let view = Membership::from(row);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "membership",
                Some(view.membership_id.clone()),
                "createMembership",
            )
            .after(&view),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/registry/memberships`.
    pub async fn list_memberships(
        &self,
        p: &Principal,
        q: &MembershipQuery,
        page: &PageParams,
    ) -> AppResult<Page<Membership>> {
        p.require(Action::ManageRegistry)?;
        if let Some(c) = &q.country {
            country("/query/country", c)?;
        }
        let now = self.now();
        let start = paging::start(page, &format!("{q:?}"), now)?;
        let mut conn = self.db().conn().await?;
        let rows = registry::list_memberships(&mut conn, q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.membership_id.clone()),
            Membership::from,
        ))
    }

    /// `GET /v1/registry/memberships/{id}`.
    pub async fn get_membership(&self, p: &Principal, id: &str) -> AppResult<Membership> {
        p.require(Action::ManageRegistry)?;
        let mut conn = self.db().conn().await?;
        Ok(registry::get_membership(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?
            .into())
    }

    /// `PATCH /v1/registry/memberships/{id}`.
    pub async fn update_membership(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        if_match: Option<&str>,
        input: AppResult<MembershipInput>,
    ) -> AppResult<Membership> {
        p.require(Action::ManageRegistry)?;
        let mut tx = self.db().begin().await?;
        let before = registry::get_membership(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        check_if_match(
            &etag(&format!("membership:{id}"), before.version),
            if_match,
            false,
        )?;
        let input = input?;
        let mut after = before.clone();
        let mut errors = Vec::new();
        if input.membership_id.as_deref().is_some_and(|m| m != id) {
            errors.push(FieldError::invalid(
                "/membershipId",
                "a membership's id cannot change",
            ));
        }
        if let Some(v) = &input.legal_name {
            name("/legalName", v)
                .map(|v| after.legal_name = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if let Some(v) = &input.country {
            country("/country", v)
                .map(|v| after.country = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        if after.country != before.country && before.linked_organization_id.is_some() {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                "the membership is linked to an organisation; its country cannot change",
            ));
        }
        registry::update_membership(&mut tx, &after, self.now()).await?;
        after.version += 1;
        let view = Membership::from(after);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "membership",
                Some(id.to_owned()),
                "updateMembership",
            )
            .before(Membership::from(before))
            .after(&view),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `DELETE /v1/registry/memberships/{id}`.
    pub async fn delete_membership(&self, p: &Principal, ctx: &Ctx, id: &str) -> AppResult<()> {
        p.require(Action::ManageRegistry)?;
        let mut tx = self.db().begin().await?;
        let before = registry::get_membership(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if before.linked_organization_id.is_some() {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                "the membership is linked to an organisation and cannot be deleted",
            ));
        }
        registry::delete_membership(&mut tx, id).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "membership",
                Some(id.to_owned()),
                "deleteMembership",
            )
            .before(Membership::from(before)),
            vec![],
        )
        .await?;
        Ok(())
    }

    async fn check_membership_ids(
        &self,
        ids: &[String],
        errors: &mut Vec<FieldError>,
    ) -> AppResult<Vec<String>> {
        if ids.is_empty() {
            errors.push(FieldError::invalid(
                "/membershipIds",
                "name at least one membership",
            ));
        }
        let mut conn = self.db().conn().await?;
        let mut out = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if registry::get_membership(&mut conn, id).await?.is_none() {
                errors.push(FieldError::invalid(
                    format!("/membershipIds/{i}"),
                    format!("no membership {id}"),
                ));
            } else if !out.contains(id) {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// `POST /v1/registry/accounts`.
    pub async fn create_registry_account(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<AccountInput>,
    ) -> AppResult<RegistryAccount> {
        p.require(Action::ManageRegistry)?;
        let input = input?;
        let mut errors = Vec::new();
        let username = match &input.username {
            Some(u) => short_text("/username", u, 64)
                .and_then(|u| {
                    if u.chars().count() >= 3 {
                        Ok(u)
                    } else {
                        Err(FieldError::invalid("/username", "must be 3–64 characters"))
                    }
                })
                .map_err(|e| errors.push(e))
                .ok(),
            None => {
                errors.push(FieldError::invalid("/username", "is required"));
                None
            }
        };
        let ids = self
            .check_membership_ids(
                input.membership_ids.as_deref().unwrap_or_default(),
                &mut errors,
            )
            .await?;
        let password = input.password.clone().unwrap_or_default();
        if password.is_empty() {
            errors.push(FieldError::invalid("/password", "is required"));
        }
        let (Some(username), true) = (username, errors.is_empty()) else {
            return Err(AppError::validation(errors));
        };
        self.check_password_policy("/password", &password, &format!("{username}@registry"), "")?;
        let hash = self.hasher().hash(&password).await?;
        let now = self.now();
        let row = AccountRow {
            id: RegistryAccountId::generate(),
            username_norm: username.to_lowercase(),
            username,
            password_hash: hash,
            membership_ids: ids.join(","),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.db().begin().await?;
        match registry::insert_account(&mut tx, &row).await {
            Err(e) if e.is_unique("registry_accounts_username_norm_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    format!("the username {} is taken", row.username),
                ));
            }
            other => other?,
        }
        let view = RegistryAccount::from(row);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "membership",
                Some(view.id.clone()),
                "createRegistryAccount",
            )
            .after(&view),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/registry/accounts`.
    pub async fn list_registry_accounts(
        &self,
        p: &Principal,
        page: &PageParams,
    ) -> AppResult<Page<RegistryAccount>> {
        p.require(Action::ManageRegistry)?;
        let now = self.now();
        let start = paging::start(page, "registry-accounts", now)?;
        let mut conn = self.db().conn().await?;
        let rows = registry::list_accounts(&mut conn, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            RegistryAccount::from,
        ))
    }

    /// `GET /v1/registry/accounts/{id}`.
    pub async fn get_registry_account(
        &self,
        p: &Principal,
        id: &RegistryAccountId,
    ) -> AppResult<RegistryAccount> {
        p.require(Action::ManageRegistry)?;
        let mut conn = self.db().conn().await?;
        Ok(registry::get_account(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?
            .into())
    }

    /// `PATCH /v1/registry/accounts/{id}`.
    pub async fn update_registry_account(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &RegistryAccountId,
        if_match: Option<&str>,
        input: AppResult<AccountInput>,
    ) -> AppResult<RegistryAccount> {
        p.require(Action::ManageRegistry)?;
        let before = {
            let mut conn = self.db().conn().await?;
            registry::get_account(&mut conn, id)
                .await?
                .ok_or_else(AppError::not_found)?
        };
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        let mut after = before.clone();
        let mut errors = Vec::new();
        if input
            .username
            .as_deref()
            .is_some_and(|u| u != before.username)
        {
            errors.push(FieldError::invalid(
                "/username",
                "a registry account's username cannot change",
            ));
        }
        if let Some(ids) = &input.membership_ids {
            after.membership_ids = self.check_membership_ids(ids, &mut errors).await?.join(",");
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        if let Some(pw) = &input.password {
            self.check_password_policy(
                "/password",
                pw,
                &format!("{}@registry", before.username),
                "",
            )?;
            after.password_hash = self.hasher().hash(pw).await?;
        }
        let mut tx = self.db().begin().await?;
        registry::update_account(&mut tx, &after, self.now()).await?;
        after.version += 1;
        let view = RegistryAccount::from(after);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "membership",
                Some(id.to_owned()),
                "updateRegistryAccount",
            )
            .after(&view),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `DELETE /v1/registry/accounts/{id}`.
    pub async fn delete_registry_account(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &RegistryAccountId,
    ) -> AppResult<()> {
        p.require(Action::ManageRegistry)?;
        let mut tx = self.db().begin().await?;
        if !registry::delete_account(&mut tx, id).await? {
            return Err(AppError::not_found());
        }
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "membership",
                Some(id.to_owned()),
                "deleteRegistryAccount",
            ),
            vec![],
        )
        .await?;
        Ok(())
    }
}
