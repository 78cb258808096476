//! The customer's Partners page: the partners that serve it and the delegated
//! admin privileges each holds.

use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Principal};

use super::{DelegatedAdminRelationship, DelegationFilters, PartnerRelationship};

/// What the Partners page shows.
#[derive(Debug, Clone)]
pub struct PartnerList {
    /// Up to 200 active partner relationships.
    pub partners: Page<PartnerRelationship>,
    /// Up to 200 delegations, newest first; none when the caller's roles do not
    /// read delegated admin.
    pub delegations: Vec<DelegatedAdminRelationship>,
}

impl App {
    /// `/partners` in the portal (a customer's view).
    pub async fn partner_list(&self, p: &Principal) -> AppResult<PartnerList> {
        let all = PageParams::first(200);
        let partners = self.list_partner_relationships(p, None, &all).await?;
        let delegations = match self
            .list_delegations(p, &DelegationFilters::default(), &all)
            .await
        {
            Ok(page) => page.items,
            Err(AppError::Forbidden { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(PartnerList {
            partners,
            delegations,
        })
    }
}
