//! Provider → reseller invitations and the partner relationships they create.

use crate::Row;
use partnerd_domain::ids::{OrgId, ResellerInvitationId, ResellerRelationshipId, UserId};
use partnerd_domain::money::{Currency, Money};
use partnerd_domain::states::{ResellerInvitationStatus, ResellerRelationshipStatus};
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

/// A stored invitation.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationRow {
    pub id: ResellerInvitationId,
    pub provider_organization_id: OrgId,
    pub email: String,
    pub email_norm: String,
    pub reseller_name: Option<String>,
    pub message: Option<String>,
    pub status: ResellerInvitationStatus,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub expires_at: Timestamp,
    pub accepted_by_organization_id: Option<OrgId>,
    pub relationship_id: Option<ResellerRelationshipId>,
    pub decided_at: Option<Timestamp>,
    pub version: i64,
}

const INVITATION_COLUMNS: &str = "id, provider_organization_id, email, email_norm, reseller_name, message, status, \
     token_hash, created_at, created_by, expires_at, accepted_by_organization_id, relationship_id, decided_at, version";

impl InvitationRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            provider_organization_id: r.try_get("provider_organization_id")?,
            email: r.try_get("email")?,
            email_norm: r.try_get("email_norm")?,
            reseller_name: r.try_get("reseller_name")?,
            message: r.try_get("message")?,
            status: r.try_get("status")?,
            token_hash: r.try_get("token_hash")?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            expires_at: r.try_get("expires_at")?,
            accepted_by_organization_id: r.try_get("accepted_by_organization_id")?,
            relationship_id: r.try_get("relationship_id")?,
            decided_at: r.try_get("decided_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_invitation(conn: &mut Conn, i: &InvitationRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO reseller_invitations ({INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(&i.id)
    .bind(&i.provider_organization_id)
    .bind(&i.email)
    .bind(&i.email_norm)
    .bind(&i.reseller_name)
    .bind(&i.message)
    .bind(i.status)
    .bind(&i.token_hash)
    .bind(i.created_at)
    .bind(&i.created_by)
    .bind(i.expires_at)
    .bind(&i.accepted_by_organization_id)
    .bind(&i.relationship_id)
    .bind(i.decided_at)
    .bind(i.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_invitation(
    conn: &mut Conn,
    id: &ResellerInvitationId,
) -> StoreResult<Option<InvitationRow>> {
    let row = crate::query(format!(
        "SELECT {INVITATION_COLUMNS} FROM reseller_invitations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| InvitationRow::read(&r)).transpose()
}

pub async fn invitation_by_token(
    conn: &mut Conn,
    token_hash: &str,
) -> StoreResult<Option<InvitationRow>> {
    let row = crate::query(format!(
        "SELECT {INVITATION_COLUMNS} FROM reseller_invitations WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|r| InvitationRow::read(&r)).transpose()
}

/// Moves a pending invitation to `status`; false when it was no longer pending at
/// `version` (another request decided first).
pub async fn decide_invitation(
    conn: &mut Conn,
    i: &InvitationRow,
    status: ResellerInvitationStatus,
    accepted_by: Option<&str>,
    relationship_id: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE reseller_invitations SET status = $1, accepted_by_organization_id = $2, relationship_id = $3, \
         decided_at = $4, version = version + 1 WHERE id = $5 AND status = 'pending' AND version = $6",
    )
    .bind(status)
    .bind(accepted_by)
    .bind(relationship_id)
    .bind(now)
    .bind(&i.id)
    .bind(i.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending invitations past their expiry at `now`, oldest expiry first.
pub async fn invitations_past_expiry(
    conn: &mut Conn,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<InvitationRow>> {
    crate::sql::pending_past_expiry(
        conn,
        "reseller_invitations",
        INVITATION_COLUMNS,
        now,
        limit,
        InvitationRow::read,
    )
    .await
}

/// Filters of a provider's invitations.
#[derive(Debug, Clone)]
pub struct InvitationQuery {
    pub provider_organization_id: OrgId,
    /// `pending`, `accepted`, `declined`, `revoked` or `expired`, as at `now`.
    pub status: Option<ResellerInvitationStatus>,
    pub email: Option<String>,
    pub now: Timestamp,
}

pub async fn list_invitations(
    conn: &mut Conn,
    q: &InvitationQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<InvitationRow>> {
    let mut f = Filter::new();
    f.and(
        "provider_organization_id = ?",
        [Arg::text(&q.provider_organization_id)],
    );
    if let Some(s) = q.status {
        f.link_status(s.as_str(), q.now);
    }
    if let Some(e) = &q.email {
        f.and("email_norm = ?", [Arg::Text(e.to_lowercase())]);
    }
    crate::sql::newest_first(
        conn,
        f,
        "reseller_invitations",
        INVITATION_COLUMNS,
        "created_at",
        page,
        InvitationRow::read,
    )
    .await
}

/// A stored provider–reseller relationship.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationshipRow {
    pub id: ResellerRelationshipId,
    pub provider_organization_id: OrgId,
    pub reseller_organization_id: OrgId,
    pub state: ResellerRelationshipStatus,
    pub created_at: Timestamp,
    pub terminated_at: Option<Timestamp>,
    pub terminated_by_organization_id: Option<OrgId>,
    pub terminated_by_user_id: Option<UserId>,
    pub version: i64,
}

const RELATIONSHIP_COLUMNS: &str = "id, provider_organization_id, reseller_organization_id, state, created_at, \
     terminated_at, terminated_by_organization_id, terminated_by_user_id, version";

impl RelationshipRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            provider_organization_id: r.try_get("provider_organization_id")?,
            reseller_organization_id: r.try_get("reseller_organization_id")?,
            state: r.try_get("state")?,
            created_at: r.try_get("created_at")?,
            terminated_at: r.try_get("terminated_at")?,
            terminated_by_organization_id: r.try_get("terminated_by_organization_id")?,
            terminated_by_user_id: r.try_get("terminated_by_user_id")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert_relationship(conn: &mut Conn, r: &RelationshipRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO partner_relationships ({RELATIONSHIP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&r.id)
    .bind(&r.provider_organization_id)
    .bind(&r.reseller_organization_id)
    .bind(r.state)
    .bind(r.created_at)
    .bind(r.terminated_at)
    .bind(&r.terminated_by_organization_id)
    .bind(&r.terminated_by_user_id)
    .bind(r.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_relationship(
    conn: &mut Conn,
    id: &ResellerRelationshipId,
) -> StoreResult<Option<RelationshipRow>> {
    let row = crate::query(format!(
        "SELECT {RELATIONSHIP_COLUMNS} FROM partner_relationships WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| RelationshipRow::read(&r)).transpose()
}

/// The active relationship between a provider and a reseller, if any.
pub async fn active_between(
    conn: &mut Conn,
    provider_id: &OrgId,
    reseller_id: &OrgId,
) -> StoreResult<Option<RelationshipRow>> {
    let row = crate::query(format!(
        "SELECT {RELATIONSHIP_COLUMNS} FROM partner_relationships \
         WHERE provider_organization_id = $1 AND reseller_organization_id = $2 AND state = 'active'"
    ))
    .bind(provider_id)
    .bind(reseller_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| RelationshipRow::read(&r)).transpose()
}

/// Ends an active relationship; false when it was not active at `version`.
pub async fn terminate_relationship(
    conn: &mut Conn,
    r: &RelationshipRow,
    by_org: &str,
    by_user: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE partner_relationships SET state = 'terminated', terminated_at = $1, terminated_by_organization_id = $2, \
         terminated_by_user_id = $3, version = version + 1 WHERE id = $4 AND state = 'active' AND version = $5",
    )
    .bind(now)
    .bind(by_org)
    .bind(by_user)
    .bind(&r.id)
    .bind(r.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of an organisation's relationships.
#[derive(Debug, Clone)]
pub struct RelationshipQuery {
    pub organization_id: OrgId,
    /// `Some(true)`: those where the organisation is the provider; `Some(false)`: the
    /// reseller; None: both.
    pub as_provider: Option<bool>,
    /// None = every state.
    pub state: Option<ResellerRelationshipStatus>,
    /// Prefix of the other side's name, case-insensitive.
    pub name: Option<String>,
}

pub async fn list_relationships(
    conn: &mut Conn,
    q: &RelationshipQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<RelationshipRow>> {
    let mut f = Filter::new();
    let org = Arg::text(&q.organization_id);
    match q.as_provider {
        Some(true) => {
            f.and("provider_organization_id = ?", [org]);
        }
        Some(false) => {
            f.and("reseller_organization_id = ?", [org]);
        }
        None => {
            f.and(
                "(provider_organization_id = ? OR reseller_organization_id = ?)",
                [org.clone(), org],
            );
        }
    }
    if let Some(s) = q.state {
        f.state_is("state", s.as_str());
    }
    if let Some(n) = q.name.as_deref().filter(|n| !n.is_empty()) {
        f.and(
            "EXISTS (SELECT 1 FROM organizations o WHERE o.id = CASE WHEN provider_organization_id = ? \
             THEN reseller_organization_id ELSE provider_organization_id END AND LOWER(o.name) LIKE ? ESCAPE '\\')",
            [
                Arg::text(&q.organization_id),
                Arg::Text(crate::users::like_prefix(n)),
            ],
        );
    }
    crate::sql::newest_first(
        conn,
        f,
        "partner_relationships",
        RELATIONSHIP_COLUMNS,
        "created_at",
        page,
        RelationshipRow::read,
    )
    .await
}

/// A stored credit limit.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditLimitRow {
    pub relationship_id: ResellerRelationshipId,
    /// None: not enforced.
    pub limit: Option<Money>,
    pub updated_at: Timestamp,
    pub updated_by: Option<String>,
    pub version: i64,
}

pub async fn credit_limit(
    conn: &mut Conn,
    relationship_id: &ResellerRelationshipId,
) -> StoreResult<Option<CreditLimitRow>> {
    let row = crate::query(
        "SELECT relationship_id, limit_minor, currency, updated_at, updated_by, version FROM credit_limits \
         WHERE relationship_id = $1",
    )
    .bind(relationship_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(CreditLimitRow {
            relationship_id: r.try_get("relationship_id")?,
            limit: r.optional_money("limit_minor", "currency")?,
            updated_at: r.try_get("updated_at")?,
            updated_by: r.try_get("updated_by")?,
            version: r.try_get("version")?,
        })
    })
    .transpose()
}

/// Writes the limit (None = not enforced; the row then keeps `currency`). `version`
/// is the row's version the caller read (0 = no row yet); false when another change
/// came first.
pub async fn set_credit_limit(
    conn: &mut Conn,
    relationship_id: &ResellerRelationshipId,
    limit: Option<Money>,
    currency: Currency,
    by: Option<&str>,
    now: Timestamp,
    version: i64,
) -> StoreResult<bool> {
    let done = if version == 0 {
        crate::query(
            "INSERT INTO credit_limits (relationship_id, limit_minor, currency, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (relationship_id) DO NOTHING",
        )
        .bind(relationship_id)
        .bind(limit.map(Money::minor))
        .bind(limit.map_or(currency, Money::currency))
        .bind(now)
        .bind(by)
        .execute(conn)
        .await?
    } else {
        crate::query(
            "UPDATE credit_limits SET limit_minor = $1, currency = $2, updated_at = $3, updated_by = $4, \
             version = version + 1 WHERE relationship_id = $5 AND version = $6",
        )
        .bind(limit.map(Money::minor))
        .bind(limit.map_or(currency, Money::currency))
        .bind(now)
        .bind(by)
        .bind(relationship_id)
        .bind(version)
        .execute(conn)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// The providers a reseller works with now (active relationships), oldest first.
pub async fn active_providers(conn: &mut Conn, reseller_id: &OrgId) -> StoreResult<Vec<OrgId>> {
    crate::query(
        "SELECT provider_organization_id FROM partner_relationships WHERE reseller_organization_id = $1 \
         AND state = 'active' ORDER BY created_at, id",
    )
    .bind(reseller_id)
    .fetch_all_scalar(conn)
    .await
}
