//! Credit limits (API.md §7.3): a provider sets, per reseller, how much the
//! reseller's active and suspended subscriptions supplied through it may add up to.
//! Orders beyond it are refused (commerce); lowering it below what is used is
//! allowed and only blocks increases.

use crate::error::{Conflict, Refusal};
use partnerd_domain::Collect;
use partnerd_domain::ids::ResellerRelationshipId;
use partnerd_domain::money::{check_currency, parse_amount};
use partnerd_domain::policy::Action;
use partnerd_domain::states::ResellerRelationshipStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::Conn;
use partnerd_store::connections::{self, CreditLimitRow, RelationshipRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::catalog::{Money, MoneyInput};
use crate::connections::{Notice, Relationship};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::events::Event;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// A reseller's credit limit with one provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditLimit {
    #[schema(value_type = String)]
    pub relationship_id: ResellerRelationshipId,
    /// Null: not enforced.
    pub limit: Option<Money>,
    /// `max(0, unpaidIssued + unbilled)` (API-billing.md §7.5).
    pub used: Money,
    pub breakdown: CreditBreakdown,
    /// `limit − used` (may be negative after a lowering); null without a limit.
    pub available: Option<Money>,
    pub updated_at: Timestamp,
    pub etag: String,
}

/// What the used credit is made of.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditBreakdown {
    /// Σ balance due of the reseller's issued invoices from this provider.
    pub unpaid_issued: Money,
    /// Σ of the provider → reseller charges on no invoice yet or on a draft.
    pub unbilled: Money,
}

/// A relationship's credit as its page shows it.
#[derive(Debug, Clone)]
pub struct RelationshipCredit {
    pub relationship: Relationship,
    pub credit: CreditLimit,
}

fn credit_etag(relationship_id: &ResellerRelationshipId, row: Option<&CreditLimitRow>) -> String {
    etag(
        &format!("{relationship_id}:credit"),
        row.map_or(0, |r| r.version),
    )
}

impl App {
    /// What the reseller owes this provider, issued and unbilled, in minor units.
    pub(crate) async fn credit_used(
        &self,
        conn: &mut Conn,
        r: &RelationshipRow,
    ) -> AppResult<partnerd_store::commerce::CreditUsed> {
        Ok(partnerd_store::commerce::credit_used(
            conn,
            &r.provider_organization_id,
            &r.reseller_organization_id,
        )
        .await?)
    }

    async fn credit_view(&self, conn: &mut Conn, r: &RelationshipRow) -> AppResult<CreditLimit> {
        let row = connections::credit_limit(conn, &r.id).await?;
        let parts = self.credit_used(conn, r).await?;
        let limit = row.as_ref().and_then(|c| c.limit);
        let currency = limit.map_or(self.config().currency, Money::currency);
        let used = Money::new(parts.used(), currency);
        Ok(CreditLimit {
            relationship_id: r.id.clone(),
            limit,
            used,
            breakdown: CreditBreakdown {
                unpaid_issued: Money::new(parts.unpaid_issued, currency),
                unbilled: Money::new(parts.unbilled, currency),
            },
            available: limit.map(|l| l.checked_sub(used)).transpose()?,
            updated_at: row.as_ref().map_or(r.created_at, |c| c.updated_at),
            etag: credit_etag(&r.id, row.as_ref()),
        })
    }

    /// `GET /v1/relationships/{id}/creditlimit` (both sides).
    pub async fn get_credit_limit(
        &self,
        p: &Principal,
        id: &ResellerRelationshipId,
    ) -> AppResult<CreditLimit> {
        let mut conn = self.db().conn().await?;
        let r = self.visible_relationship(&mut conn, p, id).await?;
        p.require(Action::ReadRelationships)?;
        self.credit_view(&mut conn, &r).await
    }

    /// `/partners/relationships/{id}/credit` in the portal: the relationship and
    /// its credit.
    pub async fn relationship_credit(
        &self,
        p: &Principal,
        id: &ResellerRelationshipId,
    ) -> AppResult<RelationshipCredit> {
        let relationship = self.get_relationship(p, id).await?;
        let credit = self.get_credit_limit(p, id).await?;
        Ok(RelationshipCredit {
            relationship,
            credit,
        })
    }

