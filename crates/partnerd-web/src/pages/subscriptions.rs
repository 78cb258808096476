//! A subscription's page (API-billing.md §4, §8.5): its term and plan, the prices
//! the reader may see, the seats still removable with a refund and until when,
//! the next term's instructions, upgrades and a trial's conversion — each change
//! confirmed first, saying what it costs or refunds.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::commerce::{
    ConvertInput, InstructionsInput, Subscription, SubscriptionChanges, SubscriptionRecord,
    UpgradeInput,
};
use partnerd_domain::ids::{OrgId, SubscriptionId};
use partnerd_domain::policy::Action;
use partnerd_domain::states::SubscriptionStatus;
use partnerd_domain::terms::{BillingFrequency, Plan, SubscriptionPlan};
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, nothing_changed, page};
use crate::pages::{CsrfForm, CsrfToken, PageError, PageUser, Values};

pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new().route(
        "/customers/{cid}/subscriptions/{sid}",
        get(subscription_page).post(change_subscription),
    )
}

#[derive(Deserialize, Default)]
pub struct ChangeQuery {
    action: Option<String>,
    quantity: Option<i64>,
    plan: Option<String>,
    target: Option<String>,
    done: Option<String>,
}

/// A status in plain words.
pub fn status_words(s: SubscriptionStatus) -> &'static str {
    match s {
        SubscriptionStatus::Active => "Active",
        SubscriptionStatus::Suspended => "Suspended",
        SubscriptionStatus::Expired => "Expired",
        SubscriptionStatus::Disabled => "Disabled",
        SubscriptionStatus::Deleted => "Deleted",
    }
}

/// "1 year, billed monthly" or "30-day trial".
pub fn plan_words(sub: &Subscription) -> String {
    SubscriptionPlan::parse(&sub.term_duration, &sub.billing_frequency)
        .map_or_else(|| sub.term_duration.clone(), SubscriptionPlan::label)
}

fn period_word(sub: &Subscription) -> &'static str {
    match sub.billing_frequency.as_str() {
        "monthly" => "month",
        "annual" => "year",
        "upfront" => "term",
        _ => "trial",
    }
}

/// The seats still removable with a refund, in words.
fn window_words(sub: &Subscription) -> Markup {
    let r = &sub.refundable_quantity;
    let free = sub.quantity - r.total_quantity;
    html! {
        @if sub.is_trial {
            p { "A trial can be cancelled at any time; nothing is charged." }
        } @else if r.total_quantity == 0 {
            p { "The 7-day window for removing seats has closed: all " (sub.quantity) " seats are paid until the term ends on " (sub.term_end_date.spoken()) ". Turn auto-renew off to end the subscription then." }
        } @else {
            ul {
                @for d in &r.details {
                    li { "You can remove " (d.quantity) (if d.quantity == 1 { " seat" } else { " seats" }) " with a refund until " (d.allowed_until.spoken()) " (in full until " (d.full_refund_until.spoken()) ", then prorated by day)." }
                }
            }
            @if free > 0 { p.muted { (free) " other seats are past their window and stay until " (sub.term_end_date.spoken()) "." } }
        }
    }
}

