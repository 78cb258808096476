//! API.md §15: health, readiness, metrics, the OpenAPI document.

use reqwest::Method;

use crate::both;
use crate::helpers::TestApp;

async fn health_readiness_and_metrics(app: TestApp) {
    let health = TestApp::read(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(health.ok(200)["status"], "ok");
    let ready = readyz(&app).await;
    let body = ready.ok(200);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["migrations"], "ok");

    let token = app.operator_token().await;
    app.get("/v1/auditrecords/aud_some_id", &token)
        .await
        .problem(404, "not_found");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("http_requests_total{"), "{metrics}");
    assert!(
        metrics.contains("route=\"/v1/auditrecords/{id}\""),
        "route templates, never ids"
    );
    assert!(!metrics.contains("aud_some_id"));
    for name in [
        "http_request_duration_seconds",
        "outbox_pending",
        "rate_limited_total",
        "db_pool_connections",
        "mail_sent_total",
        "outbox_failed_total",
    ] {
        // Families with no samples yet still announce themselves.
        assert!(
            metrics.contains(name.trim_end_matches("_total")),
            "{name} missing"
        );
    }
    app.shutdown().await;
}
both!(health_readiness_and_metrics);

/// `GET /readyz`, without credentials.
async fn readyz(app: &TestApp) -> crate::helpers::Resp {
    TestApp::read(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn readiness_turns_503_while_draining(app: TestApp) {
    let res = readyz(&app).await;
    res.ok(200);
    app.start_draining();
    let res = readyz(&app).await;
    res.problem(503, "service_unavailable");
    assert!(res.header("retry-after").is_some());
    // Liveness is unaffected.
    let health = TestApp::read(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    health.ok(200);
    app.shutdown().await;
}
both!(readiness_turns_503_while_draining);

/// A lost database: readiness names the dependency without the driver's words, and a
/// request that needs it is a 500 whose body shows only the request id.
async fn a_lost_database_is_named_but_its_error_text_is_not_shown(app: TestApp) {
    let password = app.bootstrap().await;
    app.app.db().close().await;
    let ready = readyz(&app).await;
    ready.problem(503, "service_unavailable");
    assert_eq!(ready.body["title"], "Not ready");
    assert_eq!(
        ready.body["detail"], "database: the database does not answer",
        "{}",
        ready.text
    );
    assert!(
        !ready.text.to_lowercase().contains("pool"),
        "{}",
        ready.text
    );
    let failed = app.sign_in(crate::helpers::OPERATOR_EMAIL, &password).await;
    failed.problem(500, "internal_error");
    assert!(
        !failed.text.to_lowercase().contains("pool"),
        "{}",
        failed.text
    );
    assert!(
        failed.body["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    app.shutdown().await;
}
both!(a_lost_database_is_named_but_its_error_text_is_not_shown);

/// A stored value this release does not know (a role here) is an error, not a
/// default: the request fails with a 500 instead of running with fewer roles.
async fn an_unknown_stored_value_is_an_error_not_a_default(app: TestApp) {
    let password = app.bootstrap().await;
    let signed_in = app.sign_in(crate::helpers::OPERATOR_EMAIL, &password).await;
    let token = signed_in.ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.get("/v1/me", &token).await.ok(200);
    let mut conn = app.app.db().conn().await.expect("conn");
    partnerd_store::query("UPDATE users SET roles = roles || ',superUser'")
        .execute(&mut conn)
        .await
        .expect("update");
    drop(conn);
    let me = app.get("/v1/me", &token).await;
    me.problem(500, "internal_error");
    assert!(!me.text.contains("superUser"), "{}", me.text);
    app.shutdown().await;
}
both!(an_unknown_stored_value_is_an_error_not_a_default);

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_guards_the_private_ones() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, |c| c).await;
    let doc = TestApp::read(
        app.client
            .get(app.url("/v1/openapi.json"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    let doc = doc.ok(200).clone();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().expect("paths");
    for expected in [
        "/v1/sessions",
        "/v1/sessions/current",
        "/v1/me",
        "/v1/me/password",
        "/v1/apikeys",
        "/v1/apikeys/{id}",
        "/v1/organization",
        "/v1/auditrecords",
        "/v1/auditrecords/{id}",
    ] {
        assert!(paths.contains_key(expected), "{expected} is documented");
    }
    const PUBLIC: &[(&str, &str)] = &[
        ("post", "/v1/sessions"),
        ("post", "/v1/tenants"),
        ("post", "/v1/emailverifications/confirm"),
        ("post", "/v1/resellerinvitations/resolve"),
        ("post", "/v1/customers/relationshiprequests/resolve"),
    ];
    // Every documented operation exists, and every non-public one refuses a
    // caller without a token.
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let concrete = concrete_path(path);
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let res = app.call(m, &concrete, None, None).await;
            assert_ne!(res.status.as_u16(), 404, "{method} {path} is routed");
            assert_ne!(res.status.as_u16(), 405, "{method} {path} is routed");
            if PUBLIC.contains(&(method.as_str(), path.as_str())) {
                assert!(op.get("security").is_none(), "{method} {path} is public");
            } else {
                res.problem(401, "unauthenticated");
                assert!(
                    op.get("security").is_some(),
                    "{method} {path} documents its bearer security"
                );
            }
        }
    }
    // Every guarded route asks the policy: a caller the policy refuses that action
    // (an API key without roles) is turned away, 403 (or 404 for an id it cannot see).
    let admin = app.operator_token().await;
    let key = app
        .post(
            "/v1/apikeys",
            &admin,
            serde_json::json!({"name": "no roles"}),
        )
        .await;
    let key = key.ok(201)["secret"].as_str().expect("secret").to_owned();
    let actor = partnerd_domain::policy::Actor {
        org_kind: partnerd_domain::roles::OrgKind::Operator,
        programs: vec![],
        roles: partnerd_domain::Roles::default(),
        user_session: false,
    };
    let mut guarded = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let Some(action) = op["x-partnerd-action"]
                .as_str()
                .and_then(partnerd_domain::policy::Action::parse)
            else {
                continue;
            };
            if partnerd_domain::policy::can(&actor, action).is_allowed() {
                continue;
            }
            let concrete = concrete_path(path);
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let body =
                matches!(method.as_str(), "post" | "patch" | "put").then(|| serde_json::json!({}));
            let mut res = app
                .call(m.clone(), &concrete, Some(&key), body.clone())
                .await;
            if res.status.as_u16() == 429 {
                // More routes than the key's burst: let its bucket refill, then ask again.
                app.app.clock().advance(60_000);
                res = app.call(m, &concrete, Some(&key), body).await;
            }
            let status = res.status.as_u16();
            // API.md §8.2 answers a partner or operator answering a customer's
            // request with 409 wrong_organization_kind, before the role check.
            let wrong_kind = status == 409 && res.body["code"] == "wrong_organization_kind";
            assert!(
                status == 403 || (status == 404 && concrete.contains("x_unknown")) || wrong_kind,
                "{method} {path} refused by the policy, got {status}: {}",
                res.text
            );
            guarded += 1;
        }
    }
    assert!(guarded >= 10, "{guarded} guarded operations checked");
    app.shutdown().await;
}

/// A documented path with every `{parameter}` replaced by an id nobody has.
fn concrete_path(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("x_unknown");
            }
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}
