//! The operator's list prices (API-billing.md §2.1): the monthly price versions of
//! an offer, read by everyone who reads the catalog, scheduled and withdrawn by the
//! operator's global admins for future months only. The price of a month that has
//! begun is locked.

use partnerd_domain::FieldError;
use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{ApiKeyId, OrgId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::terms::Plan;
use partnerd_domain::time::Timestamp;
use partnerd_store::offers::{self, Author, AuthorKind, OfferRow, PriceVersionRow};
use partnerd_store::{Conn, providers};
use serde::Serialize;
use utoipa::ToSchema;

use super::pages::OfferPage;
use super::{Offer, OfferTerm, TermInput, terms_of, view};
use crate::audit::{Actor, Entry};
use crate::error::Conflict;
use crate::events::Event;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};
use partnerd_domain::money::Money;

/// Who wrote a price version (`createdBy`): as an audit record's actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceAuthor {
    /// `user`, `apiKey` or `system`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub api_key_id: Option<ApiKeyId>,
    /// A user's e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An API key's name, or what the platform was doing (`upgrade`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One month's list prices of an offer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferPrice {
    pub offer_id: String,
    /// The first month these prices apply to; they apply until a later version's.
    pub effective_from: Month,
    /// Every plan the version prices, term by term.
    pub terms: Vec<OfferTerm>,
    /// When the prices as they stand were written, and by whom.
    pub created_at: Timestamp,
    pub created_by: PriceAuthor,
}

impl OfferPrice {
    fn of(v: PriceVersionRow, currency: partnerd_domain::money::Currency) -> Self {
        let (email, name) = match v.created_by.kind {
            AuthorKind::User => (v.created_by.name, None),
            _ => (None, v.created_by.name),
        };
        Self {
            terms: terms_of(
                v.prices
                    .iter()
                    .map(|(plan, u)| (*plan, Money::new(*u, currency))),
            ),
            offer_id: v.offer_id,
            effective_from: v.effective_from,
            created_at: v.created_at,
            created_by: PriceAuthor {
                kind: v.created_by.kind.as_str().to_owned(),
                user_id: v.created_by.user_id,
                api_key_id: v.created_by.api_key_id,
                email,
                name,
            },
        }
    }

    /// Every plan with its price, in the catalog's order.
    pub fn plans(&self) -> impl Iterator<Item = (Plan, Money)> + '_ {
        super::plans_in(&self.terms)
    }
}

/// `PUT /v1/offers/{id}/prices/{month}`: every plan of the offer, once.
#[derive(Debug, Clone, Default)]
pub struct PriceInput {
    pub terms: Vec<TermInput>,
}

/// The portal's form to schedule a month's prices: the month as typed and the
/// prices.
#[derive(Debug, Clone, Default)]
pub struct PriceDraft {
    pub month: String,
    pub input: PriceInput,
}

/// What scheduling a month's prices from the portal did.
#[derive(Debug, Clone)]
pub enum PriceSchedule {
    Saved {
        price: OfferPrice,
        /// False when the month's version was replaced.
        created: bool,
    },
    /// Nothing was saved; `page` is the offer's page to show the form again.
    Refused {
        error: AppError,
        page: Box<OfferPage>,
    },
}

/// A future version about to be withdrawn, for the confirmation page.
#[derive(Debug, Clone)]
pub struct PriceToDelete {
    pub offer: Offer,
    pub price: OfferPrice,
}

/// The author of what principal `p` writes.
pub(crate) fn author(p: &Principal) -> Author {
    match &p.credential {
        Credential::Session { .. } => Author {
            kind: AuthorKind::User,
            user_id: p.user.as_ref().map(|u| u.id.clone()),
            api_key_id: None,
            name: p.user.as_ref().map(|u| u.email.clone()),
        },
        Credential::ApiKey { id, name } => Author {
            kind: AuthorKind::ApiKey,
            user_id: None,
            api_key_id: Some(id.clone()),
            name: Some(name.clone()),
        },
    }
}

/// `/v1/offers/{id}/prices/{month}`.
fn price_url(offer: &str, month: Month) -> String {
    format!("{}/prices/{month}", crate::urls::offer(offer))
}

/// A month in a path; a text that is not one names no version.
fn month_in_path(raw: &str) -> AppResult<Month> {
    Month::parse(raw).ok_or_else(AppError::not_found)
}

