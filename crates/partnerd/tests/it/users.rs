//! API.md §6: users of the caller's organisation.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{NEW_PASSWORD, OPERATOR_EMAIL, TestApp};

/// Adds a user and signs them in with a password of their own; returns (user, token).
pub async fn add_signed_in_user(
    app: &TestApp,
    admin: &str,
    email: &str,
    roles: &[&str],
) -> (Value, String) {
    let created = app
        .post(
            "/v1/users",
            admin,
            json!({"email": email, "firstName": "Test", "lastName": "User", "roles": roles}),
        )
        .await;
    let body = created.ok(201).clone();
    let temporary = body["temporaryPassword"]
        .as_str()
        .expect("temporary password")
        .to_owned();
    let restricted = app.sign_in(email, &temporary).await.ok(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let token = app
        .post(
            "/v1/me/password",
            &restricted,
            json!({"currentPassword": temporary, "newPassword": NEW_PASSWORD}),
        )
        .await
        .ok(200)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    (body["user"].clone(), token)
}

async fn global_admins_manage_users_end_to_end(app: TestApp) {
    let admin = app.operator_token().await;
    let created = app.post("/v1/users", &admin, json!({"email": "Hana@Operator.example", "firstName": "Hana", "lastName": "Help", "roles": ["helpdeskAgent"]})).await;
    let body = created.ok(201).clone();
    assert!(
        created
            .header("location")
            .is_some_and(|l| l.starts_with("/v1/users/usr_"))
    );
    assert_eq!(body["user"]["mustChangePassword"], true);
    assert_eq!(body["user"]["roles"], json!(["helpdeskAgent"]));
    let temporary = body["temporaryPassword"].as_str().expect("password");
    assert!(temporary.len() >= 20);
    let id = body["user"]["id"].as_str().expect("id").to_owned();
    // The password is shown once: no read returns it.
    let read = app.get(&format!("/v1/users/{id}"), &admin).await;
    assert!(read.ok(200).get("temporaryPassword").is_none() && !read.text.contains(temporary));

    // First sign-in is restricted to the password change.
    let restricted = app
        .sign_in("hana@operator.example", temporary)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    app.get("/v1/users", &restricted)
        .await
        .problem(403, "password_change_required");
    let token = app
        .post(
            "/v1/me/password",
            &restricted,
            json!({"currentPassword": temporary, "newPassword": NEW_PASSWORD}),
        )
        .await
        .ok(200)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    // A helpdesk agent cannot manage users, but can read itself.
    let refused = app.get("/v1/users", &token).await;
    refused.problem(403, "forbidden");
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Global admin or User management admin")),
        "{}",
        refused.text
    );
    app.get(&format!("/v1/users/{id}"), &token).await.ok(200);

    // Roles change at once, without a new sign-in.
    let patched = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(&admin),
            Some(json!({"roles": ["userManagementAdmin"], "lastName": "Manager"})),
        )
        .await;
    assert_eq!(patched.ok(200)["roles"], json!(["userManagementAdmin"]));
    assert_eq!(patched.body["lastName"], "Manager");
    app.get("/v1/users", &token).await.ok(200);

    // Search, role filter and paging.
    for i in 0..3 {
        app.post("/v1/users", &admin, json!({"email": format!("sam{i}@operator.example"), "firstName": "Sam", "lastName": format!("Seller{i}"), "roles": ["salesAgent"]})).await.ok(201);
    }
    let sales = app.get("/v1/users?role=salesAgent", &admin).await;
    assert_eq!(sales.ok(200)["totalCount"], 3);
    let q = app.get("/v1/users?q=SAM1", &admin).await;
    assert_eq!(q.ok(200)["totalCount"], 1);
    let q = app.get("/v1/users?q=seller", &admin).await;
    assert_eq!(q.ok(200)["totalCount"], 3, "last names match too");
    let q = app.get("/v1/users?q=%25", &admin).await;
    assert_eq!(
        q.ok(200)["totalCount"],
        0,
        "a % is a character, not a wildcard"
    );
    let first = app.get("/v1/users?size=2", &admin).await;
    assert_eq!(first.ok(200)["totalCount"], 5);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(2));
    app.get("/v1/users?role=wizard", &admin)
        .await
        .problem(422, "validation_failed");

    // Disabling ends the sessions and refuses sign-in.
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/users/{id}"),
        Some(&admin),
        Some(json!({"disabled": true})),
    )
    .await
    .ok(200);
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    app.sign_in("hana@operator.example", NEW_PASSWORD)
        .await
        .problem(401, "invalid_credentials");
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/users/{id}"),
        Some(&admin),
        Some(json!({"disabled": false})),
    )
    .await
    .ok(200);
    let token = app
        .sign_in("hana@operator.example", NEW_PASSWORD)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();

    // A reset revokes sessions and forces a change.
    let reset = app
        .post(&format!("/v1/users/{id}/resetpassword"), &admin, json!({}))
        .await;
    let temporary = reset.ok(200)["temporaryPassword"]
        .as_str()
        .expect("pw")
        .to_owned();
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    assert_eq!(
        app.sign_in("hana@operator.example", &temporary)
            .await
            .ok(201)["passwordChangeRequired"],
        true
    );

    // Deleting ends everything.
    let token = app
        .sign_in("hana@operator.example", &temporary)
        .await
        .ok(201)["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let res = app.delete(&format!("/v1/users/{id}"), &admin).await;
    assert_eq!(res.status.as_u16(), 204);
    app.get("/v1/me", &token)
        .await
        .problem(401, "unauthenticated");
    app.get(&format!("/v1/users/{id}"), &admin)
        .await
        .problem(404, "not_found");
    // Every change is in the activity log.
    let log = app
        .get("/v1/auditrecords?resourceType=user&size=100", &admin)
        .await;
    let ops: Vec<&str> = log.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["operationType"].as_str())
        .collect();
    for op in [
        "createUser",
        "updateUser",
        "resetUserPassword",
        "deleteUser",
    ] {
        assert!(ops.contains(&op), "{op} in {ops:?}");
    }
    app.shutdown().await;
}
both!(global_admins_manage_users_end_to_end);

