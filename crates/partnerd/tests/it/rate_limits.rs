//! API.md §1.3: token buckets, headers, and the sign-in lockout.

use partnerd::config::Config;

use crate::both;
use crate::helpers::{NEW_PASSWORD, OPERATOR_EMAIL, TestApp};

fn lockout_after_three(mut c: Config) -> Config {
    c.app.signin_failures_before_lockout = 3;
    c.app.rate_limit_target_per_min = 100;
    c
}

async fn repeated_failures_lock_the_email_even_for_the_right_password(app: TestApp) {
    app.operator_token().await;
    for _ in 0..3 {
        app.sign_in(OPERATOR_EMAIL, "definitely the wrong one")
            .await
            .problem(401, "invalid_credentials");
    }
    let res = app.sign_in(OPERATOR_EMAIL, NEW_PASSWORD).await;
    res.problem(429, "rate_limited");
    let wait: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        wait > 800 && wait <= 900,
        "locked for the 15-minute window, got {wait}"
    );
    // Refused calls do not count as failures, and another e-mail is not affected.
    app.sign_in("other@nowhere.example", "whatever it may be")
        .await
        .problem(401, "invalid_credentials");
    // After the window the right password works again.
    app.app.clock().advance(15 * 60 * 1000 + 1000);
    app.sign_in(OPERATOR_EMAIL, NEW_PASSWORD).await.ok(201);
    app.shutdown().await;
}
both!(
    repeated_failures_lock_the_email_even_for_the_right_password,
    lockout_after_three
);

fn target_limit_of_two(mut c: Config) -> Config {
    c.app.rate_limit_target_per_min = 2;
    c
}

async fn sign_in_is_limited_per_target_email(app: TestApp) {
    app.bootstrap().await;
    app.sign_in(OPERATOR_EMAIL, "wrong password one")
        .await
        .problem(401, "invalid_credentials");
    app.sign_in(OPERATOR_EMAIL, "wrong password two")
        .await
        .problem(401, "invalid_credentials");
    let res = app.sign_in(OPERATOR_EMAIL, "wrong password three").await;
    res.problem(429, "rate_limited");
    assert!(res.header("retry-after").is_some());
    for h in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        assert!(res.header(h).is_some(), "{h} on every /v1 response");
    }
    app.shutdown().await;
}
both!(sign_in_is_limited_per_target_email, target_limit_of_two);

fn principal_limit_of_five(mut c: Config) -> Config {
    c.app.rate_limit_principal_per_min = 5;
    c
}

async fn each_principal_has_its_own_bucket(app: TestApp) {
    let token = app.operator_token().await;
    let mut last = None;
    for _ in 0..6 {
        last = Some(app.get("/v1/me", &token).await);
    }
    let res = last.expect("responses");
    res.problem(429, "rate_limited");
    assert_eq!(res.header("ratelimit-limit"), Some("5"));
    assert_eq!(res.header("ratelimit-remaining"), Some("0"));
    assert!(
        res.header("retry-after")
            .is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1))
    );
    app.shutdown().await;
}
both!(each_principal_has_its_own_bucket, principal_limit_of_five);
