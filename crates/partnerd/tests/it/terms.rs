//! API-billing.md §1.3 and §4: the test clock, the seat-reduction window, renewals
//! at `τ` with scheduled changes, and the system transitions after a term's end —
//! driven from outside, as a black-box client would, through `/v1/testing/*`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::commerce::{catalog, lines, patch, three_way_customer};
use crate::customers::connected;
use crate::helpers::TestApp;

/// The instant every scenario here starts at.
pub const START: &str = "2026-03-03T09:00:00Z";

pub fn with_test_clock(mut c: partnerd::config::Config) -> partnerd::config::Config {
    c.app.dev_mode = true;
    c.app.test_clock = partnerd_domain::time::Timestamp::parse_rfc3339(START);
    c
}

/// An API key of the caller's organisation with these roles (keys outlive the
/// sessions a clock moved by weeks would end).
pub async fn key(app: &TestApp, token: &str, roles: &[&str]) -> String {
    app.post(
        "/v1/apikeys",
        token,
        json!({"name": "terms", "roles": roles}),
    )
    .await
    .ok(201)["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

async fn advance(app: &TestApp, op: &str, seconds: i64) -> Value {
    app.post("/v1/testing/clock", op, json!({"advanceSeconds": seconds}))
        .await
        .ok(200)
        .clone()
}

async fn set_clock(app: &TestApp, op: &str, now: &str) {
    let r = app.post("/v1/testing/clock", op, json!({"now": now})).await;
    assert_eq!(r.ok(200)["now"], now);
}

async fn run_jobs(app: &TestApp, op: &str) -> Value {
    app.post("/v1/testing/jobs/run", op, json!({}))
        .await
        .ok(200)
        .clone()
}

/// `POST` with `If-Match`.
async fn post_if_match(
    app: &TestApp,
    path: &str,
    token: &str,
    tag: String,
    body: Value,
) -> crate::helpers::Resp {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("If-Match", format!("\"{tag}\""))
        .json(&body)
        .send()
        .await
        .expect("send");
    TestApp::read(res).await
}

fn etag(v: &Value) -> String {
    v["etag"].as_str().expect("etag").to_owned()
}

/// The instant the scenarios' orders are placed (the clock runs on at real
/// speed, so it is set just before).
const BOUGHT: &str = "2026-03-03T10:00:00Z";

/// Operator key, reseller key and a customer with one order of `quantity` m365
/// seats placed at [`BOUGHT`]: (operator, reseller, subscription path).
async fn bought(app: &TestApp, prefix: &str, mpn: &str, quantity: i64) -> (String, String, String) {
    let (op, reseller, path, _) = bought_with_session(app, prefix, mpn, quantity).await;
    (op, reseller, path)
}

/// As [`bought`], with the operator's session last (a key cannot keep the catalog).
async fn bought_with_session(
    app: &TestApp,
    prefix: &str,
    mpn: &str,
    quantity: i64,
) -> (String, String, String, String) {
    let op_session = app.operator_token().await;
    catalog(app, &op_session).await;
    let c = connected(app, &op_session, prefix, mpn).await;
    let (_, cid) = three_way_customer(app, &c, &format!("shop-{prefix}")).await;
    let op = key(app, &op_session, &[]).await;
    let reseller = key(app, &c.reseller, &["adminAgent"]).await;
    set_clock(app, &op, BOUGHT).await;
    let order = app
        .post(
            &format!("/v1/customers/{cid}/orders"),
            &reseller,
            lines(&[("m365", quantity)]),
        )
        .await
        .ok(201)
        .clone();
    let sid = order["lineItems"][0]["subscriptionId"]
        .as_str()
        .expect("sid")
        .to_owned();
    (
        op,
        reseller,
        format!("/v1/customers/{cid}/subscriptions/{sid}"),
        op_session,
    )
}

async fn the_test_clock_only_moves_forward(app: TestApp) {
    let op_session = app.operator_token().await;
    let reading = app.get("/v1/testing/clock", &op_session).await;
    assert!(
        reading.ok(200)["now"]
            .as_str()
            .is_some_and(|n| n.starts_with("2026-03-03T09:0")),
        "it starts at {START}: {}",
        reading.text
    );
    let op = key(&app, &op_session, &[]).await;
    set_clock(&app, &op, "2026-03-03T10:00:00Z").await;
    let moved = advance(&app, &op, 3600).await;
    assert!(
        moved["now"]
            .as_str()
            .is_some_and(|n| n.starts_with("2026-03-03T11:00:0")),
        "{moved}"
    );
    app.post("/v1/testing/clock", &op, json!({"now": START}))
        .await
        .problem(409, "conflict");
    for bad in [
        json!({"advanceSeconds": 0}),
        json!({"advanceSeconds": 31_622_401}),
        json!({"advanceSeconds": 60, "now": "2027-01-01T00:00:00Z"}),
        json!({}),
        json!({"now": "tomorrow"}),
    ] {
        app.post("/v1/testing/clock", &op, bad)
            .await
            .problem(422, "validation_failed");
    }
    let counts = run_jobs(&app, &op).await;
    for member in [
        "renewed",
        "converted",
        "expired",
        "disabled",
        "deleted",
        "cycleCharges",
        "billingRuns",
        "invoicesIssued",
    ] {
        assert_eq!(counts[member], 0, "{member}: {counts}");
    }
    // A partner does not drive the clock.
    let c = connected(&app, &op_session, "clk", "97100001").await;
    app.get("/v1/testing/clock", &c.reseller)
        .await
        .problem(403, "forbidden");
    app.shutdown().await;
}
both!(the_test_clock_only_moves_forward, with_test_clock);

async fn without_a_test_clock_the_routes_do_not_exist(app: TestApp) {
    let op = app.operator_token().await;
    app.get("/v1/testing/clock", &op)
        .await
        .problem(404, "not_found");
    app.post("/v1/testing/jobs/run", &op, json!({}))
        .await
        .problem(404, "not_found");
    app.shutdown().await;
}
both!(without_a_test_clock_the_routes_do_not_exist);

async fn seats_leave_only_inside_the_window(app: TestApp) {
    let (op, reseller, path) = bought(&app, "win", "97100002", 10).await;
    let sub = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(sub["termDuration"], "P1M");
    assert_eq!(sub["billingFrequency"], "monthly");
    assert_eq!(sub["termStartDate"], BOUGHT);
    assert_eq!(sub["termEndDate"], "2026-04-02");
    assert_eq!(sub["commitmentEndDate"], "2026-04-03T00:00:00Z");
    assert_eq!(sub["nextChargeDate"], "2026-04-03");
    assert_eq!(
        sub["currentBillingPeriod"],
        json!({"start": "2026-03-03", "end": "2026-04-02", "days": 31})
    );
    assert_eq!(
        sub["refundableQuantity"],
        json!({"totalQuantity": 10, "details": [{"quantity": 10,
            "allowedUntil": "2026-03-10T10:00:00Z", "fullRefundUntil": "2026-03-04T10:00:00Z"}]})
    );
    assert_eq!(
        sub["scheduledStatusChange"],
        json!({"status": "active", "at": "2026-04-03T00:00:00Z"})
    );
    // The reseller sees its two tiers, not the operator's price to the provider.
    assert!(sub["prices"]["providerToReseller"].is_object());
    assert!(sub["prices"]["resellerToCustomer"].is_object());
    assert!(
        sub["prices"].get("operatorToProvider").is_none(),
        "{}",
        sub["prices"]
    );

    // 167 h 59 min after purchase: still inside.
    advance(&app, &op, 167 * 3600 + 59 * 60).await;
    let sub = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"quantity": 8}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(sub["refundableQuantity"]["totalQuantity"], 8);
    // Seats added now get a window of their own.
    let sub = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"quantity": 12}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(sub["refundableQuantity"]["totalQuantity"], 12);
    assert_eq!(
        sub["refundableQuantity"]["details"][1]["allowedUntil"],
        "2026-03-17T09:59:00Z"
    );
    // 168 h 00 min: the purchase's 8 seats are past it; only the 4 added remain.
    advance(&app, &op, 60).await;
    let refused = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"quantity": 7}),
    )
    .await;
    refused.problem(409, "cancellation_window_closed");
    assert_eq!(
        refused.body["refundableQuantity"],
        json!({"totalQuantity": 4, "details": [{"quantity": 4,
            "allowedUntil": "2026-03-17T09:59:00Z", "fullRefundUntil": "2026-03-11T09:59:00Z"}]}),
        "{}",
        refused.text
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("only 4 seats") && d.contains("17 March 2026, 09:59 UTC")),
        "{}",
        refused.text
    );
    // Nothing changed.
    let same = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(same["quantity"], 12);
    assert_eq!(same["etag"], sub["etag"]);
    // Down to the window-free seats is allowed: the newest batch goes first.
    let sub = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"quantity": 8}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(sub["refundableQuantity"]["totalQuantity"], 0);
    // A cancel needs every seat inside the window.
    patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"status": "deleted"}),
    )
    .await
    .problem(409, "cancellation_window_closed");
    app.shutdown().await;
}
both!(seats_leave_only_inside_the_window, with_test_clock);