    /// `PUT` (Some) or `DELETE` (None) `/v1/relationships/{id}/creditlimit`: the
    /// provider's global or billing admin.
    pub async fn set_credit_limit(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ResellerRelationshipId,
        if_match: Option<&str>,
        limit: AppResult<Option<MoneyInput>>,
    ) -> AppResult<CreditLimit> {
        let mut tx = self.db().begin().await?;
        let r = self.visible_relationship(&mut tx, p, id).await?;
        if r.provider_organization_id != p.organization.id {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "only the indirect provider sets a reseller's credit limit",
            ));
        }
        p.require(Action::SetCreditLimit)?;
        let current = connections::credit_limit(&mut tx, &r.id).await?;
        check_if_match(&credit_etag(&r.id, current.as_ref()), if_match, false)?;
        let limit = limit?;
        let limit = match &limit {
            Some(m) => {
                let mut c = Collect::default();
                let amount = c.take(parse_amount("/limit/amount", &m.amount));
                c.take(check_currency(
                    "/limit/currency",
                    &m.currency,
                    self.config().currency.as_str(),
                ));
                match amount {
                    Some(a) if c.is_empty() => Some(Money::new(a, self.config().currency)),
                    _ => return Err(AppError::validation(c.0)),
                }
            }
            None => None,
        };
        if r.state != ResellerRelationshipStatus::Active {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the relationship has ended; it has no credit limit any more",
            ));
        }
        let now = self.now();
        let by = p.user.as_ref().map(|u| u.id.clone());
        crate::error::written(
            connections::set_credit_limit(
                &mut tx,
                &r.id,
                limit,
                self.config().currency,
                by.as_deref(),
                now,
                current.as_ref().map_or(0, |c| c.version),
            )
            .await?,
        )?;
        let view = self.credit_view(&mut tx, &r).await?;
        let text = match &view.limit {
            Some(l) => format!(
                "{} set your credit limit to {} {}. Orders through them that would take your subscriptions beyond it are refused.",
                p.organization.name,
                l.amount(),
                l.currency()
            ),
            None => format!("{} removed your credit limit.", p.organization.name),
        };
        self.mail_organization(
            &mut tx,
            &r.reseller_organization_id,
            None,
            Notice {
                template: "credit_limit_changed",
                subject: "Your credit limit changed",
                text,
                link: format!("{}/partners/providers", self.config().public_url),
            },
        )
        .await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "creditLimit",
            Some(r.id.clone()),
            if limit.is_some() {
                "setCreditLimit"
            } else {
                "removeCreditLimit"
            },
        )
        .participant(&r.reseller_organization_id)
        .before(serde_json::json!({"limit": current.and_then(|c| c.limit).map(Money::amount)}))
        .after(&view);
        self.commit_change(
            tx,
            ctx,
            now,
            entry,
            vec![
                Event {
                    event_type: "creditLimit.updated",
                    resource_type: "creditLimit",
                    resource_id: &r.id,
                    resource_url: crate::urls::credit_limit(&r.id),
                    participants: vec![&r.provider_organization_id, &r.reseller_organization_id],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// Termination removes the limit (API.md §7.2).
    pub(crate) async fn clear_credit_limit(
        &self,
        conn: &mut Conn,
        relationship_id: &ResellerRelationshipId,
    ) -> AppResult<()> {
        if let Some(c) = connections::credit_limit(conn, relationship_id).await?
            && c.limit.is_some()
        {
            connections::set_credit_limit(
                conn,
                relationship_id,
                None,
                self.config().currency,
                None,
                self.now(),
                c.version,
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_row_and_first_row_have_different_etags() {
        use super::credit_etag;
        use partnerd_domain::ids::ResellerRelationshipId;
        assert_ne!(
            credit_etag(&ResellerRelationshipId::from_raw("rel_1"), None),
            credit_etag(&ResellerRelationshipId::from_raw("rel_2"), None)
        );
    }
}
