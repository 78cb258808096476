//! Service requests in the portal: the list (the operator's: the queue) with the
//! form to open one, and opening one from there. Each returns what the page shows
//! next, so the page makes one call.

use partnerd_domain::policy::Action;
use partnerd_domain::roles::OrgKind;

use super::{ServiceRequest, ServiceRequestFilters, ServiceRequestInput};
use crate::customers::{Customer, CustomerFilters};
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What Open a service request offers.
#[derive(Debug, Clone)]
pub struct ServiceRequestForm {
    /// Up to 500 customers a request may be about; none when the caller's roles do
    /// not open requests about customers or read them.
    pub customers: Vec<Customer>,
}

/// What the service requests page shows.
#[derive(Debug, Clone)]
pub struct ServiceRequestList {
    pub requests: Page<ServiceRequest>,
    /// The form to open one; none for the operator, and for those whose roles open
    /// none.
    pub form: Option<ServiceRequestForm>,
}

/// What opening a service request did.
#[derive(Debug, Clone)]
pub enum ServiceRequestOpened {
    Opened(Box<ServiceRequest>),
    /// Nothing was opened: the form had errors or the caller may not open it;
    /// `form` shows the form again.
    Refused {
        error: AppError,
        form: ServiceRequestForm,
    },
}

impl App {
    /// `/support` in the portal.
    pub async fn service_request_list(
        &self,
        p: &Principal,
        f: &ServiceRequestFilters,
        page: &PageParams,
    ) -> AppResult<ServiceRequestList> {
        let requests = self.list_service_requests(p, f, page).await?;
        let may_open =
            p.may(Action::CustomerServiceRequests) || p.may(Action::PartnerServiceRequests);
        let form = if may_open && p.organization.kind != OrgKind::Operator {
            Some(self.service_request_form(p).await?)
        } else {
            None
        };
        Ok(ServiceRequestList { requests, form })
    }

    /// The form to open a service request.
    async fn service_request_form(&self, p: &Principal) -> AppResult<ServiceRequestForm> {
        let customers = if p.may(Action::CustomerServiceRequests) && p.may(Action::ReadCustomers) {
            self.list_customers(p, &CustomerFilters::default(), &PageParams::first(500))
                .await?
                .items
        } else {
            Vec::new()
        };
        Ok(ServiceRequestForm { customers })
    }

    /// `POST /support`: opens a service request.
    pub async fn open_service_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: ServiceRequestInput,
    ) -> AppResult<ServiceRequestOpened> {
        match self.create_service_request(p, ctx, Ok(input)).await {
            Ok(r) => Ok(ServiceRequestOpened::Opened(Box::new(r))),
            Err(error @ (AppError::Forbidden { .. } | AppError::Validation(_))) => {
                Ok(ServiceRequestOpened::Refused {
                    error,
                    form: self.service_request_form(p).await?,
                })
            }
            Err(e) => Err(e),
        }
    }
}
