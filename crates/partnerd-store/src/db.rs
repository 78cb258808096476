//! The connection pool, transactions and health probes, over sqlx's concrete SQLite
//! and PostgreSQL drivers.
//!
//! [`Db`] holds one pool of either kind; [`Conn`] is a connection of either kind,
//! pooled or inside a transaction ([`Tx`] derefs to it), and every store function
//! takes `&mut Conn`. Statements run through [`crate::query`], which binds and
//! decodes native values per backend, so no statement is written twice.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use partnerd_domain::time::Timestamp;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::{StoreError, StoreResult, migrations};

/// Which database sits behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The instant the application's rules read. The store reads it for the few values
/// it derives from the date — an offer's price this month — so they follow the
/// application's clock (which tests move forward), never the database's `now()`.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    pub fn new(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl Default for Clock {
    /// The system's clock, until the application gives its own.
    fn default() -> Self {
        Self::new(Timestamp::now_system)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// The database handle shared by the whole process.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    clock: Clock,
}

/// A connection that store functions run on: taken from the pool, or the one a
/// transaction holds.
#[derive(Debug)]
pub struct Conn(pub(crate) Inner, Clock);

#[derive(Debug)]
pub(crate) enum Inner {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    SqliteTx(Transaction<'static, Sqlite>),
    PostgresTx(Transaction<'static, Postgres>),
}

/// A write transaction; commit it with [`commit`] or it rolls back on drop.
#[derive(Debug)]
pub struct Tx(Conn);

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}

impl Conn {
    /// The application's now (see [`Clock`]).
    pub fn now(&self) -> Timestamp {
        self.1.now()
    }

    pub fn backend(&self) -> Backend {
        match self.0 {
            Inner::Sqlite(_) | Inner::SqliteTx(_) => Backend::Sqlite,
            Inner::Postgres(_) | Inner::PostgresTx(_) => Backend::Postgres,
        }
    }
}

impl Db {
    /// Connects to `sqlite://PATH` (file and folder created if missing; WAL,
    /// `synchronous=FULL`, foreign keys, busy timeout) or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let pool = if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            if path.is_empty() {
                return Err(StoreError::Corrupt("the sqlite URL names no file".into()));
            }
            if path != ":memory:"
                && let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
            }
            let query = if query.contains("mode=") {
                query.to_owned()
            } else if query.is_empty() {
                "mode=rwc".to_owned()
            } else {
                format!("{query}&mode=rwc")
            };
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}?{query}"))?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?,
            )
        } else {
            return Err(StoreError::Corrupt(
                "the database URL must start with sqlite:// or postgres://".into(),
            ));
        };
        Ok(Self {
            pool,
            clock: Clock::default(),
        })
    }

    /// This handle with the application's clock: connections taken from it read
    /// `clock` wherever a stored value depends on the date.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of
    /// failing when a read lock would have to be upgraded.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(Tx(Conn(
            match &self.pool {
                Pool::Sqlite(p) => Inner::SqliteTx(p.begin_with("BEGIN IMMEDIATE").await?),
                Pool::Postgres(p) => Inner::PostgresTx(p.begin().await?),
            },
            self.clock.clone(),
        )))
    }

    /// A pooled connection for reads.
    pub async fn conn(&self) -> StoreResult<Conn> {
        Ok(Conn(
            match &self.pool {
                Pool::Sqlite(p) => Inner::Sqlite(p.acquire().await?),
                Pool::Postgres(p) => Inner::Postgres(p.acquire().await?),
            },
            self.clock.clone(),
        ))
    }

    /// Runs pending migrations of this backend's tree.
    pub async fn migrate(&self) -> StoreResult<()> {
        self.migrate_to(i64::MAX).await
    }

    /// Runs pending migrations up to and including `version`: the schema an earlier
    /// release left, for upgrade drills.
    pub async fn migrate_to(&self, version: i64) -> StoreResult<()> {
        let migrator = migrations::migrator_to(self.backend(), version);
        let run = match &self.pool {
            Pool::Sqlite(p) => migrator.run(p).await,
            Pool::Postgres(p) => migrator.run(p).await,
        };
        run.map_err(|e| StoreError::Db(e.into()))
    }

    /// `(applied, known)` latest migration versions; ready when they are equal.
    pub async fn migration_status(&self) -> StoreResult<(Option<i64>, i64)> {
        let known = migrations::latest(self.backend());
        let mut conn = self.conn().await?;
        let applied = match crate::query(
            "SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success = TRUE",
        )
        .fetch_one(&mut conn)
        .await
        {
            Ok(row) => row.try_get::<Option<i64>>("v")?,
            Err(StoreError::Db(sqlx::Error::Database(_))) => None,
            Err(e) => return Err(e),
        };
        Ok((applied, known))
    }

    /// A trivial round trip.
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        crate::query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    }

    /// Connections open (in use or idle).
    pub fn pool_size(&self) -> u32 {
        match &self.pool {
            Pool::Sqlite(p) => p.size(),
            Pool::Postgres(p) => p.size(),
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> StoreResult<()> {
        match self.0.0 {
            Inner::SqliteTx(t) => t.commit().await?,
            Inner::PostgresTx(t) => t.commit().await?,
            // A Tx is only ever made by `Db::begin`, which always opens one.
            Inner::Sqlite(_) | Inner::Postgres(_) => {}
        }
        Ok(())
    }
}

/// Commits a transaction.
pub async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await
}
