//! Enrollments of indirect resellers and their tokens (membership sign-in sessions,
//! e-mail verifications).

use crate::Row;
use partnerd_domain::ids::{EnrollmentId, OrgId, RegistryAccountId};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;

use crate::sql::{Arg, Filter, PageOf, PageRequest};
use crate::{Conn, StoreResult};

/// A stored enrollment. Profiles, decision and history are JSON documents.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentRow {
    pub id: EnrollmentId,
    pub organization_id: OrgId,
    pub status: EnrollmentStatus,
    pub existing_partner: bool,
    pub membership_id: Option<String>,
    pub legal_profile: Option<String>,
    pub support_profile: Option<String>,
    pub primary_contact_email: Option<String>,
    pub primary_contact_verified: bool,
    /// The tenant's country (same-country rule).
    pub country: String,
    pub legal_name_sort: Option<String>,
    pub submitted_at: Option<Timestamp>,
    pub decision: Option<String>,
    pub history: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "id, organization_id, status, existing_partner, membership_id, legal_profile, support_profile, \
     primary_contact_email, primary_contact_verified, country, legal_name_sort, submitted_at, decision, history, \
     created_by, created_at, updated_at, version";

impl EnrollmentRow {
    fn read(r: &Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            organization_id: r.try_get("organization_id")?,
            status: r.try_get("status")?,
            existing_partner: r.try_get::<bool>("existing_partner")?,
            membership_id: r.try_get("membership_id")?,
            legal_profile: r.try_get("legal_profile")?,
            support_profile: r.try_get("support_profile")?,
            primary_contact_email: r.try_get("primary_contact_email")?,
            primary_contact_verified: r.try_get::<bool>("primary_contact_verified")?,
            country: r.try_get("country")?,
            legal_name_sort: r.try_get("legal_name_sort")?,
            submitted_at: r.try_get("submitted_at")?,
            decision: r.try_get("decision")?,
            history: r.try_get("history")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }
}

