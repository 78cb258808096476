//! The web security baseline (API-platform.md §2) over HTTP: redirect targets,
//! response headers, CSRF bound to the session, strict JSON, names and titles.

use std::time::Duration;

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

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Asserts the §2.1 headers every response carries, with this `Cache-Control`.
pub fn assert_baseline_headers(headers: &reqwest::header::HeaderMap, cache: &str, what: &str) {
    let h = |name: &str| {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(values.len() <= 1, "{what}: {name} sent once: {values:?}");
        values.first().map(|v| (*v).to_owned())
    };
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
        ("cache-control", cache),
    ] {
        assert_eq!(h(name).as_deref(), Some(value), "{what}: {name}");
    }
}

/// Asserts a page holds no inline script or style and loads nothing from elsewhere
/// (§2.1), so that the CSP blocks nothing it needs.
pub fn assert_self_contained_page(path: &str, html: &str) {
    assert!(!html.contains("<style"), "{path}: a <style> element");
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let name = tag.split_whitespace().next().unwrap_or_default();
        // Attribute names: the word before each `=` outside quoted values.
        let mut in_quote = false;
        let mut word = String::new();
        for c in tag.chars() {
            match c {
                '"' => in_quote = !in_quote,
                '=' if !in_quote => {
                    let attr = word.to_ascii_lowercase();
                    assert!(
                        attr != "style" && !attr.starts_with("on"),
                        "{path}: <{name}> has a {attr} attribute"
                    );
                }
                c if c.is_whitespace() && !in_quote => word.clear(),
                c if !in_quote => word.push(c),
                _ => {}
            }
        }
        if name == "script" {
            assert!(
                tag.contains("src=\"/assets/"),
                "{path}: an inline or foreign script: <{tag}>"
            );
        }
        for attr in ["src=\"", "srcset=\""] {
            if let Some(rest) = tag.split(attr).nth(1) {
                assert!(
                    rest.starts_with('/') && !rest.starts_with("//"),
                    "{path}: <{name}> loads from another origin"
                );
            }
        }
        if name == "link"
            && let Some(rest) = tag.split("href=\"").nth(1)
        {
            assert!(
                rest.starts_with('/') && !rest.starts_with("//"),
                "{path}: <link> loads from another origin"
            );
        }
    }
}

