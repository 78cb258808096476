//! The portal's Billing area over HTTP (API-billing.md §8.5), on the demo data:
//! who sees which page, price lists made, refused, changed and deleted through
//! the forms, an invoice issued and voided (after its confirmation) from its page,
//! its CSV and printable page, unbilled charges, and the operator's runs and
//! previews.

use serde_json::Value;

use crate::both;
use crate::helpers::TestApp;
use crate::pages::{Browser, csrf_of};
use crate::policy::full_session;

type People = Vec<(String, String, String)>;

const GINA: &str = "gina@fabrikam.example";
const SAM: &str = "sam@fabrikam.example";
const HANA: &str = "hana@fabrikam.example";
const NORA: &str = "nora@northwind.example";
const WENDY: &str = "wendy@wingtip.example";
const OLIVIA: &str = "admin@contoso-cloud.example";

/// The CSV's header row (API-billing.md §7.3).
const CSV_HEADER: &str = "lineNumber,chargeId,chargeDate,chargeType,tier,sellerOrganizationId,\
buyerOrganizationId,indirectProviderId,resellerOrganizationId,resellerName,customerId,\
customerName,subscriptionId,orderId,offerId,offerName,productFamily,termDuration,\
billingFrequency,periodStart,periodEnd,chargedDays,billingPeriodDays,quantity,unitPrice,\
effectiveUnitPrice,amount,currency\r\n";

fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html.find(start).map_or(html.len(), |i| i + start.len());
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

async fn demo(app: &TestApp) -> People {
    partnerd::demo::seed(&app.app).await.expect("demo data")
}

/// A person's API token and a browser signed in with it, with the form token.
async fn person<'a>(
    app: &'a TestApp,
    people: &People,
    email: &str,
) -> (String, Browser<'a>, String) {
    let token = full_session(app, people, email)
        .await
        .expect("a demo person");
    let mut b = Browser::new(app);
    b.set_cookie("partnerd_session", &token);
    let home = b.get("/").await;
    assert_eq!(home.status, 200, "{email} reaches the dashboard");
    let csrf = csrf_of(&home.html);
    (token, b, csrf)
}

fn tune(mut c: partnerd::config::Config) -> partnerd::config::Config {
    c.app.rate_limit_principal_per_min = 1_000_000;
    c
}

/// A browser signed in with an API token, with the form token.
async fn browser_of<'a>(app: &'a TestApp, token: &str) -> (Browser<'a>, String) {
    let mut b = Browser::new(app);
    b.set_cookie("partnerd_session", token);
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    let csrf = csrf_of(&home.html);
    (b, csrf)
}

async fn billing_pages_for_the_right_people_only(app: TestApp) {
    let people = demo(&app).await;
    let mut tokens = std::collections::HashMap::new();
    for email in [GINA, SAM, HANA, NORA, WENDY, OLIVIA] {
        let token = full_session(&app, &people, email).await.expect(email);
        tokens.insert(email, token);
    }
    // (person, pages in the menu, pages out of it)
    let menus: [(&str, &[&str], &[&str]); 6] = [
        (
            GINA,
            &["/billing/prices", "/billing/invoices", "/billing/unbilled"],
            &["/billing/runs"],
        ),
        (
            NORA,
            &["/billing/prices", "/billing/invoices", "/billing/unbilled"],
            &["/billing/runs"],
        ),
        (
            OLIVIA,
            &["/billing/invoices", "/billing/unbilled", "/billing/runs"],
            &["/billing/prices"],
        ),
        (
            WENDY,
            &["/billing/invoices", "/billing/unbilled"],
            &["/billing/prices", "/billing/runs"],
        ),
        (
            SAM,
            &["/billing/prices"],
            &["/billing/invoices", "/billing/unbilled", "/billing/runs"],
        ),
        (HANA, &[], &["/billing/"]),
    ];
    for (email, shown, hidden) in menus {
        let (mut b, _) = browser_of(&app, &tokens[email]).await;
        let home = b.get("/").await;
        let menu = between(&home.html, "aria-label=\"Main menu\"", "</nav>");
        for href in shown {
            assert!(
                menu.contains(&format!("href=\"{href}")),
                "{email}'s menu has {href}"
            );
            let page = b.get(href).await;
            assert_eq!(page.status, 200, "{email} opens {href}");
        }
        for href in hidden {
            assert!(
                !menu.contains(&format!("href=\"{href}")),
                "{email}'s menu has no {href}"
            );
        }
    }
    // Pages out of reach answer with the refusal page.
    for (email, path) in [
        (HANA, "/billing/invoices"),
        (HANA, "/billing/prices"),
        (SAM, "/billing/invoices"),
        (SAM, "/billing/unbilled"),
        (WENDY, "/billing/prices"),
        (GINA, "/billing/runs"),
        (NORA, "/billing/runs"),
    ] {
        let (mut b, _) = browser_of(&app, &tokens[email]).await;
        let page = b.get(path).await;
        assert_eq!(page.status, 403, "{email} may not open {path}");
        assert!(
            page.html.contains("Request id"),
            "{email} {path}: the error page"
        );
    }
    // A sales agent reads price lists but is offered no form, and cannot post it.
    let (mut sam, csrf) = browser_of(&app, &tokens[SAM]).await;
    let lists = sam.get("/billing/prices").await;
    assert!(lists.html.contains("Northwind Reseller"));
    assert!(!lists.html.contains("New price list"));
    let next = partnerd_domain::calendar::Month::of(app.app.now())
        .next()
        .to_string();
    let posted = sam
        .post(
            "/billing/prices",
            &[
                ("csrf", &csrf),
                ("buyer", "providerToReseller:"),
                ("month", &next),
                ("percentage", "5"),
            ],
        )
        .await;
    assert_eq!(posted.status, 403);
    app.shutdown().await;
}
both!(billing_pages_for_the_right_people_only, tune);

