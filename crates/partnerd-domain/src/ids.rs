//! Opaque, prefixed identifiers (`org_…`, `usr_…`). Clients must not parse them; we
//! only promise they are unique strings. A newtype per kind keeps them from mixing.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;

/// Base32 digits in ASCII order, so that ids sort like the numbers they encode.
const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

fn encode(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(26);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// 16 bytes in base32 (26 characters): 48 bits of milliseconds since the epoch, then
/// 80 random bits. Ids of one process increase strictly (within a millisecond the
/// random part counts up), so "newest first, id as tie-break" is creation order.
pub fn random_suffix() -> String {
    static LAST: Mutex<(u64, u128)> = Mutex::new((0, 0));
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let mask: u128 = (1 << 80) - 1;
    let mut rand80 = u128::from_be_bytes(random) & mask;
    let mut ms = now_ms;
    if let Ok(mut last) = LAST.lock() {
        if ms <= last.0 {
            ms = last.0;
            rand80 = (last.1 + 1) & mask;
        }
        *last = (ms, rand80);
    }
    let value = (u128::from(ms & 0xFFFF_FFFF_FFFF) << 80) | rand80;
    encode(&value.to_be_bytes())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, random_suffix()))
            }

            /// Wraps a stored or client-supplied id. Ids are opaque, so any string is
            /// accepted; an id that names nothing simply finds nothing.
            pub fn from_raw(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        // Reading an id as text (to show it, format it, hash it) is always safe;
        // what the type refuses is text, or another kind of id, where this one
        // is expected.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(/// An organisation (tenant).
    OrgId, "org");
id_type!(/// A user of some organisation's directory.
    UserId, "usr");
id_type!(/// A sign-in session.
    SessionId, "ses");
id_type!(/// An API key.
    ApiKeyId, "key");
id_type!(/// An audit record.
    AuditRecordId, "aud");
id_type!(/// A row of the transactional outbox.
    OutboxId, "obx");
id_type!(/// A partner's enrollment (the request to join a programme).
    EnrollmentId, "enr");
id_type!(/// A provider's invitation to a reseller.
    ResellerInvitationId, "inv");
id_type!(/// A provider↔reseller relationship.
    ResellerRelationshipId, "rel");
id_type!(/// A partner's request to a customer for a relationship.
    RelationshipRequestId, "crr");
id_type!(/// A partner↔customer relationship.
    CustomerRelationshipId, "crl");
id_type!(/// A customer's grant of delegated admin to a partner.
    DelegatedAdminId, "dar");
id_type!(/// A registry account (signs in to the membership registry).
    RegistryAccountId, "rga");
id_type!(/// An order.
    OrderId, "ord");
id_type!(/// A subscription.
    SubscriptionId, "sub");
id_type!(/// A change made to a subscription.
    SubscriptionChangeId, "chg");
id_type!(/// A webhook endpoint.
    WebhookId, "whk");
id_type!(/// One attempt to deliver an event to a webhook.
    DeliveryId, "dlv");
id_type!(/// An event (what webhooks and the outbox carry).
    EventId, "evt");
id_type!(/// A support (service) request.
    ServiceRequestId, "srq");
id_type!(/// A note on a service request.
    ServiceRequestNoteId, "srn");
id_type!(/// A service incident.
    IncidentId, "inc");
id_type!(/// An update posted on a service incident.
    IncidentUpdateId, "inu");
id_type!(/// A seller's repricing config for one tier, buyer and month.
    RepricingConfigId, "rpc");
id_type!(/// A line of the charge ledger.
    ChargeLineId, "cln");
id_type!(/// A billing run of one month.
    BillingRunId, "brn");
id_type!(/// An invoice.
    InvoiceId, "ivc");
id_type!(/// A payment recorded on an invoice.
    PaymentId, "pay");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = OrgId::generate();
        let b = OrgId::generate();
        assert!(a.as_str().starts_with("org_"));
        assert_eq!(a.as_str().len(), 4 + 26);
        assert_ne!(a, b);
        assert!(a < b, "later ids sort after earlier ones");
    }
}
