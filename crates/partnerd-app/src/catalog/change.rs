//! Adding, changing and retiring offers, from the API and the portal's forms: the
//! writes a checked request makes (`rules` checks it). A change sells a new plan in
//! the version in effect and every later one, and writes a new price of a plan
//! already sold into next month's version.

use partnerd_domain::FieldError;
use partnerd_domain::names::offer_id;
use partnerd_domain::policy::Action;
use partnerd_domain::states::OfferStatus;
use partnerd_store::offers::{self, PriceVersionRow};

use super::pages::{OfferFormPage, OfferPage};
use super::prices::author;
use super::rules::Sold;
use super::{Offer, OfferInput, view};
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::{Conflict, check_if_match};
use crate::paging::PageParams;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// An offer as typed in the portal's form: what could be read of it, and the
/// form's own errors (numbers that are not numbers), reported with the use case's.
#[derive(Debug, Clone, Default)]
pub struct OfferDraft {
    pub input: OfferInput,
    pub errors: Vec<FieldError>,
}

/// What adding an offer from the portal's form did.
#[derive(Debug, Clone)]
pub enum OfferCreation {
    Created(Box<Offer>),
    /// Nothing was added; `form` is what the form needs to show itself again.
    Refused {
        error: AppError,
        form: OfferFormPage,
    },
}

