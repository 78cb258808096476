//! Money: `{"amount": "12.50", "currency": "EUR"}`, kept as minor units (cents).
//!
//! [`Money`] is an amount with its [`Currency`]: arithmetic on it is checked (an
//! overflow or a mix of currencies is an error, never a wrong total), and it reads
//! and writes the API's Money object. The free functions below are the older,
//! string-level helpers that request validation uses.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::FieldError;

/// A decimal amount string with at most two decimals, as minor units. Negative
/// amounts are refused.
pub fn parse_amount(pointer: &str, raw: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::invalid(
            pointer,
            "must be a decimal string with at most 2 decimals, such as \"12.50\"",
        )
    };
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (raw.contains('.') && frac.is_empty())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(bad)
}

/// Minor units as the API's decimal string (`"12.50"`).
pub fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Checks a currency against the deployment's one currency.
pub fn check_currency(pointer: &str, raw: &str, platform: &str) -> Result<(), FieldError> {
    if raw == platform {
        Ok(())
    } else {
        Err(FieldError::invalid(
            pointer,
            format!("must be {platform}, the currency of this deployment"),
        ))
    }
}

/// Markup `R(p, b) = ⌊(p·(10 000 + b) + 5 000) / 10 000⌋` (API-billing.md §1.1):
/// price `p` in minor units adjusted by `b` hundredths of a percent, rounded half
/// up, with 128-bit intermediates. `markup(1000, 1500) = 1150`.
pub fn markup(p: i64, b: i64) -> i64 {
    let v = (i128::from(p) * (10_000 + i128::from(b)) + 5_000).div_euclid(10_000);
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// Proration `E(u, d, D) = ⌊(2·u·d + D) / (2·D)⌋` (API-billing.md §1.1): the
/// per-seat price of `d` charged days of a billing period of `D` days whose full
/// per-seat price is `u`, rounded half up. `prorate(u, D, D) = u`; `D ≤ 0` gives 0.
pub fn prorate(u: i64, d: i64, period_days: i64) -> i64 {
    if period_days <= 0 {
        return 0;
    }
    let big_d = i128::from(period_days);
    let v = (2 * i128::from(u) * i128::from(d) + big_d).div_euclid(2 * big_d);
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// A percentage (API-billing.md §1): a decimal string with an optional `-` and at
/// most two decimals, −100.00…1000.00, kept as integer hundredths (`"15"` → 1500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percentage(i64);

impl Percentage {
    pub const MIN: i64 = -10_000;
    pub const MAX: i64 = 100_000;
    /// No adjustment: the seller's cost is the buyer's price.
    pub const ZERO: Self = Self(0);

    /// Hundredths of a percent, if in range.
    pub fn from_hundredths(b: i64) -> Option<Self> {
        (Self::MIN..=Self::MAX).contains(&b).then_some(Self(b))
    }

    /// `"15"`, `"-12.5"`, `"7.25"`; anything else, or out of range, is a field error
    /// at `pointer`.
    pub fn parse(pointer: &str, raw: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::invalid(
                pointer,
                "must be a percentage from -100 to 1000 with at most 2 decimals, such as \"15\" or \"-2.5\"",
            )
        };
        let (negative, digits) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = !whole.is_empty()
            && whole.len() <= 4
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 2
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(digits.contains('.') && frac.is_empty());
        if !ok {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let b = whole * 100 + frac;
        Self::from_hundredths(if negative { -b } else { b }).ok_or_else(bad)
    }

    /// `b`, hundredths of a percent.
    pub fn hundredths(self) -> i64 {
        self.0
    }

    /// `R(p, b)`: a price adjusted by this percentage.
    pub fn apply(self, price: Money) -> Money {
        Money::new(markup(price.minor(), self.0), price.currency())
    }
}

/// The shortest decimal: `15`, `12.5`, `-0.25`.
impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 100, abs % 100);
        match frac {
            0 => write!(f, "{sign}{whole}"),
            f10 if f10 % 10 == 0 => write!(f, "{sign}{whole}.{}", f10 / 10),
            _ => write!(f, "{sign}{whole}.{frac:02}"),
        }
    }
}

/// `{"percentage": "15"}`.
impl Serialize for Percentage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Percentage", 1)?;
        s.serialize_field("percentage", &self.to_string())?;
        s.end()
    }
}

