//! The statuses the product stores, one enum each, and the moves between them.
//!
//! Each enum's strings are exactly those the database holds today (`status` or `state`
//! columns), so old rows keep reading; a stored value outside the set is an
//! [`UnknownValue`] error, never a default. The serde name of every variant is its
//! stored string, so the API shows what the database holds.
//!
//! The allowed moves of each enum are declared next to its variants and nowhere else:
//! [`move_to`](EnrollmentStatus::move_to) refuses any other with an
//! [`InvalidTransition`]. The tables follow what the use cases do today; a move to the
//! same status is never a transition (a renewal that keeps a subscription `active`, a
//! retry that leaves a delivery `pending`, retiring a retired offer): callers treat an
//! unchanged status as no move at all.

use std::fmt;
use std::str::FromStr;

use crate::time::Timestamp;

/// A stored or supplied string that names no value of a status enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct UnknownValue {
    /// What the value should have been, e.g. `"enrollment status"`.
    pub kind: &'static str,
    pub value: String,
}

/// A move the state diagram of a status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTransition {
    /// What moves, e.g. `"enrollment"`.
    pub kind: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

impl fmt::Display for InvalidTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let article = match self.kind.bytes().next() {
            Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
            _ => "a",
        };
        write!(
            f,
            "cannot move {article} {} from {} to {}",
            self.kind, self.from, self.to
        )
    }
}

impl std::error::Error for InvalidTransition {}

/// `'a','b','c'`: the values of a CHECK constraint or an `IN (…)` list. The strings
/// are ours and hold no quote, so nothing needs escaping.
fn quoted_list(values: impl Iterator<Item = &'static str>) -> String {
    values
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(",")
}

/// What every status enum offers, for code that works with any of them (parsing a
/// client's filter, for example).
pub trait Status: Copy + Eq + std::fmt::Debug + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Result<Self, UnknownValue>;
}

