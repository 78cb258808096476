//! Licenses (API.md §9.3): seats per offer, a user's licenses, and all-or-nothing
//! license updates that never assign more than the purchased seats, even in
//! parallel (the customer's lock is held while counting and writing).

use crate::error::{Conflict, Refusal};
use partnerd_domain::FieldError;
use partnerd_domain::ids::{OrgId, UserId};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Role;
use partnerd_domain::time::Timestamp;
use partnerd_store::commerce::{self, Seats};
use partnerd_store::{offers, organizations};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::events::Event;
use crate::views::User;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// Seats of one offer the customer holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub requires_admin_agent: bool,
    /// Σ quantity of active subscriptions.
    pub total_units: i64,
    pub assigned_units: i64,
    /// max(0, total − assigned).
    pub available_units: i64,
    /// Σ quantity of suspended subscriptions.
    pub suspended_units: i64,
}

/// A license a user holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserLicense {
    pub offer_id: String,
    pub offer_name: String,
    pub product_family: String,
    pub assigned_at: Timestamp,
}

/// `POST …/licenseupdates`: offers to assign and to remove.
#[derive(Debug, Clone, Default)]
pub struct LicenseUpdate {
    pub assign: Vec<String>,
    pub remove: Vec<String>,
}

/// What a license update did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseUpdateResult {
    pub licenses_assigned: Vec<UserLicense>,
    pub licenses_removed: Vec<UserLicense>,
    pub user: User,
}

/// A customer user's licenses as its page shows them: the user, what it holds and
/// the customer's seats per offer.
#[derive(Debug, Clone)]
pub struct UserLicenses {
    pub user: User,
    pub held: Vec<UserLicense>,
    pub skus: Vec<SubscribedSku>,
}

impl App {
    async fn sku_view(
        &self,
        conn: &mut partnerd_store::Conn,
        s: &Seats,
    ) -> AppResult<SubscribedSku> {
        let offer = offers::get(conn, &s.offer_id).await?;
        Ok(SubscribedSku {
            offer_id: s.offer_id.clone(),
            offer_name: offer
                .as_ref()
                .map_or(s.offer_name.clone(), |o| o.name.clone()),
            product_family: offer
                .as_ref()
                .map_or(s.product_family.clone(), |o| o.product_family.clone()),
            requires_admin_agent: offer.as_ref().is_some_and(|o| o.requires_admin_agent),
            total_units: s.total,
            assigned_units: s.assigned,
            available_units: (s.total - s.assigned).max(0),
            suspended_units: s.suspended,
        })
    }

    /// `GET /v1/customers/{cid}/subscribedskus` (no delegated admin needed).
    pub async fn subscribed_skus(
        &self,
        p: &Principal,
        cid: &OrgId,
    ) -> AppResult<Vec<SubscribedSku>> {
        let mut conn = self.db().conn().await?;
        self.commerce_reader(&mut conn, p, cid).await?;
        let seats = commerce::seats(&mut conn, cid, None).await?;
        let mut out = Vec::with_capacity(seats.len());
        for s in &seats {
            out.push(self.sku_view(&mut conn, s).await?);
        }
        Ok(out)
    }

    async fn license_views(
        &self,
        conn: &mut partnerd_store::Conn,
        held: Vec<(String, Timestamp)>,
    ) -> AppResult<Vec<UserLicense>> {
        let mut out = Vec::with_capacity(held.len());
        for (offer_id, at) in held {
            let offer = offers::get(conn, &offer_id).await?;
            out.push(UserLicense {
                offer_name: offer.as_ref().map_or(offer_id.clone(), |o| o.name.clone()),
                product_family: offer.map(|o| o.product_family).unwrap_or_default(),
                offer_id,
                assigned_at: at,
            });
        }
        Ok(out)
    }

    /// `GET /v1/customers/{cid}/users/{uid}/licenses` (delegated admin required).
    pub async fn user_licenses(
        &self,
        p: &Principal,
        cid: &OrgId,
        uid: &UserId,
    ) -> AppResult<Vec<UserLicense>> {
        let mut conn = self.db().conn().await?;
        self.visible_customer(&mut conn, p, cid).await?;
        self.require_on_behalf(&mut conn, p, cid, Action::ReadCustomerUsers)
            .await?;
        let user = self.org_user(&mut conn, cid, uid).await?;
        let held = commerce::user_licenses(&mut conn, &user.id).await?;
        self.license_views(&mut conn, held).await
    }

    /// `/customers/{cid}/users/{uid}/licenses` in the portal.
    pub async fn licenses_of_user(
        &self,
        p: &Principal,
        cid: &OrgId,
        uid: &UserId,
    ) -> AppResult<UserLicenses> {
        let user = self.get_customer_user(p, cid, uid).await?;
        let held = self.user_licenses(p, cid, uid).await?;
        let skus = self.subscribed_skus(p, cid).await?;
        Ok(UserLicenses { user, held, skus })
    }

