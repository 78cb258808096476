//! Idempotency records for `POST` requests (API.md §1): the key is the caller's, the
//! record lives 24 h, and a request that died mid-way frees its key after 5 minutes.

use partnerd_domain::time::Timestamp;
use partnerd_store::idempotency;
pub use partnerd_store::idempotency::Begin;

use crate::{App, AppResult};

const TTL_MS: i64 = 24 * Timestamp::HOUR;
const STALE_MS: i64 = 5 * Timestamp::MINUTE;

impl App {
    pub async fn idempotency_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &str,
    ) -> AppResult<Begin> {
        let mut tx = self.db().begin().await?;
        let b = idempotency::begin(
            &mut tx,
            principal,
            key,
            request_hash,
            self.now(),
            TTL_MS,
            STALE_MS,
        )
        .await?;
        partnerd_store::commit(tx).await?;
        Ok(b)
    }

    pub async fn idempotency_complete(
        &self,
        principal: &str,
        key: &str,
        status: i64,
        headers: &str,
        body: &str,
    ) -> AppResult<()> {
        let mut conn = self.db().conn().await?;
        Ok(idempotency::complete(&mut conn, principal, key, status, headers, body).await?)
    }

    pub async fn idempotency_abandon(&self, principal: &str, key: &str) -> AppResult<()> {
        let mut conn = self.db().conn().await?;
        Ok(idempotency::abandon(&mut conn, principal, key).await?)
    }

    /// Deletes records past their window (run by the housekeeping loop).
    pub async fn purge_idempotency(&self) -> AppResult<u64> {
        let mut conn = self.db().conn().await?;
        Ok(idempotency::purge(&mut conn, self.now().minus_millis(TTL_MS)).await?)
    }
}