/// Declares one status enum: its variants with their stored strings, and after `=>`
/// the statuses each may move to (`[]`: terminal). Every variant must list its moves,
/// so the table is complete or the crate does not compile.
macro_rules! status_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($noun:literal, $field:literal) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal => [$($next:ident),* $(,)?]
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl Status for $name {
            const ALL: &'static [Self] = $name::ALL;
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn parse(s: &str) -> Result<Self, UnknownValue> {
                $name::parse(s)
            }
        }

        impl $name {
            /// Every value, in the order of the state diagram.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// What moves, in messages: `"enrollment"`.
            pub const NOUN: &'static str = $noun;

            /// What a value of this enum is, in messages: `"enrollment status"`.
            pub const KIND: &'static str = concat!($noun, " ", $field);

            /// The stored (and serialised) string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value a stored or supplied string names; anything else is an error.
            pub fn parse(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(UnknownValue {
                        kind: Self::KIND,
                        value: s.to_owned(),
                    }),
                }
            }

            /// Every stored string quoted, for a CHECK constraint: `'a','b'`.
            pub fn sql_list() -> String {
                quoted_list(Self::ALL.iter().map(|s| s.as_str()))
            }

            /// The statuses this one may move to.
            pub fn next_states(self) -> &'static [Self] {
                match self {
                    $(Self::$variant => &[$(Self::$next),*],)+
                }
            }

            /// Whether the state diagram allows `self -> next`.
            pub fn can_move_to(self, next: Self) -> bool {
                self.next_states().contains(&next)
            }

            /// `next`, if the state diagram allows `self -> next`.
            pub fn move_to(self, next: Self) -> Result<Self, InvalidTransition> {
                if self.can_move_to(next) {
                    Ok(next)
                } else {
                    Err(self.refuse(next))
                }
            }

            /// No move leads out of this status.
            pub fn is_terminal(self) -> bool {
                self.next_states().is_empty()
            }

            /// The error for refusing `self -> to`, for rules stricter than the
            /// diagram (a named move that takes only some of the ways into `to`).
            pub fn refuse(self, to: Self) -> InvalidTransition {
                InvalidTransition {
                    kind: Self::NOUN,
                    from: self.as_str(),
                    to: to.as_str(),
                }
            }
        }

        // By hand rather than derived: utoipa's derive does not see a `rename` whose
        // string comes through this macro, and would list the Rust names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(
                        "Open enum (API.md §1): the values this release writes; \
                         clients must tolerate values not listed here.",
                    ))
                    .enum_values(Some(Self::ALL.iter().map(|s| s.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

status_enum! {
    /// An indirect reseller's enrollment (`enrollments.status`, mirrored in
    /// `organizations.enrollment_status`).
    ///
    /// An enrollment starts as draft. Submitting a draft (or a rejected one) makes it
    /// pendingVerification, or pendingReview when the primary contact is verified
    /// already, or approved at once for an existing partner. Confirming the contact's
    /// address moves pendingVerification to pendingReview. The vendor approves or
    /// rejects an enrollment pending review; a rejected one can be edited and
    /// submitted again. Anything not yet approved or withdrawn can be withdrawn.
    /// Approved and withdrawn are terminal.
    pub enum EnrollmentStatus ("enrollment", "status") {
        Draft = "draft" => [PendingVerification, PendingReview, Approved, Withdrawn],
        PendingVerification = "pendingVerification" => [PendingReview, Withdrawn],
        PendingReview = "pendingReview" => [Approved, Rejected, Withdrawn],
        Approved = "approved" => [],
        Rejected = "rejected" => [PendingVerification, PendingReview, Approved, Withdrawn],
        Withdrawn = "withdrawn" => [],
    }
}

impl EnrollmentStatus {
    /// Draft and rejected enrollments take edits (membership, profiles) and submit.
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Rejected)
    }

    /// Submit: approved at once for an existing partner; else pendingReview when the
    /// primary contact is verified already, pendingVerification when not.
    pub fn submit(
        self,
        existing_partner: bool,
        contact_verified: bool,
    ) -> Result<Self, InvalidTransition> {
        self.move_to(if existing_partner {
            Self::Approved
        } else if contact_verified {
            Self::PendingReview
        } else {
            Self::PendingVerification
        })
    }

    /// The primary contact confirmed their address (only a pendingVerification
    /// enrollment moves; in any other status the confirmation changes no status).
    pub fn confirm_contact(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::PendingReview)
    }

    /// The vendor's approval: only of an enrollment pending review (an existing
    /// partner's approval at submit is [`submit`](Self::submit)).
    pub fn approve(self) -> Result<Self, InvalidTransition> {
        if self == Self::PendingReview {
            self.move_to(Self::Approved)
        } else {
            Err(self.refuse(Self::Approved))
        }
    }

    pub fn reject(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Rejected)
    }

    pub fn withdraw(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Withdrawn)
    }
}

status_enum! {
    /// A provider's invitation of a reseller (`reseller_invitations.status`).
    ///
    /// An invitation is pending until the reseller accepts or declines it, the
    /// provider revokes it, or the expiry job expires it; each of those is terminal.
    /// A pending invitation past its expiry reads as expired before the job runs
    /// ([`as_of`](Self::as_of)).
    pub enum ResellerInvitationStatus ("reseller invitation", "status") {
        Pending = "pending" => [Accepted, Declined, Revoked, Expired],
        Accepted = "accepted" => [],
        Declined = "declined" => [],
        Revoked = "revoked" => [],
        Expired = "expired" => [],
    }
}

impl ResellerInvitationStatus {
    /// The status as of `now`: pending past `expires_at` is expired.
    pub fn as_of(self, expires_at: Timestamp, now: Timestamp) -> Self {
        if self == Self::Pending && expires_at <= now {
            Self::Expired
        } else {
            self
        }
    }

    pub fn accept(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Accepted)
    }

    pub fn decline(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Declined)
    }

    pub fn revoke(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Revoked)
    }

    pub fn expire(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Expired)
    }
}

