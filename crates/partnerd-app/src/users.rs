//! Users of the caller's own organisation (API.md §6) and the permission explainer.

use crate::error::Conflict;
use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::names::name;
use partnerd_domain::password::generate_temporary;
use partnerd_domain::policy::{self, Action, Actor as PolicyActor, Check};
use partnerd_domain::roles::OrgKind;
use partnerd_domain::roles::Role;
use partnerd_domain::{Collect, EmailAddress, FieldError, Roles};
use partnerd_store::users::{self, UserQuery, UserRow};
use partnerd_store::{Conn, organizations, sessions};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::paging::{self, Page, PageParams};
use crate::tenancy::NewPerson;
use crate::views::User;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// `POST /v1/users`.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<String>,
}

/// `PATCH /v1/users/{id}`: only the members sent change.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub roles: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

/// A new user and the temporary password, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    pub user: User,
    pub temporary_password: String,
}

/// A new temporary password, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryPassword {
    pub temporary_password: String,
}

/// Filters of `GET /v1/users`.
#[derive(Debug, Clone, Default)]
pub struct UserFilters {
    pub role: Option<String>,
    pub q: Option<String>,
}

/// One check of an explanation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionCheck {
    /// `organizationKind`, `program`, `session`, `role` (open enum).
    pub check: String,
    pub satisfied: bool,
    pub detail: String,
}

/// Whether a user may do one action, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    pub action: String,
    pub description: String,
    pub allowed: bool,
    /// The error code a refusal answers with (`forbidden`, `enrollment_required`, …).
    pub code: Option<String>,
    pub reason: String,
    pub checks: Vec<PermissionCheck>,
}

/// A user with what their roles let them do, as the explainer page shows it.
#[derive(Debug, Clone)]
pub struct UserPermissions {
    pub user: User,
    pub permissions: Vec<Permission>,
}

/// A user's new temporary password, with the user.
#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub user: User,
    pub password: TemporaryPassword,
}

/// What saving a user's form did.
#[derive(Debug, Clone)]
pub enum UserEdit {
    Saved(User),
    /// Nothing was saved (invalid, refused by a rule, or changed meanwhile);
    /// `current` is the user as it is now, to show the form again.
    Refused {
        error: AppError,
        current: User,
    },
}

fn check_view(c: Check) -> PermissionCheck {
    PermissionCheck {
        check: c.check.to_owned(),
        satisfied: c.satisfied,
        detail: c.detail,
    }
}

fn has_global_admin(roles: &[String]) -> bool {
    roles.iter().any(|r| r == Role::GlobalAdmin.as_str())
}

impl App {
    /// Loads a user of the caller's organisation, or 404.
    async fn own_user(&self, conn: &mut Conn, p: &Principal, id: &UserId) -> AppResult<UserRow> {
        self.org_user(conn, &p.organization.id, id).await
    }

    /// Loads a user of organisation `org`, or 404.
    pub(crate) async fn org_user(
        &self,
        conn: &mut Conn,
        org: &OrgId,
        id: &UserId,
    ) -> AppResult<UserRow> {
        users::get(conn, id)
            .await?
            .filter(|u| u.organization_id == *org)
            .ok_or_else(AppError::not_found)
    }

    /// A validated new user of `org` (of `kind`) with a fresh temporary password.
    pub(crate) fn new_user_row(
        &self,
        org: &OrgId,
        kind: OrgKind,
        input: &NewUserInput,
    ) -> AppResult<(UserRow, String)> {
        let mut c = Collect::default();
        let email = c.take(EmailAddress::parse("/email", &input.email));
        let first = c.take(name("/firstName", &input.first_name));
        let last = c.take(name("/lastName", &input.last_name));
        let roles = c.take(Roles::parse("/roles", &input.roles, kind));
        let (Some(email), Some(first_name), Some(last_name), Some(roles)) =
            (email, first, last, roles)
        else {
            return Err(AppError::validation(c.0));
        };
        let temporary = generate_temporary();
        let row = self.user_row(
            org,
            NewPerson {
                email,
                first_name,
                last_name,
                roles,
                password_hash: crate::crypto::temporary_password_hash(&temporary),
                must_change_password: true,
            },
        );
        Ok((row, temporary))
    }

    /// Inserts a new user; a taken address is 409 `email_in_use`.
    pub(crate) async fn insert_user(&self, conn: &mut Conn, row: &UserRow) -> AppResult<()> {
        match users::insert(conn, row).await {
            Err(e) if e.is_unique("users_email_norm_key") => Err(AppError::conflict(
                Conflict::EmailInUse,
                format!("{} is already a user of partnerd", row.email),
            )),
            other => Ok(other?),
        }
    }

