//! API.md §3.2: API keys, and §1 idempotency and paging on them.

use serde_json::json;

use crate::both;
use crate::helpers::TestApp;

async fn api_keys_act_as_their_organisation_with_their_roles(app: TestApp) {
    let token = app.operator_token().await;
    let created = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "Billing export", "roles": ["adminAgent"]}),
        )
        .await;
    let key = created.ok(201).clone();
    let secret = key["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("pdk_"));
    assert!(secret.starts_with(key["prefix"].as_str().expect("prefix")));
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/apikeys/{}", key["id"].as_str().unwrap_or_default()).as_str())
    );
    assert!(created.header("etag").is_some());

    // Listed without the secret.
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(list.ok(200)["totalCount"], 1);
    assert!(list.body["items"][0].get("secret").is_none());
    assert_eq!(list.body["items"][0]["roles"], json!(["adminAgent"]));

    // The key works, as an application.
    let me = app.get("/v1/me", &secret).await;
    assert_eq!(me.ok(200)["user"], serde_json::Value::Null);
    assert_eq!(me.body["apiKey"]["name"], "Billing export");
    assert_eq!(me.body["roles"], json!(["adminAgent"]));
    // It is no global admin: it cannot manage keys.
    app.post("/v1/apikeys", &secret, json!({"name": "more"}))
        .await
        .problem(403, "forbidden");
    app.get("/v1/apikeys", &secret)
        .await
        .problem(403, "forbidden");
    // It has no password and no session.
    app.post(
        "/v1/me/password",
        &secret,
        json!({"currentPassword": "a", "newPassword": "b"}),
    )
    .await
    .problem(403, "user_session_required");
    // lastUsedAt is recorded.
    let list = app.get("/v1/apikeys", &token).await;
    assert!(list.ok(200)["items"][0]["lastUsedAt"].is_string());

    // Revoked at once.
    let res = app
        .delete(
            &format!("/v1/apikeys/{}", key["id"].as_str().unwrap_or_default()),
            &token,
        )
        .await;
    assert_eq!(res.status.as_u16(), 204);
    app.get("/v1/me", &secret)
        .await
        .problem(401, "unauthenticated");
    app.delete(
        &format!("/v1/apikeys/{}", key["id"].as_str().unwrap_or_default()),
        &token,
    )
    .await
    .problem(404, "not_found");
    app.shutdown().await;
}
both!(api_keys_act_as_their_organisation_with_their_roles);

async fn api_key_roles_and_expiry_are_validated(app: TestApp) {
    let token = app.operator_token().await;
    let res = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "x", "roles": ["globalAdmin"]}),
        )
        .await;
    res.problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["pointer"], "/roles/0");
    let res = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "x", "roles": ["salesAgent"]}),
        )
        .await;
    res.problem(422, "validation_failed");
    let res = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "x", "roles": ["wizard"]}),
        )
        .await;
    res.problem(422, "validation_failed");
    let res = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "x", "expiresAt": "2020-01-01T00:00:00Z"}),
        )
        .await;
    res.problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["pointer"], "/expiresAt");
    app.post(
        "/v1/apikeys",
        &token,
        json!({"name": "x", "expiresAt": "2999-01-01T00:00:00Z"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post("/v1/apikeys", &token, json!({"name": "x".repeat(81)}))
        .await
        .problem(422, "validation_failed");

    // A key that expires stops working.
    let soon = app.app.now().plus_millis(3_600_000).to_rfc3339();
    let key = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "short-lived", "expiresAt": soon}),
        )
        .await;
    let secret = key.ok(201)["secret"].as_str().expect("secret").to_owned();
    app.get("/v1/me", &secret).await.ok(200);
    app.app.clock().advance(3_600_000 + 1000);
    app.get("/v1/me", &secret)
        .await
        .problem(401, "unauthenticated");
    app.shutdown().await;
}
both!(api_key_roles_and_expiry_are_validated);

