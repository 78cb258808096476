//! An organisation's page in the operator's console: the organisation, its
//! authorisation as indirect provider, and the product families an authorisation
//! may name; saving the authorisation from there. Each returns what the page shows
//! next, so the page makes one call.

use partnerd_domain::ids::OrgId;

use crate::catalog::ProductFamily;
use crate::providers::{AuthorizationInput, ProviderAuthorization};
use crate::views::Organization;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What an organisation's page shows.
#[derive(Debug, Clone)]
pub struct OrganizationPage {
    pub organization: Organization,
    /// None when it is no indirect provider, or the caller may not read its
    /// authorisation.
    pub authorization: Option<ProviderAuthorization>,
    pub product_families: Vec<ProductFamily>,
}

/// What saving a provider authorisation did.
#[derive(Debug, Clone)]
pub enum AuthorizationSaved {
    Saved(Box<ProviderAuthorization>),
    /// Nothing was saved: the form had errors or the organisation cannot be
    /// authorised; `page` shows it again.
    Refused {
        error: AppError,
        page: Box<OrganizationPage>,
    },
}

impl App {
    /// `/operator/organizations/{id}` in the portal.
    pub async fn organization_page(
        &self,
        p: &Principal,
        id: &OrgId,
    ) -> AppResult<OrganizationPage> {
        let organization = self.get_organization(p, id).await?;
        // Any refusal reads as "not authorised": the page then offers to authorise.
        let authorization = self.get_provider_authorization(p, id).await.ok();
        let product_families = self.product_families(p).await?;
        Ok(OrganizationPage {
            organization,
            authorization,
            product_families,
        })
    }

    /// `POST /operator/organizations/{id}/authorization`: authorises the
    /// organisation as indirect provider, or changes its authorisation.
    pub async fn save_provider_authorization(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &OrgId,
        input: AuthorizationInput,
    ) -> AppResult<AuthorizationSaved> {
        match self.authorize_provider(p, ctx, id, Ok(input)).await {
            Ok(a) => Ok(AuthorizationSaved::Saved(Box::new(a))),
            Err(error @ (AppError::Conflict { .. } | AppError::Validation(_))) => {
                Ok(AuthorizationSaved::Refused {
                    error,
                    page: Box::new(self.organization_page(p, id).await?),
                })
            }
            Err(e) => Err(e),
        }
    }
}