    /// `before` with the changes applied and validated (roles for `kind`).
    pub(crate) fn changed_user(
        before: &UserRow,
        kind: OrgKind,
        input: &UserChanges,
    ) -> AppResult<UserRow> {
        let mut after = before.clone();
        let mut c = Collect::default();
        if let Some(v) = input
            .first_name
            .as_deref()
            .and_then(|f| c.take(name("/firstName", f)))
        {
            after.first_name = v;
        }
        if let Some(v) = input
            .last_name
            .as_deref()
            .and_then(|l| c.take(name("/lastName", l)))
        {
            after.last_name = v;
        }
        if let Some(v) = input
            .roles
            .as_deref()
            .and_then(|r| c.take(Roles::parse("/roles", r, kind)))
        {
            after.roles = v;
        }
        if let Some(d) = input.disabled {
            after.disabled = d;
        }
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        Ok(after)
    }

    /// `GET /v1/users`.
    pub async fn list_users(
        &self,
        p: &Principal,
        f: &UserFilters,
        page: &PageParams,
    ) -> AppResult<Page<User>> {
        p.require(Action::ManageUsers)?;
        if let Some(role) = &f.role
            && Role::parse(role).is_none()
        {
            return Err(
                FieldError::invalid("/query/role", format!("'{role}' is not a role")).into(),
            );
        }
        let now = self.now();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = UserQuery {
            organization_id: p.organization.id.clone(),
            role: f.role.clone(),
            q: f.q.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = users::list(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| User::from(&r),
        ))
    }

    /// `GET /v1/users/{id}`: global and user-management admins, and the user.
    pub async fn get_user(&self, p: &Principal, id: &UserId) -> AppResult<User> {
        let mut conn = self.db().conn().await?;
        let user = self.own_user(&mut conn, p, id).await?;
        if p.user.as_ref().is_none_or(|u| u.id != user.id) {
            p.require(Action::ManageUsers)?;
        }
        Ok(User::from(&user))
    }

