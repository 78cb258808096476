//! A seller's repricing configs (API-billing.md §5.2): a percentage over its own
//! cost per buyer (or by default), with overrides per offer or product family,
//! effective from a future month. Private to the seller; buyers see prices.

use partnerd_domain::calendar::Month;
use partnerd_domain::ids::{OrgId, RepricingConfigId};
use partnerd_domain::ledger::Tier;
use partnerd_domain::money::{Percentage, PercentageInput};
use partnerd_domain::policy::{Action, Refusal};
use partnerd_domain::roles::Program;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::repricing::{self, Condition, ConfigQuery, Override, RepricingConfigRow};
use partnerd_store::{Conn, connections, customers, offers};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::{Conflict, check_if_match};
use crate::events::Event;
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What an override matches: exactly one of the two.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverrideCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_family: Option<String>,
}

/// One override as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceOverride {
    pub condition: OverrideCondition,
    #[schema(value_type = PercentageInput)]
    pub adjustment: Percentage,
}

/// One override as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceOverrideInput {
    pub condition: OverrideCondition,
    pub adjustment: PercentageInput,
}

/// A seller's price list for one tier, buyer (or every buyer without one) and
/// month onwards.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepricingConfig {
    #[schema(value_type = String)]
    pub id: RepricingConfigId,
    #[schema(value_type = String)]
    pub seller_organization_id: OrgId,
    #[schema(value_type = String, example = "providerToReseller")]
    pub tier: Tier,
    /// Null: the seller's default for buyers without their own.
    #[schema(value_type = Option<String>)]
    pub buyer_organization_id: Option<OrgId>,
    #[schema(value_type = String, example = "2026-03")]
    pub effective_from: Month,
    #[schema(value_type = PercentageInput)]
    pub adjustment: Percentage,
    pub overrides: Vec<PriceOverride>,
    pub created_at: Timestamp,
    #[schema(value_type = crate::catalog::PriceAuthor)]
    pub created_by: serde_json::Value,
    pub updated_at: Timestamp,
    pub etag: String,
}