pub async fn insert(conn: &mut Conn, e: &EnrollmentRow) -> StoreResult<()> {
    crate::query(format!(
        "INSERT INTO enrollments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(&e.id)
    .bind(&e.organization_id)
    .bind(e.status)
    .bind(e.existing_partner)
    .bind(&e.membership_id)
    .bind(&e.legal_profile)
    .bind(&e.support_profile)
    .bind(&e.primary_contact_email)
    .bind(e.primary_contact_verified)
    .bind(&e.country)
    .bind(&e.legal_name_sort)
    .bind(e.submitted_at)
    .bind(&e.decision)
    .bind(&e.history)
    .bind(&e.created_by)
    .bind(e.created_at)
    .bind(e.updated_at)
    .bind(e.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every mutable field if the row is still at `e.version`; bumps the version.
/// False when another transaction changed it first.
pub async fn update(conn: &mut Conn, e: &EnrollmentRow) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE enrollments SET status = $1, membership_id = $2, legal_profile = $3, support_profile = $4, \
         primary_contact_email = $5, primary_contact_verified = $6, legal_name_sort = $7, submitted_at = $8, \
         decision = $9, history = $10, updated_at = $11, version = version + 1 WHERE id = $12 AND version = $13",
    )
    .bind(e.status)
    .bind(&e.membership_id)
    .bind(&e.legal_profile)
    .bind(&e.support_profile)
    .bind(&e.primary_contact_email)
    .bind(e.primary_contact_verified)
    .bind(&e.legal_name_sort)
    .bind(e.submitted_at)
    .bind(&e.decision)
    .bind(&e.history)
    .bind(e.updated_at)
    .bind(&e.id)
    .bind(e.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(conn: &mut Conn, id: &EnrollmentId) -> StoreResult<Option<EnrollmentRow>> {
    let row = crate::query(format!("SELECT {COLUMNS} FROM enrollments WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| EnrollmentRow::read(&r)).transpose()
}

/// The organisation's latest enrollment.
pub async fn latest_for(
    conn: &mut Conn,
    organization_id: &OrgId,
) -> StoreResult<Option<EnrollmentRow>> {
    let row = crate::query(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(organization_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| EnrollmentRow::read(&r)).transpose()
}

/// Filters of the review queue.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentQuery {
    pub status: Option<EnrollmentStatus>,
    pub country: Option<String>,
    /// Legal-name prefix.
    pub q: Option<String>,
}

/// Oldest first: the review queue's order.
pub async fn list(
    conn: &mut Conn,
    q: &EnrollmentQuery,
    page: &PageRequest,
) -> StoreResult<PageOf<EnrollmentRow>> {
    let mut f = Filter::new();
    if let Some(s) = q.status {
        f.state_is("status", s.as_str());
    }
    if let Some(c) = &q.country {
        f.and("country = ?", [Arg::Text(c.clone())]);
    }
    if let Some(n) = q.q.as_deref().filter(|n| !n.is_empty()) {
        f.and(
            "legal_name_sort LIKE ? ESCAPE '\\'",
            [Arg::Text(crate::users::like_prefix(n))],
        );
    }
    let total = if page.count {
        Some(
            f.query(format!(
                "SELECT COUNT(*) FROM enrollments{}",
                f.where_clause()
            ))
            .fetch_scalar::<i64>(&mut *conn)
            .await?,
        )
    } else {
        None
    };
    f.after("created_at", page.cursor.as_ref());
    let sql = format!(
        "SELECT {COLUMNS} FROM enrollments{} ORDER BY created_at, id LIMIT {}",
        f.where_clause(),
        page.size + 1
    );
    let rows = f.query(sql).fetch_all(conn).await?;
    let mut rows = rows
        .iter()
        .map(EnrollmentRow::read)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = rows.len() as i64 > page.size;
    rows.truncate(usize::try_from(page.size).unwrap_or(0));
    Ok(PageOf { rows, more, total })
}

/// A membership sign-in: which memberships the enrollment may choose from.
pub async fn insert_membership_session(
    conn: &mut Conn,
    token_hash: &str,
    enrollment_id: &EnrollmentId,
    account_id: &RegistryAccountId,
    membership_ids: &str,
    expires_at: Timestamp,
) -> StoreResult<()> {
    crate::query(
        "INSERT INTO membership_sessions (token_hash, enrollment_id, account_id, membership_ids, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(enrollment_id)
    .bind(account_id)
    .bind(membership_ids)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// `(enrollment id, membership ids, expires at)` of a membership session.
pub async fn membership_session(
    conn: &mut Conn,
    token_hash: &str,
) -> StoreResult<Option<(EnrollmentId, String, Timestamp)>> {
    let row = crate::query("SELECT enrollment_id, membership_ids, expires_at FROM membership_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok((
            r.try_get("enrollment_id")?,
            r.try_get("membership_ids")?,
            r.try_get("expires_at")?,
        ))
    })
    .transpose()
}

/// A verification link's state.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationRow {
    pub enrollment_id: EnrollmentId,
    pub email: String,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub invalidated_at: Option<Timestamp>,
}

/// Stores a new verification token and invalidates the enrollment's older ones.
pub async fn insert_verification(
    conn: &mut Conn,
    token_hash: &str,
    enrollment_id: &EnrollmentId,
    email: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<()> {
    crate::query("UPDATE email_verifications SET invalidated_at = $1 WHERE enrollment_id = $2 AND used_at IS NULL AND invalidated_at IS NULL")
        .bind(now)
        .bind(enrollment_id)
        .execute(&mut *conn)
        .await?;
    crate::query(
        "INSERT INTO email_verifications (token_hash, enrollment_id, email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(enrollment_id)
    .bind(email)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Invalidates every open verification link of an enrollment.
pub async fn invalidate_verifications(
    conn: &mut Conn,
    enrollment_id: &EnrollmentId,
    now: Timestamp,
) -> StoreResult<()> {
    crate::query("UPDATE email_verifications SET invalidated_at = $1 WHERE enrollment_id = $2 AND used_at IS NULL AND invalidated_at IS NULL")
        .bind(now)
        .bind(enrollment_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_verification(
    conn: &mut Conn,
    token_hash: &str,
) -> StoreResult<Option<VerificationRow>> {
    let row = crate::query(
        "SELECT enrollment_id, email, expires_at, used_at, invalidated_at FROM email_verifications WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(VerificationRow {
            enrollment_id: r.try_get("enrollment_id")?,
            email: r.try_get("email")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
            invalidated_at: r.try_get("invalidated_at")?,
        })
    })
    .transpose()
}

/// Marks a token used; false when another request used it first.
pub async fn use_verification(
    conn: &mut Conn,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = crate::query(
        "UPDATE email_verifications SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `(sent in the last minute, sent in the last day)` for the resend limits.
pub async fn verification_counts(
    conn: &mut Conn,
    enrollment_id: &EnrollmentId,
    now: Timestamp,
) -> StoreResult<(i64, i64)> {
    let minute: i64 = crate::query(
        "SELECT COUNT(*) FROM email_verifications WHERE enrollment_id = $1 AND created_at > $2",
    )
    .bind(enrollment_id)
    .bind(now.minus_millis(Timestamp::MINUTE))
    .fetch_scalar(&mut *conn)
    .await?;
    let day: i64 = crate::query(
        "SELECT COUNT(*) FROM email_verifications WHERE enrollment_id = $1 AND created_at > $2",
    )
    .bind(enrollment_id)
    .bind(now.minus_millis(Timestamp::DAY))
    .fetch_scalar(conn)
    .await?;
    Ok((minute, day))
}

/// The open enrollment that uses a membership, if any.
pub async fn open_enrollment_with_membership(
    conn: &mut Conn,
    // Text, not an id type: the vendor registry's own id, not one partnerd mints.
    membership_id: &str,
) -> StoreResult<Option<EnrollmentId>> {
    crate::query(
        "SELECT id FROM enrollments WHERE membership_id = $1 AND status IN ('draft', 'pendingVerification', 'pendingReview', 'rejected')",
    )
    .bind(membership_id)
    .fetch_optional_scalar(conn)
    .await
}
