//! Events waiting to be handed to a client's webhook outbox, kept in the
//! storage of the object whose state change they report (consents, credential
//! objects). `queue` is synchronous, so an event and its state change commit
//! together; `forward` hands events over, and the owner's alarm retries what
//! did not go through (the outbox ignores event ids it already has).

use serde_json::Value;
use worker::{Env, State};

use super::outbox::OutboxClient;
use super::sql_kv::SqlKv;
use crate::app::OsRandom;
use crate::domain::ids;
use crate::domain::webhook::OutgoingEvent;
use crate::error::{ApiError, ApiResult};

const PENDING: &str = "pending:";
/// Re-send delay for events the outbox did not take.
pub const FORWARD_RETRY_MS: i64 = 5_000;

/// What the event is about: its name, owner and `data`.
pub struct NewEvent<'a> {
    pub event: &'a str,
    pub client_id: &'a str,
    pub livemode: bool,
    pub data: Value,
}

/// Writes the event with a fresh `evt_` id (call it in the same synchronous
/// step as the state change).
pub fn queue(kv: &SqlKv, new: NewEvent<'_>, now: i64) -> ApiResult<()> {
    let mut rng = OsRandom::default();
    let event = OutgoingEvent {
        id: ids::event_id(&mut rng),
        event: new.event.to_owned(),
        timestamp_ms: now,
        client_id: new.client_id.to_owned(),
        livemode: new.livemode,
        data: new.data,
    };
    if rng.failed() {
        return Err(ApiError::Internal("no randomness".into()));
    }
    kv.put(&format!("{PENDING}{now:016}:{}", event.id), &event)
}

/// Arms a retry alarm, then forwards queued events oldest first. The alarm
/// goes first so that a forward that never completes is retried; the caller
/// sets its next alarm afterwards (see [`retry_at`]).
pub async fn forward(state: &State, env: &Env, kv: &SqlKv, now: i64) {
    if let Err(e) = state
        .storage()
        .set_alarm(super::alarm_at(now + FORWARD_RETRY_MS))
        .await
    {
        worker::console_error!("event queue set_alarm: {e}");
    }
    flush(env, kv).await;
}

/// Forwards queued events, oldest first, stopping at the first failure.
pub async fn flush(env: &Env, kv: &SqlKv) {
    let pending: Vec<(String, OutgoingEvent)> = kv.list(PENDING, 100, false).unwrap_or_default();
    for (key, event) in pending {
        let sent = match OutboxClient::new(env, &event.client_id, event.livemode) {
            Ok(outbox) => outbox.enqueue(&event).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => {
                let _ = kv.delete(&key);
            }
            Err(e) => {
                worker::console_error!("forward {} failed: {e:?}", event.id);
                break;
            }
        }
    }
}

/// When the owner's alarm must fire to retry forwarding, if anything is queued.
pub fn retry_at(kv: &SqlKv, now: i64) -> ApiResult<Option<i64>> {
    Ok((kv.count(PENDING)? > 0).then_some(now + FORWARD_RETRY_MS))
}