/// What saving an offer's form did.
#[derive(Debug, Clone)]
pub enum OfferEdit {
    Saved(Box<Offer>),
    /// Nothing was saved: the form had errors or the offer changed meanwhile;
    /// `page` shows the offer as it is now, to show the form again.
    Refused {
        error: AppError,
        page: Box<OfferPage>,
    },
}

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
    /// The field errors `input` would get as a new offer (`id` None) or as a
    /// change of offer `id`, without saving anything: forms report them with
    /// their own.
    async fn offer_field_errors(
        &self,
        id: Option<&str>,
        input: &OfferInput,
    ) -> AppResult<Vec<FieldError>> {
        let mut conn = self.db().conn().await?;
        let (mut row, sold, mut errors) = match id {
            Some(id) => {
                let row = offers::get(&mut conn, id)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                let sold = Sold::of(&mut conn, id, self.current_month().next()).await?;
                (row, sold, Vec::new())
            }
            None => {
                let (own, errors) = match input.id.as_deref().map(|raw| offer_id("/id", raw)) {
                    Some(Ok(own)) => (own, Vec::new()),
                    Some(Err(e)) => (String::new(), vec![e]),
                    None => (
                        String::new(),
                        vec![FieldError::invalid("/id", "is required")],
                    ),
                };
                (self.blank_offer(own), Sold::default(), errors)
            }
        };
        let creating = id.is_none();
        match self
            .check_offer(&mut conn, &mut row, &sold, input, creating, Vec::new())
            .await
        {
            Ok(_) => {}
            Err(AppError::Validation(found)) => errors.extend(found),
            Err(e) => return Err(e),
        }
        Ok(errors)
    }

    /// `POST /v1/offers`: the offer, its plans and its first price version,
    /// effective this month.
    pub async fn create_offer(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<OfferInput>,
    ) -> AppResult<Offer> {
        p.require(Action::ManageCatalog)?;
        let input = input?;
        let (own, errors) = match input.id.as_deref().map(|raw| offer_id("/id", raw)) {
            Some(Ok(own)) => (own, Vec::new()),
            Some(Err(e)) => (String::new(), vec![e]),
            None => (
                String::new(),
                vec![FieldError::invalid("/id", "is required")],
            ),
        };
        let mut row = self.blank_offer(own);
        let mut tx = self.db().begin().await?;
        let plans = self
            .check_offer(&mut tx, &mut row, &Sold::default(), &input, true, errors)
            .await?;
        let now = self.now();
        let month = self.current_month();
        let first = PriceVersionRow {
            offer_id: row.id.clone(),
            effective_from: month,
            created_at: now,
            created_by: author(p),
            prices: plans.added.clone(),
        };
        match offers::insert(&mut tx, &row, &plans.order, &first).await {
            Err(e) if e.is_unique("offers_id_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    format!("an offer with the id {} exists", row.id),
                ));
            }
            other => other?,
        }
        let saved = offers::get(&mut tx, &row.id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let shown = view(&mut tx, saved, month).await?;
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "offer",
                Some(row.id.clone()),
                "createOffer",
            )
            .after(&shown),
            vec![],
        )
        .await?;
        Ok(shown)
    }

    /// `PATCH /v1/offers/{id}`. New plans are sold at once; a new price of a plan
    /// already sold is written into next month's version (made from the version
    /// in effect then, if there is none), so it applies from the first of next
    /// month.
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
        let mut errors = Vec::new();
        if input.id.as_deref().is_some_and(|new| new != before.id) {
            errors.push(FieldError::invalid("/id", "an offer's id cannot change"));
        }
        let month = self.current_month();
        let next = month.next();
        let sold = Sold::of(&mut tx, id, next).await?;
        let mut after = before.clone();
        let plans = self
            .check_offer(&mut tx, &mut after, &sold, &input, false, errors)
            .await?;
        let now = self.now();
        after.updated_at = now;
        crate::error::written(offers::update(&mut tx, &after).await?)?;
        if plans.order != sold.plans {
            offers::save_plans(&mut tx, id, &plans.order).await?;
        }
        for (plan, price) in &plans.added {
            offers::price_new_plan(&mut tx, id, *plan, month, *price).await?;
        }
        if !plans.repriced.is_empty() {
            // Read after the new plans were priced, so it prices them too.
            let mut prices = offers::version_for(&mut tx, id, next)
                .await?
                .map(|v| v.prices)
                .unwrap_or_default();
            for (plan, price) in &plans.repriced {
                match prices.iter_mut().find(|(p, _)| p == plan) {
                    Some(slot) => slot.1 = *price,
                    None => prices.push((*plan, *price)),
                }
            }
            offers::put_version(
                &mut tx,
                &PriceVersionRow {
                    offer_id: id.to_owned(),
                    effective_from: next,
                    created_at: now,
                    created_by: author(p),
                    prices,
                },
            )
            .await?;
        }
        let was = view(&mut tx, before, month).await?;
        let saved = offers::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let shown = view(&mut tx, saved, month).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "offer",
            Some(id.to_owned()),
            "updateOffer",
        )
        .before(was)
        .after(&shown);
        self.commit_change(tx, ctx, now, entry, vec![]).await?;
        Ok(shown)
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
        let was = view(&mut tx, before, self.current_month()).await?;
        let entry = Entry::new(
            Actor::Principal(p),
            "offer",
            Some(id.to_owned()),
            "retireOffer",
        )
        .before(was);
        self.commit_change(tx, ctx, self.now(), entry, vec![])
            .await?;
        Ok(())
    }

    /// The portal's Add offer form: every error at once, the form's and ours;
    /// refused with what the form needs to show itself again.
    pub async fn create_offer_draft(
        &self,
        p: &Principal,
        ctx: &Ctx,
        draft: OfferDraft,
    ) -> AppResult<OfferCreation> {
        p.require(Action::ManageCatalog)?;
        let result = if draft.errors.is_empty() {
            self.create_offer(p, ctx, Ok(draft.input)).await
        } else {
            let others = self.offer_field_errors(None, &draft.input).await?;
            Err(merged(draft.errors, others))
        };
        match result {
            Ok(o) => Ok(OfferCreation::Created(Box::new(o))),
            Err(error @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
                Ok(OfferCreation::Refused {
                    error,
                    form: self.offer_form_page(p).await?,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The portal's change form of offer `id`: saved, or refused with the offer's
    /// page as it is now when the form has errors or someone else saved first.
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
            p.require(Action::ManageCatalog)?;
            let others = self.offer_field_errors(Some(id), &draft.input).await?;
            Err(merged(draft.errors, others))
        };
        match result {
            Ok(o) => Ok(OfferEdit::Saved(Box::new(o))),
            Err(error @ (AppError::Validation(_) | AppError::PreconditionFailed)) => {
                let page = self.offer_page(p, id, &PageParams::default()).await?;
                p.require(Action::ManageCatalog)?;
                Ok(OfferEdit::Refused {
                    error,
                    page: Box::new(page),
                })
            }
            Err(e) => Err(e),
        }
    }
}