/// The API's Percentage object on the wire (and in the OpenAPI document).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = Percentage)]
pub struct PercentageInput {
    /// A decimal string, −100…1000, at most 2 decimals: `"15"`, `"-2.5"`.
    #[schema(example = "15")]
    pub percentage: String,
}

/// A currency code: three capital ASCII letters, as ISO 4217 spells them. Only the
/// shape is checked; that a code is the deployment's currency is the real check
/// ([`check_currency`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The default currency of a new deployment.
    pub const USD: Currency = Currency(*b"USD");

    /// `"EUR"`; lower case, other lengths and other characters are refused.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(MoneyError::InvalidCurrency(s.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only `parse` builds a Currency, so the bytes are ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code"))
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

/// What checked money arithmetic and parsing refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The result does not fit in 64-bit minor units.
    #[error("the amount is too large")]
    Overflow,
    /// Amounts in two currencies were combined.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("'{0}' is not a currency code (three capital letters, such as EUR)")]
    InvalidCurrency(String),
    #[error("'{0}' is not a decimal amount with at most 2 decimals, such as \"12.50\"")]
    InvalidAmount(String),
}

/// An amount in minor units (1 = 0.01) of one currency. It may be negative (refunds,
/// credit notes); request validation refuses negative input separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// The API's two strings: a decimal `amount` (optionally negative, at most two
    /// decimals) and a `currency` code.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let currency = Currency::parse(currency)?;
        let minor = parse_signed(amount)?;
        Ok(Self::new(minor, currency))
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// The amount alone, as the API writes it: `"12.50"`, `"-0.05"`.
    pub fn amount(self) -> String {
        format_amount(self.minor)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// A unit price times a quantity.
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// The total of `items` in `currency` (zero when there are none); an item in
    /// another currency is a mismatch, not skipped.
    pub fn sum(
        currency: Currency,
        items: impl IntoIterator<Item = Money>,
    ) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Self::zero(currency), Money::checked_add)
    }
}

/// `12.50 EUR`, `-0.05 EUR`.
/// The three tiers' per-seat, per-billing-period prices of one subscription
/// (API-billing.md §4.1, §5.1), locked for its term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierPrices {
    pub operator_to_provider: Money,
    pub provider_to_reseller: Money,
    pub reseller_to_customer: Money,
}

impl TierPrices {
    /// Every tier at one price (a v1 subscription; no repricing configured).
    pub fn flat(price: Money) -> Self {
        Self {
            operator_to_provider: price,
            provider_to_reseller: price,
            reseller_to_customer: price,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", format_amount(self.minor), self.currency)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Money", 2)?;
        s.serialize_field("amount", &format_amount(self.minor))?;
        s.serialize_field("currency", &self.currency)?;
        s.end()
    }
}

/// The API's Money object on the wire (and in the OpenAPI document).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = Money)]
struct MoneyWire<'a> {
    /// A decimal string with at most two decimals, such as `"12.50"`; may be negative
    /// in responses.
    #[serde(borrow)]
    #[schema(value_type = String, example = "12.50")]
    amount: Cow<'a, str>,
    /// ISO 4217, the deployment's one currency.
    #[serde(borrow)]
    #[schema(value_type = String, example = "EUR")]
    currency: Cow<'a, str>,
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = MoneyWire::deserialize(deserializer)?;
        Money::parse(&w.amount, &w.currency).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <MoneyWire<'static> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

