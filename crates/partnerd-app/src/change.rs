//! The tail every change ends with: its audit record and the events it raises are
//! written on the change's own transaction, and all of it commits at once, so no
//! change is kept without its record and no event is sent for a change that was
//! rolled back.

use partnerd_domain::time::Timestamp;
use partnerd_store::{Conn, Tx};
use serde::Serialize;

use crate::audit::{self, Entry};
use crate::events::{self, Event};
use crate::{App, AppResult, Ctx};

/// An event with the snapshot of its resource, ready to be written.
pub(crate) struct Raised<'a> {
    event: Event<'a>,
    snapshot: serde_json::Value,
}

impl<'a> Event<'a> {
    /// This event, carrying `snapshot` as its `data`.
    pub(crate) fn with(self, snapshot: &impl Serialize) -> Raised<'a> {
        Raised {
            event: self,
            snapshot: serde_json::to_value(snapshot).unwrap_or_default(),
        }
    }
}

impl App {
    /// Writes `entry` and `raised` on `tx` and commits: the last step of a change.
    pub(crate) async fn commit_change(
        &self,
        mut tx: Tx,
        ctx: &Ctx,
        now: Timestamp,
        entry: Entry<'_>,
        raised: Vec<Raised<'_>>,
    ) -> AppResult<()> {
        self.record_change(&mut tx, ctx, now, entry, raised).await?;
        partnerd_store::commit(tx).await?;
        Ok(())
    }

    /// Writes `entry` and `raised` on `tx` without committing, for a change that
    /// still writes on the same transaction afterwards (its idempotent response,
    /// a row it reads back).
    pub(crate) async fn record_change(
        &self,
        tx: &mut Conn,
        ctx: &Ctx,
        now: Timestamp,
        entry: Entry<'_>,
        raised: Vec<Raised<'_>>,
    ) -> AppResult<()> {
        audit::write(tx, ctx, now, entry).await?;
        for r in raised {
            events::emit(tx, r.event, &r.snapshot, now).await?;
        }
        Ok(())
    }
}
