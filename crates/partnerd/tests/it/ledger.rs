//! API-billing.md §5–§6 from outside: repricing configs per seller and tier, the
//! prices they lock at purchase, and the immutable charge lines every seat event
//! writes at each tier — the contract's worked example (§9) line for line.

use serde_json::{Value, json};

use crate::both;
use crate::commerce::{patch, three_way_customer};
use crate::customers::{Connected, connected, org_of};
use crate::helpers::TestApp;
use crate::terms::key;

/// The scenarios start in February so that configs for March can be written.
const FEBRUARY: &str = "2026-02-10T09:00:00Z";

fn in_february(mut c: partnerd::config::Config) -> partnerd::config::Config {
    c.app.dev_mode = true;
    c.app.test_clock = partnerd_domain::time::Timestamp::parse_rfc3339(FEBRUARY);
    c
}

async fn set_clock(app: &TestApp, op: &str, now: &str) {
    let r = app.post("/v1/testing/clock", op, json!({"now": now})).await;
    assert_eq!(r.ok(200)["now"], now);
}

fn usd(amount: &str) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

/// Keys of everyone in the worked example, and the customer's organisation id.
struct Parties {
    op: String,
    provider: String,
    reseller: String,
    customer: String,
    connected: Connected,
    customer_org: String,
    operator_org: String,
    op_session: String,
}

/// A key of the session's organisation with these roles, after its Global admin
/// takes them too (a key holds only roles its maker holds, and never Global admin).
async fn key_with(app: &TestApp, session: &str, roles: &[&str]) -> String {
    let me = app.get("/v1/me", session).await.ok(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut held = vec!["globalAdmin"];
    held.extend_from_slice(roles);
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/users/{me}"),
        Some(session),
        Some(json!({"roles": held})),
    )
    .await
    .ok(200);
    key(app, session, roles).await
}

/// The worked example's catalog and parties: offer `suite`, P1Y monthly at 10.00.
async fn parties(app: &TestApp, prefix: &str) -> Parties {
    let op_session = app.operator_token().await;
    app.post(
        "/v1/offers",
        &op_session,
        json!({"id": "suite", "name": "Suite Business", "productFamily": "Microsoft 365",
               "terms": [{"termDuration": "P1Y", "billingPlans": [
                   {"billingFrequency": "monthly", "unitPrice": usd("10.00")}]}],
               "minQuantity": 1, "maxQuantity": 300}),
    )
    .await
    .ok(201);
    let c = connected(app, &op_session, prefix, "97100030").await;
    let (customer_session, customer_org) =
        three_way_customer(app, &c, &format!("wingtip-{prefix}")).await;
    Parties {
        op: key_with(app, &op_session, &["billingAdmin"]).await,
        provider: key_with(app, &c.provider, &["billingAdmin"]).await,
        reseller: key_with(app, &c.reseller, &["adminAgent", "billingAdmin"]).await,
        customer: key_with(app, &customer_session, &["billingAdmin"]).await,
        connected: c,
        customer_org,
        operator_org: org_of(app, &op_session).await,
        op_session,
    }
}

/// (tier, chargeType, quantity, effectiveUnitPrice, amount) of each line.
fn rows(lines: &Value) -> Vec<(String, String, i64, String, String)> {
    lines["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| {
            (
                l["tier"].as_str().expect("tier").to_owned(),
                l["chargeType"].as_str().expect("chargeType").to_owned(),
                l["quantity"].as_i64().expect("quantity"),
                l["effectiveUnitPrice"]["amount"]
                    .as_str()
                    .expect("price")
                    .to_owned(),
                l["amount"]["amount"].as_str().expect("amount").to_owned(),
            )
        })
        .collect()
}

const MARCH: &str = "/v1/chargelines?chargeDateFrom=2026-03-01&chargeDateTo=2026-03-31&size=50";

