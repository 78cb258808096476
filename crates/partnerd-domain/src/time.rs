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
