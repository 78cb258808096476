//! The portal over HTTP: sign-in, forced password change, dashboard, CSRF, sign-out.

use crate::both;
use crate::helpers::{NEW_PASSWORD, OPERATOR_EMAIL, TestApp};

/// A tiny browser: keeps cookies by name, reads forms' CSRF fields.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
    pub set_cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: vec![],
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sets a cookie as if the server had (a session made through the API).
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    async fn finish(&mut self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let set_cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for c in &set_cookies {
            let Some((kv, _)) = c.split_once(';') else {
                continue;
            };
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
        Page {
            status,
            location,
            html: res.text().await.unwrap_or_default(),
            set_cookies,
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("get");
        self.finish(res).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded_pairs(form);
        let res = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post");
        self.finish(res).await
    }
}

fn form_urlencoded_pairs(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the hidden `csrf` field.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a csrf field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn sign_in_forces_a_password_change_then_shows_the_dashboard(app: TestApp) {
    let temporary = app.bootstrap().await;
    let mut b = Browser::new(&app);

    let home = b.get("/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location.as_deref(), Some("/signin?next=%2F"));
    assert!(
        home.set_cookies
            .iter()
            .any(|c| c.starts_with("partnerd_presession=") && c.contains("HttpOnly"))
    );

    let signin = b.get("/signin?next=/activity").await;
    assert_eq!(signin.status, 200);
    assert!(
        signin.html.contains("<label for=\"email\">"),
        "labelled fields"
    );
    let csrf = csrf_of(&signin.html);

    // A wrong password is shown next to the form, nothing else happens.
    let wrong = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("email", OPERATOR_EMAIL),
                ("password", "not my password at all"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("wrong"), "the error is shown");
    assert!(b.cookie("partnerd_session").is_none());

    // Without the CSRF token nothing happens.
    let forged = b
        .post(
            "/signin",
            &[
                ("csrf", "forged"),
                ("email", OPERATOR_EMAIL),
                ("password", &temporary),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    let ok = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("email", OPERATOR_EMAIL),
                ("password", &temporary),
                ("next", "/activity"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(
        ok.location.as_deref(),
        Some("/password"),
        "a temporary password leads to the change"
    );
    let session_cookie = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("partnerd_session="))
        .expect("session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));

    // Until the change, every page leads back to it.
    for path in ["/", "/activity", "/settings/api-keys"] {
        let p = b.get(path).await;
        assert_eq!(
            (p.status, p.location.as_deref()),
            (303, Some("/password")),
            "{path}"
        );
    }
    let form = b.get("/password").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("temporary password"));
    let csrf = csrf_of(&form.html);
    let weak = b
        .post(
            "/password",
            &[
                ("csrf", &csrf),
                ("current_password", &temporary),
                ("new_password", "passwordpassword"),
                ("confirm_password", "passwordpassword"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(
        weak.html.contains("field-error"),
        "the reason is shown next to the field"
    );
    let differ = b
        .post(
            "/password",
            &[
                ("csrf", &csrf),
                ("current_password", &temporary),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", "something else"),
            ],
        )
        .await;
    assert_eq!(differ.status, 422);
    let done = b
        .post(
            "/password",
            &[
                ("csrf", &csrf),
                ("current_password", &temporary),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/")));

    let dash = b.get("/").await;
    assert_eq!(dash.status, 200);
    assert!(dash.html.contains("Dashboard") && dash.html.contains("Operator Inc"));
    assert!(
        dash.html.contains("href=\"/activity\"")
            && dash.html.contains("href=\"/settings/api-keys\""),
        "a global admin sees both areas"
    );
    let activity = b.get("/activity").await;
    assert_eq!(activity.status, 200);
    assert!(activity.html.contains("signIn"));

    // Sign out ends the session.
    let csrf = csrf_of(&dash.html);
    let out = b.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (out.status, out.location.as_deref()),
        (303, Some("/signin"))
    );
    assert_eq!(b.get("/").await.status, 303);
    app.shutdown().await;
}
both!(sign_in_forces_a_password_change_then_shows_the_dashboard);

async fn redirects_stay_local_and_errors_show_the_request_id(app: TestApp) {
    app.operator_token().await;
    let mut b = Browser::new(&app);
    let page = b.get("/signin").await;
    let csrf = csrf_of(&page.html);
    let ok = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("email", OPERATOR_EMAIL),
                ("password", NEW_PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/"));
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("Request id"));
    app.shutdown().await;
}
both!(redirects_stay_local_and_errors_show_the_request_id);

async fn api_keys_page_shows_the_secret_once_and_confirms_revocation(app: TestApp) {
    app.operator_token().await;
    let mut b = Browser::new(&app);
    let page = b.get("/signin").await;
    let csrf = csrf_of(&page.html);
    b.post(
        "/signin",
        &[
            ("csrf", &csrf),
            ("email", OPERATOR_EMAIL),
            ("password", NEW_PASSWORD),
        ],
    )
    .await;
    let keys = b.get("/settings/api-keys").await;
    // Signing in changed the form token (it is bound to the session).
    let csrf = csrf_of(&keys.html);
    assert!(
        keys.html.contains("No API keys yet"),
        "a helpful empty state"
    );
    let created = b
        .post(
            "/settings/api-keys",
            &[
                ("csrf", &csrf),
                ("name", "Exporter"),
                ("roles", "adminAgent"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    assert!(created.html.contains("shown only this once"));
    let secret_start = created.html.find("pdk_").expect("secret shown");
    let secret: String = created.html[secret_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let listed = b.get("/settings/api-keys").await;
    assert!(
        listed.html.contains("Exporter") && !listed.html.contains(&secret),
        "never shown again"
    );
    let me = app.get("/v1/me", &secret).await;
    assert_eq!(me.ok(200)["apiKey"]["name"], "Exporter");
    let id = me.body["apiKey"]["id"].as_str().expect("id").to_owned();
    let confirm = b.get(&format!("/settings/api-keys/{id}/revoke")).await;
    assert!(confirm.html.contains("cannot be undone"));
    let revoked = b
        .post(
            &format!("/settings/api-keys/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    app.get("/v1/me", &secret)
        .await
        .problem(401, "unauthenticated");
    let invalid = b
        .post("/settings/api-keys", &[("csrf", &csrf), ("name", "")])
        .await;
    assert_eq!(invalid.status, 422);
    app.shutdown().await;
}
both!(api_keys_page_shows_the_secret_once_and_confirms_revocation);

async fn user_management_pages_add_edit_reset_and_delete(app: TestApp) {
    app.operator_token().await;
    let mut b = Browser::new(&app);
    let page = b.get("/signin").await;
    let csrf = csrf_of(&page.html);
    b.post(
        "/signin",
        &[
            ("csrf", &csrf),
            ("email", OPERATOR_EMAIL),
            ("password", NEW_PASSWORD),
        ],
    )
    .await;
    let list = b.get("/settings/users").await;
    assert_eq!(list.status, 200);
    // Signing in changed the form token (it is bound to the session).
    let csrf = csrf_of(&list.html);
    assert!(list.html.contains(OPERATOR_EMAIL));
    let form = b.get("/settings/users/new").await;
    assert!(
        form.html.contains("Not an agent")
            && form
                .html
                .contains("What the Helpdesk agent role can and cannot do")
    );
    assert!(
        form.html.contains("search and view customers"),
        "role descriptions come from the policy table"
    );

    // Errors are shown next to their fields and nothing is created.
    let bad = b
        .post(
            "/settings/users/new",
            &[
                ("csrf", &csrf),
                ("first_name", "Hal"),
                ("last_name", ""),
                ("email", "nope"),
                ("agent_role", "helpdeskAgent"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("field-error"));
    let created = b
        .post(
            "/settings/users/new",
            &[
                ("csrf", &csrf),
                ("first_name", "Hal"),
                ("last_name", "Desk"),
                ("email", "hal@operator.example"),
                ("agent_role", "helpdeskAgent"),
                ("admin_roles", "billingAdmin"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    assert!(
        created.html.contains("shown only this once") && created.html.contains("Copy password")
    );
    assert!(
        created
            .html
            .contains("data-copy=\"temporary-password\" hidden"),
        "the copy button needs script, so the page without it hides it"
    );
    let marker = "id=\"temporary-password\" type=\"text\" readonly value=\"";
    let start = created.html.find(marker).expect("password field") + marker.len();
    let temporary: String = created.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(temporary.len() >= 20);
    let again = b
        .post(
            "/settings/users/new",
            &[
                ("csrf", &csrf),
                ("first_name", "Hal"),
                ("last_name", "Two"),
                ("email", "HAL@operator.example"),
            ],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.html.contains("already a user"));

    let token = app
        .sign_in("hal@operator.example", &temporary)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let me = app.get("/v1/me", &token).await.ok(200).clone();
    assert_eq!(
        me["roles"],
        serde_json::json!(["billingAdmin", "helpdeskAgent"])
    );
    let id = me["user"]["id"].as_str().expect("id").to_owned();

    // Edit: roles change; the form carries the ETag.
    let detail = b.get(&format!("/settings/users/{id}")).await;
    assert!(detail.html.contains("Save changes"));
    let etag_marker = "name=\"etag\" value=\"";
    let start = detail.html.find(etag_marker).expect("etag") + etag_marker.len();
    let etag: String = detail.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let saved = b
        .post(
            &format!("/settings/users/{id}"),
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("first_name", "Hal"),
                ("last_name", "Desk"),
                ("agent_role", "salesAgent"),
            ],
        )
        .await;
    assert_eq!(
        (saved.status, saved.location.as_deref()),
        (303, Some(format!("/settings/users/{id}?saved=1").as_str()))
    );
    assert_eq!(
        app.get("/v1/me", &token).await.ok(200)["roles"],
        serde_json::json!(["salesAgent"])
    );
    // The old ETag is stale now: the page says so and changes nothing.
    let stale = b
        .post(
            &format!("/settings/users/{id}"),
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("first_name", "Hal"),
                ("last_name", "Desk"),
                ("agent_role", "adminAgent"),
            ],
        )
        .await;
    assert_eq!(stale.status, 412);
    assert!(stale.html.contains("changed this user"));

    let why = b.get(&format!("/settings/users/{id}/permissions")).await;
    assert!(why.html.contains("Manage leads") || why.html.contains("manage leads"));

    let confirm = b.get(&format!("/settings/users/{id}/resetpassword")).await;
    assert!(confirm.html.contains("signed out everywhere"));
    let reset = b
        .post(
            &format!("/settings/users/{id}/resetpassword"),
            &[("csrf", &csrf)],
        )
        .await;
    assert!(reset.html.contains("Temporary password"));
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");

    let confirm = b.get(&format!("/settings/users/{id}/delete")).await;
    assert!(confirm.html.contains("cannot be undone"));
    let start = confirm.html.find(etag_marker).expect("etag") + etag_marker.len();
    let etag: String = confirm.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let deleted = b
        .post(
            &format!("/settings/users/{id}/delete"),
            &[("csrf", &csrf), ("etag", &etag)],
        )
        .await;
    assert_eq!(
        deleted.location.as_deref(),
        Some("/settings/users?done=deleted")
    );
    assert!(
        !b.get("/settings/users")
            .await
            .html
            .contains("hal@operator.example")
    );
    app.shutdown().await;
}
both!(user_management_pages_add_edit_reset_and_delete);

async fn menus_show_only_what_the_user_may_do(app: TestApp) {
    let admin = app.operator_token().await;
    let (_, _) =
        crate::users::add_signed_in_user(&app, &admin, "sally@operator.example", &["salesAgent"])
            .await;
    let mut b = Browser::new(&app);
    let page = b.get("/signin").await;
    let csrf = csrf_of(&page.html);
    b.post(
        "/signin",
        &[
            ("csrf", &csrf),
            ("email", "sally@operator.example"),
            ("password", NEW_PASSWORD),
        ],
    )
    .await;
    let dash = b.get("/").await;
    assert!(dash.html.contains("What can I do?"));
    for hidden in ["/settings/users\"", "/settings/api-keys\"", "/activity\""] {
        assert!(
            !dash.html.contains(hidden),
            "{hidden} is not in a sales agent's menu"
        );
    }
    // Going there anyway explains why not.
    let refused = b.get("/settings/users").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .html
            .contains("Global admin or User management admin"),
        "the page says why"
    );
    let mine = b.get("/account/permissions").await;
    assert!(mine.html.contains("Place orders and change subscriptions"));
    app.shutdown().await;
}
both!(menus_show_only_what_the_user_may_do);

/// Signs a browser in with a known password; returns it with the form token.
pub async fn signed_in_browser<'a>(app: &'a TestApp, email: &str) -> (Browser<'a>, String) {
    let mut b = Browser::new(app);
    let page = b.get("/signin").await;
    let csrf = csrf_of(&page.html);
    let res = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{email} signs in");
    // Signing in changed the form token: it is bound to the session now.
    let dash = b.get("/").await;
    let csrf = csrf_of(&dash.html);
    (b, csrf)
}

async fn the_operator_console_catalog_and_directory_pages(app: TestApp) {
    app.operator_token().await;
    let (mut op, csrf) = signed_in_browser(&app, OPERATOR_EMAIL).await;

    // Catalog: a helpful empty state, then an offer through the form.
    let empty = op.get("/catalog").await;
    assert!(empty.html.contains("The catalog is empty") && empty.html.contains("Add offer"));
    let bad = op
        .post(
            "/catalog/new",
            &[
                ("csrf", &csrf),
                ("id", "m365 e3"),
                ("name", "E3"),
                ("product_family", "Microsoft 365"),
                ("price_p1m_monthly", "36.001"),
                ("min_quantity", "1"),
                ("max_quantity", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.html.matches("field-error").count() >= 3,
        "each field says what is wrong"
    );
    let made = op
        .post(
            "/catalog/new",
            &[
                ("csrf", &csrf),
                ("id", "m365-e3"),
                ("name", "Microsoft 365 E3"),
                ("product_family", "Microsoft 365"),
                ("price_p1m_monthly", "36.00"),
                ("min_quantity", "1"),
                ("max_quantity", "300"),
            ],
        )
        .await;
    assert_eq!(
        made.location.as_deref(),
        Some("/catalog/m365-e3?done=created")
    );
    let detail = op.get("/catalog/m365-e3?done=created").await;
    assert!(detail.html.contains("was added to the catalog") && detail.html.contains("36.00 USD"));
    let etag_marker = "name=\"etag\" value=\"";
    let start = detail.html.find(etag_marker).expect("etag") + etag_marker.len();
    let etag: String = detail.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let saved = op
        .post(
            "/catalog/m365-e3",
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("name", "Microsoft 365 E3"),
                ("product_family", "Microsoft 365"),
                ("price_p1m_monthly", "38"),
                ("min_quantity", "1"),
                ("max_quantity", "300"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/catalog/m365-e3?done=saved")
    );
    // The new price is next month's; this month's stays.
    let list = op.get("/catalog").await.html;
    assert!(
        list.contains("1 month, billed monthly — 36.00 USD per seat per month"),
        "{list}"
    );
    let detail = op.get("/catalog/m365-e3").await.html;
    assert!(detail.contains("1 month, billed monthly — 38.00 USD per seat per month"));

    // Organisations: create a partner, then authorise it as provider.
    let created = op
        .post(
            "/operator/organizations/new",
            &[
                ("csrf", &csrf),
                ("name", "Wingtip"),
                ("legal_name", "Wingtip Toys Ltd"),
                ("country", "GB"),
                ("domain_prefix", "wingtip"),
                ("admin_first_name", "Wanda"),
                ("admin_last_name", "Wing"),
                ("admin_email", "wanda@wingtip.example"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    assert!(created.html.contains("shown only this once"));
    let marker = "id=\"temporary-password\" type=\"text\" readonly value=\"";
    let start = created.html.find(marker).expect("password") + marker.len();
    let temporary: String = created.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let taken = op
        .post(
            "/operator/organizations/new",
            &[
                ("csrf", &csrf),
                ("name", "Other"),
                ("legal_name", "Other Ltd"),
                ("country", "GB"),
                ("domain_prefix", "wingtip"),
                ("admin_first_name", "O"),
                ("admin_last_name", "T"),
                ("admin_email", "o@other.example"),
            ],
        )
        .await;
    assert_eq!(taken.status, 409);
    assert!(taken.html.contains("is taken"));
    let orgs = op.get("/operator/organizations?kind=partner").await;
    let link_start = orgs
        .html
        .find("/operator/organizations/org_")
        .expect("org link")
        + "/operator/organizations/".len();
    let org_id: String = orgs.html[link_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let page = op.get(&format!("/operator/organizations/{org_id}")).await;
    assert!(page.html.contains("Authorise as indirect provider"));
    let refused = op
        .post(
            &format!("/operator/organizations/{org_id}/authorization"),
            &[("csrf", &csrf), ("countries", "")],
        )
        .await;
    assert_eq!(refused.status, 422);
    let ok = op
        .post(
            &format!("/operator/organizations/{org_id}/authorization"),
            &[
                ("csrf", &csrf),
                ("countries", "gb, ie"),
                ("product_families", "Microsoft 365"),
            ],
        )
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some(format!("/operator/organizations/{org_id}?done=authorized").as_str())
    );
    assert!(
        op.get(&format!("/operator/organizations/{org_id}"))
            .await
            .html
            .contains("for GB, IE and Microsoft 365")
    );

    // The provider keeps its listing; everyone finds it in the directory.
    let restricted = app
        .sign_in("wanda@wingtip.example", &temporary)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    app.post(
        "/v1/me/password",
        &restricted,
        serde_json::json!({"currentPassword": temporary, "newPassword": NEW_PASSWORD}),
    )
    .await
    .ok(200);
    let (mut wanda, wcsrf) = signed_in_browser(&app, "wanda@wingtip.example").await;
    let listing = wanda.get("/settings/directory-listing").await;
    assert_eq!(listing.status, 200);
    let start = listing.html.find(etag_marker).expect("etag") + etag_marker.len();
    let etag: String = listing.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let bad = wanda
        .post(
            "/settings/directory-listing",
            &[
                ("csrf", &wcsrf),
                ("etag", &etag),
                ("description", "Toys and clouds"),
                ("website", "not a site"),
                ("listed", "on"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let saved = wanda
        .post(
            "/settings/directory-listing",
            &[
                ("csrf", &wcsrf),
                ("etag", &etag),
                ("description", "Toys and clouds"),
                ("website", "https://wingtip.example"),
                ("contact_email", "hello@wingtip.example"),
                ("listed", "on"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/settings/directory-listing?done=1")
    );
    let dir = op.get("/directory?country=gb").await;
    assert!(dir.html.contains("Wingtip") && dir.html.contains("hello@wingtip.example"));
    assert!(
        op.get("/directory?country=US")
            .await
            .html
            .contains("No authorised provider matches")
    );
    let profile = op.get(&format!("/directory/{org_id}")).await;
    assert!(
        profile.html.contains("Toys and clouds")
            && profile.html.contains("https://wingtip.example")
    );

    // Partners read the catalog but cannot change it.
    let catalog = wanda.get("/catalog").await;
    assert!(catalog.html.contains("Microsoft 365 E3") && !catalog.html.contains("Add offer"));
    assert_eq!(wanda.get("/catalog/new").await.status, 403);
    assert_eq!(wanda.get("/operator/organizations").await.status, 403);

    let confirm = op.get("/catalog/m365-e3/retire").await;
    assert!(confirm.html.contains("cannot be undone"));
    let retired = op.post("/catalog/m365-e3/retire", &[("csrf", &csrf)]).await;
    assert_eq!(retired.location.as_deref(), Some("/catalog?done=retired"));
    let withdraw = op
        .post(
            &format!("/operator/organizations/{org_id}/authorization/withdraw"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(withdraw.status, 303);
    assert!(!op.get("/directory").await.html.contains("Wingtip"));
    app.shutdown().await;
}
both!(the_operator_console_catalog_and_directory_pages);

async fn the_operator_keeps_the_registry_and_reviews_enrollments_in_the_portal(app: TestApp) {
    app.operator_token().await;
    let (mut op, csrf) = signed_in_browser(&app, OPERATOR_EMAIL).await;
    let empty = op.get("/operator/registry").await;
    assert!(empty.html.contains("No memberships yet"));
    let bad = op
        .post(
            "/operator/registry/memberships",
            &[
                ("csrf", &csrf),
                ("membership_id", "12"),
                ("legal_name", "Pixel GmbH"),
                ("country", "de"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("6–12 digits"));
    let ok = op
        .post(
            "/operator/registry/memberships",
            &[
                ("csrf", &csrf),
                ("membership_id", "60000001"),
                ("legal_name", "Pixel GmbH"),
                ("country", "de"),
            ],
        )
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/operator/registry?done=membership")
    );
    let weak = op
        .post(
            "/operator/registry/accounts",
            &[
                ("csrf", &csrf),
                ("username", "pixel"),
                ("password", "short"),
                ("membership_ids", "60000001"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    let ok = op
        .post(
            "/operator/registry/accounts",
            &[
                ("csrf", &csrf),
                ("username", "pixel"),
                ("password", crate::enrollment::REGISTRY_PASSWORD),
                ("membership_ids", "60000001"),
            ],
        )
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/operator/registry?done=account")
    );
    assert!(
        op.get("/operator/registry")
            .await
            .html
            .contains("Pixel GmbH")
    );

    // An applicant enrolls through the API; the operator reviews in the portal.
    let started = app
        .call(
            reqwest::Method::POST,
            "/v1/enrollments",
            None,
            Some(crate::enrollment::tenant_with_password(
                "pixel-res",
                "p@pixel-res.example",
            )),
        )
        .await;
    let body = started.ok(201).clone();
    let (token, id) = (
        body["session"]["token"].as_str().expect("t").to_owned(),
        body["id"].as_str().expect("id").to_owned(),
    );
    let base = format!("/v1/enrollments/{id}");
    let ms = app.post(&format!("{base}/membership/signin"), &token, serde_json::json!({"username": "pixel", "password": crate::enrollment::REGISTRY_PASSWORD})).await;
    let ms = ms.ok(200)["membershipSessionToken"]
        .as_str()
        .expect("t")
        .to_owned();
    app.call(
        reqwest::Method::PUT,
        &format!("{base}/membership"),
        Some(&token),
        Some(serde_json::json!({"membershipSessionToken": ms, "membershipId": "60000001"})),
    )
    .await
    .ok(200);
    app.call(
        reqwest::Method::PUT,
        &format!("{base}/legalprofile"),
        Some(&token),
        Some(crate::enrollment::legal("pia@pixel-res.example")),
    )
    .await
    .ok(200);
    app.call(
        reqwest::Method::PUT,
        &format!("{base}/supportprofile"),
        Some(&token),
        Some(serde_json::from_str(crate::enrollment::SUPPORT).expect("json")),
    )
    .await
    .ok(200);
    app.drain_mail().await;
    let link = crate::enrollment::token_of(
        &crate::enrollment::last_mail(&app, "email_verification").expect("mail"),
    );
    // The landing page's GET does not use the link up.
    let mut contact = Browser::new(&app);
    let landing = contact.get(&format!("/verify-email?token={link}")).await;
    assert!(landing.html.contains("Confirm my address"));
    let confirmed = contact
        .post(
            "/verify-email",
            &[("csrf", &csrf_of(&landing.html)), ("token", &link)],
        )
        .await;
    assert!(confirmed.html.contains("is confirmed"));
    let again = contact
        .post(
            "/verify-email",
            &[("csrf", &csrf_of(&landing.html)), ("token", &link)],
        )
        .await;
    assert_eq!(again.status, 409);
    app.post(&format!("{base}/submit"), &token, serde_json::json!({}))
        .await
        .ok(200);

    let queue = op.get("/operator/enrollments").await;
    assert!(
        queue.html.contains("Contoso Reseller GmbH"),
        "the queue shows pending reviews by default"
    );
    let detail = op.get(&format!("/operator/enrollments/{id}")).await;
    assert!(detail.html.contains("Approve") && detail.html.contains("Reason for rejecting"));
    let no_reason = op
        .post(
            &format!("/operator/enrollments/{id}/reject"),
            &[("csrf", &csrf), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, 422);
    let rejected = op
        .post(
            &format!("/operator/enrollments/{id}/reject"),
            &[("csrf", &csrf), ("reason", "Please add a support website.")],
        )
        .await;
    assert_eq!(rejected.status, 303);
    assert_eq!(app.get(&base, &token).await.ok(200)["status"], "rejected");
    app.post(&format!("{base}/submit"), &token, serde_json::json!({}))
        .await
        .ok(200);
    let approved = op
        .post(
            &format!("/operator/enrollments/{id}/approve"),
            &[("csrf", &csrf), ("note", "")],
        )
        .await;
    assert_eq!(approved.status, 303);
    assert_eq!(app.get(&base, &token).await.ok(200)["status"], "approved");
    assert!(
        op.get("/operator/registry")
            .await
            .html
            .contains("/operator/organizations/org_"),
        "the membership is linked"
    );
    app.shutdown().await;
}
both!(the_operator_keeps_the_registry_and_reviews_enrollments_in_the_portal);

async fn partner_profiles_page_shows_and_edits_the_profiles(app: TestApp) {
    let op = app.operator_token().await;
    crate::enrollment::approved_reseller(&app, &op, "pagedprof", "81000001").await;
    let (mut b, csrf) = signed_in_browser(&app, "gina@pagedprof.example").await;
    let page = b.get("/settings/profiles").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("81000001") && page.html.contains("Contoso Reseller GmbH"));
    let fields = [
        ("legal_name", "Paged Prof GmbH"),
        ("line1", "Hauptstr. 1"),
        ("postal_code", "10115"),
        ("city", "Berlin"),
        ("address_country", "DE"),
        ("phone", "+49 30 1"),
        ("contact_first_name", "Pia"),
        ("contact_last_name", "Primary"),
        ("support_email", "help@pagedprof.example"),
        ("support_phone", "+49 30 2"),
    ];
    let mut bad: Vec<(&str, &str)> = vec![("csrf", &csrf), ("contact_email", "pia@yahoo.co.uk")];
    bad.extend(fields);
    let refused = b.post("/settings/profiles", &bad).await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("webmail"));
    let mut good: Vec<(&str, &str)> =
        vec![("csrf", &csrf), ("contact_email", "pia@pagedprof.example")];
    good.extend(fields);
    let saved = b.post("/settings/profiles", &good).await;
    assert_eq!(saved.location.as_deref(), Some("/settings/profiles?done=1"));
    assert!(
        b.get("/settings/profiles")
            .await
            .html
            .contains("Paged Prof GmbH")
    );
    app.shutdown().await;
}
both!(partner_profiles_page_shows_and_edits_the_profiles);

async fn a_provider_invites_and_a_reseller_authorises_it_in_the_portal(app: TestApp) {
    let op = app.operator_token().await;
    app.post(
        "/v1/offers",
        &op,
        crate::catalog::offer("m365", "Microsoft 365", "10"),
    )
    .await
    .ok(201);
    let provider = crate::roles::partner_admin(&app, &op, "dist-page").await;
    crate::catalog::authorize(
        &app,
        &op,
        &provider,
        serde_json::json!(["DE"]),
        serde_json::json!(["Microsoft 365"]),
    )
    .await;
    crate::enrollment::approved_reseller(&app, &op, "res-page", "92000001").await;

    let (mut p, pcsrf) = signed_in_browser(&app, "admin@dist-page.example").await;
    let page = p.get("/partners/resellers").await;
    assert!(
        page.html.contains("No indirect resellers yet"),
        "a helpful empty state"
    );
    let bad = p
        .post(
            "/partners/resellers",
            &[("csrf", &pcsrf), ("email", "nope")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let sent = p
        .post(
            "/partners/resellers",
            &[
                ("csrf", &pcsrf),
                ("email", "gina@res-page.example"),
                ("reseller_name", "Res Page"),
                ("message", "Welcome aboard"),
            ],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/partners/resellers?done=invited")
    );
    assert!(
        p.get("/partners/resellers")
            .await
            .html
            .contains("gina@res-page.example"),
        "pending invitations are listed"
    );
    app.drain_mail().await;
    let mail = crate::enrollment::last_mail(&app, "reseller_invitation").expect("mail");
    let link = crate::helpers::mail_header(&mail, "X-Partnerd-Link")
        .expect("link")
        .to_owned();
    let path = link.strip_prefix(&app.base).expect("local link").to_owned();

    // Before signing in, the page says who invites and what authorising means.
    let mut r = Browser::new(&app);
    let landing = r.get(&path).await;
    assert!(
        landing.html.contains("dist-page Ltd")
            && landing.html.contains("admin access to your tenant")
            && landing.html.contains("Sign in")
    );
    let page = r.get("/signin").await;
    let rcsrf = csrf_of(&page.html);
    r.post(
        "/signin",
        &[
            ("csrf", &rcsrf),
            ("email", "gina@res-page.example"),
            ("password", NEW_PASSWORD),
        ],
    )
    .await;
    let landing = r.get(&path).await;
    // Signing in changed the form token (it is bound to the session).
    let rcsrf = csrf_of(&landing.html);
    assert!(
        landing.html.contains("Authorize indirect provider")
            && landing.html.contains("type=\"checkbox\"")
    );
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let unticked = r
        .post(
            "/invitations/reseller",
            &[("csrf", &rcsrf), ("token", &token), ("decision", "accept")],
        )
        .await;
    assert_eq!(unticked.status, 422);
    assert!(unticked.html.contains("Tick the box"));
    let ok = r
        .post(
            "/invitations/reseller",
            &[
                ("csrf", &rcsrf),
                ("token", &token),
                ("consent", "yes"),
                ("decision", "accept"),
            ],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/partners/providers"));
    let providers = r.get("/partners/providers").await;
    assert!(providers.html.contains("dist-page Ltd"));
    let dash = r.get("/").await;
    assert!(
        dash.html.contains("Indirect providers") && !dash.html.contains(">Indirect resellers<"),
        "menus follow the programmes"
    );

    // The provider sees the reseller and ends the relationship after confirming.
    let list = p.get("/partners/resellers").await;
    assert!(list.html.contains("res-page Reseller"));
    let start = list
        .html
        .find("/partners/relationships/")
        .expect("end link")
        + "/partners/relationships/".len();
    let id: String = list.html[start..]
        .chars()
        .take_while(|c| *c != '/')
        .collect();
    let confirm = p
        .get(&format!("/partners/relationships/{id}/terminate"))
        .await;
    assert!(confirm.html.contains("Existing subscriptions continue"));
    let ended = p
        .post(
            &format!("/partners/relationships/{id}/terminate"),
            &[("csrf", &pcsrf), ("reason", "Test")],
        )
        .await;
    assert_eq!(
        ended.location.as_deref(),
        Some("/partners/resellers?done=ended")
    );
    assert!(
        r.get("/partners/providers")
            .await
            .html
            .contains("You work with no indirect provider yet")
    );
    app.shutdown().await;
}
both!(a_provider_invites_and_a_reseller_authorises_it_in_the_portal);
