//! Domain events (API.md §14), written to the outbox in the transaction of the
//! change that causes them, so none is lost on a crash. Webhook fan-out reads them
//! from there; until an organisation subscribes, an event is done once written.

use partnerd_domain::ids::OutboxId;
use partnerd_domain::time::Timestamp;
use partnerd_store::{Conn, StoreResult, outbox};
use serde::Serialize;

/// One event: what happened to which resource, and the organisations that may
/// receive it (the participants of the change).
pub(crate) struct Event<'a> {
    pub event_type: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    /// The API path of the resource.
    pub resource_url: String,
    pub participants: Vec<&'a str>,
}

/// Writes `event` with a snapshot of the resource on `conn` (the change's transaction).
pub(crate) async fn emit(
    conn: &mut Conn,
    event: Event<'_>,
    snapshot: &impl Serialize,
    now: Timestamp,
) -> StoreResult<OutboxId> {
    let id = OutboxId::generate();
    let mut data = serde_json::to_value(snapshot).unwrap_or_default();
    if let Some(map) = data.as_object_mut() {
        map.insert("resourceType".into(), event.resource_type.into());
        map.insert("resourceId".into(), event.resource_id.into());
        map.insert("resourceUrl".into(), event.resource_url.clone().into());
    }
    let mut participants = event.participants.clone();
    participants.sort_unstable();
    participants.dedup();
    let payload = serde_json::json!({
        "id": format!("evt_{}", id.trim_start_matches("obx_")),
        "type": event.event_type,
        "occurredAt": now,
        "participants": participants,
        "data": data,
    });
    outbox::enqueue(
        conn,
        &id,
        "event",
        event.event_type,
        &payload.to_string(),
        now,
    )
    .await?;
    Ok(id)
}
