//! API.md §10 and §9.3: orders, subscriptions, licenses and credit.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::catalog::offer;
use crate::customers::{Connected, connected, new_tenant, org_of};
use crate::helpers::{Resp, TestApp};
use crate::users::{add_signed_in_user, futures_join};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The catalog of these tests: two Microsoft 365 offers (one for admin agents
/// only), an Azure offer the provider is not authorised for, and one to retire.
pub async fn catalog(app: &TestApp, op: &str) {
    let mut admin_only = offer("m365-admin", "Microsoft 365", "20");
    admin_only["requiresAdminAgent"] = json!(true);
    for o in [
        offer("m365", "Microsoft 365", "10"),
        admin_only,
        offer("azure", "Azure", "5"),
        offer("old", "Microsoft 365", "1"),
    ] {
        app.post("/v1/offers", op, o).await.ok(201);
    }
}

/// A customer that accepted the reseller and its provider, with delegated admin.
pub async fn three_way_customer(app: &TestApp, c: &Connected, prefix: &str) -> (String, String) {
    let req = app
        .post(
            "/v1/customers/relationshiprequests",
            &c.reseller,
            json!({"indirectProviderId": c.provider_org, "includeDelegatedAdmin": true}),
        )
        .await
        .ok(201)
        .clone();
    let token = req["url"]
        .as_str()
        .and_then(|u| u.split("token=").nth(1))
        .expect("token")
        .to_owned();
    let customer = new_tenant(app, prefix).await;
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &customer,
        json!({"token": token, "consent": {"acceptReseller": true, "acceptIndirectProvider": true, "grantDelegatedAdmin": true}}),
    )
    .await
    .ok(200);
    let org = org_of(app, &customer).await;
    (customer, org)
}

pub fn lines(items: &[(&str, i64)]) -> Value {
    json!({"lineItems": items.iter().enumerate().map(|(i, (o, q))| json!({"lineItemNumber": i, "offerId": o, "quantity": q})).collect::<Vec<_>>()})
}

pub async fn patch(
    app: &TestApp,
    path: &str,
    token: &str,
    etag: Option<&str>,
    body: Value,
) -> Resp {
    let mut req = app
        .client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(&body);
    if let Some(e) = etag {
        req = req.header("If-Match", format!("\"{e}\""));
    }
    TestApp::read(req.send().await.expect("send")).await
}

