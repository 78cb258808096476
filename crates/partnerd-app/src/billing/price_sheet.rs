//! The price sheet (API-billing.md §5.3): what a buyer pays its seller per offer,
//! term and plan in a month — now, from the next change on, or month by month —
//! resolved exactly as a purchase would be (§5.1). The seller and the operator
//! also see the seller's cost and the price list behind each price.

use std::collections::HashMap;

use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{OrgId, RepricingConfigId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::{Money, Percentage, PercentageInput};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Program;
use partnerd_domain::terms::{BillingFrequency, Plan, TermDuration};
use partnerd_domain::{Collect, FieldError, OrgKind};
use partnerd_store::{Conn, connections, customers, offers, organizations, repricing};
use serde::Serialize;
use utoipa::ToSchema;

use crate::commerce::offer_terms::{OfferTerms, offer_terms};
use crate::commerce::prices::{Basis, Parties, resolve_with_basis};
use crate::paging::PageParams;
use crate::{App, AppError, AppResult, Principal};

/// `GET /v1/pricesheet` as sent.
#[derive(Debug, Clone, Default)]
pub struct PriceSheetFilters {
    pub buyer_organization_id: Option<String>,
    pub seller_organization_id: Option<String>,
    pub indirect_provider_id: Option<String>,
    pub timeline: Option<String>,
    pub month: Option<String>,
    pub from: Option<String>,
    pub offer_id: Option<String>,
    pub product_family: Option<String>,
    pub term_duration: Option<String>,
    pub billing_frequency: Option<String>,
}

/// How the seller's price was found.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceBasis {
    #[schema(value_type = Option<String>)]
    pub config_id: Option<RepricingConfigId>,
    /// `offer`, `productFamily`, `default` or `none`.
    pub matched_by: String,
    #[schema(value_type = PercentageInput)]
    pub percentage: Percentage,
}

/// One stretch of months at one price.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricePeriod {
    #[schema(value_type = String, example = "2026-03")]
    pub effective_from: Month,
    /// The period's last month; null while it lasts.
    #[schema(value_type = Option<String>)]
    pub effective_to: Option<Month>,
    pub unit_price: Money,
}

/// One row of the sheet: an offer's plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceSheetItem {
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub term_duration: String,
    pub billing_frequency: String,
    pub unit_price: Money,
    #[schema(value_type = String, example = "2026-03")]
    pub effective_from: Month,
    /// The seller's own cost (seller and operator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<PriceBasis>,
    /// `history` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periods: Option<Vec<PricePeriod>>,
}

/// The sheet of one tier, pair and month.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceSheet {
    #[schema(value_type = String, example = "providerToReseller")]
    pub tier: Tier,
    /// Null for a `future` sheet with nothing scheduled.
    #[schema(value_type = Option<String>, example = "2026-03")]
    pub month: Option<Month>,
    #[schema(value_type = String)]
    pub seller_organization_id: OrgId,
    #[schema(value_type = String)]
    pub buyer_organization_id: OrgId,
    pub total_count: i64,
    pub items: Vec<PriceSheetItem>,
    pub continuation_token: Option<String>,
}

/// The pair a sheet is for, and who sells to the seller at `T3`.
struct Pair {
    tier: Tier,
    seller: OrgId,
    buyer: OrgId,
    /// The reseller's provider (`resellerToCustomer`).
    provider: Option<OrgId>,
    /// The caller may see cost and basis.
    insider: bool,
}

/// At most this many months in a history.
const MAX_HISTORY_MONTHS: u32 = 36;

fn id_of(raw: &Option<String>) -> Option<OrgId> {
    raw.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| OrgId::from_raw(s.to_owned()))
}

