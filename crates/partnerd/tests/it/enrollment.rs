//! API.md §5: tenant sign-up, enrollment, verification, review.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{NEW_PASSWORD, TestApp, mail_header};
use crate::roles::partner_admin;

pub const REGISTRY_PASSWORD: &str = "registry sign-in for the test";

/// Memberships in DE and FR and a registry account holding both; returns the ids.
pub async fn registry(app: &TestApp, op: &str, username: &str, de: &str, fr: &str) {
    app.post(
        "/v1/registry/memberships",
        op,
        json!({"membershipId": de, "legalName": "Contoso Reseller GmbH", "country": "DE"}),
    )
    .await
    .ok(201);
    app.post(
        "/v1/registry/memberships",
        op,
        json!({"membershipId": fr, "legalName": "Contoso Reseller SARL", "country": "FR"}),
    )
    .await
    .ok(201);
    app.post(
        "/v1/registry/accounts",
        op,
        json!({"username": username, "password": REGISTRY_PASSWORD, "membershipIds": [de, fr]}),
    )
    .await
    .ok(201);
}

pub fn tenant(prefix: &str, email: &str) -> Value {
    json!({"companyName": format!("{prefix} Reseller"), "domainPrefix": prefix, "country": "DE",
           "admin": {"email": email, "firstName": "Erin", "lastName": "Enroll", "password": NEW_PASSWORD}})
}