async fn bad_user_input_is_refused_and_changes_nothing(app: TestApp) {
    let admin = app.operator_token().await;
    let cases = [
        (
            json!({"email": "x@operator.example", "firstName": "X", "lastName": "Y", "roles": ["adminAgent", "salesAgent"]}),
            "/roles",
        ),
        (
            json!({"email": "x@operator.example", "firstName": "X", "lastName": "Y", "roles": ["wizard"]}),
            "/roles/0",
        ),
        (
            json!({"email": "not-an-email", "firstName": "X", "lastName": "Y"}),
            "/email",
        ),
        (
            json!({"email": "x@operator.example", "firstName": " ", "lastName": "Y"}),
            "/firstName",
        ),
        (
            json!({"email": "x@operator.example", "firstName": "X"}),
            "/lastName",
        ),
    ];
    for (body, pointer) in cases {
        let res = app.post("/v1/users", &admin, body).await;
        res.problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["pointer"], pointer);
    }
    // E-mails are unique across the platform, case-insensitively.
    app.post(
        "/v1/users",
        &admin,
        json!({"email": OPERATOR_EMAIL.to_uppercase(), "firstName": "X", "lastName": "Y"}),
    )
    .await
    .problem(409, "email_in_use");
    let list = app.get("/v1/users", &admin).await;
    assert_eq!(list.ok(200)["totalCount"], 1, "nothing was added");
    // A stale ETag changes nothing.
    let me = app.get("/v1/me", &admin).await.ok(200)["user"].clone();
    let stale = app
        .client
        .patch(app.url(&format!("/v1/users/{}", me["id"].as_str().expect("id"))))
        .bearer_auth(&admin)
        .header("if-match", "\"stale\"")
        .json(&json!({"firstName": "Changed"}))
        .send()
        .await
        .expect("send");
    TestApp::read(stale)
        .await
        .problem(412, "precondition_failed");
    assert_eq!(
        app.get("/v1/me", &admin).await.ok(200)["user"]["firstName"],
        "Olivia"
    );
    app.shutdown().await;
}
both!(bad_user_input_is_refused_and_changes_nothing);

