//! The charge ledger's arithmetic (API-billing.md §6): which lines an event writes
//! at one tier, over which days, with which signed quantity. Prices come last: a
//! [`Charge`] is priced per tier by [`Charge::effective_unit_price`] and
//! [`Charge::amount`], so the three tiers of one event share the same days and
//! quantities by construction.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::calendar::Date;
use crate::money::prorate;
use crate::terms::{Period, Term};

/// The three tiers of a sale, in the order lines are written and invoices run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    OperatorToProvider,
    ProviderToReseller,
    ResellerToCustomer,
}

impl Tier {
    pub const ALL: [Self; 3] = [
        Self::OperatorToProvider,
        Self::ProviderToReseller,
        Self::ResellerToCustomer,
    ];
    /// The tiers a seller can reprice (the operator's is its list price).
    pub const REPRICED: [Self; 2] = [Self::ProviderToReseller, Self::ResellerToCustomer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OperatorToProvider => "operatorToProvider",
            Self::ProviderToReseller => "providerToReseller",
            Self::ResellerToCustomer => "resellerToCustomer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Words for people: "operator → provider".
    pub fn label(self) -> &'static str {
        match self {
            Self::OperatorToProvider => "operator to provider",
            Self::ProviderToReseller => "provider to reseller",
            Self::ResellerToCustomer => "reseller to customer",
        }
    }
}