impl App {
    /// The offer a price request is about, and the caller's right to change its
    /// prices: 404 for an unknown offer before 403.
    async fn priced_offer(&self, p: &Principal, conn: &mut Conn, id: &str) -> AppResult<OfferRow> {
        p.require(Action::ReadCatalog)?;
        let offer = offers::get(conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageOfferPrices)?;
        Ok(offer)
    }

    /// The month's prices must lie ahead: the current month's and earlier ones
    /// are locked.
    fn unlocked(&self, month: Month) -> AppResult<()> {
        let current = self.current_month();
        if month <= current {
            return Err(AppError::conflict(
                Conflict::PricePeriodLocked,
                format!(
                    "the prices of {month} are locked: {current} has begun, so only {} or later can change",
                    current.next()
                ),
            ));
        }
        Ok(())
    }

    /// Who hears of a change to the prices of an offer of `family`: the operator
    /// and every provider authorised for the family.
    async fn price_audience(
        &self,
        p: &Principal,
        conn: &mut Conn,
        family: &str,
    ) -> AppResult<Vec<OrgId>> {
        let mut audience = vec![p.organization.id.clone()];
        for org in providers::authorized_for_family(conn, family).await? {
            if !audience.contains(&org) {
                audience.push(org);
            }
        }
        Ok(audience)
    }

