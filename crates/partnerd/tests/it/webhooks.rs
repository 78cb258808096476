//! API.md §14: webhooks — registration, signed deliveries, retries after a receiver
//! outage without loss, secret rotation, the delivery log and redelivery.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

/// What the receiver saw: (headers, body) per request.
type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on loopback that answers `statuses` in turn, then 200.
async fn receiver(statuses: Vec<u16>) -> (String, Seen) {
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

async fn deliver(app: &TestApp) {
    app.drain_mail().await;
    app.app
        .run_webhook_deliveries_once()
        .await
        .expect("deliveries");
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
