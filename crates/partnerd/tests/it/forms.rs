//! Every form of the portal refuses a forged or missing CSRF token and changes
//! nothing. The forms are not listed by hand: the test signs in as a person of each
//! demo organisation, follows the portal's own links (one page per shape of
//! address), collects every `<form method="post">` it finds, and posts each one
//! without a valid token. A handler that read its form without `CsrfForm` would
//! answer something other than 403 here. The same crawl checks every page it
//! reaches against the security baseline: its headers, and no inline script or
//! style for the Content-Security-Policy to block (API-platform.md §2.1).

use std::collections::{BTreeSet, VecDeque};

use crate::helpers::{Backend, TestApp};
use crate::pages::Browser;
use crate::policy::full_session;

/// Pages visited per person, at most.
const MAX_PAGES: usize = 300;

/// `/customers/org_3f…/users/usr_9a…` → `/customers/*/users/*`: pages of one shape
/// render the same forms.
fn shape(path: &str) -> String {
    let (path, _) = path.split_once('?').unwrap_or((path, ""));
    path.split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) || seg.len() > 24 {
                "*"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&").replace("&quot;", "\"")
}

/// The value of `name="…"` inside one tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    tag[start..].split('"').next().map(unescape)
}

/// Local links of a page (not assets, not other origins).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .filter(|h| h.starts_with('/') && !h.starts_with("//") && !h.starts_with("/assets/"))
        .collect()
}

/// The actions of a page's `method="post"` forms.
fn post_forms(html: &str) -> Vec<String> {
    html.split("<form")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| attribute(tag, "method").as_deref() == Some("post"))
        .filter_map(|tag| attribute(tag, "action"))
        .collect()
}

async fn audit_total(app: &TestApp, operator: &str) -> i64 {
    let res = app.get("/v1/auditrecords?size=1", operator).await;
    res.ok(200)["totalCount"].as_i64().expect("totalCount")
}

#[tokio::test]
async fn every_portal_form_refuses_a_forged_or_missing_token_and_changes_nothing() {
    let app = TestApp::spawn(Backend::Sqlite, |mut c| {
        c.app.rate_limit_principal_per_min = 1_000_000;
        c
    })
    .await;
    let people = partnerd::demo::seed(&app.app).await.expect("demo data");

    // One person per organisation, signed in, and what the portal shows them.
    let mut seen_orgs = BTreeSet::new();
    let mut sessions = Vec::new();
    for (org, email, _) in &people {
        if !seen_orgs.insert(org.clone()) {
            continue;
        }
        if let Some(token) = full_session(&app, &people, email).await {
            sessions.push((email.clone(), token));
        }
    }
    assert!(
        sessions.len() >= 4,
        "the demo has organisations of every kind"
    );
    let operator = sessions[0].1.clone();

    let mut forms: BTreeSet<(usize, String)> = BTreeSet::new();
    for (i, (email, token)) in sessions.iter().enumerate() {
        let mut b = Browser::new(&app);
        b.set_cookie("partnerd_session", token);
        let mut queue = VecDeque::from(["/".to_owned()]);
        let mut shapes = BTreeSet::new();
        let mut visited = 0;
        while let Some(path) = queue.pop_front() {
            if visited == MAX_PAGES {
                break;
            }
            if !shapes.insert(shape(&path)) {
                continue;
            }
            visited += 1;
            let page = b.get(&path).await;
            if page.status != 200 {
                continue;
            }
            // The security baseline (API-platform.md §2.1) on every page reached.
            crate::trust::assert_self_contained_page(&path, &page.html);
            crate::trust::assert_baseline_headers(&page.headers, "no-store", &path);
            for action in post_forms(&page.html) {
                forms.insert((i, action));
            }
            queue.extend(links(&page.html));
        }
        assert!(visited > 5, "{email} sees more than a few pages");
    }
    assert!(
        forms.len() >= 40,
        "the crawl found the portal's forms: only {}",
        forms.len()
    );

    eprintln!("{} forms of {} people", forms.len(), sessions.len());
    let before = audit_total(&app, &operator).await;
    let mut accepted = Vec::new();
    for (i, action) in &forms {
        let mut b = Browser::new(&app);
        b.set_cookie("partnerd_session", &sessions[*i].1);
        // The browser's CSRF cookie, from any page.
        b.get("/").await;
        for fields in [&[("csrf", "forged")][..], &[][..]] {
            let res = b.post(action, fields).await;
            if res.status != 403 {
                accepted.push(format!(
                    "{} POST {action} with {fields:?}: {}",
                    sessions[*i].0, res.status
                ));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "forms that did not refuse a forged token:\n{}",
        accepted.join("\n")
    );
    assert_eq!(
        audit_total(&app, &operator).await,
        before,
        "a refused form changed nothing"
    );
    app.shutdown().await;
}