impl RepricingConfig {
    pub(crate) fn of(r: RepricingConfigRow) -> Self {
        let pct = |b: i64| Percentage::from_hundredths(b).unwrap_or(Percentage::ZERO);
        Self {
            etag: etag(&r.id, r.version),
            overrides: r
                .overrides
                .iter()
                .map(|o| PriceOverride {
                    condition: match &o.condition {
                        Condition::OfferId(id) => OverrideCondition {
                            offer_id: Some(id.clone()),
                            product_family: None,
                        },
                        Condition::ProductFamily(f) => OverrideCondition {
                            offer_id: None,
                            product_family: Some(f.clone()),
                        },
                    },
                    adjustment: pct(o.adjustment_bp),
                })
                .collect(),
            adjustment: pct(r.adjustment_bp),
            created_by: serde_json::from_str(&r.created_by).unwrap_or(serde_json::Value::Null),
            id: r.id,
            seller_organization_id: r.seller_organization_id,
            tier: r.tier,
            buyer_organization_id: r.buyer_organization_id,
            effective_from: r.effective_from,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `POST /v1/repricingconfigs`, members as sent (validated here, in order).
#[derive(Debug, Clone, Default)]
pub struct RepricingConfigInput {
    pub tier: String,
    pub buyer_organization_id: Option<String>,
    pub effective_from: String,
    pub adjustment: Option<PercentageInput>,
    pub overrides: Option<Vec<PriceOverrideInput>>,
}

/// `PATCH /v1/repricingconfigs/{id}`.
#[derive(Debug, Clone, Default)]
pub struct RepricingConfigChanges {
    pub adjustment: Option<PercentageInput>,
    pub overrides: Option<Vec<PriceOverrideInput>>,
}

/// `GET /v1/repricingconfigs` filters as sent.
#[derive(Debug, Clone, Default)]
pub struct RepricingConfigFilters {
    pub tier: Option<String>,
    /// An organisation id, or `default` for the defaults.
    pub buyer_organization_id: Option<String>,
    pub effective_from: Option<String>,
}

const MAX_OVERRIDES: usize = 100;

/// The programme a seller needs for a tier.
fn program_of(tier: Tier) -> Option<Program> {
    match tier {
        Tier::ProviderToReseller => Some(Program::IndirectProvider),
        Tier::ResellerToCustomer => Some(Program::IndirectReseller),
        Tier::OperatorToProvider => None,
    }
}

fn parse_tier(pointer: &str, raw: &str) -> Result<Tier, FieldError> {
    Tier::parse(raw)
        .filter(|t| Tier::REPRICED.contains(t))
        .ok_or_else(|| {
            FieldError::invalid(pointer, "must be providerToReseller or resellerToCustomer")
        })
}

fn parse_month(pointer: &str, raw: &str) -> Result<Month, FieldError> {
    Month::parse(raw)
        .ok_or_else(|| FieldError::invalid(pointer, "must be a month, such as 2026-04"))
}

pub(super) fn author_json(p: &Principal) -> String {
    let a = crate::catalog::prices::author(p);
    serde_json::json!({
        "type": a.kind.as_str(),
        "userId": a.user_id,
        "apiKeyId": a.api_key_id,
        "email": if a.user_id.is_some() { a.name.clone() } else { None },
        "name": if a.user_id.is_none() { a.name } else { None },
    })
    .to_string()
}

fn locked(month: Month, now: Timestamp) -> AppError {
    AppError::conflict(
        Conflict::PricePeriodLocked,
        format!(
            "prices for {} are final once the month begins; only months after {} can be set, changed or removed",
            month.spoken(),
            Month::of(now).spoken()
        ),
    )
}

impl App {
    /// Validates the adjustment and overrides: percentages in range, 0–100
    /// overrides each naming exactly one offer or product family of the catalog.
    async fn read_adjustments(
        &self,
        conn: &mut Conn,
        adjustment: Option<&PercentageInput>,
        overrides: Option<&[PriceOverrideInput]>,
        adjustment_required: bool,
        errors: &mut Collect,
    ) -> AppResult<(Option<i64>, Option<Vec<Override>>)> {
        let adjustment = match adjustment {
            Some(a) => errors
                .take(Percentage::parse("/adjustment/percentage", &a.percentage))
                .map(Percentage::hundredths),
            None => {
                if adjustment_required {
                    errors.0.push(FieldError::new(
                        "/adjustment",
                        "required",
                        "is required: the percentage over your cost, such as {\"percentage\": \"15\"}",
                    ));
                }
                None
            }
        };
        let Some(list) = overrides else {
            return Ok((adjustment, None));
        };
        if list.len() > MAX_OVERRIDES {
            errors.0.push(FieldError::invalid(
                "/overrides",
                format!("can hold at most {MAX_OVERRIDES} entries"),
            ));
            return Ok((adjustment, None));
        }
        let families: Vec<String> = offers::families(conn)
            .await?
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        let mut out = Vec::with_capacity(list.len());
        for (i, o) in list.iter().enumerate() {
            let at = format!("/overrides/{i}");
            let b = errors
                .take(Percentage::parse(
                    &format!("{at}/adjustment/percentage"),
                    &o.adjustment.percentage,
                ))
                .map(Percentage::hundredths);
            let condition = match (&o.condition.offer_id, &o.condition.product_family) {
                (Some(id), None) => {
                    if offers::get(conn, id.trim()).await?.is_none() {
                        errors.0.push(FieldError::invalid(
                            format!("{at}/condition/offerId"),
                            format!("{} is not an offer of the catalog", id.trim()),
                        ));
                        None
                    } else {
                        Some(Condition::OfferId(id.trim().to_owned()))
                    }
                }
                (None, Some(f)) => {
                    if families.iter().any(|x| x == f.trim()) {
                        Some(Condition::ProductFamily(f.trim().to_owned()))
                    } else {
                        errors.0.push(FieldError::invalid(
                            format!("{at}/condition/productFamily"),
                            format!("{} is not a product family of the catalog", f.trim()),
                        ));
                        None
                    }
                }
                _ => {
                    errors.0.push(FieldError::invalid(
                        format!("{at}/condition"),
                        "must name exactly one of offerId and productFamily",
                    ));
                    None
                }
            };
            if let (Some(condition), Some(b)) = (condition, b) {
                out.push(Override {
                    condition,
                    adjustment_bp: b,
                });
            }
        }
        Ok((adjustment, Some(out)))
    }

    /// The caller's config `id`, for reading (404 for anyone else's).
    async fn own_config(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &RepricingConfigId,
    ) -> AppResult<RepricingConfigRow> {
        let row = repricing::get(conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let operator = p.organization.kind == partnerd_domain::OrgKind::Operator;
        if !operator && row.seller_organization_id != p.organization.id {
            return Err(AppError::not_found());
        }
        Ok(row)
    }

    /// `GET /v1/repricingconfigs`: the seller's configs, defaults first, then by
    /// buyer, newest month first. The operator reads none of its own (it has list
    /// prices), so it sees an empty list.
    pub async fn list_repricing_configs(
        &self,
        p: &Principal,
        f: &RepricingConfigFilters,
        page: &PageParams,
    ) -> AppResult<Page<RepricingConfig>> {
        p.require(Action::ReadRepricingConfigs)?;
        let mut errors = Collect::default();
        let tier = errors.opt(f.tier.as_deref(), |t| parse_tier("/query/tier", t));
        let month = errors.opt(f.effective_from.as_deref(), |m| {
            parse_month("/query/effectiveFrom", m)
        });
        if !errors.is_empty() {
            return Err(AppError::validation(errors.0));
        }
        let buyer = f
            .buyer_organization_id
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(|b| (b != "default").then(|| OrgId::from_raw(b.to_owned())));
        let (offset, size) = crate::paging::by_offset(page)?;
        let q = ConfigQuery {
            seller: p.organization.id.clone(),
            tier,
            buyer,
            effective_from: month,
        };
        let mut conn = self.db().conn().await?;
        let found = repricing::list(&mut conn, &q, offset, size).await?;
        let next = found.more.then(|| (offset + size).to_string());
        Ok(Page {
            total_count: found.total.unwrap_or(0),
            items: found.rows.into_iter().map(RepricingConfig::of).collect(),
            continuation_token: next,
        })
    }

    /// `GET /v1/repricingconfigs/{id}`.
    pub async fn get_repricing_config(
        &self,
        p: &Principal,
        id: &RepricingConfigId,
    ) -> AppResult<RepricingConfig> {
        p.require(Action::ReadRepricingConfigs)?;
        let mut conn = self.db().conn().await?;
        Ok(RepricingConfig::of(
            self.own_config(&mut conn, p, id).await?,
        ))
    }

    /// `POST /v1/repricingconfigs`: checks in the contract's order (role and
    /// programme; the buyer's relationship; the members; a future month; one per
    /// seller, tier, buyer and month).
    pub async fn create_repricing_config(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<RepricingConfigInput>,
    ) -> AppResult<RepricingConfig> {
        p.require(Action::ManageRepricingConfigs)?;
        let input = input?;
        let tier = parse_tier("/tier", input.tier.trim());
        if let Ok(t) = tier
            && let Some(program) = program_of(t)
            && !p.organization.programs.contains(&program)
        {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                format!(
                    "prices {} are set by organisations in the {} programme",
                    t.label(),
                    program.as_str()
                ),
            ));
        }
        let mut tx = self.db().begin().await?;
        let buyer = input
            .buyer_organization_id
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(|b| OrgId::from_raw(b.to_owned()));
        if let (Ok(t), Some(b)) = (&tier, &buyer) {
            let t = *t;
            let related = match t {
                Tier::ProviderToReseller => {
                    connections::active_between(&mut tx, &p.organization.id, b)
                        .await?
                        .is_some()
                }
                _ => customers::active_relationship(&mut tx, b, &p.organization.id)
                    .await?
                    .is_some(),
            };
            if !related {
                return Err(AppError::forbidden(
                    Refusal::RelationshipRequired,
                    match t {
                        Tier::ProviderToReseller => {
                            format!("{b} is not an active reseller of yours")
                        }
                        _ => format!("{b} is not an active customer of yours"),
                    },
                ));
            }
        }
        let mut errors = Collect::default();
        let tier = errors.take(tier);
        let month = errors.take(parse_month("/effectiveFrom", input.effective_from.trim()));
        let (adjustment, overrides) = self
            .read_adjustments(
                &mut tx,
                input.adjustment.as_ref(),
                input.overrides.as_deref(),
                true,
                &mut errors,
            )
            .await?;
        let (Some(tier), Some(month), Some(adjustment), true) =
            (tier, month, adjustment, errors.is_empty())
        else {
            return Err(AppError::validation(errors.0));
        };
        let now = self.now();
        if month <= Month::of(now) {
            return Err(locked(month, now));
        }
        let row = RepricingConfigRow {
            id: RepricingConfigId::generate(),
            seller_organization_id: p.organization.id.clone(),
            tier,
            buyer_organization_id: buyer,
            effective_from: month,
            adjustment_bp: adjustment,
            overrides: overrides.unwrap_or_default(),
            created_at: now,
            created_by: author_json(p),
            updated_at: now,
            version: 1,
        };
        if !repricing::insert(&mut tx, &row).await? {
            return Err(AppError::conflict(
                Conflict::Concurrent,
                format!(
                    "there is already a price list for this buyer and tier from {}; change that one",
                    month.spoken()
                ),
            ));
        }
        let view = RepricingConfig::of(row);
        self.config_change(
            tx,
            p,
            ctx,
            "createRepricingConfig",
            "repricingConfig.created",
            None,
            Some(&view),
        )
        .await?;
        Ok(view)
    }

    /// `PATCH /v1/repricingconfigs/{id}` (If-Match required).
    pub async fn update_repricing_config(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &RepricingConfigId,
        if_match: Option<&str>,
        input: AppResult<RepricingConfigChanges>,
    ) -> AppResult<RepricingConfig> {
        p.require(Action::ManageRepricingConfigs)?;
        let mut tx = self.db().begin().await?;
        let before = self.own_config(&mut tx, p, id).await?;
        check_if_match(&etag(&before.id, before.version), if_match, true)?;
        let input = input?;
        let mut errors = Collect::default();
        if input.adjustment.is_none() && input.overrides.is_none() {
            errors.0.push(FieldError::invalid(
                "",
                "send adjustment, overrides or both",
            ));
        }
        let (adjustment, overrides) = self
            .read_adjustments(
                &mut tx,
                input.adjustment.as_ref(),
                input.overrides.as_deref(),
                false,
                &mut errors,
            )
            .await?;
        if !errors.is_empty() {
            return Err(AppError::validation(errors.0));
        }
        let now = self.now();
        if before.effective_from <= Month::of(now) {
            return Err(locked(before.effective_from, now));
        }
        let mut after = before.clone();
        if let Some(a) = adjustment {
            after.adjustment_bp = a;
        }
        if let Some(o) = overrides {
            after.overrides = o;
        }
        after.updated_at = now;
        crate::error::written(repricing::update(&mut tx, &after).await?)?;
        after.version += 1;
        let was = RepricingConfig::of(before);
        let view = RepricingConfig::of(after);
        self.config_change(
            tx,
            p,
            ctx,
            "updateRepricingConfig",
            "repricingConfig.updated",
            Some(&was),
            Some(&view),
        )
        .await?;
        Ok(view)
    }

    /// `DELETE /v1/repricingconfigs/{id}`: a future month's config only.
    pub async fn delete_repricing_config(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &RepricingConfigId,
    ) -> AppResult<()> {
        p.require(Action::ManageRepricingConfigs)?;
        let mut tx = self.db().begin().await?;
        let before = self.own_config(&mut tx, p, id).await?;
        let now = self.now();
        if before.effective_from <= Month::of(now) {
            return Err(locked(before.effective_from, now));
        }
        repricing::delete(&mut tx, id).await?;
        let was = RepricingConfig::of(before);
        self.config_change(
            tx,
            p,
            ctx,
            "deleteRepricingConfig",
            "repricingConfig.deleted",
            Some(&was),
            None,
        )
        .await
    }

    /// Audit record and event (to the seller only) of a config change.
    #[expect(
        clippy::too_many_arguments,
        reason = "one change: who, what, before and after"
    )]
    async fn config_change(
        &self,
        tx: partnerd_store::Tx,
        p: &Principal,
        ctx: &Ctx,
        operation: &'static str,
        event_type: &'static str,
        before: Option<&RepricingConfig>,
        after: Option<&RepricingConfig>,
    ) -> AppResult<()> {
        let Some(shown) = after.or(before) else {
            return Ok(());
        };
        let mut entry = Entry::new(
            Actor::Principal(p),
            "repricingConfig",
            Some(shown.id.to_string()),
            operation,
        )
        .participant(&p.organization.id);
        if let Some(b) = before {
            entry = entry.before(b);
        }
        if let Some(a) = after {
            entry = entry.after(a);
        }
        let event = Event {
            event_type,
            resource_type: "repricingConfig",
            resource_id: &shown.id,
            resource_url: crate::urls::repricing_config(&shown.id),
            participants: vec![&p.organization.id],
        }
        .with(shown);
        self.commit_change(tx, ctx, self.now(), entry, vec![event])
            .await
    }
}
