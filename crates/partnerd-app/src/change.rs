//! The tail every change ends with: its audit record and the events it raises are
//! written on the change's own transaction, and all of it commits at once, so no
//! change is kept without its record and no event is sent for a change that was
//! rolled back.

use partnerd_domain::time::Timestamp;
use partnerd_store::Tx;
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
    /// Writes `entry` and `raised` on `tx`, then commits.
    pub(crate) async fn commit_change(
        &self,
        mut tx: Tx,
        ctx: &Ctx,
        now: Timestamp,
        entry: Entry<'_>,
        raised: Vec<Raised<'_>>,
    ) -> AppResult<()> {
        audit::write(&mut tx, ctx, now, entry).await?;
        for r in raised {
            events::emit(&mut tx, r.event, &r.snapshot, now).await?;
        }
        partnerd_store::commit(tx).await?;
        Ok(())
    }
}