async fn concurrent_adds_of_one_email_create_one_user(app: TestApp) {
    let admin = app.operator_token().await;
    let attempts = (0..6).map(|i| {
        let body = json!({"email": if i % 2 == 0 { "twin@operator.example" } else { "TWIN@operator.example" }, "firstName": "T", "lastName": "Win"});
        app.post("/v1/users", &admin, body)
    });
    let results = futures_join(attempts).await;
    let created = results.iter().filter(|r| r.status.as_u16() == 201).count();
    let conflicts = results
        .iter()
        .filter(|r| r.status.as_u16() == 409 && r.body["code"] == "email_in_use")
        .count();
    assert_eq!((created, conflicts), (1, 5));
    app.shutdown().await;
}
both!(concurrent_adds_of_one_email_create_one_user);

/// Runs the futures concurrently on this task.
pub async fn futures_join<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<Option<_>> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, h) in handles.iter_mut().enumerate() {
            if let Some(f) = h {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        outputs[i] = Some(v);
                        *h = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("done")).collect()
}

async fn user_management_admins_cannot_touch_global_admins(app: TestApp) {
    let admin = app.operator_token().await;
    let (_, uma) = add_signed_in_user(
        &app,
        &admin,
        "uma@operator.example",
        &["userManagementAdmin"],
    )
    .await;
    let operator_id = app.get("/v1/me", &admin).await.ok(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Can add and manage ordinary users.
    let made = app.post("/v1/users", &uma, json!({"email": "new@operator.example", "firstName": "N", "lastName": "U", "roles": ["salesAgent"]})).await;
    let new_id = made.ok(201)["user"]["id"].as_str().expect("id").to_owned();
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/users/{new_id}"),
        Some(&uma),
        Some(json!({"roles": ["billingAdmin"]})),
    )
    .await
    .ok(200);
    // Cannot grant Global admin, nor change, reset or delete a Global admin.
    app.post("/v1/users", &uma, json!({"email": "ga2@operator.example", "firstName": "G", "lastName": "A", "roles": ["globalAdmin"]})).await.problem(403, "forbidden");
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/users/{new_id}"),
        Some(&uma),
        Some(json!({"roles": ["globalAdmin"]})),
    )
    .await
    .problem(403, "forbidden");
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/users/{operator_id}"),
        Some(&uma),
        Some(json!({"firstName": "Mallory"})),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &format!("/v1/users/{operator_id}/resetpassword"),
        &uma,
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    app.delete(&format!("/v1/users/{operator_id}"), &uma)
        .await
        .problem(403, "forbidden");
    app.get("/v1/me", &admin).await.ok(200);
    app.shutdown().await;
}
both!(user_management_admins_cannot_touch_global_admins);

async fn the_last_global_admin_stays(app: TestApp) {
    let admin = app.operator_token().await;
    let me = app.get("/v1/me", &admin).await.ok(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/v1/users/{me}");
    app.call(
        reqwest::Method::PATCH,
        &path,
        Some(&admin),
        Some(json!({"roles": ["adminAgent"]})),
    )
    .await
    .problem(409, "last_global_admin");
    app.call(
        reqwest::Method::PATCH,
        &path,
        Some(&admin),
        Some(json!({"disabled": true})),
    )
    .await
    .problem(409, "last_global_admin");
    app.delete(&path, &admin)
        .await
        .problem(409, "last_global_admin");
    // With a second global admin, the first may step down.
    add_signed_in_user(&app, &admin, "second@operator.example", &["globalAdmin"]).await;
    let res = app
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"roles": ["adminAgent"]})),
        )
        .await;
    assert_eq!(res.ok(200)["roles"], json!(["adminAgent"]));
    app.get("/v1/users", &admin).await.problem(403, "forbidden");
    app.shutdown().await;
}
both!(the_last_global_admin_stays);