pub fn legal(contact: &str) -> Value {
    json!({"legalName": "Contoso Reseller GmbH", "address": {"line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
           "phone": "+49 30 123456", "website": "https://contoso-reseller.example",
           "primaryContact": {"firstName": "Pia", "lastName": "Primary", "email": contact}})
}

pub const SUPPORT: &str = r#"{"email": "support@contoso-reseller.example", "phone": "+49 30 654321", "hours": "Mon-Fri 8-18"}"#;

/// The newest mail of a template.
pub fn last_mail(app: &TestApp, template: &str) -> Option<String> {
    app.mails()
        .into_iter()
        .rev()
        .find(|m| mail_header(m, "X-Partnerd-Template") == Some(template))
}

pub fn token_of(eml: &str) -> String {
    let link = mail_header(eml, "X-Partnerd-Link").expect("link");
    link.split("token=").nth(1).expect("token").to_owned()
}

async fn a_reseller_enrolls_from_sign_up_to_approval(app: TestApp) {
    let op = app.operator_token().await;
    registry(&app, &op, "contoso-registry", "10000001", "10000002").await;

    // Sign up and start in one call.
    let started = app
        .call(
            Method::POST,
            "/v1/enrollments",
            None,
            Some(json!({"newTenant": tenant("contoso-res", "erin@contoso-reseller.example")})),
        )
        .await;
    let body = started.ok(201).clone();
    assert_eq!(body["status"], "draft");
    let token = body["session"]["token"]
        .as_str()
        .expect("session")
        .to_owned();
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.get("/v1/enrollments/current", &token).await.ok(200)["id"],
        id.as_str()
    );
    assert_eq!(
        app.get("/v1/organization", &token).await.ok(200)["kind"],
        "none"
    );
    app.post("/v1/enrollments", &token, json!({}))
        .await
        .problem(409, "conflict");

    // Membership: sign in to the registry, choose a same-country profile.
    let base = format!("/v1/enrollments/{id}");
    app.post(
        &format!("{base}/membership/signin"),
        &token,
        json!({"username": "contoso-registry", "password": "wrong wrong wrong"}),
    )
    .await
    .problem(401, "invalid_credentials");
    let signin = app
        .post(
            &format!("{base}/membership/signin"),
            &token,
            json!({"username": "Contoso-Registry", "password": REGISTRY_PASSWORD}),
        )
        .await;
    let s = signin.ok(200).clone();
    let msession = s["membershipSessionToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let profiles = s["profiles"].as_array().expect("profiles");
    assert_eq!(profiles.len(), 2);
    let fr = profiles.iter().find(|p| p["country"] == "FR").expect("fr");
    assert_eq!(
        (fr["linkable"].as_bool(), fr["reason"].as_str()),
        (Some(false), Some("countryMismatch"))
    );
    let membership_path = format!("{base}/membership");
    let link = |m: &str| {
        app.call(
            Method::PUT,
            &membership_path,
            Some(&token),
            Some(json!({"membershipSessionToken": msession, "membershipId": m})),
        )
    };
    link("10000002").await.problem(422, "country_mismatch");
    link("99999999").await.problem(403, "forbidden");
    let linked = link("10000001").await;
    assert_eq!(linked.ok(200)["membership"]["membershipId"], "10000001");

    // Legal profile: webmail and foreign addresses are refused next to the field.
    let res = app
        .call(
            Method::PUT,
            &format!("{base}/legalprofile"),
            Some(&token),
            Some(legal("pia@gmail.com")),
        )
        .await;
    res.problem(422, "webmail_not_allowed");
    assert_eq!(res.body["errors"][0]["pointer"], "/primaryContact/email");
    let mut abroad = legal("pia@contoso-reseller.example");
    abroad["address"]["country"] = json!("FR");
    app.call(
        Method::PUT,
        &format!("{base}/legalprofile"),
        Some(&token),
        Some(abroad),
    )
    .await
    .problem(422, "country_mismatch");
    assert!(
        last_mail(&app, "email_verification").is_none() && {
            app.drain_mail().await;
            last_mail(&app, "email_verification").is_none()
        }
    );
    app.call(
        Method::PUT,
        &format!("{base}/legalprofile"),
        Some(&token),
        Some(legal("pia@contoso-reseller.example")),
    )
    .await
    .ok(200);
    let support: Value = serde_json::from_str(SUPPORT).expect("json");
    app.call(
        Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&token),
        Some(support.clone()),
    )
    .await
    .ok(200);
    app.drain_mail().await;
    let verification = last_mail(&app, "email_verification").expect("verification mail");
    assert_eq!(
        mail_header(&verification, "To"),
        Some("pia@contoso-reseller.example")
    );
    assert!(
        mail_header(&verification, "X-Partnerd-Link")
            .is_some_and(|l| l.starts_with(&format!("{}/verify-email?token=", app.base)))
    );

    // Enroll now.
    let submitted = app.post(&format!("{base}/submit"), &token, json!({})).await;
    assert_eq!(submitted.ok(200)["status"], "pendingVerification");
    app.drain_mail().await;
    let note = last_mail(&app, "enrollment_submitted").expect("submitted mail");
    assert!(
        mail_header(&note, "To").is_some_and(|t| t.contains("pia@contoso-reseller.example")
            && t.contains("erin@contoso-reseller.example"))
    );
    app.call(
        Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&token),
        Some(support.clone()),
    )
    .await
    .problem(409, "invalid_state");

    // The contact confirms; the link works once.
    let vt = token_of(&verification);
    let confirmed = app
        .call(
            Method::POST,
            "/v1/emailverifications/confirm",
            None,
            Some(json!({"token": vt})),
        )
        .await;
    assert_eq!(confirmed.ok(200)["enrollmentId"], id.as_str());
    app.call(
        Method::POST,
        "/v1/emailverifications/confirm",
        None,
        Some(json!({"token": vt})),
    )
    .await
    .problem(409, "token_used");
    app.call(
        Method::POST,
        "/v1/emailverifications/confirm",
        None,
        Some(json!({"token": "nope"})),
    )
    .await
    .problem(404, "token_invalid");
    let e = app.get(&base, &token).await;
    assert_eq!(
        (
            e.ok(200)["status"].as_str(),
            e.body["primaryContactVerified"].as_bool()
        ),
        (Some("pendingReview"), Some(true))
    );

    // The operator rejects (a reason is required), the applicant fixes and resubmits.
    let queue = app.get("/v1/enrollments?status=pendingReview", &op).await;
    assert_eq!(queue.ok(200)["totalCount"], 1);
    app.post(&format!("{base}/reject"), &op, json!({"reason": " "}))
        .await
        .problem(422, "validation_failed");
    app.post(&format!("{base}/approve"), &token, json!({}))
        .await
        .problem(403, "forbidden");
    let rejected = app
        .post(
            &format!("{base}/reject"),
            &op,
            json!({"reason": "The support phone number does not answer."}),
        )
        .await;
    assert_eq!(
        rejected.ok(200)["decision"]["reason"],
        "The support phone number does not answer."
    );
    app.drain_mail().await;
    assert!(last_mail(&app, "enrollment_rejected").is_some_and(|m| m.contains("does not answer")));
    app.call(
        Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&token),
        Some(support),
    )
    .await
    .ok(200);
    let again = app.post(&format!("{base}/submit"), &token, json!({})).await;
    assert_eq!(
        again.ok(200)["status"],
        "pendingReview",
        "the contact is verified already"
    );

    let approved = app
        .post(&format!("{base}/approve"), &op, json!({"note": "Welcome"}))
        .await;
    let body = approved.ok(200).clone();
    assert_eq!(body["status"], "approved");
    let statuses: Vec<&str> = body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        vec![
            "draft",
            "pendingVerification",
            "pendingReview",
            "rejected",
            "pendingReview",
            "approved"
        ]
    );
    app.post(&format!("{base}/approve"), &op, json!({}))
        .await
        .problem(409, "invalid_state");
    let org = app.get("/v1/organization", &token).await.ok(200).clone();
    assert_eq!(
        (
            org["kind"].as_str(),
            org["membershipId"].as_str(),
            org["legalName"].as_str()
        ),
        (
            Some("partner"),
            Some("10000001"),
            Some("Contoso Reseller GmbH")
        )
    );
    assert_eq!(org["programs"], json!(["indirectReseller"]));
    assert_eq!(
        app.get("/v1/me", &token).await.ok(200)["roles"],
        json!(["globalAdmin", "adminAgent"]),
        "a role change applies without signing in again"
    );
    let m = app.get("/v1/registry/memberships/10000001", &op).await;
    assert_eq!(m.ok(200)["linkedOrganizationId"], org["id"]);
    app.call(
        Method::PATCH,
        "/v1/registry/memberships/10000001",
        Some(&op),
        Some(json!({"country": "AT"})),
    )
    .await
    .problem(409, "conflict");
    app.delete("/v1/registry/memberships/10000001", &op)
        .await
        .problem(409, "conflict");
    app.drain_mail().await;
    assert!(last_mail(&app, "enrollment_approved").is_some());
    app.shutdown().await;
}
both!(a_reseller_enrolls_from_sign_up_to_approval);

