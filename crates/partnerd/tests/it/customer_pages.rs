//! The customer pages over HTTP: Customers with the request form and its draft
//! e-mail, the customer's landing page (sign up, consent, accept), the customer's
//! Partners page, the customer record, and ending a relationship after confirmation.

use crate::both;
use crate::customers::connected;
use crate::helpers::{NEW_PASSWORD, TestApp};
use crate::pages::{Browser, csrf_of, signed_in_browser};

fn refs<'v>(v: &'v [(&'static str, String)]) -> Vec<(&'static str, &'v str)> {
    v.iter().map(|(k, x)| (*k, x.as_str())).collect()
}

fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html.find(start).map_or(0, |i| i + start.len());
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

async fn a_customer_accepts_through_the_pages(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "pg-res", "98000001").await;
    let (mut reseller, csrf) = signed_in_browser(&app, "gina@pg-res.example").await;

    let empty = reseller.get("/customers").await;
    assert_eq!(empty.status, 200);
    assert!(
        empty.html.contains("No customers yet")
            && empty.html.contains("Request a reseller relationship")
    );
    let providers = reseller.get("/partners/providers").await;
    assert!(providers.html.contains(&format!(
        "/customers/request?indirectProviderId={}",
        c.provider_org
    )));
    assert!(
        providers
            .html
            .contains(&format!("/customers?indirectProviderId={}", c.provider_org))
    );

    let form = reseller
        .get(&format!(
            "/customers/request?indirectProviderId={}",
            c.provider_org
        ))
        .await;
    assert!(
        form.html
            .contains(&format!("value=\"{}\" selected", c.provider_org)),
        "the provider is preselected"
    );
    let forged = reseller
        .post(
            "/customers/request",
            &[
                ("csrf", "forged"),
                ("indirect_provider_id", &c.provider_org),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let too_long = reseller
        .post(
            "/customers/request",
            &[
                ("csrf", &csrf),
                ("indirect_provider_id", &c.provider_org),
                ("include_delegated_admin", "yes"),
                ("delegated_admin_days", "900"),
            ],
        )
        .await;
    assert_eq!(too_long.status, 422);
    assert!(too_long.html.contains("field-error") && too_long.html.contains("P730D"));
    let made = reseller
        .post(
            "/customers/request",
            &[
                ("csrf", &csrf),
                ("indirect_provider_id", &c.provider_org),
                ("include_delegated_admin", "yes"),
                ("delegated_admin_days", "90"),
            ],
        )
        .await;
    assert_eq!(made.status, 303);
    let draft_path = made.location.expect("to the draft");
    assert!(draft_path.starts_with("/customers/requests/crr_"));
    let draft = reseller.get(&draft_path).await;
    assert!(draft.html.contains("<textarea id=\"email-body\""));
    assert!(draft.html.contains("href=\"mailto:?subject="));
    assert!(draft.html.contains("data-copy=\"email-body\""));
    let link = between(
        &draft.html,
        "id=\"request-link\" type=\"text\" readonly value=\"",
        "\"",
    )
    .replace("&amp;", "&");
    let path = link
        .strip_prefix(&app.base)
        .expect("a link to this server")
        .to_owned();
    assert!(path.starts_with("/customer-invitations?token="));
    assert!(
        reseller
            .get("/customers")
            .await
            .html
            .contains("Pending relationship requests")
    );

    // The customer: an unknown link is refused; the real one says who asks for what.
    let mut customer = Browser::new(&app);
    assert_eq!(
        customer
            .get("/customer-invitations?token=nope")
            .await
            .status,
        404
    );
    let landing = customer.get(&path).await;
    assert_eq!(landing.status, 200);
    assert!(landing.html.contains("pg-res Reseller") && landing.html.contains("dist-pg-res Ltd"));
    assert!(landing.html.contains("for 90 days"));
    assert!(landing.html.contains("/signin?next="));
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let ccsrf = csrf_of(&landing.html);
    let tenant = |password: &'static str| {
        vec![
            ("csrf", ccsrf.clone()),
            ("token", token.clone()),
            ("company_name", "Pages Customer".to_owned()),
            ("domain_prefix", "pages-customer".to_owned()),
            ("country", "de".to_owned()),
            ("first_name", "Cleo".to_owned()),
            ("last_name", "Customer".to_owned()),
            ("email", "cleo@pages-customer.example".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    let weak = tenant("short");
    let refused = customer
        .post("/customer-invitations/signup", &refs(&weak))
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.html.contains("field-error") && refused.html.contains("value=\"Pages Customer\"")
    );
    let good = tenant(NEW_PASSWORD);
    let signed_up = customer
        .post("/customer-invitations/signup", &refs(&good))
        .await;
    assert_eq!(signed_up.status, 303);
    assert_eq!(signed_up.location.as_deref(), Some(path.as_str()));
    let consent = customer.get(&path).await;
    // Signing up signed the customer in, which changed the form token.
    let ccsrf = csrf_of(&consent.html);
    assert!(
        consent.html.contains("name=\"accept_reseller\"")
            && consent.html.contains("name=\"accept_indirect_provider\"")
            && consent.html.contains("name=\"grant_delegated_admin\"")
    );
    let partial = customer
        .post(
            "/customer-invitations",
            &[
                ("csrf", &ccsrf),
                ("token", &token),
                ("decision", "accept"),
                ("accept_reseller", "yes"),
            ],
        )
        .await;
    assert_eq!(partial.status, 422);
    assert!(partial.html.contains("field-error"));
    let accepted = customer
        .post(
            "/customer-invitations",
            &[
                ("csrf", &ccsrf),
                ("token", &token),
                ("decision", "accept"),
                ("accept_reseller", "yes"),
                ("accept_indirect_provider", "yes"),
                ("grant_delegated_admin", "yes"),
            ],
        )
        .await;
    assert_eq!(accepted.status, 303);
    assert_eq!(
        accepted.location.as_deref(),
        Some("/partners?done=accepted")
    );
    let partners = customer.get("/partners").await;
    assert!(partners.html.contains("pg-res Reseller") && partners.html.contains("dist-pg-res Ltd"));
    assert!(partners.html.contains("Until "), "delegated admin shown");
    assert!(
        partners.html.contains("href=\"/partners\""),
        "the menu has Partners"
    );

    // The reseller and the provider find the customer; the provider's shared view too.
    let list = reseller.get("/customers").await;
    assert!(list.html.contains("Pages Customer"));
    let cid = between(&list.html, "href=\"/customers/org_", "\"");
    let cid = format!("org_{cid}");
    let (mut provider, _) = signed_in_browser(&app, "admin@dist-pg-res.example").await;
    let shared = provider
        .get(&format!("/customers?indirectResellerId={}", c.reseller_org))
        .await;
    assert!(shared.html.contains("Pages Customer") && shared.html.contains("you share with"));

    // The record: account, users on behalf with Add user, subscriptions and licenses.
    let record = reseller.get(&format!("/customers/{cid}")).await;
    assert_eq!(record.status, 200);
    assert!(
        record.html.contains("cleo@pages-customer.example") && record.html.contains("Add user")
    );
    assert!(record.html.contains("No subscriptions yet"));
    let added = reseller
        .post(
            &format!("/customers/{cid}/users/new"),
            &[
                ("csrf", &csrf),
                ("first_name", "Nia"),
                ("last_name", "New"),
                ("email", "nia@pages-customer.example"),
                ("roles", "billingAdmin"),
            ],
        )
        .await;
    assert_eq!(added.status, 200);
    assert!(added.html.contains("Temporary password") && added.html.contains("temporary-password"));
    let dup = reseller
        .post(
            &format!("/customers/{cid}/users/new"),
            &[
                ("csrf", &csrf),
                ("first_name", "Nia"),
                ("last_name", "Again"),
                ("email", "NIA@pages-customer.example"),
            ],
        )
        .await;
    assert_eq!(dup.status, 409);
    assert!(dup.html.contains("field-error"));

    // The customer ends the reseller relationship, after a confirmation.
    let cleo = app
        .sign_in("cleo@pages-customer.example", NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let rels = app
        .get("/v1/partnerrelationships", &cleo)
        .await
        .ok(200)
        .clone();
    let rel = rels["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["role"] == "indirectReseller")
        .and_then(|r| r["id"].as_str())
        .expect("the reseller relationship")
        .to_owned();
    assert!(
        partners
            .html
            .contains(&format!("/partners/customer-relationships/{rel}/terminate"))
    );
    // The customer ends the delegated admin first, after a confirmation; the page
    // then says when it ended.
    let da = between(&partners.html, "/partners/delegations/", "/terminate");
    let ask = customer
        .get(&format!("/partners/delegations/{da}/terminate"))
        .await;
    assert!(ask.html.contains("End delegated admin"));
    let da_ended = customer
        .post(
            &format!("/partners/delegations/{da}/terminate"),
            &[("csrf", &ccsrf)],
        )
        .await;
    assert_eq!(da_ended.status, 303);
    let after = customer.get("/partners?done=delegation").await;
    assert!(
        after.html.contains("The delegated admin privileges ended.")
            && after.html.contains("Ended on ")
            && !after.html.contains("/partners/delegations/"),
        "{}",
        after.html
    );
    let confirm = customer
        .get(&format!("/partners/customer-relationships/{rel}/terminate"))
        .await;
    assert!(confirm.html.contains("End relationship") && confirm.html.contains("Cancel"));
    let ended = customer
        .post(
            &format!("/partners/customer-relationships/{rel}/terminate"),
            &[("csrf", &ccsrf)],
        )
        .await;
    assert_eq!(ended.status, 303);
    let gone = reseller.get(&format!("/customers/{cid}")).await;
    assert_eq!(gone.status, 404);
    app.shutdown().await;
}
both!(a_customer_accepts_through_the_pages);

/// The customer's link on a draft page, as a path on this server, and its token.
async fn link_of(app: &TestApp, b: &mut Browser<'_>, draft_path: &str) -> (String, String) {
    let draft = b.get(draft_path).await;
    assert_eq!(draft.status, 200);
    let link = between(
        &draft.html,
        "id=\"request-link\" type=\"text\" readonly value=\"",
        "\"",
    )
    .replace("&amp;", "&");
    let path = link
        .strip_prefix(&app.base)
        .expect("a link here")
        .to_owned();
    let token = path.split("token=").nth(1).expect("token").to_owned();
    (path, token)
}

async fn withdrawing_declining_and_ending_each_ask_first(app: TestApp) {
    let op = app.operator_token().await;
    let c = connected(&app, &op, "pw-res", "98000003").await;
    let (mut reseller, csrf) = signed_in_browser(&app, "gina@pw-res.example").await;

    // A two-way request without delegated admin; without script the draft still
    // offers the text, the link and a mailto that carries both.
    let made = reseller
        .post(
            "/customers/request",
            &[("csrf", &csrf), ("message", "Glad to work with you")],
        )
        .await;
    assert_eq!(made.status, 303);
    let draft_path = made.location.expect("to the draft");
    let id = draft_path.rsplit('/').next().expect("id").to_owned();
    let draft = reseller.get(&draft_path).await;
    assert!(draft.html.contains("Glad to work with you"));
    let mailto = between(&draft.html, "href=\"mailto:?subject=", "\"");
    assert!(mailto.contains("&amp;body=") && mailto.contains("customer-invitations%3Ftoken%3D"));
    assert!(draft.html.contains("data-copy=\"email-body\" hidden"));
    let (path, _) = link_of(&app, &mut reseller, &draft_path).await;

    // Withdraw: the list links to a confirmation; showing it, or a forged form,
    // changes nothing.
    let revoke = format!("/customers/requests/{id}/revoke");
    assert!(reseller.get("/customers").await.html.contains(&revoke));
    let confirm = reseller.get(&revoke).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.html.contains("Withdraw request") && confirm.html.contains("Cancel"));
    let mut visitor = Browser::new(&app);
    assert_eq!(visitor.get(&path).await.status, 200);
    assert_eq!(
        reseller.post(&revoke, &[("csrf", "forged")]).await.status,
        403
    );
    assert_eq!(visitor.get(&path).await.status, 200);
    let withdrawn = reseller.post(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(withdrawn.status, 303);
    assert_eq!(
        withdrawn.location.as_deref(),
        Some("/customers?done=revoked")
    );
    let list = reseller.get("/customers?done=revoked").await;
    assert!(list.html.contains("The request was withdrawn") && !list.html.contains(&revoke));
    let gone = visitor.get(&path).await;
    assert_eq!(gone.status, 410);
    assert!(
        gone.html.contains("role=\"alert\"")
            && gone.html.contains("The reseller withdrew this request")
            && gone.html.contains("Ask the reseller for a new request")
    );

    // Decline: a signed-in customer is asked only for what the request needs, says
    // no, and the link is used up; no customer appears.
    let made = reseller
        .post("/customers/request", &[("csrf", &csrf)])
        .await;
    let (path, token) = link_of(&app, &mut reseller, &made.location.expect("draft")).await;
    crate::customers::new_tenant(&app, "pw-cust").await;
    let (mut customer, ccsrf) = signed_in_browser(&app, "cora@pw-cust.example").await;
    let landing = customer.get(&path).await;
    assert!(
        landing.html.contains("name=\"accept_reseller\"")
            && !landing.html.contains("name=\"accept_indirect_provider\"")
            && !landing.html.contains("name=\"grant_delegated_admin\"")
    );
    let answer = |csrf: &'static str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("token", token.clone()),
            ("decision", "decline".to_owned()),
        ]
    };
    let forged = answer("forged");
    assert_eq!(
        customer
            .post("/customer-invitations", &refs(&forged))
            .await
            .status,
        403
    );
    assert_eq!(customer.get(&path).await.status, 200, "still open");
    let declined = customer
        .post(
            "/customer-invitations",
            &[("csrf", &ccsrf), ("token", &token), ("decision", "decline")],
        )
        .await;
    assert_eq!(declined.status, 200);
    assert!(declined.html.contains("You declined the request"));
    let used = customer.get(&path).await;
    assert_eq!(used.status, 409);
    assert!(used.html.contains("This request was declined already"));
    assert!(
        reseller
            .get("/customers")
            .await
            .html
            .contains("No customers yet")
    );

    // The reseller ends a customer relationship only after confirming it.
    let (_, cid) = crate::commerce::three_way_customer(&app, &c, "pw-three").await;
    let record = format!("/customers/{cid}");
    let end = format!("/customers/{cid}/terminate");
    assert!(reseller.get(&record).await.html.contains(&end));
    let confirm = reseller.get(&end).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.html.contains("End your relationship with") && confirm.html.contains("Cancel"));
    assert_eq!(reseller.get(&record).await.status, 200);
    assert_eq!(reseller.post(&end, &[("csrf", "forged")]).await.status, 403);
    assert_eq!(reseller.get(&record).await.status, 200);
    let ended = reseller
        .post(&end, &[("csrf", &csrf), ("reason", "Moving on")])
        .await;
    assert_eq!(ended.status, 303);
    assert_eq!(ended.location.as_deref(), Some("/customers?done=ended"));
    assert_eq!(reseller.get(&record).await.status, 404);
    let list = reseller.get("/customers?done=ended").await;
    assert!(list.html.contains("The relationship ended") && !list.html.contains("pw-three Corp"));
    app.shutdown().await;
}
both!(withdrawing_declining_and_ending_each_ask_first);

fn etag_in(html: &str) -> String {
    between(html, "name=\"etag\" value=\"", "\"").to_owned()
}

async fn commerce_through_the_pages(app: TestApp) {
    let op = app.operator_token().await;
    crate::commerce::catalog(&app, &op).await;
    let c = connected(&app, &op, "pc-res", "98000002").await;
    let (_, cid) = crate::commerce::three_way_customer(&app, &c, "pc-cust").await;
    let (mut reseller, csrf) = signed_in_browser(&app, "gina@pc-res.example").await;

    let record = reseller.get(&format!("/customers/{cid}")).await;
    assert!(
        record
            .html
            .contains(&format!("/customers/{cid}/add-products"))
    );
    let choose = reseller
        .get(&format!("/customers/{cid}/add-products"))
        .await;
    assert!(choose.html.contains("name=\"qty_m365\"") && choose.html.contains("dist-pc-res Ltd"));
    // The plan an order gets, in words.
    assert!(
        choose.html.contains("1 month, billed monthly")
            && choose.html.contains("USD per seat per month"),
        "{}",
        choose.html
    );
    let nothing = reseller
        .post(
            &format!("/customers/{cid}/add-products"),
            &[
                ("csrf", &csrf),
                ("step", "review"),
                ("supplier", &c.provider_org),
            ],
        )
        .await;
    assert_eq!(nothing.status, 422);
    // A plan the offer does not sell, or a term end it cannot take, is refused at
    // review, before anything is ordered.
    for (field, value, words) in [
        ("plan_m365", "P3Y upfront", "is not sold that way"),
        ("end_m365", "2026-13-01", "must be a day"),
        (
            "end_m365",
            "2099-12-31",
            "can end on a month's last day up to",
        ),
    ] {
        let refused = reseller
            .post(
                &format!("/customers/{cid}/add-products"),
                &[
                    ("csrf", &csrf),
                    ("step", "review"),
                    ("supplier", &c.provider_org),
                    ("qty_m365", "3"),
                    (field, value),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{field}={value}");
        assert!(refused.html.contains(words), "{words}: {}", refused.html);
    }
    let review = reseller
        .post(
            &format!("/customers/{cid}/add-products"),
            &[
                ("csrf", &csrf),
                ("step", "review"),
                ("supplier", &c.provider_org),
                ("qty_m365", "3"),
            ],
        )
        .await;
    assert_eq!(review.status, 200);
    assert!(review.html.contains("30.00 USD") && review.html.contains("No credit limit applies"));
    // With a limit the review shows what remains, and the order is refused beyond it.
    let rel = app.get("/v1/relationships", &c.provider).await.ok(200)["items"][0]["id"]
        .as_str()
        .expect("rel")
        .to_owned();
    let (mut provider, pcsrf) = signed_in_browser(&app, "admin@dist-pc-res.example").await;
    let credit = provider
        .get(&format!("/partners/relationships/{rel}/credit"))
        .await;
    assert!(credit.html.contains("Save limit"));
    let set = provider
        .post(
            &format!("/partners/relationships/{rel}/credit"),
            &[
                ("csrf", &pcsrf),
                ("etag", &etag_in(&credit.html)),
                ("currency", "USD"),
                ("amount", "20.00"),
                ("do", "set"),
            ],
        )
        .await;
    assert_eq!(set.status, 303);
    let theirs = reseller
        .get(&format!("/partners/relationships/{rel}/credit"))
        .await;
    assert!(theirs.html.contains("20.00 USD") && !theirs.html.contains("Save limit"));
    let review = reseller
        .post(
            &format!("/customers/{cid}/add-products"),
            &[
                ("csrf", &csrf),
                ("step", "review"),
                ("supplier", &c.provider_org),
                ("qty_m365", "3"),
            ],
        )
        .await;
    assert!(review.html.contains("exceeds the remaining credit"));
    let refused = reseller
        .post(
            &format!("/customers/{cid}/add-products"),
            &[
                ("csrf", &csrf),
                ("step", "place"),
                ("supplier", &c.provider_org),
                ("qty_m365", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, 409);
    let credit = provider
        .get(&format!("/partners/relationships/{rel}/credit"))
        .await;
    provider
        .post(
            &format!("/partners/relationships/{rel}/credit"),
            &[
                ("csrf", &pcsrf),
                ("etag", &etag_in(&credit.html)),
                ("currency", "USD"),
                ("do", "remove"),
            ],
        )
        .await;
    let placed = reseller
        .post(
            &format!("/customers/{cid}/add-products"),
            &[
                ("csrf", &csrf),
                ("step", "place"),
                ("supplier", &c.provider_org),
                ("qty_m365", "3"),
            ],
        )
        .await;
    assert_eq!(placed.status, 200);
    assert!(placed.html.contains("The order is placed"));
    let sub_path = format!(
        "/customers/{cid}/subscriptions/{}",
        between(
            &placed.html,
            &format!("/customers/{cid}/subscriptions/"),
            "\""
        )
    );

    // The page says what the term is and until when seats can leave with a refund.
    let shown = reseller.get(&sub_path).await;
    for words in [
        "1 month, billed monthly",
        "You can remove 3 seats with a refund until",
        "then prorated by day",
        "Renews",
        "Schedule the next term",
        "Cancel subscription",
    ] {
        assert!(shown.html.contains(words), "{words}: {}", shown.html);
    }
    assert!(!shown.html.contains(">P1M"), "no raw codes on the page");
    let cancel = reseller.get(&format!("{sub_path}?action=cancel")).await;
    assert!(
        cancel.html.contains("all 3 seats are refunded"),
        "{}",
        cancel.html
    );
    // A change is confirmed first, then applied; a stale form changes nothing.
    let confirm = reseller.get(&format!("{sub_path}?action=suspend")).await;
    assert!(
        confirm
            .html
            .contains("Billing continues while it is suspended")
    );
    let stale = reseller
        .post(
            &sub_path,
            &[("csrf", &csrf), ("etag", "stale"), ("action", "suspend")],
        )
        .await;
    assert_eq!(stale.status, 412);
    let suspended = reseller
        .post(
            &sub_path,
            &[
                ("csrf", &csrf),
                ("etag", &etag_in(&confirm.html)),
                ("action", "suspend"),
            ],
        )
        .await;
    assert_eq!(suspended.status, 303);
    let now = reseller.get(&sub_path).await;
    assert!(now.html.contains("Suspended") && now.html.contains("Reactivate"));

    // Licenses: assign one seat to the customer's admin.
    let users = app
        .get(&format!("/v1/customers/{cid}/users"), &c.reseller)
        .await
        .ok(200)
        .clone();
    let uid = users["items"][0]["id"].as_str().expect("user").to_owned();
    let confirm = reseller.get(&format!("{sub_path}?action=reactivate")).await;
    reseller
        .post(
            &sub_path,
            &[
                ("csrf", &csrf),
                ("etag", &etag_in(&confirm.html)),
                ("action", "reactivate"),
            ],
        )
        .await;
    let lic = reseller
        .get(&format!("/customers/{cid}/users/{uid}/licenses"))
        .await;
    assert!(lic.html.contains("0 / 3") && lic.html.contains("Assign"));
    let assigned = reseller
        .post(
            &format!("/customers/{cid}/users/{uid}/licenses"),
            &[("csrf", &csrf), ("assign", "m365")],
        )
        .await;
    assert_eq!(assigned.status, 303);
    let lic = reseller
        .get(&format!("/customers/{cid}/users/{uid}/licenses"))
        .await;
    assert!(lic.html.contains("Remove"));
    app.shutdown().await;
}
both!(commerce_through_the_pages);
