//! API.md §16: the outbox, the `dir` transport and SMTP against a real SMTP
//! conversation (a small sink server in this test binary), with retry and backoff.

use partnerd_domain::ids::OutboxId;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use partnerd::config::Config;
use partnerd_app::MailTransportConfig;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::both;
use crate::customers::sign_in_again;
use crate::helpers::{TestApp, mail_header};

/// An SMTP server that keeps what it receives; it can refuse the first N messages
/// with a transient 451.
#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub messages: Arc<Mutex<Vec<String>>>,
    pub refuse: Arc<AtomicUsize>,
}

impl SmtpSink {
    pub async fn start(refuse_first: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind sink");
        let sink = Self {
            addr: listener.local_addr().expect("addr"),
            messages: Arc::default(),
            refuse: Arc::new(AtomicUsize::new(refuse_first)),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                write
                    .write_all(b"250-sink.test\r\n250 8BITMIME\r\n")
                    .await?;
            } else if upper.starts_with("MAIL")
                || upper.starts_with("RCPT")
                || upper.starts_with("RSET")
                || upper.starts_with("NOOP")
            {
                write.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("DATA") {
                let refuse = self.refuse.load(Ordering::SeqCst);
                if refuse > 0 {
                    self.refuse.store(refuse - 1, Ordering::SeqCst);
                    write.write_all(b"451 4.3.0 try again later\r\n").await?;
                    continue;
                }
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut message = String::new();
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    message.push_str(l.strip_prefix('.').unwrap_or(&l));
                    message.push('\n');
                }
                self.messages.lock().expect("lock").push(message);
                write.write_all(b"250 2.0.0 queued\r\n").await?;
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
        Ok(())
    }

    pub fn received(&self) -> Vec<String> {
        self.messages.lock().expect("lock").clone()
    }
}

async fn dir_transport_writes_eml_files_atomically(app: TestApp) {
    let id = app
        .app
        .queue_test_mail("someone@customer.example")
        .await
        .expect("queued");
    assert!(
        app.mails().is_empty(),
        "nothing is sent before the worker runs"
    );
    let outcome = app.drain_mail().await;
    assert_eq!(outcome.sent, 1);
    let mails = app.mails();
    assert_eq!(mails.len(), 1);
    let eml = &mails[0];
    assert_eq!(mail_header(eml, "X-Partnerd-Template"), Some("mail_test"));
    assert_eq!(mail_header(eml, "X-Partnerd-Link"), Some(app.base.as_str()));
    assert_eq!(mail_header(eml, "To"), Some("someone@customer.example"));
    assert!(mail_header(eml, "Message-ID").is_some_and(|m| m.contains(id.as_str())));
    assert!(mail_header(eml, "Date").is_some());
    assert!(
        eml.lines().any(|l| l.trim() == app.base),
        "the link stands on its own line"
    );
    let names: Vec<String> = std::fs::read_dir(&app.mail_dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "no temporary files are left: {names:?}");
    assert!(
        names[0].ends_with(&format!("-{id}.eml")) && names[0].len() > 20,
        "{}",
        names[0]
    );
    assert_eq!(app.drain_mail().await.claimed, 0, "sent once");
    app.shutdown().await;
}
both!(dir_transport_writes_eml_files_atomically);

fn smtp_to(sink: &SmtpSink) -> impl FnOnce(Config) -> Config {
    let url = format!("smtp://{}", sink.addr);
    move |mut c: Config| {
        c.app.mail_transport = MailTransportConfig::Smtp(url);
        c
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_transport_delivers_to_a_real_smtp_server() {
    let sink = SmtpSink::start(0).await;
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, smtp_to(&sink)).await;
    app.app
        .queue_test_mail("ops@customer.example")
        .await
        .expect("queued");
    assert_eq!(app.drain_mail().await.sent, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        mail_header(&got[0], "X-Partnerd-Template"),
        Some("mail_test")
    );
    assert_eq!(
        mail_header(&got[0], "Subject"),
        Some("partnerd test message")
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_with_backoff_and_never_lost() {
    let sink = SmtpSink::start(2).await;
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, smtp_to(&sink)).await;
    let id = app
        .app
        .queue_test_mail("ops@customer.example")
        .await
        .expect("queued");
    let first = app.drain_mail().await;
    assert_eq!((first.claimed, first.retried, first.sent), (1, 1, 0));
    let (status, attempts, error) = app
        .app
        .outbox_status(&id)
        .await
        .expect("status")
        .expect("row");
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.is_some_and(|e| e.contains("451") || e.to_lowercase().contains("transient")));
    // Not due before the backoff elapses.
    assert_eq!(app.drain_mail().await.claimed, 0);
    app.app.clock().advance(31_000);
    assert_eq!(app.drain_mail().await.retried, 1);
    app.app.clock().advance(30_000);
    assert_eq!(
        app.drain_mail().await.claimed,
        0,
        "the second retry waits 60 s"
    );
    app.app.clock().advance(31_000);
    assert_eq!(app.drain_mail().await.sent, 1);
    assert_eq!(sink.received().len(), 1, "delivered exactly once");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_give_up_after_a_day_with_an_audit_record() {
    let sink = SmtpSink::start(usize::MAX).await;
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, smtp_to(&sink)).await;
    app.operator_token().await;
    let id = given_up(&app, 1).await.remove(0);
    let (status, _, _) = app
        .app
        .outbox_status(&id)
        .await
        .expect("status")
        .expect("row");
    assert_eq!(status.as_str(), "failed");
    let token = sign_in_again(&app, crate::helpers::OPERATOR_EMAIL).await;
    let records = app
        .get(
            "/v1/auditrecords?operationType=deliverMail&operationStatus=failed",
            &token,
        )
        .await;
    assert_eq!(records.ok(200)["totalCount"], 1);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("outbox_failed_total") && l.ends_with(" 1")),
        "{metrics}"
    );
    app.shutdown().await;
}