async fn idempotency_key_replays_the_first_answer(app: TestApp) {
    let token = app.operator_token().await;
    let send = |body: serde_json::Value, key: &'static str| {
        let req = app
            .client
            .post(app.url("/v1/apikeys"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body);
        async move { TestApp::read(req.send().await.expect("send")).await }
    };
    let first = send(json!({"name": "once"}), "create-once-1").await;
    first.ok(201);
    assert!(first.header("idempotent-replayed").is_none());
    let again = send(json!({"name": "once"}), "create-once-1").await;
    assert_eq!(again.ok(201)["id"], first.body["id"]);
    assert_eq!(again.body["secret"], first.body["secret"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    send(json!({"name": "another"}), "create-once-1")
        .await
        .problem(422, "idempotency_key_reused");
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(list.ok(200)["totalCount"], 1, "the replay created nothing");
    // A bad key is a bad header.
    let res = TestApp::read(
        app.client
            .post(app.url("/v1/apikeys"))
            .bearer_auth(&token)
            .header("idempotency-key", "x".repeat(129))
            .json(&json!({"name": "y"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    res.problem(400, "bad_request");
    // After 24 hours the key is free again.
    app.app.clock().advance(24 * 3600 * 1000 + 1000);
    let token = app
        .sign_in(crate::helpers::OPERATOR_EMAIL, crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let req = app
        .client
        .post(app.url("/v1/apikeys"))
        .bearer_auth(&token)
        .header("idempotency-key", "create-once-1")
        .json(&json!({"name": "another"}));
    TestApp::read(req.send().await.expect("send")).await.ok(201);
    app.shutdown().await;
}
both!(idempotency_key_replays_the_first_answer);

async fn collections_page_with_continuation_tokens(app: TestApp) {
    let token = app.operator_token().await;
    for i in 0..7 {
        app.post("/v1/apikeys", &token, json!({"name": format!("key {i}")}))
            .await
            .ok(201);
    }
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &next {
            Some(t) => format!("/v1/apikeys?size=3&continuationToken={t}"),
            None => "/v1/apikeys?size=3".to_owned(),
        };
        let page = app.get(&path, &token).await;
        let body = page.ok(200);
        assert_eq!(body["totalCount"], 7);
        pages += 1;
        names.extend(
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|k| k["name"].as_str().unwrap_or_default().to_owned()),
        );
        match body["continuationToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).rev().map(|i| format!("key {i}")).collect();
    assert_eq!(names, expected, "newest first, each once");
    for bad in [
        "size=0",
        "size=501",
        "size=abc",
        "continuationToken=garbage",
    ] {
        let res = app.get(&format!("/v1/apikeys?{bad}"), &token).await;
        res.problem(422, "validation_failed");
        assert!(
            res.body["errors"][0]["pointer"]
                .as_str()
                .is_some_and(|p| p.starts_with("/query/"))
        );
    }
    app.shutdown().await;
}
both!(collections_page_with_continuation_tokens);

async fn deleting_honours_if_match(app: TestApp) {
    let token = app.operator_token().await;
    let key = app
        .post("/v1/apikeys", &token, json!({"name": "guarded"}))
        .await
        .ok(201)
        .clone();
    let secret = key["secret"].as_str().expect("secret").to_owned();
    let path = format!("/v1/apikeys/{}", key["id"].as_str().expect("id"));
    let stale = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .header("if-match", "\"0000\"")
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");
    app.get("/v1/me", &secret).await.ok(200);
    let etag = key["etag"].as_str().expect("etag");
    let fresh = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .header("if-match", format!("\"{etag}\""))
        .send()
        .await
        .expect("send");
    assert_eq!(fresh.status().as_u16(), 204);
    app.get("/v1/me", &secret)
        .await
        .problem(401, "unauthenticated");
    app.shutdown().await;
}
both!(deleting_honours_if_match);
