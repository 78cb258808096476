//! API.md §11: service requests (customer and partner-center scope) and service health.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both;
use crate::commerce::{catalog, three_way_customer};
use crate::customers::{connected, new_tenant, org_of};
use crate::enrollment::last_mail;
use crate::helpers::{TestApp, mail_header};
use crate::users::add_signed_in_user;

fn ticket(customer: Option<&str>) -> Value {
    let mut t = json!({"title": "Mailboxes do not sync", "description": "Since this morning no mailbox syncs.", "severity": "moderate", "category": "technical"});
    if let Some(c) = customer {
        t["customerId"] = json!(c);
    }
    t
}

async fn service_requests_follow_roles_and_states(app: TestApp) {
    let op = app.operator_token().await;
    catalog(&app, &op).await;
    let c = connected(&app, &op, "sr-res", "93100001").await;
    let (_, cid) = three_way_customer(&app, &c, "sr-cust").await;
    let (_, helpdesk) =
        add_signed_in_user(&app, &c.reseller, "hd@sr-res.example", &["helpdeskAgent"]).await;
    let (_, agent) =
        add_signed_in_user(&app, &c.reseller, "aa@sr-res.example", &["adminAgent"]).await;

    // About a customer: admin and helpdesk agents; about partnerd itself: global admins only.
    let about_customer = app
        .post("/v1/servicerequests", &helpdesk, ticket(Some(&cid)))
        .await;
    let about_customer = about_customer.ok(201).clone();
    assert_eq!(
        (
            about_customer["scope"].as_str(),
            about_customer["status"].as_str()
        ),
        (Some("customer"), Some("open"))
    );
    for token in [&helpdesk, &agent] {
        app.post("/v1/servicerequests", token, ticket(None))
            .await
            .problem(403, "forbidden");
    }
    let about_us = app
        .post("/v1/servicerequests", &c.reseller, ticket(None))
        .await;
    assert_eq!(about_us.ok(201)["scope"], "partner");
    let stranger = new_tenant(&app, "sr-x").await;
    let stranger_org = org_of(&app, &stranger).await;
    app.post("/v1/servicerequests", &agent, ticket(Some(&stranger_org)))
        .await
        .problem(404, "not_found");
    let mut bad = ticket(Some(&cid));
    bad["severity"] = json!("urgent");
    app.post("/v1/servicerequests", &agent, bad)
        .await
        .problem(422, "validation_failed");

    // A partner sees only its own requests.
    assert_eq!(
        app.get("/v1/servicerequests", &helpdesk).await.ok(200)["totalCount"],
        2
    );
    assert_eq!(
        app.get("/v1/servicerequests", &c.provider).await.ok(200)["totalCount"],
        0
    );
    let id = about_customer["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/servicerequests/{id}");
    app.get(&path, &c.provider).await.problem(404, "not_found");

    // The operator works the queue; the creator hears of it.
    let queue = app.get("/v1/servicerequests?scope=customer", &op).await;
    assert_eq!(queue.ok(200)["totalCount"], 1);
    let worked = app
        .call(
            Method::PATCH,
            &path,
            Some(&op),
            Some(json!({"status": "attentionNeeded", "assignedTo": "Olivia"})),
        )
        .await;
    assert_eq!(worked.ok(200)["assignedTo"], "Olivia");
    app.post(
        &format!("{path}/notes"),
        &op,
        json!({"text": "Which tenant region?"}),
    )
    .await
    .ok(201);
    app.drain_mail().await;
    let mail = last_mail(&app, "service_request_updated").expect("mail to the creator");
    assert_eq!(mail_header(&mail, "To"), Some("hd@sr-res.example"));
    app.post(
        &format!("{path}/notes"),
        &helpdesk,
        json!({"text": "West Europe."}),
    )
    .await
    .ok(201);
    let read = app.get(&path, &helpdesk).await.ok(200).clone();
    assert_eq!(read["notes"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        read["notes"][0]["author"]["organizationId"],
        json!(org_of(&app, &op).await)
    );

    // The creator may only close; closed takes no notes and reopens only by reopen.
    app.call(
        Method::PATCH,
        &path,
        Some(&helpdesk),
        Some(json!({"status": "open"})),
    )
    .await
    .problem(422, "validation_failed");
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&helpdesk)
        .header(
            "If-Match",
            format!("\"{}\"", about_customer["etag"].as_str().expect("etag")),
        )
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");
    let closed = app
        .call(
            Method::PATCH,
            &path,
            Some(&helpdesk),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert!(closed.ok(200)["closedAt"].is_string());
    app.post(
        &format!("{path}/notes"),
        &helpdesk,
        json!({"text": "One more thing"}),
    )
    .await
    .problem(409, "invalid_state");
    app.call(
        Method::PATCH,
        &path,
        Some(&op),
        Some(json!({"status": "attentionNeeded"})),
    )
    .await
    .problem(409, "invalid_state");
    assert_eq!(
        app.post(&format!("{path}/reopen"), &helpdesk, json!({}))
            .await
            .ok(200)["status"],
        "open"
    );
    app.post(&format!("{path}/reopen"), &helpdesk, json!({}))
        .await
        .problem(409, "invalid_state");
    let audit = app
        .get(
            "/v1/auditrecords?operationType=createServiceRequest",
            &c.reseller,
        )
        .await;
    assert!(
        audit.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["onBehalfOf"]["organizationId"] == json!(cid))
    );
    app.shutdown().await;
}
both!(service_requests_follow_roles_and_states);

