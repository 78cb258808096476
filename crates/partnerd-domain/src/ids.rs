//! Opaque, prefixed identifiers (`org_…`, `usr_…`). Clients must not parse them; we
//! only promise they are unique strings. A newtype per kind keeps them from mixing.

use rand::RngCore;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// 16 random bytes in lower-case base32 (26 characters).
pub fn random_suffix() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let mut out = String::with_capacity(26);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(b);
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
    }
}