    /// `POST /v1/customers/{cid}/users/{uid}/licenseupdates`: all or nothing.
    pub async fn update_licenses(
        &self,
        p: &Principal,
        ctx: &Ctx,
        cid: &OrgId,
        uid: &UserId,
        input: AppResult<LicenseUpdate>,
    ) -> AppResult<LicenseUpdateResult> {
        let mut tx = self.db().begin().await?;
        let (customer, _) = self.visible_customer(&mut tx, p, cid).await?;
        self.require_on_behalf(&mut tx, p, cid, Action::ManageLicenses)
            .await?;
        let user = self.org_user(&mut tx, cid, uid).await?;
        let input = input?;
        let mut errors = Vec::new();
        if input.assign.is_empty() && input.remove.is_empty() {
            errors.push(FieldError::invalid(
                "/licensesToAssign",
                "name at least one license to assign or remove",
            ));
        }
        // Count and write under the customer's lock: parallel updates queue here.
        organizations::lock(&mut tx, self.db().backend(), cid).await?;
        let held: Vec<String> = commerce::user_licenses(&mut tx, &user.id)
            .await?
            .into_iter()
            .map(|(o, _)| o)
            .collect();
        let mut offers_touched = Vec::new();
        for (list, pointer) in [
            (&input.assign, "licensesToAssign"),
            (&input.remove, "licensesToRemove"),
        ] {
            for (i, offer_id) in list.iter().enumerate() {
                let at = format!("/{pointer}/{i}/offerId");
                match offers::get(&mut tx, offer_id).await? {
                    None => errors.push(FieldError::invalid(
                        at,
                        format!("'{offer_id}' is not an offer"),
                    )),
                    Some(o) => {
                        if list.iter().filter(|x| *x == offer_id).count() > 1 {
                            errors.push(FieldError::invalid(at.clone(), "named twice"));
                        }
                        let assigning = pointer == "licensesToAssign";
                        if assigning && input.remove.contains(offer_id) {
                            errors.push(FieldError::invalid(
                                at.clone(),
                                "cannot be assigned and removed at once",
                            ));
                        }
                        if assigning && held.contains(offer_id) {
                            errors.push(FieldError::invalid(
                                at.clone(),
                                "is assigned to this user already",
                            ));
                        }
                        if !assigning && !held.contains(offer_id) {
                            errors.push(FieldError::invalid(
                                at.clone(),
                                "is not assigned to this user",
                            ));
                        }
                        offers_touched.push(o);
                    }
                }
            }
        }
        if let Some(o) = offers_touched.iter().find(|o| o.requires_admin_agent)
            && !p.roles.contains(Role::AdminAgent)
        {
            return Err(AppError::forbidden(
                Refusal::RequiresAdminAgent,
                format!(
                    "{} requires an Admin agent to assign or remove its licenses",
                    o.name
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let now = self.now();
        let mut removed = Vec::new();
        for offer_id in &input.remove {
            commerce::remove_license(&mut tx, &user.id, offer_id).await?;
            removed.push((offer_id.clone(), now));
        }
        let mut assigned = Vec::new();
        for offer_id in &input.assign {
            let seats = commerce::seats(&mut tx, cid, Some(offer_id))
                .await?
                .into_iter()
                .next()
                .unwrap_or_default();
            if seats.total - seats.assigned < 1 {
                let name = offers_touched
                    .iter()
                    .find(|o| &o.id == offer_id)
                    .map_or(offer_id.clone(), |o| o.name.clone());
                return Err(AppError::conflict(
                    Conflict::LicenseQuotaExceeded,
                    format!(
                        "{name} ({offer_id}): all {} active seats are assigned; availableUnits = 0",
                        seats.total
                    ),
                ));
            }
            commerce::assign_license(&mut tx, cid, &user.id, offer_id, now).await?;
            assigned.push((offer_id.clone(), now));
        }
        let licenses_assigned = self.license_views(&mut tx, assigned).await?;
        let licenses_removed = self.license_views(&mut tx, removed).await?;
        let mut entry = Entry::new(
            Actor::Principal(p),
            "license",
            Some(user.id.clone()),
            "updateLicenses",
        )
        .participant(cid)
        .after(serde_json::json!({
            "assigned": input.assign,
            "removed": input.remove,
        }));
        entry.on_behalf_of = Some((customer.id.clone(), customer.name.clone()));
        let raised = [
            ("license.assigned", &licenses_assigned),
            ("license.removed", &licenses_removed),
        ]
        .into_iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(event_type, list)| {
            Event {
                event_type,
                resource_type: "license",
                resource_id: &user.id,
                resource_url: crate::urls::user_licenses(cid, &user.id),
                participants: vec![cid, &p.organization.id],
            }
            .with(&serde_json::json!({"userId": user.id, "licenses": list}))
        })
        .collect();
        self.commit_change(tx, ctx, self.now(), entry, raised)
            .await?;
        Ok(LicenseUpdateResult {
            licenses_assigned,
            licenses_removed,
            user: User::from(&user),
        })
    }
}
