//! What the portal's Billing pages show (API-billing.md §8.5), one use case per
//! page: a seller's price lists with the buyers and catalog entries its form
//! offers, and an invoice with its lines grouped by reseller, then customer.

use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{InvoiceId, OrgId, RepricingConfigId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::{Money, markup};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Program;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::states::ResellerRelationshipStatus;
use partnerd_domain::terms::Plan;
use partnerd_store::connections::{self, RelationshipQuery};
use partnerd_store::customers::{self, CustomerQuery};
use partnerd_store::offers::{self, OfferQuery};
use partnerd_store::sql::PageRequest;
use partnerd_store::{Conn, invoices, organizations, repricing};

use super::{ChargeLine, Invoice, InvoiceLine, RepricingConfig, RepricingConfigFilters};
use crate::commerce::offer_terms::{list_price, offer_terms};
use crate::commerce::prices::reprice;
use crate::paging::{Page, PageParams};
use crate::{App, AppResult, Principal};

/// How many buyers, offers and lines a page offers at most at once.
const CHOICES: i64 = 500;

/// A price list as the portal lists it: with the buyer's name.
#[derive(Debug, Clone)]
pub struct PriceList {
    pub config: RepricingConfig,
    /// None: the seller's default for buyers without their own.
    pub buyer_name: Option<String>,
}

/// A buyer a price list can be for.
#[derive(Debug, Clone)]
pub struct BuyerChoice {
    pub tier: Tier,
    pub id: OrgId,
    pub name: String,
}

/// An offer an override can name.
#[derive(Debug, Clone)]
pub struct OfferChoice {
    pub id: String,
    pub name: String,
    pub product_family: String,
}

/// What the price-list form offers: the tiers the seller prices, its buyers per
/// tier, the catalog's offers and families, and the first month it can set.
#[derive(Debug, Clone)]
pub struct PriceListChoices {
    pub tiers: Vec<Tier>,
    pub buyers: Vec<BuyerChoice>,
    pub offers: Vec<OfferChoice>,
    pub families: Vec<String>,
    pub current_month: Month,
    /// Whether the reader may create, change and delete price lists.
    pub may_manage: bool,
}

/// `/billing/prices`: the seller's price lists (default first, then by buyer,
/// newest month first) and the form's choices.
#[derive(Debug, Clone)]
pub struct PriceListsPage {
    pub lists: Page<PriceList>,
    pub choices: PriceListChoices,
}

/// What a price list makes of one plan of an offer in its first month: the
/// seller's cost, the buyer's price and the margin between (negative when the
/// list sells below cost).
#[derive(Debug, Clone)]
pub struct ResultingPrice {
    pub offer_name: String,
    pub plan: Plan,
    pub cost: Money,
    pub price: Money,
    pub margin: Money,
}

/// `/billing/prices/{id}`: one price list, the prices it results in, and the
/// form's choices.
#[derive(Debug, Clone)]
pub struct PriceListRecord {
    pub list: PriceList,
    pub prices: Vec<ResultingPrice>,
    /// At `resellerToCustomer`, the provider whose price to the reseller is the
    /// cost (its first active provider), by name.
    pub cost_from: Option<String>,
    pub choices: PriceListChoices,
}

/// `/billing/invoices/{id}`: the invoice, one page of its lines grouped by
/// reseller then customer, and what the reader may do with it.
#[derive(Debug, Clone)]
pub struct InvoicePage {
    pub invoice: Invoice,
    pub lines: Page<InvoiceLine>,
    /// The reader sells it (and may change it).
    pub may_issue: bool,
    pub may_void: bool,
}

impl App {
    async fn names_of(&self, conn: &mut Conn, ids: &[&OrgId]) -> AppResult<Vec<String>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(
                organizations::get(conn, id)
                    .await?
                    .map_or_else(|| "a former partner".to_owned(), |o| o.name),
            );
        }
        Ok(out)
    }

    async fn price_list_choices(
        &self,
        conn: &mut Conn,
        p: &Principal,
    ) -> AppResult<PriceListChoices> {
        let programs = &p.organization.programs;
        let tiers: Vec<Tier> = [
            (Tier::ProviderToReseller, Program::IndirectProvider),
            (Tier::ResellerToCustomer, Program::IndirectReseller),
        ]
        .into_iter()
        .filter(|(_, prog)| programs.contains(prog))
        .map(|(t, _)| t)
        .collect();
        let page = PageRequest {
            cursor: None,
            size: CHOICES,
            count: false,
        };
        let mut buyers = Vec::new();
        if tiers.contains(&Tier::ProviderToReseller) {
            let found = connections::list_relationships(
                conn,
                &RelationshipQuery {
                    organization_id: p.organization.id.clone(),
                    as_provider: Some(true),
                    state: Some(ResellerRelationshipStatus::Active),
                    name: None,
                },
                &page,
            )
            .await?;
            for r in found.rows {
                let name = self.names_of(conn, &[&r.reseller_organization_id]).await?;
                buyers.push(BuyerChoice {
                    tier: Tier::ProviderToReseller,
                    id: r.reseller_organization_id,
                    name: name.into_iter().next().unwrap_or_default(),
                });
            }
        }
        if tiers.contains(&Tier::ResellerToCustomer) {
            let found = customers::list_customers(
                conn,
                &CustomerQuery {
                    partner_organization_id: Some(p.organization.id.clone()),
                    q: None,
                    country: None,
                    indirect_reseller_id: None,
                    indirect_provider_id: None,
                    delegated_admin: None,
                    imported: None,
                },
                &page,
            )
            .await?;
            for c in found.rows {
                buyers.push(BuyerChoice {
                    tier: Tier::ResellerToCustomer,
                    id: c.organization.id,
                    name: c.organization.name,
                });
            }
        }
        buyers.sort_by(|a, b| (a.tier, &a.name).cmp(&(b.tier, &b.name)));
        let mut offers: Vec<OfferChoice> = offers::list(conn, &OfferQuery::default(), &page)
            .await?
            .rows
            .into_iter()
            .map(|o| OfferChoice {
                id: o.id,
                name: o.name,
                product_family: o.product_family,
            })
            .collect();
        offers.sort_by(|a, b| (&a.product_family, &a.name).cmp(&(&b.product_family, &b.name)));
        let families = offers::families(conn)
            .await?
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        Ok(PriceListChoices {
            may_manage: p.may(Action::ManageRepricingConfigs) && !tiers.is_empty(),
            tiers,
            buyers,
            offers,
            families,
            current_month: Month::of(self.now()),
        })
    }

    async fn price_list_of(
        &self,
        conn: &mut Conn,
        config: RepricingConfig,
    ) -> AppResult<PriceList> {
        let buyer_name = match &config.buyer_organization_id {
            Some(b) => self.names_of(conn, &[b]).await?.into_iter().next(),
            None => None,
        };
        Ok(PriceList { config, buyer_name })
    }

    /// `/billing/prices`.
    pub async fn price_lists_page(
        &self,
        p: &Principal,
        page: &PageParams,
    ) -> AppResult<PriceListsPage> {
        let found = self
            .list_repricing_configs(p, &RepricingConfigFilters::default(), page)
            .await?;
        let mut conn = self.db().conn().await?;
        let mut items = Vec::with_capacity(found.items.len());
        for c in found.items {
            items.push(self.price_list_of(&mut conn, c).await?);
        }
        Ok(PriceListsPage {
            lists: Page {
                total_count: found.total_count,
                items,
                continuation_token: found.continuation_token,
            },
            choices: self.price_list_choices(&mut conn, p).await?,
        })
    }

    /// `/billing/prices/{id}`.
    pub async fn price_list_record(
        &self,
        p: &Principal,
        id: &RepricingConfigId,
    ) -> AppResult<PriceListRecord> {
        let config = self.get_repricing_config(p, id).await?;
        let mut conn = self.db().conn().await?;
        let (prices, cost_from) = self.resulting_prices(&mut conn, id).await?;
        Ok(PriceListRecord {
            list: self.price_list_of(&mut conn, config).await?,
            prices,
            cost_from,
            choices: self.price_list_choices(&mut conn, p).await?,
        })
    }

    /// The prices config `id` makes in its first month, per available offer and
    /// plan, over the seller's cost then (§5.1): the list price for a provider;
    /// for a reseller, what its first active provider charges it (the list price
    /// without one).
    async fn resulting_prices(
        &self,
        conn: &mut Conn,
        id: &RepricingConfigId,
    ) -> AppResult<(Vec<ResultingPrice>, Option<String>)> {
        let Some(config) = repricing::get(conn, id).await? else {
            return Ok((Vec::new(), None));
        };
        let month = config.effective_from;
        let seller = &config.seller_organization_id;
        let provider = match config.tier {
            Tier::ResellerToCustomer => connections::active_providers(conn, seller)
                .await?
                .into_iter()
                .next(),
            _ => None,
        };
        let cost_from = match &provider {
            Some(p) => self.names_of(conn, &[p]).await?.into_iter().next(),
            None => None,
        };
        let found = offers::list(
            conn,
            &OfferQuery {
                status: Some(OfferStatus::Available),
                ..OfferQuery::default()
            },
            &PageRequest {
                cursor: None,
                size: CHOICES,
                count: false,
            },
        )
        .await?;
        let mut out = Vec::new();
        for row in found.rows {
            let Some(offer) = offer_terms(conn, &row.id).await? else {
                continue;
            };
            let (b, _) = config.adjustment_for(&offer.row.id, &offer.row.product_family);
            for plan in offer.plans.clone() {
                let u1 = list_price(conn, &offer, plan, month).await?;
                let cost = match &provider {
                    Some(p) => {
                        reprice(conn, p, Tier::ProviderToReseller, seller, &offer, month, u1)
                            .await?
                            .map_or(u1, |(u2, _)| u2)
                    }
                    None => u1,
                };
                let price = Money::new(markup(cost.minor(), b), cost.currency());
                out.push(ResultingPrice {
                    offer_name: offer.row.name.clone(),
                    plan,
                    cost,
                    margin: Money::new(price.minor() - cost.minor(), cost.currency()),
                    price,
                });
            }
        }
        out.sort_by(|a, b| {
            (&a.offer_name, a.plan.term, a.plan.frequency).cmp(&(
                &b.offer_name,
                b.plan.term,
                b.plan.frequency,
            ))
        });
        Ok((out, cost_from))
    }

    /// Every line of an invoice the caller has been shown, numbered in the
    /// invoice's order, then grouped by reseller and customer (names, then ids),
    /// in line order within.
    async fn grouped_lines(&self, id: &InvoiceId) -> AppResult<Vec<InvoiceLine>> {
        let mut conn = self.db().conn().await?;
        let rows = invoices::lines_of(&mut conn, id).await?;
        let mut lines: Vec<InvoiceLine> = rows
            .into_iter()
            .enumerate()
            .map(|(i, l)| InvoiceLine {
                line_number: i as i64 + 1,
                line: ChargeLine::of(l),
            })
            .collect();
        lines.sort_by(|a, b| {
            (
                &a.line.reseller_name,
                &a.line.reseller_organization_id,
                &a.line.customer_name,
                &a.line.customer_id,
                a.line_number,
            )
                .cmp(&(
                    &b.line.reseller_name,
                    &b.line.reseller_organization_id,
                    &b.line.customer_name,
                    &b.line.customer_id,
                    b.line_number,
                ))
        });
        Ok(lines)
    }

    /// `/billing/invoices/{id}`: 404 unless the reader sells or buys it (the
    /// operator: any).
    pub async fn invoice_page(
        &self,
        p: &Principal,
        id: &InvoiceId,
        page: &PageParams,
    ) -> AppResult<InvoicePage> {
        let invoice = self.get_invoice(p, id).await?;
        let (offset, size) = crate::paging::by_offset(page)?;
        let lines = self.grouped_lines(id).await?;
        let total = lines.len() as i64;
        let items = lines
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(size).unwrap_or(0))
            .collect();
        let seller =
            invoice.seller_organization_id == p.organization.id && p.may(Action::ManageInvoices);
        let unpaid = invoice.amount_paid.is_zero();
        Ok(InvoicePage {
            may_issue: seller && invoice.status == "draft",
            may_void: seller && unpaid && matches!(invoice.status.as_str(), "draft" | "issued"),
            lines: Page {
                total_count: total,
                continuation_token: (offset + size < total).then(|| (offset + size).to_string()),
                items,
            },
            invoice,
        })
    }

    /// `/billing/invoices/{id}/print`: the invoice and all its lines, grouped.
    pub async fn invoice_document(
        &self,
        p: &Principal,
        id: &InvoiceId,
    ) -> AppResult<(Invoice, Vec<InvoiceLine>)> {
        let invoice = self.get_invoice(p, id).await?;
        let lines = self.grouped_lines(id).await?;
        Ok((invoice, lines))
    }
}