async fn orders_follow_the_checks_in_their_order(app: TestApp) {
    let op = app.operator_token().await;
    catalog(&app, &op).await;
    let c = connected(&app, &op, "com-a", "97000001").await;
    let (_, cid) = three_way_customer(&app, &c, "shop-a").await;
    let orders = format!("/v1/customers/{cid}/orders");
    let (_, helpdesk) =
        add_signed_in_user(&app, &c.reseller, "hd@com-a.example", &["helpdeskAgent"]).await;

    app.post(&orders, &helpdesk, lines(&[("m365", 1)]))
        .await
        .problem(403, "forbidden");
    // 0. Validation.
    app.post(&orders, &c.reseller, json!({"lineItems": []}))
        .await
        .problem(422, "validation_failed");
    let dup = app
        .post(
            &orders,
            &c.reseller,
            json!({"lineItems": [{"lineItemNumber": 0, "offerId": "m365", "quantity": 1}, {"lineItemNumber": 0, "offerId": "m365", "quantity": 1}]}),
        )
        .await;
    dup.problem(422, "validation_failed");
    assert_eq!(
        dup.body["errors"][0]["pointer"],
        "/lineItems/1/lineItemNumber"
    );
    let unknown = app
        .post(&orders, &c.reseller, lines(&[("m365", 1), ("nope", 1)]))
        .await;
    unknown.problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["pointer"], "/lineItems/1/offerId");
    app.post(&orders, &c.provider, lines(&[("m365", 1)]))
        .await
        .problem(422, "validation_failed");
    // 1. The caller's relationship with the customer.
    let other = new_tenant(&app, "shop-x").await;
    let other_org = org_of(&app, &other).await;
    app.post(
        &format!("/v1/customers/{other_org}/orders"),
        &c.reseller,
        lines(&[("m365", 1)]),
    )
    .await
    .problem(404, "not_found");
    // 2. The supplying relationship.
    let mut with_provider = lines(&[("m365", 1)]);
    with_provider["indirectProviderId"] = json!("org_unknown");
    app.post(&orders, &c.reseller, with_provider)
        .await
        .problem(403, "relationship_required");
    // 3. The provider's authorisation.
    app.post(&orders, &c.reseller, lines(&[("m365", 1), ("azure", 1)]))
        .await
        .problem(403, "provider_not_authorized");
    // 4. Availability, then quantities.
    app.delete("/v1/offers/old", &op).await.ok(204);
    app.post(&orders, &c.reseller, lines(&[("old", 1)]))
        .await
        .problem(409, "offer_not_available");
    let range = app.post(&orders, &c.reseller, lines(&[("m365", 0)])).await;
    range.problem(422, "quantity_out_of_range");
    assert_eq!(range.body["errors"][0]["pointer"], "/lineItems/0/quantity");
    assert_eq!(app.get(&orders, &c.reseller).await.ok(200)["totalCount"], 0);

    // A reseller's order, then its provider's for the same customer.
    let placed = app
        .post(
            &orders,
            &c.reseller,
            lines(&[("m365", 5), ("m365-admin", 2)]),
        )
        .await;
    let order = placed.ok(201).clone();
    assert_eq!(order["status"], "completed");
    assert_eq!(
        order["total"],
        json!({"amount": "90.00", "currency": "USD"})
    );
    assert_eq!(order["indirectProviderId"], c.provider_org.as_str());
    assert_eq!(order["lineItems"].as_array().map(Vec::len), Some(2));
    let mut for_reseller = lines(&[("m365", 1)]);
    for_reseller["resellerOrganizationId"] = json!(c.reseller_org);
    let by_provider = app.post(&orders, &c.provider, for_reseller.clone()).await;
    assert_eq!(
        by_provider.ok(201)["placedBy"]["organizationId"],
        c.provider_org.as_str()
    );
    assert_eq!(
        by_provider.body["resellerOrganizationId"],
        c.reseller_org.as_str()
    );
    // A provider cannot order for a reseller it is not connected to.
    let mut stranger = lines(&[("m365", 1)]);
    stranger["resellerOrganizationId"] = json!(other_org);
    app.post(&orders, &c.provider, stranger)
        .await
        .problem(403, "relationship_required");

    let subs = app
        .get(&format!("/v1/customers/{cid}/subscriptions"), &c.reseller)
        .await;
    assert_eq!(subs.ok(200)["totalCount"], 3);
    // Each order leaves its event in the outbox, in the order's own transaction.
    let mut conn = app.app.db().conn().await.expect("conn");
    let events: Vec<String> = partnerd_store::query(
        "SELECT payload FROM outbox WHERE kind = 'event' AND topic = 'order.created' ORDER BY created_at",
    )
    .fetch_all_scalar(&mut conn)
    .await
    .expect("events");
    drop(conn);
    assert_eq!(events.len(), 2);
    let event: Value = serde_json::from_str(&events[0]).expect("event json");
    assert_eq!(event["data"]["resourceId"], order["id"]);
    assert!(
        event["participants"]
            .as_array()
            .is_some_and(|p| p.contains(&json!(cid)))
    );
    let id = order["id"].as_str().expect("id");
    let read = app.get(&format!("{orders}/{id}"), &c.provider).await;
    assert_eq!(read.ok(200)["total"]["amount"], "90.00");
    // The customer reads its own subscriptions; others see nothing.
    let customer_view = app
        .get(&format!("/v1/customers/{cid}/subscriptions"), &other)
        .await;
    customer_view.problem(404, "not_found");

    // Idempotency: replay returns the identical body; another body is refused.
    let send = |body: Value| {
        let req = app
            .client
            .post(app.url(&orders))
            .bearer_auth(&c.reseller)
            .header("Idempotency-Key", "order-42")
            .json(&body);
        async move { TestApp::read(req.send().await.expect("send")).await }
    };
    let first = send(lines(&[("m365", 3)])).await;
    first.ok(201);
    let again = send(lines(&[("m365", 3)])).await;
    assert_eq!(again.status.as_u16(), 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);
    send(lines(&[("m365", 4)]))
        .await
        .problem(422, "idempotency_key_reused");
    assert_eq!(app.get(&orders, &c.reseller).await.ok(200)["totalCount"], 3);

    // Credit: the provider's limit caps what the reseller's subscriptions add up to.
    let rel = app.get("/v1/relationships", &c.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    let credit = format!("/v1/relationships/{rel}/creditlimit");
    let used = app.get(&credit, &c.provider).await.ok(200)["used"]["amount"].clone();
    assert_eq!(used, "130.00");
    app.call(
        Method::PUT,
        &credit,
        Some(&c.provider),
        Some(json!({"limit": {"amount": "200.00", "currency": "USD"}})),
    )
    .await
    .ok(200);
    let over = app.post(&orders, &c.reseller, lines(&[("m365", 8)])).await;
    over.problem(409, "credit_limit_exceeded");
    assert!(
        over.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("200.00"))
    );
    // In parallel, orders of 10.00 each: exactly seven fit into the 70.00 left.
    let results = futures_join((0..12).map(|_| {
        let app = &app;
        let orders = orders.clone();
        let token = c.reseller.clone();
        async move { app.post(&orders, &token, lines(&[("m365", 1)])).await }
    }))
    .await;
    let ok = results.iter().filter(|r| r.status.as_u16() == 201).count();
    let refused = results
        .iter()
        .filter(|r| r.status.as_u16() == 409 && r.body["code"] == "credit_limit_exceeded")
        .count();
    assert_eq!((ok, refused), (7, 5), "{results:?}");
    let after = app.get(&credit, &c.reseller).await.ok(200).clone();
    assert_eq!(
        (
            after["used"]["amount"].as_str(),
            after["available"]["amount"].as_str()
        ),
        (Some("200.00"), Some("0.00"))
    );
    // Ending the customer relationship is refused while subscriptions run.
    app.post(
        &format!("/v1/customers/{cid}/relationship/terminate"),
        &c.reseller,
        json!({}),
    )
    .await
    .problem(409, "active_subscriptions");
    // Once the provider relationship ends, nothing grows through it any more.
    app.post(
        &format!("/v1/relationships/{rel}/terminate"),
        &c.reseller,
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(
        app.get(&credit, &c.provider).await.ok(200)["limit"],
        Value::Null
    );
    app.post(&orders, &c.reseller, lines(&[("m365", 1)]))
        .await
        .problem(403, "relationship_required");
    let sid = order["lineItems"][0]["subscriptionId"]
        .as_str()
        .expect("sid");
    let path = format!("/v1/customers/{cid}/subscriptions/{sid}");
    let sub = app.get(&path, &c.reseller).await.ok(200).clone();
    patch(
        &app,
        &path,
        &c.reseller,
        sub["etag"].as_str(),
        json!({"quantity": 6}),
    )
    .await
    .problem(403, "relationship_required");
    // Lowering still works: existing subscriptions continue unchanged.
    patch(
        &app,
        &path,
        &c.reseller,
        sub["etag"].as_str(),
        json!({"quantity": 4}),
    )
    .await
    .ok(200);
    app.shutdown().await;
}
both!(orders_follow_the_checks_in_their_order);