status_enum! {
    /// A provider ↔ reseller relationship (`partner_relationships.state`).
    ///
    /// Accepting an invitation creates it active; either side terminates it, and
    /// terminated is terminal (working together again is a new relationship).
    pub enum ResellerRelationshipStatus ("reseller relationship", "state") {
        Active = "active" => [Terminated],
        Terminated = "terminated" => [],
    }
}

impl ResellerRelationshipStatus {
    pub fn terminate(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Terminated)
    }
}

status_enum! {
    /// A reseller's relationship request to a customer, optionally three-way
    /// (`customer_requests.status`).
    ///
    /// A request is pending until the customer accepts or declines it, the reseller
    /// revokes it, or the expiry job expires it; each of those is terminal. A pending
    /// request past its expiry reads as expired before the job runs
    /// ([`as_of`](Self::as_of)).
    pub enum RelationshipRequestStatus ("relationship request", "status") {
        Pending = "pending" => [Accepted, Declined, Revoked, Expired],
        Accepted = "accepted" => [],
        Declined = "declined" => [],
        Revoked = "revoked" => [],
        Expired = "expired" => [],
    }
}

impl RelationshipRequestStatus {
    /// The status as of `now`: pending past `expires_at` is expired.
    pub fn as_of(self, expires_at: Timestamp, now: Timestamp) -> Self {
        if self == Self::Pending && expires_at <= now {
            Self::Expired
        } else {
            self
        }
    }

    pub fn accept(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Accepted)
    }

    pub fn decline(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Declined)
    }

    pub fn revoke(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Revoked)
    }

    pub fn expire(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Expired)
    }
}

status_enum! {
    /// A partner ↔ customer relationship (`customer_relationships.state`).
    ///
    /// Accepting a relationship request (or an import) creates it active; the partner
    /// or the customer terminates it, and terminated is terminal.
    pub enum CustomerRelationshipStatus ("customer relationship", "state") {
        Active = "active" => [Terminated],
        Terminated = "terminated" => [],
    }
}

impl CustomerRelationshipStatus {
    pub fn terminate(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Terminated)
    }
}

status_enum! {
    /// A delegated admin relationship (`delegated_admin_relationships.status`).
    ///
    /// Granted active by accepting a request; the expiry job moves it to expired when
    /// its time is up, and the partner or the customer can terminate it before (a new
    /// grant for the same pair terminates the old one too). Expired and terminated are
    /// terminal. An active delegation past its expiry reads as expired before the job
    /// runs ([`as_of`](Self::as_of)).
    pub enum DelegatedAdminStatus ("delegated admin relationship", "status") {
        Active = "active" => [Expired, Terminated],
        Expired = "expired" => [],
        Terminated = "terminated" => [],
    }
}

impl DelegatedAdminStatus {
    /// The status as of `now`: active past `expires_at` is expired.
    pub fn as_of(self, expires_at: Timestamp, now: Timestamp) -> Self {
        if self == Self::Active && expires_at <= now {
            Self::Expired
        } else {
            self
        }
    }

    pub fn expire(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Expired)
    }

    pub fn terminate(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Terminated)
    }
}

status_enum! {
    /// An order (`orders.status`).
    ///
    /// v1 provisions synchronously, so every order is stored completed. The API's
    /// open enum also names pending (provisioning) and cancelled: a pending order
    /// completes or is cancelled, and both of those are terminal.
    pub enum OrderStatus ("order", "status") {
        Pending = "pending" => [Completed, Cancelled],
        Completed = "completed" => [],
        Cancelled = "cancelled" => [],
    }
}

impl OrderStatus {
    pub fn complete(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Completed)
    }

    pub fn cancel(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Cancelled)
    }
}

