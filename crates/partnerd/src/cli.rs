//! The command line (API.md §4.1): `serve`, `migrate`, `bootstrap`,
//! `user reset-password`, `customers import`, `mail test`, `mail retry` and `demo`.

use partnerd_app::AppError;
use partnerd_domain::states::OutboxStatus;
use std::io::Write;

use clap::{Parser, Subcommand};
use partnerd_app::bootstrap::{BootstrapInput, CliError};
use partnerd_app::{App, Clock};

use crate::config::{Config, Settings};
use crate::server::{self, StartOptions};

#[derive(Debug, Parser)]
#[command(
    name = "partnerd",
    version,
    about = "Partner center for two-tier cloud reselling"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal and the API.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the operator organisation and its first global admin.
    Bootstrap {
        /// The operator's name.
        #[arg(long)]
        name: String,
        /// Prefix of the operator's default domain.
        #[arg(long)]
        domain_prefix: String,
        /// ISO 3166-1 alpha-2 country code.
        #[arg(long)]
        country: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, default_value = "Platform")]
        admin_first_name: String,
        #[arg(long, default_value = "Admin")]
        admin_last_name: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Operator recovery for users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Customer tools for operators.
    Customers {
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// Mail tools.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Monthly billing.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Serve a fresh demo platform with sample organisations and print their sign-ins.
    Demo {
        /// Folder for the demo's database and mail (emptied first).
        #[arg(long, default_value = "./partnerd-demo")]
        data_dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Give a user a new temporary password and sign them out everywhere.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Import customers that partners already serve elsewhere from a CSV file with a
    /// header row (columns: source, externalId, companyName, domainPrefix, country,
    /// resellerOrganizationId, indirectProviderId, delegatedAdmin, adminEmail,
    /// adminFirstName, adminLastName). Rows imported before are skipped; a refused
    /// row changes nothing. Exit 0 when no row was refused, 1 otherwise.
    Import {
        /// The CSV file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Source for rows without a `source` column value.
        #[arg(long)]
        source: Option<String>,
        /// One JSON object per row and a summary object, instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BillingCommand {
    /// Run a closed month's billing now: a draft invoice per tier, seller and
    /// buyer (running it again prints the same run). `--preview` shows any month
    /// up to the current one without storing anything. Exit 0 done, 2 invalid
    /// arguments, 3 the month is not closed yet.
    Run {
        /// `YYYY-MM`.
        #[arg(long)]
        month: String,
        #[arg(long)]
        preview: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message through the outbox and the configured transport.
    Test {
        #[arg(long)]
        to: String,
    },
    /// Queue every mail the worker gave up on again (after fixing the mail
    /// settings) and try it at once.
    Retry {
        /// At most this many messages, newest first.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
        limit: i64,
    },
}

/// Exit codes: 0 success, 1 failure, 2 invalid arguments, 3 already bootstrapped.
pub async fn run(cli: Cli) -> i32 {
    let config = match cli.settings.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("partnerd: {e}");
            return 2;
        }
    };
    init_tracing(&config);
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::Bootstrap {
            name,
            domain_prefix,
            country,
            admin_email,
            admin_first_name,
            admin_last_name,
            json,
        } => {
            let input = BootstrapInput {
                name,
                domain_prefix,
                country,
                admin_email,
                admin_first_name,
                admin_last_name,
            };
            bootstrap(config, input, json).await
        }
        Command::User {
            command: UserCommand::ResetPassword { email, json },
        } => reset_password(config, &email, json).await,
        Command::Mail {
            command: MailCommand::Test { to },
        } => mail_test(config, &to).await,
        Command::Mail {
            command: MailCommand::Retry { limit },
        } => mail_retry(config, limit).await,
        Command::Customers {
            command: CustomersCommand::Import { file, source, json },
        } => import_customers(config, &file, source.as_deref(), json).await,
        Command::Billing {
            command:
                BillingCommand::Run {
                    month,
                    preview,
                    json,
                },
        } => billing_run(config, &month, preview, json).await,
        Command::Demo { data_dir } => crate::demo::run(config, &data_dir).await,
    }
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn fail(e: impl std::fmt::Display) -> i32 {
    eprintln!("partnerd: {e}");
    1
}

async fn serve(config: Config) -> i32 {
    let running = match server::start(config, StartOptions::default()).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let stop = server::termination();
    println!("listening on http://{}", running.addr);
    let _ = std::io::stdout().flush();
    stop.await;
    tracing::info!("shutting down: draining (a second signal stops at once)");
    match running.shutdown_unless(server::termination()).await {
        Ok(server::Stopped::Drained) => 0,
        Ok(server::Stopped::Hurried) => 1,
        Err(e) => fail(e),
    }
}

async fn migrate(mut config: Config) -> i32 {
    config.auto_migrate = true;
    match server::open_db(&config).await {
        Ok(db) => {
            let (applied, _) = db.migration_status().await.unwrap_or((None, 0));
            println!("database is at migration version {}", applied.unwrap_or(0));
            db.close().await;
            0
        }
        Err(e) => fail(e),
    }
}

/// An app over the configured database for one CLI command (migrations applied).
pub async fn cli_app(config: &Config) -> Result<App, String> {
    let mut config = config.clone();
    config.auto_migrate = true;
    let db = server::open_db(&config).await?;
    let mut app_config = config.app.clone();
    app_config.public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    // A test clock (dev mode only) holds for commands too, so a black-box test
    // can bill a month it made up.
    let clock = Clock::default();
    if let Some(start) = app_config.test_clock {
        clock.advance(start.since(clock.now()));
    }
    App::new(db, app_config, clock).map_err(|e| e.detail().into_owned())
}

fn exit_for(e: &CliError) -> i32 {
    match e {
        CliError::Invalid(_) => 2,
        CliError::AlreadyBootstrapped => 3,
        CliError::App(_) => 1,
    }
}

async fn bootstrap(config: Config, input: BootstrapInput, json: bool) -> i32 {
    let app = match cli_app(&config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let result = app.bootstrap(input).await;
    app.db().close().await;
    match result {
        Ok(done) if json => {
            println!("{}", serde_json::to_string(&done).unwrap_or_default());
            0
        }
        Ok(done) => {
            println!("Operator organisation {} created.", done.organization_id);
            println!(
                "Sign in as {} with the temporary password below; you will choose your own at first sign-in.",
                done.email
            );
            println!("It is shown only this once:");
            println!("{}", done.temporary_password);
            0
        }
        Err(e) => {
            eprintln!("partnerd: {e}");
            exit_for(&e)
        }
    }
}

async fn reset_password(config: Config, email: &str, json: bool) -> i32 {
    let app = match cli_app(&config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let result = app.reset_password_cli(email).await;
    app.db().close().await;
    match result {
        Ok((email, password)) if json => {
            println!(
                "{}",
                serde_json::json!({"email": email, "temporaryPassword": password})
            );
            0
        }
        Ok((email, password)) => {
            println!(
                "{email} was signed out everywhere and must choose a new password at the next sign-in."
            );
            println!("Temporary password (shown only this once):");
            println!("{password}");
            0
        }
        Err(e) => {
            eprintln!("partnerd: {e}");
            exit_for(&e)
        }
    }
}

async fn import_customers(
    config: Config,
    file: &std::path::Path,
    source: Option<&str>,
    json: bool,
) -> i32 {
    let app = match cli_app(&config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let mut out = std::io::stdout().lock();
    let result = crate::import::run(&app, file, source, json, &mut out).await;
    app.db().close().await;
    match result {
        Ok(summary) if summary.refused == 0 => 0,
        Ok(_) => 1,
        Err(e) => {
            eprintln!("partnerd: {e}");
            2
        }
    }
}

async fn billing_run(config: Config, month: &str, preview: bool, json: bool) -> i32 {
    use partnerd_domain::calendar::Month;
    let Some(month) = Month::parse(month.trim()) else {
        eprintln!("partnerd: --month must be a month such as 2026-03, not {month}");
        return 2;
    };
    let app = match cli_app(&config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let current = Month::of(app.now());
    if month > current {
        eprintln!(
            "partnerd: {} has not begun; bill {} or an earlier month",
            month.spoken(),
            current.spoken()
        );
        app.db().close().await;
        return 2;
    }
    if !preview && !app.month_closed(month) {
        eprintln!(
            "partnerd: {} is not closed yet ({} minutes after its end); try --preview",
            month.spoken(),
            app.config().billing.close_delay_minutes
        );
        app.db().close().await;
        return 3;
    }
    let ctx = partnerd_app::Ctx {
        request_id: "cli".into(),
        ..partnerd_app::Ctx::default()
    };
    let result = if preview {
        app.preview_billing(month)
            .await
            .map(|p| (p.run, Some(p.invoices)))
    } else {
        app.run_billing_month(&ctx, month).await.map(|r| (r, None))
    };
    app.db().close().await;
    match result {
        Ok((run, invoices)) if json => {
            let v = match invoices {
                Some(invoices) => serde_json::json!({"run": run, "invoices": invoices}),
                None => serde_json::to_value(&run).unwrap_or_default(),
            };
            println!("{v}");
            0
        }
        Ok((run, invoices)) => {
            println!(
                "{} {}: {} invoices, {} lines",
                if invoices.is_some() {
                    "Preview of"
                } else {
                    "Billed"
                },
                month.spoken(),
                run.invoice_count,
                run.line_count
            );
            for t in &run.totals {
                println!("  {:<20} {}", t.tier.as_str(), t.amount);
            }
            for i in invoices.iter().flatten() {
                println!(
                    "  {} → {}: {} ({} lines)",
                    i.seller.name, i.buyer.name, i.total, i.line_count
                );
            }
            if let Some(d) = &run.digest {
                println!("digest {d}");
            }
            0
        }
        Err(e) => fail(e),
    }
}

async fn mail_retry(config: Config, limit: i64) -> i32 {
    let app = match cli_app(&config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let queued = match app.retry_failed_mail_cli(limit).await {
        Ok(q) => q,
        Err(e) => return fail(e),
    };
    if queued.is_empty() {
        app.db().close().await;
        println!("no failed mail: nothing to retry");
        return 0;
    }
    let outcome = app.drain_outbox().await;
    let mut waiting = 0;
    for r in &queued {
        if !matches!(app.outbox_status(&r.id).await, Ok(Some((s, _, _))) if s == OutboxStatus::Sent)
        {
            waiting += 1;
        }
    }
    app.db().close().await;
    if let Err(e) = outcome {
        return fail(e);
    }
    println!(
        "queued {} failed message(s) again: {} sent, {waiting} still waiting (the worker keeps retrying them)",
        queued.len(),
        queued.len() - waiting
    );
    i32::from(waiting > 0)
}

async fn mail_test(config: Config, to: &str) -> i32 {
    let app = match cli_app(&config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let id = match app.queue_test_mail(to).await {
        Ok(id) => id,
        Err(e) if matches!(e, AppError::Validation(_)) => {
            eprintln!("partnerd: --to: {}", e.detail());
            return 2;
        }
        Err(e) => return fail(e),
    };
    let outcome = app.drain_outbox().await;
    let status = app.outbox_status(&id).await;
    app.db().close().await;
    match (outcome, status) {
        (Ok(_), Ok(Some((OutboxStatus::Sent, _, _)))) => {
            println!("sent test message {id} to {to}");
            0
        }
        (Ok(_), Ok(Some((status, attempts, error)))) => fail(format!(
            "test message {id} is {status} after {attempts} attempt(s): {}; the worker keeps retrying it",
            error.unwrap_or_default()
        )),
        (Err(e), _) | (_, Err(e)) => fail(e),
        (Ok(_), Ok(None)) => fail("the test message vanished from the outbox"),
    }
}
