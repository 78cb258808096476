//! Snapshots (insta) of representative answers and mails: what a client or a
//! reader sees, with what differs per run (ids, times, etags, tokens, the port)
//! replaced by placeholders. A change in shape or wording shows up as a diff to
//! review; `INSTA_UPDATE=always cargo test snapshots::` accepts it.

use serde_json::{Value, json};

use crate::commerce::{catalog, three_way_customer};
use crate::customers::connected;
use crate::helpers::{Backend, TestApp};

/// `org_2al5…` (three letters, an underscore, 26 base32 digits).
fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 30
        && b[..3].iter().all(u8::is_ascii_lowercase)
        && b[3] == b'_'
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(c))
}

/// `2026-12-02T17:42:50Z` or with fractions.
fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && s.ends_with('Z')
        && b[..4].iter().all(u8::is_ascii_digit)
}

fn placeholder(s: &str, base: &str) -> Option<String> {
    if is_id(s) {
        return Some(format!("<{}>", &s[..3]));
    }
    if is_time(s) {
        return Some("<time>".into());
    }
    if partnerd_domain::calendar::Date::parse(s).is_some() {
        return Some("<date>".into());
    }
    if let Some(rest) = s.strip_prefix(base) {
        return Some(format!("<base>{}", tokens(&ids_in(rest))));
    }
    None
}

/// Replaces ids inside a longer text (paths, sentences).
fn ids_in(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if is_id(word) {
            out.push_str(&format!("<{}>", &word[..3]));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `token=…` up to the next `&` or end becomes `token=<token>`.
fn tokens(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("token=") {
        out.push_str(&rest[..i + 6]);
        out.push_str("<token>");
        let after = &rest[i + 6..];
        let end = after
            .find(|c: char| c == '&' || c.is_whitespace())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn normalized(v: &Value, base: &str) -> Value {
    match v {
        Value::String(s) => {
            Value::String(placeholder(s, base).unwrap_or_else(|| tokens(&ids_in(s))))
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| normalized(x, base)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let x = match k.as_str() {
                        "etag" | "requestId" | "secret" => json!(format!("<{k}>")),
                        _ => normalized(x, base),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A mail as a reader sees it: subject, template and text, normalised.
fn mail_text(eml: &str, base: &str) -> String {
    let unfolded = eml
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("\r\n", "\n");
    let (head, body) = unfolded.split_once("\n\n").unwrap_or((&unfolded, ""));
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .to_owned()
    };
    let text = body.replace("=3D", "=").replace(base, "<base>");
    format!(
        "Subject: {}\nX-Partnerd-Template: {}\n\n{}",
        header("Subject"),
        header("X-Partnerd-Template"),
        tokens(&ids_in(text.trim_end()))
    )
}

#[tokio::test]
async fn answers_and_mails_keep_their_shape() {
    let app = TestApp::spawn(Backend::Sqlite, |c| c).await;
    let base = app.base.clone();
    let op = app.operator_token().await;

    insta::assert_json_snapshot!(
        "me_operator",
        normalized(app.get("/v1/me", &op).await.ok(200), &base)
    );

    let invalid = app.post("/v1/apikeys", &op, json!({"name": ""})).await;
    invalid.problem(422, "validation_failed");
    insta::assert_json_snapshot!("problem_validation", normalized(&invalid.body, &base));

    catalog(&app, &op).await;
    let c = connected(&app, &op, "snap", "97000042").await;
    let (_, cid) = three_way_customer(&app, &c, "snap-shop").await;
    let order = app
        .post(
            &format!("/v1/customers/{cid}/orders"),
            &c.reseller,
            json!({"lineItems": [{"lineItemNumber": 0, "offerId": "m365", "quantity": 3, "friendlyName": "Head office"}]}),
        )
        .await;
    insta::assert_json_snapshot!("order_created", normalized(order.ok(201), &base));

    app.drain_mail().await;
    let mails = app.mails();
    for template in [
        "email_verification",
        "enrollment_approved",
        "reseller_invitation",
        "invitation_accepted",
    ] {
        let eml = mails
            .iter()
            .find(|m| crate::helpers::mail_header(m, "X-Partnerd-Template") == Some(template))
            .unwrap_or_else(|| {
                let sent: Vec<_> = mails
                    .iter()
                    .filter_map(|m| crate::helpers::mail_header(m, "X-Partnerd-Template"))
                    .collect();
                panic!("a {template} mail among {sent:?}")
            });
        insta::assert_snapshot!(format!("mail_{template}"), mail_text(eml, &base));
    }
    app.shutdown().await;
}
