//! API.md §7.1–7.2: provider → reseller invitations and relationships.

use reqwest::Method;
use serde_json::json;

use crate::both;
use crate::catalog::{authorize, offer};
use crate::enrollment::{approved_reseller, last_mail, token_of};
use crate::helpers::{TestApp, mail_header};
use crate::roles::partner_admin;

async fn a_provider_invites_and_a_reseller_authorises_it(app: TestApp) {
    let op = app.operator_token().await;
    app.post("/v1/offers", &op, offer("m365", "Microsoft 365", "10"))
        .await
        .ok(201);
    let provider = partner_admin(&app, &op, "dist-one").await;
    // Not authorised yet: no invitations.
    app.post(
        "/v1/resellerinvitations",
        &provider,
        json!({"email": "gina@res-one.example"}),
    )
    .await
    .problem(403, "provider_not_authorized");
    let provider_org = authorize(
        &app,
        &op,
        &provider,
        json!(["DE"]),
        json!(["Microsoft 365"]),
    )
    .await;
    let reseller = approved_reseller(&app, &op, "res-one", "90000001").await;

    app.post(
        "/v1/resellerinvitations",
        &provider,
        json!({"email": "not-an-email"}),
    )
    .await
    .problem(422, "validation_failed");
    let inv = app.post("/v1/resellerinvitations", &provider, json!({"email": "gina@res-one.example", "resellerName": "Res One", "message": "Let's work together."})).await;
    let inv = inv.ok(201).clone();
    assert_eq!(inv["status"], "pending");
    app.drain_mail().await;
    let mail = last_mail(&app, "reseller_invitation").expect("invitation mail");
    assert_eq!(mail_header(&mail, "To"), Some("gina@res-one.example"));
    assert!(
        mail_header(&mail, "X-Partnerd-Link")
            .is_some_and(|l| l.starts_with(&format!("{}/invitations/reseller?token=", app.base)))
    );
    let token = token_of(&mail);

    let resolved = app
        .call(
            Method::POST,
            "/v1/resellerinvitations/resolve",
            None,
            Some(json!({"token": token})),
        )
        .await;
    let r = resolved.ok(200).clone();
    assert_eq!(
        (r["providerName"].as_str(), r["invitedEmail"].as_str()),
        (Some("dist-one Ltd"), Some("g***@res-one.example"))
    );
    assert_eq!(r["productFamilies"], json!(["Microsoft 365"]));
    app.call(
        Method::POST,
        "/v1/resellerinvitations/resolve",
        None,
        Some(json!({"token": "nope"})),
    )
    .await
    .problem(404, "token_invalid");

    // Consent is explicit; the provider cannot accept its own invitation; a key cannot consent.
    app.post(
        "/v1/resellerinvitations/accept",
        &reseller,
        json!({"token": token}),
    )
    .await
    .problem(422, "consent_required");
    app.post(
        "/v1/resellerinvitations/accept",
        &provider,
        json!({"token": token, "consent": {"authorizeIndirectProvider": true}}),
    )
    .await
    .problem(403, "enrollment_required");
    let key = app
        .post("/v1/apikeys", &reseller, json!({"name": "k"}))
        .await
        .ok(201)["secret"]
        .as_str()
        .expect("s")
        .to_owned();
    app.post(
        "/v1/resellerinvitations/accept",
        &key,
        json!({"token": token, "consent": {"authorizeIndirectProvider": true}}),
    )
    .await
    .problem(403, "user_session_required");

    let accepted = app
        .post(
            "/v1/resellerinvitations/accept",
            &reseller,
            json!({"token": token, "consent": {"authorizeIndirectProvider": true}}),
        )
        .await;
    let rel = accepted.ok(200).clone();
    assert_eq!(rel["relationshipType"], "IsIndirectResellerOf");
    assert_eq!(rel["partner"]["organizationId"], provider_org.as_str());
    app.post(
        "/v1/resellerinvitations/accept",
        &reseller,
        json!({"token": token, "consent": {"authorizeIndirectProvider": true}}),
    )
    .await
    .problem(409, "token_used");
    app.drain_mail().await;
    assert!(
        last_mail(&app, "invitation_accepted")
            .is_some_and(|m| mail_header(&m, "To") == Some("admin@dist-one.example"))
    );

    // Both sides list each other.
    let mine = app
        .get(
            "/v1/relationships?relationshipType=IsIndirectCloudSolutionProviderOf",
            &provider,
        )
        .await;
    assert_eq!(mine.ok(200)["totalCount"], 1);
    assert_eq!(mine.body["items"][0]["partner"]["membershipId"], "90000001");
    assert_eq!(
        app.get(
            "/v1/relationships?relationshipType=IsIndirectResellerOf",
            &reseller
        )
        .await
        .ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get(
            "/v1/relationships?relationshipType=IsIndirectResellerOf",
            &provider
        )
        .await
        .ok(200)["totalCount"],
        0
    );
    app.get("/v1/relationships?relationshipType=Friends", &provider)
        .await
        .problem(422, "validation_failed");
    let id = rel["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.get(&format!("/v1/relationships/{id}"), &provider)
            .await
            .ok(200)["relationshipType"],
        "IsIndirectCloudSolutionProviderOf"
    );
    let stranger = partner_admin(&app, &op, "stranger").await;
    app.get(&format!("/v1/relationships/{id}"), &stranger)
        .await
        .problem(404, "not_found");

    // A second invitation to the same reseller: relationship_exists.
    app.post(
        "/v1/resellerinvitations",
        &provider,
        json!({"email": "gina@res-one.example"}),
    )
    .await
    .ok(201);
    app.drain_mail().await;
    let second = token_of(&last_mail(&app, "reseller_invitation").expect("mail"));
    app.post(
        "/v1/resellerinvitations/accept",
        &reseller,
        json!({"token": second, "consent": {"authorizeIndirectProvider": true}}),
    )
    .await
    .problem(409, "relationship_exists");

    // Either side ends it; both are told.
    let ended = app
        .post(
            &format!("/v1/relationships/{id}/terminate"),
            &reseller,
            json!({"reason": "We moved on."}),
        )
        .await;
    assert_eq!(ended.ok(200)["state"], "terminated");
    app.post(
        &format!("/v1/relationships/{id}/terminate"),
        &provider,
        json!({}),
    )
    .await
    .problem(409, "invalid_state");
    assert_eq!(
        app.get("/v1/relationships", &provider).await.ok(200)["totalCount"],
        0
    );
    assert_eq!(
        app.get("/v1/relationships?state=terminated", &provider)
            .await
            .ok(200)["totalCount"],
        1
    );
    app.drain_mail().await;
    assert_eq!(
        app.mails()
            .iter()
            .filter(|m| mail_header(m, "X-Partnerd-Template") == Some("relationship_terminated"))
            .count(),
        2
    );
    app.shutdown().await;
}
both!(a_provider_invites_and_a_reseller_authorises_it);