/// `-?digits(.d{1,2})?` as minor units, up to what an i64 holds. Unlike
/// [`parse_amount`] (request input) the sign is allowed and the size is not capped
/// below i64, so every value [`format_amount`] writes reads back.
fn parse_signed(raw: &str) -> Result<i64, MoneyError> {
    let bad = || MoneyError::InvalidAmount(raw.to_owned());
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 18 || !all_digits(whole) {
        return Err(bad());
    }
    if frac.len() > 2 || !all_digits(frac) || (digits.contains('.') && frac.is_empty()) {
        return Err(bad());
    }
    let whole: i128 = whole.parse().map_err(|_| bad())?;
    let cents: i128 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let magnitude = whole * 100 + cents;
    i64::try_from(if negative { -magnitude } else { magnitude }).map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is the test failing"
)]
mod tests {
    #[test]
    fn percentages_parse_within_range_and_print_short() {
        use super::Percentage;
        let p = |s| Percentage::parse("/p", s).map(|p| (p.hundredths(), p.to_string()));
        assert_eq!(p("15"), Ok((1500, "15".into())));
        assert_eq!(p("-12.5"), Ok((-1250, "-12.5".into())));
        assert_eq!(p("7.25"), Ok((725, "7.25".into())));
        assert_eq!(p("1000.00"), Ok((100_000, "1000".into())));
        assert_eq!(p("-100"), Ok((-10_000, "-100".into())));
        for bad in [
            "", "-", "1000.01", "-100.5", "1.", ".5", "1.234", "+5", "1e2", " 5",
        ] {
            assert!(p(bad).is_err(), "{bad:?} was accepted");
        }
        let r = Percentage::parse("/p", "15").expect("valid");
        let price = super::Money::new(1000, super::Currency::parse("USD").expect("USD"));
        assert_eq!(r.apply(price).minor(), 1150);
    }

    #[test]
    fn markup_and_proration_follow_the_contract() {
        assert_eq!(markup(1000, 1500), 1150);
        assert_eq!(markup(1000, 0), 1000);
        assert_eq!(markup(1000, -10_000), 0);
        assert_eq!(markup(1150, 2000), 1380);
        // Half up: 999 × 1.005 = 1003.995 → 1004.
        assert_eq!(markup(999, 50), 1004);
        // The worked examples of §6.3 and §9.
        assert_eq!(prorate(1008, 29, 31), 943);
        assert_eq!(prorate(1008, 31, 31), 1008);
        assert_eq!(prorate(1000, 24, 31), 774);
        assert_eq!(prorate(1150, 24, 31), 890);
        assert_eq!(prorate(1380, 24, 31), 1068);
        assert_eq!(prorate(1000, 22, 31), 710);
        assert_eq!(prorate(1150, 22, 31), 816);
        assert_eq!(prorate(1380, 22, 31), 979);
        assert_eq!(prorate(i64::MAX, 1, 1), i64::MAX);
        assert_eq!(prorate(5, 3, 0), 0);
    }
    use super::*;

