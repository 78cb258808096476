//! What waits on you (the stuck-state view): invitations and relationship requests
//! about to expire unanswered, an enrollment waiting for its primary contact,
//! webhook deliveries that gave up, and (operator) mail that could not be sent —
//! each with why it waits and what unblocks it.

use partnerd_domain::policy::Action;
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::paging::PageParams;
use crate::{App, AppResult, Principal};

/// How long before expiry an unanswered invitation or request shows up.
const SOON_MS: i64 = 3 * Timestamp::DAY;

/// The call that unblocks an item, and the portal page where it is done.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttentionAction {
    pub label: String,
    pub method: String,
    pub href: String,
    pub portal_href: String,
}

/// One thing that waits.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttentionItem {
    /// `invitationExpiring`, `relationshipRequestExpiring`,
    /// `enrollmentAwaitingVerification`, `webhookDeliveryFailed`, `mailFailed` (open enum).
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    pub reason: String,
    pub due_at: Option<Timestamp>,
    pub action: Option<AttentionAction>,
}

fn all() -> PageParams {
    PageParams::first(500)
}

fn hours_left(now: Timestamp, due: Timestamp) -> Option<i64> {
    Some(due.since(now) / Timestamp::HOUR)
}

fn action(label: &str, method: &str, href: String, portal_href: String) -> Option<AttentionAction> {
    Some(AttentionAction {
        label: label.into(),
        method: method.into(),
        href,
        portal_href,
    })
}

impl App {
    /// `GET /v1/attention`: what waits on the caller's organisation, soonest first.
    pub async fn attention(&self, p: &Principal) -> AppResult<Vec<AttentionItem>> {
        p.require(Action::ReadOwnOrganization)?;
        let now = self.now();
        let mut items = Vec::new();
        if p.may(Action::ManageResellerInvitations) {
            for i in self
                .list_invitations(p, Some("pending".into()), None, &all())
                .await?
                .items
            {
                let Some(h) =
                    hours_left(now, i.expires_at).filter(|h| *h * Timestamp::HOUR < SOON_MS)
                else {
                    continue;
                };
                items.push(AttentionItem {
                    kind: "invitationExpiring".into(),
                    resource_type: "invitation".into(),
                    resource_id: i.id.to_string(),
                    reason: format!(
                        "{} has not answered; the invitation expires in {h} hours",
                        i.email
                    ),
                    due_at: Some(i.expires_at),
                    action: action(
                        "Revoke it and invite again",
                        "DELETE",
                        crate::urls::reseller_invitation(&i.id),
                        "/partners/resellers".into(),
                    ),
                });
            }
        }
        if p.may(Action::RequestCustomerRelationship) {
            for r in self
                .list_customer_requests(p, Some("pending".into()), &all())
                .await?
                .items
            {
                let Some(h) =
                    hours_left(now, r.expires_at).filter(|h| *h * Timestamp::HOUR < SOON_MS)
                else {
                    continue;
                };
                items.push(AttentionItem {
                    kind: "relationshipRequestExpiring".into(),
                    resource_type: "relationshipRequest".into(),
                    resource_id: r.id.to_string(),
                    reason: format!(
                        "the customer has not answered; the request expires in {h} hours"
                    ),
                    due_at: Some(r.expires_at),
                    action: action(
                        "Withdraw it and send a new request",
                        "DELETE",
                        crate::urls::relationship_request(&r.id),
                        format!("/customers/requests/{}", r.id),
                    ),
                });
            }
        }
        if p.may(Action::ManageEnrollment)
            && let Ok(e) = self.current_enrollment(p).await
            && e.status == EnrollmentStatus::PendingVerification
        {
            items.push(AttentionItem {
                kind: "enrollmentAwaitingVerification".into(),
                resource_type: "enrollment".into(),
                resource_id: e.id.to_string(),
                reason: "the primary contact has not confirmed the e-mail address yet; review waits for it".into(),
                due_at: None,
                action: action(
                    "Resend the verification mail",
                    "POST",
                    format!("{}/primarycontact/verification", crate::urls::enrollment(&e.id)),
                    "/enroll/status".into(),
                ),
            });
        }
        if p.may(Action::ManageWebhooks) {
            for w in self.list_webhooks(p, &all()).await?.items {
                for d in self
                    .list_deliveries(p, &w.id, Some("failed".into()), &all())
                    .await?
                    .items
                {
                    items.push(AttentionItem {
                        kind: "webhookDeliveryFailed".into(),
                        resource_type: "webhookDelivery".into(),
                        resource_id: d.id.to_string(),
                        reason: format!(
                            "{} to {} gave up after {} attempts (last answer: {})",
                            d.event_type,
                            w.url,
                            d.attempt,
                            d.response_status
                                .map_or_else(|| "none".to_owned(), |s| s.to_string())
                        ),
                        due_at: None,
                        action: action(
                            "Redeliver",
                            "POST",
                            format!(
                                "{}/deliveries/{}/redeliver",
                                crate::urls::webhook(&w.id),
                                d.id
                            ),
                            format!("/settings/webhooks/{}", w.id),
                        ),
                    });
                }
            }
        }
        if p.may(Action::RetryMail) {
            let mut conn = self.db().conn().await?;
            for (id, topic, error, _) in partnerd_store::outbox::failed_mail(&mut conn, 100).await?
            {
                items.push(AttentionItem {
                    kind: "mailFailed".into(),
                    resource_type: "mail".into(),
                    resource_id: id.to_string(),
                    reason: format!(
                        "a {topic} mail could not be delivered for 24 hours: {}; check the mail settings with `partnerd mail test`, then retry it",
                        error.unwrap_or_default()
                    ),
                    due_at: None,
                    action: action(
                        "Retry",
                        "POST",
                        format!("{}/retry", crate::urls::mail(&id)),
                        format!("/attention/mail/{id}/retry"),
                    ),
                });
            }
        }
        items.sort_by(|a, b| {
            a.due_at
                .is_none()
                .cmp(&b.due_at.is_none())
                .then(a.due_at.cmp(&b.due_at))
        });
        Ok(items)
    }
}
