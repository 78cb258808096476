//! API.md §8–§9.2: customer relationship requests (three-way, delegated admin),
//! customers, the customer's partners, delegated admin, users on behalf, imports.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::catalog::{authorize, offer};
use crate::enrollment::{approved_reseller, last_mail, token_of};
use crate::helpers::{NEW_PASSWORD, TestApp, mail_header};
use crate::roles::partner_admin;
use crate::users::{add_signed_in_user, futures_join};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// An authorised provider and an approved reseller that work together.
pub struct Connected {
    pub provider: String,
    pub provider_org: String,
    pub reseller: String,
    pub reseller_org: String,
}

pub async fn org_of(app: &TestApp, token: &str) -> String {
    app.get("/v1/organization", token).await.ok(200)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// `prefix` names the reseller; the provider is `dist-<prefix>`.
pub async fn connected(app: &TestApp, op: &str, prefix: &str, membership: &str) -> Connected {
    let families = app.get("/v1/offers", op).await.ok(200)["totalCount"].clone();
    if families == 0 {
        app.post("/v1/offers", op, offer("m365", "Microsoft 365", "10"))
            .await
            .ok(201);
    }
    let provider = partner_admin(app, op, &format!("dist-{prefix}")).await;
    let provider_org = authorize(app, op, &provider, json!(["DE"]), json!(["Microsoft 365"])).await;
    let reseller = approved_reseller(app, op, prefix, membership).await;
    let reseller_org = org_of(app, &reseller).await;
    app.post(
        "/v1/resellerinvitations",
        &provider,
        json!({"email": format!("gina@{prefix}.example")}),
    )
    .await
    .ok(201);
    app.drain_mail().await;
    let token = token_of(&last_mail(app, "reseller_invitation").expect("mail"));
    app.post(
        "/v1/resellerinvitations/accept",
        &reseller,
        json!({"token": token, "consent": {"authorizeIndirectProvider": true}}),
    )
    .await
    .ok(200);
    Connected {
        provider,
        provider_org,
        reseller,
        reseller_org,
    }
}

/// A self-signed-up tenant (kind `none`); returns its admin's session token.
pub async fn new_tenant(app: &TestApp, prefix: &str) -> String {
    let res = app
        .call(
            Method::POST,
            "/v1/tenants",
            None,
            Some(json!({"companyName": format!("{prefix} Corp"), "domainPrefix": prefix, "country": "DE",
                "admin": {"email": format!("cora@{prefix}.example"), "firstName": "Cora", "lastName": "Customer", "password": NEW_PASSWORD}})),
        )
        .await;
    res.ok(201)["session"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// A new session (after the clock moved past the 8-hour session lifetime).
/// Asserts that a list's first page has `expected` items and says so in its total.
async fn assert_lists(app: &TestApp, token: &str, path: &str, expected: usize) {
    let got = app.get(path, token).await.ok(200).clone();
    assert_eq!(
        (
            got["totalCount"].as_u64(),
            got["items"].as_array().map(Vec::len)
        ),
        (u64::try_from(expected).ok(), Some(expected)),
        "{path}"
    );
}

pub async fn sign_in_again(app: &TestApp, email: &str) -> String {
    app.sign_in(email, NEW_PASSWORD).await.ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

fn token_in(url: &Value) -> String {
    url.as_str()
        .and_then(|u| u.split("token=").nth(1))
        .expect("token in url")
        .to_owned()
}

fn all_consents() -> Value {
    json!({"acceptReseller": true, "acceptIndirectProvider": true, "grantDelegatedAdmin": true})
}

async fn a_three_way_request_is_accepted_by_a_new_tenant(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "res-a", "91000001").await;

    // Bad input is refused and changes nothing.
    for (body, pointer) in [
        (
            json!({"includeDelegatedAdmin": true, "delegatedAdminDuration": "P731D"}),
            "/delegatedAdminDuration",
        ),
        (
            json!({"delegatedAdminDuration": "P30D"}),
            "/delegatedAdminDuration",
        ),
        (json!({"recipientEmail": "nope"}), "/recipientEmail"),
    ] {
        let res = app
            .post("/v1/customers/relationshiprequests", &c.reseller, body)
            .await;
        res.problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["pointer"], pointer);
    }
    app.post(
        "/v1/customers/relationshiprequests",
        &c.reseller,
        json!({"indirectProviderId": "org_unknown"}),
    )
    .await
    .problem(403, "relationship_required");
    // Providers do not send customer requests (they are not resellers).
    app.post("/v1/customers/relationshiprequests", &c.provider, json!({}))
        .await
        .problem(403, "enrollment_required");
    assert_eq!(
        app.get("/v1/customers/relationshiprequests", &c.reseller)
            .await
            .ok(200)["totalCount"],
        0
    );

    let created = app
        .post(
            "/v1/customers/relationshiprequests",
            &c.reseller,
            json!({"indirectProviderId": c.provider_org, "includeDelegatedAdmin": true, "delegatedAdminDuration": "P90D",
                   "recipientEmail": "cora@cust-a.example", "message": "As discussed on the phone."}),
        )
        .await;
    let req = created.ok(201).clone();
    assert_eq!(req["status"], "pending");
    assert_eq!(req["delegatedAdminDuration"], "P90D");
    let url = req["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/customer-invitations?token=", app.base)));
    assert!(req["emailBody"].as_str().expect("body").contains(url));
    assert!(
        req["emailBody"]
            .as_str()
            .expect("body")
            .contains("As discussed on the phone.")
    );
    // The link is shown again on every read, and the provider may read the request.
    let again = app
        .get(
            &format!(
                "/v1/customers/relationshiprequests/{}",
                req["id"].as_str().expect("id")
            ),
            &c.provider,
        )
        .await;
    assert_eq!(again.ok(200)["url"], req["url"]);
    app.drain_mail().await;
    let mail = last_mail(&app, "customer_relationship_request").expect("request mail");
    assert_eq!(mail_header(&mail, "To"), Some("cora@cust-a.example"));
    assert_eq!(mail_header(&mail, "X-Partnerd-Link"), Some(url));
    let token = token_in(&req["url"]);

    let resolved = app
        .call(
            Method::POST,
            "/v1/customers/relationshiprequests/resolve",
            None,
            Some(json!({"token": token})),
        )
        .await;
    let r = resolved.ok(200).clone();
    assert_eq!(r["resellerName"], "res-a Reseller");
    assert_eq!(r["indirectProviderName"], "dist-res-a Ltd");
    assert_eq!(
        (
            r["includeDelegatedAdmin"].as_bool(),
            r["delegatedAdminDuration"].as_str()
        ),
        (Some(true), Some("P90D"))
    );

    // A partner cannot accept a customer request.
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &c.provider,
        json!({"token": token, "consent": all_consents()}),
    )
    .await
    .problem(409, "wrong_organization_kind");

    let customer = new_tenant(&app, "cust-a").await;
    let customer_org = org_of(&app, &customer).await;
    // Acceptance is all or nothing: every asked-for consent must be given.
    let partial = app
        .post(
            "/v1/customers/relationshiprequests/accept",
            &customer,
            json!({"token": token, "consent": {"acceptReseller": true, "acceptIndirectProvider": true}}),
        )
        .await;
    partial.problem(422, "consent_required");
    assert_eq!(
        partial.body["errors"][0]["pointer"],
        "/consent/grantDelegatedAdmin"
    );
    app.get(&format!("/v1/customers/{customer_org}"), &c.reseller)
        .await
        .problem(404, "not_found");

    let accepted = app
        .post(
            "/v1/customers/relationshiprequests/accept",
            &customer,
            json!({"token": token, "consent": all_consents()}),
        )
        .await;
    let done = accepted.ok(200).clone();
    assert_eq!(done["customer"]["id"], customer_org.as_str());
    assert_eq!(
        done["partnerRelationships"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(done["delegatedAdminRelationship"]["status"], "active");
    assert_eq!(done["delegatedAdminRelationship"]["duration"], "P90D");
    assert_eq!(
        app.get("/v1/organization", &customer).await.ok(200)["kind"],
        "customer"
    );
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &customer,
        json!({"token": token, "consent": all_consents()}),
    )
    .await
    .problem(409, "token_used");
    app.drain_mail().await;
    let accepted_mail = last_mail(&app, "relationship_accepted").expect("accepted mail");
    assert!(mail_header(&accepted_mail, "Subject").is_some_and(|s| s.contains("cust-a Corp")));

    // The customer appears for the reseller and the provider, and in the shared view.
    let mine = app.get("/v1/customers", &c.reseller).await;
    assert_eq!(mine.ok(200)["totalCount"], 1);
    let item = &mine.body["items"][0];
    assert_eq!(item["companyName"], "cust-a Corp");
    assert_eq!(item["delegatedAdmin"]["status"], "active");
    let roles: Vec<&str> = item["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter_map(|r| r["role"].as_str())
        .collect();
    assert_eq!(roles, ["indirectReseller", "indirectProvider"]);
    let theirs = app.get("/v1/customers", &c.provider).await;
    assert_eq!(theirs.ok(200)["totalCount"], 1);
    assert_eq!(theirs.body["items"][0]["delegatedAdmin"], Value::Null);
    assert_eq!(
        theirs.body["items"][0]["relationships"][1]["linkedResellerId"],
        c.reseller_org.as_str()
    );
    let rel_id = app.get("/v1/relationships", &c.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    let by_name = |n: &'static str| {
        let app = &app;
        let token = c.reseller.clone();
        async move {
            app.get(&format!("/v1/relationships?name={n}"), &token)
                .await
                .ok(200)["totalCount"]
                .clone()
        }
    };
    assert_eq!(
        (by_name("DIST-res").await, by_name("zzz").await),
        (json!(1), json!(0))
    );
    let shared = app
        .get(
            &format!("/v1/relationships/{rel_id}/customers"),
            &c.reseller,
        )
        .await;
    assert_eq!(shared.ok(200)["totalCount"], 1);
    let filtered = app
        .get(
            &format!(
                "/v1/customers?indirectProviderId={}&delegatedAdmin=true&q=cust",
                c.provider_org
            ),
            &c.reseller,
        )
        .await;
    assert_eq!(filtered.ok(200)["totalCount"], 1);
    let none = app
        .get("/v1/customers?delegatedAdmin=false", &c.reseller)
        .await;
    assert_eq!(none.ok(200)["totalCount"], 0);
    app.get("/v1/customers?country=Germany", &c.reseller)
        .await
        .problem(422, "validation_failed");
    // The country filter: the customer's own country (DE), for the partner and the
    // operator alike, items and total agreeing.
    for (token, country, expected) in [
        (&c.reseller, "DE", 1),
        (&c.reseller, "FR", 0),
        (&c.provider, "DE", 1),
        (&op, "DE", 1),
        (&op, "FR", 0),
    ] {
        assert_lists(
            &app,
            token,
            &format!("/v1/customers?country={country}"),
            expected,
        )
        .await;
    }
    // Search: a case-insensitive prefix of the name or of the domain prefix; `%` and
    // `_` are plain characters. The same for the partner and the operator.
    for (q, expected) in [
        ("CUST-A%20c", 1),
        ("cust-a", 1),
        ("Cust", 1),
        ("corp", 0),
        ("cust%25", 0),
        ("cust_a", 0),
        ("zzz", 0),
    ] {
        for token in [&c.reseller, &op] {
            assert_lists(&app, token, &format!("/v1/customers?q={q}"), expected).await;
        }
    }
    // The operator sees every customer.
    assert_eq!(app.get("/v1/customers", &op).await.ok(200)["totalCount"], 1);

    // An unrelated reseller sees 404 for every id of another's customers.
    let other = approved_reseller(&app, &op, "res-z", "91000009").await;
    assert_eq!(
        app.get("/v1/customers", &other).await.ok(200)["totalCount"],
        0
    );
    for path in [
        format!("/v1/customers/{customer_org}"),
        format!("/v1/customers/{customer_org}/users"),
        format!("/v1/relationships/{rel_id}/customers"),
    ] {
        app.get(&path, &other).await.problem(404, "not_found");
    }
    app.post(
        &format!("/v1/customers/{customer_org}/relationship/terminate"),
        &other,
        json!({}),
    )
    .await
    .problem(404, "not_found");

    // The customer sees both partners.
    let partners = app.get("/v1/partnerrelationships", &customer).await;
    assert_eq!(partners.ok(200)["totalCount"], 2);
    let reseller_rel = partners.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["role"] == "indirectReseller")
        .expect("reseller relationship")
        .clone();
    assert_eq!(reseller_rel["delegatedAdmin"]["status"], "active");
    let das = app.get("/v1/delegatedadminrelationships", &customer).await;
    assert_eq!(das.ok(200)["totalCount"], 1);

    app.post(
        "/v1/customers/relationshiprequests",
        &c.reseller,
        json!({"customerId": c.provider_org, "includeDelegatedAdmin": true}),
    )
    .await
    .problem(403, "relationship_required");
    let da_id = das.body["items"][0]["id"].as_str().expect("da").to_owned();
    app.get(&format!("/v1/delegatedadminrelationships/{da_id}"), &other)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(
            &format!("/v1/delegatedadminrelationships/{da_id}"),
            &c.reseller
        )
        .await
        .ok(200)["partnerOrganizationId"],
        c.reseller_org.as_str()
    );
    // A request for an existing customer that grants nothing new is refused.
    app.post(
        "/v1/customers/relationshiprequests",
        &c.reseller,
        json!({"customerId": customer_org, "indirectProviderId": c.provider_org}),
    )
    .await
    .problem(409, "relationship_exists");

    // The customer ends the reseller relationship; delegated admin ends with it.
    let ended = app
        .post(
            &format!(
                "/v1/partnerrelationships/{}/terminate",
                reseller_rel["id"].as_str().expect("id")
            ),
            &customer,
            json!({"reason": "Switching partners"}),
        )
        .await;
    assert_eq!(ended.ok(200)["state"], "terminated");
    assert_eq!(ended.body["delegatedAdmin"], Value::Null);
    app.get(&format!("/v1/customers/{customer_org}"), &c.reseller)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(
            "/v1/delegatedadminrelationships?status=terminated",
            &customer
        )
        .await
        .ok(200)["totalCount"],
        1
    );
    // The provider's own relationship stays: it belongs to the customer.
    assert_eq!(
        app.get("/v1/customers", &c.provider).await.ok(200)["totalCount"],
        1
    );
    // The reseller's total follows the ended relationship.
    assert_lists(&app, &c.reseller, "/v1/customers", 0).await;
    app.shutdown().await;
}
both!(a_three_way_request_is_accepted_by_a_new_tenant);

