//! API.md §1: problem+json, request ids, media types, body limits, unknown members,
//! routing errors.

use reqwest::Method;
use serde_json::json;

use crate::both;
use crate::helpers::TestApp;

async fn bad_input_gets_a_specific_problem_and_changes_nothing(app: TestApp) {
    let token = app.operator_token().await;
    let url = app.url("/v1/apikeys");

    // Malformed JSON -> 400.
    let res = TestApp::read(
        app.client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .expect("send"),
    )
    .await;
    res.problem(400, "bad_request");
    // A JSON array at the top level -> 400.
    let res = TestApp::read(
        app.client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("[1]")
            .send()
            .await
            .expect("send"),
    )
    .await;
    res.problem(400, "bad_request");
    // Wrong type -> 422 with a pointer.
    let res = app.post("/v1/apikeys", &token, json!({"name": 42})).await;
    res.problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["pointer"], "/name");
    // Unknown member -> 422 with a pointer.
    let res = app
        .post("/v1/apikeys", &token, json!({"name": "ok", "nmae": "typo"}))
        .await;
    res.problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["pointer"], "/nmae");
    // Missing member -> 422.
    let res = app.post("/v1/apikeys", &token, json!({})).await;
    res.problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["pointer"], "/name");
    // Read-only members sent back are ignored.
    let res = app
        .post(
            "/v1/apikeys",
            &token,
            json!({"name": "ro", "id": "key_x", "etag": "e", "createdAt": "t"}),
        )
        .await;
    res.ok(201);
    // Another media type -> 415.
    let res = TestApp::read(
        app.client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("name=x")
            .send()
            .await
            .expect("send"),
    )
    .await;
    res.problem(415, "unsupported_media_type");
    // More than 1 MiB -> 413.
    let big = json!({"name": "x".repeat(1024 * 1024 + 10)});
    app.post("/v1/apikeys", &token, big)
        .await
        .problem(413, "payload_too_large");
    // Control characters in a string -> 422.
    app.post("/v1/apikeys", &token, json!({"name": "bad\u{7}name"}))
        .await
        .problem(422, "validation_failed");

    // Only the one valid key was created.
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(list.ok(200)["totalCount"], 1);
    app.shutdown().await;
}
both!(bad_input_gets_a_specific_problem_and_changes_nothing);

async fn tokens_are_checked(app: TestApp) {
    app.bootstrap().await;
    for auth in [
        "Bearer pds_garbage",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer pdk_nope",
        "Bearer something",
    ] {
        let res = TestApp::read(
            app.client
                .get(app.url("/v1/me"))
                .header("authorization", auth)
                .send()
                .await
                .expect("send"),
        )
        .await;
        res.problem(401, "unauthenticated");
    }
    app.call(Method::GET, "/v1/me", None, None)
        .await
        .problem(401, "unauthenticated");
    // Authentication comes before body validation.
    app.call(Method::POST, "/v1/apikeys", None, Some(json!({"bogus": 1})))
        .await
        .problem(401, "unauthenticated");
    app.shutdown().await;
}
both!(tokens_are_checked);

async fn request_ids_routing_errors_and_empty_bodies(app: TestApp) {
    let token = app.operator_token().await;
    let res = TestApp::read(
        app.client
            .get(app.url("/v1/me"))
            .bearer_auth(&token)
            .header("x-request-id", "client-id_42")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(res.header("x-request-id"), Some("client-id_42"));
    let res = TestApp::read(
        app.client
            .get(app.url("/v1/me"))
            .bearer_auth(&token)
            .header("x-request-id", "not valid!")
            .send()
            .await
            .expect("send"),
    )
    .await;
    let generated = res.header("x-request-id").expect("generated id");
    assert_ne!(generated, "not valid!");

    let res = app.get("/v1/no-such-thing", &token).await;
    res.problem(404, "not_found");
    let res = app.call(Method::PUT, "/v1/me", Some(&token), None).await;
    res.problem(405, "method_not_allowed");
    assert!(
        res.header("allow").is_some_and(|a| a.contains("GET")),
        "405 names the allowed methods"
    );

    // An action without members accepts an empty body with no content type.
    let res = TestApp::read(
        app.client
            .delete(app.url("/v1/sessions/current"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(res.status.as_u16(), 204);
    app.shutdown().await;
}
both!(request_ids_routing_errors_and_empty_bodies);