async fn subscriptions_follow_their_state_machine(app: TestApp) {
    let op = app.operator_token().await;
    catalog(&app, &op).await;
    let c = connected(&app, &op, "com-b", "97000002").await;
    let (customer, cid) = three_way_customer(&app, &c, "shop-b").await;
    let order = app
        .post(
            &format!("/v1/customers/{cid}/orders"),
            &c.reseller,
            lines(&[("m365", 5), ("m365", 2)]),
        )
        .await
        .ok(201)
        .clone();
    let sid = order["lineItems"][0]["subscriptionId"]
        .as_str()
        .expect("sid")
        .to_owned();
    let other_sid = order["lineItems"][1]["subscriptionId"]
        .as_str()
        .expect("sid")
        .to_owned();
    let path = format!("/v1/customers/{cid}/subscriptions/{sid}");
    let sub = app.get(&path, &c.reseller).await.ok(200).clone();
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["autoRenewEnabled"], true);
    let etag_of = |v: &Value| v["etag"].as_str().expect("etag").to_owned();

    patch(&app, &path, &c.reseller, None, json!({"quantity": 6}))
        .await
        .problem(428, "precondition_required");
    patch(
        &app,
        &path,
        &c.reseller,
        Some("stale"),
        json!({"quantity": 6}),
    )
    .await
    .problem(412, "precondition_failed");
    patch(
        &app,
        &path,
        &customer,
        Some(&etag_of(&sub)),
        json!({"quantity": 6}),
    )
    .await
    .problem(403, "forbidden");
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"quantity": 301}),
    )
    .await
    .problem(422, "quantity_out_of_range");
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"status": "paused"}),
    )
    .await
    .problem(422, "validation_failed");
    let sub = patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"quantity": 6, "friendlyName": "Sales team"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        (sub["quantity"].as_i64(), sub["friendlyName"].as_str()),
        (Some(6), Some("Sales team"))
    );
    let sub = patch(
        &app,
        &path,
        &c.provider,
        Some(&etag_of(&sub)),
        json!({"status": "suspended"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        sub["suspendedBy"]["organizationId"],
        c.provider_org.as_str()
    );
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"quantity": 7}),
    )
    .await
    .problem(409, "subscription_not_active");
    let sub = patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"status": "active"}),
    )
    .await
    .ok(200)
    .clone();
    // The operator's suspension is lifted only by the operator.
    let sub = patch(
        &app,
        &path,
        &op,
        Some(&etag_of(&sub)),
        json!({"status": "suspended"}),
    )
    .await
    .ok(200)
    .clone();
    patch(
        &app,
        &path,
        &op,
        Some(&etag_of(&sub)),
        json!({"quantity": 3}),
    )
    .await
    .problem(403, "forbidden");
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"status": "active"}),
    )
    .await
    .problem(403, "forbidden");
    let sub = patch(
        &app,
        &path,
        &op,
        Some(&etag_of(&sub)),
        json!({"status": "active"}),
    )
    .await
    .ok(200)
    .clone();
    // Credit blocks increases; lowering below what is used is allowed.
    let rel = app.get("/v1/relationships", &c.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    app.call(
        Method::PUT,
        &format!("/v1/relationships/{rel}/creditlimit"),
        Some(&c.provider),
        Some(json!({"limit": {"amount": "50.00", "currency": "USD"}})),
    )
    .await
    .ok(200);
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"quantity": 7}),
    )
    .await
    .problem(409, "credit_limit_exceeded");
    let sub = patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"quantity": 4}),
    )
    .await
    .ok(200)
    .clone();
    app.delete(&format!("/v1/relationships/{rel}/creditlimit"), &c.provider)
        .await
        .ok(204);
    // A retired offer cannot grow.
    app.delete("/v1/offers/m365", &op).await.ok(204);
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"quantity": 5}),
    )
    .await
    .problem(409, "offer_not_available");
    let history = app.get(&format!("{path}/history"), &c.reseller).await;
    let fields: Vec<&str> = history.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|h| h["change"]["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"quantity")
            && fields.contains(&"status")
            && fields.contains(&"friendlyName"),
        "{fields:?}"
    );
    // The customer's GA reads its subscriptions.
    assert_eq!(
        app.get(&format!("/v1/customers/{cid}/subscriptions"), &customer)
            .await
            .ok(200)["totalCount"],
        2
    );

    // A cancel inside the window deletes; deleted is terminal.
    let sub = patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"status": "cancelled"}),
    )
    .await
    .ok(200)
    .clone();
    assert!(sub["cancelledAt"].is_string());
    assert_eq!(sub["status"], "deleted");
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag_of(&sub)),
        json!({"autoRenewEnabled": false}),
    )
    .await
    .problem(409, "subscription_cancelled");

    // At term end: auto-renew on renews only while the offer is available; off expires.
    let other = format!("/v1/customers/{cid}/subscriptions/{other_sid}");
    let o = app.get(&other, &c.reseller).await.ok(200).clone();
    let end = o["commitmentEndDate"].as_str().expect("end").to_owned();
    app.app.clock().advance(32 * DAY_MS);
    let done = app.app.run_system_events_once().await.expect("job");
    assert_eq!((done.renewed, done.expired), (0, 1), "{done:?}");
    let reseller = app
        .sign_in("gina@com-b.example", crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let expired = app.get(&other, &reseller).await.ok(200).clone();
    assert_eq!(expired["status"], "expired", "the offer was retired: {end}");
    app.shutdown().await;
}
both!(subscriptions_follow_their_state_machine);