async fn request_tokens_are_single_use_revocable_and_expire(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "res-b", "92000001").await;
    let new_request = |body: Value| {
        let app = &app;
        let reseller = c.reseller.clone();
        async move {
            app.post("/v1/customers/relationshiprequests", &reseller, body)
                .await
                .ok(201)
                .clone()
        }
    };

    // Two parallel acceptances of one token: exactly one wins.
    let req = new_request(json!({})).await;
    let token = token_in(&req["url"]);
    let (first, second) = (
        new_tenant(&app, "cust-b1").await,
        new_tenant(&app, "cust-b2").await,
    );
    let results = futures_join([first.clone(), second.clone()].into_iter().map(|t| {
        let token = token.clone();
        let app = &app;
        async move {
            app.post(
                "/v1/customers/relationshiprequests/accept",
                &t,
                json!({"token": token, "consent": {"acceptReseller": true}}),
            )
            .await
        }
    }))
    .await;
    let won = results.iter().filter(|r| r.status.as_u16() == 200).count();
    let used = results
        .iter()
        .filter(|r| r.status.as_u16() == 409 && r.body["code"] == "token_used")
        .count();
    assert_eq!((won, used), (1, 1), "{results:?}");
    assert_eq!(
        app.get("/v1/customers", &c.reseller).await.ok(200)["totalCount"],
        1
    );

    // Consent needs a person, and the customer's Global admin.
    let req = new_request(json!({})).await;
    let key = app
        .post("/v1/apikeys", &second, json!({"name": "automation"}))
        .await
        .ok(201)["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let consent = json!({"token": token_in(&req["url"]), "consent": {"acceptReseller": true}});
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &key,
        consent.clone(),
    )
    .await
    .problem(403, "user_session_required");
    let (_, billing) =
        add_signed_in_user(&app, &second, "bill@cust-b2.example", &["billingAdmin"]).await;
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &billing,
        consent.clone(),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &second,
        json!({"token": "not-a-token", "consent": {"acceptReseller": true}}),
    )
    .await
    .problem(404, "token_invalid");

    // Revoked: 410; revoking twice: invalid_state.
    let req = new_request(json!({})).await;
    let id = req["id"].as_str().expect("id").to_owned();
    app.delete(
        &format!("/v1/customers/relationshiprequests/{id}"),
        &c.reseller,
    )
    .await
    .ok(204);
    app.delete(
        &format!("/v1/customers/relationshiprequests/{id}"),
        &c.reseller,
    )
    .await
    .problem(409, "invalid_state");
    let revoked = token_in(&req["url"]);
    app.call(
        Method::POST,
        "/v1/customers/relationshiprequests/resolve",
        None,
        Some(json!({"token": revoked})),
    )
    .await
    .problem(410, "token_expired");

    // Declined: the reseller is told; the token is then used.
    let req = new_request(json!({})).await;
    let declining = new_tenant(&app, "cust-b3").await;
    let t = token_in(&req["url"]);
    app.post(
        "/v1/customers/relationshiprequests/decline",
        &declining,
        json!({"token": t}),
    )
    .await
    .ok(200);
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &declining,
        json!({"token": t, "consent": {"acceptReseller": true}}),
    )
    .await
    .problem(409, "token_used");
    app.drain_mail().await;
    assert!(last_mail(&app, "relationship_request_declined").is_some());

    // A three-way request whose provider relationship ended before acceptance fails.
    let three_way = new_request(json!({"indirectProviderId": c.provider_org})).await;
    let rel = app.get("/v1/relationships", &c.reseller).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    app.post(
        &format!("/v1/relationships/{rel}/terminate"),
        &c.provider,
        json!({}),
    )
    .await
    .ok(200);
    let late = new_tenant(&app, "cust-b4").await;
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &late,
        json!({"token": token_in(&three_way["url"]), "consent": {"acceptReseller": true, "acceptIndirectProvider": true}}),
    )
    .await
    .problem(403, "relationship_required");

    // Expired after 30 days.
    let req = new_request(json!({})).await;
    app.app.clock().advance(30 * DAY_MS + 1000);
    app.call(
        Method::POST,
        "/v1/customers/relationshiprequests/resolve",
        None,
        Some(json!({"token": token_in(&req["url"])})),
    )
    .await
    .problem(410, "token_expired");
    let reseller = sign_in_again(&app, "gina@res-b.example").await;
    let expired = app
        .get(
            "/v1/customers/relationshiprequests?status=expired",
            &reseller,
        )
        .await;
    assert_eq!(expired.ok(200)["totalCount"], 3);
    app.shutdown().await;
}
both!(request_tokens_are_single_use_revocable_and_expire);

