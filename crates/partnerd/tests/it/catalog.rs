//! API.md §4.2, §4.5 and §13: the catalog, provider authorisation and the directory.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;
use crate::roles::partner_admin;
use crate::users::add_signed_in_user;

pub fn offer(id: &str, family: &str, price: &str) -> Value {
    json!({"id": id, "name": format!("{id} plan"), "productFamily": family, "billingCycle": "monthly",
           "unitPrice": {"amount": price, "currency": "USD"}, "minQuantity": 1, "maxQuantity": 300})
}

async fn the_operator_keeps_the_catalog(app: TestApp) {
    let op = app.operator_token().await;
    let created = app
        .post(
            "/v1/offers",
            &op,
            offer("m365-e3", "Microsoft 365", "36.00"),
        )
        .await;
    let body = created.ok(201).clone();
    assert_eq!(created.header("location"), Some("/v1/offers/m365-e3"));
    assert_eq!(
        body["unitPrice"],
        json!({"amount": "36.00", "currency": "USD"})
    );
    assert_eq!(body["status"], "available");
    assert_eq!(body["requiresAdminAgent"], false);
    let mut annual = offer("azure-plan", "Azure", "0.5");
    annual["billingCycle"] = json!("annual");
    annual["requiresAdminAgent"] = json!(true);
    assert_eq!(
        app.post("/v1/offers", &op, annual).await.ok(201)["unitPrice"]["amount"],
        "0.50"
    );
    app.post("/v1/offers", &op, offer("m365-e5", "Microsoft 365", "57"))
        .await
        .ok(201);
    app.post("/v1/offers", &op, offer("m365-e3", "Microsoft 365", "1"))
        .await
        .problem(409, "conflict");

    let bad = [
        (json!({"id": "has space"}), "/id"),
        (json!({"billingCycle": "weekly"}), "/billingCycle"),
        (
            json!({"unitPrice": {"amount": "1.234", "currency": "USD"}}),
            "/unitPrice/amount",
        ),
        (
            json!({"unitPrice": {"amount": "-1", "currency": "USD"}}),
            "/unitPrice/amount",
        ),
        (
            json!({"unitPrice": {"amount": "1", "currency": "EUR"}}),
            "/unitPrice/currency",
        ),
        (json!({"minQuantity": 0}), "/minQuantity"),
        (json!({"maxQuantity": 1_000_001}), "/maxQuantity"),
    ];
    for (change, pointer) in bad {
        let mut body = offer("bad-offer", "Azure", "1");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let res = app.post("/v1/offers", &op, body).await;
        res.problem(422, "validation_failed");
        assert!(
            res.body["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["pointer"] == pointer),
            "{pointer}: {}",
            res.text
        );
    }
    app.get("/v1/offers/bad-offer", &op)
        .await
        .problem(404, "not_found");

    // Everyone in a partner organisation reads the catalog, whatever the role.
    let partner = partner_admin(&app, &op, "litware").await;
    let (_, uma) = add_signed_in_user(
        &app,
        &partner,
        "uma@litware.example",
        &["userManagementAdmin"],
    )
    .await;
    let all = app.get("/v1/offers", &uma).await;
    assert_eq!(all.ok(200)["totalCount"], 3);
    assert_eq!(
        app.get("/v1/offers?productFamily=Azure", &uma)
            .await
            .ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/v1/offers?billingCycle=annual", &uma)
            .await
            .ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/v1/offers?q=E5", &uma).await.ok(200)["totalCount"],
        1
    );
    app.get("/v1/offers?billingCycle=weekly", &uma)
        .await
        .problem(422, "validation_failed");
    app.post("/v1/offers", &partner, offer("x", "Azure", "1"))
        .await
        .problem(403, "forbidden");

    // Changes: If-Match honoured, the id fixed.
    let e3 = app.get("/v1/offers/m365-e3", &op).await;
    let etag = e3.header("etag").expect("etag").to_owned();
    let stale = app
        .client
        .patch(app.url("/v1/offers/m365-e3"))
        .bearer_auth(&op)
        .header("if-match", "\"nope\"")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");
    let ok = app
        .client
        .patch(app.url("/v1/offers/m365-e3"))
        .bearer_auth(&op)
        .header("if-match", &etag)
        .json(&json!({"unitPrice": {"amount": "38.00", "currency": "USD"}}))
        .send()
        .await
        .expect("send");
    let ok = TestApp::read(ok).await;
    // A new price takes effect on the first of next month (API-billing.md §10.2).
    assert_eq!(ok.ok(200)["unitPrice"]["amount"], "36.00");
    assert_ne!(ok.header("etag"), Some(etag.as_str()));
    let prices = app.get("/v1/offers/m365-e3/prices", &op).await;
    assert_eq!(
        prices.ok(200)["items"][1]["terms"][0]["billingPlans"][0]["unitPrice"]["amount"],
        "38.00"
    );
    app.call(
        Method::PATCH,
        "/v1/offers/m365-e3",
        Some(&op),
        Some(json!({"id": "other"})),
    )
    .await
    .problem(422, "validation_failed");

    // Retiring keeps the offer for history.
    assert_eq!(
        app.delete("/v1/offers/m365-e5", &op).await.status.as_u16(),
        204
    );
    assert_eq!(
        app.get("/v1/offers/m365-e5", &uma).await.ok(200)["status"],
        "retired"
    );
    assert_eq!(app.get("/v1/offers", &uma).await.ok(200)["totalCount"], 2);
    assert_eq!(
        app.get("/v1/offers?status=retired", &uma).await.ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/v1/offers?status=all", &uma).await.ok(200)["totalCount"],
        3
    );

    let families = app.get("/v1/productfamilies", &uma).await;
    assert_eq!(
        families.ok(200)["items"],
        json!([
            {"id": "Azure", "name": "Azure", "requiresAdminAgent": true},
            {"id": "Microsoft 365", "name": "Microsoft 365", "requiresAdminAgent": false}
        ])
    );
    app.shutdown().await;
}
both!(the_operator_keeps_the_catalog);

/// Authorises the organisation behind `partner` as provider; returns its id.
pub async fn authorize(
    app: &TestApp,
    op: &str,
    partner: &str,
    countries: Value,
    families: Value,
) -> String {
    let org = app.get("/v1/organization", partner).await.ok(200)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = app
        .call(
            Method::PUT,
            &format!("/v1/organizations/{org}/indirectproviderauthorization"),
            Some(op),
            Some(json!({"countries": countries, "productFamilies": families})),
        )
        .await;
    res.ok(200);
    org
}

async fn the_operator_authorises_providers_and_the_directory_lists_them(app: TestApp) {
    let op = app.operator_token().await;
    app.post("/v1/offers", &op, offer("m365-e3", "Microsoft 365", "36"))
        .await
        .ok(201);
    app.post("/v1/offers", &op, offer("azure", "Azure", "1"))
        .await
        .ok(201);
    let tailspin = partner_admin(&app, &op, "tailspin").await;
    let adatum = partner_admin(&app, &op, "adatum").await;
    let org = app.get("/v1/organization", &tailspin).await.ok(200)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/v1/organizations/{org}/indirectproviderauthorization");

    // Bad input and the wrong kind of organisation change nothing.
    let res = app
        .call(
            Method::PUT,
            &path,
            Some(&op),
            Some(json!({"countries": [], "productFamilies": ["Quantum"]})),
        )
        .await;
    res.problem(422, "validation_failed");
    let pointers: Vec<&str> = res.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(pointers, vec!["/countries", "/productFamilies/0"]);
    let op_org = app.get("/v1/organization", &op).await.ok(200)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.call(
        Method::PUT,
        &format!("/v1/organizations/{op_org}/indirectproviderauthorization"),
        Some(&op),
        Some(json!({"countries": ["DE"], "productFamilies": ["Azure"]})),
    )
    .await
    .problem(409, "wrong_organization_kind");
    app.call(
        Method::PUT,
        "/v1/organizations/org_nope/indirectproviderauthorization",
        Some(&op),
        Some(json!({"countries": ["DE"], "productFamilies": ["Azure"]})),
    )
    .await
    .problem(404, "not_found");
    app.get(&path, &op).await.problem(404, "not_found");

    let granted = app
        .call(
            Method::PUT,
            &path,
            Some(&op),
            Some(json!({"countries": ["DE", "AT", "DE"], "productFamilies": ["Microsoft 365"]})),
        )
        .await;
    let body = granted.ok(200);
    assert_eq!(body["authorized"], true);
    assert_eq!(body["countries"], json!(["AT", "DE"]));
    assert_eq!(
        app.get(&format!("/v1/organizations/{org}"), &op)
            .await
            .ok(200)["programs"],
        json!(["indirectProvider"])
    );
    assert_eq!(
        app.get("/v1/organization", &tailspin).await.ok(200)["programs"],
        json!(["indirectProvider"])
    );
    app.get(&path, &tailspin).await.ok(200);
    app.get(&path, &adatum).await.problem(404, "not_found");
    app.call(
        Method::PUT,
        &path,
        Some(&tailspin),
        Some(json!({"countries": ["US"], "productFamilies": ["Azure"]})),
    )
    .await
    .problem(404, "not_found");
    authorize(
        &app,
        &op,
        &adatum,
        json!(["US"]),
        json!(["Azure", "Microsoft 365"]),
    )
    .await;

    // The directory: authorised and listed providers, by name, for any signed-in user.
    let (_, helpdesk) =
        add_signed_in_user(&app, &adatum, "hd@adatum.example", &["helpdeskAgent"]).await;
    let list = app.get("/v1/directory/providers", &helpdesk).await;
    let names: Vec<&str> = list.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(names, vec!["adatum Ltd", "tailspin Ltd"]);
    assert_eq!(
        app.get("/v1/directory/providers?country=DE", &helpdesk)
            .await
            .ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/v1/directory/providers?productFamily=Azure", &helpdesk)
            .await
            .ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/v1/directory/providers?name=SPIN", &helpdesk)
            .await
            .ok(200)["totalCount"],
        1
    );
    app.get("/v1/directory/providers?country=de", &helpdesk)
        .await
        .problem(422, "validation_failed");
    let first = app.get("/v1/directory/providers?size=1", &helpdesk).await;
    let token = first.ok(200)["continuationToken"]
        .as_str()
        .expect("more")
        .to_owned();
    let second = app
        .get(
            &format!("/v1/directory/providers?size=1&continuationToken={token}"),
            &helpdesk,
        )
        .await;
    assert_eq!(second.ok(200)["items"][0]["name"], "tailspin Ltd");
    assert_eq!(second.body["continuationToken"], Value::Null);

    // A provider's global admin edits its own listing, and only its own.
    let listing = format!("/v1/directory/providers/{org}");
    let edited = app.call(Method::PATCH, &listing, Some(&tailspin), Some(json!({"description": "Cloud distribution for DACH", "website": "https://tailspin.example", "contactEmail": "partners@tailspin.example"}))).await;
    assert_eq!(edited.ok(200)["website"], "https://tailspin.example");
    app.call(
        Method::PATCH,
        &listing,
        Some(&tailspin),
        Some(json!({"website": "ftp://nope"})),
    )
    .await
    .problem(422, "validation_failed");
    app.call(
        Method::PATCH,
        &listing,
        Some(&adatum),
        Some(json!({"description": "hijack"})),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(
        app.get(&listing, &helpdesk).await.ok(200)["description"],
        "Cloud distribution for DACH"
    );
    app.call(
        Method::PATCH,
        &listing,
        Some(&tailspin),
        Some(json!({"listed": false})),
    )
    .await
    .ok(200);
    app.get(&listing, &helpdesk).await.problem(404, "not_found");
    assert_eq!(
        app.get("/v1/directory/providers", &helpdesk).await.ok(200)["totalCount"],
        1
    );
    app.get(&listing, &tailspin).await.ok(200);

    // Withdrawing ends the programme and the listing.
    let adatum_org = app.get("/v1/organization", &adatum).await.ok(200)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.delete(
            &format!("/v1/organizations/{adatum_org}/indirectproviderauthorization"),
            &op
        )
        .await
        .status
        .as_u16(),
        204
    );
    assert_eq!(
        app.get("/v1/organization", &adatum).await.ok(200)["programs"],
        json!([])
    );
    assert_eq!(
        app.get("/v1/directory/providers", &helpdesk).await.ok(200)["totalCount"],
        0
    );
    let log = app
        .get(
            "/v1/auditrecords?operationType=authorizeIndirectProvider",
            &op,
        )
        .await;
    assert_eq!(log.ok(200)["totalCount"], 2);
    app.shutdown().await;
}
both!(the_operator_authorises_providers_and_the_directory_lists_them);

// ------------------------------------------------------------ terms and prices

fn usd(amount: &str) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

/// A billing plan of a term.
fn billed(frequency: &str, amount: &str) -> Value {
    json!({"billingFrequency": frequency, "unitPrice": usd(amount)})
}

/// An offer sold on `terms`.
pub fn offer_on(id: &str, family: &str, terms: Value) -> Value {
    json!({"id": id, "name": format!("{id} suite"), "productFamily": family, "terms": terms,
           "minQuantity": 1, "maxQuantity": 300})
}

/// The pointers of a 422's field errors.
fn pointers(res: &crate::helpers::Resp) -> Vec<String> {
    res.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors: {}", res.text))
        .iter()
        .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
        .collect()
}

/// The ids of a collection's items, sorted.
fn ids(res: &crate::helpers::Resp) -> Vec<String> {
    let mut out: Vec<String> = res.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> crate::helpers::Resp {
    app.call(Method::PATCH, path, Some(token), Some(body)).await
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::helpers::Resp {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

/// The month of the server's clock.
fn this_month(app: &TestApp) -> partnerd_domain::calendar::Month {
    partnerd_domain::calendar::Month::of(app.app.now())
}

/// Moves the server's clock to an hour into next month.
fn into_next_month(app: &TestApp) {
    let now = app.app.now();
    let next = this_month(app).next().start();
    app.app.clock().advance(next.since(now) + 3_600_000);
}

/// `{effectiveFrom: [plan prices]}` of an offer's versions, in order.
async fn versions(app: &TestApp, token: &str, offer: &str) -> Vec<(String, Vec<String>)> {
    let res = app.get(&format!("/v1/offers/{offer}/prices"), token).await;
    res.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| {
            let prices = v["terms"]
                .as_array()
                .expect("terms")
                .iter()
                .flat_map(|t| {
                    let term = t["termDuration"].as_str().unwrap_or_default().to_owned();
                    t["billingPlans"]
                        .as_array()
                        .expect("plans")
                        .iter()
                        .map(move |b| {
                            format!(
                                "{term} {} {}",
                                b["billingFrequency"].as_str().unwrap_or_default(),
                                b["unitPrice"]["amount"].as_str().unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            (
                v["effectiveFrom"].as_str().expect("month").to_owned(),
                prices,
            )
        })
        .collect()
}

async fn offers_are_sold_on_terms_and_v1_offers_on_one(app: TestApp) {
    let op = app.operator_token().await;
    let suite = app
        .post(
            "/v1/offers",
            &op,
            offer_on(
                "suite",
                "Microsoft 365",
                json!([
                    {"termDuration": "P1Y", "billingPlans": [billed("monthly", "12.00"), billed("annual", "144.00")]},
                    {"termDuration": "P1M", "billingPlans": [billed("monthly", "14.40")]},
                    {"termDuration": "P3Y", "billingPlans": [billed("monthly", "11.00"), billed("annual", "132.00"), billed("upfront", "396.00")]}
                ]),
            ),
        )
        .await;
    assert_eq!(suite.header("location"), Some("/v1/offers/suite"));
    let body = suite.ok(201);
    // The default is the first plan of the first term; v1 members mirror it.
    assert_eq!(
        body["defaultTerm"],
        json!({"termDuration": "P1Y", "billingFrequency": "monthly"})
    );
    assert_eq!(body["billingCycle"], "monthly");
    assert_eq!(body["unitPrice"], usd("12.00"));
    assert_eq!(
        body["terms"][2]["billingPlans"][2],
        billed("upfront", "396.00")
    );
    assert_eq!(body["terms"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["maxQuantityPerCustomer"], Value::Null);
    assert_eq!(body["trial"], Value::Null);
    assert_eq!(body["upgradeTargets"], json!([]));
    assert_eq!(body["prerequisiteOfferIds"], json!([]));
    // Its first price version is this month's, written by the operator.
    let prices = app.get("/v1/offers/suite/prices", &op).await;
    let first = &prices.ok(200)["items"][0];
    assert_eq!(prices.body["totalCount"], 1);
    assert_eq!(first["effectiveFrom"], this_month(&app).to_string());
    assert_eq!(first["offerId"], "suite");
    assert_eq!(first["createdBy"]["type"], "user");
    assert_eq!(first["createdBy"]["email"], crate::helpers::OPERATOR_EMAIL);
    assert_eq!(first["terms"], body["terms"]);

    // v1 style: one term (monthly → P1M monthly, annual → P1Y annual).
    let monthly = app
        .post("/v1/offers", &op, offer("v1-monthly", "Azure", "5"))
        .await;
    assert_eq!(
        monthly.ok(201)["terms"],
        json!([{"termDuration": "P1M", "billingPlans": [billed("monthly", "5.00")]}])
    );
    let mut annual = offer("v1-annual", "Azure", "60");
    annual["billingCycle"] = json!("annual");
    let annual = app.post("/v1/offers", &op, annual).await;
    assert_eq!(
        annual.ok(201)["defaultTerm"],
        json!({"termDuration": "P1Y", "billingFrequency": "annual"})
    );
    assert_eq!(annual.body["billingCycle"], "annual");

    // A chosen default, its v1 cycle that of three years paid up front; a cap, a
    // trial with its defaults, and links to other offers.
    let mut premium = offer_on(
        "premium",
        "Microsoft 365",
        json!([{"termDuration": "P3Y", "billingPlans": [billed("annual", "240.00"), billed("upfront", "700.00")]}]),
    );
    premium["defaultTerm"] = json!({"termDuration": "P3Y", "billingFrequency": "upfront"});
    premium["maxQuantity"] = json!(10);
    premium["maxQuantityPerCustomer"] = json!(300);
    premium["trial"] = json!({});
    premium["upgradeTargets"] = json!(["suite"]);
    premium["prerequisiteOfferIds"] = json!(["v1-annual", "v1-monthly"]);
    let premium = app.post("/v1/offers", &op, premium).await;
    let body = premium.ok(201);
    assert_eq!(body["billingCycle"], "triennial");
    assert_eq!(body["unitPrice"], usd("700.00"));
    assert_eq!(body["maxQuantityPerCustomer"], 300);
    assert_eq!(body["trial"], json!({"days": 30, "maxQuantity": 10}));
    assert_eq!(body["upgradeTargets"], json!(["suite"]));
    assert_eq!(
        body["prerequisiteOfferIds"],
        json!(["v1-annual", "v1-monthly"])
    );
    assert_eq!(
        app.get("/v1/offers/premium", &op).await.ok(200)["terms"],
        body["terms"]
    );
    let audit = app
        .get(
            "/v1/auditrecords?operationType=createOffer&resourceId=premium",
            &op,
        )
        .await;
    assert_eq!(
        audit.ok(200)["items"][0]["changes"]["after"]["defaultTerm"]["billingFrequency"],
        "upfront"
    );
    app.shutdown().await;
}
both!(offers_are_sold_on_terms_and_v1_offers_on_one);

async fn every_rule_of_an_offer_is_checked_and_all_errors_come_at_once(app: TestApp) {
    let op = app.operator_token().await;
    app.post("/v1/offers", &op, offer("other", "Azure", "1"))
        .await
        .ok(201);
    let p1y = |plans: Value| json!({"termDuration": "P1Y", "billingPlans": plans});
    let ok_terms = json!([p1y(json!([billed("monthly", "1.00")]))]);
    let many: Vec<String> = (0..21).map(|i| format!("other-{i}")).collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("no terms", json!({"terms": []}), "/terms"),
        (
            "four terms",
            json!({"terms": [p1y(json!([billed("monthly", "1")])), {"termDuration": "P1M", "billingPlans": [billed("monthly", "1")]},
                {"termDuration": "P3Y", "billingPlans": [billed("monthly", "1")]}, {"termDuration": "P3Y", "billingPlans": [billed("annual", "1")]}]}),
            "/terms",
        ),
        (
            "a term twice",
            json!({"terms": [p1y(json!([billed("monthly", "1")])), p1y(json!([billed("annual", "1")]))]}),
            "/terms/1/termDuration",
        ),
        (
            "an unknown term",
            json!({"terms": [{"termDuration": "P2Y", "billingPlans": [billed("monthly", "1")]}]}),
            "/terms/0/termDuration",
        ),
        (
            "no billing plans",
            json!({"terms": [p1y(json!([]))]}),
            "/terms/0/billingPlans",
        ),
        (
            "four billing plans",
            json!({"terms": [{"termDuration": "P3Y", "billingPlans": [billed("monthly", "1"), billed("annual", "1"), billed("upfront", "1"), billed("monthly", "2")]}]}),
            "/terms/0/billingPlans",
        ),
        (
            "a plan the contract does not sell",
            json!({"terms": [{"termDuration": "P1M", "billingPlans": [billed("annual", "1")]}]}),
            "/terms/0/billingPlans/0/billingFrequency",
        ),
        (
            "upfront for a year",
            json!({"terms": [p1y(json!([billed("upfront", "1")]))]}),
            "/terms/0/billingPlans/0/billingFrequency",
        ),
        (
            "a frequency twice",
            json!({"terms": [p1y(json!([billed("monthly", "1"), billed("monthly", "2")]))]}),
            "/terms/0/billingPlans/1/billingFrequency",
        ),
        (
            "a negative price",
            json!({"terms": [p1y(json!([billed("monthly", "-1")]))]}),
            "/terms/0/billingPlans/0/unitPrice/amount",
        ),
        (
            "another currency",
            json!({"terms": [p1y(json!([{"billingFrequency": "monthly", "unitPrice": {"amount": "1", "currency": "EUR"}}]))]}),
            "/terms/0/billingPlans/0/unitPrice/currency",
        ),
        (
            "a default it does not sell",
            json!({"defaultTerm": {"termDuration": "P1Y", "billingFrequency": "annual"}}),
            "/defaultTerm",
        ),
        (
            "a default that is no plan",
            json!({"defaultTerm": {"termDuration": "P1M", "billingFrequency": "yearly"}}),
            "/defaultTerm/billingFrequency",
        ),
        (
            "both styles",
            json!({"billingCycle": "monthly", "unitPrice": usd("1")}),
            "/terms",
        ),
        ("neither style", json!({"terms": null}), "/terms"),
        (
            "an upgrade to itself",
            json!({"upgradeTargets": ["bad"]}),
            "/upgradeTargets/0",
        ),
        (
            "an upgrade to nothing",
            json!({"upgradeTargets": ["nope"]}),
            "/upgradeTargets/0",
        ),
        (
            "an upgrade twice",
            json!({"upgradeTargets": ["other", "other"]}),
            "/upgradeTargets/1",
        ),
        (
            "21 upgrades",
            json!({"upgradeTargets": many}),
            "/upgradeTargets",
        ),
        (
            "a prerequisite that is no offer id",
            json!({"prerequisiteOfferIds": ["has space"]}),
            "/prerequisiteOfferIds/0",
        ),
        (
            "an unknown prerequisite",
            json!({"prerequisiteOfferIds": ["other", "missing"]}),
            "/prerequisiteOfferIds/1",
        ),
        (
            "21 prerequisites",
            json!({"prerequisiteOfferIds": many}),
            "/prerequisiteOfferIds",
        ),
        (
            "no seats per customer",
            json!({"maxQuantityPerCustomer": 0}),
            "/maxQuantityPerCustomer",
        ),
        (
            "too many seats per customer",
            json!({"maxQuantityPerCustomer": 1_000_001}),
            "/maxQuantityPerCustomer",
        ),
        (
            "a trial of no days",
            json!({"trial": {"days": 0}}),
            "/trial/days",
        ),
        (
            "a trial of 91 days",
            json!({"trial": {"days": 91}}),
            "/trial/days",
        ),
        (
            "a trial of no seats",
            json!({"trial": {"maxQuantity": 0}}),
            "/trial/maxQuantity",
        ),
        (
            "a trial larger than a subscription",
            json!({"trial": {"maxQuantity": 301}}),
            "/trial/maxQuantity",
        ),
    ];
    for (what, change, pointer) in cases {
        let mut body = offer_on("bad", "Azure", ok_terms.clone());
        for (k, v) in change.as_object().expect("object") {
            if v.is_null() && k == "terms" {
                body.as_object_mut().expect("object").remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let res = app.post("/v1/offers", &op, body).await;
        res.problem(422, "validation_failed");
        assert!(
            pointers(&res).iter().any(|p| p == pointer),
            "{what}: expected {pointer} in {}",
            res.text
        );
        assert!(
            res.body["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .all(|e| e["message"].as_str().is_some_and(|m| m.len() > 8)),
            "{what}: every error says what is wrong in words: {}",
            res.text
        );
    }
    // Null is no limit and no trial.
    let mut fine = offer_on("fine", "Azure", ok_terms.clone());
    fine["maxQuantityPerCustomer"] = Value::Null;
    fine["trial"] = Value::Null;
    app.post("/v1/offers", &op, fine).await.ok(201);

    // Every problem of one request, at once.
    let mut body = offer_on(
        "bad",
        "Azure",
        json!([
            {"termDuration": "P1M", "billingPlans": [billed("upfront", "1")]},
            {"termDuration": "P1Y", "billingPlans": [billed("monthly", "x")]}
        ]),
    );
    body["upgradeTargets"] = json!(["nope"]);
    body["maxQuantityPerCustomer"] = json!(0);
    body["trial"] = json!({"days": 100});
    body["minQuantity"] = json!(0);
    let res = app.post("/v1/offers", &op, body).await;
    res.problem(422, "validation_failed");
    let mut found = pointers(&res);
    found.sort();
    assert_eq!(
        found,
        [
            "/maxQuantityPerCustomer",
            "/minQuantity",
            "/terms/0/billingPlans/0/billingFrequency",
            "/terms/1/billingPlans/0/unitPrice/amount",
            "/trial/days",
            "/upgradeTargets/0",
        ]
    );
    app.get("/v1/offers/bad", &op)
        .await
        .problem(404, "not_found");
    app.shutdown().await;
}
both!(every_rule_of_an_offer_is_checked_and_all_errors_come_at_once);

async fn a_change_sells_new_plans_at_once_and_new_prices_from_next_month(app: TestApp) {
    let op = app.operator_token().await;
    let month = this_month(&app);
    let (m0, m1, m2) = (
        month.to_string(),
        month.next().to_string(),
        month.plus(2).to_string(),
    );
    app.post(
        "/v1/offers",
        &op,
        offer_on(
            "suite",
            "Microsoft 365",
            json!([{"termDuration": "P1Y", "billingPlans": [billed("monthly", "10.00")]}]),
        ),
    )
    .await
    .ok(201);
    let path = "/v1/offers/suite";

    // A plan added is sold at once, in this month's version.
    let added = patch(
        &app,
        path,
        &op,
        json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", "10.00"), billed("annual", "100.00")]}]}),
    )
    .await;
    assert_eq!(
        added.ok(200)["terms"][0]["billingPlans"][1],
        billed("annual", "100.00")
    );
    assert_eq!(
        versions(&app, &op, "suite").await,
        [(
            m0.clone(),
            vec![
                "P1Y monthly 10.00".to_owned(),
                "P1Y annual 100.00".to_owned()
            ]
        )]
    );

    // Plans cannot be removed.
    let removed = patch(
        &app,
        path,
        &op,
        json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", "10.00")]}]}),
    )
    .await;
    removed.problem(422, "validation_failed");
    assert_eq!(pointers(&removed), ["/terms"]);
    assert!(
        removed.text.contains("retire the offer instead"),
        "{}",
        removed.text
    );

    // A new price lands in next month's version, made from this month's; this
    // month's price stays.
    let repriced = patch(
        &app,
        path,
        &op,
        json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", "12.00"), billed("annual", "100.00")]}]}),
    )
    .await;
    assert_eq!(repriced.ok(200)["unitPrice"], usd("10.00"));
    assert_eq!(
        repriced.body["terms"][0]["billingPlans"][0],
        billed("monthly", "10.00")
    );
    assert_eq!(
        versions(&app, &op, "suite").await,
        [
            (
                m0.clone(),
                vec![
                    "P1Y monthly 10.00".to_owned(),
                    "P1Y annual 100.00".to_owned()
                ]
            ),
            (
                m1.clone(),
                vec![
                    "P1Y monthly 12.00".to_owned(),
                    "P1Y annual 100.00".to_owned()
                ]
            ),
        ]
    );
    // The v1 unitPrice prices the default plan, in the same next month's version.
    patch(&app, path, &op, json!({"unitPrice": usd("13.00")}))
        .await
        .ok(200);
    // A later month scheduled by hand; then a plan added is priced in this
    // month's version and every later one.
    put(
        &app,
        &format!("{path}/prices/{m2}"),
        &op,
        json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", "15.00"), billed("annual", "150.00")]}]}),
    )
    .await
    .ok(201);
    let three = json!([{"termDuration": "P1Y", "billingPlans": [billed("monthly", "13.00"), billed("annual", "100.00")]},
                   {"termDuration": "P3Y", "billingPlans": [billed("upfront", "300.00")]}]);
    patch(&app, path, &op, json!({"terms": three}))
        .await
        .ok(200);
    assert_eq!(
        versions(&app, &op, "suite").await,
        [
            (
                m0.clone(),
                vec![
                    "P1Y monthly 10.00".to_owned(),
                    "P1Y annual 100.00".to_owned(),
                    "P3Y upfront 300.00".to_owned()
                ]
            ),
            (
                m1.clone(),
                vec![
                    "P1Y monthly 13.00".to_owned(),
                    "P1Y annual 100.00".to_owned(),
                    "P3Y upfront 300.00".to_owned()
                ]
            ),
            (
                m2.clone(),
                vec![
                    "P1Y monthly 15.00".to_owned(),
                    "P1Y annual 150.00".to_owned(),
                    "P3Y upfront 300.00".to_owned()
                ]
            ),
        ]
    );
    // billingCycle chooses the default among the plans.
    let annual = patch(&app, path, &op, json!({"billingCycle": "annual"})).await;
    assert_eq!(
        annual.ok(200)["defaultTerm"],
        json!({"termDuration": "P1Y", "billingFrequency": "annual"})
    );
    assert_eq!(annual.body["unitPrice"], usd("100.00"));
    patch(
        &app,
        path,
        &op,
        json!({"defaultTerm": {"termDuration": "P1Y", "billingFrequency": "monthly"}}),
    )
    .await
    .ok(200);
    assert_eq!(
        app.get(path, &op).await.ok(200)["unitPrice"],
        usd("10.00"),
        "still this month's price"
    );

    // On the first of next month its prices are in effect (the session idled
    // out meanwhile).
    into_next_month(&app);
    let op = app
        .sign_in(crate::helpers::OPERATOR_EMAIL, crate::helpers::NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let now = app.get(path, &op).await;
    assert_eq!(now.ok(200)["unitPrice"], usd("13.00"));
    assert_eq!(now.body["billingCycle"], "monthly");
    assert_eq!(
        now.body["terms"][1]["billingPlans"][0],
        billed("upfront", "300.00")
    );
    let listed = app.get("/v1/offers?termDuration=P1Y", &op).await;
    assert_eq!(listed.ok(200)["items"][0]["unitPrice"], usd("13.00"));
    let audit = app
        .get(
            "/v1/auditrecords?operationType=updateOffer&resourceId=suite",
            &op,
        )
        .await;
    assert_eq!(audit.ok(200)["totalCount"], 6);
    app.shutdown().await;
}
both!(a_change_sells_new_plans_at_once_and_new_prices_from_next_month);

async fn filters_find_offers_by_plan_trial_and_add_on(app: TestApp) {
    let op = app.operator_token().await;
    let created = [
        offer_on(
            "a-monthly",
            "Azure",
            json!([{"termDuration": "P1M", "billingPlans": [billed("monthly", "1")]}]),
        ),
        {
            let mut b = offer_on(
                "b-yearly",
                "Microsoft 365",
                json!([{"termDuration": "P1Y", "billingPlans": [billed("monthly", "1"), billed("annual", "12")]}]),
            );
            b["trial"] = json!({"days": 14});
            b
        },
        {
            let mut c = offer_on(
                "c-upfront",
                "Microsoft 365",
                json!([{"termDuration": "P3Y", "billingPlans": [billed("upfront", "30")]}]),
            );
            c["prerequisiteOfferIds"] = json!(["a-monthly"]);
            c
        },
        {
            let mut d = offer("d-annual", "Azure", "12");
            d["billingCycle"] = json!("annual");
            d
        },
    ];
    for body in created {
        app.post("/v1/offers", &op, body).await.ok(201);
    }
    let partner = crate::roles::partner_admin(&app, &op, "filters").await;
    for (query, expected) in [
        ("termDuration=P1Y", vec!["b-yearly", "d-annual"]),
        ("billingFrequency=annual", vec!["b-yearly", "d-annual"]),
        (
            "termDuration=P1Y&billingFrequency=monthly",
            vec!["b-yearly"],
        ),
        ("termDuration=P3Y&billingFrequency=monthly", vec![]),
        ("billingCycle=monthly", vec!["a-monthly", "b-yearly"]),
        ("billingCycle=annual", vec!["b-yearly", "d-annual"]),
        ("billingCycle=triennial", vec!["c-upfront"]),
        ("trial=true", vec!["b-yearly"]),
        ("trial=false", vec!["a-monthly", "c-upfront", "d-annual"]),
        ("addOn=true", vec!["c-upfront"]),
        (
            "addOn=false&productFamily=Azure",
            vec!["a-monthly", "d-annual"],
        ),
    ] {
        let res = app.get(&format!("/v1/offers?{query}"), &partner).await;
        assert_eq!(ids(&res), expected, "{query}");
        assert_eq!(res.body["totalCount"], expected.len(), "{query}");
    }
    for (query, pointer) in [
        ("termDuration=P2Y", "/query/termDuration"),
        ("billingFrequency=weekly", "/query/billingFrequency"),
        ("trial=maybe", "/query/trial"),
        ("addOn=1", "/query/addOn"),
        ("billingCycle=weekly", "/query/billingCycle"),
    ] {
        let res = app.get(&format!("/v1/offers?{query}"), &partner).await;
        res.problem(422, "validation_failed");
        assert_eq!(pointers(&res), [pointer], "{query}");
    }
    app.shutdown().await;
}
both!(filters_find_offers_by_plan_trial_and_add_on);

async fn the_operator_schedules_list_prices_for_future_months(app: TestApp) {
    use crate::webhooks::{Seen, deliver, events_in, receiver, subscribe};
    let op = app.operator_token().await;
    let terms = |monthly: &str, annual: &str| json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", monthly), billed("annual", annual)]}]});
    app.post(
        "/v1/offers",
        &op,
        offer_on(
            "suite",
            "Microsoft 365",
            terms("10.00", "100.00")["terms"].clone(),
        ),
    )
    .await
    .ok(201);
    // Who hears of it: the operator and the providers authorised for the family.
    let provider = crate::roles::partner_admin(&app, &op, "prices-provider").await;
    authorize(
        &app,
        &op,
        &provider,
        json!(["DE"]),
        json!(["Microsoft 365"]),
    )
    .await;
    app.post("/v1/offers", &op, offer("azure", "Azure", "1"))
        .await
        .ok(201);
    let elsewhere = crate::roles::partner_admin(&app, &op, "prices-azure").await;
    authorize(&app, &op, &elsewhere, json!(["DE"]), json!(["Azure"])).await;
    let kinds = json!(["offerPrice.scheduled", "offerPrice.deleted"]);
    let mut logs: Vec<Seen> = Vec::new();
    for token in [&op, &provider, &elsewhere] {
        let (url, log) = receiver(vec![]).await;
        subscribe(&app, token, &url, kinds.clone()).await;
        logs.push(log);
    }

    let month = this_month(&app);
    let at = |m: partnerd_domain::calendar::Month| format!("/v1/offers/suite/prices/{m}");
    let created = put(&app, &at(month.next()), &op, terms("11.00", "110.00")).await;
    assert_eq!(created.ok(201)["effectiveFrom"], month.next().to_string());
    assert_eq!(created.header("location"), Some(at(month.next()).as_str()));
    assert_eq!(
        created.body["createdBy"]["email"],
        crate::helpers::OPERATOR_EMAIL
    );
    let replaced = put(&app, &at(month.next()), &op, terms("12.00", "120.00")).await;
    assert_eq!(
        replaced.ok(200)["terms"][0]["billingPlans"][0]["unitPrice"],
        usd("12.00")
    );
    put(&app, &at(month.plus(3)), &op, terms("13.00", "130.00"))
        .await
        .ok(201);

    // Oldest first, paged.
    let first = app.get("/v1/offers/suite/prices?size=2", &op).await;
    let months: Vec<&str> = first.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|v| v["effectiveFrom"].as_str())
        .collect();
    assert_eq!(months, [month.to_string(), month.next().to_string()]);
    assert_eq!(first.body["totalCount"], 3);
    let token = first.body["continuationToken"].as_str().expect("more");
    let rest = app
        .get(
            &format!("/v1/offers/suite/prices?size=2&continuationToken={token}"),
            &op,
        )
        .await;
    assert_eq!(
        rest.ok(200)["items"][0]["effectiveFrom"],
        month.plus(3).to_string()
    );
    assert_eq!(rest.body["continuationToken"], Value::Null);

    // This month and earlier ones are locked; checks in the contract's order.
    for m in [month, month.previous()] {
        put(&app, &at(m), &op, terms("1.00", "1.00"))
            .await
            .problem(409, "price_period_locked");
    }
    app.delete(&at(month), &op)
        .await
        .problem(409, "price_period_locked");
    app.delete(&at(month.previous()), &op)
        .await
        .problem(404, "not_found");
    let missing = put(
        &app,
        &at(month.plus(2)),
        &op,
        json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", "1.00")]}]}),
    )
    .await;
    missing.problem(422, "validation_failed");
    assert_eq!(pointers(&missing), ["/terms"]);
    let unsold = put(
        &app,
        &at(month.plus(2)),
        &op,
        json!({"terms": [{"termDuration": "P1Y", "billingPlans": [billed("monthly", "1"), billed("annual", "1")]},
                         {"termDuration": "P3Y", "billingPlans": [billed("upfront", "1")]}]}),
    )
    .await;
    unsold.problem(422, "validation_failed");
    assert_eq!(pointers(&unsold), ["/terms/1/billingPlans/0"]);
    // 422 before 409: a locked month with a bad body is a bad body.
    put(&app, &at(month), &op, json!({"terms": []}))
        .await
        .problem(422, "validation_failed");
    put(
        &app,
        "/v1/offers/suite/prices/2026-13",
        &op,
        terms("1", "1"),
    )
    .await
    .problem(404, "not_found");
    put(
        &app,
        &format!("/v1/offers/nope/prices/{}", month.next()),
        &op,
        terms("1", "1"),
    )
    .await
    .problem(404, "not_found");
    app.get("/v1/offers/nope/prices", &op)
        .await
        .problem(404, "not_found");

    // Only the operator's global admins schedule prices; partners read them.
    let (_, agent) = add_signed_in_user(
        &app,
        &op,
        "agent@operator.example",
        &["adminAgent", "billingAdmin"],
    )
    .await;
    for token in [&agent, &provider] {
        put(&app, &at(month.plus(4)), token, terms("1", "1"))
            .await
            .problem(403, "forbidden");
        app.delete(&at(month.next()), token)
            .await
            .problem(403, "forbidden");
    }
    assert_eq!(
        app.get("/v1/offers/suite/prices", &provider).await.ok(200)["totalCount"],
        3
    );

    // Withdrawing a future month: the month before it applies again.
    assert_eq!(
        app.delete(&at(month.plus(3)), &op).await.status.as_u16(),
        204
    );
    app.delete(&at(month.plus(3)), &op)
        .await
        .problem(404, "not_found");
    assert_eq!(
        versions(&app, &op, "suite")
            .await
            .last()
            .map(|v| v.0.clone()),
        Some(month.next().to_string())
    );

    // Recorded and announced.
    let audit = app
        .get("/v1/auditrecords?resourceType=offerPrice", &op)
        .await;
    let mut operations: Vec<&str> = audit.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["operationType"].as_str())
        .collect();
    operations.sort_unstable();
    assert_eq!(
        operations,
        [
            "deleteOfferPrice",
            "scheduleOfferPrice",
            "scheduleOfferPrice",
            "scheduleOfferPrice"
        ]
    );
    let op_org = app.get("/v1/organization", &op).await.ok(200)["id"].clone();
    assert_eq!(
        audit.body["items"][0]["resourceId"],
        format!("suite/{}", month.plus(3))
    );
    assert_eq!(audit.body["items"][0]["participants"], json!([op_org]));
    deliver(&app).await;
    for (who, log, expected) in [
        ("operator", &logs[0], 4),
        ("provider of the family", &logs[1], 4),
        ("provider of another family", &logs[2], 0),
    ] {
        let events = events_in(log);
        assert_eq!(events.len(), expected, "{who}: {events:?}");
        if let Some(last) = events.iter().find(|e| e["type"] == "offerPrice.deleted") {
            assert_eq!(last["data"]["effectiveFrom"], month.plus(3).to_string());
            assert_eq!(
                last["data"]["resourceUrl"],
                format!("/v1/offers/suite/prices/{}", month.plus(3))
            );
        }
    }
    app.shutdown().await;
}
both!(
    the_operator_schedules_list_prices_for_future_months,
    |mut c| {
        c.app.dev_mode = true;
        c
    }
);

// ------------------------------------------------------------------ portal

/// The name of `month` as pages write it ("June 2026").
fn month_name(m: partnerd_domain::calendar::Month) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let d = m.first_day();
    format!("{} {}", NAMES[usize::from(d.month_number()) - 1], d.year())
}

/// The text of a page without its tags, for what a reader sees.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

async fn the_operator_sells_plans_and_schedules_prices_in_the_portal(app: TestApp) {
    use crate::pages::signed_in_browser;
    let op = app.operator_token().await;
    for body in [
        offer("basic", "Microsoft 365", "6"),
        offer("premium", "Microsoft 365", "22"),
    ] {
        app.post("/v1/offers", &op, body).await.ok(201);
    }
    let (mut b, csrf) = signed_in_browser(&app, crate::helpers::OPERATOR_EMAIL).await;
    let form = b.get("/catalog/new").await;
    assert_eq!(form.status, 200);
    for plan in [
        "1 month, billed monthly",
        "1 year, billed monthly",
        "1 year, billed annually",
        "3 years, billed monthly",
        "3 years, billed annually",
        "3 years, paid up front",
    ] {
        assert!(form.html.contains(plan), "the grid offers {plan}");
    }
    assert!(form.html.contains("basic plan") && form.html.contains("premium plan"));

    let fields = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
        let mut f: Vec<(&'static str, String)> = vec![
            ("id", "standard".into()),
            ("name", "Business Standard".into()),
            ("product_family", "Microsoft 365".into()),
            ("price_p1m_monthly", "15.00".into()),
            ("price_p1y_monthly", "12.50".into()),
            ("price_p1y_annual", "150".into()),
            ("default_plan", "p1y_annual".into()),
            ("min_quantity", "1".into()),
            ("max_quantity", "300".into()),
            ("max_per_customer", "300".into()),
            ("trial", "on".into()),
            ("trial_days", "14".into()),
            ("upgrade_targets", "premium".into()),
            ("prerequisites", "basic".into()),
            ("prerequisites", "premium".into()),
        ];
        for (k, v) in extra {
            f.retain(|(name, _)| name != k);
            f.push((k, (*v).to_owned()));
        }
        f
    };

    // Errors of the grid go next to their box, all at once.
    let mut bad: Vec<(&str, String)> = fields(&[
        ("price_p1y_monthly", "12.505"),
        ("price_p3y_upfront", "x"),
        ("trial_days", "200"),
    ]);
    bad.insert(0, ("csrf", csrf.clone()));
    let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = b.post("/catalog/new", &pairs).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.html.contains("at most 2 decimals"),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("between 1 and 90 days"));
    assert!(refused.html.matches("field-error").count() >= 3);
    app.get("/v1/offers/standard", &op)
        .await
        .problem(404, "not_found");

    let mut good = fields(&[]);
    good.insert(0, ("csrf", csrf.clone()));
    let pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = b.post("/catalog/new", &pairs).await;
    assert_eq!(
        made.location.as_deref(),
        Some("/catalog/standard?done=created")
    );
    let api = app.get("/v1/offers/standard", &op).await;
    let o = api.ok(200);
    assert_eq!(
        o["defaultTerm"],
        json!({"termDuration": "P1Y", "billingFrequency": "annual"})
    );
    assert_eq!(o["terms"][0]["termDuration"], "P1M");
    assert_eq!(o["terms"][1]["billingPlans"][1], billed("annual", "150.00"));
    assert_eq!(o["trial"], json!({"days": 14, "maxQuantity": 25}));
    assert_eq!(o["maxQuantityPerCustomer"], 300);
    assert_eq!(o["upgradeTargets"], json!(["premium"]));
    assert_eq!(o["prerequisiteOfferIds"], json!(["basic", "premium"]));

    // The offer's page speaks plain words, never codes.
    let page = b.get("/catalog/standard?done=created").await;
    let text = visible(&page.html);
    for words in [
        "1 year, billed monthly — 12.50 USD per seat per month",
        "1 year, billed annually — 150.00 USD per seat per year",
        "14 days, up to 25 seats",
        "At most 300 across all its partners",
        "premium plan",
        format!("From {}", month_name(this_month(&app))).as_str(),
        "in effect",
    ] {
        assert!(text.contains(words), "the page says {words}");
    }
    for code in ["P1Y", "P1M", "upfront", "billingFrequency", "triennial"] {
        assert!(!text.contains(code), "the page shows no {code}");
    }
    let list = visible(&b.get("/catalog").await.html);
    assert!(list.contains("1 month, billed monthly — 15.00 USD per seat per month"));
    assert!(!list.contains("P1M") && !list.contains("P1Y"), "{list}");

    // Emptying a plan's box is refused: plans cannot be removed.
    let etag = o["etag"].as_str().expect("etag").to_owned();
    let mut change = fields(&[("price_p1m_monthly", ""), ("name", "Business Standard 2")]);
    change.retain(|(k, _)| *k != "id");
    change.insert(0, ("etag", etag.clone()));
    change.insert(0, ("csrf", csrf.clone()));
    let pairs: Vec<(&str, &str)> = change.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let kept = b.post("/catalog/standard", &pairs).await;
    assert_eq!(kept.status, 422);
    assert!(
        kept.html.contains("retire the offer instead"),
        "{}",
        kept.html
    );
    assert_eq!(
        app.get("/v1/offers/standard", &op).await.ok(200)["name"],
        "Business Standard"
    );

    // Scheduling next month's prices; this month is locked.
    let next = this_month(&app).next();
    let schedule = |month: String, annual: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("month", month),
            ("price_p1m_monthly", "16".into()),
            ("price_p1y_monthly", "13".into()),
            ("price_p1y_annual", annual.into()),
        ]
    };
    let locked_form = schedule(this_month(&app).to_string(), "156");
    let pairs: Vec<(&str, &str)> = locked_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let locked = b.post("/catalog/standard/prices", &pairs).await;
    assert_eq!(locked.status, 409);
    assert!(locked.html.contains("are locked"), "{}", locked.html);
    let missing_form = schedule(next.to_string(), "");
    let pairs: Vec<(&str, &str)> = missing_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let missing = b.post("/catalog/standard/prices", &pairs).await;
    assert_eq!(missing.status, 422);
    assert!(
        missing.html.contains("1 year, billed annually is missing"),
        "{}",
        missing.html
    );
    let bad_month_form = schedule("June".into(), "156");
    let pairs: Vec<(&str, &str)> = bad_month_form
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let bad_month = b.post("/catalog/standard/prices", &pairs).await;
    assert_eq!(bad_month.status, 422);
    assert!(
        bad_month.html.contains("Must be a month"),
        "{}",
        bad_month.html
    );
    let good_form = schedule(next.to_string(), "156");
    let pairs: Vec<(&str, &str)> = good_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let scheduled = b.post("/catalog/standard/prices", &pairs).await;
    assert_eq!(
        scheduled.location.as_deref(),
        Some("/catalog/standard?done=scheduled")
    );
    let text = visible(&b.get("/catalog/standard?done=scheduled").await.html);
    assert!(text.contains(&format!("From {}", month_name(next))));
    assert!(text.contains("scheduled"));
    assert!(text.contains("1 year, billed annually — 156.00 USD per seat per year"));
    assert!(text.contains("Set by olivia@operator.example on"));
    // The change form starts from next month's prices, so saving it with only a
    // new name leaves the scheduled prices as they are.
    let html = b.get("/catalog/standard").await.html;
    let change_form = &html[html.find("<h2>Change</h2>").expect("the change form")..];
    let value_of = |name: &str| -> String {
        let marker = format!(
            "name=\"{name}\" type=\"text\" inputmode=\"decimal\" autocomplete=\"off\" value=\""
        );
        let start = change_form
            .find(&marker)
            .unwrap_or_else(|| panic!("{name}"))
            + marker.len();
        change_form[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(value_of("price_p1y_annual"), "156.00");
    let etag = app.get("/v1/offers/standard", &op).await.ok(200)["etag"]
        .as_str()
        .expect("etag")
        .to_owned();
    let mut rename = fields(&[("name", "Business Standard (new)")]);
    rename.retain(|(k, _)| *k != "id" && !k.starts_with("price_"));
    for box_name in ["price_p1m_monthly", "price_p1y_monthly", "price_p1y_annual"] {
        rename.push((box_name, value_of(box_name)));
    }
    rename.insert(0, ("etag", etag));
    rename.insert(0, ("csrf", csrf.clone()));
    let pairs: Vec<(&str, &str)> = rename.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let renamed = b.post("/catalog/standard", &pairs).await;
    assert_eq!(
        renamed.location.as_deref(),
        Some("/catalog/standard?done=saved")
    );
    assert_eq!(
        versions(&app, &op, "standard").await[1].1,
        [
            "P1M monthly 16.00",
            "P1Y monthly 13.00",
            "P1Y annual 156.00"
        ]
    );

    // Withdrawing it asks first.
    let confirm = b
        .get(&format!("/catalog/standard/prices/{next}/delete"))
        .await;
    assert_eq!(confirm.status, 200);
    let text = visible(&confirm.html);
    assert!(
        text.contains(&format!("from {}", month_name(next))),
        "{text}"
    );
    assert!(text.contains("156.00 USD"));
    let gone = b
        .post(
            &format!("/catalog/standard/prices/{next}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        gone.location.as_deref(),
        Some("/catalog/standard?done=withdrawn")
    );
    assert_eq!(
        app.get("/v1/offers/standard/prices", &op).await.ok(200)["totalCount"],
        1
    );
    let this = this_month(&app);
    let locked = b
        .get(&format!("/catalog/standard/prices/{this}/delete"))
        .await;
    assert_eq!(locked.status, 409);

    // A partner reads the prices but gets neither form.
    let partner = crate::roles::partner_admin(&app, &op, "portal-prices").await;
    let mut pb = crate::pages::Browser::new(&app);
    pb.set_cookie("partnerd_session", &partner);
    let seen = pb.get("/catalog/standard").await;
    assert_eq!(seen.status, 200);
    assert!(seen.html.contains("Prices by month"));
    assert!(!seen.html.contains("Schedule prices"));
    assert!(!seen.html.contains("Save changes"));
    assert_eq!(
        pb.get(&format!("/catalog/standard/prices/{next}/delete"))
            .await
            .status,
        403
    );
    app.shutdown().await;
}
both!(the_operator_sells_plans_and_schedules_prices_in_the_portal);