async fn licenses_never_exceed_the_seats(app: TestApp) {
    let op = app.operator_token().await;
    catalog(&app, &op).await;
    let c = connected(&app, &op, "com-c", "97000003").await;
    let (_, cid) = three_way_customer(&app, &c, "shop-c").await;
    let (_, helpdesk) =
        add_signed_in_user(&app, &c.reseller, "hd@com-c.example", &["helpdeskAgent"]).await;
    let order = app
        .post(
            &format!("/v1/customers/{cid}/orders"),
            &c.reseller,
            lines(&[("m365", 5), ("m365-admin", 1)]),
        )
        .await
        .ok(201)
        .clone();
    let sid = order["lineItems"][0]["subscriptionId"]
        .as_str()
        .expect("sid")
        .to_owned();
    let mut users = Vec::new();
    for i in 0..12 {
        let u = app
            .post(
                &format!("/v1/customers/{cid}/users"),
                &c.reseller,
                json!({"email": format!("u{i}@shop-c.example"), "firstName": "U", "lastName": format!("{i}")}),
            )
            .await
            .ok(201)["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        users.push(u);
    }
    let update = |uid: &str| format!("/v1/customers/{cid}/users/{uid}/licenseupdates");
    let assign = |o: &str| json!({"licensesToAssign": [{"offerId": o}]});

    // Validation, all or nothing.
    app.post(&update(&users[0]), &c.reseller, json!({}))
        .await
        .problem(422, "validation_failed");
    app.post(&update(&users[0]), &c.reseller, json!({"licensesToAssign": [{"offerId": "m365"}], "licensesToRemove": [{"offerId": "m365"}]}))
        .await
        .problem(422, "validation_failed");
    app.post(
        &update(&users[0]),
        &c.reseller,
        json!({"licensesToRemove": [{"offerId": "m365"}]}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(&update(&users[0]), &c.reseller, assign("nope"))
        .await
        .problem(422, "validation_failed");
    // Helpdesk agents leave "requires admin agent" offers alone.
    app.post(&update(&users[0]), &helpdesk, assign("m365-admin"))
        .await
        .problem(403, "requires_admin_agent");
    app.post(
        &update(&users[0]),
        &helpdesk,
        json!({"licensesToAssign": [{"offerId": "m365"}, {"offerId": "m365-admin"}]}),
    )
    .await
    .problem(403, "requires_admin_agent");

    // Twelve parallel assignments of five seats: exactly five succeed.
    let results = futures_join(users.iter().map(|u| {
        let app = &app;
        let path = update(u);
        let token = c.reseller.clone();
        async move {
            app.post(
                &path,
                &token,
                json!({"licensesToAssign": [{"offerId": "m365"}]}),
            )
            .await
        }
    }))
    .await;
    let ok = results.iter().filter(|r| r.status.as_u16() == 200).count();
    let full = results
        .iter()
        .filter(|r| r.status.as_u16() == 409 && r.body["code"] == "license_quota_exceeded")
        .count();
    assert_eq!((ok, full), (5, 7), "{results:?}");
    let skus = app
        .get(&format!("/v1/customers/{cid}/subscribedskus"), &c.provider)
        .await;
    let m365 = skus.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["offerId"] == "m365")
        .expect("m365")
        .clone();
    assert_eq!(
        (
            &m365["totalUnits"],
            &m365["assignedUnits"],
            &m365["availableUnits"],
            &m365["suspendedUnits"]
        ),
        (&json!(5), &json!(5), &json!(0), &json!(0))
    );
    let holder = users
        .iter()
        .zip(&results)
        .find(|(_, r)| r.status.as_u16() == 200)
        .map(|(u, _)| u.clone())
        .expect("a holder");
    app.post(&update(&holder), &c.reseller, assign("m365"))
        .await
        .problem(422, "validation_failed");
    let held = app
        .get(
            &format!("/v1/customers/{cid}/users/{holder}/licenses"),
            &helpdesk,
        )
        .await;
    assert_eq!(held.ok(200)["items"][0]["offerId"], "m365");

    // Seats cannot drop below what is assigned.
    let path = format!("/v1/customers/{cid}/subscriptions/{sid}");
    let sub = app.get(&path, &c.reseller).await.ok(200).clone();
    assert_eq!(sub["assignedLicenses"], 5);
    let etag = sub["etag"].as_str().expect("etag").to_owned();
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag),
        json!({"quantity": 4}),
    )
    .await
    .problem(409, "quantity_below_assigned");
    patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag),
        json!({"status": "cancelled"}),
    )
    .await
    .problem(409, "quantity_below_assigned");
    // Suspended seats stay assigned and count as suspended.
    let sub = patch(
        &app,
        &path,
        &c.reseller,
        Some(&etag),
        json!({"status": "suspended"}),
    )
    .await
    .ok(200)
    .clone();
    let skus = app
        .get(&format!("/v1/customers/{cid}/subscribedskus"), &c.reseller)
        .await;
    let m365 = skus.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["offerId"] == "m365")
        .expect("m365")
        .clone();
    assert_eq!(
        (
            &m365["totalUnits"],
            &m365["assignedUnits"],
            &m365["suspendedUnits"]
        ),
        (&json!(0), &json!(5), &json!(5))
    );
    patch(
        &app,
        &path,
        &c.reseller,
        Some(sub["etag"].as_str().expect("etag")),
        json!({"status": "active"}),
    )
    .await
    .ok(200);
    // Deleting a user releases its licenses; removing frees a seat.
    app.delete(&format!("/v1/customers/{cid}/users/{holder}"), &c.reseller)
        .await
        .ok(204);
    let skus = app
        .get(&format!("/v1/customers/{cid}/subscribedskus"), &c.reseller)
        .await;
    assert!(
        skus.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|s| s["offerId"] == "m365" && s["availableUnits"] == 1)
    );
    let audit = app
        .get("/v1/auditrecords?operationType=updateLicenses", &c.reseller)
        .await;
    assert_eq!(
        audit.ok(200)["items"][0]["onBehalfOf"]["organizationId"],
        cid.as_str()
    );
    // At term end an auto-renewing subscription starts a new term at today's price.
    app.call(
        Method::PATCH,
        "/v1/offers/m365",
        Some(&op),
        Some(json!({"unitPrice": {"amount": "12.00", "currency": "USD"}})),
    )
    .await
    .ok(200);
    let before = app.get(&path, &c.reseller).await.ok(200).clone();
    app.app.clock().advance(32 * DAY_MS);
    let done = app.app.run_system_events_once().await.expect("job");
    assert_eq!((done.renewed, done.expired), (2, 0), "{done:?}");
    let reseller = app
        .sign_in("gina@com-c.example", crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let renewed = app.get(&path, &reseller).await.ok(200).clone();
    assert_eq!(renewed["status"], "active");
    assert_eq!(renewed["unitPrice"]["amount"], "12.00");
    assert_eq!(renewed["termStartDate"], before["commitmentEndDate"]);
    assert!(renewed["commitmentEndDate"].as_str() > before["commitmentEndDate"].as_str());
    app.shutdown().await;
}
both!(licenses_never_exceed_the_seats);