async fn delegated_admin_governs_customer_users_until_it_expires(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "res-c", "93000001").await;
    let helpdesk = add_signed_in_user(&app, &c.reseller, "hd@res-c.example", &["helpdeskAgent"])
        .await
        .1;
    let sales = add_signed_in_user(&app, &c.reseller, "sa@res-c.example", &["salesAgent"])
        .await
        .1;
    // Sales agents bring in customers but do not ask for admin-on-behalf.
    app.post(
        "/v1/customers/relationshiprequests",
        &sales,
        json!({"includeDelegatedAdmin": true}),
    )
    .await
    .problem(403, "forbidden");
    let plain = app
        .post("/v1/customers/relationshiprequests", &sales, json!({}))
        .await
        .ok(201)
        .clone();
    let customer = new_tenant(&app, "cust-c").await;
    let customer_org = org_of(&app, &customer).await;
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &customer,
        json!({"token": token_in(&plain["url"]), "consent": {"acceptReseller": true}}),
    )
    .await
    .ok(200);
    let users = format!("/v1/customers/{customer_org}/users");
    // No delegated admin yet.
    app.get(&users, &c.reseller)
        .await
        .problem(403, "delegated_admin_required");

    // Renewal path: a request for the existing customer with delegated admin.
    let da = app
        .post(
            "/v1/customers/relationshiprequests",
            &c.reseller,
            json!({"customerId": customer_org, "includeDelegatedAdmin": true, "delegatedAdminDuration": "P30D"}),
        )
        .await
        .ok(201)
        .clone();
    // Another customer cannot answer a request meant for this one.
    let stranger = new_tenant(&app, "cust-x").await;
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &stranger,
        json!({"token": token_in(&da["url"]), "consent": {"acceptReseller": true, "grantDelegatedAdmin": true}}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        "/v1/customers/relationshiprequests/accept",
        &customer,
        json!({"token": token_in(&da["url"]), "consent": {"acceptReseller": true, "grantDelegatedAdmin": true}}),
    )
    .await
    .ok(200);

    let listed = app.get(&users, &c.reseller).await;
    assert_eq!(listed.ok(200)["totalCount"], 1);
    let created = app
        .post(
            &users,
            &c.reseller,
            json!({"email": "new.hire@cust-c.example", "firstName": "New", "lastName": "Hire", "roles": ["billingAdmin"]}),
        )
        .await;
    let user = created.ok(201).clone();
    assert!(
        user["temporaryPassword"]
            .as_str()
            .is_some_and(|p| p.len() >= 20)
    );
    let uid = user["user"]["id"].as_str().expect("uid").to_owned();
    app.post(
        &users,
        &c.reseller,
        json!({"email": "NEW.HIRE@cust-c.example", "firstName": "Again", "lastName": "Hire"}),
    )
    .await
    .problem(409, "email_in_use");
    app.call(
        Method::PATCH,
        &format!("{users}/{uid}"),
        Some(&c.reseller),
        Some(json!({"firstName": "Renamed"})),
    )
    .await
    .ok(200);
    let stale = app
        .client
        .patch(app.url(&format!("{users}/{uid}")))
        .bearer_auth(&c.reseller)
        .header(
            "If-Match",
            format!("\"{}\"", user["user"]["etag"].as_str().expect("etag")),
        )
        .json(&json!({"lastName": "Late"}))
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");
    app.post(
        &users,
        &c.reseller,
        json!({"email": "x@cust-c.example", "firstName": "X", "lastName": "Y", "roles": ["adminAgent"]}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &users,
        &helpdesk,
        json!({"email": "y@cust-c.example", "firstName": "X", "lastName": "Y"}),
    )
    .await
    .problem(403, "forbidden");
    // Helpdesk may read and reset passwords, but not a customer global admin's.
    assert_eq!(app.get(&users, &helpdesk).await.ok(200)["totalCount"], 2);
    app.post(
        &format!("{users}/{uid}/resetpassword"),
        &helpdesk,
        json!({}),
    )
    .await
    .ok(200);
    let leaver = app
        .post(
            &users,
            &c.reseller,
            json!({"email": "leaver@cust-c.example", "firstName": "Lea", "lastName": "Ver"}),
        )
        .await
        .ok(201)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.delete(&format!("{users}/{leaver}"), &helpdesk)
        .await
        .problem(403, "forbidden");
    app.delete(&format!("{users}/{leaver}"), &c.reseller)
        .await
        .ok(204);
    app.get(&format!("{users}/{leaver}"), &c.reseller)
        .await
        .problem(404, "not_found");
    let cust_admin = app.get("/v1/me", &customer).await.ok(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post(
        &format!("{users}/{cust_admin}/resetpassword"),
        &helpdesk,
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    app.call(
        Method::PATCH,
        &format!("{users}/{cust_admin}"),
        Some(&c.reseller),
        Some(json!({"roles": []})),
    )
    .await
    .problem(409, "last_global_admin");
    // The act is recorded with the whole chain: user → partner → customer.
    let audit = app
        .get(
            "/v1/auditrecords?operationType=createCustomerUser",
            &c.reseller,
        )
        .await;
    let rec = &audit.ok(200)["items"][0];
    assert_eq!(rec["onBehalfOf"]["organizationId"], customer_org.as_str());
    assert_eq!(rec["actor"]["organizationId"], c.reseller_org.as_str());
    assert!(rec["actor"]["userId"].is_string());

    // 14 days ahead both sides are warned, once.
    app.app.clock().advance(16 * DAY_MS + 1000);
    let (expired, warned) = app.app.run_delegation_jobs_once().await.expect("jobs");
    assert_eq!((expired, warned), (0, 1));
    assert_eq!(
        app.app.run_delegation_jobs_once().await.expect("jobs"),
        (0, 0)
    );
    app.drain_mail().await;
    let warning = last_mail(&app, "delegated_admin_expiring").expect("warning mail");
    assert!(mail_header(&warning, "Subject").is_some_and(|s| s.contains("14 days")));

    // It stops working the moment it expires, before the job runs.
    app.app.clock().advance(14 * DAY_MS);
    let reseller = sign_in_again(&app, "gina@res-c.example").await;
    let customer = sign_in_again(&app, "cora@cust-c.example").await;
    app.get(&users, &reseller)
        .await
        .problem(403, "delegated_admin_required");
    let das = app
        .get("/v1/delegatedadminrelationships?status=expired", &reseller)
        .await;
    assert_eq!(das.ok(200)["totalCount"], 1);
    let da_id = das.body["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.app.run_delegation_jobs_once().await.expect("jobs"),
        (1, 0)
    );
    app.post(
        &format!("/v1/delegatedadminrelationships/{da_id}/terminate"),
        &customer,
        json!({}),
    )
    .await
    .problem(409, "invalid_state");
    let customer_view = app
        .get(&format!("/v1/customers/{customer_org}"), &reseller)
        .await;
    assert_eq!(customer_view.ok(200)["delegatedAdmin"], Value::Null);
    app.shutdown().await;
}
both!(delegated_admin_governs_customer_users_until_it_expires);

async fn the_operator_imports_existing_customers(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "res-d", "94000001").await;
    let body = |ext: &str, prefix: &str| {
        json!({"source": "legacy-crm", "externalId": ext, "companyName": format!("{prefix} AG"), "domainPrefix": prefix,
               "country": "DE", "resellerOrganizationId": c.reseller_org, "indirectProviderId": c.provider_org,
               "delegatedAdmin": true, "admin": {"email": format!("it@{prefix}.example"), "firstName": "Ira", "lastName": "Imported"}})
    };
    app.post("/v1/customers/imports", &c.reseller, body("1", "imp-one"))
        .await
        .problem(403, "forbidden");
    let created = app
        .post("/v1/customers/imports", &op, body("1", "imp-one"))
        .await;
    let done = created.ok(201).clone();
    let cid = done["customer"]["id"].as_str().expect("id").to_owned();
    assert_eq!(done["customer"]["importedFrom"]["externalId"], "1");
    assert_eq!(done["adminUser"]["roles"], json!(["globalAdmin"]));
    let again = app
        .post("/v1/customers/imports", &op, body("1", "imp-two"))
        .await;
    again.problem(409, "conflict");
    assert!(
        again.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&cid))
    );
    app.post("/v1/customers/imports", &op, body("2", "imp-one"))
        .await
        .problem(409, "domain_unavailable");
    let mut taken = body("4", "imp-four");
    taken["admin"]["email"] = json!("it@imp-one.example");
    app.post("/v1/customers/imports", &op, taken)
        .await
        .problem(409, "email_in_use");
    let other_provider = partner_admin(&app, &op, "dist-other").await;
    let other_org = authorize(
        &app,
        &op,
        &other_provider,
        json!(["DE"]),
        json!(["Microsoft 365"]),
    )
    .await;
    let mut unrelated = body("5", "imp-five");
    unrelated["indirectProviderId"] = json!(other_org);
    app.post("/v1/customers/imports", &op, unrelated)
        .await
        .problem(403, "relationship_required");
    let mut bad = body("3", "imp-three");
    bad["resellerOrganizationId"] = json!(c.provider_org);
    app.post("/v1/customers/imports", &op, bad)
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        app.get("/v1/customers/imports?source=legacy-crm", &op)
            .await
            .ok(200)["totalCount"],
        1
    );
    // The reseller sees it at once, with delegated admin; the provider too.
    let mine = app.get("/v1/customers?imported=true", &c.reseller).await;
    assert_eq!(mine.ok(200)["totalCount"], 1);
    assert_eq!(mine.body["items"][0]["delegatedAdmin"]["status"], "active");
    assert_eq!(
        app.get("/v1/customers?imported=false", &c.reseller)
            .await
            .ok(200)["totalCount"],
        0
    );
    assert_eq!(
        app.get("/v1/customers", &c.provider).await.ok(200)["totalCount"],
        1
    );
    let audit = app
        .get("/v1/auditrecords?operationType=importCustomer", &op)
        .await;
    assert_eq!(audit.ok(200)["totalCount"], 1);
    // The imported admin signs in with the temporary password and must change it.
    let signed_in = app
        .sign_in(
            "it@imp-one.example",
            done["temporaryPassword"].as_str().expect("password"),
        )
        .await;
    assert_eq!(signed_in.ok(201)["passwordChangeRequired"], true);

    // A search pages like any list: newest first, one at a time, to the end.
    for (ext, prefix) in [("10", "page-a"), ("11", "page-b"), ("12", "page-c")] {
        app.post("/v1/customers/imports", &op, body(ext, prefix))
            .await
            .ok(201);
        app.app.clock().advance(1000);
    }
    let mut seen = Vec::new();
    let mut path = "/v1/customers?q=PAGE&size=1".to_owned();
    loop {
        let got = app.get(&path, &c.reseller).await.ok(200).clone();
        if seen.is_empty() {
            assert_eq!(got["totalCount"], 3);
        }
        seen.push(
            got["items"][0]["companyName"]
                .as_str()
                .expect("name")
                .to_owned(),
        );
        match got["continuationToken"].as_str() {
            Some(t) => path = format!("/v1/customers?q=PAGE&size=1&continuationToken={t}"),
            None => break,
        }
    }
    assert_eq!(seen, ["page-c AG", "page-b AG", "page-a AG"]);
    app.shutdown().await;
}
both!(the_operator_imports_existing_customers);

