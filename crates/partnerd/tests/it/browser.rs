//! Journeys in headless Chromium (Debian's `chromium` + `chromium-driver`) through
//! WebDriver. Skipped with a notice when the browser is missing; required under CI.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::{Backend, NEW_PASSWORD, OPERATOR_EMAIL, TestApp};

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// chromedriver in its own process group, killed (with its Chromium) on drop.
pub(crate) struct Driver {
    child: Child,
    pub(crate) client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

pub(crate) async fn browser() -> Option<Driver> {
    let (Some(chromium), Some(driver)) = (
        find(&["chromium", "chromium-browser", "google-chrome"]),
        find(&["chromedriver"]),
    ) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Chromium and chromedriver are required under CI=true"
        );
        eprintln!("skipping the browser test: install chromium and chromium-driver to run it");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut cmd = Command::new(driver);
    cmd.arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn().expect("start chromedriver");
    let profile = tempfile::tempdir().expect("profile dir");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--user-data-dir={}", profile.path().display()),
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-quic", "--no-first-run", "--window-size=1280,900"]
        }),
    );
    let mut d = Driver {
        child,
        client: None,
        _profile: profile,
    };
    // chromedriver needs a moment before it accepts connections.
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                d.client = Some(c);
                return Some(d);
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("chromedriver did not accept a session");
}

/// Finds an element, waiting (up to 20 s) for the page that holds it to load.
async fn wait_find(
    c: &Client,
    locator: Locator<'_>,
) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(locator)
        .await
}

pub(crate) async fn fill(c: &Client, id: &str, text: &str) {
    wait_find(c, Locator::Id(id))
        .await
        .expect(id)
        .send_keys(text)
        .await
        .expect("type");
}

