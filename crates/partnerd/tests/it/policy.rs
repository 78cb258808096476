//! The route-complete policy test (API.md §3). Every documented operation is
//! called on the demo's data, with ids of things that exist, by an API key that
//! holds no role, from the first organisation that can see those ids. The server
//! (with `policy_trace` on) answers with the policy questions the handler asked
//! (`Partnerd-Policy-Asked`), so each route's action comes from the code that
//! checks it, not from the hand-written `x-partnerd-action` annotation. The test
//! holds that:
//! - a route that asks the policy is annotated, and asks for its annotated
//!   action (unless an earlier guard already refused the key);
//! - a route whose action the key may not take refuses it: 403, 409
//!   `wrong_organization_kind` (API.md §8.2 answers it before the role check), or
//!   404 only where the id is real and the handler asked the policy, which hid it;
//! - where the demo holds nothing to name, the route is called with an id nobody
//!   has and only a 403 passes, so checking the policy after the lookup fails;
//! - only the public and self-service routes ask nothing.
//!
//! Removing one `require` (for example `ManageApiKeys` from revoking a key) makes
//! it fail: the route asks nothing and answers 204.

use std::collections::BTreeMap;

use partnerd_domain::policy::Action;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// Routes that need no permission: sign-in, tenant sign-up, token links, and what
/// any signed-in caller may do to itself.
const OPEN: &[(&str, &str)] = &[
    ("post", "/v1/sessions"),
    ("post", "/v1/tenants"),
    ("post", "/v1/emailverifications/confirm"),
    ("post", "/v1/resellerinvitations/resolve"),
    ("post", "/v1/customers/relationshiprequests/resolve"),
];

pub(crate) async fn full_session(
    app: &TestApp,
    people: &[(String, String, String)],
    email: &str,
) -> Option<String> {
    let password = people
        .iter()
        .find(|(_, e, _)| e == email)
        .map(|(_, _, p)| p.clone())
        .expect("a demo sign-in");
    let signed = app.sign_in(email, &password).await;
    if signed.status.as_u16() != 201 {
        return None; // a registry account, not a person of the directory
    }
    let signed = &signed.body;
    let token = signed["token"].as_str().expect("token").to_owned();
    if signed["passwordChangeRequired"] != true {
        return Some(token);
    }
    let changed = app
        .post(
            "/v1/me/password",
            &token,
            json!({"currentPassword": password, "newPassword": "copper kettle mountain river"}),
        )
        .await;
    Some(changed.ok(200)["token"].as_str().expect("token").to_owned())
}

/// A key holding no role, made by `token` (None when it is not a global admin).
async fn roleless_key(app: &TestApp, token: &str) -> Option<String> {
    let key = app
        .post("/v1/apikeys", token, json!({"name": "holds no role"}))
        .await;
    key.body["secret"].as_str().map(str::to_owned)
}