/// What a change does, in words, before it is confirmed.
fn describe(action: &str, q: &ChangeQuery, sub: &Subscription) -> (String, String) {
    let offer = &sub.offer_name;
    match action {
        "suspend" => (
            format!("Suspend {offer}"),
            "The customer's users lose access until you reactivate it. Billing continues while it is suspended; at the term's end a suspended subscription is disabled.".into(),
        ),
        "reactivate" => ("Reactivate".to_owned() + " " + offer, "Access returns at once.".into()),
        "cancel" if sub.is_trial => (
            format!("Cancel the trial of {offer}"),
            "The trial ends now and its seats are released; nothing is charged.".into(),
        ),
        "cancel" => (
            format!("Cancel {offer}"),
            format!(
                "The subscription is deleted now and all {} seats are refunded: in full if they were added less than 24 hours ago, otherwise for the days left of the billing period. This cannot be undone. Remove its licenses from users first.",
                sub.quantity
            ),
        ),
        "autorenew-on" => (
            "Turn auto-renew on".into(),
            format!("On {} the subscription renews for another term at the prices then.", sub.commitment_end_date.spoken()),
        ),
        "autorenew-off" => (
            "Turn auto-renew off".into(),
            format!("The subscription expires at the end of its term, on {}. Any change scheduled for the next term is cleared.", sub.commitment_end_date.spoken()),
        ),
        "schedule" => (
            "Schedule the next term".into(),
            format!(
                "From {}, {} renews as {} with {} seats. Nothing changes before then; a quantity change, a cancel or turning auto-renew off clears this.",
                sub.commitment_end_date.spoken(),
                offer,
                q.plan.as_deref().and_then(plan_of).map_or_else(String::new, Plan::label),
                q.quantity.unwrap_or(sub.quantity)
            ),
        ),
        "unschedule" => (
            "Clear the scheduled change".into(),
            "The subscription renews as it is now.".into(),
        ),
        "upgrade" => (
            format!("Upgrade to {}", q.target.clone().unwrap_or_default()),
            format!(
                "{} seats move to the upgrade now, for the rest of the term ending {}, at this month's price; the difference for the days left of the billing period is charged. Upgraded seats cannot be removed with a refund.",
                q.quantity.unwrap_or(sub.quantity),
                sub.term_end_date.spoken()
            ),
        ),
        "convert" => (
            format!("Convert the trial of {offer}"),
            format!(
                "A paid term as {} starts today with {} seats, charged at this month's price; its seats can be removed with a refund for 7 days.",
                q.plan.as_deref().and_then(plan_of).map_or_else(|| "the offer's default plan".into(), Plan::label),
                q.quantity.unwrap_or(sub.quantity)
            ),
        ),
        _ => {
            let n = q.quantity.unwrap_or_default();
            let more = n > sub.quantity;
            (
                format!("Change the quantity of {offer} to {n}"),
                if n == sub.quantity {
                    format!("The subscription already has {n} seats; nothing changes.")
                } else if more {
                    format!("{} seats are added now and charged for the rest of the billing period; they can be removed with a refund for 7 days.", n - sub.quantity)
                } else {
                    format!("{} seats are removed and refunded (newest first). Seats past their 7-day window cannot be removed.", sub.quantity - n)
                },
            )
        }
    }
}

/// `P1Y monthly` (the plan select's value) as a plan.
fn plan_of(v: &str) -> Option<Plan> {
    let (t, f) = v.split_once(' ')?;
    Plan::parse(t, f)
}

fn plan_value(p: Plan) -> String {
    format!("{} {}", p.term, p.frequency)
}

