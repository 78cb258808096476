//! API.md §3.1: sign-in, restricted sessions, password change, sign-out.

use reqwest::Method;
use serde_json::json;

use crate::both;
use crate::helpers::{NEW_PASSWORD, OPERATOR_EMAIL, TestApp};

async fn sign_in_with_a_temporary_password_restricts_the_session(app: TestApp) {
    let temporary = app.bootstrap().await;
    let res = app.sign_in(OPERATOR_EMAIL, &temporary).await;
    let body = res.ok(201);
    assert_eq!(res.header("location"), Some("/v1/sessions/current"));
    assert_eq!(body["passwordChangeRequired"], true);
    assert_eq!(body["user"]["email"], OPERATOR_EMAIL);
    assert_eq!(body["organization"]["kind"], "operator");
    assert!(body["expiresAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    let token = body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("pds_"));

    // The restricted session sees only me, password and sign-out.
    let me = app.get("/v1/me", &token).await;
    assert_eq!(me.ok(200)["passwordChangeRequired"], true);
    assert_eq!(me.body["roles"], json!(["globalAdmin", "adminAgent"]));
    app.get("/v1/organization", &token)
        .await
        .problem(403, "password_change_required");
    app.get("/v1/apikeys", &token)
        .await
        .problem(403, "password_change_required");
    app.post("/v1/apikeys", &token, json!({"name": "x"}))
        .await
        .problem(403, "password_change_required");

    // Every refused vector of the policy.
    for weak in [
        "aaaaaaaaaaaaaaaa",
        "abcdefghijklmnop",
        "1234567890123456",
        "passwordpassword",
        "partnerdpartnerd",
        "short",
    ] {
        let res = app
            .post(
                "/v1/me/password",
                &token,
                json!({"currentPassword": temporary, "newPassword": weak}),
            )
            .await;
        res.problem(422, "weak_password");
        assert_eq!(res.body["errors"][0]["pointer"], "/newPassword");
    }
    app.post(
        "/v1/me/password",
        &token,
        json!({"currentPassword": "not it at all", "newPassword": NEW_PASSWORD}),
    )
    .await
    .problem(401, "invalid_credentials");

    let changed = app
        .post(
            "/v1/me/password",
            &token,
            json!({"currentPassword": temporary, "newPassword": NEW_PASSWORD}),
        )
        .await;
    let new_token = changed.ok(200)["token"].as_str().expect("token").to_owned();
    // The calling session is revoked too.
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    let org = app.get("/v1/organization", &new_token).await;
    assert_eq!(org.ok(200)["kind"], "operator");
    assert_eq!(
        org.header("etag"),
        Some(format!("\"{}\"", org.body["etag"].as_str().unwrap_or_default()).as_str())
    );
    let me = app.get("/v1/me", &new_token).await;
    assert_eq!(me.ok(200)["passwordChangeRequired"], false);
    assert_eq!(me.body["user"]["mustChangePassword"], false);

    // The temporary password no longer works; the new one does, unrestricted.
    app.sign_in(OPERATOR_EMAIL, &temporary)
        .await
        .problem(401, "invalid_credentials");
    let again = app.sign_in(OPERATOR_EMAIL, NEW_PASSWORD).await;
    assert_eq!(again.ok(201)["passwordChangeRequired"], false);
    app.shutdown().await;
}
both!(sign_in_with_a_temporary_password_restricts_the_session);

async fn wrong_password_and_unknown_email_get_the_same_answer(app: TestApp) {
    app.bootstrap().await;
    let wrong = app.sign_in(OPERATOR_EMAIL, "not the password at all").await;
    wrong.problem(401, "invalid_credentials");
    let unknown = app
        .sign_in("nobody@nowhere.example", "not the password at all")
        .await;
    unknown.problem(401, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
    // E-mail comparison is case-insensitive.
    let temporary = app
        .app
        .reset_password_cli(OPERATOR_EMAIL)
        .await
        .expect("reset")
        .1;
    app.sign_in(&OPERATOR_EMAIL.to_uppercase(), &temporary)
        .await
        .ok(201);
    app.shutdown().await;
}
both!(wrong_password_and_unknown_email_get_the_same_answer);

async fn sign_out_revokes_only_that_session(app: TestApp) {
    let token = app.operator_token().await;
    let other = app.sign_in(OPERATOR_EMAIL, NEW_PASSWORD).await.ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let res = app
        .call(Method::DELETE, "/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(res.status.as_u16(), 204);
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    app.get("/v1/me", &other).await.ok(200);
    app.shutdown().await;
}
both!(sign_out_revokes_only_that_session);

async fn reset_password_revokes_sessions_and_forces_a_change(app: TestApp) {
    let token = app.operator_token().await;
    let (_, temporary) = app
        .app
        .reset_password_cli(OPERATOR_EMAIL)
        .await
        .expect("reset");
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    let res = app.sign_in(OPERATOR_EMAIL, &temporary).await;
    assert_eq!(res.ok(201)["passwordChangeRequired"], true);
    app.shutdown().await;
}
both!(reset_password_revokes_sessions_and_forces_a_change);

async fn sessions_expire_after_their_lifetime(app: TestApp) {
    let token = app.operator_token().await;
    app.get("/v1/me", &token).await.ok(200);
    app.app.clock().advance(8 * 3600 * 1000 + 1000);
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    app.shutdown().await;
}
both!(sessions_expire_after_their_lifetime);