async fn a_cancel_inside_the_window_deletes(app: TestApp) {
    let (op, reseller, path) = bought(&app, "cxl", "97100003", 3).await;
    advance(&app, &op, 3 * 24 * 3600).await;
    let sub = app.get(&path, &reseller).await.ok(200).clone();
    let gone = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"status": "cancelled"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(gone["status"], "deleted");
    assert_eq!(gone["deletedAt"], "2026-03-06T10:00:00Z");
    assert_eq!(gone["cancelledAt"], gone["deletedAt"]);
    assert_eq!(gone["scheduledStatusChange"], Value::Null);
    assert_eq!(gone["nextChargeDate"], Value::Null);
    let list = path.rsplit_once('/').map(|(l, _)| l).expect("list");
    for filter in ["cancelled", "deleted"] {
        let found = app.get(&format!("{list}?status={filter}"), &reseller).await;
        assert_eq!(found.ok(200)["totalCount"], 1, "{filter}");
    }
    app.get(&format!("{list}?status=gone"), &reseller)
        .await
        .problem(422, "validation_failed");
    patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&gone)),
        json!({"friendlyName": "again"}),
    )
    .await
    .problem(409, "subscription_cancelled");
    app.shutdown().await;
}
both!(a_cancel_inside_the_window_deletes, with_test_clock);

