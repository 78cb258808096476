//! Instants as milliseconds since the Unix epoch, shown as RFC 3339 UTC with `Z`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant, stored as epoch milliseconds (portable across SQLite and PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const SECOND: i64 = 1000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    pub const DAY: i64 = 24 * Self::HOUR;

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// `2025-01-31T09:00:00Z` (whole seconds).
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default()
    }

    /// Parses an RFC 3339 instant with any offset.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }

    /// Wall-clock now.
    pub fn now_system() -> Self {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Self(i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX))
    }

    /// `yyyyMMddTHHmmssSSS`, used in mail file names.
    pub fn compact(self) -> String {
        let Ok(t) = OffsetDateTime::from_unix_timestamp(self.0.div_euclid(1000)) else {
            return String::new();
        };
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            self.0.rem_euclid(1000)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let t = Timestamp::parse_rfc3339("2025-01-31T09:00:00Z");
        assert_eq!(
            t.map(Timestamp::to_rfc3339),
            Some("2025-01-31T09:00:00Z".to_owned())
        );
        assert_eq!(
            t.map(Timestamp::compact),
            Some("20250131T090000000".to_owned())
        );
        assert!(Timestamp::parse_rfc3339("yesterday").is_none());
    }
}