    #[test]
    fn amounts_round_trip_and_bad_ones_are_refused() {
        assert_eq!(parse_amount("/a", "12.50").ok(), Some(1250));
        assert_eq!(parse_amount("/a", "12.5").ok(), Some(1250));
        assert_eq!(parse_amount("/a", "7").ok(), Some(700));
        assert_eq!(parse_amount("/a", "0.05").ok(), Some(5));
        for bad in ["", "-1", "1.234", "1.", ".5", "1e3", "abc", "12,50"] {
            assert!(parse_amount("/a", bad).is_err(), "{bad}");
        }
        assert_eq!(format_amount(1250), "12.50");
        assert_eq!(format_amount(5), "0.05");
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn currencies_are_three_capital_letters() {
        assert_eq!(eur().as_str(), "EUR");
        assert_eq!(eur().to_string(), "EUR");
        assert_eq!("USD".parse::<Currency>(), Ok(usd()));
        for bad in ["", "eur", "EU", "EURO", "E1R", " EUR", "ÉUR", "€"] {
            assert_eq!(
                Currency::parse(bad),
                Err(MoneyError::InvalidCurrency(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(serde_json::to_string(&eur()).unwrap(), "\"EUR\"");
        assert_eq!(serde_json::from_str::<Currency>("\"EUR\"").unwrap(), eur());
        assert!(serde_json::from_str::<Currency>("\"eur\"").is_err());
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::new(1250, eur());
        let b = Money::new(75, eur());
        assert_eq!(a.checked_add(b), Ok(Money::new(1325, eur())));
        assert_eq!(a.checked_sub(b), Ok(Money::new(1175, eur())));
        assert_eq!(b.checked_sub(a), Ok(Money::new(-1175, eur())));
        assert_eq!(a.checked_mul(3), Ok(Money::new(3750, eur())));
        assert_eq!(a.checked_neg(), Ok(Money::new(-1250, eur())));
        assert!(a.checked_neg().unwrap().is_negative());
        assert!(!a.is_negative());
        assert!(Money::zero(eur()).is_zero());
        assert_eq!(a.minor(), 1250);
        assert_eq!(a.currency(), eur());

        let max = Money::new(i64::MAX, eur());
        let min = Money::new(i64::MIN, eur());
        assert_eq!(
            max.checked_add(Money::new(1, eur())),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            min.checked_sub(Money::new(1, eur())),
            Err(MoneyError::Overflow)
        );
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(min.checked_mul(-1), Err(MoneyError::Overflow));
        assert_eq!(min.checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(max.checked_neg(), Ok(Money::new(-i64::MAX, eur())));

        let dollars = Money::new(100, usd());
        let mismatch = MoneyError::CurrencyMismatch {
            left: eur(),
            right: usd(),
        };
        assert_eq!(a.checked_add(dollars), Err(mismatch.clone()));
        assert_eq!(a.checked_sub(dollars), Err(mismatch.clone()));
        assert_eq!(mismatch.to_string(), "cannot combine EUR with USD");
        // A mismatch is reported even when the sum would also overflow.
        assert!(matches!(
            max.checked_add(Money::new(i64::MAX, usd())),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn sums_stay_in_one_currency() {
        let items = [1250, 75, -25].map(|m| Money::new(m, eur()));
        assert_eq!(Money::sum(eur(), items), Ok(Money::new(1300, eur())));
        assert_eq!(Money::sum(usd(), []), Ok(Money::zero(usd())));
        assert_eq!(
            Money::sum(usd(), items),
            Err(MoneyError::CurrencyMismatch {
                left: usd(),
                right: eur()
            })
        );
        let big = [Money::new(i64::MAX, eur()), Money::new(1, eur())];
        assert_eq!(Money::sum(eur(), big), Err(MoneyError::Overflow));
    }

    #[test]
    fn display_and_negative_amounts() {
        assert_eq!(Money::new(1250, eur()).to_string(), "12.50 EUR");
        assert_eq!(Money::new(5, eur()).to_string(), "0.05 EUR");
        assert_eq!(Money::new(-5, eur()).to_string(), "-0.05 EUR");
        assert_eq!(Money::new(-7740, eur()).to_string(), "-77.40 EUR");
        assert_eq!(Money::new(0, eur()).to_string(), "0.00 EUR");
        assert_eq!(Money::new(-7740, eur()).amount(), "-77.40");
        assert_eq!(
            Money::new(i64::MIN, eur()).to_string(),
            "-92233720368547758.08 EUR"
        );
    }

    #[test]
    fn parses_the_api_strings() {
        assert_eq!(Money::parse("12.5", "EUR"), Ok(Money::new(1250, eur())));
        assert_eq!(Money::parse("-77.40", "EUR"), Ok(Money::new(-7740, eur())));
        assert_eq!(Money::parse("-0.05", "EUR"), Ok(Money::new(-5, eur())));
        assert_eq!(Money::parse("7", "EUR"), Ok(Money::new(700, eur())));
        for bad in [
            "", "-", "+1", "1.234", "1.", ".5", "-.5", "1e3", " 1", "12,50", "--1",
        ] {
            assert_eq!(
                Money::parse(bad, "EUR"),
                Err(MoneyError::InvalidAmount(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            Money::parse("1", "eur"),
            Err(MoneyError::InvalidCurrency("eur".into()))
        );
        assert_eq!(
            Money::parse("92233720368547758.08", "EUR"),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn serde_is_the_api_money_object() {
        let m = Money::new(1250, eur());
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"12.50","currency":"EUR"}"#
        );
        for minor in [0, 5, -5, 1250, -7740, i64::MAX, i64::MIN] {
            let m = Money::new(minor, eur());
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m, "{json}");
        }
        for bad in [
            r#"{"amount":12.5,"currency":"EUR"}"#,
            r#"{"amount":"12.505","currency":"EUR"}"#,
            r#"{"amount":"12.50","currency":"eur"}"#,
            r#"{"amount":"12.50"}"#,
            r#"{"currency":"EUR"}"#,
            r#""12.50 EUR""#,
        ] {
            assert!(serde_json::from_str::<Money>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn openapi_schema_is_the_money_object() {
        use utoipa::{PartialSchema, ToSchema};
        assert_eq!(Money::name(), "Money");
        let schema = serde_json::to_value(Money::schema()).unwrap();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["amount"]["type"], "string");
        assert_eq!(schema["properties"]["currency"]["type"], "string");
        assert_eq!(
            schema["required"],
            serde_json::json!(["amount", "currency"])
        );
    }
}
