//! What the portal's offer pages show, each in one use case: the Add offer form
//! (the offers it can link to) and an offer's page (the offer, its prices next
//! month, its price versions, and for the operator the form's choices).

use partnerd_domain::calendar::Month;
use partnerd_domain::policy::Action;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::terms::Plan;
use partnerd_store::Conn;
use partnerd_store::offers::{self, OfferQuery};
use partnerd_store::sql::PageRequest;

use super::prices::OfferPrice;
use super::{Money, Offer, view};
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Principal};

/// How many offers the form offers to link to; beyond them the catalog is too
/// large for a list of boxes, and the form says so.
const CHOICES: i64 = 200;

/// An offer another offer can upgrade to or need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferChoice {
    pub id: String,
    pub name: String,
    pub product_family: String,
}

/// What the Add offer form shows.
#[derive(Debug, Clone)]
pub struct OfferFormPage {
    /// Available offers to link to, by family and name.
    pub choices: Vec<OfferChoice>,
    /// True when the catalog holds more available offers than `choices`.
    pub more_choices: bool,
    /// The month a new offer's prices take effect.
    pub current_month: Month,
}

/// An offer's page.
#[derive(Debug, Clone)]
pub struct OfferPage {
    pub offer: Offer,
    /// The offers it upgrades to and needs, with their names, in its order.
    pub upgrade_targets: Vec<OfferChoice>,
    pub prerequisites: Vec<OfferChoice>,
    pub current_month: Month,
    /// Each plan's price from the first of next month (what a change of the
    /// offer's prices starts from).
    pub next_prices: Vec<(Plan, Money)>,
    /// The first page of its price versions, oldest first.
    pub versions: Page<OfferPrice>,
    /// Whether the reader keeps the catalog (the change form) and schedules its
    /// prices.
    pub may_manage: bool,
    pub may_schedule: bool,
    /// For the change form: offers to link to (empty unless `may_manage`).
    pub choices: Vec<OfferChoice>,
    pub more_choices: bool,
}

impl App {
    /// The available offers a form offers to link to, plus `linked` (already
    /// linked, whatever their status), by family and name.
    async fn choices(
        &self,
        conn: &mut Conn,
        linked: &[OfferChoice],
    ) -> AppResult<(Vec<OfferChoice>, bool)> {
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
        let mut choices: Vec<OfferChoice> = found
            .rows
            .into_iter()
            .map(|o| OfferChoice {
                id: o.id,
                name: o.name,
                product_family: o.product_family,
            })
            .collect();
        for l in linked {
            if !choices.iter().any(|c| c.id == l.id) {
                choices.push(l.clone());
            }
        }
        choices.sort_by(|a, b| {
            (&a.product_family, &a.name, &a.id).cmp(&(&b.product_family, &b.name, &b.id))
        });
        Ok((choices, found.more))
    }

    /// Offers `ids` with their names and families, in the order of `ids`.
    async fn named(&self, conn: &mut Conn, ids: &[String]) -> AppResult<Vec<OfferChoice>> {
        let found = offers::names_of(conn, ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.iter().find(|(i, _, _)| i == id))
            .map(|(id, name, family)| OfferChoice {
                id: id.clone(),
                name: name.clone(),
                product_family: family.clone(),
            })
            .collect())
    }

    /// The Add offer form.
    pub async fn offer_form_page(&self, p: &Principal) -> AppResult<OfferFormPage> {
        p.require(Action::ManageCatalog)?;
        let mut conn = self.db().conn().await?;
        let (choices, more_choices) = self.choices(&mut conn, &[]).await?;
        Ok(OfferFormPage {
            choices,
            more_choices,
            current_month: self.current_month(),
        })
    }

    /// `/catalog/{id}`: the offer, its prices and, for the operator, its forms.
    pub async fn offer_page(
        &self,
        p: &Principal,
        id: &str,
        versions: &PageParams,
    ) -> AppResult<OfferPage> {
        p.require(Action::ReadCatalog)?;
        let month = self.current_month();
        let mut conn = self.db().conn().await?;
        let row = offers::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let currency = row.unit_price.currency();
        let next_prices = offers::version_for(&mut conn, id, month.next())
            .await?
            .map(|v| {
                v.prices
                    .into_iter()
                    .map(|(plan, u)| (plan, Money::new(u, currency)))
                    .collect()
            })
            .unwrap_or_default();
        let offer = view(&mut conn, row, month).await?;
        let upgrade_targets = self.named(&mut conn, &offer.upgrade_targets).await?;
        let prerequisites = self.named(&mut conn, &offer.prerequisite_offer_ids).await?;
        let may_manage = p.may(Action::ManageCatalog);
        let (choices, more_choices) = if may_manage {
            let linked: Vec<OfferChoice> = upgrade_targets
                .iter()
                .chain(&prerequisites)
                .cloned()
                .collect();
            let (mut choices, more) = self.choices(&mut conn, &linked).await?;
            choices.retain(|c| c.id != offer.id);
            (choices, more)
        } else {
            (Vec::new(), false)
        };
        drop(conn);
        let versions = self.list_offer_prices(p, id, versions).await?;
        Ok(OfferPage {
            offer,
            upgrade_targets,
            prerequisites,
            current_month: month,
            next_prices,
            versions,
            may_manage,
            may_schedule: p.may(Action::ManageOfferPrices),
            choices,
            more_choices,
        })
    }
}