impl App {
    /// Which pair and tier the query names; 404 for a pair the caller is not
    /// part of or that does not trade.
    async fn sheet_pair(
        &self,
        conn: &mut Conn,
        p: &Principal,
        f: &PriceSheetFilters,
    ) -> AppResult<Pair> {
        let me = p.organization.id.clone();
        let operator = p.organization.kind == OrgKind::Operator;
        let (seller, buyer) = match (
            id_of(&f.seller_organization_id),
            id_of(&f.buyer_organization_id),
        ) {
            (Some(s), Some(b)) if operator || s == me || b == me => (s, b),
            (Some(_), Some(_)) => return Err(AppError::not_found()),
            (Some(s), None) => (s, me.clone()),
            (None, Some(b)) => (me.clone(), b),
            (None, None) => {
                return Err(AppError::field(FieldError::invalid(
                    "/query/buyerOrganizationId",
                    "name the buyer (buyerOrganizationId) whose prices you set, or the seller (sellerOrganizationId) whose prices you pay",
                )));
            }
        };
        let (Some(s), Some(b)) = (
            organizations::get(conn, &seller).await?,
            organizations::get(conn, &buyer).await?,
        ) else {
            return Err(AppError::not_found());
        };
        let tier = if s.kind == OrgKind::Operator {
            Tier::OperatorToProvider
        } else if b.kind == OrgKind::Customer {
            Tier::ResellerToCustomer
        } else {
            Tier::ProviderToReseller
        };
        let trades = match tier {
            Tier::OperatorToProvider => b.programs.contains(&Program::IndirectProvider),
            Tier::ProviderToReseller => connections::active_between(conn, &seller, &buyer)
                .await?
                .is_some(),
            Tier::ResellerToCustomer => customers::active_relationship(conn, &buyer, &seller)
                .await?
                .is_some(),
        };
        if !trades {
            return Err(AppError::not_found());
        }
        let provider = if tier == Tier::ResellerToCustomer {
            let providers = connections::active_providers(conn, &seller).await?;
            match id_of(&f.indirect_provider_id) {
                Some(named) if providers.contains(&named) => Some(named),
                Some(_) => return Err(AppError::not_found()),
                None if providers.len() == 1 => providers.into_iter().next(),
                None if providers.is_empty() => return Err(AppError::not_found()),
                None => {
                    return Err(AppError::field(FieldError::invalid(
                        "/query/indirectProviderId",
                        "the reseller buys from more than one provider; name the one these prices are over",
                    )));
                }
            }
        } else {
            None
        };
        Ok(Pair {
            tier,
            insider: operator || seller == me,
            seller,
            buyer,
            provider,
        })
    }

    /// The price of `plan` at the pair's tier in `month`: (price, cost, basis,
    /// the latest month a version or config in use started).
    async fn sheet_price(
        &self,
        conn: &mut Conn,
        pair: &Pair,
        offer: &OfferTerms,
        plan: Plan,
        month: Month,
        starts: &mut HashMap<RepricingConfigId, Month>,
    ) -> AppResult<(Money, Option<Money>, Basis, Month)> {
        let provider = pair.provider.as_ref().unwrap_or(&pair.seller);
        let parties = match pair.tier {
            Tier::OperatorToProvider => Parties {
                provider: &pair.buyer,
                reseller: &pair.buyer,
                customer: &pair.buyer,
            },
            Tier::ProviderToReseller => Parties {
                provider: &pair.seller,
                reseller: &pair.buyer,
                customer: &pair.buyer,
            },
            Tier::ResellerToCustomer => Parties {
                provider,
                reseller: &pair.seller,
                customer: &pair.buyer,
            },
        };
        let (prices, b2, b3) = resolve_with_basis(conn, offer, plan, month, parties).await?;
        let version = offers::version_for(conn, &offer.row.id, month)
            .await?
            .map_or(month, |v| v.effective_from);
        let mut latest = version;
        let used: Vec<&Basis> = match pair.tier {
            Tier::OperatorToProvider => vec![],
            Tier::ProviderToReseller => vec![&b2],
            Tier::ResellerToCustomer => vec![&b2, &b3],
        };
        for b in used {
            if let Some(id) = &b.config_id {
                let from = match starts.get(id) {
                    Some(m) => *m,
                    None => {
                        let m = repricing::get(conn, id)
                            .await?
                            .map_or(month, |c| c.effective_from);
                        starts.insert(id.clone(), m);
                        m
                    }
                };
                latest = latest.max(from);
            }
        }
        Ok(match pair.tier {
            Tier::OperatorToProvider => (prices.operator_to_provider, None, Basis::none(), latest),
            Tier::ProviderToReseller => (
                prices.provider_to_reseller,
                Some(prices.operator_to_provider),
                b2,
                latest,
            ),
            Tier::ResellerToCustomer => (
                prices.reseller_to_customer,
                Some(prices.provider_to_reseller),
                b3,
                latest,
            ),
        })
    }