/// `/customers/{cid}/subscriptions/{sid}`: the subscription and its changes; with
/// `?action=…` the confirmation of one change.
pub async fn subscription_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path((cid, sid)): Path<(OrgId, SubscriptionId)>,
    Query(q): Query<ChangeQuery>,
) -> Result<Markup, PageError> {
    let p = &user.principal;
    let SubscriptionRecord {
        subscription: sub,
        history,
        upgrades,
    } = s.app.subscription_record(p, &cid, &sid).await?;
    let may_change = p.may(Action::PlaceOrders) && p.organization.id != sub.customer_id;
    let here = format!("/customers/{cid}/subscriptions/{sid}");
    if let Some(action) = q.action.as_deref().filter(|_| may_change) {
        let (title, what) = describe(action, &q, &sub);
        let mut confirm = Confirm::new(&title, html! { (what) }, here.clone(), &title)
            .hidden("etag", sub.etag.clone())
            .hidden("action", action)
            .cancel_as(here.clone(), "Keep it as it is");
        for (name, v) in [
            ("quantity", q.quantity.map(|n| n.to_string())),
            ("plan", q.plan.clone()),
            ("target", q.target.clone()),
        ] {
            if let Some(v) = v {
                confirm = confirm.hidden(name, v);
            }
        }
        if !matches!(action, "cancel" | "suspend" | "upgrade") {
            confirm = confirm.harmless();
        }
        return Ok(confirm.page(&user, &csrf));
    }
    let current_plan = SubscriptionPlan::parse(&sub.term_duration, &sub.billing_frequency);
    let open = sub.status.holds_seats();
    let free = sub.quantity - sub.refundable_quantity.total_quantity;
    let cancellable = sub.is_trial || free == 0;
    let per = period_word(&sub);
    let body = html! {
        @if q.done.is_some() { div.alert.success role="status" { "The subscription was changed." } }
        dl.facts {
            dt { "Offer" } dd { (sub.offer_name) " (" (sub.product_family) ")" }
            dt { "Status" } dd { (status_words(sub.status)) }
            dt { "Quantity" } dd { (sub.quantity) " (" (sub.assigned_licenses) " assigned)" }
            dt { "Plan" } dd { (plan_words(&sub)) }
            @if sub.is_trial {
                dt { "Price" } dd { "Free during the trial" }
            } @else {
                @if let Some(m) = &sub.prices.operator_to_provider { dt { "Provider's cost" } dd { (m) " per seat per " (per) } }
                @if let Some(m) = &sub.prices.provider_to_reseller { dt { "Reseller's price" } dd { (m) " per seat per " (per) } }
                @if let Some(m) = &sub.prices.reseller_to_customer { dt { "Customer's price" } dd { (m) " per seat per " (per) } }
            }
            dt { "Term" } dd { (partnerd_domain::calendar::Date::of(sub.term_start_date).spoken()) " to " (sub.term_end_date.spoken()) }
            @if let Some(b) = &sub.current_billing_period { dt { "Billing period" } dd { (b.start.spoken()) " to " (b.end.spoken()) } }
            dt { "Next charge" } dd { (sub.next_charge_date.map_or_else(|| "None".to_owned(), |d| d.spoken())) }
            @if let Some(c) = &sub.scheduled_status_change {
                dt { "Next" } dd { (match c.status {
                    SubscriptionStatus::Active if sub.is_trial => "Converts to a paid term",
                    SubscriptionStatus::Active => "Renews",
                    SubscriptionStatus::Expired => "Expires",
                    SubscriptionStatus::Disabled => "Is disabled",
                    _ => "Is deleted",
                }) " on " (c.at.spoken()) }
            }
            dt { "Auto-renew" } dd { (if sub.auto_renew_enabled { "On" } else { "Off" }) }
        }
        @if open {
            div.card {
                h2 { "Removing seats" }
                (window_words(&sub))
            }
        }
        @if let Some(i) = &sub.scheduled_next_term_instructions {
            div.card {
                h2 { "Next term" }
                p { "From " (sub.commitment_end_date.spoken()) ": " (i.offer_id) ", "
                    (Plan::parse(&i.term_duration, &i.billing_frequency).map_or_else(String::new, Plan::label)) ", " (i.quantity) " seats." }
                @if may_change { p { a href=(format!("{here}?action=unschedule")) { "Clear the scheduled change" } } }
            }
        }
        @if may_change && open {
            div.card {
                h2 { "Change" }
                @if sub.status == SubscriptionStatus::Active && !sub.is_trial {
                    form method="get" action=(here) {
                        input type="hidden" name="action" value="quantity";
                        label for="quantity" { "New quantity" }
                        input #quantity name="quantity" type="number" min=(free.max(1)) value=(sub.quantity);
                        @if free > 0 { p.hint { "At least " (free) ": seats past their 7-day window stay until the term ends." } }
                        button type="submit" { "Change quantity" }
                    }
                    p { a href=(format!("{here}?action=suspend")) { "Suspend" } }
                } @else if sub.status == SubscriptionStatus::Suspended {
                    p { a href=(format!("{here}?action=reactivate")) { "Reactivate" } }
                }
                @if cancellable {
                    p { a href=(format!("{here}?action=cancel")) { (if sub.is_trial { "Cancel the trial" } else { "Cancel subscription" }) } }
                }
                p { @if sub.auto_renew_enabled { a href=(format!("{here}?action=autorenew-off")) { "Turn auto-renew off" } } @else { a href=(format!("{here}?action=autorenew-on")) { "Turn auto-renew on" } } }
            }
            @if sub.status == SubscriptionStatus::Active && sub.auto_renew_enabled {
                div.card {
                    h2 { "Schedule the next term" }
                    form #schedule method="get" action=(here) {
                        input type="hidden" name="action" value="schedule";
                        input type="hidden" name="target" value=(sub.offer_id);
                        label for="plan" { "Plan" }
                        select #plan name="plan" {
                            @for pl in schedulable(current_plan) {
                                option value=(plan_value(pl)) selected[current_plan.and_then(SubscriptionPlan::paid) == Some(pl)] { (pl.label()) }
                            }
                        }
                        label for="next_quantity" { "Seats" }
                        input #next_quantity name="quantity" type="number" min="1" value=(sub.quantity);
                        button type="submit" { "Schedule" }
                    }
                }
            }
            @if sub.is_trial && sub.status == SubscriptionStatus::Active {
                div.card {
                    h2 { "Convert the trial" }
                    form method="get" action=(here) {
                        input type="hidden" name="action" value="convert";
                        label for="convert_quantity" { "Seats" }
                        input #convert_quantity name="quantity" type="number" min=(sub.quantity) value=(sub.quantity);
                        button type="submit" { "Convert to paid" }
                    }
                }
            }
            @if !upgrades.is_empty() {
                div.card {
                    h2 { "Upgrades" }
                    table {
                        thead { tr { th { "Offer" } th { "" } } }
                        tbody { @for u in &upgrades { tr {
                            td { (u.offer_name) }
                            td { @if u.eligible {
                                a href=(format!("{here}?action=upgrade&target={}", u.target_offer_id)) { "Upgrade all seats" }
                            } @else { span.muted { (u.detail.clone().unwrap_or_default()) } } }
                        } } }
                    }
                }
            }
        }
        h2 { "History" }
        @if history.items.is_empty() { p.empty { "No change since the order." } } @else {
            table.stack {
                thead { tr { th { "When" } th { "What" } th { "From" } th { "To" } th { "By" } } }
                tbody { @for h in &history.items { tr {
                    td { (h.at.spoken()) } td { (h.change.field) } td { (h.change.from.clone().unwrap_or_default()) } td { (h.change.to.clone().unwrap_or_default()) }
                    td { (if h.by.organization_id.is_none() { "partnerd (scheduled)" } else { "a partner" }) }
                } } }
            }
        }
        p { a href=(format!("/customers/{cid}")) { "Back to the customer" } }
    };
    Ok(page(&sub.offer_name, &user, &csrf, body))
}

