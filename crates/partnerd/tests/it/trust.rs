//! The web security baseline (API-platform.md §2) over HTTP: redirect targets,
//! response headers, CSRF bound to the session, strict JSON, names and titles.

use crate::both;
use crate::helpers::{NEW_PASSWORD, OPERATOR_EMAIL, TestApp};
use crate::pages::{Browser, csrf_of};

/// Sign-in is tried many times here; the unauthenticated limits would refuse most.
fn generous(mut c: partnerd::config::Config) -> partnerd::config::Config {
    c.app.rate_limit_public_per_min = 100_000;
    c.app.rate_limit_target_per_min = 100_000;
    c
}

/// The value of the sign-in form's hidden `next` field.
fn next_field(html: &str) -> String {
    let marker = "name=\"next\" value=\"";
    let start = html.find(marker).expect("a next field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&amp;", "&")
}

/// Signs the operator in from a fresh browser, `next` sent as a form field (the
/// value given here is what the server decodes); returns the status and Location.
async fn sign_in_with_next(app: &TestApp, next: &str) -> (u16, Option<String>) {
    let mut b = Browser::new(app);
    let page = b.get("/signin").await;
    let csrf = csrf_of(&page.html);
    let res = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("email", OPERATOR_EMAIL),
                ("password", NEW_PASSWORD),
                ("next", next),
            ],
        )
        .await;
    (res.status, res.location)
}

async fn next_is_followed_only_when_it_is_a_local_path(app: TestApp) {
    app.operator_token().await;
    let long_ok = format!("/{}", "a".repeat(1999));
    let too_long = format!("/{}", "a".repeat(2000));
    let refused = [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/\n",
        "/\r\nSet-Cookie: x=1",
        "https://evil.example",
        "javascript:alert(1)",
        "/a//b",
        "",
        "evil.example",
        "/a\u{0}b",
        "/\u{1b}[31m",
        "/\u{7f}",
        "/x\u{85}y",
        "/x\u{9f}",
        too_long.as_str(),
    ];
    for next in refused {
        assert_eq!(
            sign_in_with_next(&app, next).await,
            (303, Some("/".to_owned())),
            "next {next:?} goes to the dashboard"
        );
    }
    let followed = [
        ("/customers?q=a%20b", "/customers?q=a%20b"),
        ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
        ("/activity", "/activity"),
        ("/customers/caf\u{e9}", "/customers/caf%C3%A9"),
        (long_ok.as_str(), long_ok.as_str()),
    ];
    for (next, location) in followed {
        assert_eq!(
            sign_in_with_next(&app, next).await,
            (303, Some(location.to_owned())),
            "next {next:?} is a local path"
        );
    }

    // From the query string (decoded once), into the form's hidden field.
    let mut b = Browser::new(&app);
    for (query, field) in [
        ("next=/%09/evil.example", "/"),
        ("next=//evil.example", "/"),
        ("next=%2F%2Fevil.example", "/"),
        ("next=/%5Cevil.example", "/"),
        ("next=/%0A", "/"),
        ("next=/%00", "/"),
        ("next=https://evil.example", "/"),
        ("next=", "/"),
        ("next=/%252F%252Fevil.example", "/%2F%2Fevil.example"),
        ("next=/customers%3Fq%3Da%2520b", "/customers?q=a%20b"),
    ] {
        let page = b.get(&format!("/signin?{query}")).await;
        assert_eq!(page.status, 200, "{query}");
        assert_eq!(next_field(&page.html), field, "{query}");
    }
    app.shutdown().await;
}
both!(next_is_followed_only_when_it_is_a_local_path, generous);
