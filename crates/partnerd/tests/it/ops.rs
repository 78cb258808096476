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

/// A stored value this release does not know is an error, not a default: the
/// request fails with a 500 instead of running as some other kind of
/// organisation. Where the schema knows the names (roles), the database refuses
/// an unknown one outright.
async fn an_unknown_stored_value_is_an_error_not_a_default(app: TestApp) {
    let password = app.bootstrap().await;
    let signed_in = app.sign_in(crate::helpers::OPERATOR_EMAIL, &password).await;
    let token = signed_in.ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.get("/v1/me", &token).await.ok(200);
    let mut conn = app.app.db().conn().await.expect("conn");
    let refused = partnerd_store::query(
        "INSERT INTO user_roles (user_id, role) SELECT id, 'superUser' FROM users",
    )
    .execute(&mut conn)
    .await;
    assert!(refused.is_err(), "an unknown role was stored");
    partnerd_store::query("UPDATE organizations SET kind = 'superOrg'")
        .execute(&mut conn)
        .await
        .expect("update");
    drop(conn);
    let me = app.get("/v1/me", &token).await;
    me.problem(500, "internal_error");
    assert!(!me.text.contains("superOrg"), "{}", me.text);
    app.shutdown().await;
}
both!(an_unknown_stored_value_is_an_error_not_a_default);

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_refuses_anonymous_callers() {
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
    // That every guarded route asks the policy, and refuses a caller without the
    // permission, is `policy.rs`.
    app.shutdown().await;
}

/// A documented path with every `{parameter}` replaced by an id nobody has.
pub(crate) fn concrete_path(path: &str) -> String {
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