/// Plans a next term may take: the same term's frequencies, never up front unless
/// the subscription pays up front already (the server checks the offer's plans).
fn schedulable(current: Option<SubscriptionPlan>) -> Vec<Plan> {
    let upfront = matches!(
        current,
        Some(SubscriptionPlan::Paid(p)) if p.frequency == BillingFrequency::Upfront
    ) || matches!(current, Some(SubscriptionPlan::Trial { .. }));
    partnerd_domain::terms::TermDuration::ALL
        .iter()
        .flat_map(|t| {
            t.frequencies()
                .iter()
                .filter_map(move |f| Plan::new(*t, *f))
        })
        .filter(|p| upfront || p.frequency != BillingFrequency::Upfront)
        .collect()
}

pub async fn change_subscription(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path((cid, sid)): Path<(OrgId, SubscriptionId)>,
    CsrfForm(m): CsrfForm<Values>,
) -> Result<Response, PageError> {
    let etag = m.get("etag").cloned();
    let quantity = m.get("quantity").and_then(|q| q.trim().parse::<i64>().ok());
    let plan = m.get("plan").and_then(|v| plan_of(v));
    let p = &user.principal;
    let action = m.get("action").map(String::as_str).unwrap_or_default();
    let outcome = match action {
        "upgrade" => s
            .app
            .upgrade_subscription(
                p,
                &ctx,
                &cid,
                &sid,
                etag.as_deref(),
                Ok(UpgradeInput {
                    target_offer_id: m.get("target").cloned().unwrap_or_default(),
                    quantity,
                }),
            )
            .await
            .map(|_| ()),
        "convert" => s
            .app
            .convert_trial(
                p,
                &ctx,
                &cid,
                &sid,
                etag.as_deref(),
                Ok(ConvertInput {
                    term_duration: plan.map(|p| p.term.as_str().to_owned()),
                    billing_frequency: plan.map(|p| p.frequency.as_str().to_owned()),
                    quantity,
                }),
            )
            .await
            .map(|_| ()),
        _ => {
            let mut changes = SubscriptionChanges::default();
            match action {
                "suspend" => changes.status = Some("suspended".into()),
                "reactivate" => changes.status = Some("active".into()),
                "cancel" => changes.status = Some("deleted".into()),
                "autorenew-on" => changes.auto_renew_enabled = Some(true),
                "autorenew-off" => changes.auto_renew_enabled = Some(false),
                "unschedule" => changes.scheduled_next_term_instructions = Some(None),
                "schedule" => {
                    changes.scheduled_next_term_instructions = Some(Some(InstructionsInput {
                        offer_id: m.get("target").cloned(),
                        term_duration: plan.map(|p| p.term.as_str().to_owned()),
                        billing_frequency: plan.map(|p| p.frequency.as_str().to_owned()),
                        quantity,
                    }));
                }
                _ => changes.quantity = quantity.or(Some(0)),
            }
            s.app
                .update_subscription(p, &ctx, &cid, &sid, etag.as_deref(), Ok(changes))
                .await
                .map(|_| ())
        }
    };
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/customers/{cid}/subscriptions/{sid}?done=1")).into_response(),
        ),
        Err(e)
            if matches!(
                e,
                AppError::Forbidden { .. }
                    | AppError::Conflict { .. }
                    | AppError::PreconditionFailed
                    | AppError::Validation(_)
            ) =>
        {
            Ok(nothing_changed(
                &user,
                &csrf.0,
                (
                    &format!("/customers/{cid}/subscriptions/{sid}"),
                    "Back to the subscription",
                ),
                &e,
            ))
        }
        Err(e) => Err(e.into()),
    }
}