async fn renewal_at_tau_applies_the_scheduled_changes(app: TestApp) {
    let (op, reseller, path) = bought(&app, "ren", "97100004", 5).await;
    let sub = app.get(&path, &reseller).await.ok(200).clone();
    let instructions = json!({"offerId": "m365", "termDuration": "P1M", "billingFrequency": "monthly", "quantity": 7});
    // Instructions do not travel with a quantity change, and must be whole.
    patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"quantity": 6, "scheduledNextTermInstructions": instructions}),
    )
    .await
    .problem(422, "validation_failed");
    let missing = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"scheduledNextTermInstructions": {"offerId": "m365", "quantity": 7}}),
    )
    .await;
    missing.problem(422, "validation_failed");
    assert_eq!(
        missing.body["errors"][0]["pointer"],
        "/scheduledNextTermInstructions/termDuration"
    );
    patch(&app, &path, &reseller, Some(&etag(&sub)),
        json!({"scheduledNextTermInstructions": {"offerId": "m365", "termDuration": "P1Y", "billingFrequency": "annual", "quantity": 7}}))
        .await
        .problem(422, "validation_failed");
    patch(&app, &path, &reseller, Some(&etag(&sub)),
        json!({"scheduledNextTermInstructions": {"offerId": "azure", "termDuration": "P1M", "billingFrequency": "monthly", "quantity": 7}}))
        .await
        .problem(409, "upgrade_not_allowed");
    let sub = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"scheduledNextTermInstructions": instructions}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(sub["scheduledNextTermInstructions"], instructions);
    let audit = app
        .get(
            "/v1/auditrecords?operationType=setScheduledChanges",
            &reseller,
        )
        .await;
    assert_eq!(audit.ok(200)["totalCount"], 1);

    // A second before τ nothing renews; at τ it does, once.
    set_clock(&app, &op, "2026-04-02T23:59:59Z").await;
    assert_eq!(run_jobs(&app, &op).await["renewed"], 0);
    set_clock(&app, &op, "2026-04-03T00:00:00Z").await;
    assert_eq!(run_jobs(&app, &op).await["renewed"], 1);
    let again = run_jobs(&app, &op).await;
    assert_eq!(
        again,
        json!({"renewed": 0, "converted": 0, "expired": 0, "disabled": 0,
        "deleted": 0, "cycleCharges": 0, "billingRuns": 0, "invoicesIssued": 0})
    );
    let renewed = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(renewed["status"], "active");
    assert_eq!(renewed["quantity"], 7);
    assert_eq!(renewed["termStartDate"], "2026-04-03T00:00:00Z");
    assert_eq!(renewed["termEndDate"], "2026-05-02");
    assert_eq!(renewed["commitmentEndDate"], "2026-05-03T00:00:00Z");
    assert_eq!(renewed["scheduledNextTermInstructions"], Value::Null);
    // A renewal opens a new window over all seats.
    assert_eq!(
        renewed["refundableQuantity"],
        json!({"totalQuantity": 7, "details": [{"quantity": 7,
            "allowedUntil": "2026-04-10T00:00:00Z", "fullRefundUntil": "2026-04-04T00:00:00Z"}]})
    );
    let history = app
        .get(&format!("{path}/history"), &reseller)
        .await
        .ok(200)
        .clone();
    let system: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|h| h["by"]["organizationId"].is_null())
        .filter_map(|h| h["change"]["field"].as_str())
        .collect();
    assert!(
        system.contains(&"quantity") && system.contains(&"termEndDate"),
        "{system:?}"
    );
    let renewals = app
        .get(
            "/v1/auditrecords?operationType=renewSubscription",
            &reseller,
        )
        .await;
    assert_eq!(renewals.ok(200)["totalCount"], 1);
    app.shutdown().await;
}
both!(
    renewal_at_tau_applies_the_scheduled_changes,
    with_test_clock
);

