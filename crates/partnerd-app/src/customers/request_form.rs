//! The partner's side of a relationship request in the portal: the form (with the
//! indirect providers a three-way request may name) and preparing the request from
//! it. Each returns what the page shows next, so the page makes one call.

use partnerd_domain::policy::Action;

use super::{RelationshipRequest, RequestInput};
use crate::connections::{AS_RESELLER, Relationship, RelationshipFilters};
use crate::paging::PageParams;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What Request a reseller relationship offers.
#[derive(Debug, Clone)]
pub struct RequestForm {
    /// Up to 500 of the caller's indirect providers.
    pub providers: Vec<Relationship>,
}

/// What preparing a request did.
#[derive(Debug, Clone)]
pub enum RequestPrepared {
    Prepared(Box<RelationshipRequest>),
    /// Nothing was prepared: the form had errors, or the request is not allowed or
    /// conflicts with another; `form` shows the form again.
    Refused {
        error: AppError,
        form: RequestForm,
    },
}

impl App {
    /// `/customers/request` in the portal: those who request customer relationships.
    pub async fn customer_request_form(&self, p: &Principal) -> AppResult<RequestForm> {
        p.require(Action::RequestCustomerRelationship)?;
        let f = RelationshipFilters {
            relationship_type: Some(AS_RESELLER.into()),
            ..Default::default()
        };
        let providers = self
            .list_relationships(p, &f, &PageParams::first(500))
            .await?
            .items;
        Ok(RequestForm { providers })
    }

    /// `POST /customers/request`: prepares the request and its draft e-mail.
    pub async fn prepare_customer_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: RequestInput,
    ) -> AppResult<RequestPrepared> {
        match self.create_customer_request(p, ctx, Ok(input)).await {
            Ok(r) => Ok(RequestPrepared::Prepared(Box::new(r))),
            Err(
                error @ (AppError::Forbidden { .. }
                | AppError::Conflict { .. }
                | AppError::Validation(_)),
            ) => Ok(RequestPrepared::Refused {
                error,
                form: self.customer_request_form(p).await?,
            }),
            Err(e) => Err(e),
        }
    }
}