async fn one_membership_serves_one_organisation(app: TestApp) {
    let op = app.operator_token().await;
    registry(&app, &op, "shared-registry", "20000001", "20000002").await;
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for (prefix, email) in [
        ("first-res", "a@first-res.example"),
        ("second-res", "b@second-res.example"),
    ] {
        let s = app
            .call(
                Method::POST,
                "/v1/enrollments",
                None,
                Some(json!({"newTenant": tenant(prefix, email)})),
            )
            .await;
        let b = s.ok(201).clone();
        tokens.push(b["session"]["token"].as_str().expect("t").to_owned());
        ids.push(b["id"].as_str().expect("id").to_owned());
    }
    let mut sessions = Vec::new();
    for (t, id) in tokens.iter().zip(&ids) {
        let s = app
            .post(
                &format!("/v1/enrollments/{id}/membership/signin"),
                t,
                json!({"username": "shared-registry", "password": REGISTRY_PASSWORD}),
            )
            .await;
        sessions.push(
            s.ok(200)["membershipSessionToken"]
                .as_str()
                .expect("t")
                .to_owned(),
        );
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/v1/enrollments/{id}/membership"))
        .collect();
    let put = |i: usize| {
        app.call(
            Method::PUT,
            &paths[i],
            Some(&tokens[i]),
            Some(json!({"membershipSessionToken": sessions[i], "membershipId": "20000001"})),
        )
    };
    put(0).await.ok(200);
    put(1).await.problem(409, "membership_already_linked");
    let s = app
        .post(
            &format!("/v1/enrollments/{}/membership/signin", ids[1]),
            &tokens[1],
            json!({"username": "shared-registry", "password": REGISTRY_PASSWORD}),
        )
        .await;
    let de = s.ok(200)["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .find(|p| p["membershipId"] == "20000001")
        .cloned()
        .expect("de");
    assert_eq!(de["reason"], "alreadyLinked");
    // The membership session expires after 10 minutes.
    app.app.clock().advance(11 * 60 * 1000);
    app.call(
        Method::PUT,
        &format!("/v1/enrollments/{}/membership", ids[1]),
        Some(&tokens[1]),
        Some(json!({"membershipSessionToken": sessions[1], "membershipId": "20000001"})),
    )
    .await
    .problem(410, "token_expired");
    app.shutdown().await;
}
both!(one_membership_serves_one_organisation);

async fn verification_links_expire_and_are_replaced(app: TestApp) {
    let op = app.operator_token().await;
    registry(&app, &op, "links-registry", "30000001", "30000002").await;
    let s = app
        .call(
            Method::POST,
            "/v1/enrollments",
            None,
            Some(json!({"newTenant": tenant("links-res", "l@links-res.example")})),
        )
        .await;
    let b = s.ok(201).clone();
    let (token, id) = (
        b["session"]["token"].as_str().expect("t").to_owned(),
        b["id"].as_str().expect("id").to_owned(),
    );
    let base = format!("/v1/enrollments/{id}");
    app.call(
        Method::PUT,
        &format!("{base}/legalprofile"),
        Some(&token),
        Some(legal("pia@links-res.example")),
    )
    .await
    .ok(200);
    app.drain_mail().await;
    let first = token_of(&last_mail(&app, "email_verification").expect("mail"));
    app.post(
        &format!("{base}/primarycontact/verification"),
        &token,
        json!({}),
    )
    .await
    .problem(429, "rate_limited");
    app.app.clock().advance(61_000);
    let token = app
        .sign_in("l@links-res.example", NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let resent = app
        .post(
            &format!("{base}/primarycontact/verification"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(resent.status.as_u16(), 202);
    assert_eq!(resent.body["sentTo"], "pia@links-res.example");
    app.drain_mail().await;
    let second = token_of(&last_mail(&app, "email_verification").expect("mail"));
    assert_ne!(first, second);
    app.call(
        Method::POST,
        "/v1/emailverifications/confirm",
        None,
        Some(json!({"token": first})),
    )
    .await
    .problem(410, "token_expired");
    app.app.clock().advance(72 * 3600 * 1000 + 1000);
    app.call(
        Method::POST,
        "/v1/emailverifications/confirm",
        None,
        Some(json!({"token": second})),
    )
    .await
    .problem(410, "token_expired");
    // Missing sections are named; API keys cannot submit.
    let token = app
        .sign_in("l@links-res.example", NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let res = app.post(&format!("{base}/submit"), &token, json!({})).await;
    res.problem(422, "validation_failed");
    let pointers: Vec<&str> = res.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(pointers, vec!["/membership", "/supportProfile"]);
    let withdrawn = app
        .post(&format!("{base}/withdraw"), &token, json!({}))
        .await;
    assert_eq!(withdrawn.ok(200)["status"], "withdrawn");
    app.post(&format!("{base}/withdraw"), &token, json!({}))
        .await
        .problem(409, "invalid_state");
    // A withdrawn enrollment frees the organisation to start again.
    app.post("/v1/enrollments", &token, json!({})).await.ok(201);
    app.shutdown().await;
}
both!(verification_links_expire_and_are_replaced);

async fn existing_partners_take_the_shortcut(app: TestApp) {
    let op = app.operator_token().await;
    let partner = partner_admin(&app, &op, "fabrikam-dist").await;
    let started = app
        .post(
            "/v1/enrollments",
            &partner,
            json!({"existingPartner": true}),
        )
        .await;
    let id = started.ok(201)["id"].as_str().expect("id").to_owned();
    let base = format!("/v1/enrollments/{id}");
    app.post(&format!("{base}/submit"), &partner, json!({}))
        .await
        .problem(422, "validation_failed");
    let support: Value = serde_json::from_str(SUPPORT).expect("json");
    app.call(
        Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&partner),
        Some(support),
    )
    .await
    .ok(200);
    let key = app
        .post("/v1/apikeys", &partner, json!({"name": "k"}))
        .await
        .ok(201)["secret"]
        .as_str()
        .expect("s")
        .to_owned();
    app.post(&format!("{base}/submit"), &key, json!({}))
        .await
        .problem(403, "user_session_required");
    let done = app
        .post(&format!("{base}/submit"), &partner, json!({}))
        .await;
    assert_eq!(done.ok(200)["status"], "approved", "approved at once");
    assert_eq!(
        app.get("/v1/organization", &partner).await.ok(200)["programs"],
        json!(["indirectReseller"])
    );
    app.drain_mail().await;
    assert!(
        last_mail(&app, "enrollment_approved")
            .is_some_and(|m| mail_header(&m, "To") == Some("admin@fabrikam-dist.example"))
    );
    // A tenant that is no partner cannot take the shortcut.
    let t = app
        .call(
            Method::POST,
            "/v1/tenants",
            None,
            Some(tenant("plain-res", "p@plain-res.example")),
        )
        .await;
    let t = t.ok(201)["session"]["token"]
        .as_str()
        .expect("t")
        .to_owned();
    app.post("/v1/enrollments", &t, json!({"existingPartner": true}))
        .await
        .problem(409, "wrong_organization_kind");
    app.shutdown().await;
}
both!(existing_partners_take_the_shortcut);

async fn tenant_sign_up_validates_and_concurrent_approvals_settle_once(app: TestApp) {
    let op = app.operator_token().await;
    let mut weak = tenant("weak-res", "w@weak-res.example");
    weak["admin"]["password"] = json!("passwordpassword");
    app.call(Method::POST, "/v1/tenants", None, Some(weak))
        .await
        .problem(422, "weak_password");
    app.call(
        Method::POST,
        "/v1/tenants",
        None,
        Some(tenant("operator", "x@x-res.example")),
    )
    .await
    .problem(409, "domain_unavailable");
    app.call(
        Method::POST,
        "/v1/tenants",
        None,
        Some(tenant("dup-res", crate::helpers::OPERATOR_EMAIL)),
    )
    .await
    .problem(409, "email_in_use");
    let created = app
        .call(
            Method::POST,
            "/v1/tenants",
            None,
            Some(tenant("ok-res", "o@ok-res.example")),
        )
        .await;
    let b = created.ok(201).clone();
    assert_eq!(
        (
            b["organization"]["kind"].as_str(),
            b["user"]["roles"].clone()
        ),
        (Some("none"), json!(["globalAdmin"]))
    );
    let token = b["session"]["token"].as_str().expect("t").to_owned();

    registry(&app, &op, "race-registry", "40000001", "40000002").await;
    let id = app.post("/v1/enrollments", &token, json!({})).await.ok(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let base = format!("/v1/enrollments/{id}");
    let ms = app
        .post(
            &format!("{base}/membership/signin"),
            &token,
            json!({"username": "race-registry", "password": REGISTRY_PASSWORD}),
        )
        .await
        .ok(200)["membershipSessionToken"]
        .as_str()
        .expect("t")
        .to_owned();
    app.call(
        Method::PUT,
        &format!("{base}/membership"),
        Some(&token),
        Some(json!({"membershipSessionToken": ms, "membershipId": "40000001"})),
    )
    .await
    .ok(200);
    app.call(
        Method::PUT,
        &format!("{base}/legalprofile"),
        Some(&token),
        Some(legal("pia@ok-res.example")),
    )
    .await
    .ok(200);
    let support: Value = serde_json::from_str(SUPPORT).expect("json");
    app.call(
        Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&token),
        Some(support),
    )
    .await
    .ok(200);
    app.drain_mail().await;
    let vt = token_of(&last_mail(&app, "email_verification").expect("mail"));
    app.call(
        Method::POST,
        "/v1/emailverifications/confirm",
        None,
        Some(json!({"token": vt})),
    )
    .await
    .ok(200);
    app.post(&format!("{base}/submit"), &token, json!({}))
        .await
        .ok(200);
    let approve_path = format!("{base}/approve");
    let results =
        crate::users::futures_join((0..4).map(|_| app.post(&approve_path, &op, json!({})))).await;
    let ok = results.iter().filter(|r| r.status.as_u16() == 200).count();
    let refused = results.iter().filter(|r| r.status.as_u16() == 409).count();
    assert_eq!((ok, refused), (1, 3), "exactly one approval wins");
    app.shutdown().await;
}
both!(tenant_sign_up_validates_and_concurrent_approvals_settle_once);

/// [`tenant`], for callers that need a value (same password as every test user).
pub fn tenant_with_password(prefix: &str, email: &str) -> Value {
    json!({"newTenant": tenant(prefix, email)})
}

/// A reseller enrolled through every step and approved; returns its GA's token.
pub async fn approved_reseller(app: &TestApp, op: &str, prefix: &str, membership: &str) -> String {
    app.post(
        "/v1/registry/memberships",
        op,
        json!({"membershipId": membership, "legalName": format!("{prefix} GmbH"), "country": "DE"}),
    )
    .await
    .ok(201);
    let username = format!("{prefix}-registry");
    app.post(
        "/v1/registry/accounts",
        op,
        json!({"username": username, "password": REGISTRY_PASSWORD, "membershipIds": [membership]}),
    )
    .await
    .ok(201);
    let started = app
        .call(
            Method::POST,
            "/v1/enrollments",
            None,
            Some(json!({"newTenant": tenant(prefix, &format!("gina@{prefix}.example"))})),
        )
        .await;
    let body = started.ok(201).clone();
    let (token, id) = (
        body["session"]["token"].as_str().expect("t").to_owned(),
        body["id"].as_str().expect("id").to_owned(),
    );
    let base = format!("/v1/enrollments/{id}");
    let ms = app
        .post(
            &format!("{base}/membership/signin"),
            &token,
            json!({"username": username, "password": REGISTRY_PASSWORD}),
        )
        .await;
    let ms = ms.ok(200)["membershipSessionToken"]
        .as_str()
        .expect("t")
        .to_owned();
    app.call(
        Method::PUT,
        &format!("{base}/membership"),
        Some(&token),
        Some(json!({"membershipSessionToken": ms, "membershipId": membership})),
    )
    .await
    .ok(200);
    app.call(
        Method::PUT,
        &format!("{base}/legalprofile"),
        Some(&token),
        Some(legal(&format!("pia@{prefix}.example"))),
    )
    .await
    .ok(200);
    app.call(
        Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&token),
        Some(serde_json::from_str(SUPPORT).expect("json")),
    )
    .await
    .ok(200);
    app.drain_mail().await;
    let vt = token_of(&last_mail(app, "email_verification").expect("mail"));
    app.call(
        Method::POST,
        "/v1/emailverifications/confirm",
        None,
        Some(json!({"token": vt})),
    )
    .await
    .ok(200);
    app.post(&format!("{base}/submit"), &token, json!({}))
        .await
        .ok(200);
    app.post(&format!("{base}/approve"), op, json!({}))
        .await
        .ok(200);
    token
}

async fn partners_keep_their_profiles_after_enrollment(app: TestApp) {
    let op = app.operator_token().await;
    let ga = approved_reseller(&app, &op, "profiled", "80000001").await;
    let legal_profile = app.get("/v1/profiles/legalbusiness", &ga).await;
    let body = legal_profile.ok(200).clone();
    assert_eq!(
        (
            body["legalName"].as_str(),
            body["primaryContactVerified"].as_bool()
        ),
        (Some("Contoso Reseller GmbH"), Some(true))
    );
    assert_eq!(
        app.get("/v1/profiles/membership", &ga).await.ok(200)["membershipId"],
        "80000001"
    );
    assert_eq!(
        app.get("/v1/profiles/support", &ga).await.ok(200)["hours"],
        "Mon-Fri 8-18"
    );

    // Changing the primary contact verifies the new address again.
    let mut changed = legal("new.contact@profiled.example");
    changed["legalName"] = json!("Profiled Reseller GmbH");
    let res = app
        .call(
            Method::PUT,
            "/v1/profiles/legalbusiness",
            Some(&ga),
            Some(changed),
        )
        .await;
    assert_eq!(
        (
            res.ok(200)["primaryContactVerified"].as_bool(),
            res.body["legalName"].as_str()
        ),
        (Some(false), Some("Profiled Reseller GmbH"))
    );
    app.drain_mail().await;
    assert_eq!(
        mail_header(&last_mail(&app, "email_verification").expect("mail"), "To"),
        Some("new.contact@profiled.example")
    );
    app.call(
        Method::PUT,
        "/v1/profiles/legalbusiness",
        Some(&ga),
        Some(legal("someone@hotmail.com")),
    )
    .await
    .problem(422, "webmail_not_allowed");
    let stale = app
        .client
        .put(app.url("/v1/profiles/support"))
        .bearer_auth(&ga)
        .header("if-match", "\"old\"")
        .json(&serde_json::from_str::<Value>(SUPPORT).expect("json"))
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");

    // Who may see and change them.
    let (_, uma) = crate::users::add_signed_in_user(
        &app,
        &ga,
        "uma@profiled.example",
        &["userManagementAdmin"],
    )
    .await;
    let (_, hd) =
        crate::users::add_signed_in_user(&app, &ga, "hd@profiled.example", &["helpdeskAgent"])
            .await;
    app.get("/v1/profiles/legalbusiness", &uma).await.ok(200);
    app.call(
        Method::PUT,
        "/v1/profiles/support",
        Some(&uma),
        Some(serde_json::from_str(SUPPORT).expect("json")),
    )
    .await
    .problem(403, "forbidden");
    app.get("/v1/profiles/legalbusiness", &hd)
        .await
        .problem(403, "forbidden");
    // An organisation without an approved enrollment has none.
    let t = app
        .call(
            Method::POST,
            "/v1/tenants",
            None,
            Some(tenant("bare-res", "b@bare-res.example")),
        )
        .await;
    let t = t.ok(201)["session"]["token"]
        .as_str()
        .expect("t")
        .to_owned();
    app.get("/v1/profiles/legalbusiness", &t)
        .await
        .problem(403, "forbidden");
    app.shutdown().await;
}
both!(partners_keep_their_profiles_after_enrollment);
