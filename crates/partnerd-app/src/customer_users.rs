//! Customer users, administered on behalf of the customer (API.md §9.2). Every call
//! needs the customer to be visible (an active relationship), the role the policy
//! names, and an active, unexpired delegated admin relationship; every change is
//! recorded with the full chain: user → partner → customer.

use crate::error::Refusal;
use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Role};
use partnerd_store::organizations::OrganizationRow;
use partnerd_store::users::{self, UserQuery, UserRow};
use partnerd_store::{Conn, sessions};

use crate::audit::{Actor, Entry};
use crate::crypto::{etag, temporary_password_hash};
use crate::error::check_if_match;
use crate::paging::{self, Page, PageParams};
use crate::users::{CreatedUser, NewUserInput, TemporaryPassword, UserChanges};
use crate::views::User;
use crate::{App, AppError, AppResult, Ctx, Principal};

impl App {
    /// The customer, once visibility, `action` and delegated admin are all satisfied.
    async fn on_behalf(
        &self,
        conn: &mut Conn,
        p: &Principal,
        customer_id: &OrgId,
        action: Action,
    ) -> AppResult<OrganizationRow> {
        let (org, _) = self.visible_customer(conn, p, customer_id).await?;
        self.require_on_behalf(conn, p, customer_id, action).await?;
        Ok(org)
    }

    fn on_behalf_entry<'a>(
        p: &'a Principal,
        customer: &OrganizationRow,
        user_id: &UserId,
        operation: &'static str,
    ) -> Entry<'a> {
        let mut e = Entry::new(
            Actor::Principal(p),
            "customerUser",
            Some(user_id.to_owned()),
            operation,
        )
        .participant(&customer.id);
        e.on_behalf_of = Some((customer.id.clone(), customer.name.clone()));
        e
    }

    /// `GET /v1/customers/{cid}/users`.
    pub async fn list_customer_users(
        &self,
        p: &Principal,
        customer_id: &OrgId,
        q: Option<String>,
        page: &PageParams,
    ) -> AppResult<Page<User>> {
        let mut conn = self.db().conn().await?;
        self.on_behalf(&mut conn, p, customer_id, Action::ReadCustomerUsers)
            .await?;
        let now = self.now();
        let start = paging::start(page, &format!("customer-users{customer_id}{q:?}"), now)?;
        let query = UserQuery {
            organization_id: customer_id.to_owned(),
            role: None,
            q,
        };
        let rows = users::list(&mut conn, &query, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| User::from(&r),
        ))
    }

    /// `GET /v1/customers/{cid}/users/{uid}`.
    pub async fn get_customer_user(
        &self,
        p: &Principal,
        customer_id: &OrgId,
        user_id: &UserId,
    ) -> AppResult<User> {
        let mut conn = self.db().conn().await?;
        self.on_behalf(&mut conn, p, customer_id, Action::ReadCustomerUsers)
            .await?;
        Ok(User::from(
            &self.org_user(&mut conn, customer_id, user_id).await?,
        ))
    }

    /// `POST /v1/customers/{cid}/users`: roles are the customer's own
    /// (`globalAdmin`, `userManagementAdmin`, `billingAdmin`) or none.
    pub async fn create_customer_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        customer_id: &OrgId,
        input: AppResult<NewUserInput>,
    ) -> AppResult<CreatedUser> {
        let mut tx = self.db().begin().await?;
        let customer = self
            .on_behalf(&mut tx, p, customer_id, Action::AdministerCustomers)
            .await?;
        let input = input?;
        let (row, temporary) = self.new_user_row(customer_id, OrgKind::Customer, &input)?;
        self.insert_user(&mut tx, &row).await?;
        let view = User::from(&row);
        let entry = Self::on_behalf_entry(p, &customer, &row.id, "createCustomerUser").after(&view);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![
                crate::events::Event {
                    event_type: "user.created",
                    resource_type: "user",
                    resource_id: &row.id,
                    resource_url: crate::urls::customer_user(customer_id, &row.id),
                    participants: vec![customer_id, p.organization.id.as_str()],
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

    /// `PATCH /v1/customers/{cid}/users/{uid}`.
    pub async fn update_customer_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        customer_id: &OrgId,
        user_id: &UserId,
        if_match: Option<&str>,
        input: AppResult<UserChanges>,
    ) -> AppResult<User> {
        let mut tx = self.db().begin().await?;
        let customer = self
            .on_behalf(&mut tx, p, customer_id, Action::AdministerCustomers)
            .await?;
        let before = self.org_user(&mut tx, customer_id, user_id).await?;
        let input = input?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let mut after = Self::changed_user(&before, OrgKind::Customer, &input)?;
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
        let entry = Self::on_behalf_entry(p, &customer, &after.id, "updateCustomerUser")
            .before(User::from(&before))
            .after(&view);
        self.commit_change(tx, ctx, now, entry, vec![]).await?;
        Ok(view)
    }

    /// `DELETE /v1/customers/{cid}/users/{uid}`.
    pub async fn delete_customer_user(
        &self,
        p: &Principal,
        ctx: &Ctx,
        customer_id: &OrgId,
        user_id: &UserId,
        if_match: Option<&str>,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let customer = self
            .on_behalf(&mut tx, p, customer_id, Action::AdministerCustomers)
            .await?;
        let before = self.org_user(&mut tx, customer_id, user_id).await?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        self.guard_last_global_admin(&mut tx, &before, None).await?;
        partnerd_store::commerce::release_user_licenses(&mut tx, &before.id).await?;
        users::delete(&mut tx, &before.id).await?;
        let entry = Self::on_behalf_entry(p, &customer, &before.id, "deleteCustomerUser")
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
                    resource_url: crate::urls::customer_user(customer_id, &before.id),
                    participants: vec![customer_id, p.organization.id.as_str()],
                }
                .with(&User::from(&before)),
            ],
        )
        .await?;
        Ok(())
    }

    /// `POST /v1/customers/{cid}/users/{uid}/resetpassword`: admin agents for anyone,
    /// helpdesk agents for users who are not the customer's global admins.
    pub async fn reset_customer_user_password(
        &self,
        p: &Principal,
        ctx: &Ctx,
        customer_id: &OrgId,
        user_id: &UserId,
    ) -> AppResult<TemporaryPassword> {
        let mut tx = self.db().begin().await?;
        let customer = self
            .on_behalf(&mut tx, p, customer_id, Action::ResetCustomerUserPassword)
            .await?;
        let target: UserRow = self.org_user(&mut tx, customer_id, user_id).await?;
        if target.roles.clone().contains(Role::GlobalAdmin) && !p.roles.contains(Role::AdminAgent) {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "only an Admin agent can reset the password of a customer's Global admin",
            ));
        }
        let temporary = partnerd_domain::password::generate_temporary();
        let now = self.now();
        users::set_password(
            &mut tx,
            &target.id,
            &temporary_password_hash(&temporary),
            true,
            now,
        )
        .await?;
        sessions::revoke_all_for_user(&mut tx, &target.id, now).await?;
        let entry = Self::on_behalf_entry(p, &customer, &target.id, "resetCustomerUserPassword");
        self.commit_change(tx, ctx, now, entry, vec![]).await?;
        Ok(TemporaryPassword {
            temporary_password: temporary,
        })
    }
}
