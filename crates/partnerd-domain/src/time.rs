//! Instants as milliseconds since the Unix epoch, shown as RFC 3339 UTC with `Z`.
//! One type from the database row to the JSON body and the page: rows read it,
//! views serialise it, pages display it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant, stored as epoch milliseconds (portable across SQLite and PostgreSQL).
/// `Default` is the epoch, the lower bound of an open time filter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const SECOND: i64 = 1000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    pub const DAY: i64 = 24 * Self::HOUR;

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (webhook signatures carry these).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    pub fn minus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_sub(ms))
    }

    /// The same time of day `months` calendar months later; a day that month lacks
    /// becomes its last day (Jan 31 + 1 month = Feb 28/29).
    pub fn plus_months(self, months: u32) -> Self {
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
        else {
            return self;
        };
        let total = i64::from(t.month() as u8) - 1 + i64::from(months);
        let year = t.year() + i32::try_from(total / 12).unwrap_or(0);
        let Ok(month) = time::Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1)) else {
            return self;
        };
        let day = t.day().min(time::util::days_in_month(month, year));
        time::Date::from_calendar_date(year, month, day)
            .map(|d| {
                let moved = t.replace_date(d);
                Self(i64::try_from(moved.unix_timestamp_nanos() / 1_000_000).unwrap_or(self.0))
            })
            .unwrap_or(self)
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

    /// The calendar day, `2025-01-31`.
    pub fn day(self) -> String {
        let mut s = self.to_rfc3339();
        s.truncate(10);
        s
    }

    /// As people write it: `17 March 2026, 09:59 UTC`.
    pub fn spoken(self) -> String {
        let time = self.to_rfc3339();
        format!(
            "{}, {} UTC",
            crate::calendar::Date::of(self).spoken(),
            time.get(11..16).unwrap_or("00:00")
        )
    }

    /// Milliseconds from `earlier` to this instant (negative if `earlier` is later).
    pub fn since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
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

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse_rfc3339(&s).ok_or_else(|| {
            serde::de::Error::custom("must be an RFC 3339 instant, e.g. 2025-01-31T09:00:00Z")
        })
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("RFC 3339 instant in UTC, whole seconds"))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

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

    #[test]
    fn serialises_as_the_string_pages_show() {
        let t = Timestamp(1_738_314_000_123);
        let json = serde_json::to_string(&t).ok();
        assert_eq!(json.as_deref(), Some("\"2025-01-31T09:00:00Z\""));
        assert_eq!(t.to_string(), "2025-01-31T09:00:00Z");
        assert_eq!(t.day(), "2025-01-31");
        let back: Result<Timestamp, _> = serde_json::from_str("\"2025-01-31T10:00:00+01:00\"");
        assert_eq!(back.ok(), Some(Timestamp(1_738_314_000_000)));
        assert!(serde_json::from_str::<Timestamp>("\"soon\"").is_err());
    }
}

#[cfg(test)]
mod month_tests {
    use super::Timestamp;

    #[test]
    fn months_keep_the_day_or_clamp_to_the_month_end() {
        let moved = |from: &str, months: u32| {
            Timestamp::parse_rfc3339(from).map(|t| t.plus_months(months).to_rfc3339())
        };
        for (from, months, to) in [
            ("2025-01-31T09:00:00Z", 1, "2025-02-28T09:00:00Z"),
            ("2024-01-31T09:00:00Z", 1, "2024-02-29T09:00:00Z"),
            ("2025-11-15T00:00:00Z", 12, "2026-11-15T00:00:00Z"),
            ("2025-12-01T00:00:00Z", 1, "2026-01-01T00:00:00Z"),
        ] {
            assert_eq!(moved(from, months).as_deref(), Some(to));
        }
    }
}
