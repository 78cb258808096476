//! New-commerce terms (API-billing.md §1.2, §2): a term duration with a billing
//! plan, the term's end day `TE` and end instant `τ`, and its billing periods.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::calendar::Date;
use crate::time::Timestamp;

/// How long a paid term runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermDuration {
    P1M,
    P1Y,
    P3Y,
}

/// How often a paid term is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BillingFrequency {
    Monthly,
    Annual,
    /// The whole term at once.
    Upfront,
}

impl TermDuration {
    pub const ALL: &'static [Self] = &[Self::P1M, Self::P1Y, Self::P3Y];

    pub fn months(self) -> u32 {
        match self {
            Self::P1M => 1,
            Self::P1Y => 12,
            Self::P3Y => 36,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::P1M => "P1M",
            Self::P1Y => "P1Y",
            Self::P3Y => "P3Y",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// The billing frequencies this term may be sold with.
    pub fn frequencies(self) -> &'static [BillingFrequency] {
        use BillingFrequency::*;
        match self {
            Self::P1M => &[Monthly],
            Self::P1Y => &[Monthly, Annual],
            Self::P3Y => &[Monthly, Annual, Upfront],
        }
    }

    /// A whole number of months or years, as people say it ("1 year").
    pub fn label(self) -> &'static str {
        match self {
            Self::P1M => "1 month",
            Self::P1Y => "1 year",
            Self::P3Y => "3 years",
        }
    }
}

impl BillingFrequency {
    pub const ALL: &'static [Self] = &[Self::Monthly, Self::Annual, Self::Upfront];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Annual => "annual",
            Self::Upfront => "upfront",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.as_str() == s)
    }

    /// Months of one billing period within a term.
    pub fn period_months(self, term: TermDuration) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Annual => 12,
            Self::Upfront => term.months(),
        }
    }

    /// "billed monthly".
    pub fn label(self) -> &'static str {
        match self {
            Self::Monthly => "billed monthly",
            Self::Annual => "billed annually",
            Self::Upfront => "paid up front",
        }
    }
}

impl fmt::Display for TermDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for BillingFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TermDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for BillingFrequency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A closed list of names as an OpenAPI string enum.
fn name_schema(
    description: &str,
    names: impl IntoIterator<Item = &'static str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(names))
        .description(Some(description))
        .into()
}

impl utoipa::PartialSchema for TermDuration {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        name_schema(
            "How long a paid term runs (ISO 8601)",
            Self::ALL.iter().map(|t| t.as_str()),
        )
    }
}

impl utoipa::ToSchema for TermDuration {}

impl utoipa::PartialSchema for BillingFrequency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        name_schema(
            "How often a paid term is charged; upfront = the whole term at once",
            Self::ALL.iter().map(|f| f.as_str()),
        )
    }
}

impl utoipa::ToSchema for BillingFrequency {}

/// A term with a billing frequency: what an offer sells and a subscription runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Plan {
    pub term: TermDuration,
    pub frequency: BillingFrequency,
}

impl Plan {
    /// Every plan the contract allows, in the order the catalog lists them.
    pub const ALL: &'static [Self] = &[
        Self {
            term: TermDuration::P1M,
            frequency: BillingFrequency::Monthly,
        },
        Self {
            term: TermDuration::P1Y,
            frequency: BillingFrequency::Monthly,
        },
        Self {
            term: TermDuration::P1Y,
            frequency: BillingFrequency::Annual,
        },
        Self {
            term: TermDuration::P3Y,
            frequency: BillingFrequency::Monthly,
        },
        Self {
            term: TermDuration::P3Y,
            frequency: BillingFrequency::Annual,
        },
        Self {
            term: TermDuration::P3Y,
            frequency: BillingFrequency::Upfront,
        },
    ];

    /// A plan the contract allows (P1M monthly; P1Y monthly or annual; P3Y any).
    pub fn new(term: TermDuration, frequency: BillingFrequency) -> Option<Self> {
        term.frequencies()
            .contains(&frequency)
            .then_some(Self { term, frequency })
    }

    /// `P1Y` + `monthly`, as strings; None if either is unknown or the pair is not sold.
    pub fn parse(term: &str, frequency: &str) -> Option<Self> {
        Self::new(
            TermDuration::parse(term)?,
            BillingFrequency::parse(frequency)?,
        )
    }

    /// The v1 `billingCycle` of a paid subscription on this plan.
    pub fn billing_cycle(self) -> &'static str {
        match (self.term, self.frequency) {
            (TermDuration::P3Y, BillingFrequency::Upfront) => "triennial",
            (_, BillingFrequency::Monthly) => "monthly",
            _ => "annual",
        }
    }

    /// "1 year, billed monthly".
    pub fn label(self) -> String {
        format!("{}, {}", self.term.label(), self.frequency.label())
    }

    /// What one price of this plan pays for: "per seat per month", "per seat per
    /// year", or for an upfront plan "per seat for 3 years".
    pub fn price_unit(self) -> String {
        match self.frequency {
            BillingFrequency::Monthly => "per seat per month".into(),
            BillingFrequency::Annual => "per seat per year".into(),
            BillingFrequency::Upfront => format!("per seat for {}", self.term.label()),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.term, self.frequency)
    }
}