    /// The prices a `terms` member gives every plan of `plans`, in that order, or
    /// every error at once.
    fn read_version(&self, terms: &[TermInput], plans: &[Plan]) -> AppResult<Vec<(Plan, i64)>> {
        let mut errors = Vec::new();
        let given = self.read_terms(terms, &mut errors);
        for g in &given {
            if !plans.contains(&g.plan) {
                errors.push(FieldError::invalid(
                    g.pointer.clone(),
                    format!(
                        "the offer does not sell {}; add the plan to the offer first",
                        g.plan.label()
                    ),
                ));
            }
        }
        for plan in plans {
            if !given.iter().any(|g| g.plan == *plan) {
                errors.push(FieldError::invalid(
                    "/terms",
                    format!(
                        "must price every plan of the offer; {} is missing",
                        plan.label()
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        Ok(plans
            .iter()
            .filter_map(|plan| {
                given
                    .iter()
                    .find(|g| g.plan == *plan)
                    .and_then(|g| g.price.map(|u| (*plan, u)))
            })
            .collect())
    }

    /// `GET /v1/offers/{id}/prices`: every version, oldest first.
    pub async fn list_offer_prices(
        &self,
        p: &Principal,
        id: &str,
        page: &PageParams,
    ) -> AppResult<Page<OfferPrice>> {
        p.require(Action::ReadCatalog)?;
        let now = self.now();
        let start = paging::start(page, &format!("prices of {id}"), now)?;
        let mut conn = self.db().conn().await?;
        let offer = offers::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let found = offers::versions(&mut conn, id, &start.request).await?;
        let currency = offer.unit_price.currency();
        Ok(start.finish_by_text(
            found,
            now,
            |v| (v.effective_from.to_string(), v.offer_id.clone()),
            |v| OfferPrice::of(v, currency),
        ))
    }

    /// `PUT /v1/offers/{id}/prices/{month}`: the month's prices, created or
    /// replaced whole. True when created.
    pub async fn schedule_offer_price(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        month: &str,
        input: AppResult<PriceInput>,
    ) -> AppResult<(OfferPrice, bool)> {
        let mut tx = self.db().begin().await?;
        let offer = self.priced_offer(p, &mut tx, id).await?;
        let month = month_in_path(month)?;
        self.put_price(p, ctx, tx, offer, month, input?).await
    }

    async fn put_price(
        &self,
        p: &Principal,
        ctx: &Ctx,
        mut tx: partnerd_store::Tx,
        offer: OfferRow,
        month: Month,
        input: PriceInput,
    ) -> AppResult<(OfferPrice, bool)> {
        let plans = offers::plans(&mut tx, &offer.id).await?;
        let prices = self.read_version(&input.terms, &plans)?;
        self.unlocked(month)?;
        let currency = offer.unit_price.currency();
        let before = offers::get_version(&mut tx, &offer.id, month).await?;
        let now = self.now();
        let row = PriceVersionRow {
            offer_id: offer.id.clone(),
            effective_from: month,
            created_at: now,
            created_by: author(p),
            prices,
        };
        offers::put_version(&mut tx, &row).await?;
        let shown = OfferPrice::of(row, currency);
        let created = before.is_none();
        let resource = format!("{}/{month}", offer.id);
        let mut entry = Entry::new(
            Actor::Principal(p),
            "offerPrice",
            Some(resource.clone()),
            "scheduleOfferPrice",
        )
        .after(&shown);
        if let Some(b) = before {
            entry = entry.before(OfferPrice::of(b, currency));
        }
        let audience = self
            .price_audience(p, &mut tx, &offer.product_family)
            .await?;
        let event = Event {
            event_type: "offerPrice.scheduled",
            resource_type: "offerPrice",
            resource_id: &resource,
            resource_url: price_url(&offer.id, month),
            participants: audience.iter().map(|o| o.as_str()).collect(),
        }
        .with(&shown);
        self.commit_change(tx, ctx, now, entry, vec![event]).await?;
        Ok((shown, created))
    }

    /// `DELETE /v1/offers/{id}/prices/{month}`: a future month's version is
    /// withdrawn; the one before it stays in effect.
    pub async fn delete_offer_price(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        month: &str,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let offer = self.priced_offer(p, &mut tx, id).await?;
        let month = month_in_path(month)?;
        let before = offers::get_version(&mut tx, id, month)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.unlocked(month)?;
        offers::delete_version(&mut tx, id, month).await?;
        let was = OfferPrice::of(before, offer.unit_price.currency());
        let resource = format!("{id}/{month}");
        let entry = Entry::new(
            Actor::Principal(p),
            "offerPrice",
            Some(resource.clone()),
            "deleteOfferPrice",
        )
        .before(&was);
        let audience = self
            .price_audience(p, &mut tx, &offer.product_family)
            .await?;
        let event = Event {
            event_type: "offerPrice.deleted",
            resource_type: "offerPrice",
            resource_id: &resource,
            resource_url: price_url(id, month),
            participants: audience.iter().map(|o| o.as_str()).collect(),
        }
        .with(&was);
        self.commit_change(tx, ctx, self.now(), entry, vec![event])
            .await?;
        Ok(())
    }

    /// The portal's form to schedule a month's prices: saved, or refused with the
    /// offer's page to show the form again (a month that is not one is a field
    /// error here, not an unknown address).
    pub async fn schedule_offer_price_draft(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        draft: PriceDraft,
    ) -> AppResult<PriceSchedule> {
        let mut tx = self.db().begin().await?;
        let offer = self.priced_offer(p, &mut tx, id).await?;
        let result = match Month::parse(draft.month.trim()) {
            Some(month) => self.put_price(p, ctx, tx, offer, month, draft.input).await,
            None => {
                drop(tx);
                let mut errors = vec![FieldError::invalid(
                    "/month",
                    "must be a month, such as 2026-04",
                )];
                if let Err(AppError::Validation(found)) =
                    offers::plans(&mut self.db().conn().await?, id)
                        .await
                        .map_err(AppError::from)
                        .and_then(|plans| self.read_version(&draft.input.terms, &plans))
                {
                    errors.extend(found);
                }
                Err(AppError::validation(errors))
            }
        };
        match result {
            Ok((price, created)) => Ok(PriceSchedule::Saved { price, created }),
            Err(error @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
                Ok(PriceSchedule::Refused {
                    error,
                    page: Box::new(self.offer_page(p, id, &PageParams::default()).await?),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The confirmation page before withdrawing a future month's prices.
    pub async fn offer_price_to_delete(
        &self,
        p: &Principal,
        id: &str,
        month: &str,
    ) -> AppResult<PriceToDelete> {
        let mut conn = self.db().conn().await?;
        let offer = self.priced_offer(p, &mut conn, id).await?;
        let month = month_in_path(month)?;
        let version = offers::get_version(&mut conn, id, month)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.unlocked(month)?;
        let currency = offer.unit_price.currency();
        Ok(PriceToDelete {
            offer: view(&mut conn, offer, self.current_month()).await?,
            price: OfferPrice::of(version, currency),
        })
    }
}