impl crate::money::TierPrices {
    /// The price at one tier.
    pub fn at(&self, tier: Tier) -> crate::money::Money {
        match tier {
            Tier::OperatorToProvider => self.operator_to_provider,
            Tier::ProviderToReseller => self.provider_to_reseller,
            Tier::ResellerToCustomer => self.reseller_to_customer,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Tier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a line was written (§6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChargeType {
    New,
    CycleCharge,
    Renew,
    Convert,
    AddQuantity,
    RemoveQuantity,
    CancelImmediate,
    Upgrade,
}

impl ChargeType {
    pub const ALL: [Self; 8] = [
        Self::New,
        Self::CycleCharge,
        Self::Renew,
        Self::Convert,
        Self::AddQuantity,
        Self::RemoveQuantity,
        Self::CancelImmediate,
        Self::Upgrade,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::CycleCharge => "cycleCharge",
            Self::Renew => "renew",
            Self::Convert => "convert",
            Self::AddQuantity => "addQuantity",
            Self::RemoveQuantity => "removeQuantity",
            Self::CancelImmediate => "cancelImmediate",
            Self::Upgrade => "upgrade",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "purchase",
            Self::CycleCharge => "billing period",
            Self::Renew => "renewal",
            Self::Convert => "trial converted",
            Self::AddQuantity => "seats added",
            Self::RemoveQuantity => "seats removed",
            Self::CancelImmediate => "cancelled",
            Self::Upgrade => "upgrade",
        }
    }
}

impl fmt::Display for ChargeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ChargeType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One line before it is priced: the charged days `period_start…period_end` (`d`
/// of them) of a billing period of `D` days, and a signed quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub charge_type: ChargeType,
    pub period_start: Date,
    pub period_end: Date,
    /// `d`.
    pub charged_days: i64,
    /// `D`.
    pub billing_period_days: i64,
    pub quantity: i64,
}

impl Charge {
    fn over(charge_type: ChargeType, p: &Period, from: Date, quantity: i64) -> Self {
        Self {
            charge_type,
            period_start: from,
            period_end: p.end,
            charged_days: p.days_from(from),
            billing_period_days: p.days,
            quantity,
        }
    }

    /// `E(u, d, D)` for the tier's locked price `u`.
    pub fn effective_unit_price(&self, u: i64) -> i64 {
        prorate(u, self.charged_days, self.billing_period_days)
    }

    /// `quantity × E(u, d, D)`, saturating (a line is never near the bound).
    pub fn amount(&self, u: i64) -> i64 {
        self.quantity.saturating_mul(self.effective_unit_price(u))
    }
}

/// The line of period 0 of a term just begun (a purchase, renewal or conversion):
/// `+Q × E(u, d, D_0)`, `d` cut short by a custom `TE`. None for a trial.
pub fn opening(charge_type: ChargeType, term: &Term, quantity: i64) -> Option<Charge> {
    let p = term.period(0)?;
    Some(Charge::over(charge_type, &p, p.start, quantity))
}

/// The cycle charge of period `i ≥ 1`: `+Q × E(u, d, D_i)`.
pub fn cycle(term: &Term, i: u32, quantity: i64) -> Option<Charge> {
    let p = term.period(i)?;
    Some(Charge::over(ChargeType::CycleCharge, &p, p.start, quantity))
}

/// An increase `Q → Q'` on day `x`: `−Q` then `+Q'` over `x…E` (§6.3).
pub fn increase(term: &Term, x: Date, before: i64, after: i64) -> Vec<Charge> {
    let Some(p) = term.period_on(x) else {
        return Vec::new();
    };
    vec![
        Charge::over(ChargeType::AddQuantity, &p, x, -before),
        Charge::over(ChargeType::AddQuantity, &p, x, after),
    ]
}

/// Seats removed from one batch, as the window took them (newest batch first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedSeats {
    /// `A`: the UTC day the batch was added.
    pub added_on: Date,
    pub quantity: i64,
    /// Still inside its 24 hours at the removal.
    pub full_refund: bool,
}

/// One group of removed seats (§6.3): the batch day `A` of a full refund, or None
/// for the prorated rest; its seats.
fn groups(removed: &[RemovedSeats]) -> Vec<(Option<Date>, i64)> {
    let mut out: Vec<(Option<Date>, i64)> = Vec::new();
    for r in removed.iter().filter(|r| r.full_refund) {
        match out.last_mut() {
            Some((Some(a), q)) if *a == r.added_on => *q += r.quantity,
            _ => out.push((Some(r.added_on), r.quantity)),
        }
    }
    let rest: i64 = removed
        .iter()
        .filter(|r| !r.full_refund)
        .map(|r| r.quantity)
        .sum();
    if rest > 0 {
        out.push((None, rest));
    }
    out
}

/// The previous period's refund of a full-refund batch added before the current
/// period began: `−q × E(u, E' − A + 1, D')` over `A…E'`.
fn previous_period(
    charge_type: ChargeType,
    term: &Term,
    current: &Period,
    added_on: Date,
    quantity: i64,
) -> Option<Charge> {
    if added_on >= current.start {
        return None;
    }
    let p = term.period_on(added_on)?;
    Some(Charge::over(charge_type, &p, added_on, -quantity))
}

/// A decrease `Q → Q − Σ removed` on day `x` (§6.3): per group, `−Qg` then
/// `+(Qg − qg)` from `Xg = max(A, S)` (full refunds) or `x`, plus the previous
/// period's refund where a full-refund batch began before the current period.
pub fn decrease(term: &Term, x: Date, before: i64, removed: &[RemovedSeats]) -> Vec<Charge> {
    let Some(p) = term.period_on(x) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut q = before;
    for (a, qg) in groups(removed) {
        let from = a.map_or(x, |a| a.max(p.start));
        out.push(Charge::over(ChargeType::RemoveQuantity, &p, from, -q));
        out.push(Charge::over(ChargeType::RemoveQuantity, &p, from, q - qg));
        if let Some(a) = a {
            out.extend(previous_period(ChargeType::RemoveQuantity, term, &p, a, qg));
        }
        q -= qg;
    }
    out
}

/// A cancel on day `x` (§6.3): per group one `−qg` line from `Xg`, plus the
/// previous period's refund where it applies.
pub fn cancel(term: &Term, x: Date, removed: &[RemovedSeats]) -> Vec<Charge> {
    let Some(p) = term.period_on(x) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (a, qg) in groups(removed) {
        let from = a.map_or(x, |a| a.max(p.start));
        out.push(Charge::over(ChargeType::CancelImmediate, &p, from, -qg));
        if let Some(a) = a {
            out.extend(previous_period(
                ChargeType::CancelImmediate,
                term,
                &p,
                a,
                qg,
            ));
        }
    }
    out
}

/// An upgrade of `q` seats on day `x`: `−q` on the source and `+q` on the target,
/// over `x…E` of the (shared) current period.
pub fn upgrade(term: &Term, x: Date, quantity: i64) -> Option<(Charge, Charge)> {
    let p = term.period_on(x)?;
    Some((
        Charge::over(ChargeType::Upgrade, &p, x, -quantity),
        Charge::over(ChargeType::Upgrade, &p, x, quantity),
    ))
}

#[cfg(test)]
// Amounts are written as major_minor (`116_10` is 116.10), as the contract prints them.
#[allow(clippy::inconsistent_digit_grouping, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::terms::{BillingFrequency, Plan, TermDuration};

    fn day(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    fn p1y_monthly(start: &str) -> Term {
        Term::paid(
            day(start),
            Plan::new(TermDuration::P1Y, BillingFrequency::Monthly).expect("a plan"),
            None,
        )
    }

    /// Amounts of `charges` at price `u`, as the contract's table prints them.
    fn amounts(charges: &[Charge], u: i64) -> Vec<(i64, i64, i64)> {
        charges
            .iter()
            .map(|c| (c.quantity, c.effective_unit_price(u), c.amount(u)))
            .collect()
    }

    /// API-billing.md §9, line by line at the three tiers.
    #[test]
    fn the_worked_example() {
        let term = p1y_monthly("2026-03-03");
        let new = opening(ChargeType::New, &term, 10).expect("period 0");
        assert_eq!(
            (
                new.period_start,
                new.period_end,
                new.charged_days,
                new.billing_period_days
            ),
            (day("2026-03-03"), day("2026-04-02"), 31, 31)
        );
        let add = increase(&term, day("2026-03-10"), 10, 15);
        let remove = decrease(
            &term,
            day("2026-03-12"),
            15,
            &[RemovedSeats {
                added_on: day("2026-03-10"),
                quantity: 2,
                full_refund: false,
            }],
        );
        assert_eq!(add[0].charged_days, 24);
        assert_eq!(remove[0].charged_days, 22);
        let tiers = [
            (1000, [100_00, -77_40, 116_10, -106_50, 92_30]),
            (1150, [115_00, -89_00, 133_50, -122_40, 106_08]),
            (1380, [138_00, -106_80, 160_20, -146_85, 127_27]),
        ];
        for (u, want) in tiers {
            let got: Vec<i64> = [new, add[0], add[1], remove[0], remove[1]]
                .iter()
                .map(|c| c.amount(u))
                .collect();
            assert_eq!(got, want, "u = {u}");
        }
        assert_eq!(
            amounts(&remove, 1000),
            vec![(-15, 710, -10650), (13, 710, 9230)]
        );
        // The April cycle charge.
        let april = cycle(&term, 1, 13).expect("period 1");
        assert_eq!(
            (april.period_start, april.period_end, april.amount(1000)),
            (day("2026-04-03"), day("2026-05-02"), 130_00)
        );
    }

    /// §6.3's example: a cancel at 50 h is prorated, at 22 h refunded in full.
    #[test]
    fn cancels_inside_and_after_the_first_day() {
        let term = Term::paid(
            day("2026-03-03"),
            Plan::new(TermDuration::P1M, BillingFrequency::Monthly).expect("a plan"),
            None,
        );
        let batch = |full_refund| RemovedSeats {
            added_on: day("2026-03-03"),
            quantity: 10,
            full_refund,
        };
        let late = cancel(&term, day("2026-03-05"), &[batch(false)]);
        assert_eq!(amounts(&late, 1008), vec![(-10, 943, -9430)]);
        let early = cancel(&term, day("2026-03-04"), &[batch(true)]);
        assert_eq!(amounts(&early, 1008), vec![(-10, 1008, -10080)]);
        assert_eq!(early[0].period_start, day("2026-03-03"));
    }

    /// Full refunds form one group per batch day, newest first, before the
    /// prorated rest; each group's pair starts at its batch day.
    #[test]
    fn a_decrease_refunds_fresh_batches_in_full_and_the_rest_by_day() {
        let term = p1y_monthly("2026-03-03");
        let removed = [
            RemovedSeats {
                added_on: day("2026-03-12"),
                quantity: 3,
                full_refund: true,
            },
            RemovedSeats {
                added_on: day("2026-03-10"),
                quantity: 2,
                full_refund: false,
            },
        ];
        let lines = decrease(&term, day("2026-03-13"), 20, &removed);
        let shape: Vec<(Date, i64)> = lines.iter().map(|c| (c.period_start, c.quantity)).collect();
        assert_eq!(
            shape,
            vec![
                (day("2026-03-12"), -20),
                (day("2026-03-12"), 17),
                (day("2026-03-13"), -17),
                (day("2026-03-13"), 15),
            ]
        );
        // The full-refund pair nets to exactly what the increase of 03-12 charged.
        let net: i64 = lines[..2].iter().map(|c| c.amount(1000)).sum();
        let charged: i64 = increase(&term, day("2026-03-12"), 17, 20)
            .iter()
            .map(|c| c.amount(1000))
            .sum();
        assert_eq!(net, -charged);
    }

    /// Seats added late on a period's last day and removed the next morning are
    /// refunded over both periods.
    #[test]
    fn a_full_refund_reaches_back_into_the_previous_period() {
        let term = p1y_monthly("2026-03-03");
        let removed = [RemovedSeats {
            added_on: day("2026-04-02"),
            quantity: 4,
            full_refund: true,
        }];
        let lines = decrease(&term, day("2026-04-03"), 14, &removed);
        let shape: Vec<(Date, Date, i64)> = lines
            .iter()
            .map(|c| (c.period_start, c.period_end, c.quantity))
            .collect();
        assert_eq!(
            shape,
            vec![
                (day("2026-04-03"), day("2026-05-02"), -14),
                (day("2026-04-03"), day("2026-05-02"), 10),
                (day("2026-04-02"), day("2026-04-02"), -4),
            ]
        );
        assert_eq!(lines[2].amount(3100), -4 * 100);
    }

    #[test]
    fn an_upgrade_moves_the_rest_of_the_period() {
        let term = p1y_monthly("2026-03-03");
        let (src, dst) = upgrade(&term, day("2026-03-12"), 5).expect("in the term");
        assert_eq!((src.quantity, dst.quantity), (-5, 5));
        assert_eq!(src.amount(1000) + dst.amount(2000), 5 * (1419 - 710));
    }

    #[test]
    fn names_round_trip() {
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        for c in ChargeType::ALL {
            assert_eq!(ChargeType::parse(c.as_str()), Some(c));
        }
    }
}
