//! `partnerd demo`: a fresh platform on an embedded SQLite file, with sample
//! organisations, their sign-ins printed, served until Ctrl-C.

use std::io::Write;
use std::path::Path;

use partnerd_app::MailTransportConfig;
use partnerd_app::bootstrap::BootstrapInput;

use crate::config::Config;
use crate::server::{self, StartOptions};

pub async fn run(mut config: Config, data_dir: &Path) -> i32 {
    if data_dir.exists()
        && let Err(e) = std::fs::remove_dir_all(data_dir)
    {
        eprintln!("partnerd: cannot empty {}: {e}", data_dir.display());
        return 1;
    }
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        eprintln!("partnerd: cannot create {}: {e}", data_dir.display());
        return 1;
    }
    config.database_url = format!("sqlite://{}", data_dir.join("partnerd.db").display());
    config.auto_migrate = true;
    config.app.mail_transport = MailTransportConfig::Dir(data_dir.join("mail"));
    let running = match server::start(config, StartOptions::default()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("partnerd: {e}");
            return 1;
        }
    };
    let operator = running
        .app
        .bootstrap(BootstrapInput {
            name: "Contoso Cloud".into(),
            domain_prefix: "contoso-cloud".into(),
            country: "US".into(),
            admin_email: "admin@contoso-cloud.example".into(),
            admin_first_name: "Olivia".into(),
            admin_last_name: "Operator".into(),
        })
        .await;
    let operator = match operator {
        Ok(o) => o,
        Err(e) => {
            eprintln!("partnerd: demo set-up failed: {e}");
            return 1;
        }
    };
    let url = running.app.config().public_url.clone();
    let stop = server::termination();
    println!("listening on http://{}", running.addr);
    println!();
    println!("partnerd demo is running at {url}");
    println!(
        "Data folder: {} (emptied on every start)",
        data_dir.display()
    );
    println!();
    println!("Sign-ins (temporary passwords: you choose your own at first sign-in):");
    println!(
        "  operator (Contoso Cloud)   {}   {}",
        operator.email, operator.temporary_password
    );
    println!();
    println!("Mail is written to {}", data_dir.join("mail").display());
    println!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
    stop.await;
    match running.shutdown().await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("partnerd: {e}");
            1
        }
    }
}