async fn instructions_that_no_longer_hold_are_dropped_at_renewal(app: TestApp) {
    let (op, reseller, path, op_session) = bought_with_session(&app, "drp", "97100005", 3).await;
    let sub = app.get(&path, &reseller).await.ok(200).clone();
    patch(&app, &path, &reseller, Some(&etag(&sub)),
        json!({"scheduledNextTermInstructions": {"offerId": "m365", "termDuration": "P1M", "billingFrequency": "monthly", "quantity": 20}}))
        .await
        .ok(200);
    // The operator narrows the offer: 20 seats no longer fit.
    let op_offer = app
        .get("/v1/offers/m365", &op_session)
        .await
        .ok(200)
        .clone();
    let narrowed = app
        .client
        .patch(app.url("/v1/offers/m365"))
        .bearer_auth(&op_session)
        .header("If-Match", format!("\"{}\"", etag(&op_offer)))
        .json(&json!({"maxQuantity": 10}))
        .send()
        .await
        .expect("send");
    assert!(narrowed.status().is_success(), "{}", narrowed.status());
    set_clock(&app, &op, "2026-04-03T00:00:00Z").await;
    assert_eq!(run_jobs(&app, &op).await["renewed"], 1);
    let renewed = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(renewed["quantity"], 3, "renewed unchanged");
    assert_eq!(renewed["termEndDate"], "2026-05-02");
    assert_eq!(renewed["scheduledNextTermInstructions"], Value::Null);
    let discarded = app
        .get(
            "/v1/auditrecords?operationType=discardScheduledChanges",
            &reseller,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(discarded["totalCount"], 1);
    assert!(
        discarded["items"][0]["changes"]["after"]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("quantity_out_of_range")),
        "{discarded}"
    );
    app.shutdown().await;
}
both!(
    instructions_that_no_longer_hold_are_dropped_at_renewal,
    with_test_clock
);

async fn terms_end_in_expiry_disabling_and_deletion(app: TestApp) {
    let (op, reseller, path) = bought(&app, "end", "97100006", 2).await;
    let list = path
        .rsplit_once('/')
        .map(|(l, _)| l.to_owned())
        .expect("list");
    let cid = list.split('/').nth(3).expect("cid").to_owned();
    // A second subscription, suspended at τ.
    let order = app
        .post(
            &format!("/v1/customers/{cid}/orders"),
            &reseller,
            lines(&[("m365", 1)]),
        )
        .await
        .ok(201)
        .clone();
    let other = format!(
        "{list}/{}",
        order["lineItems"][0]["subscriptionId"]
            .as_str()
            .expect("sid")
    );
    let sub = app.get(&path, &reseller).await.ok(200).clone();
    let sub = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"autoRenewEnabled": false}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        sub["scheduledStatusChange"],
        json!({"status": "expired", "at": "2026-04-03T00:00:00Z"})
    );
    assert_eq!(sub["nextChargeDate"], Value::Null);
    let o = app.get(&other, &reseller).await.ok(200).clone();
    let o = patch(
        &app,
        &other,
        &reseller,
        Some(&etag(&o)),
        json!({"status": "suspended"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        o["scheduledStatusChange"],
        json!({"status": "disabled", "at": "2026-04-03T00:00:00Z"})
    );
    set_clock(&app, &op, "2026-04-03T00:00:00Z").await;
    let counts = run_jobs(&app, &op).await;
    assert_eq!(
        (counts["expired"].clone(), counts["disabled"].clone()),
        (json!(1), json!(1)),
        "{counts}"
    );
    let expired = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(expired["status"], "expired");
    assert_eq!(
        expired["scheduledStatusChange"],
        json!({"status": "disabled", "at": "2026-05-03T00:00:00Z"})
    );
    patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&expired)),
        json!({"autoRenewEnabled": true}),
    )
    .await
    .problem(409, "subscription_cancelled");
    let disabled = app.get(&other, &reseller).await.ok(200).clone();
    assert_eq!(disabled["status"], "disabled");
    assert_eq!(disabled["disabledAt"], "2026-04-03T00:00:00Z");
    // τ + 30 days: the expired one is disabled; τ + 120 days: both are deleted.
    set_clock(&app, &op, "2026-05-02T23:59:59Z").await;
    assert_eq!(run_jobs(&app, &op).await["disabled"], 0);
    set_clock(&app, &op, "2026-05-03T00:00:00Z").await;
    assert_eq!(run_jobs(&app, &op).await["disabled"], 1);
    set_clock(&app, &op, "2026-08-01T00:00:00Z").await;
    let counts = run_jobs(&app, &op).await;
    assert_eq!(counts["deleted"], 2, "{counts}");
    for p in [&path, &other] {
        let gone = app.get(p, &reseller).await.ok(200).clone();
        assert_eq!(gone["status"], "deleted");
        assert_eq!(gone["deletedAt"], "2026-08-01T00:00:00Z");
        assert_eq!(
            gone["cancelledAt"],
            Value::Null,
            "deleted by the system, not a cancel"
        );
    }
    assert_eq!(run_jobs(&app, &op).await["deleted"], 0);
    let events = app
        .get(
            "/v1/auditrecords?operationType=deleteSubscription",
            &reseller,
        )
        .await;
    assert_eq!(events.ok(200)["totalCount"], 2);
    app.shutdown().await;
}
both!(terms_end_in_expiry_disabling_and_deletion, with_test_clock);