    /// `POST /v1/users`.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn create_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<NewUserInput>,
    ) -> AppResult<CreatedUser> {
        p.require(Action::ManageUsers)?;
        let input = input?;
        if has_global_admin(&input.roles) {
            p.require(Action::ManageGlobalAdmins)?;
        }
        let (row, temporary) =
            self.new_user_row(&p.organization.id, p.organization.kind, &input)?;
        let view = User::from(&row);
        let mut tx = self.db().begin().await?;
        self.insert_user(&mut tx, &row).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "user",
                Some(row.id.clone()),
                "createUser",
            )
            .after(&view),
            vec![
                crate::events::Event {
                    event_type: "user.created",
                    resource_type: "user",
                    resource_id: &row.id,
                    resource_url: crate::urls::user(&row.id),
                    participants: vec![row.organization_id.as_str()],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(CreatedUser {
            user: view,
            temporary_password: temporary,
        })
    }

    /// Refuses to leave the organisation without an enabled global admin.
    pub(crate) async fn guard_last_global_admin(
        &self,
        conn: &mut Conn,
        before: &UserRow,
        after: Option<&UserRow>,
    ) -> AppResult<()> {
        let was = !before.disabled && before.roles.clone().contains(Role::GlobalAdmin);
        let stays =
            after.is_some_and(|a| !a.disabled && a.roles.clone().contains(Role::GlobalAdmin));
        if !was || stays {
            return Ok(());
        }
        organizations::lock(conn, self.db().backend(), &before.organization_id).await?;
        let admins = users::active_global_admins(conn, &before.organization_id).await?;
        if admins.iter().all(|id| id == &before.id) {
            return Err(AppError::conflict(
                Conflict::LastGlobalAdmin,
                "this is the organisation's last enabled Global admin; make someone else Global admin first",
            ));
        }
        Ok(())
    }

    /// Global admins are touched only by global admins.
    fn guard_global_admin_target(p: &Principal, target: &UserRow) -> AppResult<()> {
        if target.roles.clone().contains(Role::GlobalAdmin) {
            p.require(Action::ManageGlobalAdmins)?;
        }
        Ok(())
    }

    /// `PATCH /v1/users/{id}`.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn update_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &UserId,
        if_match: Option<&str>,
        input: AppResult<UserChanges>,
    ) -> AppResult<User> {
        let mut tx = self.db().begin().await?;
        let before = self.own_user(&mut tx, p, id).await?;
        p.require(Action::ManageUsers)?;
        Self::guard_global_admin_target(p, &before)?;
        let input = input?;
        if input.roles.as_deref().is_some_and(has_global_admin) {
            p.require(Action::ManageGlobalAdmins)?;
        }
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let mut after = Self::changed_user(&before, p.organization.kind, &input)?;
        self.guard_last_global_admin(&mut tx, &before, Some(&after))
            .await?;
        let now = self.now();
        crate::error::written(users::update(&mut tx, &after, now).await?)?;
        if after.disabled && !before.disabled {
            sessions::revoke_all_for_user(&mut tx, &after.id, now).await?;
        }
        after.version += 1;
        after.updated_at = now;
        let view = User::from(&after);
        let entry = Entry::new(
            Actor::Principal(p),
            "user",
            Some(after.id.clone()),
            "updateUser",
        )
        .before(User::from(&before))
        .after(&view);
        self.commit_change(tx, ctx, now, entry, vec![]).await?;
        Ok(view)
    }

    /// The portal's form of user `id`: saved, or refused with the user as it is now.
    pub async fn save_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &UserId,
        if_match: Option<&str>,
        changes: UserChanges,
    ) -> AppResult<UserEdit> {
        match self.update_user(p, ctx, id, if_match, Ok(changes)).await {
            Ok(u) => Ok(UserEdit::Saved(u)),
            Err(
                error @ (AppError::Conflict { .. }
                | AppError::PreconditionFailed
                | AppError::Validation(_)),
            ) => {
                let current = self.get_user(p, id).await?;
                Ok(UserEdit::Refused { error, current })
            }
            Err(e) => Err(e),
        }
    }

    /// The portal's password reset of user `id`: the new temporary password and
    /// whose it is.
    pub async fn reset_password_of(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &UserId,
    ) -> AppResult<PasswordReset> {
        let user = self.get_user(p, id).await?;
        let password = self.reset_user_password(p, ctx, id).await?;
        Ok(PasswordReset { user, password })
    }

    /// `/settings/users/{id}/permissions` in the portal: the user and what their
    /// roles let them do.
    pub async fn user_permissions(&self, p: &Principal, id: &UserId) -> AppResult<UserPermissions> {
        let user = self.get_user(p, id).await?;
        let permissions = self.explain_permissions(p, Some(id), None).await?;
        Ok(UserPermissions { user, permissions })
    }

    /// `DELETE /v1/users/{id}`: the user and its sessions go.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn delete_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &UserId,
        if_match: Option<&str>,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let before = self.own_user(&mut tx, p, id).await?;
        p.require(Action::ManageUsers)?;
        Self::guard_global_admin_target(p, &before)?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        self.guard_last_global_admin(&mut tx, &before, None).await?;
        partnerd_store::commerce::release_user_licenses(&mut tx, &before.id).await?;
        users::delete(&mut tx, &before.id).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "user",
            Some(before.id.clone()),
            "deleteUser",
        )
        .before(User::from(&before));
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                crate::events::Event {
                    event_type: "user.deleted",
                    resource_type: "user",
                    resource_id: &before.id,
                    resource_url: crate::urls::user(&before.id),
                    participants: vec![before.organization_id.as_str()],
                }
                .with(&User::from(&before)),
            ],
        )
        .await?;
        Ok(())
    }

    /// `POST /v1/users/{id}/resetpassword`: a temporary password, sessions revoked.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.request_id))]
    pub async fn reset_user_password(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &UserId,
    ) -> AppResult<TemporaryPassword> {
        let target = {
            let mut conn = self.db().conn().await?;
            self.own_user(&mut conn, p, id).await?
        };
        p.require(Action::ManageUsers)?;
        Self::guard_global_admin_target(p, &target)?;
        let temporary = generate_temporary();
        let hash = crate::crypto::temporary_password_hash(&temporary);
        let now = self.now();
        let mut tx = self.db().begin().await?;
        users::set_password(&mut tx, &target.id, &hash, true, now).await?;
        sessions::revoke_all_for_user(&mut tx, &target.id, now).await?;
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "user",
                Some(target.id.clone()),
                "resetUserPassword",
            ),
            vec![],
        )
        .await?;
        Ok(TemporaryPassword {
            temporary_password: temporary,
        })
    }

    /// The permission explainer: for the caller, or (global and user-management
    /// admins) for another user of the organisation; one action or all of them.
    pub async fn explain_permissions(
        &self,
        p: &Principal,
        user_id: Option<&UserId>,
        action: Option<&str>,
    ) -> AppResult<Vec<Permission>> {
        let actor: PolicyActor = match user_id {
            None => p.actor(),
            Some(id) => {
                let mut conn = self.db().conn().await?;
                let target = self.own_user(&mut conn, p, id).await?;
                if p.user.as_ref().is_none_or(|u| u.id != target.id) {
                    p.require(Action::ManageUsers)?;
                }
                PolicyActor {
                    org_kind: p.organization.kind,
                    programs: p.organization.programs.clone(),
                    roles: target.roles.clone(),
                    user_session: true,
                }
            }
        };
        let actions: Vec<Action> = match action {
            None => Action::ALL.to_vec(),
            Some(a) => vec![Action::parse(a).ok_or_else(|| {
                AppError::field(FieldError::invalid(
                    "/query/action",
                    format!("'{a}' is not an action; GET /v1/me/permissions lists them all"),
                ))
            })?],
        };
        Ok(actions
            .into_iter()
            .map(|a| {
                let e = policy::explain(&actor, a);
                Permission {
                    action: a.as_str().to_owned(),
                    description: policy::rule_for(a)
                        .map(|r| r.describes.to_owned())
                        .unwrap_or_default(),
                    allowed: e.allowed,
                    code: e.code.map(|c| c.code().to_owned()),
                    reason: e.reason,
                    checks: e.checks.into_iter().map(check_view).collect(),
                }
            })
            .collect())
    }
}