async fn the_worked_example_writes_the_contracts_fifteen_lines(app: TestApp) {
    let p = parties(&app, "northwind").await;
    let c = &p.connected;

    // Fabrikam prices Northwind +15 %, Northwind prices Wingtip +20 %, from March.
    let fabrikam = app
        .post(
            "/v1/repricingconfigs",
            &p.provider,
            json!({"tier": "providerToReseller", "buyerOrganizationId": c.reseller_org,
                   "effectiveFrom": "2026-03", "adjustment": {"percentage": "15"}}),
        )
        .await;
    let fabrikam = fabrikam.ok(201).clone();
    assert_eq!(fabrikam["sellerOrganizationId"], c.provider_org.as_str());
    assert_eq!(fabrikam["adjustment"], json!({"percentage": "15"}));
    app.post(
        "/v1/repricingconfigs",
        &p.reseller,
        json!({"tier": "resellerToCustomer", "buyerOrganizationId": p.customer_org,
               "effectiveFrom": "2026-03", "adjustment": {"percentage": "20"}}),
    )
    .await
    .ok(201);

    // 1. Ten seats on 3 March at 10:00.
    set_clock(&app, &p.op, "2026-03-03T10:00:00Z").await;
    let order = app
        .post(
            &format!("/v1/customers/{}/orders", p.customer_org),
            &p.reseller,
            json!({"lineItems": [{"lineItemNumber": 0, "offerId": "suite", "quantity": 10,
                                  "termDuration": "P1Y", "billingFrequency": "monthly"}]}),
        )
        .await;
    let order = order.ok(201).clone();
    let sid = order["lineItems"][0]["subscriptionId"]
        .as_str()
        .expect("sid")
        .to_owned();
    let path = format!("/v1/customers/{}/subscriptions/{sid}", p.customer_org);
    let sub = app.get(&path, &p.reseller).await.ok(200).clone();
    assert_eq!(sub["prices"]["providerToReseller"], usd("11.50"));
    assert_eq!(sub["prices"]["resellerToCustomer"], usd("13.80"));

    // 2. +5 on 10 March at 09:00.
    set_clock(&app, &p.op, "2026-03-10T09:00:00Z").await;
    let sub = patch(
        &app,
        &path,
        &p.reseller,
        sub["etag"].as_str(),
        json!({"quantity": 15}),
    )
    .await
    .ok(200)
    .clone();

    // 3. −2 on 12 March at 15:00: prorated, from the second batch.
    set_clock(&app, &p.op, "2026-03-12T15:00:00Z").await;
    let sub = patch(
        &app,
        &path,
        &p.reseller,
        sub["etag"].as_str(),
        json!({"quantity": 13}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        sub["refundableQuantity"]["totalQuantity"], 3,
        "{}",
        sub["refundableQuantity"]
    );
    assert_eq!(
        sub["refundableQuantity"]["details"][0]["allowedUntil"],
        "2026-03-17T09:00:00Z"
    );

    // With a 500.00 limit Northwind's available on 13 March is 356.82.
    let rel = app.get("/v1/relationships", &p.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    let credit = format!("/v1/relationships/{rel}/creditlimit");
    app.call(
        reqwest::Method::PUT,
        &credit,
        Some(&p.provider),
        Some(json!({"limit": usd("500.00")})),
    )
    .await
    .ok(200);
    set_clock(&app, &p.op, "2026-03-13T12:00:00Z").await;
    let limit = app.get(&credit, &p.reseller).await.ok(200).clone();
    assert_eq!(limit["used"], usd("143.18"), "{limit}");
    assert_eq!(limit["available"], usd("356.82"));
    assert_eq!(
        limit["breakdown"],
        json!({"unpaidIssued": usd("0.00"), "unbilled": usd("143.18")})
    );

    // The operator sees all fifteen, in the order they were written.
    let all = app.get(MARCH, &p.op).await.ok(200).clone();
    let want: Vec<(String, String, i64, String, String)> = [
        ("operatorToProvider", "new", 10, "10.00", "100.00"),
        ("providerToReseller", "new", 10, "11.50", "115.00"),
        ("resellerToCustomer", "new", 10, "13.80", "138.00"),
        ("operatorToProvider", "addQuantity", -10, "7.74", "-77.40"),
        ("operatorToProvider", "addQuantity", 15, "7.74", "116.10"),
        ("providerToReseller", "addQuantity", -10, "8.90", "-89.00"),
        ("providerToReseller", "addQuantity", 15, "8.90", "133.50"),
        ("resellerToCustomer", "addQuantity", -10, "10.68", "-106.80"),
        ("resellerToCustomer", "addQuantity", 15, "10.68", "160.20"),
        (
            "operatorToProvider",
            "removeQuantity",
            -15,
            "7.10",
            "-106.50",
        ),
        ("operatorToProvider", "removeQuantity", 13, "7.10", "92.30"),
        (
            "providerToReseller",
            "removeQuantity",
            -15,
            "8.16",
            "-122.40",
        ),
        ("providerToReseller", "removeQuantity", 13, "8.16", "106.08"),
        (
            "resellerToCustomer",
            "removeQuantity",
            -15,
            "9.79",
            "-146.85",
        ),
        ("resellerToCustomer", "removeQuantity", 13, "9.79", "127.27"),
    ]
    .iter()
    .map(|(t, k, q, e, a)| {
        (
            t.to_string(),
            k.to_string(),
            *q,
            e.to_string(),
            a.to_string(),
        )
    })
    .collect();
    assert_eq!(rows(&all), want);
    let items = all["items"].as_array().expect("items");
    let sequences: Vec<i64> = items
        .iter()
        .map(|l| l["sequence"].as_i64().expect("seq"))
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    // Periods, days and the order id as §9 states them.
    let first = &items[0];
    assert_eq!(first["chargeDate"], "2026-03-03");
    assert_eq!(first["periodStart"], "2026-03-03");
    assert_eq!(first["periodEnd"], "2026-04-02");
    assert_eq!(
        (
            first["chargedDays"].as_i64(),
            first["billingPeriodDays"].as_i64()
        ),
        (Some(31), Some(31))
    );
    assert_eq!(first["orderId"], order["id"]);
    assert_eq!(first["unitPrice"], usd("10.00"));
    assert_eq!(first["sellerOrganizationId"], p.operator_org.as_str());
    assert_eq!(first["buyerOrganizationId"], c.provider_org.as_str());
    assert_eq!(first["resellerOrganizationId"], c.reseller_org.as_str());
    assert_eq!(first["customerId"], p.customer_org.as_str());
    assert_eq!(first["subscriptionId"], sid.as_str());
    assert_eq!(first["offerName"], "Suite Business");
    assert_eq!(first["invoiceId"], Value::Null);
    let add = &items[3];
    assert_eq!(
        (add["chargeDate"].as_str(), add["periodStart"].as_str()),
        (Some("2026-03-10"), Some("2026-03-10"))
    );
    assert_eq!(
        (add["chargedDays"].as_i64(), add["orderId"].is_null()),
        (Some(24), true)
    );
    assert_eq!(add["unitPrice"], usd("10.00"));
    let remove = &items[14];
    assert_eq!(
        (
            remove["periodStart"].as_str(),
            remove["chargedDays"].as_i64()
        ),
        (Some("2026-03-12"), Some(22))
    );
    assert_eq!(remove["unitPrice"], usd("13.80"));

    // Each party sees only its own tiers.
    let tiers_seen = |v: &Value| {
        let mut t: Vec<String> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| l["tier"].as_str().expect("tier").to_owned())
            .collect();
        t.dedup();
        t.sort();
        t.dedup();
        t
    };
    let provider = app.get(MARCH, &p.provider).await.ok(200).clone();
    assert_eq!(
        tiers_seen(&provider),
        ["operatorToProvider", "providerToReseller"]
    );
    let reseller = app.get(MARCH, &p.reseller).await.ok(200).clone();
    assert_eq!(
        tiers_seen(&reseller),
        ["providerToReseller", "resellerToCustomer"]
    );
    let customer = app.get(MARCH, &p.customer).await.ok(200).clone();
    assert_eq!(tiers_seen(&customer), ["resellerToCustomer"]);
    assert_eq!(customer["items"].as_array().map(Vec::len), Some(5));
    // As seller only: the reseller's own sales.
    let sold = app
        .get(&format!("{MARCH}&side=seller"), &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(tiers_seen(&sold), ["resellerToCustomer"]);
    // The operator's line to the provider is not the reseller's to read.
    let t1 = items[0]["id"].as_str().expect("id");
    app.get(&format!("/v1/chargelines/{t1}"), &p.reseller)
        .await
        .problem(404, "not_found");
    let got = app.get(&format!("/v1/chargelines/{t1}"), &p.provider).await;
    assert_eq!(got.ok(200)["amount"], usd("100.00"));

    // Unbilled: the reseller's sales this month, none on an invoice yet.
    let unbilled = app
        .get("/v1/invoices/unbilled/lineitems", &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        rows(&unbilled)
            .iter()
            .map(|r| r.4.as_str())
            .collect::<Vec<_>>(),
        ["138.00", "-106.80", "160.20", "-146.85", "127.27"]
    );
    let previous = app
        .get(
            "/v1/invoices/unbilled/lineitems?period=previous",
            &p.reseller,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(previous["items"], json!([]));

    // After the second batch's window closes, seats no longer leave.
    set_clock(&app, &p.op, "2026-03-17T09:00:01Z").await;
    let sub = app.get(&path, &p.reseller).await.ok(200).clone();
    patch(
        &app,
        &path,
        &p.reseller,
        sub["etag"].as_str(),
        json!({"quantity": 12}),
    )
    .await
    .problem(409, "cancellation_window_closed");
    let after = app.get(MARCH, &p.op).await.ok(200).clone();
    assert_eq!(
        after["items"].as_array().map(Vec::len),
        Some(15),
        "a refused change writes nothing"
    );

    march_is_billed_as_the_contract_says(&app, &p).await;
    app.shutdown().await;
}
async fn run_jobs(app: &TestApp, op: &str) -> Value {
    app.post("/v1/testing/jobs/run", op, json!({}))
        .await
        .ok(200)
        .clone()
}

/// (tier, total) of each invoice.
fn totals(invoices: &Value) -> Vec<(String, String)> {
    invoices
        .as_array()
        .expect("invoices")
        .iter()
        .map(|i| {
            (
                i["tier"].as_str().expect("tier").to_owned(),
                i["total"]["amount"].as_str().expect("total").to_owned(),
            )
        })
        .collect()
}

/// §9's March run: three invoices, every seller's first, auto-run at 01:00 on
/// 1 April and auto-issued on the 8th, due 30 days later.
async fn march_is_billed_as_the_contract_says(app: &TestApp, p: &Parties) {
    use sha2::Digest;
    // Half an hour after the month's end it is not closed yet.
    set_clock(app, &p.op, "2026-04-01T00:30:00Z").await;
    app.post("/v1/billingruns", &p.op, json!({"month": "2026-03"}))
        .await
        .problem(409, "billing_period_open");
    for bad in ["2026-3", "March", "2026-05"] {
        app.post("/v1/billingruns", &p.op, json!({"month": bad}))
            .await
            .problem(422, "validation_failed");
    }
    // Only the operator runs billing.
    app.post(
        "/v1/billingruns",
        &p.provider,
        json!({"month": "2026-03", "preview": true}),
    )
    .await
    .problem(403, "forbidden");
    let preview = app
        .post(
            "/v1/billingruns",
            &p.op,
            json!({"month": "2026-03", "preview": true}),
        )
        .await
        .ok(200)
        .clone();
    let want = vec![
        ("operatorToProvider".to_owned(), "124.50".to_owned()),
        ("providerToReseller".to_owned(), "143.18".to_owned()),
        ("resellerToCustomer".to_owned(), "171.82".to_owned()),
    ];
    assert_eq!(totals(&preview["invoices"]), want);
    assert_eq!(preview["invoices"][0]["number"], Value::Null);
    assert_eq!(preview["run"]["invoiceCount"], 3);
    assert_eq!(preview["run"]["lineCount"], 15);

    // At 01:00 the month closes and the job runs it.
    set_clock(app, &p.op, "2026-04-01T01:00:00Z").await;
    let jobs = run_jobs(app, &p.op).await;
    assert_eq!(jobs["billingRuns"], 1, "{jobs}");
    let runs = app.get("/v1/billingruns", &p.op).await.ok(200).clone();
    let run = runs["items"][0].clone();
    assert_eq!(
        (run["month"].as_str(), run["status"].as_str()),
        (Some("2026-03"), Some("completed"))
    );
    assert_eq!(
        run["digest"], preview["run"]["digest"],
        "a preview shows the run's digest"
    );
    assert_eq!(
        run["totals"],
        json!([{"tier": "operatorToProvider", "amount": usd("124.50")},
               {"tier": "providerToReseller", "amount": usd("143.18")},
               {"tier": "resellerToCustomer", "amount": usd("171.82")}])
    );
    // The invoices the run wrote are on their sellers' record.
    let audit = app
        .get("/v1/auditrecords?resourceType=invoice", &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        audit["items"][0]["operationType"], "createInvoice",
        "{audit}"
    );
    // Running it again gives the same run.
    let again = app
        .post("/v1/billingruns", &p.op, json!({"month": "2026-03"}))
        .await;
    assert_eq!(again.ok(200)["id"], run["id"]);

    // Northwind's invoice to Wingtip: its first, its five lines, in order.
    let sold = app
        .get("/v1/invoices?side=seller", &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(sold["totalCount"], 1);
    let invoice = sold["items"][0].clone();
    assert_eq!(invoice["number"], "000001");
    assert_eq!(invoice["status"], "draft");
    assert_eq!(invoice["buyerOrganizationId"], p.customer_org.as_str());
    assert_eq!(invoice["total"], usd("171.82"));
    assert_eq!(invoice["balanceDue"], usd("171.82"));
    assert_eq!(invoice["resellerSubtotals"][0]["amount"], usd("171.82"));
    let id = invoice["id"].as_str().expect("id").to_owned();
    let lines = app
        .get(&format!("/v1/invoices/{id}/lineitems"), &p.reseller)
        .await
        .ok(200)
        .clone();
    let numbered: Vec<(i64, String)> = lines["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| {
            (
                l["lineNumber"].as_i64().expect("n"),
                l["amount"]["amount"].as_str().expect("amount").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        numbered,
        [
            (1, "138.00"),
            (2, "-106.80"),
            (3, "160.20"),
            (4, "-146.85"),
            (5, "127.27")
        ]
        .map(|(n, a)| (n, a.to_owned()))
    );
    // The CSV: 28 columns, CRLF, and the digest the invoice states.
    let res = app
        .client
        .get(app.url(&format!("/v1/invoices/{id}/lineitems.csv")))
        .bearer_auth(&p.customer)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"invoice-000001.csv\""
    );
    let bytes = res.bytes().await.expect("body");
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&bytes)),
        invoice["documentDigest"].as_str().expect("digest")
    );
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    let records: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(records.len(), 6, "{text}");
    assert!(records[0].starts_with("lineNumber,chargeId,chargeDate,chargeType,tier,"));
    assert_eq!(records[0].split(',').count(), 28);
    assert!(records[5].starts_with("5,"));
    assert!(
        records[5].ends_with(",13,13.80,9.79,127.27,USD"),
        "{}",
        records[5]
    );
    // Another tier's invoice is not the reseller's to read.
    let t1 = app
        .get("/v1/invoices?tier=operatorToProvider", &p.op)
        .await
        .ok(200)
        .clone();
    let t1_id = t1["items"][0]["id"].as_str().expect("id").to_owned();
    app.get(&format!("/v1/invoices/{t1_id}"), &p.reseller)
        .await
        .problem(404, "not_found");
    // The buyer reads it but does not issue it.
    app.post(&format!("/v1/invoices/{id}/issue"), &p.customer, json!({}))
        .await
        .problem(403, "forbidden");

    // The cycle charges of 3 April belong to April.
    set_clock(app, &p.op, "2026-04-03T00:00:01Z").await;
    run_jobs(app, &p.op).await;
    let april = app
        .get(
            "/v1/chargelines?chargeDateFrom=2026-04-01&chargeDateTo=2026-04-30",
            &p.op,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(
        rows(&april)
            .iter()
            .map(|r| (r.1.as_str(), r.4.as_str()))
            .collect::<Vec<_>>(),
        [
            ("cycleCharge", "130.00"),
            ("cycleCharge", "149.50"),
            ("cycleCharge", "179.40")
        ]
    );

    // On the 8th every March draft is issued, due 30 days later.
    set_clock(app, &p.op, "2026-04-08T00:00:01Z").await;
    let jobs = run_jobs(app, &p.op).await;
    assert_eq!(jobs["invoicesIssued"], 3, "{jobs}");
    let issued = app
        .get(&format!("/v1/invoices/{id}"), &p.customer)
        .await
        .ok(200)
        .clone();
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["invoiceDate"], "2026-04-08");
    assert_eq!(issued["dueDate"], "2026-05-08");
    app.post(&format!("/v1/invoices/{id}/issue"), &p.reseller, json!({}))
        .await
        .problem(409, "invalid_state");
    app.drain_mail().await;
    assert!(
        app.mails()
            .iter()
            .any(|m| m.contains("X-Partnerd-Template: invoice_issued")
                && m.contains("Invoice 000001 from")),
        "Wingtip's admins are told"
    );

    // Fabrikam's invoice to Northwind: issued, so Northwind owes it; payments
    // bring the balance down, and the last one marks it paid.
    let bought = app
        .get("/v1/invoices?tier=providerToReseller", &p.provider)
        .await
        .ok(200)
        .clone();
    let t2 = bought["items"][0]["id"].as_str().expect("id").to_owned();
    let rel = app.get("/v1/relationships", &p.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    let credit = format!("/v1/relationships/{rel}/creditlimit");
    let limit = app.get(&credit, &p.provider).await.ok(200).clone();
    assert_eq!(limit["breakdown"]["unpaidIssued"], usd("143.18"), "{limit}");
    assert_eq!(
        limit["breakdown"]["unbilled"],
        usd("149.50"),
        "April's cycle charge"
    );
    let payments = format!("/v1/invoices/{t2}/payments");
    let pay = |body: Value| app.post(&payments, &p.provider, body);
    let payment = |amount: &str, on: &str| json!({"amount": usd(amount), "paidOn": on, "reference": "SEPA 4711"});
    for (body, pointer) in [
        (payment("0.00", "2026-04-09"), "/amount/amount"),
        (payment("-5.00", "2026-04-09"), "/amount/amount"),
        (payment("10.00", "2026-04-09"), "/paidOn"),
        (
            json!({"amount": usd("10.00"), "paidOn": "2026-04-08", "reference": ""}),
            "/reference",
        ),
    ] {
        let res = pay(body).await;
        res.problem(422, "validation_failed");
        assert!(res.text.contains(pointer), "{pointer}: {}", res.text);
    }
    pay(payment("143.19", "2026-04-08"))
        .await
        .problem(422, "payment_exceeds_balance");
    // The buyer cannot record the seller's receipts.
    app.post(
        &format!("/v1/invoices/{t2}/payments"),
        &p.reseller,
        payment("1.00", "2026-04-08"),
    )
    .await
    .problem(403, "forbidden");
    let first = pay(payment("100.00", "2026-04-08")).await.ok(201).clone();
    assert_eq!(first["status"], "recorded");
    let part = app
        .get(&format!("/v1/invoices/{t2}"), &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        (part["status"].as_str(), part["balanceDue"].clone()),
        (Some("issued"), usd("43.18"))
    );
    pay(payment("43.18", "2026-04-08")).await.ok(201);
    let paid = app
        .get(&format!("/v1/invoices/{t2}"), &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["balanceDue"], usd("0.00"));
    let limit = app.get(&credit, &p.provider).await.ok(200).clone();
    assert_eq!(limit["breakdown"]["unpaidIssued"], usd("0.00"));
    // A paid invoice is not voided; reversing a payment issues it again.
    app.post(
        &format!("/v1/invoices/{t2}/void"),
        &p.provider,
        json!({"reason": "typo"}),
    )
    .await
    .problem(409, "invalid_state");
    let reversed = app
        .post(
            &format!(
                "/v1/invoices/{t2}/payments/{}/reverse",
                first["id"].as_str().expect("id")
            ),
            &p.provider,
            json!({"reason": "the transfer bounced"}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(reversed["status"], "reversed");
    let again = app
        .get(&format!("/v1/invoices/{t2}"), &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        (again["status"].as_str(), again["balanceDue"].clone()),
        (Some("issued"), usd("100.00"))
    );
    app.post(
        &format!("/v1/invoices/{t2}/void"),
        &p.provider,
        json!({"reason": "typo"}),
    )
    .await
    .problem(409, "invoice_has_payments");
    let listed = app
        .get(&format!("/v1/invoices/{t2}/payments"), &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(listed["totalCount"], 2);
    let mine = app
        .get("/v1/payments?side=buyer", &p.reseller)
        .await
        .ok(200)
        .clone();
    assert_eq!(mine["totalCount"], 2);
    assert_eq!(
        app.get("/v1/payments", &p.customer).await.ok(200)["totalCount"],
        0,
        "Wingtip paid nothing yet"
    );

    // Voiding moves the lines to a replacement with the next number.
    app.post(
        &format!("/v1/invoices/{id}/void"),
        &p.reseller,
        json!({"reason": ""}),
    )
    .await
    .problem(422, "validation_failed");
    let voided = app
        .post(
            &format!("/v1/invoices/{id}/void"),
            &p.reseller,
            json!({"reason": "Wingtip's new legal name"}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(voided["voided"]["status"], "void");
    let replacement = &voided["replacement"];
    assert_eq!(replacement["number"], "000002");
    assert_eq!(replacement["status"], "draft");
    assert_eq!(replacement["replacesInvoiceId"], id.as_str());
    assert_eq!(replacement["documentDigest"], invoice["documentDigest"]);
    assert_eq!(voided["voided"]["replacedByInvoiceId"], replacement["id"]);
    let moved = app
        .get(
            &format!(
                "/v1/invoices/{}/lineitems",
                replacement["id"].as_str().expect("id")
            ),
            &p.reseller,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(moved["totalCount"], 5);
    app.post(
        &format!("/v1/invoices/{id}/void"),
        &p.reseller,
        json!({"reason": "again"}),
    )
    .await
    .problem(409, "invalid_state");
}

both!(
    the_worked_example_writes_the_contracts_fifteen_lines,
    in_february
);

/// §6.3's example: a cancel 22 h after purchase refunds everything, one 50 h after
/// keeps the days before the cancel.
async fn cancels_refund_in_full_for_a_day_then_prorate(app: TestApp) {
    let p = parties(&app, "cancels").await;
    let offer = json!({"id": "desk", "name": "Desk Monthly", "productFamily": "Microsoft 365",
        "terms": [{"termDuration": "P1M", "billingPlans": [
            {"billingFrequency": "monthly", "unitPrice": usd("10.08")}]}],
        "minQuantity": 1, "maxQuantity": 300});
    app.post("/v1/offers", &p.op_session, offer).await.ok(201);
    set_clock(&app, &p.op, "2026-03-03T10:00:00Z").await;
    let buy = || async {
        let order = app
            .post(
                &format!("/v1/customers/{}/orders", p.customer_org),
                &p.reseller,
                json!({"lineItems": [{"lineItemNumber": 0, "offerId": "desk", "quantity": 10}]}),
            )
            .await;
        let sid = order.ok(201)["lineItems"][0]["subscriptionId"]
            .as_str()
            .expect("sid")
            .to_owned();
        format!("/v1/customers/{}/subscriptions/{sid}", p.customer_org)
    };
    let early = buy().await;
    let just_after = buy().await;
    let late = buy().await;
    let cancel = |path: String| {
        let app = &app;
        let reseller = p.reseller.clone();
        async move {
            let sub = app.get(&path, &reseller).await.ok(200).clone();
            let done = patch(
                app,
                &path,
                &reseller,
                sub["etag"].as_str(),
                json!({"status": "deleted"}),
            )
            .await;
            assert_eq!(done.ok(200)["status"], "deleted");
            sub["id"].as_str().expect("id").to_owned()
        }
    };
    // 23 h 59 min: inside the first day, a full refund.
    set_clock(&app, &p.op, "2026-03-04T09:59:00Z").await;
    let early = cancel(early).await;
    // 24 h 1 min: the first day is over, prorated from the cancel day (30 of 31).
    set_clock(&app, &p.op, "2026-03-04T10:01:00Z").await;
    let just_after = cancel(just_after).await;
    // 50 h: prorated from the cancel day.
    set_clock(&app, &p.op, "2026-03-05T12:00:00Z").await;
    let late = cancel(late).await;

    let of = |sid: &str| {
        let app = &app;
        let op = p.op.clone();
        let sid = sid.to_owned();
        async move {
            let lines = app
                .get(
                    &format!("{MARCH}&tier=operatorToProvider&subscriptionId={sid}"),
                    &op,
                )
                .await
                .ok(200)
                .clone();
            rows(&lines)
        }
    };
    let early = of(&early).await;
    assert_eq!(
        early,
        [
            (
                "operatorToProvider".into(),
                "new".into(),
                10,
                "10.08".into(),
                "100.80".into()
            ),
            (
                "operatorToProvider".into(),
                "cancelImmediate".into(),
                -10,
                "10.08".into(),
                "-100.80".into()
            ),
        ]
    );
    let just_after = of(&just_after).await;
    assert_eq!(
        just_after[1],
        (
            "operatorToProvider".into(),
            "cancelImmediate".into(),
            -10,
            "9.75".into(),
            "-97.50".into()
        )
    );
    let late = of(&late).await;
    assert_eq!(
        late[1],
        (
            "operatorToProvider".into(),
            "cancelImmediate".into(),
            -10,
            "9.43".into(),
            "-94.30".into()
        )
    );
    app.shutdown().await;
}
both!(cancels_refund_in_full_for_a_day_then_prorate, in_february);

async fn repricing_configs_are_for_future_months_and_private_to_their_seller(app: TestApp) {
    let p = parties(&app, "pricing").await;
    let c = &p.connected;
    let create = |body: Value| app.post("/v1/repricingconfigs", &p.provider, body);
    let base = json!({"tier": "providerToReseller", "buyerOrganizationId": c.reseller_org,
                      "effectiveFrom": "2026-04", "adjustment": {"percentage": "12.5"},
                      "overrides": [{"condition": {"productFamily": "Microsoft 365"},
                                     "adjustment": {"percentage": "8"}}]});
    let made = create(base.clone()).await.ok(201).clone();
    assert_eq!(
        made["overrides"][0]["adjustment"],
        json!({"percentage": "8"})
    );
    // Same seller, tier, buyer and month: one config.
    create(base.clone()).await.problem(409, "conflict");
    // The current month's prices are final.
    let mut now = base.clone();
    now["effectiveFrom"] = json!("2026-02");
    create(now).await.problem(409, "price_period_locked");
    // Bad input names the field and changes nothing.
    for (field, value, pointer) in [
        ("effectiveFrom", json!("2026-4"), "/effectiveFrom"),
        (
            "adjustment",
            json!({"percentage": "1000.01"}),
            "/adjustment/percentage",
        ),
        ("tier", json!("resellerToCustomer"), "/tier"),
    ] {
        let mut bad = base.clone();
        bad[field] = value;
        bad["effectiveFrom"] = if field == "effectiveFrom" {
            bad["effectiveFrom"].clone()
        } else {
            json!("2026-05")
        };
        let res = create(bad).await;
        assert!(
            matches!(res.status.as_u16(), 403 | 422),
            "{field}: {} {}",
            res.status,
            res.body
        );
        if res.status.as_u16() == 422 {
            assert!(res.body.to_string().contains(pointer), "{}", res.body);
        }
    }
    // A buyer that is not the seller's reseller.
    let mut stranger = base.clone();
    stranger["buyerOrganizationId"] = json!(p.customer_org);
    stranger["effectiveFrom"] = json!("2026-06");
    create(stranger).await.problem(403, "relationship_required");
    // A customer has no programme to sell under.
    app.post(
        "/v1/repricingconfigs",
        &p.customer,
        json!({"tier": "resellerToCustomer", "effectiveFrom": "2026-04",
               "adjustment": {"percentage": "5"}}),
    )
    .await
    .problem(403, "forbidden");
    let listed = app
        .get("/v1/repricingconfigs", &p.provider)
        .await
        .ok(200)
        .clone();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    // The buyer sees prices, never the config.
    let id = made["id"].as_str().expect("id");
    app.get(&format!("/v1/repricingconfigs/{id}"), &p.reseller)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get("/v1/repricingconfigs", &p.reseller).await.ok(200)["items"],
        json!([])
    );
    // Editing a future config needs its etag; once its month starts, it is final.
    let path = format!("/v1/repricingconfigs/{id}");
    let stale = patch(
        &app,
        &path,
        &p.provider,
        Some("stale"),
        json!({"adjustment": {"percentage": "9"}}),
    )
    .await;
    assert_eq!(stale.status.as_u16(), 412, "{}", stale.body);
    let edited = patch(
        &app,
        &path,
        &p.provider,
        made["etag"].as_str(),
        json!({"adjustment": {"percentage": "9"}}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(edited["adjustment"], json!({"percentage": "9"}));
    assert_eq!(edited["effectiveFrom"], "2026-04");
    set_clock(&app, &p.op, "2026-04-01T00:00:00Z").await;
    patch(
        &app,
        &path,
        &p.provider,
        edited["etag"].as_str(),
        json!({"adjustment": {"percentage": "1"}}),
    )
    .await
    .problem(409, "price_period_locked");
    app.delete(&path, &p.provider)
        .await
        .problem(409, "price_period_locked");
    // A config for May can still be withdrawn.
    let may = create(
        json!({"tier": "providerToReseller", "effectiveFrom": "2026-05",
                            "adjustment": {"percentage": "3"}}),
    )
    .await
    .ok(201)
    .clone();
    assert_eq!(may["buyerOrganizationId"], Value::Null);
    let gone = app
        .delete(
            &format!("/v1/repricingconfigs/{}", may["id"].as_str().expect("id")),
            &p.provider,
        )
        .await;
    assert_eq!(gone.status.as_u16(), 204);
    app.shutdown().await;
}
both!(
    repricing_configs_are_for_future_months_and_private_to_their_seller,
    in_february
);

/// §5.3: each side of each tier reads the same prices a purchase would lock;
/// only the seller sees its cost and the price list behind them.
async fn price_sheets_show_each_tier_to_its_two_sides(app: TestApp) {
    let p = parties(&app, "sheets").await;
    let c = &p.connected;
    for (key, body) in [
        (
            &p.provider,
            json!({"tier": "providerToReseller", "buyerOrganizationId": c.reseller_org,
                   "effectiveFrom": "2026-03", "adjustment": {"percentage": "15"}}),
        ),
        (
            &p.reseller,
            json!({"tier": "resellerToCustomer", "buyerOrganizationId": p.customer_org,
                   "effectiveFrom": "2026-03", "adjustment": {"percentage": "20"}}),
        ),
    ] {
        app.post("/v1/repricingconfigs", key, body).await.ok(201);
    }
    set_clock(&app, &p.op, "2026-03-05T09:00:00Z").await;
    // April: two points more for Northwind.
    let april = app
        .post(
            "/v1/repricingconfigs",
            &p.provider,
            json!({"tier": "providerToReseller", "buyerOrganizationId": c.reseller_org,
                   "effectiveFrom": "2026-04", "adjustment": {"percentage": "17"}}),
        )
        .await
        .ok(201)
        .clone();
    let sheet = |key: &str, query: String| {
        let app = &app;
        let key = key.to_owned();
        async move {
            app.get(&format!("/v1/pricesheet?offerId=suite&{query}"), &key)
                .await
        }
    };
    let provider_to = |q: &str| format!("buyerOrganizationId={}{q}", c.reseller_org);
    let t2 = sheet(&p.provider, provider_to("")).await.ok(200).clone();
    assert_eq!(
        (t2["tier"].as_str(), t2["month"].as_str()),
        (Some("providerToReseller"), Some("2026-03"))
    );
    let row = &t2["items"][0];
    assert_eq!(row["unitPrice"], usd("11.50"), "{t2}");
    assert_eq!(row["cost"], usd("10.00"));
    assert_eq!(row["basis"]["matchedBy"], "default");
    assert_eq!(row["basis"]["percentage"], json!({"percentage": "15"}));
    assert_eq!(row["effectiveFrom"], "2026-03");
    assert_eq!(
        (
            row["termDuration"].as_str(),
            row["billingFrequency"].as_str()
        ),
        (Some("P1Y"), Some("monthly"))
    );
    // The buyer sees the same price, not the seller's cost.
    let bought = sheet(
        &p.reseller,
        format!("sellerOrganizationId={}", c.provider_org),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(bought["items"][0]["unitPrice"], usd("11.50"));
    assert!(bought["items"][0].get("cost").is_none(), "{bought}");
    assert!(bought["items"][0].get("basis").is_none());
    // The reseller's own sheet for Wingtip, over its cost from Fabrikam.
    let t3 = sheet(
        &p.reseller,
        format!("buyerOrganizationId={}", p.customer_org),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(t3["tier"], "resellerToCustomer");
    assert_eq!(t3["items"][0]["unitPrice"], usd("13.80"));
    assert_eq!(t3["items"][0]["cost"], usd("11.50"));
    let wingtip = sheet(
        &p.customer,
        format!("sellerOrganizationId={}", c.reseller_org),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(wingtip["items"][0]["unitPrice"], usd("13.80"));
    assert!(wingtip["items"][0].get("cost").is_none());
    // The portal's order review charges the reseller the same price.
    let (mut gina, csrf) = crate::pages::signed_in_browser(&app, "gina@sheets.example").await;
    let review = gina
        .post(
            &format!("/customers/{}/add-products", p.customer_org),
            &[
                ("csrf", &csrf),
                ("step", "review"),
                ("supplier", &c.provider_org),
                ("qty_suite", "2"),
            ],
        )
        .await;
    assert_eq!(review.status, 200);
    assert!(
        review.html.contains("<td>11.50</td>") && review.html.contains("23.00 USD"),
        "{}",
        review.html
    );
    // The next change, and month by month.
    let future = sheet(
        &p.reseller,
        format!("sellerOrganizationId={}&timeline=future", c.provider_org),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(future["month"], "2026-04");
    assert_eq!(future["items"][0]["unitPrice"], usd("11.70"));
    let history = sheet(
        &p.provider,
        provider_to("&timeline=history&from=2026-01&month=2026-04"),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        history["items"][0]["periods"],
        json!([
            {"effectiveFrom": "2026-01", "effectiveTo": "2026-02", "unitPrice": usd("10.00")},
            {"effectiveFrom": "2026-03", "effectiveTo": "2026-03", "unitPrice": usd("11.50")},
            {"effectiveFrom": "2026-04", "effectiveTo": null, "unitPrice": usd("11.70")}
        ])
    );
    // Withdrawn, April has nothing new for Northwind.
    app.delete(
        &format!("/v1/repricingconfigs/{}", april["id"].as_str().expect("id")),
        &p.provider,
    )
    .await;
    let none = sheet(
        &p.reseller,
        format!("sellerOrganizationId={}&timeline=future", c.provider_org),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        (none["month"].clone(), none["items"].clone()),
        (Value::Null, json!([]))
    );
    // A pair the caller is not part of, and bad queries.
    sheet(
        &p.customer,
        format!("sellerOrganizationId={}", c.provider_org),
    )
    .await
    .problem(404, "not_found");
    sheet(&p.provider, String::new())
        .await
        .problem(422, "validation_failed");
    sheet(&p.provider, provider_to("&timeline=later"))
        .await
        .problem(422, "validation_failed");
    app.shutdown().await;
}
both!(price_sheets_show_each_tier_to_its_two_sides, in_february);
