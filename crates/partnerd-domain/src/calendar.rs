//! UTC calendar days and months (API-billing.md §1, §1.2): `2026-03-03` and
//! `2026-03`. Every term, billing period and price version is counted in these.
//! Stored as their text, which sorts as they do.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::Timestamp;

/// A UTC day, `YYYY-MM-DD` (the contract's Date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

/// A UTC calendar month, `YYYY-MM` (the contract's Month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1–12.
    month: u8,
}

fn ymd(year: i32, month: u8, day: u8) -> Option<Date> {
    let m = time::Month::try_from(month).ok()?;
    time::Date::from_calendar_date(year, m, day).ok().map(Date)
}

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl Date {
    /// `2026-03-03`: exactly this shape, a real day.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = i32::try_from(digits(&s[0..4])?).ok()?;
        let month = u8::try_from(digits(&s[5..7])?).ok()?;
        let day = u8::try_from(digits(&s[8..10])?).ok()?;
        ymd(year, month, day)
    }

    /// The UTC day of an instant.
    pub fn of(t: Timestamp) -> Self {
        let secs = t.millis().div_euclid(1000);
        let day = time::OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| t.date())
            .unwrap_or(time::Date::MIN);
        Self(day)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month_number(self) -> u8 {
        u8::from(self.0.month())
    }

    pub fn day_of_month(self) -> u8 {
        self.0.day()
    }

    /// `00:00:00Z` of this day.
    pub fn start(self) -> Timestamp {
        let secs = self.0.midnight().assume_utc().unix_timestamp();
        Timestamp(secs.saturating_mul(1000))
    }

    /// `addMonths(d, k)`: the same day of the month `k` months later, clamped to
    /// that month's last day (`2026-01-31` + 1 → `2026-02-28`).
    pub fn add_months(self, k: u32) -> Self {
        let total = i64::from(self.month_number()) - 1 + i64::from(k);
        let year = self.year() + i32::try_from(total / 12).unwrap_or(0);
        let month = u8::try_from(total % 12 + 1).unwrap_or(1);
        let Ok(m) = time::Month::try_from(month) else {
            return self;
        };
        let day = self.day_of_month().min(time::util::days_in_month(m, year));
        ymd(year, month, day).unwrap_or(self)
    }

    /// `n` days later (earlier if negative).
    pub fn add_days(self, n: i64) -> Self {
        self.0
            .checked_add(time::Duration::days(n))
            .map_or(self, Self)
    }

    /// Whole days from `self` to `later` (`later − self`).
    pub fn days_until(self, later: Self) -> i64 {
        (later.0 - self.0).whole_days()
    }

    pub fn month(self) -> Month {
        Month {
            year: self.year(),
            month: self.month_number(),
        }
    }

    /// The last day of this day's month.
    pub fn month_end(self) -> Self {
        self.month().last_day()
    }

    pub fn is_month_end(self) -> bool {
        self == self.month_end()
    }

    /// As people write it: `17 March 2026`.
    pub fn spoken(self) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        format!(
            "{} {} {}",
            self.day_of_month(),
            MONTHS[usize::from(self.month_number().saturating_sub(1))],
            self.year()
        )
    }
}

impl Month {
    /// `2026-03`: exactly this shape, month 01–12.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return None;
        }
        let year = i32::try_from(digits(&s[0..4])?).ok()?;
        let month = u8::try_from(digits(&s[5..7])?).ok()?;
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    /// The UTC month of an instant.
    pub fn of(t: Timestamp) -> Self {
        Date::of(t).month()
    }

    pub fn first_day(self) -> Date {
        ymd(self.year, self.month, 1).unwrap_or(Date(time::Date::MIN))
    }

    pub fn last_day(self) -> Date {
        self.next().first_day().add_days(-1)
    }

    /// `k` months later.
    pub fn plus(self, k: u32) -> Self {
        self.first_day().add_months(k).month()
    }

    pub fn next(self) -> Self {
        self.plus(1)
    }

    /// The month before this one.
    pub fn previous(self) -> Self {
        self.first_day().add_days(-1).month()
    }

    /// The first instant of the month.
    pub fn start(self) -> Timestamp {
        self.first_day().start()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month_number(),
            self.day_of_month()
        )
    }
}

impl Month {
    /// As people write it: `March 2026`.
    pub fn spoken(self) -> String {
        let day = self.first_day().spoken();
        day.split_once(' ')
            .map_or(day.clone(), |(_, rest)| rest.to_owned())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("must be a date, YYYY-MM-DD, e.g. 2026-03-31"))
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("must be a month, YYYY-MM, e.g. 2026-04"))
    }
}

fn string_schema(
    format: Option<utoipa::openapi::SchemaFormat>,
    pattern: Option<&str>,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut b = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(format)
        .description(Some(description));
    if let Some(p) = pattern {
        b = b.pattern(Some(p));
    }
    b.into()
}

impl utoipa::PartialSchema for Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(
            Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )),
            None,
            "A UTC day, YYYY-MM-DD",
        )
    }
}

impl utoipa::ToSchema for Date {}

impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(
            None,
            Some("^[0-9]{4}-(0[1-9]|1[0-2])$"),
            "A UTC calendar month, YYYY-MM",
        )
    }
}

impl utoipa::ToSchema for Month {}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|| panic!("{s} is a date"))
    }

    #[test]
    fn add_months_keeps_the_day_or_clamps_to_the_month_end() {
        for (from, k, to) in [
            ("2026-01-31", 1, "2026-02-28"),
            ("2028-01-31", 1, "2028-02-29"),
            ("2026-03-03", 12, "2027-03-03"),
            ("2026-12-15", 1, "2027-01-15"),
            ("2026-05-31", 36, "2029-05-31"),
            ("2026-08-31", 1, "2026-09-30"),
        ] {
            assert_eq!(d(from).add_months(k).to_string(), to, "{from} + {k}");
        }
    }

    #[test]
    fn days_months_and_instants_line_up() {
        assert_eq!(d("2026-03-03").days_until(d("2026-04-03")), 31);
        assert_eq!(d("2026-04-03").days_until(d("2026-05-03")), 30);
        assert_eq!(d("2026-03-01").add_days(-1).to_string(), "2026-02-28");
        assert_eq!(d("2027-03-03").start().to_string(), "2027-03-03T00:00:00Z");
        let t = Timestamp::parse_rfc3339("2026-03-03T23:59:59Z").unwrap_or_default();
        assert_eq!(Date::of(t).to_string(), "2026-03-03");
        assert_eq!(Month::of(t).to_string(), "2026-03");
        assert_eq!(d("2026-02-10").month_end().to_string(), "2026-02-28");
        assert!(d("2026-04-30").is_month_end());
        assert!(!d("2026-04-29").is_month_end());
        let m = Month::parse("2026-12").unwrap_or_else(|| panic!("a month"));
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(m.previous().to_string(), "2026-11");
        assert_eq!(m.last_day().to_string(), "2026-12-31");
        assert_eq!(d("2026-03-17").spoken(), "17 March 2026");
    }

    #[test]
    fn only_the_exact_shapes_parse() {
        for bad in [
            "2026-3-03",
            "2026-02-30",
            "2026-13-01",
            "26-03-03",
            "2026-03-03T00:00:00Z",
            "",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        for bad in ["2026-00", "2026-13", "2026-3", "2026-03-01"] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&d("2026-03-03")).ok().as_deref(),
            Some("\"2026-03-03\"")
        );
    }
}