/// Queues `n` test messages to a sink that refuses everything and runs the worker
/// over simulated hours until it gives up on all of them (24 hours).
async fn given_up(app: &TestApp, n: usize) -> Vec<OutboxId> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            app.app
                .queue_test_mail(&format!("ops{i}@customer.example"))
                .await
                .expect("queued"),
        );
    }
    let mut failed = 0;
    for _ in 0..40 {
        failed += app.drain_mail().await.failed;
        if failed == n {
            return ids;
        }
        app.app.clock().advance(6 * 3600 * 1000);
    }
    panic!("the worker gave up on {failed} of {n} messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_retries_failed_mail_from_what_waits() {
    let sink = SmtpSink::start(usize::MAX).await;
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, smtp_to(&sink)).await;
    let op = app.operator_token().await;
    crate::roles::partner_admin(&app, &op, "mr-dist").await;
    let ids = given_up(&app, 2).await;
    // The receiving server is repaired.
    sink.refuse.store(0, Ordering::SeqCst);
    let op = sign_in_again(&app, crate::helpers::OPERATOR_EMAIL).await;
    let partner = sign_in_again(&app, "admin@mr-dist.example").await;

    // Only the operator sees failed mail, and only the operator may retry it.
    let theirs = app.get("/v1/attention", &partner).await.ok(200).clone();
    assert!(
        theirs["items"]
            .as_array()
            .is_some_and(|i| i.iter().all(|i| i["kind"] != "mailFailed")),
        "{theirs}"
    );
    let first = format!("/v1/mail/{}/retry", ids[0]);
    app.post(&first, &partner, serde_json::json!({}))
        .await
        .problem(403, "forbidden");
    let waits = app.get("/v1/attention", &op).await.ok(200).clone();
    let item = waits["items"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["resourceId"] == ids[0].as_str()))
        .cloned()
        .expect("the failed mail waits");
    assert_eq!(item["kind"], "mailFailed");
    assert_eq!(item["action"]["method"], "POST");
    assert_eq!(item["action"]["href"], first.as_str());
    app.post("/v1/mail/obx_unknown/retry", &op, serde_json::json!({}))
        .await
        .problem(404, "not_found");

    // By the API: accepted once, then it is no longer failed.
    let retried = app.post(&first, &op, serde_json::json!({})).await;
    assert_eq!(retried.status.as_u16(), 202);
    assert_eq!(retried.body["status"], "pending");
    app.post(&first, &op, serde_json::json!({}))
        .await
        .problem(409, "invalid_state");

    // By the portal: the Retry button on Waiting on you.
    let (mut b, csrf) = crate::pages::signed_in_browser(&app, crate::helpers::OPERATOR_EMAIL).await;
    let page = b.get("/attention").await;
    let action = format!("/attention/mail/{}/retry", ids[1]);
    assert!(page.html.contains(&action), "{}", page.html);
    let done = b.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 303);
    let after = b.get("/attention?done=mail").await;
    assert!(after.html.contains("back in the queue"));
    assert!(!after.html.contains(&action), "no longer waiting");

    let o = app.drain_mail().await;
    assert_eq!(o.sent, 2, "both go out once the server is back");
    assert_eq!(sink.received().len(), 2);
    for id in &ids {
        let (status, _, _) = app
            .app
            .outbox_status(id)
            .await
            .expect("status")
            .expect("row");
        assert_eq!(status.as_str(), "sent");
    }
    let records = app
        .get(
            "/v1/auditrecords?operationType=retryMail&resourceType=mail",
            &op,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(records["totalCount"], 2);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_retries_every_failed_mail() {
    let sink = SmtpSink::start(usize::MAX).await;
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite, smtp_to(&sink)).await;
    app.operator_token().await;
    let ids = given_up(&app, 1).await;
    let out_dir = tempfile::tempdir().expect("dir");
    let run = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_partnerd"))
            .env("PARTNERD_DATABASE_URL", &app.database_url)
            .env("PARTNERD_MAIL_DIR", out_dir.path())
            .env("PARTNERD_LOG", "warn")
            .args(["mail", "retry"])
            .output()
            .expect("run partnerd");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, said) = run();
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("queued 1 failed message(s) again: 1 sent, 0 still waiting"),
        "{said}"
    );
    let (status, _, _) = app
        .app
        .outbox_status(&ids[0])
        .await
        .expect("status")
        .expect("row");
    assert_eq!(status.as_str(), "sent");
    let written = std::fs::read_dir(out_dir.path())
        .expect("mail dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
        })
        .count();
    assert_eq!(
        written, 1,
        "the message went out through the CLI's transport"
    );
    let (code, said) = run();
    assert_eq!(
        (code, said.trim()),
        (Some(0), "no failed mail: nothing to retry")
    );
    app.shutdown().await;
}
