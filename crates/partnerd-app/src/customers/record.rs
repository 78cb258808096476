//! A customer's record as its partner sees it in one view: the customer and its
//! relationships, its subscriptions, its licenses, and its users when the caller
//! administers them.

use partnerd_domain::ids::OrgId;
use partnerd_domain::policy::Action;

use crate::Refusal;
use crate::commerce::{SubscribedSku, Subscription};
use crate::paging::{Page, PageParams};
use crate::views::User;
use crate::{App, AppError, AppResult, Principal};

use super::Customer;

/// What the record shows of the customer's users.
#[derive(Debug, Clone)]
pub enum CustomerUsers {
    /// The caller's roles do not administer customers' users.
    NotInRole,
    /// Administering them needs active delegated admin privileges, which the
    /// partner does not hold (it may ask the customer for them).
    NeedsDelegatedAdmin,
    /// The users matching the search.
    Listed(Page<User>),
}

/// A customer's record.
#[derive(Debug, Clone)]
pub struct CustomerRecord {
    pub customer: Customer,
    pub subscriptions: Page<Subscription>,
    pub licenses: Vec<SubscribedSku>,
    pub users: CustomerUsers,
}

impl App {
    /// `/customers/{id}` in the portal: the customer, its first 100 subscriptions,
    /// its licenses and its first 100 users matching `user_search`.
    pub async fn customer_record(
        &self,
        p: &Principal,
        id: &OrgId,
        user_search: Option<String>,
    ) -> AppResult<CustomerRecord> {
        let customer = self.get_customer(p, id).await?;
        let subscriptions = self
            .list_subscriptions(p, id, &Default::default(), &PageParams::first(100))
            .await?;
        let licenses = self.subscribed_skus(p, id).await?;
        let users = if !p.may(Action::ReadCustomerUsers) {
            CustomerUsers::NotInRole
        } else {
            match self
                .list_customer_users(p, id, user_search, &PageParams::first(100))
                .await
            {
                Ok(page) => CustomerUsers::Listed(page),
                Err(AppError::Forbidden {
                    reason: Refusal::DelegatedAdminRequired,
                    ..
                }) => CustomerUsers::NeedsDelegatedAdmin,
                Err(e) => return Err(e),
            }
        };
        Ok(CustomerRecord {
            customer,
            subscriptions,
            licenses,
            users,
        })
    }
}
