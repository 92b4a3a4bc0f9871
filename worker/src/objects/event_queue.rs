//! Events waiting to be handed to a client's webhook outbox, kept in the
//! storage of the object whose state change they report (consents, credential
//! objects). `queue` is synchronous, so an event and its state change commit
//! together; `forward` hands events over, and the owner's alarm retries what
//! did not go through (the outbox ignores event ids it already has). Retries
//! back off (5 s doubling to 5 min, `domain::delivery`) and never stop: an
//! event leaves the queue only when the outbox has stored it.

use serde_json::Value;
use worker::{Env, State};

use super::ctx::Ctx;
use super::outbox::OutboxClient;
use super::sql_kv::SqlKv;
use crate::domain::delivery::forward_retry_delay_ms;
use crate::domain::ids;
use crate::domain::webhook::OutgoingEvent;
use crate::error::ApiResult;

const PENDING: &str = "pending:";
/// Failed forwarding rounds in a row (absent: none), for the backoff.
const FAILURES: &str = "forward_failures";

/// What the event is about: its name, owner and `data`.
pub struct NewEvent<'a> {
    pub event: &'a str,
    pub client_id: &'a str,
    pub livemode: bool,
    pub data: Value,
}

/// Writes the event with a fresh `evt_` id (call it in the same synchronous
/// step as the state change), stamped `now`; the id from the call's random source.
pub fn queue(kv: &SqlKv, new: NewEvent<'_>, now: i64, ctx: &Ctx) -> ApiResult<()> {
    let event = OutgoingEvent {
        id: ctx.random(|r| ids::event_id(r))?,
        event: new.event.to_owned(),
        timestamp_ms: now,
        client_id: new.client_id.to_owned(),
        livemode: new.livemode,
        data: new.data,
    };
    kv.put(&format!("{PENDING}{now:016}:{}", event.id), &event)
}

/// Arms a retry alarm, then forwards queued events oldest first. The alarm
/// goes first so that a forward that never completes is retried; the caller
/// sets its next alarm afterwards (see [`retry_at`]).
pub async fn forward(state: &State, env: &Env, kv: &SqlKv, now: i64) {
    let delay = forward_retry_delay_ms(failures(kv));
    if let Err(e) = state
        .storage()
        .set_alarm(super::alarm_at(now.saturating_add(delay)))
        .await
    {
        worker::console_error!("event queue set_alarm: {e}");
    }
    flush(env, kv).await;
}

/// Forwards queued events, oldest first, stopping at the first failure
/// (which lengthens the next wait; a round with no failure resets it).
pub async fn flush(env: &Env, kv: &SqlKv) {
    let pending: Vec<(String, OutgoingEvent)> = match kv.list(PENDING, 100, false) {
        Ok(p) => p,
        Err(e) => {
            // Kept, not dropped: the next round reads them again.
            worker::console_error!("event queue unreadable: {e:?}");
            note_failure(kv);
            return;
        }
    };
    for (key, event) in pending {
        let sent = match OutboxClient::new(env, &event.client_id, event.livemode) {
            Ok(outbox) => outbox.enqueue(&event).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => {
                if let Err(e) = kv.delete(&key) {
                    // Harmless: re-forwarding a taken event is a no-op.
                    worker::console_error!("event queue delete {}: {e:?}", event.id);
                }
            }
            Err(e) => {
                worker::console_error!("forward {} failed: {e:?}", event.id);
                note_failure(kv);
                return;
            }
        }
    }
    if let Err(e) = kv.delete(FAILURES) {
        worker::console_error!("event queue reset backoff: {e:?}");
    }
}

fn failures(kv: &SqlKv) -> u32 {
    kv.get::<u32>(FAILURES).ok().flatten().unwrap_or(0)
}

fn note_failure(kv: &SqlKv) {
    if let Err(e) = kv.put(FAILURES, &failures(kv).saturating_add(1)) {
        worker::console_error!("event queue backoff: {e:?}");
    }
}

/// When the owner's alarm must fire to retry forwarding, if anything is
/// queued: after the backoff for the failures so far.
pub fn retry_at(kv: &SqlKv, now: i64) -> ApiResult<Option<i64>> {
    let delay = forward_retry_delay_ms(failures(kv));
    Ok((kv.count(PENDING)? > 0).then_some(now.saturating_add(delay)))
}
