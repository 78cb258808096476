//! The connection pool, transactions and health probes.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};

use crate::{StoreError, StoreResult, migrations};

/// Which database sits behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A transaction; commit it or it rolls back on drop.
pub type Tx = sqlx::Transaction<'static, Any>;
/// A connection (pooled or inside a transaction) that store functions run on.
pub type Conn = sqlx::AnyConnection;

/// The database handle shared by the whole process.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects to `sqlite://PATH` (file and folder created if missing; WAL,
    /// `synchronous=FULL`, foreign keys, busy timeout) or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
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
            (Backend::Sqlite, format!("sqlite://{path}?{query}"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError::Corrupt(
                "the database URL must start with sqlite:// or postgres://".into(),
            ));
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of
    /// failing when a read lock would have to be upgraded.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A pooled connection for reads.
    pub async fn conn(&self) -> StoreResult<sqlx::pool::PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Runs pending migrations of this backend's tree.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrations::migrator(self.backend);
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Db(e.into()))
    }

    /// `(applied, known)` latest migration versions; ready when they are equal.
    pub async fn migration_status(&self) -> StoreResult<(Option<i64>, i64)> {
        let known = migrations::latest(self.backend);
        let applied: Option<i64> = match sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE",
        )
        .fetch_one(&self.pool)
        .await
        {
            Ok(v) => v,
            Err(sqlx::Error::Database(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok((applied, known))
    }

    /// A trivial round trip.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Connections open (in use or idle).
    pub fn pool_size(&self) -> u32 {
        self.pool.size()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Commits a transaction.
pub async fn commit(tx: Tx) -> crate::StoreResult<()> {
    Ok(tx.commit().await?)
}