async fn a_command_applies_the_due_events_first(app: TestApp) {
    let (op, reseller, path) = bought(&app, "cmd", "97100007", 4).await;
    let stale = app.get(&path, &reseller).await.ok(200).clone();
    set_clock(&app, &op, "2026-04-03T00:00:00Z").await;
    // The job has not run: a read shows the old term…
    let before = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(before["termEndDate"], "2026-04-02");
    // …and a command renews it first, so the ETag read before τ no longer matches.
    app.call(
        Method::PATCH,
        &path,
        Some(&reseller),
        Some(json!({"friendlyName": "x"})),
    )
    .await
    .problem(428, "precondition_required");
    patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&stale)),
        json!({"friendlyName": "Sales"}),
    )
    .await
    .problem(412, "precondition_failed");
    let renewed = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(renewed["termEndDate"], "2026-05-02");
    assert_eq!(
        run_jobs(&app, &op).await["renewed"],
        0,
        "already renewed by the command"
    );
    let named = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&renewed)),
        json!({"friendlyName": "Sales"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(named["friendlyName"], "Sales");
    app.shutdown().await;
}
both!(a_command_applies_the_due_events_first, with_test_clock);

async fn parallel_decreases_never_pass_the_window(app: TestApp) {
    let (op, reseller, path) = bought(&app, "par", "97100008", 10).await;
    // Past the purchase's window, with 5 seats added since: 10 are window-free.
    advance(&app, &op, 6 * 24 * 3600).await;
    let sub = app.get(&path, &reseller).await.ok(200).clone();
    let sub = patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&sub)),
        json!({"quantity": 15}),
    )
    .await
    .ok(200)
    .clone();
    advance(&app, &op, 2 * 24 * 3600).await;
    let tag = etag(&sub);
    let (a, b) = tokio::join!(
        patch(&app, &path, &reseller, Some(&tag), json!({"quantity": 11})),
        patch(&app, &path, &reseller, Some(&tag), json!({"quantity": 10})),
    );
    let mut codes = [a.status.as_u16(), b.status.as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [200, 412], "{} / {}", a.text, b.text);
    let now = app.get(&path, &reseller).await.ok(200).clone();
    assert!(now["quantity"].as_i64().is_some_and(|q| q >= 10), "{now}");
    patch(
        &app,
        &path,
        &reseller,
        Some(&etag(&now)),
        json!({"quantity": 9}),
    )
    .await
    .problem(409, "cancellation_window_closed");
    app.shutdown().await;
}
both!(parallel_decreases_never_pass_the_window, with_test_clock);