async fn every_response_carries_the_security_headers(app: TestApp) {
    let token = app.operator_token().await;
    let client = &app.client;
    let send = |req: reqwest::RequestBuilder| async move { req.send().await.expect("request") };

    let mut seen = Vec::new();
    let mut check = |what: &str, res: &reqwest::Response, status: u16, cache: &str| {
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_baseline_headers(res.headers(), cache, what);
        assert!(
            res.headers().get("strict-transport-security").is_none(),
            "{what}: no HSTS over plain http"
        );
        seen.push(what.to_owned());
    };

    let signed = send(
        client
            .post(app.url("/v1/sessions"))
            .json(&serde_json::json!({"email": OPERATOR_EMAIL, "password": NEW_PASSWORD})),
    )
    .await;
    check("POST /v1/sessions", &signed, 201, "no-store");
    let key = send(
        client
            .post(app.url("/v1/apikeys"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "Exporter", "roles": ["adminAgent"]})),
    )
    .await;
    check("POST /v1/apikeys", &key, 201, "no-store");
    let me = send(client.get(app.url("/v1/me")).bearer_auth(&token)).await;
    check("GET /v1/me", &me, 200, "no-store");
    let anonymous = send(client.get(app.url("/v1/me"))).await;
    check("401", &anonymous, 401, "no-store");
    let missing = send(client.get(app.url("/v1/no-such-thing")).bearer_auth(&token)).await;
    check("API 404", &missing, 404, "no-store");
    let not_allowed = send(client.delete(app.url("/v1/sessions"))).await;
    check("API 405", &not_allowed, 405, "no-store");
    let too_large = send(
        client
            .post(app.url("/v1/apikeys"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(vec![b' '; 2 * 1024 * 1024]),
    )
    .await;
    check("413", &too_large, 413, "no-store");
    let wrong_type = send(
        client
            .post(app.url("/v1/apikeys"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    check("415", &wrong_type, 415, "no-store");
    let openapi = send(client.get(app.url("/v1/openapi.json"))).await;
    check("openapi", &openapi, 200, "no-store");
    for path in ["/healthz", "/readyz", "/metrics"] {
        let res = send(client.get(app.url(path))).await;
        check(path, &res, 200, "no-store");
    }
    for path in ["/assets/app.css", "/assets/app.js"] {
        let res = send(client.get(app.url(path))).await;
        check(path, &res, 200, "public, max-age=3600");
    }
    let signin = send(client.get(app.url("/signin"))).await;
    check("GET /signin", &signin, 200, "no-store");
    let to_signin = send(client.get(app.url("/"))).await;
    check("303 to sign-in", &to_signin, 303, "no-store");
    let page_404 = send(client.get(app.url("/no/such/page"))).await;
    check("page 404", &page_404, 404, "no-store");
    let page_405 = send(client.delete(app.url("/signin"))).await;
    check("page 405", &page_405, 405, "no-store");
    let forged = send(
        client
            .post(app.url("/signin"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=forged&email=a%40b.example&password=x"),
    )
    .await;
    check("403 csrf", &forged, 403, "no-store");

    // The portal page that shows a new API key's secret.
    let mut b = Browser::new(&app);
    b.set_cookie("partnerd_session", &token);
    let keys = b.get("/settings/api-keys").await;
    let csrf = csrf_of(&keys.html);
    let created = b
        .post(
            "/settings/api-keys",
            &[
                ("csrf", &csrf),
                ("name", "Shown once"),
                ("roles", "adminAgent"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    assert!(created.html.contains("pdk_"), "the secret is on the page");
    assert_baseline_headers(&created.headers, "no-store", "the new key's page");
    assert_self_contained_page("/settings/api-keys", &created.html);

    app.start_draining();
    let draining = send(client.get(app.url("/readyz"))).await;
    check("503 draining", &draining, 503, "no-store");
    assert_eq!(seen.len(), 20, "{seen:?}");
    app.shutdown().await;
}
both!(every_response_carries_the_security_headers);

async fn rate_limited_answers_carry_the_security_headers(app: TestApp) {
    let mut last = None;
    for _ in 0..5 {
        let res = app
            .client
            .post(app.url("/v1/sessions"))
            .json(&serde_json::json!({"email": "nobody@x.example", "password": "wrong one"}))
            .send()
            .await
            .expect("request");
        last = Some(res);
    }
    let res = last.expect("a response");
    assert_eq!(res.status().as_u16(), 429);
    assert_baseline_headers(res.headers(), "no-store", "429");
    app.shutdown().await;
}
both!(rate_limited_answers_carry_the_security_headers, |mut c| {
    c.app.rate_limit_target_per_min = 2;
    c
});

async fn hsts_only_when_the_public_url_is_https(app: TestApp) {
    for path in ["/healthz", "/signin", "/v1/me", "/assets/app.css", "/nope"] {
        let res = app.client.get(app.url(path)).send().await.expect("request");
        let hsts: Vec<_> = res
            .headers()
            .get_all("strict-transport-security")
            .iter()
            .collect();
        assert_eq!(hsts, ["max-age=31536000"], "{path}");
        assert_baseline_headers(
            res.headers(),
            if path.starts_with("/assets/") {
                "public, max-age=3600"
            } else {
                "no-store"
            },
            path,
        );
    }
    app.shutdown().await;
}
both!(hsts_only_when_the_public_url_is_https, |mut c| {
    c.public_url = Some("https://partners.example".into());
    c
});

/// Posts the API-key form with exactly these cookies, token and extra headers.
async fn post_key_form(
    app: &TestApp,
    cookies: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/settings/api-keys"))
        .header("cookie", cookies)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&name=Planted&roles=adminAgent"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("post")
}

/// Asserts the 403 page of a refused form.
async fn assert_csrf_failed(res: reqwest::Response, what: &str) {
    assert_eq!(res.status().as_u16(), 403, "{what}");
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("csrf_failed"), "{what}: {html}");
}

async fn key_count(app: &TestApp, token: &str) -> i64 {
    let list = app.get("/v1/apikeys", token).await;
    list.ok(200)["totalCount"].as_i64().expect("totalCount")
}

async fn csrf_token_is_bound_to_the_session_and_changes_at_sign_in(app: TestApp) {
    let api = app.operator_token().await;
    let mut b = Browser::new(&app);
    let first = b.get("/signin").await;
    let presession = first
        .set_cookies
        .iter()
        .find(|c| c.starts_with("partnerd_presession="))
        .expect("a pre-session for a browser without a session");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=7200"] {
        assert!(presession.contains(attribute), "{presession}");
    }
    let value = b.cookie("partnerd_presession").expect("kept");
    assert_eq!(value.len(), 43, "32 random bytes in base64url");
    assert!(
        !first
            .set_cookies
            .iter()
            .any(|c| c.contains("partnerd_csrf")),
        "the v1 CSRF cookie is retired"
    );
    let before = csrf_of(&first.html);
    let again = b.get("/signin").await;
    assert!(again.set_cookies.is_empty(), "the pre-session is kept");
    assert_eq!(csrf_of(&again.html), before, "one token per pre-session");
    let other = Browser::new(&app).get("/signin").await;
    assert_ne!(csrf_of(&other.html), before, "each browser has its own");

    let signed = b
        .post(
            "/signin",
            &[
                ("csrf", &before),
                ("email", OPERATOR_EMAIL),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    let keys = b.get("/settings/api-keys").await;
    let after = csrf_of(&keys.html);
    assert_ne!(after, before, "the token changes at sign-in");
    assert_eq!(
        csrf_of(&b.get("/").await.html),
        after,
        "stable in a session"
    );

    // The token from before sign-in no longer works, the new one does.
    let stale = b
        .post(
            "/settings/api-keys",
            &[
                ("csrf", &before),
                ("name", "Stale"),
                ("roles", "adminAgent"),
            ],
        )
        .await;
    assert_eq!(stale.status, 403);
    assert!(stale.html.contains("csrf_failed"));
    assert_eq!(key_count(&app, &api).await, 0, "nothing changed");
    let fresh = b
        .post(
            "/settings/api-keys",
            &[("csrf", &after), ("name", "Fresh"), ("roles", "adminAgent")],
        )
        .await;
    assert_eq!(fresh.status, 200);
    assert_eq!(key_count(&app, &api).await, 1);

    // Another session of the same person has another token, refused here.
    let (mut second, second_token) = crate::pages::signed_in_browser(&app, OPERATOR_EMAIL).await;
    assert_ne!(second_token, after);
    let crossed = b
        .post(
            "/settings/api-keys",
            &[
                ("csrf", &second_token),
                ("name", "Crossed"),
                ("roles", "adminAgent"),
            ],
        )
        .await;
    assert_eq!(crossed.status, 403);
    assert_eq!(key_count(&app, &api).await, 1);

    // Sign-out starts a new pre-session, with a new token.
    let out = second.post("/signout", &[("csrf", &second_token)]).await;
    assert_eq!(out.status, 303);
    assert!(
        out.set_cookies
            .iter()
            .any(|c| c.starts_with("partnerd_presession=") && c.contains("Max-Age=7200")),
        "{:?}",
        out.set_cookies
    );
    let signed_out = second.get("/signin").await;
    let token_out = csrf_of(&signed_out.html);
    assert!(token_out != second_token && token_out != before && token_out != after);
    app.shutdown().await;
}
both!(csrf_token_is_bound_to_the_session_and_changes_at_sign_in);

async fn a_planted_cookie_chooses_no_token(app: TestApp) {
    let api = app.operator_token().await;
    let (victim, _) = crate::pages::signed_in_browser(&app, OPERATOR_EMAIL).await;
    let session = victim.cookie("partnerd_session").expect("session");

    // Double submit would take a cookie and a field that merely agree.
    let chosen = "A".repeat(43);
    for name in ["partnerd_csrf", "partnerd_presession"] {
        let res = post_key_form(
            &app,
            &format!("partnerd_session={session}; {name}={chosen}"),
            &chosen,
            &[],
        )
        .await;
        assert_csrf_failed(res, name).await;
    }
    // A pre-session the attacker made (and whose token they can read off the
    // sign-in page) does not sign for the victim's session either.
    let mut attacker = Browser::new(&app);
    let page = attacker.get("/signin").await;
    let attacker_token = csrf_of(&page.html);
    let attacker_presession = attacker.cookie("partnerd_presession").expect("made");
    let res = post_key_form(
        &app,
        &format!("partnerd_session={session}; partnerd_presession={attacker_presession}"),
        &attacker_token,
        &[],
    )
    .await;
    assert_csrf_failed(res, "the attacker's pre-session").await;
    // Nor without the session: a planted pre-session of the wrong shape is replaced.
    let mut planted = Browser::new(&app);
    planted.set_cookie("partnerd_presession", "attacker");
    let page = planted.get("/signin").await;
    assert_ne!(
        planted.cookie("partnerd_presession").as_deref(),
        Some("attacker")
    );
    let res = app
        .client
        .post(app.url("/signin"))
        .header("cookie", "partnerd_presession=attacker")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={}&email=olivia%40operator.example&password=correct+horse+battery+staple",
            csrf_of(&page.html)
        ))
        .send()
        .await
        .expect("post");
    assert_csrf_failed(res, "an ill-formed pre-session").await;
    assert_eq!(key_count(&app, &api).await, 0, "nothing changed");
    app.shutdown().await;
}
both!(a_planted_cookie_chooses_no_token);

async fn forms_from_another_site_are_refused(app: TestApp) {
    let api = app.operator_token().await;
    let (victim, token) = crate::pages::signed_in_browser(&app, OPERATOR_EMAIL).await;
    let cookies = format!(
        "partnerd_session={}",
        victim.cookie("partnerd_session").expect("session")
    );
    let own_origin = app.base.clone();
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("sec-fetch-site", "none")][..],
        &[("origin", "https://evil.example")][..],
        &[("origin", "null"), ("sec-fetch-site", "cross-site")][..],
        &[("origin", "")][..],
        &[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:1"),
        ][..],
    ] {
        let res = post_key_form(&app, &cookies, &token, headers).await;
        assert_csrf_failed(res, &format!("{headers:?}")).await;
    }
    assert_eq!(key_count(&app, &api).await, 0, "nothing changed");
    let same = post_key_form(
        &app,
        &cookies,
        &token,
        &[("sec-fetch-site", "same-origin"), ("origin", &own_origin)],
    )
    .await;
    assert_eq!(same.status().as_u16(), 200, "a same-origin form is taken");
    // What a browser sends for a form on a page with `Referrer-Policy: no-referrer`.
    let no_referrer = post_key_form(
        &app,
        &cookies,
        &token,
        &[("sec-fetch-site", "same-origin"), ("origin", "null")],
    )
    .await;
    assert_eq!(
        no_referrer.status().as_u16(),
        200,
        "Origin: null says nothing"
    );
    // The token may come as a header instead of the field.
    let by_header = app
        .client
        .post(app.url("/settings/api-keys"))
        .header("cookie", &cookies)
        .header("x-csrf-token", &token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Header&roles=adminAgent")
        .send()
        .await
        .expect("post");
    assert_eq!(by_header.status().as_u16(), 200);
    assert_eq!(key_count(&app, &api).await, 3);
    app.shutdown().await;
}
both!(forms_from_another_site_are_refused);

/// Posts raw bytes with this Content-Type (none when `None`).
async fn post_raw(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> crate::helpers::Resp {
    let mut req = app.client.post(app.url(path)).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    TestApp::read(req.send().await.expect("send")).await
}

async fn json_bodies_are_read_strictly(app: TestApp) {
    let token = app.operator_token().await;
    let json = Some("application/json");

    // Duplicate member names, at any depth, before anything else reads the body.
    for (body, detail) in [
        (
            r#"{"name": "a", "name": "b", "roles": ["adminAgent"]}"#,
            r#"duplicate member "name" in the top-level object"#,
        ),
        (
            r#"{"name": "a", "\u006eame": "b", "roles": ["adminAgent"]}"#,
            r#"duplicate member "name" in the top-level object"#,
        ),
        (
            r#"{"name": "k", "roles": ["adminAgent"], "x": {"admin": {"email": "a", "email": "b"}}}"#,
            r#"duplicate member "email" in /x/admin"#,
        ),
        (
            r#"{"name": "k", "list": [{}, {"a": 1, "a": 2}]}"#,
            r#"duplicate member "a" in /list/1"#,
        ),
        (
            r#"{"a/b~": {"c": 1, "c": 2}}"#,
            r#"duplicate member "c" in /a~1b~0"#,
        ),
    ] {
        let res = post_raw(&app, "/v1/apikeys", Some(&token), json, body).await;
        res.problem(400, "bad_request");
        assert_eq!(res.body["detail"], detail, "{body}");
    }
    // The same name in different objects is no duplicate.
    let ok = post_raw(
        &app,
        "/v1/apikeys",
        Some(&token),
        json,
        r#"{"name": "k", "roles": ["adminAgent"], "expiresAt": null}"#,
    )
    .await;
    ok.ok(201);
    // The rule is the extractor's, so every endpoint has it; authentication first.
    let sign_in = post_raw(
        &app,
        "/v1/sessions",
        None,
        json,
        r#"{"email": "a@b.example", "email": "olivia@operator.example", "password": "x"}"#,
    )
    .await;
    sign_in.problem(400, "bad_request");
    assert_eq!(
        sign_in.body["detail"],
        r#"duplicate member "email" in the top-level object"#
    );
    post_raw(
        &app,
        "/v1/apikeys",
        None,
        json,
        r#"{"name": "a", "name": "b"}"#,
    )
    .await
    .problem(401, "unauthenticated");

    // Media types: application/json with at most charset=utf-8.
    let body = r#"{"name": "typed", "roles": ["adminAgent"]}"#;
    for accepted in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/json ; charset = utf-8",
        "application/json; charset=\"utf-8\"",
    ] {
        post_raw(&app, "/v1/apikeys", Some(&token), Some(accepted), body)
            .await
            .ok(201);
    }
    for refused in [
        Some("application/merge-patch+json"),
        Some("application/vnd.partnerd+json"),
        Some("application/problem+json"),
        Some("application/json; charset=latin1"),
        Some("application/json; charset=utf-16"),
        Some("application/json; charset=utf-8; q=1"),
        Some("application/json; version=2"),
        Some("application/json;"),
        Some("application/jsonx"),
        Some("text/json"),
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let res = post_raw(&app, "/v1/apikeys", Some(&token), refused, body).await;
        assert_eq!(res.status, 415, "{refused:?}: {}", res.text);
        res.problem(415, "unsupported_media_type");
    }

    // UTF-8 without a BOM, one JSON value.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(body.as_bytes());
    for bad in [
        bom,
        br#"{"name": "a"} {"name": "b"}"#.to_vec(),
        b"{\"name\": \"\xFF\"}".to_vec(),
        br#"{"name": "a""#.to_vec(),
    ] {
        let res = post_raw(&app, "/v1/apikeys", Some(&token), json, bad).await;
        res.problem(400, "bad_request");
    }
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(
        list.ok(200)["totalCount"],
        6,
        "only the accepted requests made keys"
    );
    app.shutdown().await;
}
both!(json_bodies_are_read_strictly);

const INVISIBLE: &[&str] = &[
    "\u{200B}\u{200B}",
    "\u{3164}",
    "\u{00AD}",
    " \u{2060} ",
    "\u{0301}",
];
const BIDI: &[&str] = &["Contoso\u{202E}", "\u{2067}Fabrikam\u{2069}"];
const SHOWN: &[&str] = &["Zoë", "محمد", "株式会社", "👩\u{200D}💻 Lab"];

async fn names_and_titles_must_show(app: TestApp) {
    let token = app.operator_token().await;
    let refused = INVISIBLE
        .iter()
        .map(|v| (*v, "invisible_text"))
        .chain(BIDI.iter().map(|v| (*v, "bidi_control_not_allowed")));
    for (value, code) in refused {
        // A top-level name.
        let res = app
            .post(
                "/v1/apikeys",
                &token,
                serde_json::json!({"name": value, "roles": ["adminAgent"]}),
            )
            .await;
        res.problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["pointer"], "/name", "{value:?}");
        assert_eq!(res.body["errors"][0]["code"], code, "{value:?}");
        // Names at depth, each named.
        let res = app
            .call(
                reqwest::Method::POST,
                "/v1/tenants",
                None,
                Some(serde_json::json!({
                    "companyName": value, "domainPrefix": "shown", "country": "DE",
                    "admin": {"email": "cora@shown.example", "firstName": "Cora",
                        "lastName": value, "password": NEW_PASSWORD}
                })),
            )
            .await;
        res.problem(422, "validation_failed");
        let errors: Vec<(String, String)> = res.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["pointer"].as_str().unwrap_or_default().to_owned(),
                    e["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            errors,
            [
                ("/admin/lastName".to_owned(), code.to_owned()),
                ("/companyName".to_owned(), code.to_owned()),
            ],
            "{value:?}"
        );
    }
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(list.ok(200)["totalCount"], 0, "nothing was made");
    for (i, value) in SHOWN.iter().enumerate() {
        let made = app
            .post(
                "/v1/apikeys",
                &token,
                serde_json::json!({"name": value, "roles": ["adminAgent"]}),
            )
            .await;
        assert_eq!(made.ok(201)["name"], *value);
        let tenant = app
            .call(
                reqwest::Method::POST,
                "/v1/tenants",
                None,
                Some(serde_json::json!({
                    "companyName": value, "domainPrefix": format!("shown-{i}"), "country": "DE",
                    "admin": {"email": format!("cora@shown-{i}.example"), "firstName": value,
                        "lastName": value, "password": NEW_PASSWORD}
                })),
            )
            .await;
        tenant.ok(201);
    }

    // The portal's forms follow the same rule.
    let (mut b, csrf) = crate::pages::signed_in_browser(&app, OPERATOR_EMAIL).await;
    for (value, code) in [
        (INVISIBLE[0], "invisible_text"),
        (BIDI[0], "bidi_control_not_allowed"),
    ] {
        let res = b
            .post(
                "/settings/users/new",
                &[
                    ("csrf", &csrf),
                    ("first_name", "Hal"),
                    ("last_name", value),
                    ("email", "hal@operator.example"),
                    ("agent_role", "helpdeskAgent"),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{value:?}");
        let reason = if code == "invisible_text" {
            "visible character"
        } else {
            "bidirectional"
        };
        assert!(
            res.html.contains("/lastName") && res.html.contains(reason),
            "{code}: {}",
            res.html
        );
        let key = b
            .post(
                "/settings/api-keys",
                &[("csrf", &csrf), ("name", value), ("roles", "adminAgent")],
            )
            .await;
        assert_eq!(key.status, 422, "{value:?}");
    }
    let shown = b
        .post(
            "/settings/users/new",
            &[
                ("csrf", &csrf),
                ("first_name", "Zoë"),
                ("last_name", "محمد"),
                ("email", "zoe@operator.example"),
                ("agent_role", "helpdeskAgent"),
            ],
        )
        .await;
    assert_eq!(shown.status, 200);
    let users = app.get("/v1/users", &token).await;
    let emails = users.ok(200).to_string();
    assert!(emails.contains("zoe@operator.example") && !emails.contains("hal@operator.example"));
    app.shutdown().await;
}
both!(names_and_titles_must_show, generous);

/// Sends a request's head and the first part of its body on a new connection.
async fn start_slow_post(app: &TestApp, token: &str, body: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/apikeys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .expect("half the body");
    stream
}

/// Reads until the server closes the connection.
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn sigterm_drains_then_stops(app: TestApp) {
    use tokio::io::AsyncWriteExt;
    let token = app.operator_token().await;
    let body = r#"{"name": "In flight", "roles": ["adminAgent"]}"#;
    let mut finishing = start_slow_post(&app, &token, body).await;
    let mut stuck = start_slow_post(&app, &token, body).await;
    // A kept-alive connection from before the signal.
    let kept = reqwest::Client::new();
    kept.get(app.url("/healthz")).send().await.expect("warm");

    let (base, client) = (app.base.clone(), app.client.clone());
    let started = std::time::Instant::now();
    let stopping = tokio::spawn(app.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;

    // At once: not ready, still alive, and every answer closes its connection.
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 503);
    assert_eq!(
        ready
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    assert_eq!(
        ready
            .headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    let problem: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(problem["checks"]["draining"], "draining", "{problem}");
    let health = kept
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz on the kept-alive connection");
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(
        health
            .headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );

    // After the drain delay (1 s) the listener is closed.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let addr = base.trim_start_matches("http://").to_owned();
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "the listener closed at the drain delay"
    );
    // An in-flight request still finishes within the shutdown timeout (2 s)...
    finishing
        .write_all(&body.as_bytes()[body.len() / 2..])
        .await
        .expect("the rest of the body");
    let answer = read_to_close(&mut finishing).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    // ...and one that does not is dropped at it: its handler answers 503.
    let dropped = read_to_close(&mut stuck).await;
    assert!(dropped.starts_with("HTTP/1.1 503"), "{dropped}");
    assert!(dropped.contains("service_unavailable"), "{dropped}");
    stopping.await.expect("shutdown task");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(5),
        "drain delay + shutdown timeout: {took:?}"
    );
}
both!(sigterm_drains_then_stops, |mut c| {
    c.drain_delay = Duration::from_secs(1);
    c.shutdown_timeout = Duration::from_secs(2);
    c
});

async fn a_body_that_does_not_arrive_is_408(app: TestApp) {
    let token = app.operator_token().await;
    let body = r#"{"name": "Slow", "roles": ["adminAgent"]}"#;
    let started = std::time::Instant::now();
    let mut api = start_slow_post(&app, &token, body).await;
    let answer = read_to_close(&mut api).await;
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(lower.contains("content-security-policy"), "{answer}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The same for a portal form.
    use tokio::io::AsyncWriteExt;
    let mut form = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("connect");
    form.write_all(
        b"POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncsrf=",
    )
    .await
    .expect("write");
    let answer = read_to_close(&mut form).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(list.ok(200)["totalCount"], 0);
    app.shutdown().await;
}
both!(a_body_that_does_not_arrive_is_408, |mut c| {
    c.app.http_body_timeout = Duration::from_secs(1);
    c
});

async fn a_request_that_takes_too_long_is_dropped_with_503(app: TestApp) {
    let token = app.operator_token().await;
    let body = r#"{"name": "Slow", "roles": ["adminAgent"]}"#;
    let started = std::time::Instant::now();
    let mut api = start_slow_post(&app, &token, body).await;
    let answer = read_to_close(&mut api).await;
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("\"code\":\"service_unavailable\""),
        "{answer}"
    );
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("retry-after: 5"), "{answer}");
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let list = app.get("/v1/apikeys", &token).await;
    assert_eq!(list.ok(200)["totalCount"], 0);
    app.shutdown().await;
}
both!(
    a_request_that_takes_too_long_is_dropped_with_503,
    |mut c| {
        c.app.http_body_timeout = Duration::from_secs(10);
        c.app.http_request_timeout = Duration::from_secs(1);
        c
    }
);