/// What a subscription runs on: a paid plan, or a trial of some days (whose term
/// is `P{days}D` and whose billing frequency is `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionPlan {
    Paid(Plan),
    Trial { days: u32 },
}

impl SubscriptionPlan {
    /// `P1Y`, or `P30D` for a 30-day trial.
    pub fn term_duration(self) -> String {
        match self {
            Self::Paid(p) => p.term.as_str().to_owned(),
            Self::Trial { days } => format!("P{days}D"),
        }
    }

    /// `monthly`, `annual`, `upfront`, or `none` for a trial.
    pub fn billing_frequency(self) -> &'static str {
        match self {
            Self::Paid(p) => p.frequency.as_str(),
            Self::Trial { .. } => "none",
        }
    }

    /// The stored pair back; None if it names no plan or trial.
    pub fn parse(term: &str, frequency: &str) -> Option<Self> {
        if frequency == "none" {
            let days = term.strip_prefix('P')?.strip_suffix('D')?.parse().ok()?;
            return (days > 0).then_some(Self::Trial { days });
        }
        Plan::parse(term, frequency).map(Self::Paid)
    }

    /// v1 `billingCycle`: `monthly`, `annual`, `triennial` or `none`.
    pub fn billing_cycle(self) -> &'static str {
        match self {
            Self::Paid(p) => p.billing_cycle(),
            Self::Trial { .. } => "none",
        }
    }

    pub fn paid(self) -> Option<Plan> {
        match self {
            Self::Paid(p) => Some(p),
            Self::Trial { .. } => None,
        }
    }

    pub fn is_trial(self) -> bool {
        matches!(self, Self::Trial { .. })
    }

    /// The term this plan runs from `start` to `end` (inclusive), as stored.
    pub fn term(self, start: Date, end: Date) -> Term {
        Term {
            start,
            end,
            period_months: match self {
                Self::Paid(p) => p.frequency.period_months(p.term),
                Self::Trial { .. } => 0,
            },
        }
    }

    /// "1 year, billed monthly" or "30-day trial".
    pub fn label(self) -> String {
        match self {
            Self::Paid(p) => p.label(),
            Self::Trial { days } => format!("{days}-day trial"),
        }
    }
}

/// One billing period of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// `i`, from 0.
    pub index: u32,
    /// `S_i`.
    pub start: Date,
    /// `E_i`, inclusive; cut short by the term's end.
    pub end: Date,
    /// `D_i`: the untruncated length in days, what a full period's price is for.
    pub days: i64,
}

impl Period {
    /// Days charged from `from` to the period's end, both included (`E − X + 1`).
    pub fn days_from(&self, from: Date) -> i64 {
        from.days_until(self.end) + 1
    }
}

/// A term's calendar: first day `T0`, last day `TE` (inclusive) and the length of
/// one billing period in months (0 for a trial, which has no billing periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub start: Date,
    pub end: Date,
    pub period_months: u32,
}

impl Term {
    /// A paid term starting on `start`, ending naturally or on `custom_end`.
    pub fn paid(start: Date, plan: Plan, custom_end: Option<Date>) -> Self {
        Self {
            start,
            end: custom_end.unwrap_or_else(|| natural_end(start, plan.term)),
            period_months: plan.frequency.period_months(plan.term),
        }
    }

    /// A trial of `days` days from `start`.
    pub fn trial(start: Date, days: i64) -> Self {
        Self {
            start,
            end: start.add_days(days - 1),
            period_months: 0,
        }
    }

    /// `τ`: the instant the term ends, `(TE + 1 day)T00:00:00Z`.
    pub fn end_instant(&self) -> Timestamp {
        self.end.add_days(1).start()
    }

    /// Billing period `i`, if it starts on or before `TE`.
    pub fn period(&self, i: u32) -> Option<Period> {
        if self.period_months == 0 {
            return None;
        }
        let start = self.start.add_months(i.checked_mul(self.period_months)?);
        if start > self.end {
            return None;
        }
        let next = self
            .start
            .add_months(i.checked_add(1)?.checked_mul(self.period_months)?);
        Some(Period {
            index: i,
            start,
            end: next.add_days(-1).min(self.end),
            days: start.days_until(next),
        })
    }

