//! API.md §4.1: the binary's subcommands, run as an operator would.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn partnerd(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_partnerd"));
    c.current_dir(dir)
        .env_remove("PARTNERD_DATABASE_URL")
        .env(
            "PARTNERD_DATABASE_URL",
            format!("sqlite://{}", dir.join("p.db").display()),
        )
        .env("PARTNERD_MAIL_DIR", dir.join("mail"))
        .env("PARTNERD_LOG", "warn");
    c
}

/// A child process killed when the test ends, however it ends.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const BOOTSTRAP: &[&str] = &[
    "bootstrap",
    "--name",
    "Operator Inc",
    "--domain-prefix",
    "operator",
    "--country",
    "DE",
    "--admin-email",
    "root@operator.example",
];

#[test]
fn bootstrap_prints_the_password_once_and_refuses_a_second_operator() {
    let dir = tempfile::tempdir().expect("dir");
    let out = partnerd(dir.path())
        .args(BOOTSTRAP)
        .arg("--json")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert!(
        v["organizationId"]
            .as_str()
            .is_some_and(|s| s.starts_with("org_"))
    );
    assert!(v["userId"].as_str().is_some_and(|s| s.starts_with("usr_")));
    assert_eq!(v["email"], "root@operator.example");
    assert!(
        v["temporaryPassword"]
            .as_str()
            .is_some_and(|p| p.len() >= 20)
    );

    let again = partnerd(dir.path()).args(BOOTSTRAP).output().expect("run");
    assert_eq!(again.status.code(), Some(3));
    assert!(again.stdout.is_empty());

    let bad = partnerd(dir.path())
        .args([
            "bootstrap",
            "--name",
            "X",
            "--domain-prefix",
            "-bad-",
            "--country",
            "DE",
            "--admin-email",
            "x@y.example",
        ])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    let missing = partnerd(dir.path())
        .args(["bootstrap", "--name", "X"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));

    let reset = partnerd(dir.path())
        .args([
            "user",
            "reset-password",
            "--email",
            "ROOT@operator.example",
            "--json",
        ])
        .output()
        .expect("run");
    assert_eq!(
        reset.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&reset.stdout).expect("json");
    assert!(
        r["temporaryPassword"]
            .as_str()
            .is_some_and(|p| p != v["temporaryPassword"].as_str().unwrap_or_default())
    );
    let unknown = partnerd(dir.path())
        .args(["user", "reset-password", "--email", "who@nowhere.example"])
        .output()
        .expect("run");
    assert_eq!(unknown.status.code(), Some(2));

    let migrate = partnerd(dir.path()).arg("migrate").output().expect("run");
    assert_eq!(migrate.status.code(), Some(0));
}

