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
    assert_eq!(ok.ok(200)["unitPrice"]["amount"], "38.00");
    assert_ne!(ok.header("etag"), Some(etag.as_str()));
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