fn configs(app_resp: &Value) -> Vec<Value> {
    app_resp["items"].as_array().cloned().unwrap_or_default()
}

async fn price_lists_through_the_pages(app: TestApp) {
    let people = demo(&app).await;
    let (gina_token, mut gina, csrf) = person(&app, &people, GINA).await;
    let month = partnerd_domain::calendar::Month::of(app.app.now());
    let next = month.next();
    let before = configs(app.get("/v1/repricingconfigs", &gina_token).await.ok(200));

    // The demo's lists: the default first, then Northwind's, each in effect, and
    // next month's change for Northwind scheduled.
    let list = gina.get("/billing/prices").await;
    assert_eq!(list.status, 200);
    let default_at = list
        .html
        .find("Every reseller without their own price list</h2>");
    let northwind_at = list.html.find("Northwind Reseller</h2>");
    assert!(
        default_at.is_some() && northwind_at.is_some() && default_at < northwind_at,
        "default first: {}",
        list.html
    );
    assert!(
        list.html.contains("12 % over cost")
            && list.html.contains("Azure (all its offers): 4 % over cost")
    );
    assert!(list.html.contains("in effect") && list.html.contains("scheduled"));
    assert!(list.html.contains("New price list"));
    let northwind = northwind_of(&before);
    assert!(
        list.html
            .contains(&format!("option value=\"providerToReseller:{northwind}\"")),
        "Northwind is a buyer to choose"
    );

    // A list's page shows the prices it results in: cost plus 12 %, rounded.
    let northwind_now = before
        .iter()
        .find(|c| {
            c["buyerOrganizationId"].is_string()
                && c["effectiveFrom"] == month.previous().to_string()
        })
        .expect("Northwind's list in force");
    let page = gina
        .get(&format!(
            "/billing/prices/{}",
            northwind_now["id"].as_str().expect("id")
        ))
        .await;
    assert!(page.html.contains(&format!(
        "Resulting prices in {}",
        month.previous().spoken()
    )));
    let rows = price_rows(&page.html);
    let basic = rows
        .iter()
        .find(|r| r[0] == "Microsoft 365 Business Basic")
        .unwrap_or_else(|| panic!("Business Basic among {rows:?}"));
    let (cost, price, margin) = (cents(&basic[2]), cents(&basic[3]), cents(&basic[4]));
    assert!(cost > 0);
    assert_eq!(price, (cost * 11_200 + 5_000) / 10_000, "{basic:?}");
    assert_eq!(margin, price - cost);
    assert!(!page.html.contains("below cost"));

    // Refused forms show the reason and change nothing.
    for (fields, status, words) in [
        (
            vec![("month", month.to_string()), ("percentage", "9".into())],
            409,
            "final once the month begins",
        ),
        (
            vec![("month", next.to_string()), ("percentage", "lots".into())],
            422,
            "",
        ),
        (
            vec![
                ("month", next.to_string()),
                ("percentage", "9".into()),
                ("override_target", "family:Azure".into()),
                ("override_percentage", "".into()),
            ],
            422,
            "",
        ),
    ] {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("buyer", "providerToReseller:")];
        form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let refused = gina.post("/billing/prices", &form).await;
        assert_eq!(refused.status, status, "{fields:?}: {}", refused.html);
        assert!(refused.html.contains("New price list"), "the form again");
        if words.is_empty() {
            assert!(
                refused.html.contains("class=\"field-error\""),
                "{fields:?}: an error by the field"
            );
        } else {
            assert!(refused.html.contains(words), "{fields:?}: {}", refused.html);
        }
        let now = configs(app.get("/v1/repricingconfigs", &gina_token).await.ok(200));
        assert_eq!(now.len(), before.len(), "{fields:?} changed nothing");
    }
    // A month already set for Northwind is refused as well.
    let twice = gina
        .post(
            "/billing/prices",
            &[
                ("csrf", &csrf),
                ("buyer", &format!("providerToReseller:{northwind}")),
                ("month", &next.to_string()),
                ("percentage", "7"),
            ],
        )
        .await;
    assert_eq!(twice.status, 409);
    assert!(
        twice.html.contains("already a price list"),
        "{}",
        twice.html
    );

    // Next month's default, with an exception for Azure.
    let made = gina
        .post(
            "/billing/prices",
            &[
                ("csrf", &csrf),
                ("buyer", "providerToReseller:"),
                ("month", &next.to_string()),
                ("percentage", "9.5"),
                ("override_target", "family:Azure"),
                ("override_percentage", "3"),
                ("override_target", ""),
                ("override_percentage", ""),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    assert_eq!(
        made.location.as_deref(),
        Some("/billing/prices?done=created")
    );
    let after = configs(app.get("/v1/repricingconfigs", &gina_token).await.ok(200));
    assert_eq!(after.len(), before.len() + 1);
    let new = after
        .iter()
        .find(|c| c["buyerOrganizationId"].is_null() && c["effectiveFrom"] == next.to_string())
        .expect("the new default");
    assert_eq!(new["adjustment"]["percentage"], "9.5");
    assert_eq!(new["overrides"][0]["condition"]["productFamily"], "Azure");
    let id = new["id"].as_str().expect("id").to_owned();
    let shown = gina.get("/billing/prices?done=created").await;
    assert!(shown.html.contains("The price list was created"));
    assert!(shown.html.contains(&format!("From {}", next.spoken())));
    assert!(
        shown.html.contains("9.5 % over cost")
            && shown.html.contains("Azure (all its offers): 3 % over cost")
    );

    // Changed on its page (the entity tag travels with the form).
    let detail = gina.get(&format!("/billing/prices/{id}")).await;
    assert_eq!(detail.status, 200);
    let etag = between(&detail.html, "name=\"etag\" value=\"", "\"").to_owned();
    assert!(!etag.is_empty());
    let changed = gina
        .post(
            &format!("/billing/prices/{id}"),
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("percentage", "11"),
                ("override_target", "family:Azure"),
                ("override_percentage", "3"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.html);
    let now = app
        .get(&format!("/v1/repricingconfigs/{id}"), &gina_token)
        .await;
    assert_eq!(now.ok(200)["adjustment"]["percentage"], "11");
    // The old entity tag is stale now: nothing changes.
    let stale = gina
        .post(
            &format!("/billing/prices/{id}"),
            &[("csrf", &csrf), ("etag", &etag), ("percentage", "1")],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.html);
    let now = app
        .get(&format!("/v1/repricingconfigs/{id}"), &gina_token)
        .await;
    assert_eq!(now.ok(200)["adjustment"]["percentage"], "11");

    // Below cost is flagged, for the offers the exception does not cover.
    let etag = between(
        &gina.get(&format!("/billing/prices/{id}")).await.html,
        "name=\"etag\" value=\"",
        "\"",
    )
    .to_owned();
    let cheap = gina
        .post(
            &format!("/billing/prices/{id}"),
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("percentage", "-5"),
                ("override_target", "family:Azure"),
                ("override_percentage", "3"),
            ],
        )
        .await;
    assert_eq!(cheap.status, 303, "{}", cheap.html);
    let page = gina.get(&format!("/billing/prices/{id}")).await;
    let rows = price_rows(&page.html);
    assert!(!rows.is_empty(), "resulting prices: {}", page.html);
    for row in &rows {
        let flagged = row.last().is_some_and(|m| m.contains("below cost"));
        let azure = row[0].starts_with("Azure");
        assert_eq!(flagged, !azure && cents(&row[2]) > 0, "{row:?}");
    }

    // Deleting asks first, then deletes.
    let ask = gina.get(&format!("/billing/prices/{id}/delete")).await;
    assert_eq!(ask.status, 200);
    assert!(ask.html.contains("Delete the price list for"));
    assert!(
        ask.html
            .contains(&format!("action=\"/billing/prices/{id}/delete\""))
    );
    assert_eq!(
        app.get(&format!("/v1/repricingconfigs/{id}"), &gina_token)
            .await
            .status
            .as_u16(),
        200,
        "asking deletes nothing"
    );
    let gone = gina
        .post(&format!("/billing/prices/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(gone.status, 303);
    assert_eq!(
        app.get(&format!("/v1/repricingconfigs/{id}"), &gina_token)
            .await
            .status
            .as_u16(),
        404
    );

    // Last month's list is final: no form on its page, and deleting it is refused.
    let past = before
        .iter()
        .find(|c| c["buyerOrganizationId"].is_null())
        .expect("the demo's default");
    let past_id = past["id"].as_str().expect("id");
    let page = gina.get(&format!("/billing/prices/{past_id}")).await;
    assert!(page.html.contains("These prices are final"));
    assert!(!page.html.contains("Save changes"));
    let refused = gina
        .post(
            &format!("/billing/prices/{past_id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, 409);
    assert!(
        refused.html.contains("Nothing was changed")
            && refused.html.contains("final once the month begins")
    );
    assert_eq!(
        app.get(&format!("/v1/repricingconfigs/{past_id}"), &gina_token)
            .await
            .status
            .as_u16(),
        200
    );
    app.shutdown().await;
}
both!(price_lists_through_the_pages, tune);

/// The cells of the resulting-prices table, row by row (text only).
fn price_rows(html: &str) -> Vec<Vec<String>> {
    let table = between(html, "id=\"resulting-prices\"", "</table>");
    let body = between(table, "<tbody>", "</tbody>");
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = &cell[cell.find('>').map_or(0, |i| i + 1)..];
                    let inner = &inner[..inner.find("</td>").unwrap_or(inner.len())];
                    let mut text = String::new();
                    let mut in_tag = false;
                    for ch in inner.chars() {
                        match ch {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.trim().to_owned()
                })
                .collect()
        })
        .collect()
}

/// "8.06 USD" in cents.
fn cents(money: &str) -> i64 {
    let amount = money.split_whitespace().next().expect("an amount");
    let (whole, frac) = amount.split_once('.').expect("two decimals");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    sign * (whole.trim_start_matches('-').parse::<i64>().expect("whole") * 100
        + frac.parse::<i64>().expect("cents"))
}

/// Northwind's organisation id: the buyer of the demo's own price lists.
fn northwind_of(configs: &[Value]) -> String {
    configs
        .iter()
        .find_map(|c| c["buyerOrganizationId"].as_str())
        .expect("the demo's price list for Northwind")
        .to_owned()
}

async fn invoice_status(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/v1/invoices/{id}"), token).await.ok(200)["status"].clone()
}

async fn invoices_through_the_pages(app: TestApp) {
    let people = demo(&app).await;
    let (nora_token, mut nora, csrf) = person(&app, &people, NORA).await;
    let drafts = app
        .get("/v1/invoices?side=seller&status=draft", &nora_token)
        .await;
    let draft = drafts.ok(200)["items"][0].clone();
    let id = draft["id"].as_str().expect("Northwind's draft").to_owned();
    let number = draft["number"].as_str().expect("number").to_owned();
    let here = format!("/billing/invoices/{id}");

    // The list, filtered.
    let listed = nora.get("/billing/invoices?side=seller&status=draft").await;
    assert!(listed.html.contains(&format!("href=\"{here}\"")) && listed.html.contains("Draft"));
    let none = nora.get("/billing/invoices?side=seller&status=void").await;
    assert!(none.html.contains("No invoices match these filters"));
    let bought = nora.get("/billing/invoices?side=buyer").await;
    assert!(bought.html.contains("Fabrikam") && !bought.html.contains(&format!("href=\"{here}\"")));

    // The draft's page: facts, lines by reseller then customer, and the seller's actions.
    let page = nora.get(&here).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(&format!("Invoice {number}")));
    assert!(
        page.html.contains("Reseller: Northwind Reseller")
            && page.html.contains("Customer: Wingtip")
    );
    assert!(
        page.html.contains(&format!("{here}/lineitems.csv"))
            && page.html.contains(&format!("{here}/print"))
    );
    assert!(page.html.contains("Issue invoice"));

    // Its buyer reads it (the mailed link) but may not issue it; others see nothing.
    let (_, mut wendy, wendy_csrf) = person(&app, &people, WENDY).await;
    let theirs = wendy.get(&here).await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.html.contains("Issue invoice") && !theirs.html.contains("Void invoice"));
    let refused = wendy
        .post(&format!("{here}/issue"), &[("csrf", &wendy_csrf)])
        .await;
    assert_eq!(refused.status, 403);
    let (_, mut gina, _) = person(&app, &people, GINA).await;
    assert_eq!(gina.get(&here).await.status, 404, "not Fabrikam's invoice");
    assert_eq!(gina.get(&format!("{here}/lineitems.csv")).await.status, 404);
    let mut stranger = Browser::new(&app);
    let signin = stranger.get(&here).await;
    assert_eq!(signin.status, 303);
    assert!(
        signin
            .location
            .unwrap_or_default()
            .starts_with("/signin?next=%2Fbilling%2Finvoices%2F")
    );
    assert_eq!(invoice_status(&app, &nora_token, &id).await, "draft");

    // Issued from its page.
    let issued = nora
        .post(&format!("{here}/issue"), &[("csrf", &csrf)])
        .await;
    assert_eq!(issued.status, 303, "{}", issued.html);
    assert_eq!(
        issued.location.as_deref(),
        Some(format!("{here}?done=issued").as_str())
    );
    assert_eq!(invoice_status(&app, &nora_token, &id).await, "issued");
    let page = nora.get(&format!("{here}?done=issued")).await;
    assert!(page.html.contains("The invoice was issued") && page.html.contains("Due"));
    assert!(!page.html.contains("Issue invoice") && page.html.contains(&format!("{here}/void")));
    // Issuing twice changes nothing.
    let again = nora
        .post(&format!("{here}/issue"), &[("csrf", &csrf)])
        .await;
    assert_eq!(again.status, 409);
    assert!(again.html.contains("Nothing was changed"));

    // The CSV, with the portal's session.
    let csv = app
        .client
        .get(app.url(&format!("{here}/lineitems.csv")))
        .header("cookie", format!("partnerd_session={nora_token}"))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"invoice-{number}.csv\"")
    );
    let text = csv.text().await.expect("csv text");
    assert!(text.starts_with(CSV_HEADER), "{text}");
    assert_eq!(
        text.lines().count() as i64 - 1,
        draft["lineCount"].as_i64().expect("lineCount")
    );

    // The printable page: the invoice without the portal's frame, print CSS linked.
    let print = nora.get(&format!("{here}/print")).await;
    assert_eq!(print.status, 200);
    assert!(
        print.html.contains(&format!("Invoice {number}"))
            && print.html.contains("Customer: Wingtip")
    );
    assert!(
        !print.html.contains("<nav")
            && !print.html.contains("Main menu")
            && !print.html.contains("Sign out")
    );
    assert!(print.html.contains("class=\"print\"") && print.html.contains("/assets/app.css"));
    let css = nora.get("/assets/app.css").await;
    assert!(css.html.contains("@media print"));

    // Voiding asks first, says what follows, and needs a reason.
    let ask = nora.get(&format!("{here}/void")).await;
    assert_eq!(ask.status, 200);
    assert!(
        ask.html.contains("new draft invoice with your next number"),
        "{}",
        ask.html
    );
    let no_reason = nora
        .post(&format!("{here}/void"), &[("csrf", &csrf), ("reason", " ")])
        .await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.html.contains("class=\"field-error\""));
    assert_eq!(invoice_status(&app, &nora_token, &id).await, "issued");
    let voided = nora
        .post(
            &format!("{here}/void"),
            &[("csrf", &csrf), ("reason", "Wrong discount for Wingtip")],
        )
        .await;
    assert_eq!(voided.status, 303, "{}", voided.html);
    let to = voided.location.expect("to the replacement");
    assert!(to.ends_with("?done=voided") && !to.starts_with(&here));
    assert_eq!(invoice_status(&app, &nora_token, &id).await, "void");
    let replacement = nora.get(&to).await;
    assert!(
        replacement.html.contains("The invoice was voided") && replacement.html.contains("Draft")
    );
    assert!(
        replacement.html.contains(&format!("href=\"{here}\"")),
        "links the voided one"
    );
    assert!(
        !replacement.html.contains(&format!("Invoice {number}<")),
        "a new number"
    );
    let old = nora.get(&here).await;
    assert!(old.html.contains("Void") && old.html.contains("Wrong discount for Wingtip"));
    assert!(!old.html.contains(&format!("{here}/void\"")));
    app.shutdown().await;
}
both!(invoices_through_the_pages, tune);