async fn invitation_links_are_single_use_revocable_and_expire(app: TestApp) {
    let op = app.operator_token().await;
    app.post("/v1/offers", &op, offer("m365", "Microsoft 365", "10"))
        .await
        .ok(201);
    let provider = partner_admin(&app, &op, "dist-two").await;
    authorize(
        &app,
        &op,
        &provider,
        json!(["DE"]),
        json!(["Microsoft 365"]),
    )
    .await;
    let reseller = approved_reseller(&app, &op, "res-two", "91000001").await;
    let invite = |email: &'static str| {
        app.post(
            "/v1/resellerinvitations",
            &provider,
            json!({"email": email}),
        )
    };

    // Two parallel accepts of one token: exactly one wins.
    invite("a@res-two.example").await.ok(201);
    app.drain_mail().await;
    let token = token_of(&last_mail(&app, "reseller_invitation").expect("mail"));
    let body = json!({"token": token, "consent": {"authorizeIndirectProvider": true}});
    let results = crate::users::futures_join(
        (0..3).map(|_| app.post("/v1/resellerinvitations/accept", &reseller, body.clone())),
    )
    .await;
    assert_eq!(
        results.iter().filter(|r| r.status.as_u16() == 200).count(),
        1
    );
    assert!(
        results
            .iter()
            .filter(|r| r.status.as_u16() != 200)
            .all(|r| r.status.as_u16() == 409)
    );

    // Revoked: 410; the provider sees it as revoked.
    let inv = invite("b@res-two.example").await.ok(201).clone();
    app.drain_mail().await;
    let revoked_token = token_of(&last_mail(&app, "reseller_invitation").expect("mail"));
    assert_eq!(
        app.delete(
            &format!(
                "/v1/resellerinvitations/{}",
                inv["id"].as_str().expect("id")
            ),
            &provider
        )
        .await
        .status
        .as_u16(),
        204
    );
    app.call(
        Method::POST,
        "/v1/resellerinvitations/resolve",
        None,
        Some(json!({"token": revoked_token})),
    )
    .await
    .problem(410, "token_expired");
    app.delete(
        &format!(
            "/v1/resellerinvitations/{}",
            inv["id"].as_str().expect("id")
        ),
        &provider,
    )
    .await
    .problem(409, "invalid_state");
    assert_eq!(
        app.get("/v1/resellerinvitations?status=revoked", &provider)
            .await
            .ok(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Expired after 14 days.
    invite("c@res-two.example").await.ok(201);
    app.drain_mail().await;
    let old = token_of(&last_mail(&app, "reseller_invitation").expect("mail"));
    app.app.clock().advance(14 * 24 * 3600 * 1000 + 1000);
    app.call(
        Method::POST,
        "/v1/resellerinvitations/resolve",
        None,
        Some(json!({"token": old})),
    )
    .await
    .problem(410, "token_expired");

    // A provider not authorised for the reseller's country cannot be accepted.
    let provider = app
        .sign_in("admin@dist-two.example", crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let reseller = app
        .sign_in("gina@res-two.example", crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let op = app
        .sign_in(crate::helpers::OPERATOR_EMAIL, crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let far = partner_admin(&app, &op, "dist-far").await;
    authorize(&app, &op, &far, json!(["US"]), json!(["Microsoft 365"])).await;
    app.post(
        "/v1/resellerinvitations",
        &far,
        json!({"email": "gina@res-two.example"}),
    )
    .await
    .ok(201);
    app.drain_mail().await;
    let far_token = token_of(&last_mail(&app, "reseller_invitation").expect("mail"));
    app.post(
        "/v1/resellerinvitations/accept",
        &reseller,
        json!({"token": far_token, "consent": {"authorizeIndirectProvider": true}}),
    )
    .await
    .problem(403, "provider_not_authorized");
    let declined = app
        .post(
            "/v1/resellerinvitations/decline",
            &reseller,
            json!({"token": far_token, "reason": "Wrong region"}),
        )
        .await;
    assert_eq!(declined.ok(200)["status"], "declined");
    app.drain_mail().await;
    assert!(last_mail(&app, "invitation_declined").is_some_and(|m| m.contains("Wrong region")));
    let _ = provider;
    app.shutdown().await;
}
both!(invitation_links_are_single_use_revocable_and_expire);
