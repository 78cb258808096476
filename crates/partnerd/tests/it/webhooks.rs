//! API.md §14: webhooks — registration, signed deliveries, retries after a receiver
//! outage without loss, secret rotation, the delivery log and redelivery.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

/// What the receiver saw: (headers, body) per request.
pub(crate) type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on loopback that answers `statuses` in turn, then 200.
pub(crate) async fn receiver(statuses: Vec<u16>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let script = Arc::new(Mutex::new(statuses.into_iter()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let log = log.clone();
            let script = script.clone();
            async move {
                log.lock().expect("log").push((headers, body));
                let status = script.lock().expect("script").next().unwrap_or(200);
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

/// Checks `Partnerd-Signature` against a secret with the documented formula.
fn verifies(headers: &HeaderMap, body: &str, secret: &str) -> bool {
    use hmac::{Hmac, KeyInit, Mac};
    let sig = headers
        .get("partnerd-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let t = sig
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .unwrap_or_default();
    sig.split(',')
        .filter_map(|p| p.strip_prefix("v1="))
        .any(|v1| {
            let mut mac =
                <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(format!("{t}.{body}").as_bytes());
            hex::encode(mac.finalize().into_bytes()) == v1
        })
}

/// Fans the outbox out and runs delivery passes until nothing more is due now
/// (a pass takes at most 8 deliveries).
pub(crate) async fn deliver(app: &TestApp) {
    app.drain_mail().await;
    loop {
        let o = app
            .app
            .run_webhook_deliveries_once()
            .await
            .expect("deliveries");
        if o.succeeded + o.failed + o.retrying == 0 {
            break;
        }
    }
}

async fn webhooks_are_signed_retried_and_never_lost(app: TestApp) {
    let op = app.operator_token().await;
    let (url, seen) = receiver(vec![500, 500, 500]).await;
    let c = crate::customers::connected(&app, &op, "wh-res", "94100001").await;
    let partner = c.provider.clone();
    app.post(
        "/v1/webhooks",
        &partner,
        json!({"url": "http://example.com/hook", "events": ["*"]}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        "/v1/webhooks",
        &partner,
        json!({"url": url, "events": ["order.placed"]}),
    )
    .await
    .problem(422, "validation_failed");
    let created = app
        .post("/v1/webhooks", &partner, json!({"url": url, "events": ["webhook.test", "creditLimit.updated"], "description": "ERP"}))
        .await;
    let hook = created.ok(201).clone();
    let secret = hook["secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_str().expect("id").to_owned();
    let read = app.get(&format!("/v1/webhooks/{id}"), &partner).await;
    assert!(read.ok(200).get("secret").is_none());

    // The receiver is down three times, then recovers: the event arrives exactly once more.
    let test = app
        .post(&format!("/v1/webhooks/{id}/test"), &partner, json!({}))
        .await;
    assert_eq!(test.status.as_u16(), 202);
    for _ in 0..3 {
        deliver(&app).await;
        app.app.clock().advance(3 * 60 * 1000);
    }
    let log = app
        .get(&format!("/v1/webhooks/{id}/deliveries"), &partner)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        (
            log["items"][0]["status"].as_str(),
            log["items"][0]["attempt"].as_i64()
        ),
        (Some("pending"), Some(3))
    );
    deliver(&app).await;
    deliver(&app).await;
    let requests = seen.lock().expect("seen").clone();
    assert_eq!(
        requests.len(),
        4,
        "three failures and one success, nothing more"
    );
    let (headers, body) = &requests[3];
    assert!(verifies(headers, body, &secret), "signature verifies");
    assert!(
        !verifies(headers, body, "whsec_wrong"),
        "a wrong secret fails"
    );
    assert_eq!(
        headers
            .get("partnerd-event-type")
            .and_then(|v| v.to_str().ok()),
        Some("webhook.test")
    );
    assert_eq!(
        headers
            .get("partnerd-delivery-attempt")
            .and_then(|v| v.to_str().ok()),
        Some("4")
    );
    let event: Value = serde_json::from_str(body).expect("json body");
    assert_eq!(
        requests
            .iter()
            .filter(|(h, _)| h.get("partnerd-event-id") == headers.get("partnerd-event-id"))
            .count(),
        4
    );
    assert_eq!(event["type"], "webhook.test");
    let log = app
        .get(
            &format!("/v1/webhooks/{id}/deliveries?status=succeeded"),
            &partner,
        )
        .await;
    assert_eq!(log.ok(200)["totalCount"], 1);

    // Events of the organisation's own changes fan out from the outbox.
    let rel = app.get("/v1/relationships", &partner).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    app.call(
        reqwest::Method::PUT,
        &format!("/v1/relationships/{rel}/creditlimit"),
        Some(&partner),
        Some(json!({"limit": {"amount": "100.00", "currency": "USD"}})),
    )
    .await
    .ok(200);
    deliver(&app).await;
    let (headers, body) = seen
        .lock()
        .expect("seen")
        .last()
        .cloned()
        .expect("a request");
    assert_eq!(
        headers
            .get("partnerd-event-type")
            .and_then(|v| v.to_str().ok()),
        Some("creditLimit.updated")
    );
    let event: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(event["data"]["limit"]["amount"], "100.00");
    assert_eq!(
        event["data"]["resourceUrl"],
        format!("/v1/relationships/{rel}/creditlimit")
    );

    // Rotation: during the grace period both secrets sign.
    let rotated = app
        .post(
            &format!("/v1/webhooks/{id}/rotatesecret"),
            &partner,
            json!({"graceSeconds": 600}),
        )
        .await;
    let new_secret = rotated.ok(200)["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    app.post(&format!("/v1/webhooks/{id}/test"), &partner, json!({}))
        .await;
    deliver(&app).await;
    let (headers, body) = seen
        .lock()
        .expect("seen")
        .last()
        .cloned()
        .expect("a request");
    assert!(verifies(&headers, &body, &new_secret) && verifies(&headers, &body, &secret));
    app.app.clock().advance(601 * 1000);
    app.post(&format!("/v1/webhooks/{id}/test"), &partner, json!({}))
        .await;
    deliver(&app).await;
    let (headers, body) = seen
        .lock()
        .expect("seen")
        .last()
        .cloned()
        .expect("a request");
    assert!(verifies(&headers, &body, &new_secret) && !verifies(&headers, &body, &secret));
    app.shutdown().await;
}
both!(webhooks_are_signed_retried_and_never_lost, |mut c| {
    c.app.dev_mode = true;
    c
});

async fn a_delivery_gives_up_after_twelve_attempts_and_can_be_redelivered(app: TestApp) {
    let op = app.operator_token().await;
    let (url, seen) = receiver(vec![503; 12]).await;
    let c = crate::customers::connected(&app, &op, "wg-res", "94200001").await;
    let hook = app
        .post(
            "/v1/webhooks",
            &c.provider,
            json!({"url": url, "events": ["webhook.test"]}),
        )
        .await
        .ok(201)
        .clone();
    let id = hook["id"].as_str().expect("id").to_owned();
    app.post(&format!("/v1/webhooks/{id}/test"), &c.provider, json!({}))
        .await;
    for _ in 0..12 {
        deliver(&app).await;
        app.app.clock().advance(7 * 3600 * 1000);
    }
    assert_eq!(seen.lock().expect("seen").len(), 12);
    let token = app
        .sign_in("admin@dist-wg-res.example", crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let failed = app
        .get(
            &format!("/v1/webhooks/{id}/deliveries?status=failed"),
            &token,
        )
        .await;
    assert_eq!(failed.ok(200)["totalCount"], 1);
    let did = failed.body["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // What waits lists the failed delivery with the call that unblocks it.
    let waiting = app.get("/v1/attention", &token).await.ok(200).clone();
    let item = waiting["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["kind"] == "webhookDeliveryFailed")
        .expect("the failed delivery")
        .clone();
    assert_eq!(item["resourceId"], did.as_str());
    assert_eq!(item["action"]["method"], "POST");
    assert_eq!(
        item["action"]["href"],
        format!("/v1/webhooks/{id}/deliveries/{did}/redeliver")
    );
    let again = app
        .post(
            &format!("/v1/webhooks/{id}/deliveries/{did}/redeliver"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(again.ok(200)["status"], "pending");
    app.post(
        &format!("/v1/webhooks/{id}/deliveries/{did}/redeliver"),
        &token,
        json!({}),
    )
    .await
    .problem(409, "invalid_state");
    deliver(&app).await;
    assert_eq!(seen.lock().expect("seen").len(), 13);
    let done = app
        .get(
            &format!("/v1/webhooks/{id}/deliveries?status=succeeded"),
            &token,
        )
        .await;
    assert_eq!(done.ok(200)["totalCount"], 1);
    // An invitation nobody answers shows up three days before it expires.
    app.post(
        "/v1/resellerinvitations",
        &token,
        json!({"email": "late@nobody.example"}),
    )
    .await
    .ok(201);
    let none = app.get("/v1/attention", &token).await.ok(200).clone();
    assert!(
        none["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["kind"] != "invitationExpiring" && i["kind"] != "webhookDeliveryFailed")
    );
    app.app.clock().advance(12 * 24 * 3600 * 1000);
    let token = app
        .sign_in("admin@dist-wg-res.example", crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let soon = app.get("/v1/attention", &token).await.ok(200).clone();
    assert!(
        soon["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["kind"] == "invitationExpiring" && i["action"]["method"] == "DELETE")
    );
    app.shutdown().await;
}
both!(
    a_delivery_gives_up_after_twelve_attempts_and_can_be_redelivered,
    |mut c| {
        c.app.dev_mode = true;
        c
    }
);

async fn webhooks_through_the_pages(app: TestApp) {
    use crate::pages::signed_in_browser;
    let op = app.operator_token().await;
    let (url, seen) = receiver(vec![]).await;
    crate::customers::connected(&app, &op, "wp-res", "94300001").await;
    let (mut b, csrf) = signed_in_browser(&app, "admin@dist-wp-res.example").await;
    let calm = b.get("/attention").await;
    assert!(
        calm.html.contains("Nothing waits on you") && calm.html.contains("href=\"/attention\"")
    );
    let empty = b.get("/settings/webhooks").await;
    assert!(empty.html.contains("No webhooks yet"));
    let bad = b
        .post(
            "/settings/webhooks",
            &[("csrf", &csrf), ("url", "ftp://x"), ("events", "*")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("field-error"));
    let made = b
        .post(
            "/settings/webhooks",
            &[("csrf", &csrf), ("url", &url), ("events", "webhook.test")],
        )
        .await;
    assert_eq!(made.status, 200);
    assert!(made.html.contains("whsec_") && made.html.contains("shown only this once"));
    let list = b.get("/settings/webhooks").await;
    assert!(
        !list.html.contains("whsec_"),
        "the secret is never shown again"
    );
    let id = list
        .html
        .split("/settings/webhooks/whk_")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(|r| format!("whk_{r}"))
        .expect("the webhook");
    let tested = b
        .post(&format!("/settings/webhooks/{id}/test"), &[("csrf", &csrf)])
        .await;
    assert_eq!(tested.status, 303);
    deliver(&app).await;
    assert_eq!(seen.lock().expect("seen").len(), 1);
    let log = b.get(&format!("/settings/webhooks/{id}")).await;
    assert!(log.html.contains("webhook.test") && log.html.contains("succeeded"));
    let confirm = b.get(&format!("/settings/webhooks/{id}/delete")).await;
    assert!(confirm.html.contains("Delete webhook"));
    let gone = b
        .post(
            &format!("/settings/webhooks/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(gone.status, 303);
    assert!(
        b.get("/settings/webhooks")
            .await
            .html
            .contains("No webhooks yet")
    );
    app.shutdown().await;
}
both!(webhooks_through_the_pages, |mut c| {
    c.app.dev_mode = true;
    c
});

async fn user_events_reach_subscribers(app: TestApp) {
    let op = app.operator_token().await;
    let (url, seen) = receiver(vec![]).await;
    let partner = crate::roles::partner_admin(&app, &op, "we-dist").await;
    app.post(
        "/v1/webhooks",
        &partner,
        json!({"url": url, "events": ["user.created", "user.deleted"]}),
    )
    .await
    .ok(201);
    let made = app
        .post(
            "/v1/users",
            &partner,
            json!({"email": "new@we-dist.example", "firstName": "New", "lastName": "Person", "roles": []}),
        )
        .await
        .ok(201)
        .clone();
    let uid = made["user"]["id"].as_str().expect("id").to_owned();
    app.delete(&format!("/v1/users/{uid}"), &partner)
        .await
        .ok(204);
    deliver(&app).await;
    let seen = seen.lock().expect("seen").clone();
    let types: Vec<String> = seen
        .iter()
        .map(|(_, body)| {
            serde_json::from_str::<Value>(body).expect("json")["type"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(
        types.contains(&"user.created".to_owned()) && types.contains(&"user.deleted".to_owned()),
        "{types:?}"
    );
    let created: Value = seen
        .iter()
        .map(|(_, b)| serde_json::from_str::<Value>(b).expect("json"))
        .find(|e| e["type"] == "user.created")
        .expect("created");
    assert_eq!(created["data"]["email"], "new@we-dist.example");
    assert_eq!(created["data"]["resourceUrl"], format!("/v1/users/{uid}"));
    app.shutdown().await;
}
both!(user_events_reach_subscribers, |mut c| {
    c.app.dev_mode = true;
    c
});

pub(crate) async fn subscribe(app: &TestApp, token: &str, url: &str, events: Value) {
    app.post("/v1/webhooks", token, json!({"url": url, "events": events}))
        .await
        .ok(201);
}

/// The events a receiver got, in order.
pub(crate) fn events_in(seen: &Seen) -> Vec<Value> {
    seen.lock()
        .expect("seen")
        .iter()
        .map(|(_, body)| serde_json::from_str(body).expect("event json"))
        .collect()
}

/// The event types, sorted: deliveries run concurrently, so arrival order is free.
pub(crate) fn types_of(events: &[Value]) -> Vec<&str> {
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    types.sort_unstable();
    types
}

pub(crate) fn first_of<'a>(events: &'a [Value], event_type: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["type"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type} among {events:?}"))
}

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn unanswered_links_expire_with_an_event_and_a_record(app: TestApp) {
    let op = app.operator_token().await;
    let c = crate::customers::connected(&app, &op, "ex-res", "94100011").await;
    let (provider_url, provider_seen) = receiver(vec![]).await;
    let (reseller_url, reseller_seen) = receiver(vec![]).await;
    subscribe(
        &app,
        &c.provider,
        &provider_url,
        json!(["invitation.expired", "relationshipRequest.expired"]),
    )
    .await;
    subscribe(
        &app,
        &c.reseller,
        &reseller_url,
        json!(["relationshipRequest.expired"]),
    )
    .await;
    let invitation = app
        .post(
            "/v1/resellerinvitations",
            &c.provider,
            json!({"email": "late@ex-later.example"}),
        )
        .await
        .ok(201)
        .clone();
    let request = app
        .post(
            "/v1/customers/relationshiprequests",
            &c.reseller,
            json!({"indirectProviderId": c.provider_org}),
        )
        .await
        .ok(201)
        .clone();
    let token = request["url"]
        .as_str()
        .and_then(|u| u.split("token=").nth(1))
        .expect("token")
        .to_owned();

    // Nothing is due yet; the invitation (14 days) goes before the request (30 days).
    assert_eq!(app.app.run_link_expiry_once().await.expect("job"), (0, 0));
    app.app.clock().advance(14 * DAY_MS + 1000);
    assert_eq!(app.app.run_link_expiry_once().await.expect("job"), (1, 0));
    app.app.clock().advance(16 * DAY_MS);
    assert_eq!(app.app.run_link_expiry_once().await.expect("job"), (0, 1));
    assert_eq!(
        app.app.run_link_expiry_once().await.expect("job"),
        (0, 0),
        "each link expires once"
    );

    let provider = crate::customers::sign_in_again(&app, "admin@dist-ex-res.example").await;
    let reseller = crate::customers::sign_in_again(&app, "gina@ex-res.example").await;
    let expired = app
        .get("/v1/resellerinvitations?status=expired", &provider)
        .await
        .ok(200)
        .clone();
    assert_eq!(expired["totalCount"], 1, "{expired}");
    assert_eq!(expired["items"][0]["id"], invitation["id"]);
    assert_eq!(
        app.get("/v1/resellerinvitations?status=pending", &provider)
            .await
            .ok(200)["totalCount"],
        0
    );
    let requests = app
        .get(
            "/v1/customers/relationshiprequests?status=expired",
            &reseller,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(requests["totalCount"], 1);
    assert_eq!(requests["items"][0]["status"], "expired");
    assert_eq!(
        app.get(
            "/v1/customers/relationshiprequests?status=pending",
            &reseller
        )
        .await
        .ok(200)["totalCount"],
        0
    );
    app.call(
        axum::http::Method::POST,
        "/v1/customers/relationshiprequests/resolve",
        None,
        Some(json!({"token": token})),
    )
    .await
    .problem(410, "token_expired");

    deliver(&app).await;
    let to_provider = events_in(&provider_seen);
    assert_eq!(
        types_of(&to_provider),
        ["invitation.expired", "relationshipRequest.expired"],
        "the provider takes part in the three-way request"
    );
    let expired_invitation = first_of(&to_provider, "invitation.expired");
    assert_eq!(expired_invitation["data"]["resourceId"], invitation["id"]);
    assert_eq!(expired_invitation["data"]["status"], "expired");
    let to_reseller = events_in(&reseller_seen);
    assert_eq!(types_of(&to_reseller), ["relationshipRequest.expired"]);
    let data = &to_reseller[0]["data"];
    assert_eq!(data["resourceId"], request["id"]);
    assert!(
        data.get("url").is_none() && !data.to_string().contains(&token),
        "the customer's link stays out of the event: {data}"
    );

    let records = app
        .get(
            "/v1/auditrecords?operationType=expireResellerInvitation",
            &provider,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(records["totalCount"], 1);
    assert_eq!(records["items"][0]["actor"]["type"], "system");
    assert_eq!(
        app.get(
            "/v1/auditrecords?operationType=expireCustomerRelationshipRequest",
            &reseller,
        )
        .await
        .ok(200)["totalCount"],
        1
    );
    app.shutdown().await;
}
both!(
    unanswered_links_expire_with_an_event_and_a_record,
    |mut c| {
        c.app.dev_mode = true;
        c
    }
);

async fn incident_events_reach_the_organisations_they_concern(app: TestApp) {
    let op = app.operator_token().await;
    crate::commerce::catalog(&app, &op).await;
    let c = crate::customers::connected(&app, &op, "si-res", "94100021").await;
    let (customer, cid) = crate::commerce::three_way_customer(&app, &c, "si-cust").await;
    app.post(
        &format!("/v1/customers/{cid}/orders"),
        &c.reseller,
        json!({"lineItems": [{"lineItemNumber": 0, "offerId": "m365", "quantity": 1}]}),
    )
    .await
    .ok(201);
    let bystander = crate::roles::partner_admin(&app, &op, "si-other").await;
    let kinds = json!(["serviceIncident.created", "serviceIncident.updated"]);
    let mut seen = Vec::new();
    for token in [&op, &customer, &c.reseller, &c.provider, &bystander] {
        let (url, log) = receiver(vec![]).await;
        subscribe(&app, token, &url, kinds.clone()).await;
        seen.push(log);
    }
    let [
        op_seen,
        customer_seen,
        reseller_seen,
        provider_seen,
        bystander_seen,
    ] = <[Seen; 5]>::try_from(seen).expect("five receivers");

    let post = |title: &str, family: &str| json!({"title": title, "productFamilies": [family], "severity": "warning", "message": "We are looking into it."});
    let m365 = app
        .post(
            "/v1/serviceincidents",
            &op,
            post("Mail delays", "Microsoft 365"),
        )
        .await
        .ok(201)
        .clone();
    app.post(
        "/v1/serviceincidents",
        &op,
        post("VM start failures", "Azure"),
    )
    .await
    .ok(201);
    app.post(
        &format!(
            "/v1/serviceincidents/{}/updates",
            m365["id"].as_str().expect("id")
        ),
        &op,
        json!({"message": "A fix is rolling out."}),
    )
    .await
    .ok(201);
    deliver(&app).await;

    let concerned = ["serviceIncident.created", "serviceIncident.updated"];
    for (who, log) in [
        ("customer", &customer_seen),
        ("reseller", &reseller_seen),
        ("provider", &provider_seen),
    ] {
        let events = events_in(log);
        assert_eq!(
            types_of(&events),
            concerned,
            "{who} hears of the Microsoft 365 incident only"
        );
        assert!(events.iter().all(|e| e["data"]["resourceId"] == m365["id"]));
        assert_eq!(
            first_of(&events, "serviceIncident.updated")["data"]["updates"][0]["message"],
            "A fix is rolling out.",
            "{who}: the update carries the incident with its updates"
        );
    }
    assert_eq!(
        types_of(&events_in(&op_seen)),
        [
            "serviceIncident.created",
            "serviceIncident.created",
            "serviceIncident.updated"
        ],
        "the operator hears of every incident"
    );
    assert!(
        events_in(&bystander_seen).is_empty(),
        "a partner whose customers hold neither family hears nothing"
    );
    app.shutdown().await;
}
both!(
    incident_events_reach_the_organisations_they_concern,
    |mut c| {
        c.app.dev_mode = true;
        c
    }
);

/// A receiver that takes each request and holds its answer until released.
async fn stuck_receiver() -> (String, Arc<tokio::sync::Notify>, Arc<tokio::sync::Notify>) {
    let arrived = Arc::new(tokio::sync::Notify::new());
    let release = Arc::new(tokio::sync::Notify::new());
    let (a, r) = (arrived.clone(), release.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let (a, r) = (a.clone(), r.clone());
            async move {
                a.notify_one();
                r.notified().await;
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), arrived, release)
}

/// With the production workers running: while a receiver holds a delivery open,
/// mail still goes out (the delivery loop runs beside the outbox, not in it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_receiver_does_not_hold_up_mail() {
    let app = TestApp::spawn_with_workers(crate::helpers::Backend::Sqlite, |mut c| {
        c.app.dev_mode = true;
        c
    })
    .await;
    let op = app.operator_token().await;
    let partner = crate::roles::partner_admin(&app, &op, "stuck-dist").await;
    let (url, arrived, release) = stuck_receiver().await;
    let hook = app
        .post(
            "/v1/webhooks",
            &partner,
            json!({"url": url, "events": ["webhook.test"]}),
        )
        .await
        .ok(201)
        .clone();
    let id = hook["id"].as_str().expect("id");
    app.post(&format!("/v1/webhooks/{id}/test"), &partner, json!({}))
        .await;
    tokio::time::timeout(std::time::Duration::from_secs(30), arrived.notified())
        .await
        .expect("the worker posts the test event");

    // The delivery is now held open (up to its 10 s timeout); mail queued now
    // goes out on the outbox loop's next pass regardless.
    let before = app.mails().len();
    let mail = app
        .app
        .queue_test_mail("ops@stuck.example")
        .await
        .expect("queued");
    let mut sent = false;
    for _ in 0..50 {
        if app.mails().len() > before {
            sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, _, _) = app
        .app
        .outbox_status(&mail)
        .await
        .expect("status")
        .expect("row");
    assert!(
        sent && status.as_str() == "sent",
        "mail waited for the stuck receiver (status {status})"
    );
    release.notify_one();
    app.shutdown().await;
}

/// Server-side request forgery: a partner's webhook cannot aim the server at the
/// operator's own network, by address or by a name that resolves there.
async fn webhooks_never_point_inward(app: TestApp) {
    let op = app.operator_token().await;
    let partner = crate::roles::partner_admin(&app, &op, "ssrf-dist").await;
    for url in [
        "https://10.0.0.7/hook",
        "https://192.168.1.20:8443/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[fd00::5]/hook",
        "https://[::ffff:10.0.0.7]/hook",
        "https://localhost/hook",
    ] {
        let res = app
            .post(
                "/v1/webhooks",
                &partner,
                json!({"url": url, "events": ["*"]}),
            )
            .await;
        res.problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["pointer"], "/url", "{url}");
        assert!(
            res.body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("private, loopback or link-local")),
            "{url}: {}",
            res.body
        );
    }
    // A public address is fine, and changing it to an inward one is refused.
    let hook = app
        .post(
            "/v1/webhooks",
            &partner,
            json!({"url": "https://203.0.114.10/hook", "events": ["*"]}),
        )
        .await
        .ok(201)
        .clone();
    let id = hook["id"].as_str().expect("id");
    let moved = app
        .call(
            axum::http::Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(&partner),
            Some(json!({"url": "https://10.1.1.1/hook"})),
        )
        .await;
    moved.problem(422, "validation_failed");
    assert_eq!(
        app.get(&format!("/v1/webhooks/{id}"), &partner)
            .await
            .ok(200)["url"],
        "https://203.0.114.10/hook",
        "nothing changed"
    );
    app.shutdown().await;
}
both!(webhooks_never_point_inward);