status_enum! {
    /// A subscription (`subscriptions.status`, API-billing.md §4.2).
    ///
    /// An order creates it active. Active and suspended swap by PATCH (suspend,
    /// reactivate); either is deleted by a cancel inside the window. At its term's
    /// end `τ` an active subscription renews (staying active: no move) or, with
    /// auto-renew off, its offer retired or an add-on's prerequisite gone, expires;
    /// a suspended one is disabled. Expired ones are disabled 30 days after `τ`,
    /// disabled ones deleted 120 days after it. Deleted is terminal. v1's
    /// `cancelled` is a word clients may still send: it means deleted by a cancel.
    pub enum SubscriptionStatus ("subscription", "status") {
        Active = "active" => [Suspended, Expired, Deleted],
        Suspended = "suspended" => [Active, Disabled, Deleted],
        Expired = "expired" => [Disabled],
        Disabled = "disabled" => [Deleted],
        Deleted = "deleted" => [],
    }
}

impl SubscriptionStatus {
    /// Active or suspended: the subscription still holds its seats (licenses, credit
    /// used, service-health relevance).
    pub fn holds_seats(self) -> bool {
        matches!(self, Self::Active | Self::Suspended)
    }

    pub fn suspend(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Suspended)
    }

    pub fn reactivate(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Active)
    }

    /// A cancel inside the window deletes at once.
    pub fn cancel(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Deleted)
    }

    /// The term ended without renewal.
    pub fn expire(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Expired)
    }

    /// Expired, disabled and deleted: nothing about it changes any more (409
    /// `subscription_cancelled`).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Expired | Self::Disabled | Self::Deleted)
    }
}

status_enum! {
    /// A service request (`service_requests.status`).
    ///
    /// Created open. The operator moves it between open and attentionNeeded (waiting
    /// for the partner); the creator or the operator closes it from either; a closed
    /// request only reopens (to open). No status is terminal.
    pub enum ServiceRequestStatus ("service request", "status") {
        Open = "open" => [AttentionNeeded, Closed],
        AttentionNeeded = "attentionNeeded" => [Open, Closed],
        Closed = "closed" => [Open],
    }
}

impl ServiceRequestStatus {
    pub fn close(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Closed)
    }

    /// Reopen: only a closed request.
    pub fn reopen(self) -> Result<Self, InvalidTransition> {
        if self == Self::Closed {
            self.move_to(Self::Open)
        } else {
            Err(self.refuse(Self::Open))
        }
    }
}

status_enum! {
    /// A service-health incident (`service_incidents.status`).
    ///
    /// Posted active; the operator resolves it, and may set a resolved incident
    /// active again. No status is terminal.
    pub enum ServiceIncidentStatus ("service incident", "status") {
        Active = "active" => [Resolved],
        Resolved = "resolved" => [Active],
    }
}

impl ServiceIncidentStatus {
    pub fn resolve(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Resolved)
    }

    pub fn reactivate(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Active)
    }
}

status_enum! {
    /// One event's delivery to one webhook (`webhook_deliveries.status`).
    ///
    /// Created pending. An attempt that gets a 2xx makes it succeeded (terminal); a
    /// failed attempt leaves it pending for a later retry (no move) until the last
    /// attempt fails, which makes it failed. A failed delivery goes back to pending
    /// when the organisation asks for a redelivery.
    pub enum WebhookDeliveryStatus ("webhook delivery", "status") {
        Pending = "pending" => [Succeeded, Failed],
        Succeeded = "succeeded" => [],
        Failed = "failed" => [Pending],
    }
}

impl WebhookDeliveryStatus {
    pub fn succeed(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Succeeded)
    }

    /// The last attempt failed: the worker gives up.
    pub fn give_up(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Failed)
    }

    pub fn redeliver(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Pending)
    }
}

status_enum! {
    /// A row of the transactional outbox — a mail, or an event to fan out to
    /// webhooks (`outbox.status`).
    ///
    /// Written pending in the change's transaction. Delivered, it is sent (terminal);
    /// a failed attempt stays pending for a retry (no move) until the worker gives
    /// up, which makes it failed. An operator can put a failed mail back to pending
    /// (the app retries only rows of kind `mail`).
    pub enum OutboxStatus ("outbox message", "status") {
        Pending = "pending" => [Sent, Failed],
        Sent = "sent" => [],
        Failed = "failed" => [Pending],
    }
}