    /// `GET /v1/pricesheet`.
    pub async fn price_sheet(
        &self,
        p: &Principal,
        f: &PriceSheetFilters,
        page: &PageParams,
    ) -> AppResult<PriceSheet> {
        p.require(Action::ReadPriceSheet)?;
        let mut errors = Collect::default();
        let timeline = match f
            .timeline
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None | Some("current") => "current",
            Some("future") => "future",
            Some("history") => "history",
            Some(_) => {
                errors.0.push(FieldError::invalid(
                    "/query/timeline",
                    "must be current, future or history",
                ));
                "current"
            }
        };
        let month = errors.opt(f.month.as_deref(), |m| {
            Month::parse(m).ok_or_else(|| {
                FieldError::invalid("/query/month", "must be a month, such as 2026-03")
            })
        });
        let from = errors.opt(f.from.as_deref(), |m| {
            Month::parse(m).ok_or_else(|| {
                FieldError::invalid("/query/from", "must be a month, such as 2025-03")
            })
        });
        let term = errors.opt(f.term_duration.as_deref(), |t| {
            TermDuration::parse(t).ok_or_else(|| {
                FieldError::invalid("/query/termDuration", "must be P1M, P1Y or P3Y")
            })
        });
        let frequency = errors.opt(f.billing_frequency.as_deref(), |b| {
            BillingFrequency::parse(b).ok_or_else(|| {
                FieldError::invalid(
                    "/query/billingFrequency",
                    "must be monthly, annual or upfront",
                )
            })
        });
        let (offset, size) = crate::paging::by_offset(page)?;
        if !errors.is_empty() {
            return Err(AppError::validation(errors.0));
        }
        let mut conn = self.db().conn().await?;
        let pair = self.sheet_pair(&mut conn, p, f).await?;
        let current = Month::of(self.now());
        let month = month.unwrap_or(current);
        let month = match timeline {
            "future" => self.next_price_month(&mut conn, &pair, current).await?,
            _ => Some(month),
        };
        let empty = |month| PriceSheet {
            tier: pair.tier,
            month,
            seller_organization_id: pair.seller.clone(),
            buyer_organization_id: pair.buyer.clone(),
            total_count: 0,
            items: Vec::new(),
            continuation_token: None,
        };
        let Some(month) = month else {
            return Ok(empty(None));
        };
        let history_from = if timeline == "history" {
            let start = from.unwrap_or_else(|| back(month, 12));
            if start > month {
                return Err(AppError::field(FieldError::invalid(
                    "/query/from",
                    "must not be after month",
                )));
            }
            Some(start.max(back(month, MAX_HISTORY_MONTHS)))
        } else {
            None
        };
        // Rows: every plan of every offer sold, by offer id, term and plan.
        let wanted_offer = f
            .offer_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let wanted_family = f
            .product_family
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let mut rows = Vec::new();
        for id in offers::available_ids(&mut conn).await? {
            if wanted_offer.is_some_and(|w| w != id) {
                continue;
            }
            let Some(offer) = offer_terms(&mut conn, &id).await? else {
                continue;
            };
            if wanted_family.is_some_and(|w| !w.eq_ignore_ascii_case(&offer.row.product_family)) {
                continue;
            }
            let mut plans = offer.plans.clone();
            plans.sort();
            for plan in plans {
                if term.is_some_and(|t| t != plan.term)
                    || frequency.is_some_and(|b| b != plan.frequency)
                {
                    continue;
                }
                rows.push((offer.clone(), plan));
            }
        }
        let total = rows.len() as i64;
        let mut starts = HashMap::new();
        let mut items = Vec::new();
        for (offer, plan) in rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(size).unwrap_or(0))
        {
            let (price, cost, basis, effective_from) = self
                .sheet_price(&mut conn, &pair, &offer, plan, month, &mut starts)
                .await?;
            let periods = match history_from {
                Some(start) => Some(
                    self.price_periods(&mut conn, &pair, &offer, plan, start, month, &mut starts)
                        .await?,
                ),
                None => None,
            };
            items.push(PriceSheetItem {
                offer_id: offer.row.id.clone(),
                offer_name: offer.row.name.clone(),
                product_family: offer.row.product_family.clone(),
                term_duration: plan.term.as_str().into(),
                billing_frequency: plan.frequency.as_str().into(),
                unit_price: price,
                effective_from,
                cost: cost.filter(|_| pair.insider),
                basis: pair.insider.then(|| PriceBasis {
                    config_id: basis.config_id.clone(),
                    matched_by: basis.matched_by.into(),
                    percentage: Percentage::from_hundredths(basis.percentage)
                        .unwrap_or(Percentage::ZERO),
                }),
                periods,
            });
        }
        Ok(PriceSheet {
            items,
            total_count: total,
            continuation_token: (offset + size < total).then(|| (offset + size).to_string()),
            ..empty(Some(month))
        })
    }

    /// The earliest month after `current` in which a version or config this pair
    /// uses starts.
    async fn next_price_month(
        &self,
        conn: &mut Conn,
        pair: &Pair,
        current: Month,
    ) -> AppResult<Option<Month>> {
        let mut next = offers::next_version_month(conn, current).await?;
        let mut consider = |m: Option<Month>| {
            if let Some(m) = m {
                next = Some(next.map_or(m, |n| n.min(m)));
            }
        };
        match pair.tier {
            Tier::OperatorToProvider => {}
            Tier::ProviderToReseller => consider(
                repricing::next_month(conn, &pair.seller, pair.tier, &pair.buyer, current).await?,
            ),
            Tier::ResellerToCustomer => {
                if let Some(provider) = &pair.provider {
                    consider(
                        repricing::next_month(
                            conn,
                            provider,
                            Tier::ProviderToReseller,
                            &pair.seller,
                            current,
                        )
                        .await?,
                    );
                }
                consider(
                    repricing::next_month(conn, &pair.seller, pair.tier, &pair.buyer, current)
                        .await?,
                );
            }
        }
        Ok(next)
    }

    /// The plan's price month by month from `from` to `to`, equal neighbours merged.
    #[expect(
        clippy::too_many_arguments,
        reason = "the pair, the row and the range; a struct would only rename them"
    )]
    async fn price_periods(
        &self,
        conn: &mut Conn,
        pair: &Pair,
        offer: &OfferTerms,
        plan: Plan,
        from: Month,
        to: Month,
        starts: &mut HashMap<RepricingConfigId, Month>,
    ) -> AppResult<Vec<PricePeriod>> {
        let mut periods: Vec<PricePeriod> = Vec::new();
        let mut m = from;
        while m <= to {
            let (price, ..) = self.sheet_price(conn, pair, offer, plan, m, starts).await?;
            match periods.last_mut() {
                Some(last) if last.unit_price == price => {}
                Some(last) => {
                    last.effective_to = Some(m.previous());
                    periods.push(PricePeriod {
                        effective_from: m,
                        effective_to: None,
                        unit_price: price,
                    });
                }
                None => periods.push(PricePeriod {
                    effective_from: m,
                    effective_to: None,
                    unit_price: price,
                }),
            }
            m = m.next();
        }
        Ok(periods)
    }
}

/// `k` months before `m`.
fn back(m: Month, k: u32) -> Month {
    (0..k).fold(m, |m, _| m.previous())
}
