//! A provider's Indirect resellers page: its active resellers and the invitations
//! still waiting for an answer; inviting one from there. Each returns what the page
//! shows next, so the page makes one call.

use partnerd_domain::policy::Action;

use super::{AS_PROVIDER, InvitationInput, Relationship, RelationshipFilters, ResellerInvitation};
use crate::paging::PageParams;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What the Indirect resellers page shows.
#[derive(Debug, Clone)]
pub struct ResellerList {
    /// Up to 500 active resellers.
    pub resellers: Vec<Relationship>,
    /// Up to 100 pending invitations.
    pub pending: Vec<ResellerInvitation>,
}

/// What inviting a reseller did.
#[derive(Debug, Clone)]
pub enum InvitationSent {
    Sent(Box<ResellerInvitation>),
    /// Nothing was sent: the form had errors; `list` shows the page again.
    Refused {
        error: AppError,
        list: ResellerList,
    },
}

impl App {
    /// `/partners/resellers` in the portal: those who manage reseller invitations.
    pub async fn reseller_list(&self, p: &Principal) -> AppResult<ResellerList> {
        p.require(Action::ManageResellerInvitations)?;
        let f = RelationshipFilters {
            relationship_type: Some(AS_PROVIDER.into()),
            state: Some("active".into()),
            name: None,
        };
        let resellers = self
            .list_relationships(p, &f, &PageParams::first(500))
            .await?
            .items;
        let pending = self
            .list_invitations(p, Some("pending".into()), None, &PageParams::first(100))
            .await?
            .items;
        Ok(ResellerList { resellers, pending })
    }

    /// `POST /partners/resellers`: invites a reseller by e-mail.
    pub async fn invite_reseller(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: InvitationInput,
    ) -> AppResult<InvitationSent> {
        match self.create_invitation(p, ctx, Ok(input)).await {
            Ok(i) => Ok(InvitationSent::Sent(Box::new(i))),
            Err(error @ AppError::Validation(_)) => Ok(InvitationSent::Refused {
                error,
                list: self.reseller_list(p).await?,
            }),
            Err(e) => Err(e),
        }
    }
}