pub(crate) async fn submit(c: &Client) {
    wait_find(c, Locator::Css("main form button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("click");
}

async fn path_of(c: &Client) -> String {
    c.current_url().await.expect("url").path().to_owned()
}

/// Waits (up to 20 s: the suite runs in parallel on two cores) for a navigation to land on `expected`; returns where it is.
pub(crate) async fn wait_for_path(c: &Client, expected: &str) -> String {
    let mut path = path_of(c).await;
    for _ in 0..200 {
        if path == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        path = path_of(c).await;
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sign_in_forced_password_change_and_menu() {
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    let temporary = app.bootstrap().await;
    let c = driver.client.take().expect("client");

    c.goto(&app.url("/")).await.expect("goto");
    assert_eq!(wait_for_path(&c, "/signin").await, "/signin");
    fill(&c, "email", OPERATOR_EMAIL).await;
    fill(&c, "password", "a wrong password here").await;
    submit(&c).await;
    let error = wait_find(&c, Locator::Css(".alert.error"))
        .await
        .expect("error shown")
        .text()
        .await
        .expect("text");
    assert!(error.contains("wrong"), "{error}");

    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .clear()
        .await
        .expect("clear");
    fill(&c, "email", OPERATOR_EMAIL).await;
    fill(&c, "password", &temporary).await;
    submit(&c).await;
    let landed = wait_for_path(&c, "/password").await;
    assert_eq!(
        landed,
        "/password",
        "a temporary password leads to the change: {}",
        c.source().await.unwrap_or_default()
    );
    c.goto(&app.url("/settings/api-keys")).await.expect("goto");
    assert_eq!(
        wait_for_path(&c, "/password").await,
        "/password",
        "nothing else until the change"
    );

    fill(&c, "current_password", &temporary).await;
    fill(&c, "new_password", NEW_PASSWORD).await;
    fill(&c, "confirm_password", NEW_PASSWORD).await;
    submit(&c).await;
    assert_eq!(wait_for_path(&c, "/").await, "/");
    let heading = wait_find(&c, Locator::Css("main h1"))
        .await
        .expect("h1")
        .text()
        .await
        .expect("text");
    assert_eq!(heading, "Dashboard");
    let menu = c
        .find(Locator::Css("nav.menu"))
        .await
        .expect("menu")
        .text()
        .await
        .expect("text");
    assert!(
        menu.contains("Activity log") && menu.contains("API keys"),
        "{menu}"
    );

    // Keyboard: the first Tab reaches the skip link.
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys("\u{E004}")
        .await
        .expect("tab");
    let active = c
        .active_element()
        .await
        .expect("focus")
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(active, "Skip to content");

    c.find(Locator::Css("button.link"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");
    assert_eq!(wait_for_path(&c, "/signin").await, "/signin");
    c.close().await.expect("close");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_add_user_copy_password_and_first_sign_in() {
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    app.operator_token().await;
    let c = driver.client.take().expect("client");

    c.goto(&app.url("/signin")).await.expect("goto");
    fill(&c, "email", OPERATOR_EMAIL).await;
    fill(&c, "password", NEW_PASSWORD).await;
    submit(&c).await;
    assert_eq!(wait_for_path(&c, "/").await, "/");
    wait_find(&c, Locator::LinkText("User management"))
        .await
        .expect("menu entry")
        .click()
        .await
        .expect("click");
    assert_eq!(
        wait_for_path(&c, "/settings/users").await,
        "/settings/users"
    );
    wait_find(&c, Locator::LinkText("Add user"))
        .await
        .expect("add")
        .click()
        .await
        .expect("click");
    assert_eq!(
        wait_for_path(&c, "/settings/users/new").await,
        "/settings/users/new"
    );
    fill(&c, "first_name", "Hank").await;
    fill(&c, "last_name", "Helper").await;
    fill(&c, "email", "hank@operator.example").await;
    wait_find(
        &c,
        Locator::Css("input[name=agent_role][value=helpdeskAgent]"),
    )
    .await
    .expect("radio")
    .click()
    .await
    .expect("click");
    submit(&c).await;
    let password = wait_find(&c, Locator::Id("temporary-password"))
        .await
        .expect("password shown")
        .prop("value")
        .await
        .expect("value")
        .expect("a value");
    assert!(password.len() >= 20);
    c.find(Locator::Css("button[data-copy=temporary-password]"))
        .await
        .expect("copy button")
        .click()
        .await
        .expect("click");
    let copied = c
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::XPath(
            "//p[@id='temporary-password-status'][contains(., 'Copied')]",
        ))
        .await;
    assert!(copied.is_ok(), "the copy button confirms the copy");

    // Sign out; the new user signs in, must change the password, then sees only their menus.
    c.find(Locator::Css("button.link"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");
    assert_eq!(wait_for_path(&c, "/signin").await, "/signin");
    fill(&c, "email", "hank@operator.example").await;
    fill(&c, "password", &password).await;
    submit(&c).await;
    assert_eq!(wait_for_path(&c, "/password").await, "/password");
    fill(&c, "current_password", &password).await;
    fill(&c, "new_password", "copper kettle mountain river").await;
    fill(&c, "confirm_password", "copper kettle mountain river").await;
    submit(&c).await;
    assert_eq!(wait_for_path(&c, "/").await, "/");
    let menu = wait_find(&c, Locator::Css("nav.menu"))
        .await
        .expect("menu")
        .text()
        .await
        .expect("text");
    assert!(menu.contains("What can I do?"), "{menu}");
    for hidden in ["User management", "API keys", "Activity log"] {
        assert!(
            !menu.contains(hidden),
            "a helpdesk agent's menu has no {hidden}: {menu}"
        );
    }
    c.close().await.expect("close");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_enrollment_wizard_from_sign_up_to_approval() {
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    let op = app.operator_token().await;
    crate::enrollment::registry(&app, &op, "wizard-registry", "50000001", "50000002").await;
    let c = driver.client.take().expect("client");

    c.goto(&app.url("/enroll")).await.expect("goto");
    let welcome = wait_find(&c, Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(
        welcome.contains("membership registry") && welcome.contains("few days"),
        "{welcome}"
    );
    wait_find(&c, Locator::LinkText("Create a tenant and enroll"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    assert_eq!(wait_for_path(&c, "/enroll/signup").await, "/enroll/signup");
    fill(&c, "company_name", "Wizard Reseller").await;
    fill(&c, "domain_prefix", "wizard-res").await;
    fill(&c, "country", "DE").await;
    fill(&c, "first_name", "Wendy").await;
    fill(&c, "last_name", "Wizard").await;
    fill(&c, "email", "wendy@wizard-res.example").await;
    fill(&c, "password", "copper kettle mountain river").await;
    submit(&c).await;
    assert_eq!(
        wait_for_path(&c, "/enroll/membership").await,
        "/enroll/membership"
    );
    let intro = wait_find(&c, Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(intro.contains("Why we link your membership ID"));
    fill(&c, "username", "wizard-registry").await;
    fill(&c, "password", crate::enrollment::REGISTRY_PASSWORD).await;
    submit(&c).await;
    let france = wait_find(&c, Locator::Css("input[value='50000002']"))
        .await
        .expect("FR profile");
    assert_eq!(
        france.attr("disabled").await.expect("attr").as_deref(),
        Some("true"),
        "another country is shown but not selectable"
    );
    c.find(Locator::Css("input[value='50000001']"))
        .await
        .expect("DE profile")
        .click()
        .await
        .expect("click");
    submit(&c).await;
    assert_eq!(
        wait_for_path(&c, "/enroll/profile").await,
        "/enroll/profile"
    );

    // A webmail contact is refused next to the field.
    for (id, value) in [
        ("legal_name", "Wizard Reseller GmbH"),
        ("line1", "Zauberweg 7"),
        ("postal_code", "80331"),
        ("city", "Munich"),
        ("phone", "+49 89 1234"),
        ("contact_first_name", "Pia"),
        ("contact_last_name", "Primary"),
        ("contact_email", "pia@gmail.com"),
        ("support_email", "help@wizard-res.example"),
        ("support_phone", "+49 89 4321"),
    ] {
        fill(&c, id, value).await;
    }
    submit(&c).await;
    let error = wait_find(&c, Locator::Id("contact_email-error"))
        .await
        .expect("error next to the field")
        .text()
        .await
        .expect("text");
    assert!(error.contains("webmail"), "{error}");
    let email = c.find(Locator::Id("contact_email")).await.expect("field");
    email.clear().await.expect("clear");
    email
        .send_keys("pia@wizard-res.example")
        .await
        .expect("type");
    submit(&c).await;
    assert_eq!(wait_for_path(&c, "/enroll/review").await, "/enroll/review");
    wait_find(&c, Locator::XPath("//button[text()='Enroll now']"))
        .await
        .expect("Enroll now")
        .click()
        .await
        .expect("click");
    assert_eq!(wait_for_path(&c, "/enroll/status").await, "/enroll/status");
    let status = wait_find(&c, Locator::Css("p.status"))
        .await
        .expect("status")
        .text()
        .await
        .expect("text");
    assert!(status.contains("confirm their e-mail"), "{status}");

    // The primary contact opens the mailed link; only the button confirms.
    app.drain_mail().await;
    let mail = crate::enrollment::last_mail(&app, "email_verification").expect("verification mail");
    let link = crate::helpers::mail_header(&mail, "X-Partnerd-Link")
        .expect("link")
        .to_owned();
    c.goto(&link).await.expect("goto");
    wait_find(&c, Locator::XPath("//button[text()='Confirm my address']"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let done = wait_find(&c, Locator::Css(".alert.success"))
        .await
        .expect("confirmed")
        .text()
        .await
        .expect("text");
    assert!(done.contains("pia@wizard-res.example"));

    // The operator approves; the reseller sees its new roles.
    let queue = app.get("/v1/enrollments?status=pendingReview", &op).await;
    let id = queue.ok(200)["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post(
        &format!("/v1/enrollments/{id}/approve"),
        &op,
        serde_json::json!({}),
    )
    .await
    .ok(200);
    c.goto(&app.url("/enroll/status")).await.expect("goto");
    let status = wait_find(&c, Locator::Css("p.status"))
        .await
        .expect("status")
        .text()
        .await
        .expect("text");
    assert!(status.contains("Approved"), "{status}");
    c.goto(&app.url("/")).await.expect("goto");
    let me = wait_find(&c, Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(
        me.contains("Global admin, Admin agent") && me.contains("indirectReseller"),
        "{me}"
    );
    c.close().await.expect("close");
    app.shutdown().await;
}

pub(crate) async fn click(c: &Client, css: &str) {
    wait_find(c, Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

async fn sign_in_as(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/signin")).await.expect("goto");
    fill(c, "email", email).await;
    fill(c, "password", NEW_PASSWORD).await;
    submit(c).await;
    assert_eq!(wait_for_path(c, "/").await, "/", "{email} signs in");
}

async fn sign_out(c: &Client, app: &TestApp) {
    c.goto(&app.url("/")).await.expect("goto");
    click(c, "header button.link").await;
    assert_eq!(wait_for_path(c, "/signin").await, "/signin");
}

/// Waits (up to 20 s) until the page's main content contains `needle`; returns it.
pub(crate) async fn wait_text(c: &Client, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..200 {
        // The page may be changing under us: a vanished element is just a retry.
        if let Ok(main) = c.find(Locator::Css("main")).await
            && let Ok(t) = main.text().await
        {
            text = t;
            if text.contains(needle) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}: {text}");
}

/// The main content once the page holds one (retrying while a navigation swaps it).
async fn main_text(c: &Client) -> String {
    for _ in 0..200 {
        if let Ok(main) = wait_find(c, Locator::Css("main")).await
            && let Ok(text) = main.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no page content");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_provider_reseller_and_a_three_way_customer() {
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    let op = app.operator_token().await;
    app.post(
        "/v1/offers",
        &op,
        crate::catalog::offer("m365", "Microsoft 365", "10"),
    )
    .await
    .ok(201);
    let provider = crate::roles::partner_admin(&app, &op, "br-dist").await;
    crate::catalog::authorize(
        &app,
        &op,
        &provider,
        serde_json::json!(["DE"]),
        serde_json::json!(["Microsoft 365"]),
    )
    .await;
    crate::enrollment::approved_reseller(&app, &op, "br-res", "99000001").await;
    app.post(
        "/v1/resellerinvitations",
        &provider,
        serde_json::json!({"email": "gina@br-res.example", "resellerName": "BR Reseller"}),
    )
    .await
    .ok(201);
    app.drain_mail().await;
    let invitation = crate::enrollment::last_mail(&app, "reseller_invitation").expect("mail");
    let link = crate::helpers::mail_header(&invitation, "X-Partnerd-Link")
        .expect("link")
        .to_owned();
    let c = driver.client.take().expect("client");

    // The reseller opens the provider's link, signs in and authorises it.
    c.goto(&link).await.expect("goto");
    wait_find(&c, Locator::LinkText("Sign in"))
        .await
        .expect("sign in link")
        .click()
        .await
        .expect("click");
    assert_eq!(wait_for_path(&c, "/signin").await, "/signin");
    fill(&c, "email", "gina@br-res.example").await;
    fill(&c, "password", NEW_PASSWORD).await;
    submit(&c).await;
    assert_eq!(
        wait_for_path(&c, "/invitations/reseller").await,
        "/invitations/reseller"
    );
    click(&c, "input[name=consent]").await;
    click(&c, "button[value=accept]").await;
    assert_eq!(
        wait_for_path(&c, "/partners/providers").await,
        "/partners/providers"
    );
    assert!(main_text(&c).await.contains("br-dist Ltd"));

    // From Indirect providers: Invite new customers, three-way with delegated admin.
    wait_find(&c, Locator::LinkText("Invite new customers"))
        .await
        .expect("invite link")
        .click()
        .await
        .expect("click");
    assert_eq!(
        wait_for_path(&c, "/customers/request").await,
        "/customers/request"
    );
    click(&c, "input[name=include_delegated_admin]").await;
    submit(&c).await;
    let mut path = path_of(&c).await;
    for _ in 0..200 {
        if path.starts_with("/customers/requests/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        path = path_of(&c).await;
    }
    assert!(path.starts_with("/customers/requests/"), "{path}");
    let request_link = wait_find(&c, Locator::Id("request-link"))
        .await
        .expect("link field")
        .prop("value")
        .await
        .expect("value")
        .expect("a link");
    assert!(request_link.contains("/customer-invitations?token="));
    // The text is the reseller's to edit, but the link stays: removing it is flagged,
    // the mail-client link follows the edits with the link added back, and copying
    // puts it back into the text.
    let token = request_link.split("token=").nth(1).expect("token");
    let body = wait_find(&c, Locator::Id("email-body"))
        .await
        .expect("body");
    body.clear().await.expect("clear");
    body.send_keys("Dear Fourth Coffee, please accept.")
        .await
        .expect("type");
    let warning = c
        .find(Locator::Id("email-body-warning"))
        .await
        .expect("warning");
    assert!(warning.is_displayed().await.expect("displayed"));
    let mailto = c
        .find(Locator::Id("open-mail"))
        .await
        .expect("mail link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    assert!(
        mailto.contains("body=Dear%20Fourth%20Coffee%2C%20please%20accept.")
            && mailto.contains("customer-invitations%3Ftoken%3D")
            && mailto.contains(token),
        "{mailto}"
    );
    click(&c, "button[data-copy=email-body]").await;
    let restored = body.prop("value").await.expect("value").expect("text");
    assert!(
        restored.starts_with("Dear Fourth Coffee") && restored.contains(&request_link),
        "{restored}"
    );
    assert!(!warning.is_displayed().await.expect("displayed"));
    sign_out(&c, &app).await;

    // The customer opens the link, creates its account, consents and accepts.
    c.goto(&request_link).await.expect("goto");
    let asks = main_text(&c).await;
    assert!(
        asks.contains("br-res Reseller") && asks.contains("br-dist Ltd"),
        "{asks}"
    );
    for (id, value) in [
        ("company_name", "Fourth Coffee"),
        ("domain_prefix", "fourth-coffee"),
        ("country", "DE"),
        ("first_name", "Flo"),
        ("last_name", "Fourth"),
        ("email", "flo@fourth-coffee.example"),
        ("password", NEW_PASSWORD),
    ] {
        fill(&c, id, value).await;
    }
    click(
        &c,
        "form[action='/customer-invitations/signup'] button[type=submit]",
    )
    .await;
    for name in [
        "accept_reseller",
        "accept_indirect_provider",
        "grant_delegated_admin",
    ] {
        click(&c, &format!("input[name={name}]")).await;
    }
    click(&c, "button[value=accept]").await;
    assert_eq!(wait_for_path(&c, "/partners").await, "/partners");
    let partners = main_text(&c).await;
    assert!(
        partners.contains("br-res Reseller") && partners.contains("br-dist Ltd"),
        "{partners}"
    );
    sign_out(&c, &app).await;

    // The customer appears for the reseller, for the provider, and in the shared view.
    sign_in_as(&c, &app, "gina@br-res.example").await;
    c.goto(&app.url("/customers")).await.expect("goto");
    assert!(main_text(&c).await.contains("Fourth Coffee"));
    sign_out(&c, &app).await;
    sign_in_as(&c, &app, "admin@br-dist.example").await;
    c.goto(&app.url("/customers")).await.expect("goto");
    assert!(main_text(&c).await.contains("Fourth Coffee"));
    c.goto(&app.url("/partners/resellers")).await.expect("goto");
    wait_find(&c, Locator::LinkText("View customers"))
        .await
        .expect("view customers")
        .click()
        .await
        .expect("click");
    let shared = wait_text(&c, "you share with").await;
    assert!(
        shared.contains("Fourth Coffee") && shared.contains("you share with"),
        "{shared}"
    );
    c.close().await.expect("close");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_reseller_sells_assigns_suspends_reactivates_and_cancels() {
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    let op = app.operator_token().await;
    crate::commerce::catalog(&app, &op).await;
    let c = crate::customers::connected(&app, &op, "bc-res", "99000002").await;
    let (_, cid) = crate::commerce::three_way_customer(&app, &c, "bc-cust").await;
    let b = driver.client.take().expect("client");
    sign_in_as(&b, &app, "gina@bc-res.example").await;

    // Add products: choose, review, place.
    b.goto(&app.url(&format!("/customers/{cid}")))
        .await
        .expect("goto");
    wait_find(&b, Locator::LinkText("Add products"))
        .await
        .expect("add products")
        .click()
        .await
        .expect("click");
    fill(&b, "supplier", "").await;
    wait_find(&b, Locator::Css("input[name=qty_m365]"))
        .await
        .expect("quantity")
        .send_keys("2")
        .await
        .expect("type");
    submit(&b).await;
    wait_text(&b, "20.00 USD").await;
    submit(&b).await;
    wait_text(&b, "The order is placed").await;
    wait_find(&b, Locator::LinkText("Manage"))
        .await
        .expect("manage")
        .click()
        .await
        .expect("click");
    let sub_path = {
        let mut path = path_of(&b).await;
        for _ in 0..200 {
            if path.contains("/subscriptions/") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            path = path_of(&b).await;
        }
        path
    };
    assert!(sub_path.contains("/subscriptions/sub_"), "{sub_path}");

    // Assign a license to the customer's admin.
    let users = app
        .get(&format!("/v1/customers/{cid}/users"), &c.reseller)
        .await
        .ok(200)
        .clone();
    let uid = users["items"][0]["id"].as_str().expect("user").to_owned();
    b.goto(&app.url(&format!("/customers/{cid}/users/{uid}/licenses")))
        .await
        .expect("goto");
    click(&b, "main button.link").await;
    wait_text(&b, "Remove").await;

    // Suspend, reactivate, cancel: each confirmed first.
    for (link, button_text, status) in [
        ("Suspend", "Suspend", "suspended"),
        ("Reactivate", "Reactivate", "active"),
    ] {
        b.goto(&app.url(&sub_path)).await.expect("goto");
        wait_find(&b, Locator::LinkText(link))
            .await
            .expect(link)
            .click()
            .await
            .expect("click");
        wait_text(&b, "Keep it as it is").await;
        let confirm = wait_find(&b, Locator::Css("main form button[type=submit]"))
            .await
            .expect("confirm");
        assert!(confirm.text().await.expect("text").starts_with(button_text));
        confirm.click().await.expect("click");
        let after = wait_text(&b, "The subscription was changed").await;
        assert!(
            after.contains("The subscription was changed") && after.contains(status),
            "{after}"
        );
    }
    // Cancelling with a license still assigned is refused; after removing it, final.
    b.goto(&app.url(&format!("{sub_path}?action=cancel")))
        .await
        .expect("goto");
    wait_text(&b, "Keep it as it is").await;
    submit(&b).await;
    wait_text(&b, "remove licenses first").await;
    b.goto(&app.url(&format!("/customers/{cid}/users/{uid}/licenses")))
        .await
        .expect("goto");
    click(&b, "main button.link").await;
    wait_text(&b, "Assign").await;
    b.goto(&app.url(&format!("{sub_path}?action=cancel")))
        .await
        .expect("goto");
    wait_text(&b, "Keep it as it is").await;
    submit(&b).await;
    let cancelled = wait_text(&b, "The subscription was changed").await;
    assert!(
        cancelled.contains("Deleted") && !cancelled.contains("Reactivate"),
        "{cancelled}"
    );
    b.close().await.expect("close");
    app.shutdown().await;
}

/// The catalog's offer list, offer page, offer form and withdrawal page on a
/// phone (390 px): none of the parts they are made of is wider than the screen
/// or scrolls sideways inside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_catalog_pages_fit_a_phone() {
    use serde_json::json;
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    let op = app.operator_token().await;
    let billed = |f: &str, a: &str| json!({"billingFrequency": f, "unitPrice": {"amount": a, "currency": "USD"}});
    let terms = json!([
        {"termDuration": "P1M", "billingPlans": [billed("monthly", "26.40")]},
        {"termDuration": "P1Y", "billingPlans": [billed("monthly", "22.00"), billed("annual", "264.00")]},
        {"termDuration": "P3Y", "billingPlans": [billed("monthly", "21.00"), billed("annual", "252.00"), billed("upfront", "756000.00")]}
    ]);
    app.post(
        "/v1/offers",
        &op,
        crate::catalog::offer("basic", "Microsoft 365", "6"),
    )
    .await
    .ok(201);
    let mut suite = crate::catalog::offer_on(
        "business-premium-with-a-long-identifier",
        "Microsoft 365 Business and Enterprise",
        terms.clone(),
    );
    suite["name"] = json!("Microsoft 365 Business Premium with Advanced Threat Protection");
    suite["trial"] = json!({});
    suite["maxQuantityPerCustomer"] = json!(300);
    suite["prerequisiteOfferIds"] = json!(["basic"]);
    app.post("/v1/offers", &op, suite).await.ok(201);
    let next = partnerd_domain::calendar::Month::of(app.app.now()).next();
    let path = "/catalog/business-premium-with-a-long-identifier";
    app.call(
        reqwest::Method::PUT,
        &format!("/v1/offers/business-premium-with-a-long-identifier/prices/{next}"),
        Some(&op),
        Some(json!({"terms": terms})),
    )
    .await
    .ok(201);
    let c = driver.client.take().expect("client");
    c.set_window_size(390, 844).await.expect("a phone's width");
    sign_in_as(&c, &app, OPERATOR_EMAIL).await;
    const PARTS: &str = ".plan-grid, fieldset.choices, .versions, .version, dl.facts, \
        ul.offer-list, ul.plans-list, ul.choice-list";
    let script = format!(
        "const width = document.documentElement.clientWidth; \
         return [...document.querySelectorAll('{PARTS}')] \
           .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > width + 1) \
           .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + width);"
    );
    for (page, needle) in [
        ("/catalog".to_owned(), "paid up front"),
        (path.to_owned(), "Prices by month"),
        ("/catalog/new".to_owned(), "Plans and prices"),
        (format!("{path}/prices/{next}/delete"), "Withdraw"),
    ] {
        c.goto(&app.url(&page)).await.expect("goto");
        wait_text(&c, needle).await;
        let found = c.execute(&script, vec![]).await.expect("measure the parts");
        let parts = c
            .execute(
                &format!("return document.querySelectorAll('{PARTS}').length;"),
                vec![],
            )
            .await
            .expect("count");
        assert!(
            parts.as_u64().is_some_and(|n| n > 0),
            "{page} has the parts"
        );
        assert_eq!(found, json!([]), "{page}: parts wider than a phone");
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
    c.close().await.expect("close");
    app.shutdown().await;
}

/// API-billing.md §4 in a browser: a P1Y monthly plan chosen in Add products,
/// seats removed inside the window and refused after it, a next term scheduled,
/// and the clock moved past the renewal that applies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_new_commerce_plan_window_schedule_and_renewal() {
    let Some(mut driver) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, crate::terms::with_test_clock).await;
    let op = app.operator_token().await;
    crate::terms::new_commerce_catalog(&app, &op).await;
    let c = crate::customers::connected(&app, &op, "bn-res", "99000009").await;
    let (_, cid) = crate::commerce::three_way_customer(&app, &c, "bn-cust").await;
    let op_key = crate::terms::key(&app, &op, &[]).await;
    let b = driver.client.take().expect("client");
    sign_in_as(&b, &app, "gina@bn-res.example").await;

    // Add products: Basic on one year billed monthly.
    b.goto(&app.url(&format!("/customers/{cid}/add-products")))
        .await
        .expect("goto");
    wait_find(&b, Locator::Css("select[name=plan_basic]"))
        .await
        .expect("plan")
        .select_by_value("P1Y monthly")
        .await
        .expect("choose the plan");
    wait_find(&b, Locator::Css("input[name=qty_basic]"))
        .await
        .expect("quantity")
        .send_keys("10")
        .await
        .expect("type");
    submit(&b).await;
    let review = wait_text(&b, "1 year, billed monthly").await;
    assert!(
        review.contains("50.00 USD") && review.contains("2 March 2027"),
        "{review}"
    );
    submit(&b).await;
    wait_text(&b, "The order is placed").await;
    click(&b, "main table a").await;
    let shown = wait_text(&b, "You can remove 10 seats with a refund until").await;
    assert!(shown.contains("10 March 2026"), "{shown}");
    let sub_path = path_of(&b).await;

    // Inside the window: down to 8.
    b.goto(&app.url(&format!("{sub_path}?action=quantity&quantity=8")))
        .await
        .expect("goto");
    wait_text(&b, "2 seats are removed and refunded").await;
    submit(&b).await;
    wait_text(&b, "The subscription was changed").await;

    // Eight days later the window has closed: the page says so and a decrease is refused.
    app.post(
        "/v1/testing/clock",
        &op_key,
        serde_json::json!({"advanceSeconds": 8 * 24 * 3600}),
    )
    .await
    .ok(200);
    sign_in_as(&b, &app, "gina@bn-res.example").await;
    b.goto(&app.url(&sub_path)).await.expect("goto");
    wait_text(&b, "The 7-day window for removing seats has closed").await;
    b.goto(&app.url(&format!("{sub_path}?action=quantity&quantity=6")))
        .await
        .expect("goto");
    wait_text(&b, "Keep it as it is").await;
    submit(&b).await;
    wait_text(&b, "within 7 days of being added").await;

    // Schedule the next term: billed annually, 12 seats.
    b.goto(&app.url(&sub_path)).await.expect("goto");
    wait_find(&b, Locator::Css("select#plan"))
        .await
        .expect("plan")
        .select_by_value("P1Y annual")
        .await
        .expect("choose");
    let seats = wait_find(&b, Locator::Id("next_quantity"))
        .await
        .expect("seats");
    seats.clear().await.expect("clear");
    seats.send_keys("12").await.expect("type");
    click(&b, "form#schedule button[type=submit]").await;
    wait_text(&b, "renews as 1 year, billed annually with 12 seats").await;
    submit(&b).await;
    let scheduled = wait_text(&b, "Next term").await;
    assert!(scheduled.contains("12 seats"), "{scheduled}");

    // Past the renewal: the scheduled term applies and a new window opens.
    app.post(
        "/v1/testing/clock",
        &op_key,
        serde_json::json!({"now": "2027-03-03T00:00:00Z"}),
    )
    .await
    .ok(200);
    let ran = app
        .post("/v1/testing/jobs/run", &op_key, serde_json::json!({}))
        .await;
    assert_eq!(ran.ok(200)["renewed"], 1, "{}", ran.text);
    sign_in_as(&b, &app, "gina@bn-res.example").await;
    b.goto(&app.url(&sub_path)).await.expect("goto");
    let renewed = wait_text(&b, "1 year, billed annually").await;
    assert!(
        renewed.contains("You can remove 12 seats with a refund until 10 March 2027"),
        "{renewed}"
    );
    b.close().await.expect("close");
    app.shutdown().await;
}
