//! The link expiry job: a reseller invitation or a customer relationship request
//! that nobody answered within its lifetime moves `pending -> expired`, leaves an
//! audit record and emits `invitation.expired` / `relationshipRequest.expired`.
//!
//! Reads never wait for the job: an unanswered link past its expiry already reads
//! and answers as expired. The job makes that visible to the parties' webhooks and
//! the activity log. It is safe on every replica at once: each change is a
//! version-checked update of a still pending row.

use partnerd_store::{connections, customers};

use crate::audit::{Actor, Entry};
use crate::customers::request_event;
use crate::events::Event;
use crate::{App, AppResult, Ctx};

/// Rows handled per pass; the next pass takes the rest.
const BATCH: i64 = 200;

impl App {
    /// One pass: expire what is due. Returns (invitations, requests) expired.
    pub async fn run_link_expiry_once(&self) -> AppResult<(usize, usize)> {
        Ok((
            self.expire_invitations().await?,
            self.expire_requests().await?,
        ))
    }

    async fn expire_invitations(&self) -> AppResult<usize> {
        let now = self.now();
        let due = {
            let mut conn = self.db().conn().await?;
            connections::invitations_past_expiry(&mut conn, now, BATCH).await?
        };
        let mut expired = 0;
        for i in due {
            let mut tx = self.db().begin().await?;
            let expired_status = i.status.expire()?;
            if !connections::decide_invitation(&mut tx, &i, expired_status, None, None, now).await?
            {
                continue;
            }
            let mut after = i.clone();
            after.status = expired_status;
            after.version += 1;
            let view = self.invitation_view(&after);
            let entry = Entry::new(
                Actor::System("link-expiry"),
                "invitation",
                Some(i.id.clone()),
                "expireResellerInvitation",
            )
            .participant(&i.provider_organization_id)
            .after(&view);
            let expired_event = Event {
                event_type: "invitation.expired",
                resource_type: "invitation",
                resource_id: &i.id,
                resource_url: crate::urls::reseller_invitation(&i.id),
                participants: vec![&i.provider_organization_id],
            };
            self.commit_change(
                tx,
                &Ctx::default(),
                now,
                entry,
                vec![expired_event.with(&view)],
            )
            .await?;
            expired += 1;
        }
        Ok(expired)
    }

    async fn expire_requests(&self) -> AppResult<usize> {
        let now = self.now();
        let due = {
            let mut conn = self.db().conn().await?;
            customers::requests_past_expiry(&mut conn, now, BATCH).await?
        };
        let mut expired = 0;
        for r in due {
            let mut tx = self.db().begin().await?;
            let ended_as = r.status.expire()?;
            if !customers::decide_request(&mut tx, &r, ended_as, None, now).await? {
                continue;
            }
            let mut entry = Entry::new(
                Actor::System("link-expiry"),
                "relationshipRequest",
                Some(r.id.clone()),
                "expireCustomerRelationshipRequest",
            )
            .participant(&r.reseller_organization_id);
            if let Some(provider) = &r.indirect_provider_id {
                entry = entry.participant(provider);
            }
            // The snapshot leaves the draft e-mail and its link out: the link is
            // the customer's secret (and no longer works).
            let snapshot = serde_json::json!({
                "id": r.id,
                "resellerOrganizationId": r.reseller_organization_id,
                "indirectProviderId": r.indirect_provider_id,
                "includeDelegatedAdmin": r.include_delegated_admin,
                "customerId": r.customer_id,
                "status": "expired",
                "createdAt": r.created_at,
                "expiresAt": r.expires_at,
            });
            let expired_event =
                request_event("relationshipRequest.expired", &r, Vec::new()).with(&snapshot);
            self.commit_change(
                tx,
                &Ctx::default(),
                now,
                entry.after(&snapshot),
                vec![expired_event],
            )
            .await?;
            expired += 1;
        }
        Ok(expired)
    }
}
