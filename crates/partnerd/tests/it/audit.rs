//! API.md §12: the audit trail of what exists so far.

use serde_json::json;

use crate::both;
use crate::helpers::{OPERATOR_EMAIL, TestApp};

async fn sign_ins_and_changes_are_audited(app: TestApp) {
    let token = app.operator_token().await;
    app.sign_in(OPERATOR_EMAIL, "wrong password here")
        .await
        .problem(401, "invalid_credentials");
    app.sign_in("ghost@nowhere.example", "wrong password here")
        .await
        .problem(401, "invalid_credentials");
    let req = app
        .client
        .post(app.url("/v1/apikeys"))
        .bearer_auth(&token)
        .header("x-request-id", "audit-me-1")
        .json(&json!({"name": "audited"}));
    let key = TestApp::read(req.send().await.expect("send")).await;
    key.ok(201);

    let all = app.get("/v1/auditrecords?size=100", &token).await;
    let items = all.ok(200)["items"].as_array().expect("items").clone();
    let ops: Vec<&str> = items
        .iter()
        .map(|r| r["operationType"].as_str().unwrap_or_default())
        .collect();
    for expected in [
        "bootstrapOperator",
        "signIn",
        "changePassword",
        "signInFailed",
        "createApiKey",
    ] {
        assert!(ops.contains(&expected), "{expected} missing from {ops:?}");
    }
    // Newest first.
    assert_eq!(ops[0], "createApiKey");
    let create = &items[0];
    assert_eq!(create["actor"]["type"], "user");
    assert_eq!(create["actor"]["email"], OPERATOR_EMAIL);
    assert_eq!(create["requestId"], "audit-me-1");
    assert_eq!(create["resourceType"], "apiKey");
    assert_eq!(create["resourceId"], key.body["id"]);
    assert_eq!(create["operationStatus"], "succeeded");
    assert!(create["changes"]["after"]["name"] == "audited");
    assert!(
        create["sourceIp"]
            .as_str()
            .is_some_and(|ip| ip == "127.0.0.1")
    );
    assert!(
        !create
            .to_string()
            .contains(key.body["secret"].as_str().unwrap_or("-")),
        "secrets never reach the audit trail"
    );

    // The failure for an unknown address is recorded too (separately).
    let failed = app
        .get("/v1/auditrecords?operationType=signInFailed", &token)
        .await;
    let failed = failed.ok(200);
    assert_eq!(failed["totalCount"], 2);
    assert!(
        failed["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["operationStatus"] == "failed")
    );
    assert!(
        failed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["actor"]["email"] == "ghost@nowhere.example")
    );

    // One record by id.
    let id = create["id"].as_str().expect("id");
    let one = app.get(&format!("/v1/auditrecords/{id}"), &token).await;
    assert_eq!(one.ok(200)["operationType"], "createApiKey");
    app.get("/v1/auditrecords/aud_nope", &token)
        .await
        .problem(404, "not_found");

    // Filters are validated.
    for bad in [
        "actorType=robot",
        "resourceType=spaceship",
        "operationStatus=maybe",
        "startDate=yesterday",
        "startDate=2020-01-01T00:00:00Z&endDate=2022-01-01T00:00:00Z",
    ] {
        app.get(&format!("/v1/auditrecords?{bad}"), &token)
            .await
            .problem(422, "validation_failed");
    }
    // A token for other filters is refused.
    let page = app.get("/v1/auditrecords?size=1", &token).await;
    let t = page.ok(200)["continuationToken"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let res = app
        .get(
            &format!("/v1/auditrecords?size=1&operationType=signIn&continuationToken={t}"),
            &token,
        )
        .await;
    res.problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["pointer"], "/query/continuationToken");
    app.get(
        &format!("/v1/auditrecords?size=2&continuationToken={t}"),
        &token,
    )
    .await
    .ok(200);
    app.shutdown().await;
}
both!(sign_ins_and_changes_are_audited);

async fn only_global_admins_and_admin_agents_read_the_log(app: TestApp) {
    let token = app.operator_token().await;
    let agent = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "agent", "roles": ["adminAgent"]}),
        )
        .await;
    let agent = agent.ok(201)["secret"].as_str().expect("secret").to_owned();
    let nobody = app
        .post("/v1/apikeys", &token, json!({"name": "no roles"}))
        .await;
    let nobody = nobody.ok(201)["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    app.get("/v1/auditrecords", &agent).await.ok(200);
    let res = app.get("/v1/auditrecords", &nobody).await;
    res.problem(403, "forbidden");
    assert!(
        res.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Global admin")),
        "the refusal says why: {}",
        res.text
    );
    app.shutdown().await;
}
both!(only_global_admins_and_admin_agents_read_the_log);

async fn retention_prunes_only_records_older_than_the_window(app: TestApp) {
    app.operator_token().await;
    let owned = app;
    let app = &owned;
    // A fresh session each time: the clock jumps past the 8-hour session lifetime.
    let session = || async move {
        app.sign_in(OPERATOR_EMAIL, crate::helpers::NEW_PASSWORD)
            .await
            .ok(201)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let key_record = |name: &'static str| async move {
        let token = session().await;
        app.post("/v1/apikeys", &token, json!({"name": name}))
            .await
            .ok(201);
        let list = app
            .get("/v1/auditrecords?operationType=createApiKey", &token)
            .await;
        list.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["changes"]["after"]["name"] == name)
            .and_then(|r| r["id"].as_str())
            .expect("the record")
            .to_owned()
    };
    let old = key_record("old").await;
    app.app.clock().advance(200 * 24 * 3600 * 1000);
    let recent = key_record("recent").await;
    assert_eq!(app.app.prune_audit_once().await.expect("prune"), 0);
    app.app.clock().advance(201 * 24 * 3600 * 1000);
    assert!(app.app.prune_audit_once().await.expect("prune") >= 1);
    let token = session().await;
    app.get(&format!("/v1/auditrecords/{old}"), &token)
        .await
        .problem(404, "not_found");
    app.get(&format!("/v1/auditrecords/{recent}"), &token)
        .await
        .ok(200);
    owned.shutdown().await;
}
both!(retention_prunes_only_records_older_than_the_window);
