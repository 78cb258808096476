//! The vendor's catalog (API.md §4.5): offers and product families.

use crate::error::Conflict;
use partnerd_domain::FieldError;
use partnerd_domain::money::{check_currency, parse_amount};
use partnerd_domain::names::{long_text, name, offer_id};
use partnerd_domain::policy::Action;
use partnerd_domain::states::OfferStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::offers::{self, OfferQuery, OfferRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

pub use partnerd_domain::money::Money;

/// An offer of the catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub id: String,
    pub name: String,
    pub product_family: String,
    pub billing_cycle: String,
    pub unit_price: Money,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub requires_admin_agent: bool,
    pub status: OfferStatus,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub etag: String,
}

impl From<OfferRow> for Offer {
    fn from(o: OfferRow) -> Self {
        Self {
            etag: etag(&o.id, o.version),
            unit_price: o.unit_price,
            created_at: o.created_at,
            updated_at: o.updated_at,
            id: o.id,
            name: o.name,
            product_family: o.product_family,
            billing_cycle: o.billing_cycle,
            min_quantity: o.min_quantity,
            max_quantity: o.max_quantity,
            requires_admin_agent: o.requires_admin_agent,
            status: o.status,
            description: o.description,
        }
    }
}

/// A product family: the distinct families of the offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductFamily {
    pub id: String,
    pub name: String,
    /// True if any offer of the family needs an admin agent.
    pub requires_admin_agent: bool,
}

/// The money members of a request.
#[derive(Debug, Clone)]
pub struct MoneyInput {
    pub amount: String,
    pub currency: String,
}

/// `POST /v1/offers`; for `PATCH` every member is optional.
#[derive(Debug, Clone, Default)]
pub struct OfferInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub product_family: Option<String>,
    pub billing_cycle: Option<String>,
    pub unit_price: Option<MoneyInput>,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
    pub requires_admin_agent: Option<bool>,
    pub description: Option<String>,
}

/// Filters of `GET /v1/offers`.
#[derive(Debug, Clone, Default)]
pub struct OfferFilters {
    pub product_family: Option<String>,
    pub billing_cycle: Option<String>,
    /// `available` (default), `retired` or `all`.
    pub status: Option<String>,
    pub q: Option<String>,
}

/// The portal's catalog page: one page of offers and the product families to
/// filter them by.
#[derive(Debug, Clone)]
pub struct CatalogPage {
    pub offers: Page<Offer>,
    pub families: Vec<ProductFamily>,
}

/// An offer as typed in the portal's form: what could be read of it, and the
/// form's own errors (numbers that are not numbers), reported with the use case's.
#[derive(Debug, Clone, Default)]
pub struct OfferDraft {
    pub input: OfferInput,
    pub errors: Vec<FieldError>,
}

/// What saving an offer's form did.
#[derive(Debug, Clone)]
pub enum OfferEdit {
    Saved(Offer),
    /// Nothing was saved: the form had errors or the offer changed meanwhile;
    /// `current` is the offer as it is now, to show the form again.
    Refused {
        error: AppError,
        current: Offer,
    },
}

const MAX_QUANTITY: i64 = 1_000_000;

/// The form's own errors with the use case's errors for every other field.
fn merged(own: Vec<FieldError>, others: Vec<FieldError>) -> AppError {
    let mut all = own;
    for e in others {
        if !all.iter().any(|o| o.pointer == e.pointer) {
            all.push(e);
        }
    }
    AppError::validation(all)
}

