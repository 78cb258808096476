//! The customer list as the portal shows it: the customers, the partner the list
//! is narrowed to, and the caller's requests still waiting for an answer.

use partnerd_domain::policy::Action;

use crate::connections::RelationshipFilters;
use crate::paging::{Page, PageParams};
use crate::{App, AppResult, Principal};

use super::{Customer, CustomerFilters, RelationshipRequest};

/// The customer list.
#[derive(Debug, Clone)]
pub struct CustomerList {
    pub customers: Page<Customer>,
    /// The partner the filters narrow the list to (a provider or reseller id): its
    /// name when it is one of the caller's partners, else the id.
    pub shared_with: Option<String>,
    /// Up to 50 pending relationship requests; none when the caller's roles do not
    /// request relationships.
    pub pending: Vec<RelationshipRequest>,
}

impl App {
    /// `/customers` in the portal.
    pub async fn customer_list(
        &self,
        p: &Principal,
        f: &CustomerFilters,
        page: &PageParams,
    ) -> AppResult<CustomerList> {
        let customers = self.list_customers(p, f, page).await?;
        let shared_with = match (&f.indirect_provider_id, &f.indirect_reseller_id) {
            (Some(id), _) | (_, Some(id)) => Some(
                self.list_relationships(p, &RelationshipFilters::default(), &PageParams::default())
                    .await?
                    .items
                    .into_iter()
                    .find(|r| &r.partner.organization_id == id)
                    .map_or(id.to_string(), |r| r.partner.name),
            ),
            _ => None,
        };
        let pending = if p.may(Action::RequestCustomerRelationship) {
            self.list_customer_requests(p, Some("pending".into()), &PageParams::first(50))
                .await?
                .items
        } else {
            Vec::new()
        };
        Ok(CustomerList {
            customers,
            shared_with,
            pending,
        })
    }
}