/// Writes a CSV of `n` customers for the reseller (every 50th row is refused: a
/// webmail-free but malformed admin address), plus one duplicate external id.
fn import_csv(path: &std::path::Path, n: usize, reseller: &str, provider: &str) {
    let mut csv = String::from(
        "externalId,companyName,domainPrefix,country,resellerOrganizationId,indirectProviderId,delegatedAdmin,adminEmail,adminFirstName,adminLastName\n",
    );
    for i in 0..n {
        let email = if i % 50 == 49 {
            format!("broken-address-{i}")
        } else {
            format!("admin{i}@bulk{i}.example")
        };
        csv.push_str(&format!(
            "ext-{i},\"Bulk {i}, Inc.\",bulk-{i},DE,{reseller},{provider},{},{email},Ann,Admin\n",
            if i % 2 == 0 { "true" } else { "" }
        ));
    }
    csv.push_str(&format!(
        "ext-0,Bulk again,bulk-again,DE,{reseller},,,again@bulk.example,Ann,Admin\n"
    ));
    std::fs::write(path, csv).expect("csv");
}

/// Runs the import; its exit code, its report (stdout) and its log (stderr), kept
/// apart so a warning logged on a slow machine cannot break the report's format.
fn run_import(
    app: &TestApp,
    file: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partnerd"))
        .env("PARTNERD_DATABASE_URL", &app.database_url)
        .env("PARTNERD_MAIL_DIR", &app.mail_dir)
        .env("PARTNERD_LOG", "warn")
        .args(["customers", "import", "--source", "old-portal", "--file"])
        .arg(file)
        .args(extra)
        .output()
        .expect("run partnerd");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn the_cli_imports_a_csv_with_a_per_row_report(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "res-e", "95000001").await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("customers.csv");
    let rows = 10_000;
    import_csv(&file, rows, &c.reseller_org, &c.provider_org);

    let (code, report, log) = run_import(&app, &file, &["--json"]);
    assert_eq!(
        code,
        Some(1),
        "a refused row makes the exit code 1: {report}{log}"
    );
    let lines: Vec<Value> = report
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let summary = lines.last().expect("summary");
    let refused = rows / 50;
    assert_eq!(
        (
            &summary["rows"],
            &summary["created"],
            &summary["skipped"],
            &summary["refused"]
        ),
        (
            &json!(rows + 1),
            &json!(rows - refused),
            &json!(1),
            &json!(refused)
        ),
        "{summary}"
    );
    let bad = lines
        .iter()
        .find(|l| l["outcome"] == "refused")
        .expect("a refused row");
    assert_eq!(bad["line"], 51);
    assert_eq!(bad["code"], "validation_failed");
    assert!(
        bad["errors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("/admin/email"))
    );
    let dup = lines
        .iter()
        .find(|l| l["outcome"] == "skipped")
        .expect("the duplicate");
    assert_eq!(dup["externalId"], "ext-0");
    assert!(lines.iter().filter(|l| l["outcome"] == "created").all(|l| {
        l["temporaryPassword"]
            .as_str()
            .is_some_and(|p| p.len() >= 20)
    }));

    // The customers appear for the reseller (and half with delegated admin), and a
    // refused row left nothing behind.
    let listed = app
        .get("/v1/customers?imported=true&size=1", &c.reseller)
        .await;
    assert_eq!(listed.ok(200)["totalCount"], rows - refused);
    let with_da = app
        .get("/v1/customers?delegatedAdmin=true&size=1", &c.reseller)
        .await;
    assert_eq!(with_da.ok(200)["totalCount"], rows / 2);
    let refused_row = app
        .get("/v1/customers?q=Bulk%2049%2C&size=1", &c.reseller)
        .await;
    assert_eq!(refused_row.ok(200)["totalCount"], 0);
    let kept_row = app
        .get("/v1/customers?q=Bulk%2048%2C&size=1", &c.reseller)
        .await;
    assert_eq!(kept_row.ok(200)["totalCount"], 1);

    // A second run changes nothing: every earlier row is skipped.
    let (code, report, _) = run_import(&app, &file, &[]);
    assert_eq!(code, Some(1));
    let last = report.lines().last().expect("summary line");
    assert_eq!(
        last,
        format!(
            "{} rows: 0 created, {} skipped, {refused} refused",
            rows + 1,
            rows - refused + 1
        )
    );
    // A file that cannot be read as a whole imports nothing and says why.
    std::fs::write(&file, "externalId,shoeSize\n1,42\n").expect("csv");
    let (code, report, log) = run_import(&app, &file, &[]);
    assert_eq!(code, Some(2));
    assert!(
        format!("{report}{log}").contains("unknown column 'shoeSize'"),
        "{report}{log}"
    );
    app.shutdown().await;
}
both!(the_cli_imports_a_csv_with_a_per_row_report);

async fn the_provider_sets_a_credit_limit_per_reseller(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "res-f", "96000001").await;
    let billing = add_signed_in_user(
        &app,
        &c.provider,
        "bill@dist-res-f.example",
        &["billingAdmin"],
    )
    .await
    .1;
    let sales = add_signed_in_user(&app, &c.provider, "sam@dist-res-f.example", &["salesAgent"])
        .await
        .1;
    let rel = app.get("/v1/relationships", &c.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    let path = format!("/v1/relationships/{rel}/creditlimit");
    let fresh = app.get(&path, &c.reseller).await;
    let fresh = fresh.ok(200).clone();
    assert_eq!(fresh["limit"], Value::Null);
    assert_eq!(fresh["used"]["amount"], "0.00");
    assert_eq!(fresh["available"], Value::Null);

    let put = |token: &str, body: Value, etag: Option<&str>| {
        let req = app
            .client
            .put(app.url(&path))
            .bearer_auth(token)
            .json(&body);
        let req = match etag {
            Some(e) => req.header("If-Match", e),
            None => req,
        };
        async move { TestApp::read(req.send().await.expect("send")).await }
    };
    let limit = json!({"limit": {"amount": "5000.00", "currency": "USD"}});
    put(&c.reseller, limit.clone(), None)
        .await
        .problem(403, "forbidden");
    put(&sales, limit.clone(), None)
        .await
        .problem(403, "forbidden");
    put(
        &billing,
        json!({"limit": {"amount": "-1", "currency": "USD"}}),
        None,
    )
    .await
    .problem(422, "validation_failed");
    put(
        &billing,
        json!({"limit": {"amount": "10", "currency": "EUR"}}),
        None,
    )
    .await
    .problem(422, "validation_failed");
    put(&billing, limit.clone(), Some("\"stale\""))
        .await
        .problem(412, "precondition_failed");
    let set = put(
        &billing,
        limit.clone(),
        Some(&format!("\"{}\"", fresh["etag"].as_str().expect("etag"))),
    )
    .await;
    let set = set.ok(200).clone();
    assert_eq!(set["limit"]["amount"], "5000.00");
    assert_eq!(set["available"]["amount"], "5000.00");
    assert_ne!(set["etag"], fresh["etag"]);
    assert_eq!(
        app.get(&path, &c.reseller).await.ok(200)["limit"]["amount"],
        "5000.00"
    );
    app.drain_mail().await;
    let mail = last_mail(&app, "credit_limit_changed").expect("mail to the reseller");
    assert_eq!(mail_header(&mail, "To"), Some("gina@res-f.example"));

    app.delete(&path, &c.provider).await.ok(204);
    assert_eq!(
        app.get(&path, &c.provider).await.ok(200)["limit"],
        Value::Null
    );
    put(&c.provider, limit.clone(), None).await.ok(200);
    // Ending the relationship removes the limit; afterwards none can be set.
    app.post(
        &format!("/v1/relationships/{rel}/terminate"),
        &c.reseller,
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(
        app.get(&path, &c.provider).await.ok(200)["limit"],
        Value::Null
    );
    put(&c.provider, limit, None)
        .await
        .problem(409, "invalid_state");
    app.shutdown().await;
}
both!(the_provider_sets_a_credit_limit_per_reseller);