/// Ids of the items of a collection, as `reader` sees it.
async fn ids_in(app: &TestApp, reader: &str, collection: &str) -> Vec<String> {
    let res = app.get(&format!("{collection}?size=50"), reader).await;
    if !res.status.is_success() {
        // Some resources are the caller's own, not a list (`/v1/enrollments/current`).
        let own = app.get(&format!("{collection}/current"), reader).await;
        return own.body["id"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect();
    }
    let items = res.body["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|i| {
            i["id"]
                .as_str()
                .or_else(|| i["organizationId"].as_str())
                .or_else(|| i["membershipId"].as_str())
                // A price version is named by its month.
                .or_else(|| i["effectiveFrom"].as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// The documented path with each `{parameter}` replaced by the id of something
/// that exists: the parameter names an item of the collection before it. Where a
/// later parameter needs the earlier item to have children, the candidates are
/// tried until one does. None when the demo holds nothing there.
async fn resolve(
    app: &TestApp,
    reader: &str,
    path: &str,
    cache: &mut BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Box::pin(resolve_from(app, reader, &segments, String::new(), cache)).await
}

async fn resolve_from(
    app: &TestApp,
    reader: &str,
    rest: &[&str],
    done: String,
    cache: &mut BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let Some((first, tail)) = rest.split_first() else {
        return Some(done);
    };
    if !first.starts_with('{') {
        return Box::pin(resolve_from(
            app,
            reader,
            tail,
            format!("{done}/{first}"),
            cache,
        ))
        .await;
    }
    if !cache.contains_key(&done) {
        let found = ids_in(app, reader, &done).await;
        cache.insert(done.clone(), found);
    }
    let candidates = cache.get(&done).cloned().unwrap_or_default();
    let needs_children = tail.iter().any(|s| s.starts_with('{'));
    for id in candidates.into_iter().take(12) {
        let here = format!("{done}/{id}");
        if !needs_children {
            return Box::pin(resolve_from(app, reader, tail, here, cache)).await;
        }
        if let Some(p) = Box::pin(resolve_from(app, reader, tail, here, cache)).await {
            return Some(p);
        }
    }
    None
}

#[tokio::test]
async fn every_guarded_route_asks_the_policy_and_refuses_a_caller_without_the_permission() {
    let app = TestApp::spawn(Backend::Sqlite, |mut c| {
        c.app.policy_trace = true;
        c.app.rate_limit_principal_per_min = 1_000_000;
        c
    })
    .await;
    let people = partnerd::demo::seed(&app.app).await.expect("demo data");
    // One full session per demo organisation (the operator first), and a key of
    // that organisation holding no role.
    let mut orgs = Vec::new();
    let mut seen = Vec::new();
    for (org, email, _) in &people {
        if seen.contains(org) {
            continue;
        }
        let Some(reader) = full_session(&app, &people, email).await else {
            continue;
        };
        let Some(key) = roleless_key(&app, &reader).await else {
            continue; // not this organisation's global admin; try its next person
        };
        seen.push(org.clone());
        // What the policy lets that key do, by action.
        let permissions = app.get("/v1/me/permissions", &key).await;
        let allowed: Vec<Action> = permissions.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|p| p["allowed"] == true)
            .filter_map(|p| p["action"].as_str().and_then(Action::parse))
            .collect();
        orgs.push((reader, key, allowed));
    }
    assert!(orgs.len() >= 4, "the demo has organisations of every kind");
    let operator = orgs[0].0.clone();

    let doc = app.get("/v1/openapi.json", &operator).await;
    let doc = doc.ok(200).clone();
    let paths = doc["paths"].as_object().expect("paths");
    let mut caches: Vec<BTreeMap<String, Vec<String>>> = vec![BTreeMap::new(); orgs.len()];
    let mut problems = Vec::new();
    let mut refused = 0;
    let mut unresolved = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            if OPEN.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let annotated = op["x-partnerd-action"].as_str().map(|a| {
                Action::parse(a).unwrap_or_else(|| panic!("{method} {path}: unknown action {a}"))
            });
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let body = matches!(method.as_str(), "post" | "patch" | "put").then(|| json!({}));
            // The first organisation that sees the ids and may be asked at all:
            // a 404 before any policy question means it cannot see them, a 409
            // wrong_organization_kind that the route is for another kind.
            let mut answer = None;
            for (n, (reader, key, allowed)) in orgs.iter().enumerate() {
                let Some(concrete) = resolve(&app, reader, path, &mut caches[n]).await else {
                    continue;
                };
                let res = app
                    .call(m.clone(), &concrete, Some(key), body.clone())
                    .await;
                // Guards, in order; `~` marks a query that only shapes visibility.
                let trace = res
                    .header("partnerd-policy-asked")
                    .unwrap_or_else(|| panic!("{method} {path}: the trace header is missing"))
                    .to_owned();
                let asked: Vec<Action> = trace
                    .split(',')
                    .filter(|s| !s.is_empty() && !s.starts_with('~'))
                    .map(|s| Action::parse(s).expect("a known action"))
                    .collect();
                let status = res.status.as_u16();
                // A real id answered 404 after a policy query this key fails: the
                // policy hid the resource, which is its refusal.
                let hidden = status == 404
                    && trace.split(',').any(|q| {
                        q.strip_prefix('~')
                            .and_then(Action::parse)
                            .is_some_and(|a| !allowed.contains(&a))
                    });
                let elsewhere = (status == 404 && asked.is_empty() && !hidden)
                    || (status == 409 && res.body["code"] == "wrong_organization_kind");
                answer = Some((concrete, res, asked, allowed.clone(), hidden));
                if !elsewhere {
                    break;
                }
            }
            let (concrete, res, asked, allowed, hidden) = match answer {
                Some(a) => a,
                None => {
                    // Nothing in the demo to name: an id nobody has, and then only
                    // a refusal before the lookup (403) passes; 404 does not.
                    unresolved.push(format!("{method} {path}"));
                    let (_, key, allowed) = &orgs[0];
                    let concrete = crate::ops::concrete_path(path);
                    let res = app
                        .call(m.clone(), &concrete, Some(key), body.clone())
                        .await;
                    let asked: Vec<Action> = res
                        .header("partnerd-policy-asked")
                        .unwrap_or_default()
                        .split(',')
                        .filter(|s| !s.is_empty() && !s.starts_with('~'))
                        .map(|s| Action::parse(s).expect("a known action"))
                        .collect();
                    (concrete, res, asked, allowed.clone(), false)
                }
            };
            let status = res.status.as_u16();
            let text: String = res.text.chars().take(240).collect();
            // Refused by a guard asked before the documented one (a roleless key
            // fails the first guard on the way).
            let refused_earlier =
                status == 403 && asked.last().is_some_and(|last| !allowed.contains(last));
            if hidden {
                refused += 1;
                continue;
            }
            let action = match annotated {
                None if asked.is_empty() => continue, // self-service: nothing to refuse
                None => {
                    problems.push(format!(
                        "{method} {path}: asks {asked:?} but the document names no action"
                    ));
                    continue;
                }
                Some(_) if refused_earlier => {
                    refused += 1;
                    continue;
                }
                Some(a) if !asked.contains(&a) => {
                    problems.push(format!(
                        "{method} {concrete}: documented as {} but asked {asked:?} ({status}: {text})",
                        a.as_str()
                    ));
                    continue;
                }
                Some(a) => a,
            };
            if allowed.contains(&action) {
                continue;
            }
            // Refused: 403, or 404 when the policy hides the resource itself (it
            // was asked, and the id is real), or 409 for the wrong kind.
            let wrong_kind = status == 409 && res.body["code"] == "wrong_organization_kind";
            let real_ids = unresolved.last() != Some(&format!("{method} {path}"));
            if status == 403 || (status == 404 && real_ids) || wrong_kind {
                refused += 1;
            } else {
                problems.push(format!(
                    "{method} {concrete}: a key without roles asked {} and got {status}: {text}",
                    action.as_str()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        unresolved.len() <= 8,
        "called with ids nobody has (so only a 403 passed): {unresolved:?}"
    );
    assert!(refused >= 100, "{refused} guarded operations refused");
    println!("{refused} guarded operations refused a key without roles");
    app.shutdown().await;
}