impl App {
    /// Applies `input` to `o`, collecting every field error. `creating` makes the
    /// required members required.
    fn apply_offer(&self, o: &mut OfferRow, input: OfferInput, creating: bool) -> AppResult<()> {
        let mut errors = Vec::new();
        let required = |errors: &mut Vec<FieldError>, present: bool, pointer: &str| {
            if creating && !present {
                errors.push(FieldError::invalid(pointer, "is required"));
            }
        };
        required(&mut errors, input.name.is_some(), "/name");
        required(
            &mut errors,
            input.product_family.is_some(),
            "/productFamily",
        );
        required(&mut errors, input.billing_cycle.is_some(), "/billingCycle");
        required(&mut errors, input.unit_price.is_some(), "/unitPrice");
        required(&mut errors, input.min_quantity.is_some(), "/minQuantity");
        required(&mut errors, input.max_quantity.is_some(), "/maxQuantity");
        if let Some(v) = &input.name {
            name("/name", v)
                .map(|v| o.name = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if let Some(v) = &input.product_family {
            name("/productFamily", v)
                .map(|v| o.product_family = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if let Some(v) = &input.billing_cycle {
            if v == "monthly" || v == "annual" {
                o.billing_cycle = v.clone();
            } else {
                errors.push(FieldError::invalid(
                    "/billingCycle",
                    "must be monthly or annual",
                ));
            }
        }
        if let Some(m) = &input.unit_price {
            let amount = parse_amount("/unitPrice/amount", &m.amount).map_err(|e| errors.push(e));
            let currency = check_currency(
                "/unitPrice/currency",
                &m.currency,
                self.config().currency.as_str(),
            )
            .map_err(|e| errors.push(e));
            if let (Ok(minor), Ok(())) = (amount, currency) {
                o.unit_price = Money::new(minor, self.config().currency);
            }
        }
        if let Some(v) = input.min_quantity {
            o.min_quantity = v;
        }
        if let Some(v) = input.max_quantity {
            o.max_quantity = v;
        }
        if input.min_quantity.is_some() || input.max_quantity.is_some() {
            if o.min_quantity < 1 {
                errors.push(FieldError::invalid("/minQuantity", "must be at least 1"));
            } else if o.max_quantity < o.min_quantity || o.max_quantity > MAX_QUANTITY {
                errors.push(FieldError::invalid(
                    "/maxQuantity",
                    "must be between minQuantity and 1000000",
                ));
            }
        }
        if let Some(v) = input.requires_admin_agent {
            o.requires_admin_agent = v;
        }
        if let Some(v) = &input.description {
            long_text("/description", v, 10_000)
                .map(|v| o.description = v)
                .map_err(|e| errors.push(e))
                .ok();
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(errors))
        }
    }

    /// The field errors `input` would get, without saving anything (forms use it to
    /// report every problem at once alongside their own).
    pub fn offer_field_errors(&self, input: OfferInput, creating: bool) -> Vec<FieldError> {
        let now = self.now();
        let mut scratch = OfferRow {
            id: String::new(),
            name: String::new(),
            product_family: String::new(),
            billing_cycle: "monthly".into(),
            unit_price: Money::zero(self.config().currency),
            min_quantity: 1,
            max_quantity: 1,
            requires_admin_agent: false,
            status: OfferStatus::Available,
            description: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut errors = match input.id.as_deref() {
            Some(raw) if creating => offer_id("/id", raw).err().into_iter().collect(),
            _ => Vec::new(),
        };
        if let Err(e) = self.apply_offer(&mut scratch, input, creating) {
            errors.extend(e.field_errors().iter().cloned());
        }
        errors
    }

    /// `POST /v1/offers`.
    pub async fn create_offer(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<OfferInput>,
    ) -> AppResult<Offer> {
        p.require(Action::ManageCatalog)?;
        let input = input?;
        let id = match &input.id {
            Some(raw) => offer_id("/id", raw)?,
            None => return Err(FieldError::invalid("/id", "is required").into()),
        };
        let now = self.now();
        let mut row = OfferRow {
            id,
            name: String::new(),
            product_family: String::new(),
            billing_cycle: String::new(),
            unit_price: Money::zero(self.config().currency),
            min_quantity: 1,
            max_quantity: 1,
            requires_admin_agent: false,
            status: OfferStatus::Available,
            description: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.apply_offer(&mut row, input, true)?;
        let mut tx = self.db().begin().await?;
        match offers::insert(&mut tx, &row).await {
            Err(e) if e.is_unique("offers_id_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    format!("an offer with the id {} exists", row.id),
                ));
            }
            other => other?,
        }
        let view = Offer::from(row.clone());
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(Actor::Principal(p), "offer", Some(row.id), "createOffer").after(&view),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/offers`.
    pub async fn list_offers(
        &self,
        p: &Principal,
        f: &OfferFilters,
        page: &PageParams,
    ) -> AppResult<Page<Offer>> {
        p.require(Action::ReadCatalog)?;
        let status = match f.status.as_deref() {
            None | Some("available") => Some(OfferStatus::Available),
            Some("retired") => Some(OfferStatus::Retired),
            Some("all") => None,
            Some(_) => {
                return Err(FieldError::invalid(
                    "/query/status",
                    "must be available, retired or all",
                )
                .into());
            }
        };
        if let Some(c) = &f.billing_cycle
            && c != "monthly"
            && c != "annual"
        {
            return Err(
                FieldError::invalid("/query/billingCycle", "must be monthly or annual").into(),
            );
        }
        let now = self.now();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = OfferQuery {
            product_family: f.product_family.clone(),
            billing_cycle: f.billing_cycle.clone(),
            status,
            q: f.q.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = offers::list(&mut conn, &q, &start.request).await?;
        Ok(start.finish(rows, now, |r| (r.created_at, r.id.to_string()), Offer::from))
    }

    /// `/catalog` in the portal: offers matching `f` and every product family.
    pub async fn catalog_page(
        &self,
        p: &Principal,
        f: &OfferFilters,
        page: &PageParams,
    ) -> AppResult<CatalogPage> {
        let offers = self.list_offers(p, f, page).await?;
        let families = self.product_families(p).await?;
        Ok(CatalogPage { offers, families })
    }

    /// The portal's Add offer form: every error at once, the form's and ours.
    pub async fn create_offer_draft(
        &self,
        p: &Principal,
        ctx: &Ctx,
        draft: OfferDraft,
    ) -> AppResult<Offer> {
        p.require(Action::ManageCatalog)?;
        if !draft.errors.is_empty() {
            return Err(merged(
                draft.errors,
                self.offer_field_errors(draft.input, true),
            ));
        }
        self.create_offer(p, ctx, Ok(draft.input)).await
    }

    /// The portal's change form of offer `id`: saved, or refused with the offer as
    /// it is now when the form has errors or someone else saved first.
    pub async fn save_offer_draft(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        if_match: Option<&str>,
        draft: OfferDraft,
    ) -> AppResult<OfferEdit> {
        let result = if draft.errors.is_empty() {
            self.update_offer(p, ctx, id, if_match, Ok(draft.input))
                .await
        } else {
            Err(merged(
                draft.errors,
                self.offer_field_errors(draft.input, false),
            ))
        };
        match result {
            Ok(o) => Ok(OfferEdit::Saved(o)),
            Err(error @ (AppError::Validation(_) | AppError::PreconditionFailed)) => {
                let current = self.get_offer(p, id).await?;
                p.require(Action::ManageCatalog)?;
                Ok(OfferEdit::Refused { error, current })
            }
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/offers/{id}`.
    pub async fn get_offer(&self, p: &Principal, id: &str) -> AppResult<Offer> {
        p.require(Action::ReadCatalog)?;
        let mut conn = self.db().conn().await?;
        Ok(offers::get(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?
            .into())
    }

    /// `PATCH /v1/offers/{id}`: new prices apply to new orders and renewals.
    pub async fn update_offer(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        if_match: Option<&str>,
        input: AppResult<OfferInput>,
    ) -> AppResult<Offer> {
        p.require(Action::ReadCatalog)?;
        let mut tx = self.db().begin().await?;
        let before = offers::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageCatalog)?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        if input.id.as_deref().is_some_and(|new| new != before.id) {
            return Err(FieldError::invalid("/id", "an offer's id cannot change").into());
        }
        let mut after = before.clone();
        self.apply_offer(&mut after, input, false)?;
        after.updated_at = self.now();
        crate::error::written(offers::update(&mut tx, &after).await?)?;
        after.version += 1;
        let view = Offer::from(after);
        let entry = Entry::new(
            Actor::Principal(p),
            "offer",
            Some(before.id.clone()),
            "updateOffer",
        )
        .before(Offer::from(before))
        .after(&view);
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(view)
    }

    /// `DELETE /v1/offers/{id}`: retired, kept for history.
    pub async fn retire_offer(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &str,
        if_match: Option<&str>,
    ) -> AppResult<()> {
        p.require(Action::ReadCatalog)?;
        let mut tx = self.db().begin().await?;
        let before = offers::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageCatalog)?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let mut after = before.clone();
        // Retiring a retired offer changes nothing and is not an error.
        if before.status != OfferStatus::Retired {
            after.status = before.status.retire()?;
        }
        after.updated_at = self.now();
        crate::error::written(offers::update(&mut tx, &after).await?)?;
        let entry = Entry::new(
            Actor::Principal(p),
            "offer",
            Some(before.id.clone()),
            "retireOffer",
        )
        .before(Offer::from(before));
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(())
    }

    /// `GET /v1/productfamilies`.
    pub async fn product_families(&self, p: &Principal) -> AppResult<Vec<ProductFamily>> {
        p.require(Action::ReadCatalog)?;
        let mut conn = self.db().conn().await?;
        Ok(offers::families(&mut conn)
            .await?
            .into_iter()
            .map(|(f, raa)| ProductFamily {
                id: f.clone(),
                name: f,
                requires_admin_agent: raa,
            })
            .collect())
    }
}