async fn unbilled_charges_and_billing_runs(app: TestApp) {
    let people = demo(&app).await;
    // Unbilled charges: as many as the API counts; last month is billed.
    let (gina_token, mut gina, gina_csrf) = person(&app, &people, GINA).await;
    let api = app
        .get("/v1/invoices/unbilled/lineitems", &gina_token)
        .await;
    let current = api.ok(200)["totalCount"].as_i64().expect("totalCount");
    let page = gina.get("/billing/unbilled").await;
    assert_eq!(page.status, 200);
    let month = partnerd_domain::calendar::Month::of(app.app.now());
    if current == 0 {
        assert!(page.html.contains("No unbilled charges"));
    } else {
        let words = format!(
            "{} in {}",
            if current == 1 {
                "1 charge".to_owned()
            } else {
                format!("{current} charges")
            },
            month.spoken()
        );
        assert!(page.html.contains(&words), "{words}: {}", page.html);
    }
    let previous = gina.get("/billing/unbilled?period=previous").await;
    assert!(previous.html.contains(&format!(
        "No unbilled charges for {}",
        month.previous().spoken()
    )));

    // The operator's runs: last month's, with its digest.
    let (op_token, mut op, csrf) = person(&app, &people, OLIVIA).await;
    let runs = app.get("/v1/billingruns", &op_token).await;
    let run = runs.ok(200)["items"][0].clone();
    let digest = run["digest"].as_str().expect("digest").to_owned();
    let listed = op.get("/billing/runs").await;
    assert!(listed.html.contains(&month.previous().spoken()) && listed.html.contains(&digest));

    // A preview of last month shows the run's digest again; of this month, its own.
    let preview = op
        .post(
            "/billing/runs",
            &[
                ("csrf", &csrf),
                ("month", &month.previous().to_string()),
                ("mode", "preview"),
            ],
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(
        preview
            .html
            .contains(&format!("Preview of {}", month.previous().spoken()))
    );
    assert_eq!(between(&preview.html, "id=\"digest\">", "<"), digest);
    assert!(preview.html.contains("Northwind Reseller"));
    let now = op
        .post(
            "/billing/runs",
            &[
                ("csrf", &csrf),
                ("month", &month.to_string()),
                ("mode", "preview"),
            ],
        )
        .await;
    assert_eq!(now.status, 200);
    let shown = between(&now.html, "id=\"digest\">", "<");
    assert!(
        shown.len() == 64 && shown.chars().all(|c| c.is_ascii_hexdigit()),
        "{shown}"
    );
    let after = app.get("/v1/billingruns", &op_token).await;
    assert_eq!(
        after.ok(200)["totalCount"],
        runs.body["totalCount"],
        "previews store nothing"
    );

    // This month is open: running it is refused, and changes nothing.
    let open = op
        .post(
            "/billing/runs",
            &[
                ("csrf", &csrf),
                ("month", &month.to_string()),
                ("mode", "run"),
            ],
        )
        .await;
    assert_eq!(open.status, 409);
    assert!(
        open.html.contains("run it then, or preview it now"),
        "{}",
        open.html
    );
    let future = op
        .post(
            "/billing/runs",
            &[
                ("csrf", &csrf),
                ("month", &month.next().to_string()),
                ("mode", "preview"),
            ],
        )
        .await;
    assert_eq!(future.status, 422);
    assert!(future.html.contains("has not begun"));
    // Last month again: the run it has.
    let again = op
        .post(
            "/billing/runs",
            &[
                ("csrf", &csrf),
                ("month", &month.previous().to_string()),
                ("mode", "run"),
            ],
        )
        .await;
    assert_eq!(again.status, 303);
    assert!(
        again
            .location
            .unwrap_or_default()
            .starts_with("/billing/runs?done=existing")
    );
    let after = app.get("/v1/billingruns", &op_token).await;
    assert_eq!(after.ok(200)["totalCount"], runs.body["totalCount"]);
    // Sellers do not run billing.
    let refused = gina
        .post(
            "/billing/runs",
            &[
                ("csrf", &gina_csrf),
                ("month", &month.previous().to_string()),
                ("mode", "preview"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    app.shutdown().await;
}
both!(unbilled_charges_and_billing_runs, tune);

/// Signs a demo person in through the portal's form (after `full_session` set
/// the password policy.rs gives them).
async fn browser_sign_in(c: &fantoccini::Client, app: &TestApp, email: &str) {
    use crate::browser::{fill, submit, wait_for_path};
    c.goto(&app.url("/signin")).await.expect("goto");
    fill(c, "email", email).await;
    fill(c, "password", "copper kettle mountain river").await;
    submit(c).await;
    assert_eq!(wait_for_path(c, "/").await, "/", "{email} signs in");
}

/// Every Billing page on a phone (390 px): nothing in the page is wider than the
/// screen and the page does not scroll sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_billing_pages_fit_a_phone() {
    use crate::browser::{browser, click, wait_text};
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, tune).await;
    let people = demo(&app).await;
    let gina_token = full_session(&app, &people, GINA).await.expect("gina");
    full_session(&app, &people, OLIVIA).await.expect("olivia");
    let invoice = app
        .get("/v1/invoices?side=seller", &gina_token)
        .await
        .ok(200)["items"][0]["id"]
        .as_str()
        .expect("Fabrikam's invoice")
        .to_owned();
    let scheduled = configs(app.get("/v1/repricingconfigs", &gina_token).await.ok(200))
        .into_iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .next()
        .expect("a price list");
    let c = driver.client.take().expect("client");
    c.set_window_size(390, 844).await.expect("a phone's width");
    // Elements of the page wider than the screen, or scrolling sideways inside.
    let wide = "const width = document.documentElement.clientWidth; \
        return [...document.querySelectorAll('body *')] \
          .filter(e => e.getClientRects().length > 0) \
          .filter(e => getComputedStyle(e).overflowX !== 'visible' ? e.scrollWidth > e.clientWidth + 1 : false \
                    || e.getBoundingClientRect().right > width + 1) \
          .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + width) \
          .slice(0, 10);";
    let check = |page: String| {
        let c = c.clone();
        async move {
            let found = c.execute(wide, vec![]).await.expect("measure the parts");
            assert_eq!(
                found,
                serde_json::json!([]),
                "{page}: parts wider than a phone"
            );
            let sideways = c
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                    vec![],
                )
                .await
                .expect("measure the page");
            assert!(
                sideways.as_i64().is_some_and(|d| d <= 0),
                "{page} scrolls sideways by {sideways}px"
            );
        }
    };
    browser_sign_in(&c, &app, GINA).await;
    for (path, needle) in [
        ("/billing/prices".to_owned(), "New price list"),
        (
            format!("/billing/prices/{scheduled}"),
            "Back to price lists",
        ),
        ("/billing/invoices".to_owned(), "No. 0"),
        (format!("/billing/invoices/{invoice}"), "Customer:"),
        (
            format!("/billing/invoices/{invoice}/print"),
            "Document digest",
        ),
        ("/billing/unbilled".to_owned(), "Charges are written"),
    ] {
        c.goto(&app.url(&path)).await.expect("goto");
        wait_text(&c, needle).await;
        check(path).await;
    }
    c.delete_all_cookies().await.expect("sign out");
    browser_sign_in(&c, &app, OLIVIA).await;
    c.goto(&app.url("/billing/runs")).await.expect("goto");
    wait_text(&c, "Run or preview a month").await;
    check("/billing/runs".to_owned()).await;
    click(&c, "button[value=preview]").await;
    wait_text(&c, "Invoices it would make").await;
    check("a preview".to_owned()).await;
    c.close().await.expect("close");
    app.shutdown().await;
}

/// Payments on the invoice page: the seller records one (a wrong amount is
/// refused and changes nothing), the buyer sees it, and reversing asks first.
async fn payments_through_the_invoice_page(app: TestApp) {
    let people = demo(&app).await;
    let (gina_token, mut gina, csrf) = person(&app, &people, GINA).await;
    // Fabrikam's issued invoice to Northwind.
    let sold = app
        .get("/v1/invoices?side=seller&status=issued", &gina_token)
        .await
        .ok(200)
        .clone();
    let invoice = sold["items"][0].clone();
    let id = invoice["id"].as_str().expect("id").to_owned();
    let here = format!("/billing/invoices/{id}");
    let page = gina.get(&here).await;
    assert!(page.html.contains("Record a payment"), "{}", page.html);
    let today = partnerd_domain::calendar::Date::of(app.app.now()).to_string();
    let refused = gina
        .post(
            &format!("{here}/payments"),
            &[
                ("csrf", &csrf),
                ("currency", "USD"),
                ("amount", "-5.00"),
                ("paidOn", &today),
                ("reference", "SEPA 99"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.html.contains("The amount must be above zero"),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("value=\"SEPA 99\""),
        "what was typed is kept"
    );
    assert_eq!(
        app.get(&format!("/v1/invoices/{id}/payments"), &gina_token)
            .await
            .ok(200)["totalCount"],
        0,
        "nothing was recorded"
    );
    let recorded = gina
        .post(
            &format!("{here}/payments"),
            &[
                ("csrf", &csrf),
                ("currency", "USD"),
                ("amount", "100.00"),
                ("paidOn", &today),
                ("reference", "SEPA 4711"),
                ("note", "First part"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303);
    let after = gina.get(&format!("{here}?done=paid")).await;
    assert!(after.html.contains("The payment was recorded") && after.html.contains("SEPA 4711"));
    let balance = app.get(&format!("/v1/invoices/{id}"), &gina_token).await;
    assert_eq!(balance.ok(200)["amountPaid"]["amount"], "100.00");
    // The buyer sees the payment but cannot record or reverse one.
    let (_, mut nora, nora_csrf) = person(&app, &people, NORA).await;
    let theirs = nora.get(&here).await;
    assert!(theirs.html.contains("SEPA 4711") && !theirs.html.contains("Record a payment"));
    let pid = app
        .get(&format!("/v1/invoices/{id}/payments"), &gina_token)
        .await
        .ok(200)["items"][0]["id"]
        .as_str()
        .expect("pid")
        .to_owned();
    let reverse = format!("{here}/payments/{pid}/reverse");
    assert_eq!(nora.get(&reverse).await.status, 403);
    assert_eq!(
        nora.post(&reverse, &[("csrf", &nora_csrf), ("reason", "no")])
            .await
            .status,
        403
    );
    // Reversing asks first and needs a reason.
    let confirm = gina.get(&reverse).await;
    assert!(confirm.html.contains("its amount is due again") && confirm.html.contains("Keep it"));
    let no_reason = gina
        .post(&reverse, &[("csrf", &csrf), ("reason", "")])
        .await;
    assert_eq!(no_reason.status, 422);
    let done = gina
        .post(
            &reverse,
            &[("csrf", &csrf), ("reason", "The transfer bounced")],
        )
        .await;
    assert_eq!(done.status, 303);
    let page = gina.get(&here).await;
    assert!(
        page.html.contains("Reversed: The transfer bounced"),
        "{}",
        page.html
    );
    app.shutdown().await;
}
both!(payments_through_the_invoice_page, tune);