    /// The billing period holding `day`.
    pub fn period_on(&self, day: Date) -> Option<Period> {
        if day < self.start || day > self.end {
            return None;
        }
        (0..).map_while(|i| self.period(i)).find(|p| p.end >= day)
    }

    /// Every billing period, in order.
    pub fn periods(&self) -> impl Iterator<Item = Period> + '_ {
        (0..).map_while(|i| self.period(i))
    }
}

/// `addMonths(T0, months) − 1 day`.
pub fn natural_end(start: Date, term: TermDuration) -> Date {
    start.add_months(term.months()).add_days(-1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|| panic!("{s} is a date"))
    }

    fn plan(t: &str, f: &str) -> Plan {
        Plan::parse(t, f).unwrap_or_else(|| panic!("{t} {f} is a plan"))
    }

    #[test]
    fn only_the_contract_plans_exist() {
        assert!(Plan::parse("P1M", "annual").is_none());
        assert!(Plan::parse("P1Y", "upfront").is_none());
        assert!(Plan::parse("P2Y", "monthly").is_none());
        assert_eq!(plan("P3Y", "upfront").billing_cycle(), "triennial");
        assert_eq!(plan("P1Y", "monthly").billing_cycle(), "monthly");
        assert_eq!(plan("P1Y", "annual").billing_cycle(), "annual");
        let all: Vec<Plan> = TermDuration::ALL
            .iter()
            .flat_map(|t| t.frequencies().iter().filter_map(|f| Plan::new(*t, *f)))
            .collect();
        assert_eq!(Plan::ALL, all.as_slice());
        assert_eq!(plan("P3Y", "upfront").price_unit(), "per seat for 3 years");
        assert_eq!(plan("P1Y", "monthly").price_unit(), "per seat per month");
    }

    #[test]
    fn the_contract_example_term() {
        // T0 2026-03-03, P1Y monthly → TE 2027-03-02, τ 2027-03-03T00:00:00Z.
        let t = Term::paid(d("2026-03-03"), plan("P1Y", "monthly"), None);
        assert_eq!(t.end, d("2027-03-02"));
        assert_eq!(t.end_instant().to_string(), "2027-03-03T00:00:00Z");
        let p: Vec<_> = t.periods().collect();
        assert_eq!(p.len(), 12);
        assert_eq!(
            (p[0].start, p[0].end, p[0].days),
            (d("2026-03-03"), d("2026-04-02"), 31)
        );
        assert_eq!(
            (p[1].start, p[1].end, p[1].days),
            (d("2026-04-03"), d("2026-05-02"), 30)
        );
        assert_eq!(p[11].end, d("2027-03-02"));
        assert_eq!(t.period_on(d("2026-04-10")).map(|p| p.index), Some(1));
        assert_eq!(t.period_on(d("2027-03-03")), None);
        assert_eq!(p[0].days_from(d("2026-03-10")), 24);
    }

    #[test]
    fn a_coterminous_term_cuts_its_last_period_short() {
        let t = Term::paid(
            d("2026-03-10"),
            plan("P1Y", "annual"),
            Some(d("2026-06-30")),
        );
        let p: Vec<_> = t.periods().collect();
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].end, p[0].days), (d("2026-06-30"), 365));
        assert_eq!(p[0].days_from(p[0].start), 113);
    }

    #[test]
    fn stored_plans_read_back() {
        let trial = SubscriptionPlan::Trial { days: 30 };
        assert_eq!(
            (trial.term_duration().as_str(), trial.billing_frequency()),
            ("P30D", "none")
        );
        assert_eq!(SubscriptionPlan::parse("P30D", "none"), Some(trial));
        let paid = SubscriptionPlan::Paid(plan("P3Y", "upfront"));
        assert_eq!(SubscriptionPlan::parse("P3Y", "upfront"), Some(paid));
        assert_eq!(paid.billing_cycle(), "triennial");
        assert_eq!(SubscriptionPlan::parse("P0D", "none"), None);
        assert_eq!(SubscriptionPlan::parse("P1M", "annual"), None);
    }

    #[test]
    fn month_ends_and_trials() {
        let t = Term::paid(d("2026-01-31"), plan("P1M", "monthly"), None);
        assert_eq!(t.end, d("2026-02-27"));
        let t = Term::paid(d("2026-03-05"), plan("P3Y", "upfront"), None);
        assert_eq!(t.periods().count(), 1);
        assert_eq!(t.period(0).map(|p| p.days), Some(1096));
        let trial = Term::trial(d("2026-03-05"), 30);
        assert_eq!(trial.end, d("2026-04-03"));
        assert_eq!(trial.periods().count(), 0);
        assert_eq!(trial.end_instant().to_string(), "2026-04-04T00:00:00Z");
    }
}
