//! Starting and stopping the server: database, migrations, listener, background
//! workers, graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use partnerd_app::{App, Clock};
use partnerd_store::Db;
use partnerd_web::AppState;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

/// Connects and, when configured, migrates.
pub async fn open_db(config: &Config) -> Result<Db, String> {
    let max = if config.database_url.starts_with("sqlite:") {
        8
    } else {
        16
    };
    let db = Db::connect(&config.database_url, max)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    if config.auto_migrate {
        db.migrate()
            .await
            .map_err(|e| format!("migrations failed: {e}"))?;
    }
    Ok(db)
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    pub state: AppState,
    /// Tells the workers to claim nothing new (at once on shutdown).
    stop: watch::Sender<bool>,
    /// Closes the listener (at the drain delay).
    close: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    workers: Option<JoinHandle<()>>,
    drain_delay: Duration,
    shutdown_timeout: Duration,
}

/// Options that only tests and the demo change.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Run the outbox worker in the background (tests drain it themselves).
    pub workers: bool,
    pub clock: Clock,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            workers: true,
            clock: Clock::default(),
        }
    }
}

/// Binds, builds the app and serves in the background.
pub async fn start(mut config: Config, options: StartOptions) -> Result<Running, String> {
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    config.app.public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let db = open_db(&config).await?;
    if let Some(start) = config.app.test_clock {
        options.clock.advance(start.since(options.clock.now()));
    }
    let app =
        App::new(db, config.app.clone(), options.clock).map_err(|e| e.detail().into_owned())?;
    let state = AppState::new(app.clone());
    let (stop, stopped) = watch::channel(false);
    let (close, mut closed) = watch::channel(false);
    let server = tokio::spawn(partnerd_web::serve(listener, state.clone(), async move {
        let _ = closed.wait_for(|s| *s).await;
    }));
    let workers = options.workers.then(|| {
        let app = app.clone();
        // Three loops side by side, so that a slow mail server, a slow webhook
        // receiver and the periodic jobs never hold each other up.
        tokio::spawn(async move {
            let outbox = every(Duration::from_secs(1), stopped.clone(), || async {
                if let Err(e) = app.drain_outbox().await {
                    tracing::error!(error = %e, "outbox worker pass failed");
                }
            });
            let deliveries = every(Duration::from_secs(1), stopped.clone(), || async {
                if let Err(e) = app.run_webhook_deliveries_once().await {
                    tracing::error!(error = %e, "webhook delivery pass failed");
                }
            });
            let mut minutes: u64 = 0;
            let jobs = every(Duration::from_secs(60), stopped, || {
                minutes += 1;
                let hourly = minutes % 60 == 1;
                let app = &app;
                async move {
                    if let Err(e) = app.run_delegation_jobs_once().await {
                        tracing::error!(error = %e, "delegated admin expiry pass failed");
                    }
                    // Under a test clock, system events wait to be asked for.
                    if !app.has_test_clock()
                        && let Err(e) = app.run_system_events_once().await
                    {
                        tracing::error!(error = %e, "system event pass failed");
                    }
                    if !app.has_test_clock()
                        && let Err(e) = app.run_billing_jobs_once().await
                    {
                        tracing::error!(error = %e, "billing pass failed");
                    }
                    if let Err(e) = app.run_link_expiry_once().await {
                        tracing::error!(error = %e, "link expiry pass failed");
                    }
                    if hourly && let Err(e) = app.purge_idempotency().await {
                        tracing::error!(error = %e, "idempotency purge failed");
                    }
                    if hourly && let Err(e) = app.prune_audit_once().await {
                        tracing::error!(error = %e, "audit retention pass failed");
                    }
                }
            });
            tokio::join!(outbox, deliveries, jobs);
        })
    });
    Ok(Running {
        addr,
        app,
        state,
        stop,
        close,
        server,
        workers,
        drain_delay: config.drain_delay,
        shutdown_timeout: config.shutdown_timeout,
    })
}

/// Runs `pass` now and then every `period` (after the previous pass ends) until
/// `stopped` turns true.
async fn every<F, Fut>(period: Duration, mut stopped: watch::Receiver<bool>, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        pass().await;
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stopped.wait_for(|s| *s) => break,
        }
    }
}

/// How a shutdown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every in-flight request finished (or was dropped at the deadline).
    Drained,
    /// A second signal cut the waits short.
    Hurried,
}

impl Running {
    /// The drain of API-platform.md §2.5, with nothing to cut it short.
    pub async fn shutdown(self) -> Result<(), String> {
        self.shutdown_unless(std::future::pending())
            .await
            .map(|_| ())
    }

    /// The drain of API-platform.md §2.5: `/readyz` answers 503 at once and the
    /// workers claim nothing new; requests are still served (with `Connection:
    /// close`) for the drain delay; then the listener closes and in-flight requests
    /// have the shutdown timeout to finish, after which they are dropped (their
    /// transactions roll back). `hurry` resolving (a second signal) skips the waits.
    pub async fn shutdown_unless(
        self,
        hurry: impl std::future::Future<Output = ()>,
    ) -> Result<Stopped, String> {
        let Running {
            app,
            state,
            stop,
            close,
            mut server,
            workers,
            drain_delay,
            shutdown_timeout,
            ..
        } = self;
        state.start_draining();
        let _ = stop.send(true);
        tokio::pin!(hurry);
        let mut hurried = tokio::select! {
            _ = tokio::time::sleep(drain_delay) => false,
            _ = &mut hurry => true,
        };
        let _ = close.send(true);
        let deadline = tokio::time::Instant::now() + shutdown_timeout;
        let served = if hurried {
            None
        } else {
            tokio::select! {
                r = tokio::time::timeout_at(deadline, &mut server) => r.ok(),
                _ = &mut hurry => { hurried = true; None }
            }
        };
        let served = match served {
            Some(joined) => joined.map_err(|e| e.to_string())?,
            None => {
                // Whatever still runs is dropped: handlers first, so that their
                // transactions roll back, then the connections.
                state.pass_deadline();
                let grace = if hurried {
                    Duration::ZERO
                } else {
                    Duration::from_millis(500)
                };
                if tokio::time::timeout(grace, &mut server).await.is_err() {
                    server.abort();
                }
                Ok(())
            }
        };
        if let Some(mut w) = workers {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if hurried || tokio::time::timeout(left, &mut w).await.is_err() {
                w.abort();
            }
        }
        if !hurried {
            app.db().close().await;
        }
        served.map_err(|e| e.to_string())?;
        Ok(if hurried {
            Stopped::Hurried
        } else {
            Stopped::Drained
        })
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called,
/// not when it is first awaited, so a signal sent right after start-up is not lost.
pub fn termination() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let term = async {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
}