/// The outbox's status seen from the mail it carries.
pub type MailStatus = OutboxStatus;

impl OutboxStatus {
    pub fn mark_sent(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Sent)
    }

    /// The worker gives up.
    pub fn give_up(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Failed)
    }

    /// Back in the queue after the worker gave up.
    pub fn retry(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Pending)
    }
}

status_enum! {
    /// An offer of the vendor's catalog (`offers.status`).
    ///
    /// Created available; deleting it retires it (kept for history, no new orders or
    /// renewals). Retired is terminal.
    pub enum OfferStatus ("offer", "status") {
        Available = "available" => [Retired],
        Retired = "retired" => [],
    }
}

impl OfferStatus {
    pub fn retire(self) -> Result<Self, InvalidTransition> {
        self.move_to(Self::Retired)
    }
}

status_enum! {
    /// Whether an audited operation succeeded (`audit_records.operation_status`).
    ///
    /// Audit records are append-only, so neither value ever moves.
    pub enum OperationStatus ("audit record", "operation status") {
        Succeeded = "succeeded" => [],
        Failed = "failed" => [],
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failed unwrap is the test failing")]
mod tests {
    use super::*;

    /// Asserts `move_to` over every (from, to) pair of `E` agrees with `allowed`,
    /// and runs the checks every enum shares.
    macro_rules! check_enum {
        (
            $e:ty,
            strings: [$($s:literal),+ $(,)?],
            allowed: [$(($from:ident, $to:ident)),* $(,)?] $(,)?
        ) => {{
            let strings: &[&str] = &[$($s),+];
            assert_eq!(
                <$e>::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                strings,
                "stored strings of {}",
                stringify!($e)
            );
            let allowed: &[($e, $e)] = &[$((<$e>::$from, <$e>::$to)),*];
            for &from in <$e>::ALL {
                for &to in <$e>::ALL {
                    let expected = allowed.contains(&(from, to));
                    assert_eq!(from.can_move_to(to), expected, "{from} -> {to}");
                    match from.move_to(to) {
                        Ok(next) => {
                            assert!(expected, "{from} -> {to} allowed but not in the table");
                            assert_eq!(next, to);
                        }
                        Err(e) => {
                            assert!(!expected, "{from} -> {to} refused but in the table");
                            assert_eq!((e.from, e.to), (from.as_str(), to.as_str()));
                        }
                    }
                }
                assert_eq!(
                    from.is_terminal(),
                    !allowed.iter().any(|(f, _)| *f == from),
                    "terminal {from}"
                );
            }
            common_checks::<$e>();
        }};
    }

    trait Status:
        Copy
        + Eq
        + fmt::Debug
        + fmt::Display
        + FromStr<Err = UnknownValue>
        + serde::Serialize
        + serde::de::DeserializeOwned
        + 'static
    {
        fn all() -> &'static [Self];
        fn text(self) -> &'static str;
        fn parse_str(s: &str) -> Result<Self, UnknownValue>;
        fn sql() -> String;
        fn kind() -> &'static str;
    }

    macro_rules! impl_status {
        ($($e:ty),+) => {$(
            impl Status for $e {
                fn all() -> &'static [Self] { Self::ALL }
                fn text(self) -> &'static str { self.as_str() }
                fn parse_str(s: &str) -> Result<Self, UnknownValue> { Self::parse(s) }
                fn sql() -> String { Self::sql_list() }
                fn kind() -> &'static str { Self::KIND }
            }
        )+};
    }

    impl_status!(
        EnrollmentStatus,
        ResellerInvitationStatus,
        ResellerRelationshipStatus,
        RelationshipRequestStatus,
        CustomerRelationshipStatus,
        DelegatedAdminStatus,
        OrderStatus,
        SubscriptionStatus,
        ServiceRequestStatus,
        ServiceIncidentStatus,
        WebhookDeliveryStatus,
        OutboxStatus,
        OfferStatus,
        OperationStatus
    );

    fn common_checks<E: Status>() {
        for &s in E::all() {
            assert_eq!(E::parse_str(s.text()), Ok(s));
            assert_eq!(s.text().parse::<E>(), Ok(s));
            assert_eq!(s.to_string(), s.text());
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.text()), "serde name of {s:?}");
            assert_eq!(serde_json::from_str::<E>(&json).unwrap(), s);
            assert!(!s.text().contains('\''));
        }
        for bad in ["", "Active", "PENDING", "unknown", " pending"] {
            if E::all().iter().any(|s| s.text() == bad) {
                continue;
            }
            let err = E::parse_str(bad).unwrap_err();
            assert_eq!(err.kind, E::kind());
            assert_eq!(err.to_string(), format!("unknown {} '{bad}'", E::kind()));
            assert!(serde_json::from_str::<E>(&format!("\"{bad}\"")).is_err());
        }
        let sql: Vec<String> = E::all().iter().map(|s| format!("'{}'", s.text())).collect();
        assert_eq!(E::sql(), sql.join(","));
    }

    #[test]
    fn enrollment_moves() {
        use EnrollmentStatus as S;
        check_enum! {
            S,
            strings: [
                "draft", "pendingVerification", "pendingReview", "approved", "rejected", "withdrawn",
            ],
            allowed: [
                (Draft, PendingVerification), (Draft, PendingReview),
                (Draft, Approved), (Draft, Withdrawn),
                (PendingVerification, PendingReview), (PendingVerification, Withdrawn),
                (PendingReview, Approved), (PendingReview, Rejected), (PendingReview, Withdrawn),
                (Rejected, PendingVerification), (Rejected, PendingReview),
                (Rejected, Approved), (Rejected, Withdrawn),
            ],
        }
        assert_eq!(S::Draft.submit(false, false), Ok(S::PendingVerification));
        assert_eq!(S::Draft.submit(false, true), Ok(S::PendingReview));
        assert_eq!(S::Draft.submit(true, false), Ok(S::Approved));
        assert_eq!(S::Rejected.submit(false, true), Ok(S::PendingReview));
        assert!(S::PendingReview.submit(false, true).is_err());
        assert_eq!(
            S::PendingVerification.confirm_contact(),
            Ok(S::PendingReview)
        );
        assert_eq!(S::PendingReview.approve(), Ok(S::Approved));
        assert!(S::Rejected.approve().is_err());
        assert_eq!(S::PendingReview.reject(), Ok(S::Rejected));
        assert_eq!(S::Rejected.withdraw(), Ok(S::Withdrawn));
        let e = S::Draft.approve().unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot move an enrollment from draft to approved"
        );
        let editable: Vec<_> = S::ALL.iter().filter(|s| s.is_editable()).collect();
        assert_eq!(editable, [&S::Draft, &S::Rejected]);
    }

    #[test]
    fn reseller_invitation_moves() {
        use ResellerInvitationStatus as S;
        check_enum! {
            S,
            strings: ["pending", "accepted", "declined", "revoked", "expired"],
            allowed: [
                (Pending, Accepted), (Pending, Declined), (Pending, Revoked), (Pending, Expired),
            ],
        }
        assert_eq!(S::Pending.accept(), Ok(S::Accepted));
        assert_eq!(S::Pending.decline(), Ok(S::Declined));
        assert_eq!(S::Pending.revoke(), Ok(S::Revoked));
        assert_eq!(S::Pending.expire(), Ok(S::Expired));
        assert_eq!(
            S::Revoked.accept().unwrap_err().to_string(),
            "cannot move a reseller invitation from revoked to accepted"
        );
        let (t, later) = (Timestamp(1_000), Timestamp(2_000));
        assert_eq!(S::Pending.as_of(later, t), S::Pending);
        assert_eq!(S::Pending.as_of(t, t), S::Expired);
        assert_eq!(S::Accepted.as_of(t, later), S::Accepted);
    }

    #[test]
    fn reseller_relationship_moves() {
        use ResellerRelationshipStatus as S;
        check_enum! {
            S,
            strings: ["active", "terminated"],
            allowed: [
                (Active, Terminated),
            ],
        }
        assert_eq!(S::Active.terminate(), Ok(S::Terminated));
        assert!(S::Terminated.terminate().is_err());
    }

    #[test]
    fn relationship_request_moves() {
        use RelationshipRequestStatus as S;
        check_enum! {
            S,
            strings: ["pending", "accepted", "declined", "revoked", "expired"],
            allowed: [
                (Pending, Accepted), (Pending, Declined), (Pending, Revoked), (Pending, Expired),
            ],
        }
        assert_eq!(S::Pending.accept(), Ok(S::Accepted));
        assert_eq!(S::Pending.decline(), Ok(S::Declined));
        assert_eq!(S::Pending.revoke(), Ok(S::Revoked));
        assert_eq!(S::Pending.expire(), Ok(S::Expired));
        assert!(S::Expired.accept().is_err());
        let (t, later) = (Timestamp(1_000), Timestamp(2_000));
        assert_eq!(S::Pending.as_of(later, t), S::Pending);
        assert_eq!(S::Pending.as_of(t, later), S::Expired);
        assert_eq!(S::Declined.as_of(t, later), S::Declined);
    }

    #[test]
    fn customer_relationship_moves() {
        use CustomerRelationshipStatus as S;
        check_enum! {
            S,
            strings: ["active", "terminated"],
            allowed: [
                (Active, Terminated),
            ],
        }
        assert_eq!(S::Active.terminate(), Ok(S::Terminated));
        assert!(S::Terminated.terminate().is_err());
    }

    #[test]
    fn delegated_admin_moves() {
        use DelegatedAdminStatus as S;
        check_enum! {
            S,
            strings: ["active", "expired", "terminated"],
            allowed: [
                (Active, Expired), (Active, Terminated),
            ],
        }
        assert_eq!(S::Active.expire(), Ok(S::Expired));
        assert_eq!(S::Active.terminate(), Ok(S::Terminated));
        assert!(S::Expired.terminate().is_err());
        let (t, later) = (Timestamp(1_000), Timestamp(2_000));
        assert_eq!(S::Active.as_of(later, t), S::Active);
        assert_eq!(S::Active.as_of(t, t), S::Expired);
        assert_eq!(S::Terminated.as_of(t, later), S::Terminated);
    }

    #[test]
    fn order_moves() {
        use OrderStatus as S;
        check_enum! {
            S,
            strings: ["pending", "completed", "cancelled"],
            allowed: [
                (Pending, Completed), (Pending, Cancelled),
            ],
        }
        assert_eq!(S::Pending.complete(), Ok(S::Completed));
        assert_eq!(S::Pending.cancel(), Ok(S::Cancelled));
        assert_eq!(
            S::Completed.cancel().unwrap_err().to_string(),
            "cannot move an order from completed to cancelled"
        );
    }

    #[test]
    fn subscription_moves() {
        use SubscriptionStatus as S;
        check_enum! {
            S,
            strings: ["active", "suspended", "expired", "disabled", "deleted"],
            allowed: [
                (Active, Suspended), (Active, Expired), (Active, Deleted),
                (Suspended, Active), (Suspended, Disabled), (Suspended, Deleted),
                (Expired, Disabled), (Disabled, Deleted),
            ],
        }
        assert_eq!(S::Active.suspend(), Ok(S::Suspended));
        assert_eq!(S::Suspended.reactivate(), Ok(S::Active));
        assert_eq!(S::Suspended.cancel(), Ok(S::Deleted));
        assert_eq!(S::Active.expire(), Ok(S::Expired));
        assert!(S::Suspended.expire().is_err());
        assert!(S::Deleted.reactivate().is_err());
        assert!(S::Expired.reactivate().is_err());
        let holding: Vec<_> = S::ALL.iter().filter(|s| s.holds_seats()).collect();
        assert_eq!(holding, [&S::Active, &S::Suspended]);
        let closed: Vec<_> = S::ALL.iter().filter(|s| s.is_closed()).collect();
        assert_eq!(closed, [&S::Expired, &S::Disabled, &S::Deleted]);
    }

    #[test]
    fn service_request_moves() {
        use ServiceRequestStatus as S;
        check_enum! {
            S,
            strings: ["open", "attentionNeeded", "closed"],
            allowed: [
                (Open, AttentionNeeded), (Open, Closed),
                (AttentionNeeded, Open), (AttentionNeeded, Closed),
                (Closed, Open),
            ],
        }
        assert_eq!(S::Open.close(), Ok(S::Closed));
        assert_eq!(S::AttentionNeeded.close(), Ok(S::Closed));
        assert_eq!(S::Closed.reopen(), Ok(S::Open));
        assert!(S::Closed.close().is_err());
        assert_eq!(
            S::AttentionNeeded.reopen().unwrap_err().to_string(),
            "cannot move a service request from attentionNeeded to open"
        );
        assert!(S::Open.reopen().is_err());
    }

    #[test]
    fn service_incident_moves() {
        use ServiceIncidentStatus as S;
        check_enum! {
            S,
            strings: ["active", "resolved"],
            allowed: [
                (Active, Resolved),
                (Resolved, Active),
            ],
        }
        assert_eq!(S::Active.resolve(), Ok(S::Resolved));
        assert_eq!(S::Resolved.reactivate(), Ok(S::Active));
        assert!(S::Resolved.resolve().is_err());
    }

    #[test]
    fn webhook_delivery_moves() {
        use WebhookDeliveryStatus as S;
        check_enum! {
            S,
            strings: ["pending", "succeeded", "failed"],
            allowed: [
                (Pending, Succeeded), (Pending, Failed),
                (Failed, Pending),
            ],
        }
        assert_eq!(S::Pending.succeed(), Ok(S::Succeeded));
        assert_eq!(S::Pending.give_up(), Ok(S::Failed));
        assert_eq!(S::Failed.redeliver(), Ok(S::Pending));
        assert!(S::Succeeded.redeliver().is_err());
    }

    #[test]
    fn outbox_moves() {
        use OutboxStatus as S;
        check_enum! {
            S,
            strings: ["pending", "sent", "failed"],
            allowed: [
                (Pending, Sent), (Pending, Failed),
                (Failed, Pending),
            ],
        }
        assert_eq!(S::Pending.mark_sent(), Ok(S::Sent));
        assert_eq!(S::Pending.give_up(), Ok(S::Failed));
        assert_eq!(MailStatus::Failed.retry(), Ok(S::Pending));
        assert!(S::Sent.retry().is_err());
    }

    #[test]
    fn offer_moves() {
        use OfferStatus as S;
        check_enum! {
            S,
            strings: ["available", "retired"],
            allowed: [
                (Available, Retired),
            ],
        }
        assert_eq!(S::Available.retire(), Ok(S::Retired));
        assert!(S::Retired.retire().is_err());
    }

    #[test]
    fn operation_status_never_moves() {
        use OperationStatus as S;
        check_enum! {
            S,
            strings: ["succeeded", "failed"],
            allowed: [],
        }
        assert_eq!(S::KIND, "audit record operation status");
    }

    #[test]
    fn unknown_values_name_their_kind() {
        let e = SubscriptionStatus::parse("cancelled").unwrap_err();
        assert_eq!(e.to_string(), "unknown subscription status 'cancelled'");
        let e = ResellerRelationshipStatus::parse("pending").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown reseller relationship state 'pending'"
        );
        assert_eq!(OrderStatus::sql_list(), "'pending','completed','cancelled'");
    }

    #[test]
    fn openapi_schema_lists_the_stored_strings() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(EnrollmentStatus::schema()).unwrap();
        let values: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let stored: Vec<&str> = EnrollmentStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(values, stored);
    }
}
