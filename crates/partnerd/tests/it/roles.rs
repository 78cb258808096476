//! PRODUCT.md §3: the role × action matrix, driven by the policy table and
//! exercised through HTTP for every role, plus the permission explainer.

use partnerd_domain::Roles;
use partnerd_domain::policy::{Action, Actor, can};
use partnerd_domain::roles::{OrgKind, Role};
use reqwest::Method;
use serde_json::json;

use crate::both;
use crate::helpers::{NEW_PASSWORD, TestApp};
use crate::users::add_signed_in_user;

/// A partner organisation created by the operator; returns its global admin's token.
pub async fn partner_admin(app: &TestApp, operator: &str, prefix: &str) -> String {
    let body = json!({
        "name": format!("{prefix} Ltd"), "legalName": format!("{prefix} Limited"), "country": "DE", "domainPrefix": prefix,
        "admin": {"email": format!("admin@{prefix}.example"), "firstName": "Ada", "lastName": "Admin"}
    });
    let created = app.post("/v1/organizations", operator, body).await;
    let done = created.ok(201).clone();
    assert_eq!(done["organization"]["kind"], "partner");
    assert_eq!(
        done["adminUser"]["roles"],
        json!(["globalAdmin", "adminAgent"])
    );
    let temporary = done["temporaryPassword"].as_str().expect("password");
    let email = format!("admin@{prefix}.example");
    let restricted = app.sign_in(&email, temporary).await.ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    app.post(
        "/v1/me/password",
        &restricted,
        json!({"currentPassword": temporary, "newPassword": NEW_PASSWORD}),
    )
    .await
    .ok(200)["token"]
        .as_str()
        .expect("t")
        .to_owned()
}

/// Requests that exercise one action each.
fn probes() -> Vec<(Action, Method, &'static str)> {
    vec![
        (Action::ReadOwnOrganization, Method::GET, "/v1/organization"),
        (Action::ManageUsers, Method::GET, "/v1/users"),
        (Action::ManageApiKeys, Method::GET, "/v1/apikeys"),
        (Action::ReadAuditRecords, Method::GET, "/v1/auditrecords"),
        (Action::ReadOrganizations, Method::GET, "/v1/organizations"),
        (
            Action::ManageOrganizations,
            Method::POST,
            "/v1/organizations",
        ),
    ]
}

async fn every_role_gets_exactly_what_the_policy_table_grants(app: TestApp) {
    let operator = app.operator_token().await;
    let partner = partner_admin(&app, &operator, "contoso").await;
    let mut people: Vec<(Vec<Role>, String)> =
        vec![(vec![Role::GlobalAdmin, Role::AdminAgent], partner.clone())];
    for (i, role) in Role::ALL.iter().enumerate() {
        let (_, token) = add_signed_in_user(
            &app,
            &partner,
            &format!("r{i}@contoso.example"),
            &[role.as_str()],
        )
        .await;
        people.push((vec![*role], token));
    }
    let (_, nobody) = add_signed_in_user(&app, &partner, "nobody@contoso.example", &[]).await;
    people.push((vec![], nobody));

    for (roles, token) in &people {
        let actor = Actor {
            org_kind: OrgKind::Partner,
            programs: vec![],
            roles: Roles::new(roles.clone()),
            user_session: true,
        };
        for (action, method, path) in probes() {
            let body = (method == Method::POST).then(|| json!({}));
            let res = app.call(method.clone(), path, Some(token), body).await;
            let expected = can(&actor, action).is_allowed();
            if expected {
                assert_ne!(
                    res.status.as_u16(),
                    403,
                    "{roles:?} may {action:?} ({method} {path}): {}",
                    res.text
                );
            } else {
                res.problem(403, "forbidden");
                assert!(!res.body["detail"].as_str().unwrap_or_default().is_empty());
            }
            // The explainer gives the same answer, with a reason.
            let explained = app
                .get(
                    &format!("/v1/me/permissions?action={}", action.as_str()),
                    token,
                )
                .await;
            let item = &explained.ok(200)["items"][0];
            assert_eq!(item["allowed"], expected, "{roles:?} {action:?}");
            assert!(item["reason"].as_str().is_some_and(|r| r.len() > 10));
            if !expected {
                assert_eq!(item["code"], res.body["code"]);
                assert_eq!(
                    item["reason"], res.body["detail"],
                    "the refusal and the explainer say the same"
                );
            }
        }
    }
    app.shutdown().await;
}
both!(every_role_gets_exactly_what_the_policy_table_grants);