async fn orders_take_plans_and_coterminous_end_dates(app: TestApp) {
    let (op, reseller, path) = bought(&app, "cot", "97100009", 2).await;
    let cid = path.split('/').nth(3).expect("cid").to_owned();
    let orders = format!("/v1/customers/{cid}/orders");
    let _ = op;
    let line = |extra: Value| {
        let mut l = json!({"lineItemNumber": 0, "offerId": "m365", "quantity": 4});
        if let (Some(l), Some(e)) = (l.as_object_mut(), extra.as_object()) {
            l.extend(e.clone());
        }
        json!({"lineItems": [l]})
    };
    // Check 0: the plan must be one the offer sells, a frequency needs its term,
    // a trial needs an offer with one, a date must be a date.
    for (extra, pointer) in [
        (
            json!({"billingFrequency": "monthly"}),
            "/lineItems/0/termDuration",
        ),
        (json!({"termDuration": "P1Y"}), "/lineItems/0/termDuration"),
        (json!({"termDuration": "P2Y"}), "/lineItems/0/termDuration"),
        (json!({"trial": true}), "/lineItems/0/trial"),
        (
            json!({"customTermEndDate": "31/03/2026"}),
            "/lineItems/0/customTermEndDate",
        ),
    ] {
        let r = app.post(&orders, &reseller, line(extra.clone())).await;
        r.problem(422, "validation_failed");
        assert_eq!(
            r.body["errors"][0]["pointer"], pointer,
            "{extra}: {}",
            r.text
        );
    }
    // The dates a P1M term bought today may end on: this month's end, and the
    // term end of the subscription the customer already has.
    let dates = app
        .get(
            &format!("/v1/customers/{cid}/customtermenddates?termDuration=P1M"),
            &reseller,
        )
        .await
        .ok(200)
        .clone();
    let listed: Vec<(&str, &str)> = dates["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| Some((d["date"].as_str()?, d["kind"].as_str()?)))
        .collect();
    assert_eq!(
        listed,
        [
            ("2026-03-31", "calendarMonthEnd"),
            ("2026-04-02", "subscription")
        ],
        "{dates}"
    );
    app.get(
        &format!("/v1/customers/{cid}/customtermenddates"),
        &reseller,
    )
    .await
    .problem(422, "validation_failed");
    // Check 6: any other day is refused, after the quantity check.
    let r = app
        .post(
            &orders,
            &reseller,
            line(json!({"customTermEndDate": "2026-03-30"})),
        )
        .await;
    r.problem(422, "custom_term_end_date_invalid");
    assert_eq!(
        r.body["errors"][0]["pointer"],
        "/lineItems/0/customTermEndDate"
    );
    let mut both_wrong = line(json!({"customTermEndDate": "2026-03-30"}));
    both_wrong["lineItems"][0]["quantity"] = json!(0);
    app.post(&orders, &reseller, both_wrong)
        .await
        .problem(422, "quantity_out_of_range");
    // A coterminous line ends on the chosen day and its first period is prorated:
    // 29 of 31 days of 10.00 is 9.35 per seat.
    let placed = app
        .post(
            &orders,
            &reseller,
            line(json!({"customTermEndDate": "2026-03-31"})),
        )
        .await
        .ok(201)
        .clone();
    let l = &placed["lineItems"][0];
    assert_eq!(l["termEndDate"], "2026-03-31");
    assert_eq!(
        (l["termDuration"].as_str(), l["billingFrequency"].as_str()),
        (Some("P1M"), Some("monthly"))
    );
    assert_eq!(l["trial"], false);
    assert_eq!(placed["total"]["amount"], "37.40", "{placed}");
    let sid = l["subscriptionId"].as_str().expect("sid");
    let sub = app
        .get(
            &format!("/v1/customers/{cid}/subscriptions/{sid}"),
            &reseller,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(sub["commitmentEndDate"], "2026-04-01T00:00:00Z");
    assert_eq!(
        sub["currentBillingPeriod"],
        json!({"start": "2026-03-03", "end": "2026-03-31", "days": 29})
    );
    // Old clients get the offer's default plan.
    let plain = app
        .post(&orders, &reseller, line(json!({})))
        .await
        .ok(201)
        .clone();
    assert_eq!(plain["lineItems"][0]["termEndDate"], "2026-04-02");
    assert_eq!(plain["total"]["amount"], "40.00");
    app.shutdown().await;
}
both!(orders_take_plans_and_coterminous_end_dates, with_test_clock);

fn usd(amount: &str) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

/// A new-commerce catalog: Basic upgrades to Standard and is capped at 50 seats
/// per customer, Phone is an add-on of either, Dynamics has a 30-day trial for up
/// to 25 seats.
pub async fn new_commerce_catalog(app: &TestApp, op_session: &str) {
    let plans = |m1: &str, y1m: &str, y1a: &str| {
        json!([
            {"termDuration": "P1M", "billingPlans": [{"billingFrequency": "monthly", "unitPrice": usd(m1)}]},
            {"termDuration": "P1Y", "billingPlans": [
                {"billingFrequency": "monthly", "unitPrice": usd(y1m)},
                {"billingFrequency": "annual", "unitPrice": usd(y1a)}]}
        ])
    };
    let offer = |id: &str, terms: Value| {
        json!({"id": id, "name": format!("Suite {id}"), "productFamily": "Microsoft 365",
               "terms": terms, "minQuantity": 1, "maxQuantity": 300})
    };
    let mut basic = offer("basic", plans("6.00", "5.00", "60.00"));
    basic["upgradeTargets"] = json!(["standard"]);
    basic["maxQuantityPerCustomer"] = json!(50);
    let mut phone = offer("phone", plans("8.00", "7.00", "84.00"));
    phone["prerequisiteOfferIds"] = json!(["basic", "standard"]);
    let mut dynamics = offer("dynamics", plans("20.00", "18.00", "200.00"));
    dynamics["trial"] = json!({"days": 30, "maxQuantity": 25});
    for o in [
        offer("standard", plans("12.50", "10.00", "120.00")),
        basic,
        phone,
        dynamics,
    ] {
        app.post("/v1/offers", op_session, o).await.ok(201);
    }
}

async fn trials_add_ons_caps_and_upgrades(app: TestApp) {
    let (op, reseller, path, op_session) = bought_with_session(&app, "nce", "97100010", 1).await;
    new_commerce_catalog(&app, &op_session).await;
    let cid = path.split('/').nth(3).expect("cid").to_owned();
    let orders = format!("/v1/customers/{cid}/orders");
    let subs = format!("/v1/customers/{cid}/subscriptions");
    let order = |items: Value| json!({"lineItems": items});
    let sid = |o: &Value, i: usize| {
        format!(
            "{subs}/{}",
            o["lineItems"][i]["subscriptionId"].as_str().expect("sid")
        )
    };

    // An add-on needs its prerequisite: held already, or on a lower line.
    let alone = app
        .post(
            &orders,
            &reseller,
            order(json!([{"lineItemNumber": 0, "offerId": "phone", "quantity": 2}])),
        )
        .await;
    alone.problem(409, "prerequisite_required");
    let first = app
        .post(&orders, &reseller, order(json!([
            {"lineItemNumber": 0, "offerId": "basic", "quantity": 10, "termDuration": "P1Y", "billingFrequency": "monthly"},
            {"lineItemNumber": 1, "offerId": "phone", "quantity": 2}])))
        .await
        .ok(201)
        .clone();
    assert_eq!(first["lineItems"][0]["termEndDate"], "2027-03-02");
    assert_eq!(
        first["total"]["amount"], "66.00",
        "10 × 5.00 + 2 × 8.00: {first}"
    );
    let basic = sid(&first, 0);

    // The seat cap counts every seat the customer holds; the error says what is left.
    let capped = app
        .post(
            &orders,
            &reseller,
            order(json!([{"lineItemNumber": 0, "offerId": "basic", "quantity": 41}])),
        )
        .await;
    capped.problem(409, "customer_seat_limit_exceeded");
    assert_eq!(
        (
            capped.body["offerId"].clone(),
            capped.body["maxQuantityPerCustomer"].clone(),
            capped.body["requestedQuantity"].clone(),
            capped.body["remainingQuantity"].clone()
        ),
        (json!("basic"), json!(50), json!(41), json!(40)),
        "{}",
        capped.text
    );
    assert!(
        capped.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("requested 41 seats exceeds the remaining limit of 40"))
    );
    // Two orders racing for the last 40 seats: one wins.
    let race = |q: i64| order(json!([{"lineItemNumber": 0, "offerId": "basic", "quantity": q}]));
    let (a, b) = tokio::join!(
        app.post(&orders, &reseller, race(30)),
        app.post(&orders, &reseller, race(30))
    );
    let mut codes = [a.status.as_u16(), b.status.as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [201, 409], "{} / {}", a.text, b.text);

    // Trials: within their own seat limit, once per customer, no quantity changes.
    let trial = |q: i64| {
        order(json!([{"lineItemNumber": 0, "offerId": "dynamics", "quantity": q, "trial": true}]))
    };
    app.post(&orders, &reseller, trial(26))
        .await
        .problem(422, "quantity_out_of_range");
    let t = app.post(&orders, &reseller, trial(5)).await.ok(201).clone();
    let l = &t["lineItems"][0];
    assert_eq!(
        (
            l["trial"].clone(),
            l["termDuration"].clone(),
            l["billingFrequency"].clone()
        ),
        (json!(true), json!("P30D"), json!("none"))
    );
    assert_eq!(l["termEndDate"], "2026-04-01");
    assert_eq!(t["total"]["amount"], "0.00");
    app.post(&orders, &reseller, trial(1))
        .await
        .problem(409, "trial_already_used");
    let trial_path = sid(&t, 0);
    let ts = app.get(&trial_path, &reseller).await.ok(200).clone();
    assert_eq!(ts["isTrial"], true);
    assert_eq!(
        ts["refundableQuantity"]["totalQuantity"], 0,
        "a trial has no window"
    );
    for change in [json!({"quantity": 6}), json!({"status": "suspended"})] {
        patch(&app, &trial_path, &reseller, Some(&etag(&ts)), change)
            .await
            .problem(409, "trial_change_not_allowed");
    }
    let convert = format!("{trial_path}/convert");
    let converting = |body: Value, tag: String| post_if_match(&app, &convert, &reseller, tag, body);
    converting(json!({"quantity": 4}), etag(&ts))
        .await
        .problem(422, "quantity_out_of_range");
    let paid = converting(
        json!({"termDuration": "P1Y", "billingFrequency": "annual", "quantity": 6}),
        etag(&ts),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        (
            paid["isTrial"].clone(),
            paid["termDuration"].clone(),
            paid["billingFrequency"].clone()
        ),
        (json!(false), json!("P1Y"), json!("annual"))
    );
    assert_eq!(paid["termEndDate"], "2027-03-02");
    assert_eq!(paid["quantity"], 6);
    assert_eq!(paid["refundableQuantity"]["totalQuantity"], 6);
    assert_eq!(paid["prices"]["providerToReseller"], usd("200.00"));
    converting(json!({}), etag(&paid))
        .await
        .problem(409, "invalid_state");

    // Upgrades: only to a target, some seats into a new subscription, then the rest.
    let b = app.get(&basic, &reseller).await.ok(200).clone();
    let options = app
        .get(&format!("{basic}/upgrades"), &reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(options["items"][0]["targetOfferId"], "standard");
    assert_eq!(options["items"][0]["eligible"], true, "{options}");
    let upgrades = format!("{basic}/upgrades");
    let upgrading = |body: Value, tag: String| post_if_match(&app, &upgrades, &reseller, tag, body);
    upgrading(json!({"targetOfferId": "phone"}), etag(&b))
        .await
        .problem(409, "upgrade_not_allowed");
    upgrading(
        json!({"targetOfferId": "standard", "quantity": 11}),
        etag(&b),
    )
    .await
    .problem(422, "validation_failed");
    let partial = upgrading(
        json!({"targetOfferId": "standard", "quantity": 4}),
        etag(&b),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(partial["kind"], "partial");
    assert_eq!(partial["source"]["quantity"], 6);
    assert_eq!(partial["target"]["offerId"], "standard");
    assert_eq!(partial["target"]["quantity"], 4);
    assert_eq!(partial["target"]["termEndDate"], "2027-03-02");
    assert_eq!(partial["target"]["sourceSubscriptionId"], b["id"]);
    assert_eq!(
        partial["target"]["prices"]["providerToReseller"],
        usd("10.00")
    );
    assert_eq!(partial["target"]["refundableQuantity"]["totalQuantity"], 0);
    let full = upgrading(
        json!({"targetOfferId": "standard"}),
        etag(&partial["source"]),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(full["kind"], "full");
    assert_eq!(full["source"]["id"], b["id"]);
    assert_eq!(full["source"]["offerId"], "standard");
    assert_eq!(full["source"]["refundableQuantity"]["totalQuantity"], 0);
    // The next term may move back down to an offer that lists it as a target.
    let down = patch(&app, &basic, &reseller, Some(&etag(&full["source"])),
        json!({"scheduledNextTermInstructions": {"offerId": "basic", "termDuration": "P1Y", "billingFrequency": "monthly", "quantity": 6}}))
        .await
        .ok(200)
        .clone();
    assert_eq!(down["scheduledNextTermInstructions"]["offerId"], "basic");
    let _ = op;
    app.shutdown().await;
}
both!(trials_add_ons_caps_and_upgrades, with_test_clock);

async fn trials_convert_and_add_ons_expire_at_tau(app: TestApp) {
    let (op, reseller, path, op_session) = bought_with_session(&app, "tau", "97100011", 1).await;
    new_commerce_catalog(&app, &op_session).await;
    let cid = path.split('/').nth(3).expect("cid").to_owned();
    let orders = format!("/v1/customers/{cid}/orders");
    let subs = format!("/v1/customers/{cid}/subscriptions");
    let one = |offer: &str, extra: Value| {
        let mut l = json!({"lineItemNumber": 0, "offerId": offer, "quantity": 3});
        if let (Some(l), Some(e)) = (l.as_object_mut(), extra.as_object()) {
            l.extend(e.clone());
        }
        json!({"lineItems": [l]})
    };
    let placed = |o: Value| {
        format!(
            "{subs}/{}",
            o["lineItems"][0]["subscriptionId"].as_str().expect("sid")
        )
    };
    let basic = placed(
        app.post(&orders, &reseller, one("basic", json!({})))
            .await
            .ok(201)
            .clone(),
    );
    advance(&app, &op, 2).await;
    let phone = placed(
        app.post(&orders, &reseller, one("phone", json!({})))
            .await
            .ok(201)
            .clone(),
    );
    let trial = placed(
        app.post(&orders, &reseller, one("dynamics", json!({"trial": true})))
            .await
            .ok(201)
            .clone(),
    );
    // Basic will not renew, so at τ the add-on has no prerequisite left.
    let b = app.get(&basic, &reseller).await.ok(200).clone();
    patch(
        &app,
        &basic,
        &reseller,
        Some(&etag(&b)),
        json!({"autoRenewEnabled": false}),
    )
    .await
    .ok(200);
    // The trial ends 2026-04-01: at τ (04-02) it converts onto the default plan.
    set_clock(&app, &op, "2026-04-02T00:00:00Z").await;
    let counts = run_jobs(&app, &op).await;
    assert_eq!(counts["converted"], 1, "{counts}");
    let converted = app.get(&trial, &reseller).await.ok(200).clone();
    assert_eq!(
        (
            converted["isTrial"].clone(),
            converted["termDuration"].clone()
        ),
        (json!(false), json!("P1M"))
    );
    assert_eq!(converted["termStartDate"], "2026-04-02T00:00:00Z");
    assert_eq!(converted["termEndDate"], "2026-05-01");
    assert_eq!(converted["quantity"], 3);
    assert_eq!(converted["refundableQuantity"]["totalQuantity"], 3);
    set_clock(&app, &op, "2026-04-03T00:00:00Z").await;
    let counts = run_jobs(&app, &op).await;
    assert_eq!(counts["expired"], 2, "basic, then its add-on: {counts}");
    assert_eq!(
        app.get(&phone, &reseller).await.ok(200)["status"],
        "expired"
    );
    app.shutdown().await;
}
both!(trials_convert_and_add_ons_expire_at_tau, with_test_clock);