async fn service_health_reaches_whom_it_concerns(app: TestApp) {
    let op = app.operator_token().await;
    catalog(&app, &op).await;
    let c = connected(&app, &op, "sh-res", "93200001").await;
    let (customer, cid) = three_way_customer(&app, &c, "sh-cust").await;
    app.post(
        &format!("/v1/customers/{cid}/orders"),
        &c.reseller,
        json!({"lineItems": [{"lineItemNumber": 0, "offerId": "m365", "quantity": 1}]}),
    )
    .await
    .ok(201);
    let post = |title: &str, family: &str| json!({"title": title, "productFamilies": [family], "severity": "warning", "message": "We are looking into it."});
    app.post(
        "/v1/serviceincidents",
        &c.reseller,
        post("x", "Microsoft 365"),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        "/v1/serviceincidents",
        &op,
        json!({"title": "x", "productFamilies": [], "severity": "warning", "message": "m"}),
    )
    .await
    .problem(422, "validation_failed");
    let m365 = app
        .post(
            "/v1/serviceincidents",
            &op,
            post("Mail delays", "Microsoft 365"),
        )
        .await
        .ok(201)
        .clone();
    let azure = app
        .post(
            "/v1/serviceincidents",
            &op,
            post("VM start failures", "Azure"),
        )
        .await
        .ok(201)
        .clone();
    let lonely = new_tenant(&app, "sh-none").await;

    let count = |token: String| {
        let app = &app;
        async move { app.get("/v1/serviceincidents", &token).await.ok(200)["totalCount"].clone() }
    };
    assert_eq!(count(op.clone()).await, 2);
    assert_eq!(count(customer.clone()).await, 1);
    assert_eq!(count(c.reseller.clone()).await, 1);
    assert_eq!(count(c.provider.clone()).await, 1);
    assert_eq!(count(lonely.clone()).await, 0);
    let azure_path = format!("/v1/serviceincidents/{}", azure["id"].as_str().expect("id"));
    app.get(&azure_path, &customer)
        .await
        .problem(404, "not_found");
    app.get(&azure_path, &lonely)
        .await
        .problem(404, "not_found");

    let m365_path = format!("/v1/serviceincidents/{}", m365["id"].as_str().expect("id"));
    app.post(
        &format!("{m365_path}/updates"),
        &op,
        json!({"message": "A fix is rolling out."}),
    )
    .await
    .ok(201);
    let seen = app.get(&m365_path, &customer).await.ok(200).clone();
    assert_eq!(seen["updates"][0]["message"], "A fix is rolling out.");
    let stale = app
        .client
        .patch(app.url(&m365_path))
        .bearer_auth(&op)
        .header(
            "If-Match",
            format!("\"{}\"", m365["etag"].as_str().expect("etag")),
        )
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");
    let resolved = app
        .call(
            Method::PATCH,
            &m365_path,
            Some(&op),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert!(resolved.ok(200)["resolvedAt"].is_string());
    assert_eq!(count(customer.clone()).await, 0);
    assert_eq!(
        app.get("/v1/serviceincidents?status=all", &customer)
            .await
            .ok(200)["totalCount"],
        1
    );
    app.get("/v1/serviceincidents?status=gone", &customer)
        .await
        .problem(422, "validation_failed");
    app.shutdown().await;
}
both!(service_health_reaches_whom_it_concerns);

async fn support_through_the_pages(app: TestApp) {
    use crate::pages::signed_in_browser;
    let op = app.operator_token().await;
    catalog(&app, &op).await;
    let c = connected(&app, &op, "sp-res", "93300001").await;
    let (_, cid) = three_way_customer(&app, &c, "sp-cust").await;
    app.post(
        &format!("/v1/customers/{cid}/orders"),
        &c.reseller,
        json!({"lineItems": [{"lineItemNumber": 0, "offerId": "m365", "quantity": 1}]}),
    )
    .await
    .ok(201);
    let (mut reseller, csrf) = signed_in_browser(&app, "gina@sp-res.example").await;
    let list = reseller.get("/support").await;
    assert!(list.html.contains("No service requests yet") && list.html.contains("partnerd itself"));
    assert!(list.html.contains("Customer: sp-cust Corp"));
    let empty = reseller
        .post(
            "/support",
            &[
                ("csrf", &csrf),
                ("customer_id", ""),
                ("title", ""),
                ("description", "x"),
                ("severity", "minimal"),
                ("category", "other"),
            ],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.html.contains("field-error"));
    let opened = reseller
        .post(
            "/support",
            &[
                ("csrf", &csrf),
                ("customer_id", &cid),
                ("title", "Licenses missing"),
                ("description", "Two users lack licenses."),
                ("severity", "moderate"),
                ("category", "technical"),
            ],
        )
        .await;
    assert_eq!(opened.status, 303);
    let path = opened.location.expect("detail").replace("?done=1", "");
    let detail = reseller.get(&path).await;
    assert!(detail.html.contains("Close request") && detail.html.contains("Add note"));
    assert_eq!(
        reseller
            .post(
                &format!("{path}/notes"),
                &[("csrf", &csrf), ("text", "Users: ann, bob")]
            )
            .await
            .status,
        303
    );

    let (mut operator, ocsrf) = signed_in_browser(&app, crate::helpers::OPERATOR_EMAIL).await;
    let queue = operator.get("/support").await;
    assert!(
        queue.html.contains("Service request queue") && queue.html.contains("Licenses missing")
    );
    let work = operator.get(&path).await;
    assert!(work.html.contains("Users: ann, bob") && work.html.contains("name=\"assigned_to\""));
    let etag = work
        .html
        .split("name=\"etag\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("etag")
        .to_owned();
    let saved = operator
        .post(
            &path,
            &[
                ("csrf", &ocsrf),
                ("etag", &etag),
                ("status", "attentionNeeded"),
                ("assigned_to", "Olivia"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let mine = reseller.get(&path).await;
    assert!(mine.html.contains("attentionNeeded") && mine.html.contains("Olivia"));

    // Service health: the operator posts; the customer's dashboard shows it.
    let posted = operator
        .post(
            "/health",
            &[
                ("csrf", &ocsrf),
                ("title", "Sign-in delays"),
                ("product_families", "Microsoft 365"),
                ("severity", "warning"),
                ("message", "Investigating."),
            ],
        )
        .await;
    assert_eq!(posted.status, 303);
    let dashboard = reseller.get("/").await;
    assert!(
        dashboard.html.contains("Service health:") && dashboard.html.contains("Sign-in delays")
    );
    let health = reseller.get("/health").await;
    assert!(health.html.contains("Sign-in delays") && !health.html.contains("Post an incident"));
    app.shutdown().await;
}
both!(support_through_the_pages);
