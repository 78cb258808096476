//! The operator's Membership registry page: the memberships and the registry
//! accounts, and adding either from there. Each returns what the page shows next,
//! so the page makes one call.

use super::{AccountInput, Membership, MembershipInput, MembershipQuery, RegistryAccount};
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What the Membership registry page shows.
#[derive(Debug, Clone)]
pub struct RegistryOverview {
    /// Up to 200 memberships.
    pub memberships: Page<Membership>,
    /// Up to 200 registry accounts.
    pub accounts: Page<RegistryAccount>,
}

/// What adding a membership or a registry account did.
#[derive(Debug, Clone)]
pub enum RegistryAddition {
    Added,
    /// Nothing was added: the form had errors, or the membership ID or username
    /// is taken; `overview` shows the page again.
    Refused {
        error: AppError,
        overview: RegistryOverview,
    },
}

impl App {
    /// `/operator/registry` in the portal.
    pub async fn registry_overview(&self, p: &Principal) -> AppResult<RegistryOverview> {
        let all = PageParams::first(200);
        let memberships = self
            .list_memberships(p, &MembershipQuery::default(), &all)
            .await?;
        let accounts = self.list_registry_accounts(p, &all).await?;
        Ok(RegistryOverview {
            memberships,
            accounts,
        })
    }

    /// `POST /operator/registry/memberships`.
    pub async fn add_membership(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: MembershipInput,
    ) -> AppResult<RegistryAddition> {
        let result = self.create_membership(p, ctx, Ok(input)).await.map(|_| ());
        self.registry_addition(p, result).await
    }

    /// `POST /operator/registry/accounts`.
    pub async fn add_registry_account(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AccountInput,
    ) -> AppResult<RegistryAddition> {
        let result = self
            .create_registry_account(p, ctx, Ok(input))
            .await
            .map(|_| ());
        self.registry_addition(p, result).await
    }

    /// A refused addition with the page to show again; any other error as it is.
    async fn registry_addition(
        &self,
        p: &Principal,
        result: AppResult<()>,
    ) -> AppResult<RegistryAddition> {
        match result {
            Ok(()) => Ok(RegistryAddition::Added),
            Err(error @ (AppError::Conflict { .. } | AppError::Validation(_))) => {
                Ok(RegistryAddition::Refused {
                    error,
                    overview: self.registry_overview(p).await?,
                })
            }
            Err(e) => Err(e),
        }
    }
}