#[test]
fn mail_test_goes_through_the_outbox_to_the_dir_transport() {
    let dir = tempfile::tempdir().expect("dir");
    let out = partnerd(dir.path())
        .args(["mail", "test", "--to", "ops@example.com"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
        .expect("mail dir")
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let bad = partnerd(dir.path())
        .args(["mail", "test", "--to", "not-an-address"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn configuration_errors_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let out = partnerd(dir.path())
        .args(["migrate", "--mail-transport", "pigeon"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(dir.path().join("c.toml"), "databaseUrl = 42\n").expect("write");
    let out = partnerd(dir.path())
        .args(["migrate", "--config", "c.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        dir.path().join("typo.toml"),
        "databseUrl = \"sqlite://x.db\"\n",
    )
    .expect("write");
    let out = partnerd(dir.path())
        .args(["migrate", "--config", "typo.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "unknown keys are refused");
    std::fs::write(
        dir.path().join("ok.toml"),
        format!(
            "databaseUrl = \"sqlite://{}\"\n[mail]\ntransport = \"dir\"\n",
            dir.path().join("t.db").display()
        ),
    )
    .expect("write");
    let out = partnerd(dir.path())
        .env_remove("PARTNERD_DATABASE_URL")
        .args(["migrate", "--config", "ok.toml"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("t.db").exists(),
        "the file's database URL was used"
    );
}

#[test]
fn serve_prints_its_address_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = partnerd(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut child = Reaped(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("listening line")
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.0.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
}

/// API-platform.md §2.5: a second SIGTERM skips the drain's waits and exits 1.
#[test]
fn a_second_sigterm_stops_at_once_and_exits_1() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = partnerd(dir.path())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--drain-delay-seconds",
            "30",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut child = Reaped(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    assert!(line.starts_with("listening on http://"), "{line}");
    let pid = child.0.id().to_string();
    let term = || {
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
    };
    let started = std::time::Instant::now();
    term();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.0.try_wait().expect("try_wait").is_none(),
        "still draining"
    );
    term();
    let status = child.0.wait().expect("wait");
    assert_eq!(status.code(), Some(1));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the 30 s drain delay was skipped"
    );
}

#[test]
fn demo_prints_sign_ins_that_work() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("demo-data");
    let mut child = partnerd(dir.path())
        .args(["demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut child = Reaped(child);
    let mut out = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        let done = line.starts_with("Press Ctrl-C");
        out.push(line);
        if done {
            break;
        }
    }
    let addr = out[0]
        .strip_prefix("listening on http://")
        .expect("address first")
        .to_owned();
    let operator = out
        .iter()
        .find(|l| l.contains("(operator), global admin"))
        .expect("operator sign-in");
    let words: Vec<&str> = operator.split_whitespace().collect();
    let (email, password) = (words[words.len() - 2], words[words.len() - 1]);
    assert!(
        out.iter()
            .filter(|l| l.contains("@fabrikam.example"))
            .count()
            >= 4,
        "partner sign-ins: {out:?}"
    );
    let body = format!("{{\"email\":\"{email}\",\"password\":\"{password}\"}}");
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    use std::io::{Read, Write};
    write!(stream, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("\"passwordChangeRequired\":true"));
    assert!(data.join("partnerd.db").exists());
    // The three-way customer signs in with its own password; the pending request
    // to another customer is printed as its link.
    let wendy = out
        .iter()
        .find(|l| l.contains("wendy@wingtip.example"))
        .expect("customer sign-in");
    let password = wendy.split_whitespace().last().expect("password");
    let body = format!("{{\"email\":\"wendy@wingtip.example\",\"password\":\"{password}\"}}");
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    write!(stream, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("\"kind\":\"customer\""), "{response}");
    // Its dashboard's incident: the demo's Microsoft 365 incident concerns it.
    let session: serde_json::Value =
        serde_json::from_str(response.split("\r\n\r\n").nth(1).expect("body")).expect("json");
    let token = session["token"].as_str().expect("token");
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    write!(stream, "GET /v1/serviceincidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(
        response.starts_with("HTTP/1.1 200") && response.contains("Delays in Exchange Online"),
        "{response}"
    );
    assert!(
        out.iter()
            .any(|l| l.contains("it@litware.example") && l.contains("/customer-invitations?token=")),
        "{out:?}"
    );
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert_eq!(child.0.wait().expect("wait").code(), Some(0));
}

#[test]
fn billing_run_bills_a_closed_month_once_and_says_why_it_will_not() {
    let dir = tempfile::tempdir().expect("dir");
    let at = |now: &str| {
        let mut c = partnerd(dir.path());
        c.env("PARTNERD_DEV_MODE", "true")
            .env("PARTNERD_TEST_CLOCK", now);
        c
    };
    let run = |now: &str, args: &[&str]| {
        at(now)
            .args(["billing", "run"])
            .args(args)
            .output()
            .expect("run")
    };
    // Half an hour after March ends it is still open; bad months are refused.
    for (args, code) in [
        (&["--month", "2026-3"][..], 2),
        (&["--month", "2026-05"][..], 2),
        (&["--month", "2026-03"][..], 3),
    ] {
        let out = run("2026-04-01T00:30:00Z", args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
    let open = run("2026-04-01T00:30:00Z", &["--month", "2026-03"]);
    assert!(String::from_utf8_lossy(&open.stderr).contains("not closed"));
    // At 01:00 it closes; the run is made once.
    let first = run("2026-04-01T01:00:00Z", &["--month", "2026-03", "--json"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).expect("JSON");
    assert_eq!(first["month"], "2026-03");
    assert_eq!(first["status"], "completed");
    assert!(first["id"].as_str().is_some_and(|i| i.starts_with("brn_")));
    let again = run("2026-04-02T09:00:00Z", &["--month", "2026-03", "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(again["id"], first["id"]);
    // A preview of the open month stores nothing.
    let preview = run("2026-04-02T09:00:00Z", &["--month", "2026-04", "--preview"]);
    assert_eq!(preview.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&preview.stdout).starts_with("Preview of April 2026: 0 invoices")
    );
}