async fn the_explainer_answers_for_me_and_for_my_users(app: TestApp) {
    let operator = app.operator_token().await;
    let partner = partner_admin(&app, &operator, "fabrikam").await;
    let (helpdesk, hd_token) =
        add_signed_in_user(&app, &partner, "hd@fabrikam.example", &["helpdeskAgent"]).await;
    let all = app.get("/v1/me/permissions", &hd_token).await;
    let items = all.ok(200)["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), Action::ALL.len());
    let find = |name: &str| {
        items
            .iter()
            .find(|i| i["action"] == name)
            .cloned()
            .expect(name)
    };
    let leads = find("manageLeads");
    assert_eq!(leads["allowed"], false);
    assert!(
        leads["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Sales agent") && r.contains("Helpdesk agent")),
        "{leads}"
    );
    let customers = find("readCustomers");
    assert_eq!(customers["allowed"], true);
    let request = find("requestCustomerRelationship");
    assert_eq!(
        request["code"], "enrollment_required",
        "programme before role"
    );
    let checks: Vec<(&str, bool)> = request["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap_or_default(),
                c["satisfied"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    assert_eq!(
        checks,
        vec![
            ("organizationKind", true),
            ("program", false),
            ("role", false)
        ]
    );

    // An admin asks about another user; the user may ask about themselves; others may not.
    let id = helpdesk["id"].as_str().expect("id");
    let theirs = app
        .get(
            &format!("/v1/users/{id}/permissions?action=manageLeads"),
            &partner,
        )
        .await;
    assert_eq!(theirs.ok(200)["items"][0]["allowed"], false);
    app.get(
        &format!("/v1/users/{id}/permissions?action=manageLeads"),
        &hd_token,
    )
    .await
    .ok(200);
    let admin_id = app.get("/v1/me", &partner).await.ok(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.get(&format!("/v1/users/{admin_id}/permissions"), &hd_token)
        .await
        .problem(403, "forbidden");
    app.get("/v1/me/permissions?action=flyToTheMoon", &hd_token)
        .await
        .problem(422, "validation_failed");
    // Users of another organisation are invisible.
    app.get(&format!("/v1/users/{id}/permissions"), &operator)
        .await
        .problem(404, "not_found");
    app.get(&format!("/v1/users/{id}"), &operator)
        .await
        .problem(404, "not_found");
    app.shutdown().await;
}
both!(the_explainer_answers_for_me_and_for_my_users);

async fn the_operator_creates_and_lists_partner_organisations(app: TestApp) {
    let operator = app.operator_token().await;
    let partner = partner_admin(&app, &operator, "northwind").await;
    let dup = json!({"name": "X", "legalName": "X", "country": "DE", "domainPrefix": "northwind",
        "admin": {"email": "other@northwind.example", "firstName": "A", "lastName": "B"}});
    app.post("/v1/organizations", &operator, dup)
        .await
        .problem(409, "domain_unavailable");
    let dup = json!({"name": "X", "legalName": "X", "country": "DE", "domainPrefix": "northwind-2",
        "admin": {"email": "ADMIN@northwind.example", "firstName": "A", "lastName": "B"}});
    app.post("/v1/organizations", &operator, dup)
        .await
        .problem(409, "email_in_use");
    let bad = json!({"name": "X", "legalName": "X", "country": "Germany", "domainPrefix": "-x",
        "admin": {"email": "nope", "firstName": "A", "lastName": "B"}});
    let res = app.post("/v1/organizations", &operator, bad).await;
    res.problem(422, "validation_failed");
    let pointers: Vec<&str> = res.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(pointers, vec!["/country", "/domainPrefix", "/admin/email"]);

    let partners = app.get("/v1/organizations?kind=partner", &operator).await;
    assert_eq!(partners.ok(200)["totalCount"], 1);
    let org_id = partners.body["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.get("/v1/organizations?name=NORTH", &operator)
            .await
            .ok(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/v1/organizations?name=south", &operator)
            .await
            .ok(200)["totalCount"],
        0
    );
    app.get("/v1/organizations?kind=alien", &operator)
        .await
        .problem(422, "validation_failed");
    app.get(&format!("/v1/organizations/{org_id}"), &operator)
        .await
        .ok(200);
    // Partners see neither the list nor other organisations.
    app.get("/v1/organizations", &partner)
        .await
        .problem(403, "forbidden");
    let op_org = app.get("/v1/organization", &operator).await.ok(200)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.get(&format!("/v1/organizations/{op_org}"), &partner)
        .await
        .problem(404, "not_found");
    app.post("/v1/organizations", &partner, json!({}))
        .await
        .problem(403, "forbidden");
    app.shutdown().await;
}
both!(the_operator_creates_and_lists_partner_organisations);
